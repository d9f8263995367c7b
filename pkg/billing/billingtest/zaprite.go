package billingtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Zaprite is a fake Zaprite API: orders created with a bearer key, read
// back by Zaprite's id or by externalUniqId, and unsigned webhooks. No
// public API description exists to check requests against, so it checks
// the fields integrators document (see research notes): an integer
// amount in the smallest unit, a currency code, externalUniqId, an
// http(s) redirectUrl, and no field outside the known set.
type Zaprite struct {
	URL    string
	APIKey string
	OrgID  string

	t      testing.TB
	srv    *httptest.Server
	mu     sync.Mutex
	orders map[string]*ZapriteOrder
	seq    []string
	hook   string
	counts map[string]int
}

// ZapriteOrder is the fake's order state.
type ZapriteOrder struct {
	ID             string
	Amount         int64
	Currency       string
	ExternalUniqID string
	RedirectURL    string
	Status         string // PENDING, PROCESSING, PAID, COMPLETE, OVERPAID, UNDERPAID, ABANDONED
	Created        time.Time
}

// NewZaprite starts a fake Zaprite.
func NewZaprite(t testing.TB) *Zaprite {
	t.Helper()
	z := &Zaprite{t: t, APIKey: "zk_" + randomID(20), OrgID: "org_" + randomID(10), orders: map[string]*ZapriteOrder{}, counts: map[string]int{}}
	z.srv = httptest.NewServer(http.HandlerFunc(z.serve))
	z.URL = z.srv.URL
	t.Cleanup(z.srv.Close)
	return z
}

// SetWebhook sets where order changes are posted.
func (z *Zaprite) SetWebhook(u string) {
	z.mu.Lock()
	z.hook = u
	z.mu.Unlock()
}

// Count returns how many requests "METHOD /path-pattern" got, e.g.
// "POST /v1/orders".
func (z *Zaprite) Count(route string) int {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.counts[route]
}

// Orders returns copies of the orders, oldest first.
func (z *Zaprite) Orders() []ZapriteOrder {
	z.mu.Lock()
	defer z.mu.Unlock()
	var out []ZapriteOrder
	for _, id := range z.seq {
		out = append(out, *z.orders[id])
	}
	return out
}

// SetStatus changes an order's status and returns the webhook body
// Zaprite would send about it (not sent; see Notify).
func (z *Zaprite) SetStatus(id, status string) []byte {
	z.mu.Lock()
	defer z.mu.Unlock()
	o, ok := z.orders[id]
	if !ok {
		z.t.Fatalf("fake zaprite: no order %s", id)
	}
	o.Status = status
	body, _ := json.Marshal(map[string]any{"event": "order.change", "data": z.orderData(o)})
	return body
}

// Tamper changes what Zaprite reports an order's amount to be.
func (z *Zaprite) Tamper(id string, amount int64) {
	z.mu.Lock()
	z.orders[id].Amount = amount
	z.mu.Unlock()
}

// Notify posts a webhook body to the webhook URL and returns the status.
func (z *Zaprite) Notify(body []byte) int {
	z.mu.Lock()
	hook := z.hook
	z.mu.Unlock()
	return post(z.t, hook, body, map[string]string{"Content-Type": "application/json"})
}

var (
	zapriteCurrency = regexp.MustCompile(`^([A-Z]{3}|BTC|LBTC)$`)
	zapriteFields   = map[string]bool{
		"amount": true, "currency": true, "externalUniqId": true, "redirectUrl": true, "redirectIfPending": true, "label": true,
		"metadata": true, "customerData": true, "sendReceiptToCustomer": true, "customCheckoutId": true, "expiresAt": true,
		"tags": true, "allowSavePaymentProfile": true, "contactId": true,
	}
)

func (z *Zaprite) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	route := r.Method + " " + r.URL.Path
	if strings.HasPrefix(r.URL.Path, "/v1/orders/") {
		route = r.Method + " /v1/orders/{id}"
	}
	z.mu.Lock()
	z.counts[route]++
	z.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer "+z.APIKey {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"code": "UNAUTHORIZED", "message": "Invalid API key"})
		return
	}
	switch route {
	case "POST /v1/orders":
		status, out := z.create(body)
		writeJSON(w, status, out)
	case "GET /v1/orders":
		z.mu.Lock()
		items := []any{}
		for _, id := range z.seq {
			items = append(items, z.orderData(z.orders[id]))
		}
		z.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"items": items, "total": len(items)})
	case "GET /v1/orders/{id}":
		z.get(w, strings.TrimPrefix(r.URL.Path, "/v1/orders/"))
	default:
		z.t.Errorf("fake zaprite: %s is not a route Recap should use", route)
		writeJSON(w, http.StatusNotFound, map[string]any{"code": "NOT_FOUND", "message": "no such route"})
	}
}

func (z *Zaprite) get(w http.ResponseWriter, key string) {
	z.mu.Lock()
	defer z.mu.Unlock()
	for _, o := range z.orders {
		if o.ID == key || o.ExternalUniqID == key {
			writeJSON(w, http.StatusOK, z.orderData(o))
			return
		}
	}
	writeJSON(w, http.StatusNotFound, map[string]any{"code": "NOT_FOUND", "message": "Order not found"})
}

func (z *Zaprite) create(body []byte) (int, any) {
	var req map[string]any
	if err := json.Unmarshal(body, &req); err != nil {
		return http.StatusBadRequest, zapriteBad("body: not JSON")
	}
	if problems := zapriteOrderProblems(req); len(problems) > 0 {
		z.t.Errorf("fake zaprite: POST /v1/orders: %s", strings.Join(problems, "; "))
		return http.StatusBadRequest, zapriteBad(problems...)
	}
	amount, _ := req["amount"].(float64)
	cur, _ := req["currency"].(string)
	ext, _ := req["externalUniqId"].(string)
	redirect, _ := req["redirectUrl"].(string)
	o := &ZapriteOrder{ID: "zo_" + randomID(16), Amount: int64(amount), Currency: cur, ExternalUniqID: ext, RedirectURL: redirect, Status: "PENDING", Created: time.Now().UTC()}
	z.mu.Lock()
	z.orders[o.ID] = o
	z.seq = append(z.seq, o.ID)
	out := z.orderData(o)
	z.mu.Unlock()
	return http.StatusOK, out
}

// zapriteOrderProblems checks a request to create an order the way
// Zaprite's API does: known fields only, then each field's own check.
func zapriteOrderProblems(req map[string]any) []string {
	var problems []string
	for k := range req {
		if !zapriteFields[k] {
			problems = append(problems, k+": not a field of an order")
		}
	}
	for _, check := range []func(map[string]any) string{zapriteAmountProblem, zapriteCurrencyProblem,
		zapriteExternalIDProblem, zapriteRedirectProblem, zapriteProfileProblem} {
		if p := check(req); p != "" {
			problems = append(problems, p)
		}
	}
	return problems
}

func zapriteAmountProblem(req map[string]any) string {
	amount, ok := req["amount"].(float64)
	if !ok || amount != float64(int64(amount)) || amount <= 0 {
		return fmt.Sprintf("amount: %v is not a positive integer in the smallest unit", req["amount"])
	}
	return ""
}

func zapriteCurrencyProblem(req map[string]any) string {
	cur, _ := req["currency"].(string)
	if !zapriteCurrency.MatchString(cur) {
		return fmt.Sprintf("currency: %q is not a currency code", cur)
	}
	return ""
}

func zapriteExternalIDProblem(req map[string]any) string {
	if ext, _ := req["externalUniqId"].(string); ext == "" {
		return "externalUniqId: required for reconciliation"
	}
	return ""
}

func zapriteRedirectProblem(req map[string]any) string {
	redirect, _ := req["redirectUrl"].(string)
	if u, err := url.Parse(redirect); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Sprintf("redirectUrl: %q is not an http(s) URL", redirect)
	}
	return ""
}

func zapriteProfileProblem(req map[string]any) string {
	if req["allowSavePaymentProfile"] == true && req["contactId"] == nil {
		return "contactId is required when allowSavePaymentProfile is true"
	}
	return ""
}

func zapriteBad(msgs ...string) map[string]any {
	var issues []map[string]string
	for _, m := range msgs {
		issues = append(issues, map[string]string{"message": m})
	}
	return map[string]any{"code": "BAD_REQUEST", "message": strings.Join(msgs, "; "), "issues": issues}
}

func (z *Zaprite) orderData(o *ZapriteOrder) map[string]any {
	return map[string]any{
		"id": o.ID, "orgId": z.OrgID, "status": o.Status, "amount": o.Amount, "totalAmount": o.Amount, "currency": o.Currency,
		"externalUniqId": o.ExternalUniqID, "checkoutUrl": z.URL + "/order/" + o.ID,
		"createdAt": o.Created.Format(time.RFC3339), "expiresAt": o.Created.Add(24 * time.Hour).Format(time.RFC3339),
		"transactions": []any{},
	}
}
