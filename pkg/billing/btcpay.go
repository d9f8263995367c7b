package billing

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/recap-startos/recap/pkg/config"
)

// btcpayClient speaks BTCPay Server's Greenfield API, on the
// store-scoped invoice routes (/api/v1/stores/{storeId}/invoices/…),
// which every 2.x server serves.
type btcpayClient struct {
	base    *url.URL
	key     string
	storeID string
	http    *http.Client
}

// Invoice expiry asked of BTCPay; the BOLT11 expires with it.
const btcpayExpiryMinutes = 30

func newBTCPayClient(c config.BTCPay, hc *http.Client) (*btcpayClient, error) {
	u, err := url.Parse(strings.TrimRight(c.URL, "/"))
	if err != nil {
		return nil, fmt.Errorf("billing: payments.btcpay.url: %w", err)
	}
	return &btcpayClient{base: u, key: c.APIKey, storeID: c.StoreID, http: hc}, nil
}

// providerError is a provider's refusal or failure; it is ErrProviderDown.
type providerError struct {
	provider string
	status   int    // HTTP status; 0 for a transport error
	code     string // the provider's error code, if any
	msg      string
}

func (e *providerError) Error() string {
	switch {
	case e.status == 0:
		return fmt.Sprintf("billing: %s: %s", e.provider, e.msg)
	case e.code != "":
		return fmt.Sprintf("billing: %s answered %d %s: %s", e.provider, e.status, e.code, e.msg)
	}
	return fmt.Sprintf("billing: %s answered %d: %s", e.provider, e.status, e.msg)
}

func (e *providerError) Is(target error) bool { return target == ErrProviderDown }

// maxProviderBody caps what is read of a provider's answer.
const maxProviderBody = 1 << 20

// doJSON sends a JSON request and decodes a 2xx JSON answer into out.
func doJSON(ctx context.Context, hc *http.Client, provider, method, target, auth string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return &providerError{provider: provider, msg: transportReason(err)}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxProviderBody))
	if err != nil {
		return &providerError{provider: provider, status: resp.StatusCode, msg: "reading the answer: " + err.Error()}
	}
	if resp.StatusCode/100 != 2 {
		return errorFrom(provider, resp.StatusCode, raw)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return &providerError{provider: provider, status: resp.StatusCode, msg: "unreadable answer: " + err.Error()}
	}
	return nil
}

// transportReason says why a request got no answer, without the URL's
// query (which never holds secrets here, but keeps logs short).
func transportReason(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return "no answer: " + err.Error()
}

// errorFrom reads the error envelopes: BTCPay's {code, message} or array
// of {path, message}; Zaprite's {code, message, issues}.
func errorFrom(provider string, status int, raw []byte) error {
	e := &providerError{provider: provider, status: status}
	var obj struct {
		Code              string `json:"code"`
		Message           string `json:"message"`
		MissingPermission string `json:"missingPermission"`
	}
	var list []struct {
		Path    string `json:"path"`
		Message string `json:"message"`
	}
	switch {
	case json.Unmarshal(raw, &obj) == nil && (obj.Code != "" || obj.Message != ""):
		e.code, e.msg = obj.Code, obj.Message
		if obj.MissingPermission != "" {
			e.msg += " (missing " + obj.MissingPermission + ")"
		}
	case json.Unmarshal(raw, &list) == nil && len(list) > 0:
		var parts []string
		for _, it := range list {
			parts = append(parts, it.Path+": "+it.Message)
		}
		e.msg = strings.Join(parts, "; ")
	default:
		e.msg = http.StatusText(status)
	}
	if len(e.msg) > 300 {
		e.msg = e.msg[:300]
	}
	return e
}

func (c *btcpayClient) url(path string, query url.Values) string {
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + path
	u.RawQuery = query.Encode()
	return u.String()
}

func (c *btcpayClient) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	return doJSON(ctx, c.http, ProviderBTCPay, method, c.url(path, query), "token "+c.key, body, out)
}

func (c *btcpayClient) invoicePath(id string) string {
	return "/api/v1/stores/" + url.PathEscape(c.storeID) + "/invoices/" + url.PathEscape(id)
}

// btcpayInvoice is the part of Greenfield's InvoiceData we read.
type btcpayInvoice struct {
	ID               string          `json:"id"`
	StoreID          string          `json:"storeId"`
	Amount           string          `json:"amount"`
	PaidAmount       string          `json:"paidAmount"`
	Currency         string          `json:"currency"`
	CheckoutLink     string          `json:"checkoutLink"`
	ExpirationTime   int64           `json:"expirationTime"`
	Status           string          `json:"status"`
	AdditionalStatus string          `json:"additionalStatus"`
	Metadata         json.RawMessage `json:"metadata"`
}

// btcpayPaymentMethod is one element of …/payment-methods. 1.x servers
// said paymentMethod and BTC-LightningNetwork.
type btcpayPaymentMethod struct {
	PaymentMethodID string `json:"paymentMethodId"`
	PaymentMethod   string `json:"paymentMethod"`
	Destination     string `json:"destination"`
	Activated       *bool  `json:"activated"`
	Due             string `json:"due"`
}

func (m btcpayPaymentMethod) lightning() bool {
	id := m.PaymentMethodID
	if id == "" {
		id = m.PaymentMethod
	}
	switch id {
	case "BTC-LN", "BTC-LightningNetwork", "BTC_LightningLike":
		return true
	}
	return false
}

// create makes the invoice of an order: amount in SATS, Lightning only,
// payment methods created at once (the BOLT11 must exist for the inline
// QR), no tolerance for a short payment.
func (c *btcpayClient) create(ctx context.Context, o Order, returnURL string) (remote, error) {
	body := map[string]any{
		"amount":   strconv.FormatInt(o.Amount, 10),
		"currency": "SATS",
		"metadata": map[string]any{
			"orderId":  o.ID,
			"itemDesc": itemDesc(o.Offer),
			"itemCode": o.Offer.ID,
		},
		"checkout": map[string]any{
			"paymentMethods":       []string{"BTC-LN"},
			"defaultPaymentMethod": "BTC-LN",
			"lazyPaymentMethods":   false,
			"expirationMinutes":    btcpayExpiryMinutes,
			"paymentTolerance":     0,
			"redirectURL":          returnURL,
		},
	}
	var inv btcpayInvoice
	if err := c.do(ctx, http.MethodPost, "/api/v1/stores/"+url.PathEscape(c.storeID)+"/invoices", nil, body, &inv); err != nil {
		return remote{}, err
	}
	return c.withBOLT11(ctx, inv)
}

// get re-reads an invoice, with its BOLT11 while it can still be paid.
func (c *btcpayClient) get(ctx context.Context, ref string) (remote, error) {
	var inv btcpayInvoice
	if err := c.do(ctx, http.MethodGet, c.invoicePath(ref), nil, nil, &inv); err != nil {
		return remote{}, err
	}
	if inv.Status != "New" {
		return c.remoteOf(inv), nil
	}
	return c.withBOLT11(ctx, inv)
}

// withBOLT11 reads the invoice's BTC-LN payment method, activating it
// once if it is not yet.
func (c *btcpayClient) withBOLT11(ctx context.Context, inv btcpayInvoice) (remote, error) {
	r := c.remoteOf(inv)
	for attempt := 0; attempt < 2; attempt++ {
		var pms []btcpayPaymentMethod
		if err := c.do(ctx, http.MethodGet, c.invoicePath(inv.ID)+"/payment-methods", nil, nil, &pms); err != nil {
			return remote{}, err
		}
		for _, pm := range pms {
			if pm.lightning() && pm.Destination != "" && (pm.Activated == nil || *pm.Activated) {
				r.bolt11 = pm.Destination
				return r, nil
			}
		}
		if attempt == 0 {
			if err := c.do(ctx, http.MethodPost, c.invoicePath(inv.ID)+"/payment-methods/BTC-LN/activate", nil, nil, nil); err != nil {
				return remote{}, err
			}
		}
	}
	return remote{}, &providerError{provider: ProviderBTCPay, msg: "the invoice has no Lightning payment method: is Lightning set up in the BTCPay store?"}
}

func (c *btcpayClient) remoteOf(inv btcpayInvoice) remote {
	r := remote{
		ref: inv.ID, store: inv.StoreID, currency: strings.ToUpper(inv.Currency), checkoutURL: inv.CheckoutLink,
		providerStatus: inv.Status,
	}
	if inv.AdditionalStatus != "" && inv.AdditionalStatus != "None" {
		r.providerStatus += "/" + inv.AdditionalStatus
	}
	if inv.ExpirationTime > 0 {
		r.expiresAt = time.Unix(inv.ExpirationTime, 0).UTC()
	}
	var meta struct {
		OrderID string `json:"orderId"`
	}
	json.Unmarshal(inv.Metadata, &meta)
	r.orderID = meta.OrderID
	r.amount, r.amountOK = wholeAmount(inv.Amount)
	r.state, r.note = btcpayState(inv.Status, inv.AdditionalStatus)
	return r
}

// btcpayState maps BTCPay's status and additional status onto ours.
// A late payment (Expired + PaidLate) is honoured; a short one (Expired +
// PaidPartial) is not; Processing waits for Settled.
func btcpayState(status, extra string) (state, note string) {
	switch status {
	case "Settled", "Complete", "Confirmed":
		if extra == "PaidOver" {
			return StatusPaid, "overpaid: the excess can be refunded from BTCPay"
		}
		if extra == "Marked" {
			return StatusPaid, "marked settled in BTCPay"
		}
		return StatusPaid, ""
	case "Processing", "Paid":
		return StatusProcessing, ""
	case "Expired":
		switch extra {
		case "PaidLate", "PaidOver":
			return StatusPaid, "paid after the invoice expired; honoured"
		case "PaidPartial":
			return StatusUnderpaid, "less than the price was paid before the invoice expired; not applied (refund it from BTCPay)"
		}
		return StatusExpired, ""
	case "Invalid":
		if extra == "Marked" {
			return StatusInvalid, "marked invalid in BTCPay"
		}
		return StatusInvalid, "BTCPay found the payment invalid"
	case "New":
		if extra == "PaidPartial" {
			return StatusOpen, "part of the price has arrived"
		}
		return StatusOpen, ""
	}
	return StatusOpen, "unknown BTCPay status " + status
}

// wholeAmount reads a decimal string that must be a whole number (sats).
func wholeAmount(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		if strings.Trim(s[i+1:], "0") != "" {
			return 0, false
		}
		s = s[:i]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// itemDesc is the invoice's description, which BTCPay copies into the
// BOLT11: the product only, nothing about the buyer.
func itemDesc(o Offer) string {
	if o.Kind == KindPlan {
		return fmt.Sprintf("Recap %s, %d days", strings.ToUpper(o.Tier[:1])+o.Tier[1:], o.Days)
	}
	return fmt.Sprintf("Recap, %d credits", o.Credits)
}
