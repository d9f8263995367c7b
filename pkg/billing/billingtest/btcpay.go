// Package billingtest has stand-ins for the payment providers, for
// tests: a fake BTCPay Server and a fake Zaprite, each a real HTTP
// server on loopback. The fake BTCPay checks every request against
// BTCPay's published Greenfield API description (testdata/btcpay: routes,
// fields, types and the API key permissions each route needs) and its
// own answers and webhook bodies against the same description; a request
// that does not fit fails the test. Tests move invoices along (paid,
// paid late, underpaid, expired) and send signed webhooks.
package billingtest

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// BTCPay is a fake BTCPay Server with one store.
type BTCPay struct {
	URL           string
	APIKey        string
	StoreID       string
	WebhookSecret string

	t      testing.TB
	srv    *httptest.Server
	specs  []*spec // newest first
	mu     sync.Mutex
	perms  []string
	inv    map[string]*Invoice
	order  []string
	now    func() time.Time
	fail   int    // GETs of invoices still to answer 503
	hook   string // where webhooks go
	counts map[string]int
	seq    int
}

// Invoice is the fake's invoice state.
type Invoice struct {
	ID               string
	Amount           string
	Currency         string
	Metadata         map[string]any
	Checkout         map[string]any
	Status           string // New, Processing, Settled, Expired, Invalid
	AdditionalStatus string // None, PaidLate, PaidPartial, PaidOver, Marked
	Created          time.Time
	Expires          time.Time
	BOLT11           string
	Paid             int64 // sats received
}

// NewBTCPay starts a fake BTCPay whose key has the permissions to create
// and view the store's invoices.
func NewBTCPay(t testing.TB) *BTCPay {
	t.Helper()
	f := &BTCPay{
		t: t, APIKey: "key_" + randomID(12), StoreID: "Store" + randomID(10), WebhookSecret: "whsec_" + randomID(16),
		inv: map[string]*Invoice{}, now: time.Now, counts: map[string]int{},
	}
	f.perms = []string{"btcpay.store.cancreateinvoice:" + f.StoreID, "btcpay.store.canviewinvoices:" + f.StoreID}
	dir := testdataDir()
	for _, v := range []string{"v2.4.1", "v2.3.9"} {
		s, err := loadSpec(filepath.Join(dir, "btcpay", v), v)
		if err != nil {
			t.Fatal(err)
		}
		f.specs = append(f.specs, s)
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	f.URL = f.srv.URL
	t.Cleanup(f.srv.Close)
	return f
}

func testdataDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "testdata")
}

func randomID(n int) string {
	const alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// SetPermissions replaces the API key's permissions.
func (f *BTCPay) SetPermissions(p ...string) {
	f.mu.Lock()
	f.perms = p
	f.mu.Unlock()
}

// SetNow replaces the fake's clock.
func (f *BTCPay) SetNow(now func() time.Time) {
	f.mu.Lock()
	f.now = now
	f.mu.Unlock()
}

// FailNext makes the next n reads of an invoice answer 503.
func (f *BTCPay) FailNext(n int) {
	f.mu.Lock()
	f.fail = n
	f.mu.Unlock()
}

// SetWebhook sets where the store's webhook delivers.
func (f *BTCPay) SetWebhook(url string) {
	f.mu.Lock()
	f.hook = url
	f.mu.Unlock()
}

// Count returns how many requests a route template got, e.g.
// "POST /api/v1/stores/{storeId}/invoices".
func (f *BTCPay) Count(route string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[route]
}

// Invoices returns copies of the invoices, oldest first.
func (f *BTCPay) Invoices() []Invoice {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Invoice, 0, len(f.order))
	for _, id := range f.order {
		out = append(out, *f.inv[id])
	}
	return out
}

// Invoice returns a copy of one invoice.
func (f *BTCPay) Invoice(id string) Invoice {
	f.mu.Lock()
	defer f.mu.Unlock()
	inv, ok := f.inv[id]
	if !ok {
		f.t.Fatalf("fake btcpay: no invoice %s", id)
	}
	return *inv
}

func (f *BTCPay) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	s, tmpl, op := f.route(r.Method, r.URL.Path)
	if op == nil {
		f.t.Errorf("fake btcpay: %s %s is not a route of the Greenfield API", r.Method, r.URL.Path)
		writeJSON(w, http.StatusNotFound, map[string]any{"code": "not-found", "message": "no such route"})
		return
	}
	f.mu.Lock()
	f.counts[r.Method+" "+tmpl]++
	f.mu.Unlock()
	if code, msg := f.authorize(r, op); code != 0 {
		writeJSON(w, code, msg)
		return
	}
	if problems := f.checkBody(s, op, body); len(problems) > 0 {
		f.t.Errorf("fake btcpay: %s %s: the request does not fit the API description (%s): %s", r.Method, tmpl, s.version, strings.Join(problems, "; "))
		var list []map[string]string
		for _, p := range problems {
			list = append(list, map[string]string{"path": "", "message": p})
		}
		writeJSON(w, http.StatusBadRequest, list)
		return
	}
	status, out := f.handle(r, tmpl, body)
	if status == http.StatusOK && out != nil {
		f.checkAnswer(s, op, tmpl, out)
	}
	writeJSON(w, status, out)
}

// route finds the operation in the newest description that has it.
func (f *BTCPay) route(method, path string) (*spec, string, map[string]any) {
	for _, s := range f.specs {
		if tmpl, op, ok := s.route(method, path); ok {
			return s, tmpl, op
		}
	}
	return nil, "", nil
}

func (f *BTCPay) authorize(r *http.Request, op map[string]any) (int, any) {
	auth := r.Header.Get("Authorization")
	if auth != "token "+f.APIKey {
		return http.StatusUnauthorized, map[string]any{"code": "unauthenticated", "message": "Authentication is required for accessing this endpoint"}
	}
	if strings.Contains(r.URL.Path, "/stores/") && !strings.Contains(r.URL.Path, "/stores/"+f.StoreID+"/") && !strings.HasSuffix(r.URL.Path, "/stores/"+f.StoreID) {
		return http.StatusForbidden, map[string]any{"code": "missing-permission", "message": "store not found or not yours", "missingPermission": "btcpay.store.canviewstoresettings"}
	}
	if r.Method == http.MethodGet && r.URL.Path == "/api/v1/api-keys/current" {
		// Any key may read itself: BTCPay's controller only requires an
		// API key here, whatever the description's security list says.
		return 0, nil
	}
	f.mu.Lock()
	perms := append([]string(nil), f.perms...)
	f.mu.Unlock()
	for _, need := range permissions(op) {
		if !granted(perms, need, f.StoreID) {
			return http.StatusForbidden, map[string]any{"code": "missing-permission", "message": "Insufficient API Permissions. Please use an API key with permission: " + need, "missingPermission": need}
		}
	}
	return 0, nil
}

// granted knows BTCPay's policy hierarchy as far as invoices go.
func granted(perms []string, need, store string) bool {
	for _, p := range perms {
		name, scope, scoped := strings.Cut(p, ":")
		if scoped && scope != store {
			continue
		}
		switch name {
		case need, "unrestricted", "btcpay.store.canmodifystoresettings":
			return true
		case "btcpay.store.canmodifyinvoices":
			if need == "btcpay.store.canviewinvoices" || need == "btcpay.store.cancreateinvoice" {
				return true
			}
		}
	}
	return false
}

func (f *BTCPay) checkBody(s *spec, op map[string]any, body []byte) []string {
	schema := requestSchema(op)
	if schema == nil || len(bytes.TrimSpace(body)) == 0 {
		if schema != nil && dig(op, "requestBody", "required") == true {
			return []string{"the request has no body"}
		}
		return nil
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return []string{"the body is not JSON: " + err.Error()}
	}
	return s.validate(schema, v, "body")
}

// checkAnswer holds the fake to the same description as the client.
func (f *BTCPay) checkAnswer(s *spec, op map[string]any, tmpl string, out any) {
	schema := responseSchema(op, "200")
	if schema == nil {
		return
	}
	raw, _ := json.Marshal(out)
	var v any
	json.Unmarshal(raw, &v)
	if problems := s.validate(schema, v, "answer"); len(problems) > 0 {
		f.t.Errorf("fake btcpay: its answer to %s does not fit the API description: %s", tmpl, strings.Join(problems, "; "))
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if v != nil {
		json.NewEncoder(w).Encode(v)
	}
}

// handle answers one call of the Greenfield API: the store's routes,
// then the routes of one invoice.
func (f *BTCPay) handle(r *http.Request, tmpl string, body []byte) (int, any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if status, out, ok := f.handleStore(r, tmpl, body); ok {
		return status, out
	}
	return f.handleInvoice(r, tmpl)
}

// handleStore answers the routes that name no invoice; ok is false for
// the others. f.mu is held.
func (f *BTCPay) handleStore(r *http.Request, tmpl string, body []byte) (status int, out any, ok bool) {
	switch r.Method + " " + tmpl {
	case "GET /api/v1/api-keys/current":
		return http.StatusOK, map[string]any{"apiKey": f.APIKey, "label": "recap", "permissions": f.perms}, true
	case "POST /api/v1/stores/{storeId}/invoices":
		status, out = f.create(body)
		return status, out, true
	case "GET /api/v1/stores/{storeId}/invoices":
		list := []any{}
		for _, id := range f.order {
			if oid := r.URL.Query().Get("orderId"); oid == "" || f.inv[id].Metadata["orderId"] == oid {
				list = append(list, f.invoiceData(f.inv[id]))
			}
		}
		return http.StatusOK, list, true
	}
	return 0, nil, false
}

// handleInvoice answers the routes of the invoice named in the path.
// f.mu is held.
func (f *BTCPay) handleInvoice(r *http.Request, tmpl string) (int, any) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	invoiceID := ""
	if len(parts) >= 6 && parts[2] == "stores" && parts[4] == "invoices" {
		invoiceID = parts[5]
	}
	inv, ok := f.inv[invoiceID]
	if !ok {
		return http.StatusNotFound, map[string]any{"code": "invoice-not-found", "message": "The invoice could not be found"}
	}
	if r.Method == http.MethodGet && f.fail > 0 {
		f.fail--
		return http.StatusServiceUnavailable, map[string]any{"code": "service-unavailable", "message": "try again"}
	}
	f.expireIfDue(inv)
	switch r.Method + " " + tmpl {
	case "GET /api/v1/stores/{storeId}/invoices/{invoiceId}":
		return http.StatusOK, f.invoiceData(inv)
	case "GET /api/v1/stores/{storeId}/invoices/{invoiceId}/payment-methods":
		return http.StatusOK, []any{f.paymentMethod(inv)}
	case "POST /api/v1/stores/{storeId}/invoices/{invoiceId}/payment-methods/{paymentMethodId}/activate":
		return http.StatusOK, nil
	}
	f.t.Errorf("fake btcpay: %s %s is in the API but not in the fake", r.Method, tmpl)
	return http.StatusNotImplemented, map[string]any{"code": "not-implemented", "message": tmpl}
}

func (f *BTCPay) create(body []byte) (int, any) {
	var req struct {
		Amount   *string        `json:"amount"`
		Currency string         `json:"currency"`
		Metadata map[string]any `json:"metadata"`
		Checkout map[string]any `json:"checkout"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return http.StatusBadRequest, []map[string]string{{"path": "", "message": err.Error()}}
	}
	if req.Amount == nil {
		return http.StatusBadRequest, []map[string]string{{"path": "amount", "message": "a top-up invoice cannot be paid by Lightning"}}
	}
	if n, err := strconv.ParseFloat(*req.Amount, 64); err != nil || n <= 0 {
		return http.StatusBadRequest, []map[string]string{{"path": "amount", "message": "The amount should be more than 0"}}
	}
	minutes := 15.0
	if m, ok := req.Checkout["expirationMinutes"].(float64); ok {
		if m < 0.5 {
			return http.StatusBadRequest, []map[string]string{{"path": "checkout.expirationMinutes", "message": "at least 30 seconds"}}
		}
		minutes = m
	}
	if pms, ok := req.Checkout["paymentMethods"].([]any); ok {
		for _, pm := range pms {
			if pm != "BTC-LN" && pm != "BTC-CHAIN" && pm != "BTC-LNURL" {
				return http.StatusBadRequest, []map[string]string{{"path": "checkout.paymentMethods", "message": fmt.Sprintf("invalid payment method %v", pm)}}
			}
		}
	}
	now := f.now()
	inv := &Invoice{
		ID: randomID(22), Amount: *req.Amount, Currency: req.Currency, Metadata: req.Metadata, Checkout: req.Checkout,
		Status: "New", AdditionalStatus: "None", Created: now, Expires: now.Add(time.Duration(minutes * float64(time.Minute))),
	}
	inv.BOLT11 = "lnbcrt" + strings.TrimSuffix(inv.Amount, ".00") + "n1p" + strings.ToLower(randomID(40))
	f.inv[inv.ID] = inv
	f.order = append(f.order, inv.ID)
	return http.StatusOK, f.invoiceData(inv)
}

// expireIfDue expires a New invoice whose time is up, as BTCPay's
// watcher would.
func (f *BTCPay) expireIfDue(inv *Invoice) {
	if inv.Status == "New" && !f.now().Before(inv.Expires) {
		inv.Status = "Expired"
		if inv.Paid > 0 {
			inv.AdditionalStatus = "PaidPartial"
		}
	}
}

func (f *BTCPay) invoiceData(inv *Invoice) map[string]any {
	return map[string]any{
		"id": inv.ID, "storeId": f.StoreID, "amount": inv.Amount, "paidAmount": strconv.FormatInt(inv.Paid, 10),
		"currency": inv.Currency, "type": "Standard", "checkoutLink": f.URL + "/i/" + inv.ID,
		"createdTime": inv.Created.Unix(), "expirationTime": inv.Expires.Unix(), "monitoringExpiration": inv.Expires.Add(24 * time.Hour).Unix(),
		"status": inv.Status, "additionalStatus": inv.AdditionalStatus, "archived": false,
		"availableStatusesForManualMarking": []string{}, "metadata": inv.Metadata, "checkout": inv.Checkout,
	}
}

func (f *BTCPay) paymentMethod(inv *Invoice) map[string]any {
	amount, _ := strconv.ParseInt(inv.Amount, 10, 64)
	btc := func(sats int64) string { return strconv.FormatFloat(float64(sats)/1e8, 'f', 8, 64) }
	return map[string]any{
		"paymentMethodId": "BTC-LN", "currency": "BTC", "destination": inv.BOLT11, "paymentLink": "lightning:" + strings.ToLower(inv.BOLT11),
		"rate": "1", "paymentMethodPaid": btc(inv.Paid), "totalPaid": btc(inv.Paid), "due": btc(amount - inv.Paid),
		"amount": btc(amount), "paymentMethodFee": "0", "payments": []any{}, "activated": true, "additionalData": map[string]any{},
	}
}
