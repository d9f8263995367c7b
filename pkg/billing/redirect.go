package billing

// TrustedCheckout reports whether a card checkout address may be sent to
// a browser: https on zaprite.com or a subdomain, or the host of the
// configured Zaprite API (a self-hosted or test Zaprite). It is false
// when card payments are off.
// With a relay, Zaprite's own https addresses are trusted too (the
// relay checked the address against its Zaprite).
func (s *Service) TrustedCheckout(raw string) bool {
	if s.zaprite != nil && s.zaprite.trustedCheckout(raw) {
		return true
	}
	return s.opt.Relay != nil && zapriteHosted(raw)
}
