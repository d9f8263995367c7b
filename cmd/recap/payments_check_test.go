package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/recap-startos/recap/pkg/billing"
	"github.com/recap-startos/recap/pkg/billing/billingtest"
	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/credits"
	"github.com/recap-startos/recap/pkg/mail/mailtest"
	"github.com/recap-startos/recap/pkg/store"
)

// TestPaymentsCommands runs recap payments check and reconcile, and
// their actions, against a fake BTCPay.
func TestPaymentsCommands(t *testing.T) {
	btc := billingtest.NewBTCPay(t)
	smtp := mailtest.Start(t, mailtest.Options{})
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "start9"), 0o700); err != nil {
		t.Fatal(err)
	}
	writeCfg := func(key string) {
		cfg := strings.Replace(multiConfig, "port: 2525", fmt.Sprintf("port: %d", smtp.Port), 1) +
			fmt.Sprintf("payments:\n  btcpay:\n    url: %s\n    api-key: %s\n    store-id: %s\n    webhook-secret: %s\n  pro:\n    sats: 20000\n",
				btc.URL, key, btc.StoreID, btc.WebhookSecret)
		if err := os.WriteFile(filepath.Join(dir, "start9", "config.yaml"), []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeCfg(btc.APIKey)

	code, out, errOut := runCLI(t, "", "payments", "check", "--data", dir)
	if code != 0 || !strings.Contains(out, "ok   btcpay: BTCPay: the key can create and view the invoices of store "+btc.StoreID) {
		t.Fatalf("check: exit %d %q %q", code, out, errOut)
	}
	code, out, _ = runCLI(t, "", "action", "payments-check", "--data", dir)
	if code != 0 || !strings.Contains(out, "can create and view") {
		t.Fatalf("payments-check action: exit %d %q", code, out)
	}
	writeCfg("not-the-key")
	code, out, _ = runCLI(t, "", "payments", "check", "--data", dir)
	if code != 1 || !strings.Contains(out, "FAIL btcpay: payments.btcpay.api-key: BTCPay does not accept the API key") {
		t.Fatalf("check with a wrong key: exit %d %q", code, out)
	}
	code, out, errOut = runCLI(t, "", "action", "payments-check", "--data", dir)
	if code == 0 || out != "" || !strings.Contains(errOut, "payments.btcpay.api-key") {
		t.Fatalf("payments-check action with a wrong key: exit %d %q %q", code, out, errOut)
	}
	writeCfg(btc.APIKey)

	// An order paid while its webhook was lost is settled by reconcile.
	ctx := context.Background()
	st, err := store.Open(ctx, dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.CreateUser(ctx, store.NewUser{Email: "ann@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	led := credits.New(st, credits.PolicyFrom(cfg.Mode), credits.Options{})
	svc, err := billing.New(billing.Options{Store: st, Ledger: led, Payments: cfg.Payments, PublicURL: "https://recap.example.org"})
	if err != nil {
		t.Fatal(err)
	}
	o, err := svc.Checkout(ctx, billing.Buyer{UserID: u.ID}, "pro", billing.Lightning)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	btc.Pay(o.ProviderRef)

	code, out, errOut = runCLI(t, "", "payments", "reconcile", "--data", dir)
	if code != 0 || !strings.Contains(out, "1 orders checked, 1 settled now") {
		t.Fatalf("reconcile: exit %d %q %q", code, out, errOut)
	}
	code, out, _ = runCLI(t, "", "action", "reconcile-payments", "--data", dir)
	if code != 0 || !strings.Contains(out, "0 orders checked") {
		t.Fatalf("reconcile-payments action: exit %d %q", code, out)
	}
	code, out, _ = runCLI(t, "", "user", "show", "--data", dir, "ann@example.org")
	if code != 0 || !strings.Contains(out, "pro") {
		t.Fatalf("user show after the purchase: exit %d %q", code, out)
	}
}
