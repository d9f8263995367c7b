package auth

import (
	"strings"
	"unicode/utf8"

	"github.com/recap-startos/recap/pkg/mail"
)

// ErrBadEmail means an email address was refused by CanonicalEmail.
var ErrBadEmail = mail.ErrBadAddress

// CanonicalEmail turns what someone typed into the one form Recap stores
// and mails to, or refuses it with ErrBadEmail; see mail.CanonicalAddress
// for the rules.
func CanonicalEmail(s string) (string, error) { return mail.CanonicalAddress(s) }

// MaskEmail shows an address without spelling it out: a•••@example.org.
func MaskEmail(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at <= 0 {
		return "•••"
	}
	r, _ := utf8.DecodeRuneInString(email)
	return string(r) + "•••" + email[at:]
}
