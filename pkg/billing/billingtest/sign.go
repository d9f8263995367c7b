package billingtest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// signBody is BTCPay's webhook signature: "sha256=" and the lower case
// hex HMAC-SHA256 of the body, keyed with the webhook's secret.
func signBody(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}
