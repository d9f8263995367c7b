package billing_test

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/billing"
	"github.com/recap-startos/recap/pkg/billing/billingtest"
	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/credits"
	"github.com/recap-startos/recap/pkg/mail"
	"github.com/recap-startos/recap/pkg/mail/mailtest"
	"github.com/recap-startos/recap/pkg/relay"
	"github.com/recap-startos/recap/pkg/store"
)

// Checkouts sold by a relay: the relay's real store and API on loopback,
// its own fake BTCPay Server, and billing.RelayPayments between them.

var quietLog = slog.New(slog.DiscardHandler)

type relayEnv struct {
	t    *testing.T
	clk  *clock
	down atomic.Bool // the relay's process or network is gone
	st   *relay.Store
	srv  *relay.Server
	web  *httptest.Server
	btc  *billingtest.BTCPay
	url  string
}

// newRelayEnv starts a relay that sells Pro and Max by Lightning through
// its own fake BTCPay, whose webhook points at the relay.
func newRelayEnv(t *testing.T) *relayEnv { return newRelayEnvWith(t, nil) }

// newRelayEnvWith also sells by card through zap (nil: Lightning only).
func newRelayEnvWith(t *testing.T, zap *billingtest.Zaprite) *relayEnv {
	t.Helper()
	e := &relayEnv{t: t, btc: billingtest.NewBTCPay(t), clk: &clock{t: time.Now().UTC().Truncate(time.Second)}}
	e.btc.SetNow(e.clk.now)
	st, err := relay.OpenStore(context.Background(), t.TempDir(), relay.StoreOptions{Now: e.clk.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.st = st
	cfg := config.Payments{
		BTCPay:   config.BTCPay{URL: e.btc.URL, APIKey: e.btc.APIKey, StoreID: e.btc.StoreID, WebhookSecret: e.btc.WebhookSecret},
		Currency: "USD",
		Pro:      config.Price{Sats: 21000},
		Max:      config.Price{Sats: 84000},
	}
	if zap != nil {
		cfg.Zaprite = config.Zaprite{URL: zap.URL, APIKey: zap.APIKey}
		cfg.Pro.Fiat, cfg.Max.Fiat = 900, 3600
	}
	pay, err := billing.NewRelayPayments(cfg, nil, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = relay.NewServer(relay.ServerOptions{Store: st, Payments: pay, Log: quietLog})
	e.web = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e.down.Load() {
			if c, _, err := w.(http.Hijacker).Hijack(); err == nil {
				c.Close()
			}
			return
		}
		e.srv.ServeHTTP(w, r)
	}))
	t.Cleanup(e.web.Close)
	e.url = e.web.URL
	e.btc.SetWebhook(e.url + relay.PathWebhookBTCPay)
	if zap != nil {
		zap.SetWebhook(e.url + relay.PathWebhookZaprite)
	}
	return e
}

// license issues a license for an install id and returns its key.
func (e *relayEnv) license(install string) string {
	e.t.Helper()
	_, key, err := e.st.AddLicense(context.Background(), install, "", "")
	if err != nil {
		e.t.Fatal(err)
	}
	return key
}

func (e *relayEnv) client(key string) *relay.Client {
	e.t.Helper()
	c, err := relay.NewClient(e.url, key, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// tierRows counts the relay's ledger rows for a tier change with ref.
func (e *relayEnv) tierRows(install, ref string) int {
	e.t.Helper()
	rows, err := e.st.Ledger(context.Background(), install, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for _, r := range rows {
		if r.Kind == "tier" && r.Ref == ref {
			n++
		}
	}
	return n
}

func TestRelayCheckoutSettledOnceByWebhook(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newRelayEnv(t)
	ann := e.client(e.license("ann-node"))

	offers, err := ann.Offers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(offers.Plans) != 2 || offers.Plans[0].Plan != "pro" || offers.Plans[0].Sats != 21000 || offers.Plans[0].Fiat != 0 {
		t.Fatalf("offers = %+v", offers)
	}

	req := relay.CheckoutRequest{InstallID: "ann-node", UserID: "u1", Plan: "pro", Periods: 2, Provider: relay.ProviderBTCPay,
		ExternalID: "ord_1", RedirectURL: "https://ann.example.org/billing/orders/ord_1"}
	c, err := ann.CreateCheckout(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != relay.CheckoutOpen || c.Amount != 42000 || c.Currency != "SATS" || c.BOLT11 == "" || c.ExternalID != "ord_1" {
		t.Fatalf("checkout = %+v", c)
	}
	// A retried request (the instance's answer was lost) gets the same order and invoice.
	again, err := ann.CreateCheckout(ctx, req)
	if err != nil || again.ID != c.ID || again.BOLT11 != c.BOLT11 {
		t.Fatalf("retried checkout = %+v, %v; want %s", again, err, c.ID)
	}
	if n := len(e.btc.Invoices()); n != 1 {
		t.Fatalf("%d invoices at BTCPay, want 1", n)
	}
	inv := e.btc.Invoices()[0]
	if inv.Amount != "42000" || inv.Metadata["orderId"] != c.ID {
		t.Fatalf("invoice = %+v", inv)
	}

	// A forged delivery changes nothing.
	ds := e.btc.Pay(inv.ID)
	forged := ds[len(ds)-1]
	forged.Sig = "sha256=" + "00" + forged.Sig[9:]
	if got := e.btc.Send(forged); got[0] != http.StatusUnauthorized {
		t.Fatalf("forged webhook answered %d, want 401", got[0])
	}
	if got, _ := e.st.Checkout(ctx, c.ID); !got.SettledAt.IsZero() {
		t.Fatal("a forged webhook settled the order")
	}

	for i, code := range e.btc.Send(ds...) {
		if code != http.StatusOK {
			t.Fatalf("delivery %d answered %d", i, code)
		}
	}
	// The webhook settled it, before anyone asked.
	if stored, _ := e.st.Checkout(ctx, c.ID); stored.Status != relay.CheckoutPaid || stored.SettledAt.IsZero() {
		t.Fatalf("after the webhook: %+v", stored)
	}
	got, err := ann.Checkout(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != relay.CheckoutPaid || got.SettledAt.IsZero() || got.User == nil || got.User.Tier != "pro" {
		t.Fatalf("after payment: %+v", got)
	}
	want := got.User.ExpiresAt
	if d := want.Sub(e.clk.now()); d != 60*24*time.Hour || d > 61*24*time.Hour {
		t.Fatalf("pro until %s, want 60 days from now", want)
	}

	// Replayed deliveries and more polls settle nothing twice.
	e.btc.Send(e.btc.Redelivery(ds[len(ds)-1]))
	e.btc.Send(ds...)
	if _, err := e.srv.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	u, err := e.st.User(ctx, "ann-node", "u1")
	if err != nil || !u.ExpiresAt.Equal(want) {
		t.Fatalf("after replays: %+v, %v; want expiry %s", u, err, want)
	}
	if n := e.tierRows("ann-node", "order:"+c.ID); n != 1 {
		t.Fatalf("%d ledger rows for the order, want 1", n)
	}
}

func TestRelayCheckoutOtherInstance(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newRelayEnv(t)
	ann := e.client(e.license("ann-node"))
	bob := e.client(e.license("bob-node"))
	c, err := ann.CreateCheckout(ctx, relay.CheckoutRequest{InstallID: "ann-node", UserID: "u1", Plan: "max", Periods: 1, Provider: relay.ProviderBTCPay})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.CreateCheckout(ctx, relay.CheckoutRequest{InstallID: "ann-node", UserID: "u1", Plan: "max", Periods: 1, Provider: relay.ProviderBTCPay}); !errors.Is(err, relay.ErrForbidden) {
		t.Fatalf("bob creating for ann's user: %v, want forbidden", err)
	}
	if _, err := bob.Checkout(ctx, c.ID); !errors.Is(err, relay.ErrNotFound) {
		t.Fatalf("bob reading ann's checkout: %v, want not found", err)
	}
	if n := len(e.btc.Invoices()); n != 1 {
		t.Fatalf("%d invoices, want 1", n)
	}
}

func TestRelayCheckoutRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newRelayEnv(t)
	ann := e.client(e.license("ann-node"))
	for _, tc := range []struct {
		name string
		req  relay.CheckoutRequest
		want error
	}{
		{"core is not sold", relay.CheckoutRequest{UserID: "u1", Plan: "core", Periods: 1, Provider: "btcpay"}, relay.ErrInvalid},
		{"no periods", relay.CheckoutRequest{UserID: "u1", Plan: "pro", Periods: 0, Provider: "btcpay"}, relay.ErrInvalid},
		{"too many periods", relay.CheckoutRequest{UserID: "u1", Plan: "pro", Periods: 13, Provider: "btcpay"}, relay.ErrInvalid},
		{"no user", relay.CheckoutRequest{Plan: "pro", Periods: 1, Provider: "btcpay"}, relay.ErrInvalid},
		{"not sold by card", relay.CheckoutRequest{UserID: "u1", Plan: "pro", Periods: 1, Provider: "zaprite"}, relay.ErrNotSold},
		{"javascript redirect", relay.CheckoutRequest{UserID: "u1", Plan: "pro", Periods: 1, Provider: "btcpay", RedirectURL: "javascript:alert(1)"}, relay.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.InstallID = "ann-node"
			if _, err := ann.CreateCheckout(ctx, tc.req); !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	// Pro while Max is active is refused (buy Max to extend it).
	if _, _, err := e.st.SetTier(ctx, "operator", relay.TierUpdate{InstallID: "ann-node", UserID: "u2", Tier: "max", AddDays: 10}); err != nil {
		t.Fatal(err)
	}
	if _, err := ann.CreateCheckout(ctx, relay.CheckoutRequest{InstallID: "ann-node", UserID: "u2", Plan: "pro", Periods: 1, Provider: "btcpay"}); !errors.Is(err, relay.ErrBelowPlan) {
		t.Fatalf("pro during max: %v", err)
	}
	if len(e.btc.Invoices()) != 0 {
		t.Fatal("a refused checkout made an invoice")
	}
}

// relayInstance is a Recap instance in multi mode whose plans are sold
// through the relay: its own recap.db, the relay sync and tier authority,
// and a billing.Service with no payment provider of its own.
type relayInstance struct {
	t    *testing.T
	e    *relayEnv
	dir  string
	key  string
	st   *store.Store
	led  *credits.Ledger
	svc  *billing.Service
	sync *relay.Sync
}

func (e *relayEnv) instance(install string) *relayInstance {
	e.t.Helper()
	in := &relayInstance{t: e.t, e: e, dir: e.t.TempDir(), key: e.license(install)}
	in.open()
	return in
}

// open opens (again: a restart) the instance's database and services.
func (in *relayInstance) open() {
	in.t.Helper()
	st, err := store.Open(context.Background(), in.dir, store.Options{Now: in.e.clk.now})
	if err != nil {
		in.t.Fatal(err)
	}
	in.t.Cleanup(func() { st.Close() })
	client := in.e.client(in.key)
	in.sync = relay.NewSync(relay.SyncOptions{Client: client, Store: st, Log: quietLog, Now: in.e.clk.now})
	in.led = credits.New(st, policy(), credits.Options{Now: in.e.clk.now, Tiers: &relay.Remote{Store: st, Sync: in.sync}})
	in.svc, err = billing.New(billing.Options{Store: st, Ledger: in.led, Payments: config.Payments{Currency: "USD"},
		PublicURL: "https://recap.example.org", Relay: &relay.Shop{Client: client, Sync: in.sync}, Now: in.e.clk.now, Log: quietLog})
	if err != nil {
		in.t.Fatal(err)
	}
	if err := in.svc.LoadRelayOffers(context.Background()); err != nil {
		in.t.Fatal(err)
	}
	in.st = st
}

func (in *relayInstance) user(email string) string {
	in.t.Helper()
	u, err := in.st.CreateUser(context.Background(), store.NewUser{Email: email})
	if err != nil {
		in.t.Fatal(err)
	}
	return u.ID
}

func (in *relayInstance) count(query string, args ...any) int {
	in.t.Helper()
	var n int
	err := in.st.View(context.Background(), func(tx *sql.Tx) error { return tx.QueryRow(query, args...).Scan(&n) })
	if err != nil {
		in.t.Fatal(err)
	}
	return n
}

func (in *relayInstance) order(id string) billing.Order {
	in.t.Helper()
	in.e.clk.add(3 * time.Second) // past the re-read throttles
	o, err := in.svc.Order(context.Background(), id)
	if err != nil {
		in.t.Fatal(err)
	}
	return o
}

// invoiceOf returns the fake BTCPay invoice a relay order made.
func (e *relayEnv) invoiceOf(relayOrder string) billingtest.Invoice {
	e.t.Helper()
	for _, inv := range e.btc.Invoices() {
		if inv.Metadata["orderId"] == relayOrder {
			return inv
		}
	}
	e.t.Fatalf("no invoice for %s", relayOrder)
	return billingtest.Invoice{}
}

// TestRelayCheckoutEndToEnd: an instance sells Pro through the relay;
// the buyer pays the relay's BTCPay; BTCPay's webhook reaches the relay;
// the instance polls and applies the period once, and nothing (a
// replayed webhook, replayed polls, a double click, a restart) applies
// it again, here or at the relay.
func TestRelayCheckoutEndToEnd(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newRelayEnv(t)
	in := e.instance("ann-node")
	uid := in.user("buyer@example.org")

	offers := in.svc.Offers()
	if len(offers) != 2 || offers[0].ID != "pro" || offers[0].Sats != 21000 || offers[0].Credits != 100 {
		t.Fatalf("offers = %+v", offers)
	}
	if m := in.svc.Methods(); len(m) != 1 || m[0] != billing.Lightning {
		t.Fatalf("methods = %v", m)
	}
	// The relay keys tiers by user id: a plan needs an account.
	if _, err := in.svc.Checkout(ctx, billing.Buyer{Email: "new@example.org"}, "pro", billing.Lightning); !errors.Is(err, billing.ErrSignInToBuy) || !errors.Is(err, billing.ErrBadBuyer) {
		t.Fatalf("anonymous plan: %v", err)
	}
	if _, err := in.svc.Checkout(ctx, billing.Buyer{UserID: uid}, "pro", billing.Card); !errors.Is(err, billing.ErrMethodUnavailable) && !errors.Is(err, billing.ErrNotConfigured) {
		t.Fatalf("card: %v", err)
	}

	o, err := in.svc.Checkout(ctx, billing.Buyer{UserID: uid}, "pro", billing.Lightning)
	if err != nil {
		t.Fatal(err)
	}
	inv := e.invoiceOf(o.ProviderRef)
	if o.Provider != billing.ProviderRelay || o.Amount != 21000 || o.Lightning == nil || o.Lightning.BOLT11 != inv.BOLT11 {
		t.Fatalf("order = %+v; invoice %+v", o, inv)
	}
	// A double click on Pay gets the same order and the same invoice.
	again, err := in.svc.Checkout(ctx, billing.Buyer{UserID: uid}, "pro", billing.Lightning)
	if err != nil || again.ID != o.ID || len(e.btc.Invoices()) != 1 {
		t.Fatalf("double click: %+v, %v, %d invoices", again, err, len(e.btc.Invoices()))
	}
	if got := in.order(o.ID); got.Status != billing.StatusOpen {
		t.Fatalf("before payment: %s", got.Status)
	}

	ds := e.btc.Pay(inv.ID)
	for _, code := range e.btc.Send(ds...) {
		if code != http.StatusOK {
			t.Fatalf("webhook to the relay answered %d", code)
		}
	}
	got := in.order(o.ID)
	rel, err := e.st.User(ctx, "ann-node", uid)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != billing.StatusPaid || got.Tier != "pro" || !got.PeriodEnd.Equal(rel.ExpiresAt) || rel.Tier != "pro" {
		t.Fatalf("after payment: order %+v; relay %+v", got, rel)
	}
	if d := rel.ExpiresAt.Sub(e.clk.now()); d < 30*24*time.Hour-time.Minute || d > 30*24*time.Hour {
		t.Fatalf("relay gave %s", d)
	}
	tier, err := in.st.UserTier(ctx, uid)
	if err != nil || tier.Tier != "pro" || !tier.Expiry.Equal(rel.ExpiresAt) {
		t.Fatalf("cached tier %+v, %v; relay %+v", tier, err, rel)
	}
	if b, _ := in.led.Balance(ctx, uid); b.Replenish != 100 {
		t.Fatalf("balance %+v, want the pro allowance", b)
	}

	// Replays: BTCPay redelivers, the page polls again, the reconciler
	// runs, the instance restarts and polls again.
	e.btc.Send(e.btc.Redelivery(ds[len(ds)-1]))
	in.order(o.ID)
	if _, err := in.svc.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	in.open()
	in.order(o.ID)
	if _, err := in.svc.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	after, _ := e.st.User(ctx, "ann-node", uid)
	if !after.ExpiresAt.Equal(rel.ExpiresAt) || e.tierRows("ann-node", "order:"+o.ProviderRef) != 1 {
		t.Fatalf("the relay applied it again: %+v", after)
	}
	if n := in.count(`SELECT count(*) FROM subscriptions WHERE order_id = ?`, o.ID); n != 1 {
		t.Fatalf("%d subscriptions rows, want 1", n)
	}
	if n := in.count(`SELECT count(*) FROM credit_ledger WHERE order_id = ? AND kind = 'refill'`, o.ID); n != 1 {
		t.Fatalf("%d allowance rows, want 1", n)
	}
	if b, _ := in.led.Balance(ctx, uid); b.Replenish != 100 {
		t.Fatalf("balance %+v after replays", b)
	}
	// The relay gave the period: nothing goes back to it.
	if pending, _, err := in.st.OutboxStats(ctx); err != nil || pending != 0 {
		t.Fatalf("%d tier updates queued for the relay, %v", pending, err)
	}
}

// TestRelayCheckoutRelayDownDuringPoll: the webhook never comes, the
// relay is down when the instance polls; the order waits, and settles
// once when the relay is back.
func TestRelayCheckoutRelayDownDuringPoll(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newRelayEnv(t)
	in := e.instance("ann-node")
	uid := in.user("buyer@example.org")
	o, err := in.svc.Checkout(ctx, billing.Buyer{UserID: uid}, "max", billing.Lightning)
	if err != nil {
		t.Fatal(err)
	}
	e.btc.Pay(e.invoiceOf(o.ProviderRef).ID) // paid; the deliveries are lost

	e.down.Store(true)
	if got := in.order(o.ID); got.Status != billing.StatusOpen || !got.SettledAt.IsZero() {
		t.Fatalf("relay down: %+v", got)
	}
	rep, err := in.svc.Reconcile(ctx)
	if err != nil || rep.Failed != 1 || rep.Settled != 0 {
		t.Fatalf("reconcile with the relay down: %+v, %v", rep, err)
	}
	if tier, _ := in.st.UserTier(ctx, uid); tier.Tier != "core" {
		t.Fatalf("tier %s while nothing is known", tier.Tier)
	}

	e.down.Store(false)
	e.clk.add(3 * time.Second)
	rep, err = in.svc.Reconcile(ctx)
	if err != nil || rep.Settled != 1 {
		t.Fatalf("reconcile with the relay back: %+v, %v", rep, err)
	}
	rep, err = in.svc.Reconcile(ctx)
	if err != nil || rep.Checked != 0 {
		t.Fatalf("second reconcile: %+v, %v", rep, err)
	}
	got := in.order(o.ID)
	rel, _ := e.st.User(ctx, "ann-node", uid)
	tier, _ := in.st.UserTier(ctx, uid)
	if got.Status != billing.StatusPaid || rel.Tier != "max" || tier.Tier != "max" || !tier.Expiry.Equal(rel.ExpiresAt) {
		t.Fatalf("after the relay came back: order %s, relay %+v, cache %+v", got.Status, rel, tier)
	}
	if n := e.tierRows("ann-node", "order:"+o.ProviderRef); n != 1 {
		t.Fatalf("%d relay ledger rows", n)
	}
	if b, _ := in.led.Balance(ctx, uid); b.Replenish != 500 {
		t.Fatalf("balance %+v, want the max allowance once", b)
	}
}

// TestRelayCheckoutOtherInstanceCannotRead: instance B's license reads
// none of A's orders, and B's checkouts are for B's install id only.
func TestRelayCheckoutOtherInstanceCannotRead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newRelayEnv(t)
	a := e.instance("ann-node")
	b := e.instance("bob-node")
	ua := a.user("a@example.org")
	o, err := a.svc.Checkout(ctx, billing.Buyer{UserID: ua}, "pro", billing.Lightning)
	if err != nil {
		t.Fatal(err)
	}
	bob := e.client(b.key)
	if _, err := bob.Checkout(ctx, o.ProviderRef); !errors.Is(err, relay.ErrNotFound) {
		t.Fatalf("B reading A's order: %v", err)
	}
	if _, err := bob.CreateCheckout(ctx, relay.CheckoutRequest{InstallID: "ann-node", UserID: ua, Plan: "pro", Periods: 1, Provider: "btcpay"}); !errors.Is(err, relay.ErrForbidden) {
		t.Fatalf("B buying for A's user: %v", err)
	}
	// B's own checkout for the same user id is B's user: A's is untouched.
	ob, err := b.svc.Checkout(ctx, billing.Buyer{UserID: b.user("a@example.org")}, "pro", billing.Lightning)
	if err != nil {
		t.Fatal(err)
	}
	e.btc.Send(e.btc.Pay(e.invoiceOf(ob.ProviderRef).ID)...)
	if got := b.order(ob.ID); got.Status != billing.StatusPaid {
		t.Fatalf("B's order: %s", got.Status)
	}
	if u, _ := e.st.User(ctx, "ann-node", ua); u.Tier != "core" {
		t.Fatalf("A's user became %s", u.Tier)
	}
	if got := a.order(o.ID); got.Status != billing.StatusOpen {
		t.Fatalf("A's unpaid order: %s", got.Status)
	}
}

// TestRelayReminders: with a relay, the reminder scan asks the relay who
// is expiring (not the instance's users table), names them by the
// instance's accounts, and still sends each reminder once.
func TestRelayReminders(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newRelayEnv(t)
	in := e.instance("ann-node")
	smtp := mailtest.Start(t, mailtest.Options{})
	sender, err := mail.NewSMTP(smtp.Config())
	if err != nil {
		t.Fatal(err)
	}
	byRelay := in.user("relay-says@example.org")
	localOnly := in.user("local-says@example.org")
	now := e.clk.now()
	// The relay renews or sets tiers the instance has not heard of yet.
	if _, _, err := e.st.SetTier(ctx, "operator", relay.TierUpdate{InstallID: "ann-node", UserID: byRelay, Tier: "pro", ExpiresAt: now.Add(3 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	// The local cache says another user expires soon; the relay does not know them.
	if _, err := in.st.WriteTier(ctx, store.TierWrite{UserID: localOnly, Tier: "max", Expiry: now.Add(2 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	r := &billing.Reminders{Store: in.st, Mail: sender, PublicURL: "https://recap.example.org", Now: e.clk.now,
		Periods: &billing.RelayPeriods{Relay: &relay.Shop{Client: e.client(in.key), Sync: in.sync}, Store: in.st, Now: e.clk.now}}

	rep, err := r.Run(ctx)
	if err != nil || rep.Queued != 1 || rep.Sent != 1 {
		t.Fatalf("first scan: %+v, %v", rep, err)
	}
	msgs := smtp.Messages()
	if len(msgs) != 1 || !strings.Contains(strings.Join(msgs[0].Rcpts, ","), "relay-says@example.org") {
		t.Fatalf("mails: %+v", msgs)
	}
	// Again: nothing new.
	if rep, err := r.Run(ctx); err != nil || rep.Queued != 0 || rep.Sent != 0 {
		t.Fatalf("second scan: %+v, %v", rep, err)
	}
	// The relay is down: the scan says so and sends nothing twice.
	e.down.Store(true)
	if rep, err := r.Run(ctx); err == nil || rep.Sent != 0 {
		t.Fatalf("scan with the relay down: %+v, %v", rep, err)
	}
	e.down.Store(false)
	// A day before the end: the one-day reminder, once.
	e.clk.add(2*24*time.Hour + time.Hour)
	if rep, err := r.Run(ctx); err != nil || rep.Queued != 1 || rep.Sent != 1 {
		t.Fatalf("one day before: %+v, %v", rep, err)
	}
	if rep, err := r.Run(ctx); err != nil || rep.Queued != 0 || rep.Sent != 0 {
		t.Fatalf("one day before, again: %+v, %v", rep, err)
	}
	for _, m := range smtp.Messages() {
		if strings.Contains(strings.Join(m.Rcpts, ","), "local-says") {
			t.Fatal("a reminder was sent from the local users table")
		}
	}
}

// TestRelayCheckoutMaxDuringPro: the relay converts the Pro days left
// into Max days by its prices, the same rule as a direct purchase, and
// the instance takes the period the relay gave.
func TestRelayCheckoutMaxDuringPro(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newRelayEnv(t)
	in := e.instance("ann-node")
	uid := in.user("buyer@example.org")
	now := e.clk.now()
	if _, _, err := e.st.SetTier(ctx, "operator", relay.TierUpdate{InstallID: "ann-node", UserID: uid, Tier: "pro", ExpiresAt: now.Add(10 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	o, err := in.svc.Checkout(ctx, billing.Buyer{UserID: uid}, "max", billing.Lightning)
	if err != nil {
		t.Fatal(err)
	}
	e.btc.Send(e.btc.Pay(e.invoiceOf(o.ProviderRef).ID)...)
	got := in.order(o.ID)
	// 30 days of Max, plus 10 days of Pro at a quarter of Max's price.
	want := now.Add(30*24*time.Hour + 60*time.Hour)
	rel, _ := e.st.User(ctx, "ann-node", uid)
	if got.Status != billing.StatusPaid || rel.Tier != "max" || !rel.ExpiresAt.Equal(want) || got.Tier != "max" || !got.PeriodEnd.Equal(want) {
		t.Fatalf("order %s %s until %s; relay %+v; want max until %s", got.Status, got.Tier, got.PeriodEnd, rel, want)
	}
}

// TestRelayCheckoutConcurrentSettlers: webhooks, polls and the
// reconcilers of two relay processes on the same relay.db race to settle
// one paid order: the tier is extended once.
func TestRelayCheckoutConcurrentSettlers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newRelayEnv(t)
	ann := e.client(e.license("ann-node"))
	c, err := ann.CreateCheckout(ctx, relay.CheckoutRequest{InstallID: "ann-node", UserID: "u1", Plan: "pro", Periods: 1, Provider: relay.ProviderBTCPay})
	if err != nil {
		t.Fatal(err)
	}
	st2, err := relay.OpenStore(ctx, filepath.Dir(e.st.Path()), relay.StoreOptions{Now: e.clk.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st2.Close() })
	pay, err := billing.NewRelayPayments(config.Payments{
		BTCPay: config.BTCPay{URL: e.btc.URL, APIKey: e.btc.APIKey, StoreID: e.btc.StoreID, WebhookSecret: e.btc.WebhookSecret},
		Pro:    config.Price{Sats: 21000}, Max: config.Price{Sats: 84000}, Currency: "USD",
	}, nil, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	other := relay.NewServer(relay.ServerOptions{Store: st2, Payments: pay, Log: quietLog})
	ds := e.btc.Pay(e.invoiceOf(c.ID).ID)

	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(4)
		go func() { defer wg.Done(); e.btc.Send(ds...) }()
		go func() { defer wg.Done(); ann.Checkout(ctx, c.ID) }()
		go func() { defer wg.Done(); e.srv.Reconcile(ctx) }()
		go func() { defer wg.Done(); other.Reconcile(ctx) }()
	}
	wg.Wait()
	got, err := e.st.Checkout(ctx, c.ID)
	if err != nil || got.Status != relay.CheckoutPaid {
		t.Fatalf("after the race: %+v, %v", got, err)
	}
	if n := e.tierRows("ann-node", "order:"+c.ID); n != 1 {
		t.Fatalf("%d tier changes for one order", n)
	}
	u, _ := e.st.User(ctx, "ann-node", "u1")
	if want := e.clk.now().Add(30 * 24 * time.Hour); !u.ExpiresAt.Equal(want) {
		t.Fatalf("pro until %s, want %s", u.ExpiresAt, want)
	}
}

// TestRelayCheckoutByCard: a card checkout at the relay's Zaprite. An
// order whose amount Zaprite no longer matches is not settled; the
// unsigned webhook only makes the relay re-read the order.
func TestRelayCheckoutByCard(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	zap := billingtest.NewZaprite(t)
	e := newRelayEnvWith(t, zap)
	ann := e.client(e.license("ann-node"))
	req := relay.CheckoutRequest{InstallID: "ann-node", UserID: "u1", Plan: "pro", Periods: 1, Provider: relay.ProviderZaprite,
		RedirectURL: "https://ann.example.org/billing/orders/ord_1"}

	tampered, err := ann.CreateCheckout(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if tampered.Amount != 900 || tampered.Currency != "USD" || !strings.HasPrefix(tampered.CheckoutURL, zap.URL) || tampered.BOLT11 != "" {
		t.Fatalf("card checkout: %+v", tampered)
	}
	zo := zap.Orders()[0]
	if zo.ExternalUniqID != tampered.ID || zo.RedirectURL != req.RedirectURL {
		t.Fatalf("zaprite order %+v", zo)
	}
	zap.Tamper(zo.ID, 1)
	if code := zap.Notify(zap.SetStatus(zo.ID, "PAID")); code != http.StatusOK {
		t.Fatalf("zaprite webhook answered %d", code)
	}
	got, _ := e.st.Checkout(ctx, tampered.ID)
	if got.Status != relay.CheckoutInvalid || !got.SettledAt.IsZero() || !strings.Contains(got.Note, "asks 1") {
		t.Fatalf("tampered order: %+v", got)
	}
	if u, _ := e.st.User(ctx, "ann-node", "u1"); u.Tier != "core" {
		t.Fatalf("a tampered order gave %s", u.Tier)
	}

	req.UserID = "u2"
	c, err := ann.CreateCheckout(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	zo = zap.Orders()[1]
	zap.Notify(zap.SetStatus(zo.ID, "COMPLETE"))
	e.clk.add(3 * time.Second)
	zap.Notify(zap.SetStatus(zo.ID, "COMPLETE"))
	got, _ = e.st.Checkout(ctx, c.ID)
	if got.Status != relay.CheckoutPaid || e.tierRows("ann-node", "order:"+c.ID) != 1 {
		t.Fatalf("paid card order: %+v", got)
	}
}
