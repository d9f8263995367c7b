package mail

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// ErrBadAddress means an email address was refused by CanonicalAddress.
var ErrBadAddress = errors.New("not one plain email address")

// Limits of an address, in bytes of its canonical form (RFC 5321).
const (
	maxEmail  = 254
	maxLocal  = 64
	maxDomain = 253
)

// emailIDNA converts a domain to its ASCII form with the rules browsers
// use for host names.
var emailIDNA = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.ValidateLabels(true),
	idna.VerifyDNSLength(true), idna.StrictDomainName(true), idna.Transitional(false))

// CanonicalAddress turns what someone typed into the one form Recap stores
// and mails to, or refuses it with ErrBadAddress. It is the one rule for
// addresses: sign-in, invitations and the database's account lookup
// (users.email_key) all use it. The input is normalised
// (NFKC, so a full-width ＠ becomes @) and trimmed first, and only then
// checked, so that no later step can see more than one address in it:
//
//   - exactly one @, a local part of at most 64 bytes and a domain;
//   - the local part is a dot-atom of ASCII letters, digits and
//     !#$%&'*+/=?^_`{|}~- (no quotes, so no "a@b"@c; no spaces, commas,
//     semicolons, angle brackets, backslashes or control characters);
//   - the domain is a DNS name with at least two labels, converted to
//     ASCII (IDNA) and lower-cased;
//   - the local part is lower-cased too: Recap treats Ada@ and ada@ as
//     one account, as nearly every mail provider does.
func CanonicalAddress(s string) (string, error) {
	if len(s) > 4*maxEmail || !utf8.ValidString(s) {
		return "", ErrBadAddress
	}
	s = strings.TrimFunc(norm.NFKC.String(s), unicode.IsSpace)
	at := strings.IndexByte(s, '@')
	if at <= 0 || at != strings.LastIndexByte(s, '@') {
		return "", ErrBadAddress
	}
	local, domain := s[:at], s[at+1:]
	if len(local) > maxLocal || !dotAtom(local) {
		return "", ErrBadAddress
	}
	ascii, ok := asciiDomain(domain)
	if !ok {
		return "", ErrBadAddress
	}
	out := strings.ToLower(local) + "@" + strings.ToLower(ascii)
	if len(out) > maxEmail {
		return "", ErrBadAddress
	}
	return out, nil
}

// asciiDomain converts an address's domain to ASCII (IDNA) and reports
// whether it is a DNS name of at least two labels, none starting or
// ending with a hyphen. A trailing dot is dropped first.
func asciiDomain(domain string) (string, bool) {
	domain = strings.TrimSuffix(domain, ".")
	if domain == "" || strings.ContainsFunc(domain, func(r rune) bool { return r < 0x80 && !isLDH(r) && r != '.' }) {
		return "", false
	}
	ascii, err := emailIDNA.ToASCII(domain)
	if err != nil || len(ascii) > maxDomain || !strings.Contains(ascii, ".") {
		return "", false
	}
	for _, label := range strings.Split(ascii, ".") {
		if label == "" || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return "", false
		}
	}
	return ascii, true
}

// dotAtom reports whether s is atext characters separated by single dots.
func dotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '.' || isLDH(rune(c)) || strings.IndexByte("!#$%&'*+/=?^_`{|}~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// isLDH reports whether r is an ASCII letter, digit or hyphen.
func isLDH(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-'
}
