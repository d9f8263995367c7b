package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/billing"
	"github.com/recap-startos/recap/pkg/billing/billingtest"
	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/credits"
	"github.com/recap-startos/recap/pkg/store"
)

// billEnv is the multi-mode server selling through a fake BTCPay and a
// fake Zaprite, reachable over a real loopback listener so the fakes'
// webhooks arrive through the route table.
type billEnv struct {
	*multiEnv
	srv *Server // the server with payments (multiEnv.srv has none)
	ts  *httptest.Server
	btc *billingtest.BTCPay
	zap *billingtest.Zaprite
	svc *billing.Service
}

func billPolicy() credits.Policy {
	return credits.Policy{Tiers: map[string]credits.Plan{
		credits.TierCore: {Credits: 20, MaxHours: 2, MaxWaiting: 3},
		credits.TierPro:  {Credits: 200, MaxHours: 6, LLM: true, MaxWaiting: 10},
		credits.TierMax:  {Credits: 1000, MaxHours: 6, LLM: true, MaxWaiting: 20},
	}, Period: 30 * 24 * time.Hour, TrialCredits: 3, TrialsPerBucket: 10}
}

func newBillEnv(t *testing.T) *billEnv {
	t.Helper()
	e := &billEnv{multiEnv: newMultiEnvPolicy(t, true, billPolicy(), nil)}
	e.btc, e.zap = billingtest.NewBTCPay(t), billingtest.NewZaprite(t)
	pay := config.Payments{
		BTCPay:   config.BTCPay{URL: e.btc.URL, APIKey: e.btc.APIKey, StoreID: e.btc.StoreID, WebhookSecret: e.btc.WebhookSecret},
		Zaprite:  config.Zaprite{URL: e.zap.URL, APIKey: e.zap.APIKey},
		Currency: "USD",
		Pro:      config.Price{Sats: 20000, Fiat: 900},
		Max:      config.Price{Sats: 80000, Fiat: 3600},
		Packs:    []config.Pack{{ID: "credits-100", Credits: 100, Sats: 10000, Fiat: 500}},
	}
	svc, err := billing.New(billing.Options{Store: e.st, Ledger: e.credits, Payments: pay,
		PublicURL: "http://127.0.0.1:9", Mail: e.accounts, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	e.srv, err = New(Options{Version: "test", Jobs: e.jobs, Dev: true, MaxUpload: 1 << 20, Log: quiet,
		Multi: &Multi{Accounts: e.accounts, Store: e.st, Library: e.lib, Credits: e.credits, Billing: svc}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.srv.Close)
	e.ts = httptest.NewServer(e.srv)
	t.Cleanup(e.ts.Close)
	e.btc.SetWebhook(e.ts.URL + "/webhooks/btcpay")
	e.zap.SetWebhook(e.ts.URL + "/webhooks/zaprite")
	return e
}

// do sends a request to the server with payments.
func (e *billEnv) do(t testing.TB, r mreq) *httptest.ResponseRecorder {
	t.Helper()
	saved := e.multiEnv.srv
	e.multiEnv.srv = e.srv
	defer func() { e.multiEnv.srv = saved }()
	return e.multiEnv.do(t, r)
}

func (e *billEnv) checkout(t *testing.T, cookie, body string, header map[string]string) (checkoutJSON, *httptest.ResponseRecorder) {
	t.Helper()
	w := e.do(t, mreq{method: "POST", path: "/api/billing/checkout", ctype: "application/json", cookie: cookie, body: body, header: header})
	var out checkoutJSON
	if w.Code == http.StatusCreated {
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
			t.Fatal(err)
		}
	}
	return out, w
}

func (e *billEnv) orderJSON(t *testing.T, id string) orderJSON {
	t.Helper()
	w := e.do(t, mreq{method: "GET", path: "/api/billing/orders/" + id})
	if w.Code != http.StatusOK {
		t.Fatalf("order %s: %d %s", id, w.Code, w.Body)
	}
	var o orderJSON
	if err := json.Unmarshal(w.Body.Bytes(), &o); err != nil {
		t.Fatal(err)
	}
	return o
}

// pay pays an order's invoice at the fake BTCPay and delivers its
// webhooks to the server.
func (e *billEnv) pay(t *testing.T, orderID string) {
	t.Helper()
	o, err := e.svc.Order(context.Background(), orderID)
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range e.btc.Send(e.btc.Pay(o.ProviderRef)...) {
		if code != http.StatusOK {
			t.Fatalf("webhook answered %d", code)
		}
	}
}

func TestPricingPage(t *testing.T) {
	t.Parallel()
	e := newBillEnv(t)
	w := e.do(t, mreq{method: "GET", path: "/pricing"})
	body := w.Body.String()
	if w.Code != http.StatusOK {
		t.Fatalf("pricing: %d %s", w.Code, body)
	}
	for _, want := range []string{`id="plan-core"`, `id="plan-pro"`, `id="plan-max"`, "20,000 sats or 9.00 USD for 30 days",
		"80,000 sats or 36.00 USD", "<strong>200</strong> credits every 30 days", "Media up to 6 hours long",
		`id="buy-pro-lightning"`, `id="buy-max-card"`, `id="email-pro"`, `id="pack-credits-100"`, "10,000 sats or 5.00 USD",
		"Max bought during Pro starts at once"} {
		if !strings.Contains(body, want) {
			t.Errorf("pricing page lacks %q", want)
		}
	}
	if strings.Contains(body, `id="buy-credits-100"`) || strings.Contains(body, `id="not-offered"`) {
		t.Errorf("an anonymous visitor without a trial is offered a pack, or told nothing is sold")
	}

	cookie := e.signIn(t, "ada@example.org", 1)
	body = e.do(t, mreq{method: "GET", path: "/pricing", cookie: cookie}).Body.String()
	for _, want := range []string{"You are on Core, with 20 credits left.", `id="buy-credits-100-lightning"`} {
		if !strings.Contains(body, want) {
			t.Errorf("signed-in pricing page lacks %q", want)
		}
	}
	if strings.Contains(body, `id="email-pro"`) {
		t.Errorf("a signed-in buyer is asked for an address")
	}

	// Without providers nothing is sold, and the page says so.
	plain := newMultiEnvPolicy(t, true, billPolicy(), nil)
	body = plain.do(t, mreq{method: "GET", path: "/pricing"}).Body.String()
	if !strings.Contains(body, "Purchases are not offered on this Recap") || strings.Contains(body, "<form method=\"post\" action=\"/billing/checkout\"") {
		t.Fatalf("pricing without providers:\n%s", body)
	}
	w = plain.do(t, mreq{method: "POST", path: "/api/billing/checkout", ctype: "application/json", body: `{"plan":"pro","method":"lightning","email":"x@example.org"}`})
	if w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "not_offered") {
		t.Fatalf("checkout without providers: %d %s", w.Code, w.Body)
	}
}

func TestCheckoutAPI(t *testing.T) {
	t.Parallel()
	e := newBillEnv(t)
	cookie := e.signIn(t, "ada@example.org", 1)

	for _, c := range []struct {
		name, cookie, body string
		header             map[string]string
		status             int
		code               string
	}{
		{"unknown plan", cookie, `{"plan":"gold","method":"lightning"}`, nil, 400, "unknown_plan"},
		{"unknown method", cookie, `{"plan":"pro","method":"cash"}`, nil, 400, "bad_method"},
		{"unknown field", cookie, `{"plan":"pro","method":"card","price":1}`, nil, 400, "bad_json"},
		{"not JSON", cookie, `plan=pro`, nil, 400, "bad_json"},
		{"anonymous without an address", "", `{"plan":"pro","method":"lightning"}`, nil, 400, "bad_buyer"},
		{"anonymous pack without a trial", "", `{"plan":"credits-100","method":"lightning"}`, nil, 400, "bad_buyer"},
		{"anonymous with a bad address", "", `{"plan":"pro","method":"lightning","email":"not an address"}`, nil, 400, "bad_buyer"},
		{"from another site", cookie, `{"plan":"pro","method":"lightning"}`, map[string]string{"Sec-Fetch-Site": "cross-site"}, 403, "cross_origin"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, w := e.checkout(t, c.cookie, c.body, c.header)
			var answer struct{ Error httpError }
			if w.Code != c.status || json.Unmarshal(w.Body.Bytes(), &answer) != nil || answer.Error.Code != c.code {
				t.Fatalf("%d %s, want %d %s", w.Code, w.Body, c.status, c.code)
			}
		})
	}
	if n := len(e.btc.Invoices()); n != 0 {
		t.Fatalf("refused checkouts made %d invoices", n)
	}

	ln, w := e.checkout(t, cookie, `{"plan":"pro","method":"lightning"}`, nil)
	if w.Code != http.StatusCreated || ln.Status != billing.StatusOpen || ln.Lightning == nil || !strings.HasPrefix(ln.Lightning.BOLT11, "ln") ||
		ln.Lightning.Sats != 20000 || ln.Lightning.ExpiresAt.IsZero() || ln.QRURL != "/billing/orders/"+ln.OrderID+"/qr.png" || ln.CheckoutURL != "" {
		t.Fatalf("lightning checkout: %d %s", w.Code, w.Body)
	}
	again, _ := e.checkout(t, cookie, `{"plan":"pro","method":"lightning"}`, nil)
	if again.OrderID != ln.OrderID || len(e.btc.Invoices()) != 1 {
		t.Fatalf("a double click made order %s after %s (%d invoices)", again.OrderID, ln.OrderID, len(e.btc.Invoices()))
	}
	qr := e.do(t, mreq{method: "GET", path: ln.QRURL})
	if qr.Code != http.StatusOK || qr.Header().Get("Content-Type") != "image/png" {
		t.Fatalf("QR: %d %v", qr.Code, qr.Header())
	}
	if got := decodeQR(t, qr.Body.Bytes()); !strings.EqualFold(got, "lightning:"+ln.Lightning.BOLT11) {
		t.Fatalf("QR reads %q, want the invoice %q", got, ln.Lightning.BOLT11)
	}

	card, w := e.checkout(t, cookie, `{"plan":"max","method":"card"}`, nil)
	u, err := url.Parse(card.CheckoutURL)
	zu, _ := url.Parse(e.zap.URL)
	if w.Code != http.StatusCreated || err != nil || u.Host != zu.Host || card.Lightning != nil || card.QRURL != "" {
		t.Fatalf("card checkout: %d %s", w.Code, w.Body)
	}

	anon, w := e.checkout(t, "", `{"plan":"pro","method":"lightning","email":"bo@example.org"}`, nil)
	if w.Code != http.StatusCreated || anon.OrderID == ln.OrderID {
		t.Fatalf("anonymous checkout: %d %s", w.Code, w.Body)
	}
}

// TestOrderFollowsPayment: a Lightning order's page and API show it
// open, then paid once BTCPay's webhook came, with the period's end; the
// page reads right without JavaScript.
func TestOrderFollowsPayment(t *testing.T) {
	t.Parallel()
	e := newBillEnv(t)
	cookie := e.signIn(t, "ada@example.org", 1)
	ln, _ := e.checkout(t, cookie, `{"plan":"pro","method":"lightning"}`, nil)

	w := e.do(t, mreq{method: "GET", path: "/billing/orders/" + ln.OrderID})
	if csp := w.Header().Get("Content-Security-Policy"); csp != contentSecurityPolicy {
		t.Fatalf("order page CSP %q, want the site's %q", csp, contentSecurityPolicy)
	}
	page := w.Body.String()
	if strings.Contains(page, "<script>") || strings.Contains(page, " style=") || strings.Contains(page, "onclick") {
		t.Fatalf("the order page has inline script or style, which the CSP blocks")
	}
	for _, want := range []string{"Pro — 30 days", "Waiting for the payment.", `src="/billing/orders/` + ln.OrderID + `/qr.png"`,
		`href="lightning:` + strings.ToLower(ln.Lightning.BOLT11) + `"`, ">" + ln.Lightning.BOLT11 + "</textarea>", "20,000 sats", `id="countdown"`} {
		if !strings.Contains(page, want) {
			t.Errorf("open order page lacks %q", want)
		}
	}
	if o := e.orderJSON(t, ln.OrderID); o.Status != billing.StatusOpen || !o.Payable || o.Final || o.Message != "Waiting for the payment." {
		t.Fatalf("open order: %+v", o)
	}

	e.pay(t, ln.OrderID)
	b, err := e.credits.Balance(context.Background(), e.userID(t, "ada@example.org"))
	if err != nil || b.Tier != credits.TierPro {
		t.Fatalf("after paying: %+v %v", b, err)
	}
	want := "Paid — Pro until " + b.TierExpiresAt.UTC().Format("2006-01-02")
	o := e.orderJSON(t, ln.OrderID)
	if o.Status != billing.StatusPaid || o.Message != want || o.Payable || !o.Final || o.Tone != "ok" || o.PeriodEnd.IsZero() {
		t.Fatalf("paid order: %+v, want %q", o, want)
	}
	page = e.do(t, mreq{method: "GET", path: "/billing/orders/" + ln.OrderID}).Body.String()
	if !strings.Contains(page, want) || !strings.Contains(page, `id="lightning" class="lightning" hidden`) {
		t.Fatalf("paid order page without the message %q or with the invoice shown:\n%s", want, page)
	}
	if strings.Contains(page, "ada@example.org") {
		t.Fatalf("the order page shows the buyer")
	}
}

func (e *billEnv) userID(t *testing.T, email string) string {
	t.Helper()
	u, err := e.st.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func TestOrderExpiredAndUnknown(t *testing.T) {
	t.Parallel()
	e := newBillEnv(t)
	ln, _ := e.checkout(t, "", `{"plan":"max","method":"lightning","email":"cy@example.org"}`, nil)
	o, err := e.svc.Order(context.Background(), ln.OrderID)
	if err != nil {
		t.Fatal(err)
	}
	e.btc.Send(e.btc.Expire(o.ProviderRef)...)
	got := e.orderJSON(t, ln.OrderID)
	if got.Status != billing.StatusExpired || !strings.Contains(got.Message, "expired before it was paid") || got.Payable || got.Tone != "problem" {
		t.Fatalf("expired order: %+v", got)
	}
	page := e.do(t, mreq{method: "GET", path: "/billing/orders/" + ln.OrderID}).Body.String()
	if !strings.Contains(page, "The invoice expired before it was paid. Nothing was charged.") {
		t.Fatalf("expired order page:\n%s", page)
	}
	for _, p := range []string{"/billing/orders/ord_00000000000000000000000000000000", "/billing/orders/../admin",
		"/api/billing/orders/nope", "/billing/orders/ord_00000000000000000000000000000000/qr.png"} {
		if w := e.do(t, mreq{method: "GET", path: p}); w.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, w.Code)
		}
	}
}

// TestCheckoutForm: the pricing page's form opens a Lightning order's
// page, sends a card order on to Zaprite, and shows a refusal on the
// pricing page.
func TestCheckoutForm(t *testing.T) {
	t.Parallel()
	e := newBillEnv(t)
	w := e.do(t, mreq{method: "POST", path: "/billing/checkout", ctype: formType, body: form("plan", "pro", "method", "lightning", "email", "di@example.org")})
	loc := w.Header().Get("Location")
	if w.Code != http.StatusSeeOther || !orderIDPattern.MatchString(strings.TrimPrefix(loc, "/billing/orders/")) {
		t.Fatalf("lightning form: %d %q", w.Code, loc)
	}
	w = e.do(t, mreq{method: "POST", path: "/billing/checkout", ctype: formType, body: form("plan", "pro", "method", "card", "email", "di@example.org")})
	if u, err := url.Parse(w.Header().Get("Location")); w.Code != http.StatusSeeOther || err != nil || !strings.HasPrefix(e.zap.URL, u.Scheme+"://"+u.Host) {
		t.Fatalf("card form: %d %q", w.Code, w.Header().Get("Location"))
	}
	w = e.do(t, mreq{method: "POST", path: "/billing/checkout", ctype: formType, body: form("plan", "pro", "method", "lightning")})
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `id="checkout-error"`) || !strings.Contains(w.Body.String(), `id="plan-pro"`) {
		t.Fatalf("refused form: %d %s", w.Code, w.Body)
	}
	w = e.do(t, mreq{method: "POST", path: "/billing/checkout", ctype: formType, body: form("plan", "pro", "method", "lightning", "email", "di@example.org"),
		header: map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}})
	if w.Code != http.StatusForbidden {
		t.Fatalf("cross-site form: %d", w.Code)
	}
}

// TestTrialBuysPack: an anonymous trial holder buys a credit pack; the
// credits land on the trial.
func TestTrialBuysPack(t *testing.T) {
	t.Parallel()
	e := newBillEnv(t)
	cookie, trial, err := e.credits.MintTrial(context.Background(), credits.TrialClient{Addr: netip.MustParseAddr("127.0.0.1")})
	if err != nil {
		t.Fatal(err)
	}
	page := e.do(t, mreq{method: "GET", path: "/pricing", header: map[string]string{"Cookie": TrialCookieName + "=" + cookie}}).Body.String()
	if !strings.Contains(page, `id="buy-credits-100-lightning"`) {
		t.Fatalf("a trial holder is not offered packs")
	}
	ln, w := e.checkout(t, "", `{"plan":"credits-100","method":"lightning"}`, map[string]string{"Cookie": TrialCookieName + "=" + cookie})
	if w.Code != http.StatusCreated {
		t.Fatalf("trial checkout: %d %s", w.Code, w.Body)
	}
	e.pay(t, ln.OrderID)
	if o := e.orderJSON(t, ln.OrderID); o.Status != billing.StatusPaid || o.Message != "Paid — 100 credits added to this browser's trial" {
		t.Fatalf("paid pack: %+v", o)
	}
	after, err := e.credits.TrialByCookie(context.Background(), cookie)
	if err != nil || after.Left() != trial.Left()+100 {
		t.Fatalf("trial after the pack: %+v %v (before %+v)", after, err, trial)
	}
}

// TestAdminOrders: the admin lists orders by status, the user's page
// shows the paid period; others do not see the list.
func TestAdminOrders(t *testing.T) {
	t.Parallel()
	e := newBillEnv(t)
	admin := e.signIn(t, adminEmail, 1)
	ada := e.signIn(t, "ada@example.org", 2)
	paid, _ := e.checkout(t, ada, `{"plan":"pro","method":"lightning"}`, nil)
	e.pay(t, paid.OrderID)
	open, _ := e.checkout(t, "", `{"plan":"max","method":"card","email":"eve@example.org"}`, nil)

	list := func(q string) string {
		t.Helper()
		w := e.do(t, mreq{method: "GET", path: "/admin/orders" + q, cookie: admin})
		if w.Code != http.StatusOK {
			t.Fatalf("orders%s: %d %s", q, w.Code, w.Body)
		}
		return w.Body.String()
	}
	all := list("")
	settled := list("?status=settled")
	opened := list("?status=open")
	expired := list("?status=expired")
	switch {
	case !strings.Contains(all, paid.OrderID) || !strings.Contains(all, open.OrderID):
		t.Fatalf("all orders:\n%s", all)
	case !strings.Contains(settled, paid.OrderID) || strings.Contains(settled, open.OrderID) || !strings.Contains(settled, "ada@example.org") ||
		!strings.Contains(settled, "20,000 sats") || !strings.Contains(settled, "btcpay"):
		t.Fatalf("settled orders:\n%s", settled)
	case !strings.Contains(opened, open.OrderID) || strings.Contains(opened, paid.OrderID) || !strings.Contains(opened, "eve@example.org") || !strings.Contains(opened, "36.00 USD"):
		t.Fatalf("open orders:\n%s", opened)
	case !strings.Contains(expired, `id="no-orders"`):
		t.Fatalf("expired orders:\n%s", expired)
	}
	if w := e.do(t, mreq{method: "GET", path: "/admin/orders?status=lost", cookie: admin}); w.Code != http.StatusBadRequest {
		t.Fatalf("bad filter: %d", w.Code)
	}
	if w := e.do(t, mreq{method: "GET", path: "/admin/orders", cookie: ada}); w.Code != http.StatusNotFound {
		t.Fatalf("orders for a non-admin: %d", w.Code)
	}
	user := e.do(t, mreq{method: "GET", path: "/admin/users/" + e.userID(t, "ada@example.org"), cookie: admin}).Body.String()
	if !strings.Contains(user, `id="user-periods"`) || !strings.Contains(user, `<a href="/billing/orders/`+paid.OrderID+`">`) {
		t.Fatalf("user page without the period:\n%s", user)
	}
	pro, max, err := e.st.PaidUsers(context.Background(), time.Now())
	if err != nil || pro != 1 || max != 0 {
		t.Fatalf("paid users: %d pro, %d max, %v", pro, max, err)
	}
}

func TestOrderWordsAndMoney(t *testing.T) {
	t.Parallel()
	end := time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC)
	plan := billing.Offer{ID: "pro", Kind: billing.KindPlan, Tier: store.TierPro, Days: 30}
	for _, c := range []struct {
		name string
		o    billing.Order
		want string
	}{
		{"paid plan", billing.Order{Status: billing.StatusPaid, Offer: plan, Tier: store.TierPro, PeriodEnd: end}, "Paid — Pro until 2027-01-01"},
		{"pro paid during max", billing.Order{Status: billing.StatusPaid, Offer: plan, Tier: store.TierMax, PeriodEnd: end}, "Paid — Max until 2027-01-01"},
		{"paid pack", billing.Order{Status: billing.StatusPaid, Offer: billing.Offer{Kind: billing.KindPack, Credits: 250}, UserID: "u"}, "Paid — 250 credits added"},
		{"underpaid", billing.Order{Status: billing.StatusUnderpaid, Offer: plan}, "Less than the price arrived, so nothing was applied."},
		{"processing", billing.Order{Status: billing.StatusProcessing, Offer: plan}, "Payment received; waiting for it to be confirmed."},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got, _, _ := orderWords(c.o, false); got != c.want {
				t.Fatalf("%q, want %q", got, c.want)
			}
		})
	}
	for _, c := range []struct {
		amount int64
		cur    string
		want   string
	}{{21000, "SATS", "21,000 sats"}, {900, "USD", "9.00 USD"}, {123456, "eur", "1,234.56 EUR"}, {5, "USD", "0.05 USD"}, {1500, "JPY", "1,500 JPY"}} {
		if got := money(c.amount, c.cur); got != c.want {
			t.Errorf("money(%d, %s) = %q, want %q", c.amount, c.cur, got, c.want)
		}
	}
}

// TestCardReturn: a card buyer coming back from Zaprite before any
// webhook sees the real status, read from Zaprite by the order page.
func TestCardReturn(t *testing.T) {
	t.Parallel()
	e := newBillEnv(t)
	cookie := e.signIn(t, "ada@example.org", 1)
	card, w := e.checkout(t, cookie, `{"plan":"max","method":"card"}`, nil)
	if w.Code != http.StatusCreated {
		t.Fatalf("card checkout: %d %s", w.Code, w.Body)
	}
	page := e.do(t, mreq{method: "GET", path: "/billing/orders/" + card.OrderID}).Body.String()
	if !strings.Contains(page, "Waiting for the card payment.") || !strings.Contains(page, `id="continue-card"`) || strings.Contains(page, `id="qr"`) {
		t.Fatalf("open card order page:\n%s", page)
	}
	o, err := e.svc.Order(context.Background(), card.OrderID)
	if err != nil {
		t.Fatal(err)
	}
	e.zap.SetStatus(o.ProviderRef, "PAID") // the webhook is never sent
	time.Sleep(2100 * time.Millisecond)    // pkg/billing re-reads an order at most every 2 s
	page = e.do(t, mreq{method: "GET", path: "/billing/orders/" + card.OrderID}).Body.String()
	b, err := e.credits.Balance(context.Background(), e.userID(t, "ada@example.org"))
	if err != nil || b.Tier != credits.TierMax {
		t.Fatalf("after the card payment: %+v %v", b, err)
	}
	if want := "Paid — Max until " + b.TierExpiresAt.UTC().Format("2006-01-02"); !strings.Contains(page, want) || strings.Contains(page, `id="continue-card"`) {
		t.Fatalf("card order page after paying, want %q:\n%s", want, page)
	}
}
