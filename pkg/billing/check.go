package billing

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/recap-startos/recap/pkg/config"
)

// CheckResult is what recap payments check found for one provider.
type CheckResult struct {
	Provider string `json:"provider"` // ProviderBTCPay or ProviderZaprite
	OK       bool   `json:"ok"`
	Message  string `json:"message"` // what works, or precisely what is wrong
}

// Check tests the configured keys against the providers: BTCPay's key
// must reach the configured store with the permissions to create and to
// view invoices; Zaprite's must read orders. It returns ErrNotConfigured
// when no provider is configured.
func (s *Service) Check(ctx context.Context) ([]CheckResult, error) {
	return check(ctx, s.btcpay, s.zaprite)
}

// Check is Service.Check without a database: it needs only the payments
// section of the config (recap payments check). hc may be nil.
func Check(ctx context.Context, p config.Payments, hc *http.Client) ([]CheckResult, error) {
	if hc == nil {
		hc = &http.Client{Timeout: 20 * time.Second}
	}
	var b *btcpayClient
	var z *zapriteClient
	var err error
	if p.BTCPay.Enabled() {
		if b, err = newBTCPayClient(p.BTCPay, hc); err != nil {
			return nil, err
		}
	}
	if p.Zaprite.Enabled() {
		if z, err = newZapriteClient(p.Zaprite, hc); err != nil {
			return nil, err
		}
	}
	return check(ctx, b, z)
}

func check(ctx context.Context, b *btcpayClient, z *zapriteClient) ([]CheckResult, error) {
	if b == nil && z == nil {
		return nil, ErrNotConfigured
	}
	var out []CheckResult
	if b != nil {
		out = append(out, b.check(ctx))
	}
	if z != nil {
		out = append(out, z.check(ctx))
	}
	return out, nil
}

// Permissions the BTCPay key needs, and the broader ones that include
// both (BTCPay's policy hierarchy).
var (
	btcpayNeeded   = []string{"btcpay.store.cancreateinvoice", "btcpay.store.canviewinvoices"}
	btcpayIncludes = []string{"unrestricted", "btcpay.store.canmodifystoresettings", "btcpay.store.canmodifyinvoices"}
)

func (c *btcpayClient) check(ctx context.Context) CheckResult {
	res := CheckResult{Provider: ProviderBTCPay}
	var key struct {
		Permissions []string `json:"permissions"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/v1/api-keys/current", nil, nil, &key); err != nil {
		res.Message = explain(err, "payments.btcpay.api-key: BTCPay does not accept the API key; create one under Account → API Keys")
		return res
	}
	if missing := missingPermissions(key.Permissions, c.storeID); len(missing) > 0 {
		res.Message = fmt.Sprintf("payments.btcpay.api-key: the key lacks %s for store %s; create a key with \"Create an invoice\" and \"View invoices\" for that store",
			strings.Join(missing, " and "), c.storeID)
		return res
	}
	q := url.Values{"take": {"1"}}
	if err := c.do(ctx, http.MethodGet, "/api/v1/stores/"+url.PathEscape(c.storeID)+"/invoices", q, nil, &[]btcpayInvoice{}); err != nil {
		res.Message = explain(err, "payments.btcpay.store-id: the key cannot list the invoices of store "+c.storeID+"; check the store id")
		return res
	}
	res.OK = true
	res.Message = "BTCPay: the key can create and view the invoices of store " + c.storeID
	return res
}

// missingPermissions lists the needed permissions a key's list does not
// grant for storeID (a permission may be scoped with ":storeId").
func missingPermissions(perms []string, storeID string) []string {
	has := map[string]bool{}
	for _, p := range perms {
		name, scope, scoped := strings.Cut(p, ":")
		if !scoped || scope == storeID {
			has[name] = true
		}
	}
	for _, p := range btcpayIncludes {
		if has[p] {
			return nil
		}
	}
	var missing []string
	for _, p := range btcpayNeeded {
		if !has[p] {
			missing = append(missing, p)
		}
	}
	return missing
}

func (c *zapriteClient) check(ctx context.Context) CheckResult {
	res := CheckResult{Provider: ProviderZaprite}
	if err := c.do(ctx, http.MethodGet, "/v1/orders", url.Values{"limit": {"1"}}, nil, nil); err != nil {
		res.Message = explain(err, "payments.zaprite.api-key: Zaprite does not accept the API key; create one under Settings → API")
		return res
	}
	res.OK = true
	res.Message = "Zaprite: the key can read the organisation's orders"
	return res
}

// explain turns a provider error into advice: refusals of the key (401,
// 403) get the hint, other failures say what happened.
func explain(err error, hint string) string {
	var pe *providerError
	if errors.As(err, &pe) {
		switch {
		case pe.status == http.StatusUnauthorized || pe.status == http.StatusForbidden:
			return hint + " (" + pe.Error() + ")"
		case pe.status == http.StatusNotFound:
			return hint + " (" + pe.Error() + ")"
		case pe.status == 0:
			return "cannot reach " + pe.provider + ": " + pe.msg + "; check its address"
		}
	}
	return err.Error()
}
