package billing_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/auth"
	"github.com/recap-startos/recap/pkg/billing"
	"github.com/recap-startos/recap/pkg/billing/billingtest"
	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/credits"
	"github.com/recap-startos/recap/pkg/mail"
	"github.com/recap-startos/recap/pkg/mail/mailtest"
	"github.com/recap-startos/recap/pkg/store"
)

const day = 24 * time.Hour

// clock is a settable time source shared by the store, the ledger, the
// service and the fake BTCPay.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is one Recap's payments on a real SQLite file, with fake
// providers and a real SMTP server.
type env struct {
	t     testing.TB
	dir   string
	clk   *clock
	btc   *billingtest.BTCPay
	zap   *billingtest.Zaprite
	smtp  *mailtest.Server
	pay   config.Payments
	st    *store.Store
	led   *credits.Ledger
	acc   *auth.Accounts
	svc   *billing.Service
	hooks *httptest.Server
}

func policy() credits.Policy {
	return credits.Policy{Tiers: map[string]credits.Plan{
		credits.TierCore: {Credits: 10, MaxHours: 2, MaxWaiting: 3},
		credits.TierPro:  {Credits: 100, MaxHours: 6, LLM: true, MaxWaiting: 10},
		credits.TierMax:  {Credits: 500, MaxHours: 6, LLM: true, MaxWaiting: 20},
	}, Period: 30 * day, TrialCredits: 3, TrialsPerBucket: 10}
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir(), clk: &clock{t: time.Now().UTC().Truncate(time.Second)}}
	e.btc = billingtest.NewBTCPay(t)
	e.btc.SetNow(e.clk.now)
	e.zap = billingtest.NewZaprite(t)
	e.smtp = mailtest.Start(t, mailtest.Options{})
	e.pay = config.Payments{
		BTCPay:   config.BTCPay{URL: e.btc.URL, APIKey: e.btc.APIKey, StoreID: e.btc.StoreID, WebhookSecret: e.btc.WebhookSecret},
		Zaprite:  config.Zaprite{URL: e.zap.URL, APIKey: e.zap.APIKey},
		Currency: "USD",
		Pro:      config.Price{Sats: 20000, Fiat: 900},
		Max:      config.Price{Sats: 80000, Fiat: 3600},
		Packs:    []config.Pack{{ID: "credits-100", Credits: 100, Sats: 10000, Fiat: 500}},
	}
	e.st, e.led, e.acc, e.svc = e.open()
	e.hooks = httptest.NewServer(webhooks(e.svc))
	t.Cleanup(e.hooks.Close)
	e.btc.SetWebhook(e.hooks.URL + "/webhooks/btcpay")
	e.zap.SetWebhook(e.hooks.URL + "/webhooks/zaprite")
	return e
}

// open opens the data folder's database and a Service on it; a second
// call is a second server process on the same file.
func (e *env) open() (*store.Store, *credits.Ledger, *auth.Accounts, *billing.Service) {
	e.t.Helper()
	st, err := store.Open(context.Background(), e.dir, store.Options{Now: e.clk.now})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { st.Close() })
	led := credits.New(st, policy(), credits.Options{Now: e.clk.now})
	sender, err := mail.NewSMTP(e.smtp.Config())
	if err != nil {
		e.t.Fatal(err)
	}
	acc, err := auth.NewAccounts(auth.AccountsOptions{Store: st, Mail: sender, PublicURL: "https://recap.example.org", AdminEmail: "owner@example.org",
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(acc.Wait)
	svc, err := billing.New(billing.Options{Store: st, Ledger: led, Payments: e.pay, PublicURL: "https://recap.example.org", Mail: acc, Now: e.clk.now,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		e.t.Fatal(err)
	}
	return st, led, acc, svc
}

// webhooks answers like pkg/server's routes: 401 for a bad signature,
// 500 for our failures, 200 otherwise.
func webhooks(svc *billing.Service) http.Handler {
	mux := http.NewServeMux()
	answer := func(w http.ResponseWriter, err error) {
		switch {
		case errors.Is(err, billing.ErrBadSignature):
			w.WriteHeader(http.StatusUnauthorized)
		case err != nil:
			w.WriteHeader(http.StatusInternalServerError)
		}
	}
	mux.HandleFunc("POST /webhooks/btcpay", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(http.MaxBytesReader(w, r.Body, billing.MaxWebhookBody))
		answer(w, svc.BTCPayWebhook(r.Context(), body, r.Header.Get("BTCPay-Sig")))
	})
	mux.HandleFunc("POST /webhooks/zaprite", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(http.MaxBytesReader(w, r.Body, billing.MaxWebhookBody))
		answer(w, svc.ZapriteWebhook(r.Context(), body))
	})
	return mux
}

func (e *env) user(email string) string {
	e.t.Helper()
	u, err := e.st.CreateUser(context.Background(), store.NewUser{Email: email})
	if err != nil {
		e.t.Fatal(err)
	}
	return u.ID
}

func (e *env) checkout(b billing.Buyer, offer string, m billing.Method) billing.Order {
	e.t.Helper()
	o, err := e.svc.Checkout(context.Background(), b, offer, m)
	if err != nil {
		e.t.Fatalf("checkout %s by %s: %v", offer, m, err)
	}
	return o
}

func (e *env) order(id string) billing.Order {
	e.t.Helper()
	o, err := e.svc.Order(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

func (e *env) balance(userID string) credits.Balance {
	e.t.Helper()
	b, err := e.led.Balance(context.Background(), userID)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

func (e *env) count(query string, args ...any) int {
	e.t.Helper()
	var n int
	err := e.st.View(context.Background(), func(tx *sql.Tx) error { return tx.QueryRow(query, args...).Scan(&n) })
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) sendAll(ds []billingtest.Delivery) {
	e.t.Helper()
	for i, code := range e.btc.Send(ds...) {
		if code != http.StatusOK {
			e.t.Fatalf("webhook %s answered %d", ds[i].Type, code)
		}
	}
}

func TestOffersAndMethods(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	offers := e.svc.Offers()
	if len(offers) != 3 || offers[0].ID != "pro" || offers[1].ID != "max" || offers[2].ID != "credits-100" {
		t.Fatalf("offers = %+v", offers)
	}
	if offers[0].Credits != 100 || offers[0].Days != 30 || offers[0].Sats != 20000 || offers[0].Fiat != 900 || offers[0].Currency != "USD" {
		t.Fatalf("pro = %+v", offers[0])
	}
	if m := e.svc.Methods(); len(m) != 2 || m[0] != billing.Lightning || m[1] != billing.Card {
		t.Fatalf("methods = %v", m)
	}
	off, err := billing.New(billing.Options{Store: e.st, Ledger: e.led, Payments: config.Default().Payments})
	if err != nil {
		t.Fatal(err)
	}
	if off.Enabled() || len(off.Offers()) != 0 {
		t.Fatalf("no provider: %+v", off.Offers())
	}
	if _, err := off.Checkout(context.Background(), billing.Buyer{UserID: "x"}, "pro", billing.Lightning); !errors.Is(err, billing.ErrNotConfigured) {
		t.Fatalf("checkout without providers: %v", err)
	}
}

func TestCheckoutRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann := e.user("ann@example.org")
	ctx := context.Background()
	cases := []struct {
		name  string
		buyer billing.Buyer
		offer string
		m     billing.Method
		want  error
	}{
		{"unknown offer", billing.Buyer{UserID: ann}, "gold", billing.Lightning, billing.ErrUnknownOffer},
		{"unknown method", billing.Buyer{UserID: ann}, "pro", "cash", billing.ErrNotConfigured},
		{"nobody", billing.Buyer{}, "pro", billing.Lightning, billing.ErrBadBuyer},
		{"bad email", billing.Buyer{Email: "not an address"}, "pro", billing.Lightning, billing.ErrBadBuyer},
		{"pack by email", billing.Buyer{Email: "bob@example.org"}, "credits-100", billing.Lightning, billing.ErrBadBuyer},
		{"unknown trial", billing.Buyer{TrialID: "nope"}, "credits-100", billing.Lightning, billing.ErrBadBuyer},
		{"unknown user", billing.Buyer{UserID: "nope"}, "pro", billing.Card, billing.ErrBadBuyer},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := e.svc.Checkout(ctx, c.buyer, c.offer, c.m); !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
	if n := e.btc.Count("POST /api/v1/stores/{storeId}/invoices"); n != 0 {
		t.Fatalf("%d invoices created by refused checkouts", n)
	}
}

func TestLightningPackSettledByWebhook(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann := e.user("ann@example.org")
	before := e.balance(ann)
	o := e.checkout(billing.Buyer{UserID: ann}, "credits-100", billing.Lightning)
	if o.Status != billing.StatusOpen || o.Lightning == nil || o.Lightning.BOLT11 == "" || o.Lightning.Sats != 10000 || o.Amount != 10000 || o.Currency != "SATS" {
		t.Fatalf("order = %+v", o)
	}
	if o.Lightning.ExpiresAt.Sub(e.clk.now()) != 30*time.Minute {
		t.Fatalf("expires at %v", o.Lightning.ExpiresAt)
	}
	inv := e.btc.Invoice(o.ProviderRef)
	if inv.Metadata["orderId"] != o.ID || inv.Currency != "SATS" || inv.Amount != "10000" {
		t.Fatalf("invoice = %+v", inv)
	}
	if n := e.count(`SELECT count(*) FROM pending_purchases WHERE invoice_id = ? AND buyer_type = 'user' AND buyer_id = ? AND credits = 100 AND applied_at IS NULL`, o.ProviderRef, ann); n != 1 {
		t.Fatalf("pending_purchases rows = %d", n)
	}
	e.sendAll(e.btc.Pay(o.ProviderRef))
	got := e.order(o.ID)
	if got.Status != billing.StatusPaid || got.SettledAt.IsZero() || got.UserID != ann {
		t.Fatalf("after the webhook: %+v", got)
	}
	if b := e.balance(ann); b.Purchased != before.Purchased+100 || b.Tier != credits.TierCore {
		t.Fatalf("balance %+v, before %+v", b, before)
	}
	if n := e.count(`SELECT count(*) FROM credit_ledger WHERE user_id = ? AND kind = 'purchase' AND order_id = ? AND amount = 100`, ann, o.ID); n != 1 {
		t.Fatalf("purchase ledger rows = %d", n)
	}
	if n := e.count(`SELECT count(*) FROM pending_purchases WHERE invoice_id = ? AND applied_at IS NOT NULL`, o.ProviderRef); n != 1 {
		t.Fatal("pending_purchases not marked applied")
	}
}

func TestWebhookReplayedAppliesOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann := e.user("ann@example.org")
	o := e.checkout(billing.Buyer{UserID: ann}, "pro", billing.Lightning)
	ds := e.btc.Pay(o.ProviderRef)
	e.sendAll(ds)
	settled := ds[len(ds)-1]
	for i := 0; i < 100; i++ {
		d := settled
		if i%2 == 1 {
			d = e.btc.Redelivery(settled) // a new delivery id, the same event
		}
		e.sendAll([]billingtest.Delivery{d})
	}
	if n := e.count(`SELECT count(*) FROM subscriptions WHERE user_id = ?`, ann); n != 1 {
		t.Fatalf("%d subscriptions rows after 100 replays", n)
	}
	if n := e.count(`SELECT count(*) FROM credit_ledger WHERE user_id = ? AND kind = 'refill' AND order_id = ?`, ann, o.ID); n != 1 {
		t.Fatalf("%d allowance rows after 100 replays", n)
	}
	b := e.balance(ann)
	if b.Tier != credits.TierPro || b.Replenish != 100 || !b.TierExpiresAt.Equal(e.clk.now().Add(30*day)) {
		t.Fatalf("balance = %+v", b)
	}
}

func TestBadSignatureChangesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann := e.user("ann@example.org")
	o := e.checkout(billing.Buyer{UserID: ann}, "pro", billing.Lightning)
	ds := e.btc.Pay(o.ProviderRef)
	settled := ds[len(ds)-1]
	tampered := bytes.Replace(settled.Body, []byte(`"isRedelivery": false`), []byte(`"isRedelivery": true`), 1)
	cases := map[string]billingtest.Delivery{
		"no header":      {Type: settled.Type, Body: settled.Body, Sig: ""},
		"wrong secret":   {Type: settled.Type, Body: settled.Body, Sig: "sha256=" + "00ff" + settled.Sig[11:]},
		"not hex":        {Type: settled.Type, Body: settled.Body, Sig: "sha256=zz"},
		"other scheme":   {Type: settled.Type, Body: settled.Body, Sig: "sha1=" + settled.Sig[7:]},
		"body changed":   {Type: settled.Type, Body: tampered, Sig: settled.Sig},
		"reformatted":    {Type: settled.Type, Body: bytes.ReplaceAll(settled.Body, []byte("\n  "), []byte("")), Sig: settled.Sig},
		"truncated sig":  {Type: settled.Type, Body: settled.Body, Sig: settled.Sig[:40]},
		"upper-case hex": {Type: settled.Type, Body: settled.Body, Sig: "SHA256=" + settled.Sig[7:]},
	}
	for name, d := range cases {
		if code := e.btc.Send(d)[0]; code != http.StatusUnauthorized {
			t.Errorf("%s: answered %d", name, code)
		}
	}
	if got, err := e.st.UserByID(context.Background(), ann); err != nil || got.Tier != credits.TierCore {
		t.Fatalf("tier after forged webhooks: %+v %v", got, err)
	}
	if n := e.count(`SELECT count(*) FROM billing_orders WHERE applied_at IS NOT NULL`); n != 0 {
		t.Fatal("a forged webhook applied an order")
	}
}

func TestWebhookBeforeTheBuyerReturns(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann := e.user("ann@example.org")
	o := e.checkout(billing.Buyer{UserID: ann}, "max", billing.Lightning)
	e.sendAll(e.btc.Pay(o.ProviderRef))
	reads := e.btc.Count("GET /api/v1/stores/{storeId}/invoices/{invoiceId}")
	got := e.order(o.ID)
	if got.Status != billing.StatusPaid || got.Tier != credits.TierMax || !got.PeriodEnd.Equal(e.clk.now().Add(30*day)) {
		t.Fatalf("order page after the webhook: %+v", got)
	}
	if n := e.btc.Count("GET /api/v1/stores/{storeId}/invoices/{invoiceId}"); n != reads {
		t.Fatalf("a settled order was read from BTCPay again (%d → %d)", reads, n)
	}
}

func TestMissedWebhookSettledByReconciler(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann := e.user("ann@example.org")
	o := e.checkout(billing.Buyer{UserID: ann}, "credits-100", billing.Lightning)
	e.btc.Pay(o.ProviderRef) // the webhooks never arrive
	rep, err := e.svc.Reconcile(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.Checked != 1 || rep.Settled != 1 {
		t.Fatalf("report = %+v", rep)
	}
	if b := e.balance(ann); b.Purchased != 100 {
		t.Fatalf("purchased = %d", b.Purchased)
	}
	rep, err = e.svc.Reconcile(context.Background())
	if err != nil || rep.Checked != 0 {
		t.Fatalf("second pass: %+v %v", rep, err)
	}
}

func TestProviderDownDuringWebhook(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann := e.user("ann@example.org")
	o := e.checkout(billing.Buyer{UserID: ann}, "credits-100", billing.Lightning)
	ds := e.btc.Pay(o.ProviderRef)
	e.btc.FailNext(100)
	e.sendAll(ds) // 200: BTCPay must not pile up retries; the reconciler settles
	if got := e.order(o.ID); got.Status != billing.StatusOpen {
		t.Fatalf("status while BTCPay is down: %s", got.Status)
	}
	rep, err := e.svc.Reconcile(context.Background())
	if err != nil || rep.Failed != 1 || rep.Settled != 0 {
		t.Fatalf("reconcile while down: %+v %v", rep, err)
	}
	e.btc.FailNext(0)
	if rep, err := e.svc.Reconcile(context.Background()); err != nil || rep.Settled != 1 {
		t.Fatalf("reconcile after: %+v %v", rep, err)
	}
}

func TestLatePaymentHonoured(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann := e.user("ann@example.org")
	o := e.checkout(billing.Buyer{UserID: ann}, "pro", billing.Lightning)
	e.clk.add(31 * time.Minute)
	exp := e.btc.Expire(o.ProviderRef)
	e.sendAll(exp)
	if got := e.order(o.ID); got.Status != billing.StatusExpired {
		t.Fatalf("after expiry: %+v", got)
	}
	e.clk.add(2 * time.Hour)
	e.btc.PayLate(o.ProviderRef) // its webhooks are lost too
	if _, err := e.svc.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := e.order(o.ID)
	if got.Status != billing.StatusPaid || got.ProviderStatus != "Expired/PaidLate" || got.Note == "" {
		t.Fatalf("late payment: %+v", got)
	}
	if b := e.balance(ann); b.Tier != credits.TierPro || !b.TierExpiresAt.Equal(e.clk.now().Add(30*day)) {
		t.Fatalf("balance = %+v", b)
	}
}

func TestUnderpaidNotApplied(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann := e.user("ann@example.org")
	o := e.checkout(billing.Buyer{UserID: ann}, "credits-100", billing.Lightning)
	e.sendAll(e.btc.PayPart(o.ProviderRef, 4000))
	if got := e.order(o.ID); got.Status != billing.StatusOpen || got.Note == "" {
		t.Fatalf("partly paid: %+v", got)
	}
	e.clk.add(31 * time.Minute)
	e.sendAll(e.btc.Expire(o.ProviderRef))
	got := e.order(o.ID)
	if got.Status != billing.StatusUnderpaid || got.ProviderStatus != "Expired/PaidPartial" || !got.SettledAt.IsZero() {
		t.Fatalf("underpaid: %+v", got)
	}
	if b := e.balance(ann); b.Purchased != 0 {
		t.Fatalf("underpaid order gave %d credits", b.Purchased)
	}
	list, err := e.svc.Orders(context.Background(), billing.Filter{Status: "open"})
	if err != nil || len(list) != 1 || list[0].ID != o.ID {
		t.Fatalf("admin's open orders: %+v %v", list, err)
	}
}

func TestOverpaidAppliedOnceWithNote(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann := e.user("ann@example.org")
	o := e.checkout(billing.Buyer{UserID: ann}, "credits-100", billing.Lightning)
	e.sendAll(e.btc.Overpay(o.ProviderRef))
	got := e.order(o.ID)
	if got.Status != billing.StatusPaid || got.Note == "" {
		t.Fatalf("overpaid: %+v", got)
	}
	if b := e.balance(ann); b.Purchased != 100 {
		t.Fatalf("purchased = %d", b.Purchased)
	}
}

func TestDoubleClickGetsTheSameOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann := e.user("ann@example.org")
	var wg sync.WaitGroup
	ids := make([]string, 8)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o, err := e.svc.Checkout(context.Background(), billing.Buyer{UserID: ann}, "pro", billing.Lightning)
			if err != nil {
				t.Error(err)
				return
			}
			if o.Lightning == nil || o.Lightning.BOLT11 == "" {
				t.Errorf("order without its invoice: %+v", o)
			}
			ids[i] = o.ID
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("ids differ: %v", ids)
		}
	}
	if n := e.btc.Count("POST /api/v1/stores/{storeId}/invoices"); n != 1 {
		t.Fatalf("%d invoices for one buyer's double click", n)
	}
	// Another offer, method or buyer is another order.
	card := e.checkout(billing.Buyer{UserID: ann}, "pro", billing.Card)
	other := e.checkout(billing.Buyer{UserID: e.user("bob@example.org")}, "pro", billing.Lightning)
	if card.ID == ids[0] || other.ID == ids[0] {
		t.Fatal("a different method or buyer got the same order")
	}
	// Close to its expiry the invoice is not handed out again.
	e.clk.add(29 * time.Minute)
	if again := e.checkout(billing.Buyer{UserID: ann}, "pro", billing.Lightning); again.ID == ids[0] {
		t.Fatal("an invoice about to expire was reused")
	}
}

func TestTwoProcessesApplyOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, _, _, second := e.open()
	ann := e.user("ann@example.org")
	o := e.checkout(billing.Buyer{UserID: ann}, "credits-100", billing.Lightning)
	e.btc.Pay(o.ProviderRef)
	var wg sync.WaitGroup
	for i := 0; i < 12; i++ {
		svc := e.svc
		if i%2 == 1 {
			svc = second
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%3 == 0 {
				if _, err := svc.Reconcile(context.Background()); err != nil {
					t.Error(err)
				}
				return
			}
			if _, err := svc.Order(context.Background(), o.ID); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if b := e.balance(ann); b.Purchased != 100 {
		t.Fatalf("purchased = %d after concurrent appliers", b.Purchased)
	}
	if n := e.count(`SELECT count(*) FROM credit_ledger WHERE kind = 'purchase' AND order_id = ?`, o.ID); n != 1 {
		t.Fatalf("%d purchase rows", n)
	}
}

func TestAnonymousPlanMakesOneAccountAndOneMail(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	o := e.checkout(billing.Buyer{Email: "  Carol@Example.org "}, "pro", billing.Lightning)
	if o.Buyer.Email != "carol@example.org" {
		t.Fatalf("buyer = %+v", o.Buyer)
	}
	if n := e.count(`SELECT count(*) FROM pending_signups WHERE invoice_id = ? AND email = 'carol@example.org' AND policy_slug = 'pro' AND applied_at IS NULL`, o.ProviderRef); n != 1 {
		t.Fatal("no pending_signups row")
	}
	if _, err := e.st.UserByEmail(context.Background(), "carol@example.org"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("account made before payment: %v", err)
	}
	ds := e.btc.Pay(o.ProviderRef)
	_, _, acc2, second := e.open()
	var wg sync.WaitGroup
	for i := 0; i < 5; i++ {
		wg.Add(3)
		go func() { defer wg.Done(); e.btc.Send(ds...) }()
		go func() { defer wg.Done(); second.Reconcile(context.Background()) }()
		go func() { defer wg.Done(); e.svc.Order(context.Background(), o.ID) }()
	}
	wg.Wait()
	e.acc.Wait()
	acc2.Wait()
	u, err := e.st.UserByEmail(context.Background(), "carol@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if n := e.count(`SELECT count(*) FROM users WHERE email_key = ?`, store.EmailKey("carol@example.org")); n != 1 {
		t.Fatalf("%d accounts", n)
	}
	if b := e.balance(u.ID); b.Tier != credits.TierPro || b.Replenish != 100 {
		t.Fatalf("balance = %+v", b)
	}
	if got := e.order(o.ID); got.UserID != u.ID || got.Status != billing.StatusPaid {
		t.Fatalf("order = %+v", got)
	}
	m := e.smtp.Wait(t, 1)
	if m.Rcpts[0] != "carol@example.org" {
		t.Fatalf("mail to %v", m.Rcpts)
	}
	m.Link(t)
	time.Sleep(200 * time.Millisecond)
	if n := len(e.smtp.Messages()); n != 1 {
		t.Fatalf("%d mails sent", n)
	}
	if n := e.count(`SELECT count(*) FROM mail_outbox`); n != 0 {
		t.Fatalf("%d mails left in the outbox", n)
	}
	if n := e.count(`SELECT count(*) FROM pending_signups WHERE applied_at IS NOT NULL`); n != 1 {
		t.Fatal("pending_signups not marked applied")
	}
}

func TestRenewalsAndPlanChanges(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann := e.user("ann@example.org")
	buy := func(offer string) billing.Order {
		t.Helper()
		o := e.checkout(billing.Buyer{UserID: ann}, offer, billing.Lightning)
		e.sendAll(e.btc.Pay(o.ProviderRef))
		return e.order(o.ID)
	}
	start := e.clk.now()
	first := buy("pro")
	if !first.PeriodEnd.Equal(start.Add(30 * day)) {
		t.Fatalf("first period ends %v", first.PeriodEnd)
	}
	e.clk.add(10 * day)
	e.led.Reserve(context.Background(), ann, "job1", 40) // spend some of the allowance
	second := buy("pro")
	if !second.PeriodStart.Equal(first.PeriodEnd) || !second.PeriodEnd.Equal(start.Add(60*day)) {
		t.Fatalf("renewal: %v – %v, want it to follow %v", second.PeriodStart, second.PeriodEnd, first.PeriodEnd)
	}
	if b := e.balance(ann); b.Replenish != 100 || !b.TierExpiresAt.Equal(start.Add(60*day)) || !b.LastRefill.Equal(e.clk.now()) {
		t.Fatalf("after renewal: %+v", b)
	}
	// Pro below Max is refused at checkout once Max is bought.
	e.clk.add(20 * day) // 30 Pro days left
	max := buy("max")
	// 30 Pro days are worth 30 × 20000/80000 = 7.5 Max days.
	want := e.clk.now().Add(30*day + 7*day + 12*time.Hour)
	if max.Tier != credits.TierMax || !max.PeriodEnd.Equal(want) {
		t.Fatalf("max during pro ends %v, want %v", max.PeriodEnd, want)
	}
	if b := e.balance(ann); b.Tier != credits.TierMax || b.Replenish != 500 {
		t.Fatalf("after max: %+v", b)
	}
	if _, err := e.svc.Checkout(context.Background(), billing.Buyer{UserID: ann}, "pro", billing.Lightning); !errors.Is(err, billing.ErrBelowCurrentPlan) {
		t.Fatalf("pro during max: %v", err)
	}
	// After Max ends, Pro starts now.
	e.clk.add(38 * day)
	if b := e.balance(ann); b.Tier != credits.TierCore {
		t.Fatalf("after max ended: %+v", b)
	}
	last := buy("pro")
	if !last.PeriodStart.Equal(e.clk.now()) || !last.PeriodEnd.Equal(e.clk.now().Add(30*day)) {
		t.Fatalf("pro after a lapse: %v – %v", last.PeriodStart, last.PeriodEnd)
	}
	if n := e.count(`SELECT count(*) FROM subscriptions WHERE user_id = ? AND order_id IS NOT NULL AND status = 'active'`, ann); n != 4 {
		t.Fatalf("%d subscriptions rows", n)
	}
}

func TestAnonymousProDuringMaxLengthensMax(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann := e.user("ann@example.org")
	o := e.checkout(billing.Buyer{UserID: ann}, "max", billing.Lightning)
	e.sendAll(e.btc.Pay(o.ProviderRef))
	maxEnd := e.order(o.ID).PeriodEnd
	// Someone pays Pro for the same address without signing in.
	p := e.checkout(billing.Buyer{Email: "ann@example.org"}, "pro", billing.Lightning)
	e.sendAll(e.btc.Pay(p.ProviderRef))
	got := e.order(p.ID)
	// 30 Pro days are worth 7.5 Max days, added to Max's end.
	if got.Tier != credits.TierMax || !got.PeriodStart.Equal(maxEnd) || !got.PeriodEnd.Equal(maxEnd.Add(7*day+12*time.Hour)) {
		t.Fatalf("pro during max: %+v (max ended %v)", got, maxEnd)
	}
	e.acc.Wait()
	if n := e.count(`SELECT count(*) FROM users`); n != 1 {
		t.Fatalf("%d users", n)
	}
}
