package billing_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/billing"
	"github.com/recap-startos/recap/pkg/billing/billingtest"
	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/relay"
)

// Checkouts sold by a relay: the relay's real store and API on loopback,
// its own fake BTCPay Server, and billing.RelayPayments between them.

var quietLog = slog.New(slog.DiscardHandler)

type relayEnv struct {
	t   *testing.T
	st  *relay.Store
	srv *relay.Server
	web *httptest.Server
	btc *billingtest.BTCPay
	url string
}

// newRelayEnv starts a relay that sells Pro and Max by Lightning through
// its own fake BTCPay, whose webhook points at the relay.
func newRelayEnv(t *testing.T) *relayEnv {
	t.Helper()
	e := &relayEnv{t: t, btc: billingtest.NewBTCPay(t)}
	st, err := relay.OpenStore(context.Background(), t.TempDir(), relay.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e.st = st
	pay, err := billing.NewRelayPayments(config.Payments{
		BTCPay:   config.BTCPay{URL: e.btc.URL, APIKey: e.btc.APIKey, StoreID: e.btc.StoreID, WebhookSecret: e.btc.WebhookSecret},
		Currency: "USD",
		Pro:      config.Price{Sats: 21000},
		Max:      config.Price{Sats: 84000},
	}, nil, quietLog)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = relay.NewServer(relay.ServerOptions{Store: st, Payments: pay, Log: quietLog})
	e.web = httptest.NewServer(e.srv)
	t.Cleanup(e.web.Close)
	e.url = e.web.URL
	e.btc.SetWebhook(e.url + relay.PathWebhookBTCPay)
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
	if d := time.Until(want); d < 59*24*time.Hour || d > 61*24*time.Hour {
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
