package billing

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/recap-startos/recap/pkg/config"
)

// remote is a provider's invoice or order as we read it back.
type remote struct {
	ref            string // the provider's id
	orderID        string // ours, as the provider echoes it (metadata.orderId, externalUniqId)
	store          string // BTCPay's store id ("" for Zaprite)
	amount         int64  // the price asked, in the order's unit
	amountOK       bool   // amount could be read as a whole number
	currency       string
	state          string // one of the Status constants
	providerStatus string
	note           string
	bolt11         string
	expiresAt      time.Time
	checkoutURL    string
	// tier and tierEnd are, for a paid relay order, the user's tier at
	// the relay and its end: the period the relay gave.
	tier    string
	tierEnd time.Time
}

// zapriteClient speaks Zaprite's REST API (/v1/orders).
type zapriteClient struct {
	base *url.URL
	key  string
	http *http.Client
}

func newZapriteClient(c config.Zaprite, hc *http.Client) (*zapriteClient, error) {
	u, err := url.Parse(strings.TrimRight(c.URL, "/"))
	if err != nil {
		return nil, fmt.Errorf("billing: payments.zaprite.url: %w", err)
	}
	return &zapriteClient{base: u, key: c.APIKey, http: hc}, nil
}

func (c *zapriteClient) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + path
	u.RawQuery = query.Encode()
	return doJSON(ctx, c.http, ProviderZaprite, method, u.String(), "Bearer "+c.key, body, out)
}

// zapriteOrder is the part of a Zaprite order we read.
type zapriteOrder struct {
	ID             string `json:"id"`
	OrgID          string `json:"orgId"`
	Status         string `json:"status"`
	Amount         int64  `json:"amount"`
	Currency       string `json:"currency"`
	ExternalUniqID string `json:"externalUniqId"`
	CheckoutURL    string `json:"checkoutUrl"`
	ExpiresAt      string `json:"expiresAt"`
}

// create makes a Zaprite order for a card payment; amount is in the
// currency's smallest unit.
func (c *zapriteClient) create(ctx context.Context, o Order, returnURL string) (remote, error) {
	body := map[string]any{
		"amount":            o.Amount,
		"currency":          o.Currency,
		"externalUniqId":    o.ID,
		"redirectUrl":       returnURL,
		"redirectIfPending": false,
		"label":             itemDesc(o.Offer),
		"metadata":          map[string]any{"orderId": o.ID, "offer": o.Offer.ID},
	}
	var zo zapriteOrder
	if err := c.do(ctx, http.MethodPost, "/v1/orders", nil, body, &zo); err != nil {
		return remote{}, err
	}
	r := c.remoteOf(zo)
	if !c.trustedCheckout(r.checkoutURL) {
		return remote{}, &providerError{provider: ProviderZaprite, msg: fmt.Sprintf("the checkout address %q is not Zaprite's", r.checkoutURL)}
	}
	return r, nil
}

// get re-reads an order by Zaprite's id.
func (c *zapriteClient) get(ctx context.Context, ref string) (remote, error) {
	var zo zapriteOrder
	if err := c.do(ctx, http.MethodGet, "/v1/orders/"+url.PathEscape(ref), nil, nil, &zo); err != nil {
		return remote{}, err
	}
	return c.remoteOf(zo), nil
}

func (c *zapriteClient) remoteOf(zo zapriteOrder) remote {
	r := remote{
		ref: zo.ID, orderID: zo.ExternalUniqID, amount: zo.Amount, amountOK: true,
		currency: strings.ToUpper(zo.Currency), providerStatus: zo.Status, checkoutURL: zo.CheckoutURL,
	}
	if t, err := time.Parse(time.RFC3339, zo.ExpiresAt); err == nil {
		r.expiresAt = t.UTC()
	}
	r.state, r.note = zapriteState(zo.Status)
	return r
}

// zapriteState maps Zaprite's order status onto ours. UNDERPAID stays
// watched (Zaprite waits for the rest); an unknown status is not paid.
func zapriteState(status string) (state, note string) {
	switch strings.ToUpper(status) {
	case "PAID", "COMPLETE":
		return StatusPaid, ""
	case "OVERPAID":
		return StatusPaid, "overpaid: the excess can be refunded from Zaprite"
	case "PROCESSING":
		return StatusProcessing, ""
	case "UNDERPAID":
		return StatusUnderpaid, "less than the price was paid; not applied unless the rest arrives"
	case "ABANDONED", "EXPIRED", "CANCELLED", "CANCELED":
		return StatusExpired, ""
	case "PENDING", "":
		return StatusOpen, ""
	}
	return StatusOpen, "unknown Zaprite status " + status
}

// trustedCheckout reports whether a checkout address may be sent to a
// browser: https on zaprite.com or a subdomain of it, or the host of the
// configured API (a self-hosted or test Zaprite).
func (c *zapriteClient) trustedCheckout(raw string) bool {
	if zapriteHosted(raw) {
		return true
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return false
	}
	return (u.Scheme == "https" || u.Scheme == "http") && u.Scheme == c.base.Scheme && strings.EqualFold(u.Host, c.base.Host)
}

// zapriteHosted reports whether an address is https on zaprite.com or a
// subdomain of it.
func zapriteHosted(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil {
		return false
	}
	host := strings.ToLower(u.Hostname())
	return u.Scheme == "https" && (host == "zaprite.com" || strings.HasSuffix(host, ".zaprite.com"))
}
