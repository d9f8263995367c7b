package billing

// TrustedCheckout reports whether a card checkout address may be sent to
// a browser: https on zaprite.com or a subdomain, or the host of the
// configured Zaprite API (a self-hosted or test Zaprite). It is false
// when card payments are off.
func (s *Service) TrustedCheckout(raw string) bool {
	return s.zaprite != nil && s.zaprite.trustedCheckout(raw)
}
