package auth

import (
	"crypto/rand"
	"encoding/base64"
)

// TokenBytes is the length of sign-in and session tokens before encoding.
const TokenBytes = 32

// NewToken returns 32 bytes from the system's CSPRNG, base64url-encoded
// without padding (43 characters). Only a hash of it is ever stored.
func NewToken() string {
	raw := make([]byte, TokenBytes)
	rand.Read(raw)
	return base64.RawURLEncoding.EncodeToString(raw)
}

// WellFormedToken reports whether s could be a token from NewToken, so
// that obviously wrong values are refused before any lookup.
func WellFormedToken(s string) bool {
	if len(s) != base64.RawURLEncoding.EncodedLen(TokenBytes) {
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && len(raw) == TokenBytes
}

// StoredToken reports whether s could be a token some Recap stored the
// hash of: one of NewToken's, or a session cookie or sign-in token of the
// earlier Recap, whose form is not known beyond being URL-safe text. Only
// a hash of it is looked up, so a wider check costs a lookup, never a
// match; it keeps browsers and links of before the upgrade working.
func StoredToken(s string) bool {
	if WellFormedToken(s) {
		return true
	}
	if len(s) < 16 || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~') {
			return false
		}
	}
	return true
}
