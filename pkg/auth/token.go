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
