package billing_test

import (
	"context"
	"database/sql"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/billing"
	"github.com/recap-startos/recap/pkg/credits"
)

func TestCardThroughZaprite(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann := e.user("ann@example.org")
	o := e.checkout(billing.Buyer{UserID: ann}, "pro", billing.Card)
	if o.Provider != billing.ProviderZaprite || o.Amount != 900 || o.Currency != "USD" || o.Lightning != nil {
		t.Fatalf("order = %+v", o)
	}
	if !strings.HasPrefix(o.CheckoutURL, e.zap.URL+"/order/") {
		t.Fatalf("checkout url %q", o.CheckoutURL)
	}
	zo := e.zap.Orders()[0]
	if zo.ExternalUniqID != o.ID || zo.RedirectURL != "https://recap.example.org/billing/orders/"+o.ID {
		t.Fatalf("zaprite order = %+v", zo)
	}
	// Processing, then paid; each webhook only makes Recap ask Zaprite.
	if code := e.zap.Notify(e.zap.SetStatus(zo.ID, "PROCESSING")); code != http.StatusOK {
		t.Fatalf("webhook answered %d", code)
	}
	if got := e.order(o.ID); got.Status != billing.StatusProcessing {
		t.Fatalf("processing: %+v", got)
	}
	e.clk.add(3 * time.Second) // past the per-order re-read limit
	e.zap.Notify(e.zap.SetStatus(zo.ID, "COMPLETE"))
	got := e.order(o.ID)
	if got.Status != billing.StatusPaid || got.Tier != credits.TierPro {
		t.Fatalf("paid: %+v", got)
	}
	// A subscriptions row without a BTCPay invoice or sats.
	if n := e.count(`SELECT count(*) FROM subscriptions WHERE user_id = ? AND btcpay_invoice_id IS NULL AND amount_sats IS NULL AND order_id = ?`, ann, o.ID); n != 1 {
		t.Fatal("no subscriptions row for the card order")
	}
}

func TestZapriteTamperedOrderNotApplied(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann := e.user("ann@example.org")
	o := e.checkout(billing.Buyer{UserID: ann}, "credits-100", billing.Card)
	zo := e.zap.Orders()[0]
	e.zap.Tamper(zo.ID, 1) // the order Zaprite holds now asks 1 cent
	e.zap.Notify(e.zap.SetStatus(zo.ID, "PAID"))
	got := e.order(o.ID)
	if got.Status != billing.StatusInvalid || !strings.Contains(got.Note, "asks 1 USD") {
		t.Fatalf("tampered order: %+v", got)
	}
	if b := e.balance(ann); b.Purchased != 0 {
		t.Fatalf("tampered order gave %d credits", b.Purchased)
	}
}

func TestZapriteUnderpaidWaits(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann := e.user("ann@example.org")
	o := e.checkout(billing.Buyer{UserID: ann}, "credits-100", billing.Card)
	zo := e.zap.Orders()[0]
	e.zap.Notify(e.zap.SetStatus(zo.ID, "UNDERPAID"))
	if got := e.order(o.ID); got.Status != billing.StatusUnderpaid {
		t.Fatalf("underpaid: %+v", got)
	}
	e.zap.SetStatus(zo.ID, "PAID") // the rest arrived; the webhook was lost
	if rep, err := e.svc.Reconcile(context.Background()); err != nil || rep.Settled != 1 {
		t.Fatalf("reconcile: %+v %v", rep, err)
	}
	if b := e.balance(ann); b.Purchased != 100 {
		t.Fatalf("purchased = %d", b.Purchased)
	}
}

func TestPackBoughtOnATrial(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	cookie, trial, err := e.led.MintTrial(ctx, credits.TrialClient{})
	if err != nil {
		t.Fatal(err)
	}
	_ = cookie
	o := e.checkout(billing.Buyer{TrialID: trial.ID}, "credits-100", billing.Lightning)
	if n := e.count(`SELECT count(*) FROM pending_purchases WHERE buyer_type = 'anon' AND buyer_id = ?`, trial.ID); n != 1 {
		t.Fatal("no pending_purchases row for the trial")
	}
	e.sendAll(e.btc.Pay(o.ProviderRef))
	if got := e.order(o.ID); got.Status != billing.StatusPaid || got.UserID != "" {
		t.Fatalf("order = %+v", got)
	}
	if n := e.count(`SELECT credits_total FROM anon_trials WHERE cookie_id = ?`, trial.ID); n != 3+100 {
		t.Fatalf("trial credits = %d", n)
	}
	// The trial holder signs in to an account that existed already: the
	// bought credits go with them, the free ones do not.
	ann := e.user("ann@example.org")
	claim, err := e.led.ClaimTrial(ctx, trial.ID, ann, false)
	if err != nil || !claim.Claimed || claim.Credits != 100 {
		t.Fatalf("claim = %+v %v", claim, err)
	}
	// A pack paid after the trial became an account lands on the account.
	o2 := e.checkout(billing.Buyer{UserID: ann}, "credits-100", billing.Lightning)
	e.sendAll(e.btc.Pay(o2.ProviderRef))
	if b := e.balance(ann); b.Purchased != 200 {
		t.Fatalf("purchased = %d", b.Purchased)
	}
}

func TestPackPaidAfterTheTrialBecameAnAccount(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	_, trial, err := e.led.MintTrial(ctx, credits.TrialClient{})
	if err != nil {
		t.Fatal(err)
	}
	o := e.checkout(billing.Buyer{TrialID: trial.ID}, "credits-100", billing.Lightning)
	bob := e.user("bob@example.org")
	if _, err := e.led.ClaimTrial(ctx, trial.ID, bob, true); err != nil {
		t.Fatal(err)
	}
	e.sendAll(e.btc.Pay(o.ProviderRef))
	got := e.order(o.ID)
	if got.Status != billing.StatusPaid || got.UserID != bob {
		t.Fatalf("order = %+v", got)
	}
	if b := e.balance(bob); b.Purchased != 3+100 {
		t.Fatalf("purchased = %d (3 trial credits and the pack)", b.Purchased)
	}
}

func TestCheckNamesWhatIsWrong(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	results, err := e.svc.Check(ctx)
	if err != nil || len(results) != 2 || !results[0].OK || !results[1].OK {
		t.Fatalf("good keys: %+v %v", results, err)
	}
	e.btc.SetPermissions("btcpay.store.cancreateinvoice:" + e.btc.StoreID)
	results, _ = e.svc.Check(ctx)
	if results[0].OK || !strings.Contains(results[0].Message, "btcpay.store.canviewinvoices") {
		t.Fatalf("missing view permission: %+v", results[0])
	}
	e.btc.SetPermissions("btcpay.store.canviewinvoices:OtherStore", "btcpay.store.cancreateinvoice:OtherStore")
	results, _ = e.svc.Check(ctx)
	if results[0].OK || !strings.Contains(results[0].Message, "cancreateinvoice and btcpay.store.canviewinvoices for store "+e.btc.StoreID) {
		t.Fatalf("permissions for another store: %+v", results[0])
	}
	e.btc.SetPermissions("btcpay.store.canmodifystoresettings")
	if results, _ = e.svc.Check(ctx); !results[0].OK {
		t.Fatalf("a broader permission: %+v", results[0])
	}
	p := e.pay
	p.BTCPay.APIKey = "wrong"
	p.BTCPay.StoreID = e.btc.StoreID
	p.Zaprite.APIKey = "wrong"
	results, err = billing.Check(ctx, p, nil)
	if err != nil || results[0].OK || !strings.Contains(results[0].Message, "payments.btcpay.api-key") ||
		results[1].OK || !strings.Contains(results[1].Message, "payments.zaprite.api-key") {
		t.Fatalf("wrong keys: %+v %v", results, err)
	}
	p = e.pay
	p.BTCPay.StoreID = "NotMyStore"
	if results, _ = billing.Check(ctx, p, nil); results[0].OK {
		t.Fatalf("another store: %+v", results[0])
	}
	p.BTCPay.URL = "http://127.0.0.1:1"
	if results, _ = billing.Check(ctx, p, nil); results[0].OK || !strings.Contains(results[0].Message, "cannot reach btcpay") {
		t.Fatalf("unreachable: %+v", results[0])
	}
}

func TestOrdersFilter(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann, bob := e.user("ann@example.org"), e.user("bob@example.org")
	paid := e.checkout(billing.Buyer{UserID: ann}, "credits-100", billing.Lightning)
	e.sendAll(e.btc.Pay(paid.ProviderRef))
	e.clk.add(1e9)
	open := e.checkout(billing.Buyer{UserID: bob}, "pro", billing.Lightning)
	e.clk.add(1e9)
	gone := e.checkout(billing.Buyer{UserID: bob}, "max", billing.Lightning)
	e.sendAll(e.btc.Expire(gone.ProviderRef))
	ctx := context.Background()
	for _, c := range []struct {
		f    billing.Filter
		want []string
	}{
		{billing.Filter{}, []string{gone.ID, open.ID, paid.ID}},
		{billing.Filter{Status: "open"}, []string{open.ID}},
		{billing.Filter{Status: "settled"}, []string{paid.ID}},
		{billing.Filter{Status: "expired"}, []string{gone.ID}},
		{billing.Filter{UserID: bob}, []string{gone.ID, open.ID}},
		{billing.Filter{Limit: 1}, []string{gone.ID}},
	} {
		list, err := e.svc.Orders(ctx, c.f)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, o := range list {
			ids = append(ids, o.ID)
		}
		if strings.Join(ids, " ") != strings.Join(c.want, " ") {
			t.Errorf("%+v: %v, want %v", c.f, ids, c.want)
		}
	}
	if _, err := e.svc.Orders(ctx, billing.Filter{Status: "weird"}); err == nil {
		t.Fatal("a bad status filter was accepted")
	}
}

func TestOrderLeftBeingCreated(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ann := e.user("ann@example.org")
	// A process stopped between recording the order and recording its
	// invoice: the row has no provider id.
	created := e.clk.now().Add(-time.Minute).UnixMilli()
	err := e.st.Update(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO billing_orders (id, offer_id, kind, tier, days, credits, method, provider, amount, currency,
			buyer_key, buyer_user_id, status, created_at, updated_at)
			VALUES ('ord_stuck', 'pro', 'plan', 'pro', 30, 100, 'lightning', 'btcpay', 20000, 'SATS', ?, ?, 'open', ?, ?)`,
			"user:"+ann, ann, created, created)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	o := e.checkout(billing.Buyer{UserID: ann}, "pro", billing.Lightning)
	if o.ID == "ord_stuck" || o.Lightning == nil {
		t.Fatalf("the buyer got the stuck order: %+v", o)
	}
	e.clk.add(10 * time.Minute)
	rep, err := e.svc.Reconcile(context.Background())
	if err != nil || rep.Abandoned != 1 {
		t.Fatalf("reconcile: %+v %v", rep, err)
	}
	if got := e.order("ord_stuck"); got.Status != billing.StatusFailed || got.Note == "" {
		t.Fatalf("stuck order: %+v", got)
	}
}
