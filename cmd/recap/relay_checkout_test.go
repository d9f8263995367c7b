package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/recap-startos/recap/pkg/billing/billingtest"
	"github.com/recap-startos/recap/pkg/mail/mailtest"
	"github.com/recap-startos/recap/pkg/store"
)

// TestRelayCheckoutBinaryEndToEnd: a `recap relay serve` process that
// sells Pro through its own (fake) BTCPay Server, and a `recap serve`
// instance with that relay. The admin buys Pro on the instance; the
// checkout and its BOLT11 are the relay's; BTCPay's webhook goes to the
// relay; the instance's order page polls the relay and applies the
// period once, which a replayed webhook and a restart do not repeat.
func TestRelayCheckoutBinaryEndToEnd(t *testing.T) {
	a := newTestVolume(t)
	smtp := mailtest.Start(t, mailtest.Options{})
	btc := billingtest.NewBTCPay(t)
	rel := &relayProcess{t: t, bin: a.bin, data: t.TempDir(), addr: mailtest.FreeAddr(t)}
	os.WriteFile(filepath.Join(rel.data, "relay.yaml"), []byte(fmt.Sprintf(`payments:
  btcpay:
    url: %s
    api-key: %s
    store-id: %s
    webhook-secret: %s
  pro:
    sats: 21000
  max:
    sats: 84000
`, btc.URL, btc.APIKey, btc.StoreID, btc.WebhookSecret)), 0o600)
	rel.start()
	t.Cleanup(func() {
		if rel.cmd.ProcessState == nil {
			rel.cmd.Process.Kill()
			rel.cmd.Wait()
		}
	})
	btc.SetWebhook("http://" + rel.addr + "/relay/v1/webhooks/btcpay")
	code, out, errOut := a.run("", "relay", "license", "add", "--data", rel.data, "inst-a")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	key := lines[len(lines)-1]
	if code != 0 || !strings.HasPrefix(key, "rly1_") {
		t.Fatalf("license add: %d %s %s", code, out, errOut)
	}

	t.Setenv("RECAP_RELAY_POLL_INTERVAL", "100ms")
	cfg := specConfig(t, map[string]string{"mode": "multi", "smtp": "custom", "engine": "builtin"})
	mode, mail := cfg["mode"].(map[string]any), cfg["smtp"].(map[string]any)
	mode["admin-email"], mode["public-url"] = "owner@example.org", "http://"+a.addr
	mail["host"], mail["port"], mail["security"], mail["from"] = smtp.Host, smtp.Port, "none", "recap@example.org"
	cfg["relay"] = map[string]any{"url": "http://" + rel.addr, "license": key}
	srv, call := signedIn(t, a, cfg)
	admin := me(t, call)

	// The pricing page shows the relay's price once the instance has asked.
	waitFor(t, "the relay's plans on sale", func() (bool, string) {
		code, page := call("GET", "/pricing", "")
		return code == 200 && (strings.Contains(page, "21,000") || strings.Contains(page, "21000")), fmt.Sprint(code)
	})
	// A visitor is asked to sign in: the relay keys tiers by account.
	res, err := http.Get("http://" + a.addr + "/pricing")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(page), `id="plan-pro-sign-in"`) || strings.Contains(string(page), `id="email-pro"`) {
		t.Fatalf("the visitor's pricing page offers Pro without an account:\n%s", page)
	}
	// Through the API too: an email address is not enough.
	req, _ := http.NewRequest("POST", "http://"+a.addr+"/api/billing/checkout", strings.NewReader(`{"plan":"pro","method":"lightning","email":"new@example.org"}`))
	req.Header.Set("Content-Type", "application/json")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "sign_in_to_buy") || len(btc.Invoices()) != 0 {
		t.Fatalf("anonymous plan through the relay: %d %s", res.StatusCode, body)
	}
	var co struct {
		OrderID   string `json:"order_id"`
		Lightning *struct {
			BOLT11 string `json:"bolt11"`
			Sats   int64  `json:"sats"`
		} `json:"lightning"`
	}
	code, out = call("POST", "/api/billing/checkout", `{"plan":"pro","method":"lightning"}`)
	if code != http.StatusCreated || json.Unmarshal([]byte(out), &co) != nil || co.Lightning == nil {
		t.Fatalf("checkout: %d %s", code, out)
	}
	invs := btc.Invoices()
	if len(invs) != 1 || invs[0].BOLT11 != co.Lightning.BOLT11 || co.Lightning.Sats != 21000 {
		t.Fatalf("the instance shows %+v; the relay's BTCPay has %+v", co.Lightning, invs)
	}
	// A double click: the same order.
	if code, again := call("POST", "/api/billing/checkout", `{"plan":"pro","method":"lightning"}`); code != http.StatusCreated || !strings.Contains(again, co.OrderID) {
		t.Fatalf("second click: %d %s", code, again)
	}

	// Check Payments says where plans are sold.
	if code, out, errOut := a.run("", "payments", "check", "--data", a.data); code != 0 || !strings.Contains(out, "ok   relay: plans are sold through the relay") || !strings.Contains(out, "Pro (21000 sats)") {
		t.Fatalf("payments check: %d %s %s", code, out, errOut)
	}
	ds := btc.Pay(invs[0].ID)
	for i, code := range btc.Send(ds...) {
		if code != http.StatusOK {
			t.Fatalf("webhook %d to the relay answered %d", i, code)
		}
	}
	order := func() string {
		code, out := call("GET", "/api/billing/orders/"+co.OrderID, "")
		var o struct {
			Status string `json:"status"`
		}
		if code != 200 || json.Unmarshal([]byte(out), &o) != nil {
			t.Fatalf("order: %d %s", code, out)
		}
		return o.Status
	}
	waitFor(t, "the instance applies the relay's settlement", func() (bool, string) { s := order(); return s == "paid", s })
	if m := me(t, call); m.Tier != "pro" {
		t.Fatalf("after payment: %+v", m)
	}
	showUser := func() string {
		_, out, _ := a.run("", "relay", "user", "show", "--data", rel.data, "inst-a", admin.User)
		return strings.TrimSpace(out)
	}
	before := showUser()
	if !strings.Contains(before, ": pro, expires") {
		t.Fatalf("at the relay: %s", before)
	}

	// Replays: BTCPay redelivers, the instance restarts and polls again.
	btc.Send(btc.Redelivery(ds[len(ds)-1]))
	a.stop(srv)
	srv = a.serve()
	t.Cleanup(func() {
		if srv.ProcessState == nil {
			srv.Process.Kill()
			srv.Wait()
		}
	})
	if s := order(); s != "paid" {
		t.Fatalf("after a restart: %s", s)
	}
	if after := showUser(); after != before {
		t.Fatalf("the relay's period moved: %q then %q", before, after)
	}
	a.stop(srv)
	code, out, _ = a.run("", "relay", "ledger", "--data", rel.data, "inst-a")
	if code != 0 || strings.Count(out, " tier ") != 1 || !strings.Contains(out, "checkout") {
		t.Fatalf("relay ledger:\n%s", out)
	}
	code, out, _ = a.run("", "relay", "orders", "--data", rel.data, "inst-a")
	if code != 0 || strings.Count(out, "rord_") != 1 || !strings.Contains(out, "pro x1") || !strings.Contains(out, "21000 SATS") || !strings.Contains(out, " paid ") {
		t.Fatalf("relay orders:\n%s", out)
	}
	// The instance applied the period once: one subscriptions row, one
	// allowance refill for the order, nothing queued for the relay.
	st, err := store.Open(context.Background(), a.data, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var subs, refills, queued int
	err = st.View(context.Background(), func(tx *sql.Tx) error {
		if err := tx.QueryRow(`SELECT count(*) FROM subscriptions WHERE order_id = ?`, co.OrderID).Scan(&subs); err != nil {
			return err
		}
		if err := tx.QueryRow(`SELECT count(*) FROM credit_ledger WHERE order_id = ? AND kind = 'refill'`, co.OrderID).Scan(&refills); err != nil {
			return err
		}
		return tx.QueryRow(`SELECT count(*) FROM relay_outbox WHERE done_at IS NULL`).Scan(&queued)
	})
	if err != nil || subs != 1 || refills != 1 || queued != 0 {
		t.Fatalf("instance: %d subscriptions, %d refills, %d queued, %v", subs, refills, queued, err)
	}
}
