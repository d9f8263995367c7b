package server

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/recap-startos/recap/pkg/auth"
	"github.com/recap-startos/recap/pkg/billing"
	"github.com/recap-startos/recap/pkg/billing/billingtest"
	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/credits"
	"github.com/recap-startos/recap/pkg/jobs"
	"github.com/recap-startos/recap/pkg/store"
	"github.com/recap-startos/recap/pkg/summarize"
)

// paymentsServer is a multi-mode server with payments through a fake
// BTCPay and a fake Zaprite, listening on loopback.
func paymentsServer(t *testing.T) (*httptest.Server, *billing.Service, *billingtest.BTCPay, *billingtest.Zaprite, *store.Store) {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	st, err := store.Open(ctx, dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	accounts, err := auth.NewAccounts(auth.AccountsOptions{Store: st, PublicURL: "http://127.0.0.1:9/", AdminEmail: adminEmail, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	lib := st.Library(filepath.Join(dir, "history"))
	ledger := credits.New(st, roomyPolicy(), credits.Options{})
	q, err := jobs.Open(jobs.Config{Dir: filepath.Join(dir, "jobs"), Engine: summarize.NewBuiltin(), Library: lib, Log: quiet, Meter: &credits.Meter{Ledger: ledger}})
	if err != nil {
		t.Fatal(err)
	}
	btc, zap := billingtest.NewBTCPay(t), billingtest.NewZaprite(t)
	bill, err := billing.New(billing.Options{Store: st, Ledger: ledger, PublicURL: "http://127.0.0.1:9/", Log: quiet, Payments: config.Payments{
		BTCPay:  config.BTCPay{URL: btc.URL, APIKey: btc.APIKey, StoreID: btc.StoreID, WebhookSecret: btc.WebhookSecret},
		Zaprite: config.Zaprite{URL: zap.URL, APIKey: zap.APIKey}, Currency: "USD",
		Packs: []config.Pack{{ID: "credits-50", Credits: 50, Sats: 5000, Fiat: 300}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Options{Version: "test", Jobs: q, Dev: true, MaxUpload: 1 << 20, Log: quiet,
		Multi: &Multi{Accounts: accounts, Store: st, Library: lib, Credits: ledger, Billing: bill}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		hs.Close()
		srv.Close()
		q.Shutdown(context.Background())
		st.Close()
	})
	btc.SetWebhook(hs.URL + "/webhooks/btcpay")
	zap.SetWebhook(hs.URL + "/webhooks/zaprite")
	return hs, bill, btc, zap, st
}

func TestPaymentWebhookRoutes(t *testing.T) {
	t.Parallel()
	hs, bill, btc, zap, st := paymentsServer(t)
	u, err := st.CreateUser(context.Background(), store.NewUser{Email: "ann@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	o, err := bill.Checkout(context.Background(), billing.Buyer{UserID: u.ID}, "credits-50", billing.Lightning)
	if err != nil {
		t.Fatal(err)
	}
	ds := btc.Pay(o.ProviderRef)
	settled := ds[len(ds)-1]

	bad := settled
	bad.Sig = "sha256=" + strings.Repeat("0", 64)
	if codes := btc.Send(bad); codes[0] != http.StatusUnauthorized {
		t.Fatalf("bad signature answered %d", codes[0])
	}
	// A browser-looking cross-site header does not matter to a webhook.
	req, _ := http.NewRequest(http.MethodPost, hs.URL+"/webhooks/btcpay", bytes.NewReader(settled.Body))
	req.Header.Set("BTCPay-Sig", settled.Sig)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://btcpay.example.org")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("signed webhook answered %d", resp.StatusCode)
	}
	if got, _ := bill.Order(context.Background(), o.ID); got.Status != billing.StatusPaid {
		t.Fatalf("order after the webhook: %+v", got)
	}
	// An event about an invoice Recap does not know, and a payout event,
	// are fine: BTCPay must not retry them.
	other := []byte("{\n  \"type\": \"PayoutCreated\",\n  \"storeId\": \"" + btc.StoreID + "\"\n}")
	if codes := btc.Send(billingtest.Delivery{Body: other, Sig: btc.Sign(other)}); codes[0] != http.StatusOK {
		t.Fatalf("unknown event answered %d", codes[0])
	}
	unknown := []byte("{\n  \"type\": \"InvoiceSettled\",\n  \"invoiceId\": \"NoSuchInvoice\",\n  \"storeId\": \"" + btc.StoreID + "\"\n}")
	if codes := btc.Send(billingtest.Delivery{Body: unknown, Sig: btc.Sign(unknown)}); codes[0] != http.StatusOK {
		t.Fatalf("unknown invoice answered %d", codes[0])
	}
	// Bodies are capped.
	huge := bytes.Repeat([]byte(" "), billing.MaxWebhookBody+1)
	if codes := btc.Send(billingtest.Delivery{Body: huge, Sig: btc.Sign(huge)}); codes[0] != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized body answered %d", codes[0])
	}
	// Zaprite's unsigned nudge: only Zaprite's own answer counts.
	bob, err := st.CreateUser(context.Background(), store.NewUser{Email: "bob@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	forged, err := bill.Checkout(context.Background(), billing.Buyer{UserID: bob.ID}, "credits-50", billing.Card)
	if err != nil {
		t.Fatal(err)
	}
	if code := zap.Notify([]byte(`{"event":"order.change","data":{"id":"` + forged.ProviderRef + `","status":"PAID"}}`)); code != http.StatusOK {
		t.Fatalf("zaprite nudge answered %d", code)
	}
	if got, _ := bill.Order(context.Background(), forged.ID); got.Status != billing.StatusOpen {
		t.Fatalf("a forged PAID settled the order: %+v", got)
	}
	co, err := bill.Checkout(context.Background(), billing.Buyer{UserID: u.ID}, "credits-50", billing.Card)
	if err != nil {
		t.Fatal(err)
	}
	if code := zap.Notify(zap.SetStatus(co.ProviderRef, "PAID")); code != http.StatusOK {
		t.Fatalf("zaprite webhook answered %d", code)
	}
	if got, _ := bill.Order(context.Background(), co.ID); got.Status != billing.StatusPaid {
		t.Fatalf("card order after Zaprite said PAID: %+v", got)
	}
	// GET is not a webhook.
	resp, err = http.Get(hs.URL + "/webhooks/btcpay")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed && resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET answered %d", resp.StatusCode)
	}
}
