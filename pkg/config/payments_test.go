package config

import (
	"strings"
	"testing"
)

const btcpayOK = "payments:\n  btcpay:\n    url: http://btcpayserver.embassy\n    api-key: k1\n    store-id: St0re\n    webhook-secret: s3cret\n"

func TestPaymentsLoad(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, yaml, wantErr string
	}{
		{"none", "", ""},
		{"btcpay", btcpayOK + "  pro:\n    sats: 21000\n  max:\n    sats: 90000\n", ""},
		{"zaprite", "payments:\n  zaprite:\n    api-key: zk\n  currency: EUR\n  pro:\n    fiat: 900\n", ""},
		{"packs", btcpayOK + "  packs:\n    - id: credits-100\n      credits: 100\n      sats: 5000\n    - {id: credits-500, credits: 500, sats: 20000, fiat: 900}\n", ""},
		{"nulls from the Config page", "payments:\n  btcpay:\n    url: null\n    api-key: null\n    store-id: null\n    webhook-secret: null\n  zaprite:\n    api-key: null\n", ""},
		{"btcpay without key", "payments:\n  btcpay:\n    url: http://b\n    store-id: s\n    webhook-secret: w\n", "payments.btcpay.api-key"},
		{"btcpay without store", "payments:\n  btcpay:\n    url: http://b\n    api-key: k\n    webhook-secret: w\n", "payments.btcpay.store-id"},
		{"btcpay without secret", "payments:\n  btcpay:\n    url: http://b\n    api-key: k\n    store-id: s\n", "payments.btcpay.webhook-secret"},
		{"btcpay key without url", "payments:\n  btcpay:\n    api-key: k\n", "payments.btcpay.url"},
		{"btcpay bad url", "payments:\n  btcpay:\n    url: btcpay.local\n    api-key: k\n    store-id: s\n    webhook-secret: w\n", "payments.btcpay.url"},
		{"btcpay key with space", "payments:\n  btcpay:\n    url: http://b\n    api-key: 'a b'\n    store-id: s\n    webhook-secret: w\n", "payments.btcpay.api-key"},
		{"bad store id", "payments:\n  btcpay:\n    url: http://b\n    api-key: k\n    store-id: 'a/b'\n    webhook-secret: w\n", "payments.btcpay.store-id"},
		{"zaprite bad url", "payments:\n  zaprite:\n    url: ftp://z\n", "payments.zaprite.url"},
		{"bad currency", "payments:\n  currency: dollars\n", "payments.currency"},
		{"negative price", "payments:\n  pro:\n    sats: -1\n", "payments.pro.sats"},
		{"huge fiat", "payments:\n  max:\n    fiat: 1000000000\n", "payments.max.fiat"},
		{"fractional price", "payments:\n  pro:\n    sats: 1.5\n", "payments.pro.sats: 1.5 is not a whole number"},
		{"pack bad id", "payments:\n  packs:\n    - {id: 'Big Pack', credits: 5}\n", "payments.packs[0].id"},
		{"pack named like a plan", "payments:\n  packs:\n    - {id: pro, credits: 5}\n", "payments.packs[0].id"},
		{"pack twice", "payments:\n  packs:\n    - {id: a, credits: 5}\n    - {id: a, credits: 6}\n", "payments.packs[1].id"},
		{"pack no credits", "payments:\n  packs:\n    - {id: a, credits: 0}\n", "payments.packs[0].credits"},
		{"pack negative price", "payments:\n  packs:\n    - {id: a, credits: 1, fiat: -5}\n", "payments.packs[0].fiat"},
		{"pack unknown key", "payments:\n  packs:\n    - {id: a, credits: 1, price: 5}\n", `unknown key "payments.packs[].price"`},
		{"unknown key", "payments:\n  stripe: {}\n", `unknown key "payments.stripe"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(write(t, c.yaml))
			if c.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("error = %v, want it to contain %q", err, c.wantErr)
			}
		})
	}
}

func TestPaymentsDefaultsAndEnabled(t *testing.T) {
	t.Parallel()
	c := Default()
	if c.Payments.Enabled() || c.Payments.Zaprite.URL != DefaultZapriteURL || c.Payments.Currency != "USD" {
		t.Fatalf("defaults = %+v", c.Payments)
	}
	c, err := Load(write(t, btcpayOK))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Payments.Enabled() || !c.Payments.BTCPay.Enabled() || c.Payments.Zaprite.Enabled() {
		t.Fatalf("enabled = %+v", c.Payments)
	}
}

func TestPaymentsSecretsRedacted(t *testing.T) {
	t.Parallel()
	c, err := Load(write(t, btcpayOK+"  zaprite:\n    api-key: zap-secret-key\n  packs:\n    - {id: a, credits: 1, sats: 10}\n"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Redacted().YAML()
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"k1", "s3cret", "zap-secret-key"} {
		if strings.Contains(string(out), ": "+secret+"\n") {
			t.Errorf("dump shows %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(string(out), "store-id: St0re") || c.Payments.BTCPay.APIKey != "k1" || c.Payments.Zaprite.APIKey != "zap-secret-key" {
		t.Fatalf("redaction changed the original or hid a non-secret:\n%s", out)
	}
}
