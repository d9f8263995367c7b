package config

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Payments defaults.
const (
	DefaultZapriteURL    = "https://api.zaprite.com"
	DefaultFiatCurrency  = "USD"
	MaxPacks             = 20          // credit packs on offer at most
	MaxPriceSats         = 100_000_000 // one bitcoin, in sats
	MaxPriceFiat         = 100_000_000 // in the currency's smallest unit
	MaxPackCredits       = 1_000_000   // credits in one pack
	maxPaymentSecretSize = 4096        // bytes of an API key or webhook secret
)

// Payments is what multi mode sells and through which providers:
// Lightning through the operator's BTCPay Server and card through
// Zaprite. Either provider may be off (no URL for BTCPay, no API key for
// Zaprite); with both off nothing is sold. Prices are whole numbers: sats
// for Lightning, the smallest unit of Currency (cents) for card; a price
// of 0 means the item is not sold that way.
type Payments struct {
	BTCPay   BTCPay  `yaml:"btcpay"`
	Zaprite  Zaprite `yaml:"zaprite"`
	Currency string  `yaml:"currency"` // ISO 4217 code of the card prices, e.g. USD
	Pro      Price   `yaml:"pro"`      // 30 days of Pro
	Max      Price   `yaml:"max"`      // 30 days of Max
	Packs    []Pack  `yaml:"packs"`    // credit packs
}

// BTCPay is the operator's BTCPay Server store.
type BTCPay struct {
	URL           string `yaml:"url,omitempty"`            // base address, e.g. http://btcpayserver.embassy; empty: off
	APIKey        string `yaml:"api-key,omitempty"`        // secret: a Greenfield API key of the store
	StoreID       string `yaml:"store-id,omitempty"`       // the store the invoices belong to
	WebhookSecret string `yaml:"webhook-secret,omitempty"` // secret: the store webhook's signing secret
}

// Enabled reports whether Lightning payments through BTCPay are on.
func (b BTCPay) Enabled() bool { return b.URL != "" }

// Zaprite is the operator's Zaprite organisation, for card payments.
type Zaprite struct {
	URL    string `yaml:"url,omitempty"`     // API base, DefaultZapriteURL
	APIKey string `yaml:"api-key,omitempty"` // secret; empty: card payments off
}

// Enabled reports whether card payments through Zaprite are on.
func (z Zaprite) Enabled() bool { return z.APIKey != "" }

// Price is what 30 days of a plan cost.
type Price struct {
	Sats int `yaml:"sats"` // by Lightning, in sats; 0: not sold by Lightning
	Fiat int `yaml:"fiat"` // by card, in the smallest unit of payments.currency; 0: not sold by card
}

// Pack is a pack of credits that do not expire.
type Pack struct {
	ID      string `yaml:"id"`      // what checkout names, e.g. credits-100
	Credits int    `yaml:"credits"` // credits it adds to the permanent bucket
	Sats    int    `yaml:"sats"`    // by Lightning; 0: not sold by Lightning
	Fiat    int    `yaml:"fiat"`    // by card, smallest unit; 0: not sold by card
}

// Enabled reports whether anything can be bought.
func (p Payments) Enabled() bool { return p.BTCPay.Enabled() || p.Zaprite.Enabled() }

func (p *Payments) applyDefaults() {
	if p.Zaprite.URL == "" {
		p.Zaprite.URL = DefaultZapriteURL
	}
	if p.Currency == "" {
		p.Currency = DefaultFiatCurrency
	}
}

var (
	packIDPattern   = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)
	currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)
	storeIDPattern  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,100}$`)
)

// Validate checks the payments section alone (a relay's relay.yaml has
// no other section that counts), naming the offending key.
func (p Payments) Validate() error { return p.validate() }

func (p Payments) validate() error {
	if err := p.BTCPay.validate(); err != nil {
		return err
	}
	if err := p.Zaprite.validate(); err != nil {
		return err
	}
	if !currencyPattern.MatchString(p.Currency) {
		return fmt.Errorf("payments.currency: %q is not a three-letter currency code such as USD or EUR", p.Currency)
	}
	for _, pl := range []struct {
		key   string
		price Price
	}{{"payments.pro", p.Pro}, {"payments.max", p.Max}} {
		if err := pl.price.validate(pl.key); err != nil {
			return err
		}
	}
	return validatePacks(p.Packs)
}

func (b BTCPay) validate() error {
	if b.URL == "" {
		if b.APIKey != "" || b.StoreID != "" || b.WebhookSecret != "" {
			return errors.New("payments.btcpay.url: required when the other BTCPay keys are set (or clear them to turn Lightning off)")
		}
		return nil
	}
	if !httpURL(b.URL) {
		return fmt.Errorf("payments.btcpay.url: %q is not an http(s) URL", b.URL)
	}
	switch {
	case b.APIKey == "":
		return errors.New("payments.btcpay.api-key: required when payments.btcpay.url is set (a Greenfield API key that can create and view the store's invoices)")
	case !oneWord(b.APIKey):
		return errors.New("payments.btcpay.api-key: must be one word of at most 4096 characters")
	case b.StoreID == "":
		return errors.New("payments.btcpay.store-id: required when payments.btcpay.url is set (Store Settings → General → Store ID)")
	case !storeIDPattern.MatchString(b.StoreID):
		return fmt.Errorf("payments.btcpay.store-id: %q is not a store id (letters and digits)", b.StoreID)
	case b.WebhookSecret == "":
		return errors.New("payments.btcpay.webhook-secret: required when payments.btcpay.url is set (the secret of the store's webhook to Recap)")
	case !oneWord(b.WebhookSecret):
		return errors.New("payments.btcpay.webhook-secret: must be one word of at most 4096 characters")
	}
	return nil
}

func (z Zaprite) validate() error {
	if !httpURL(z.URL) {
		return fmt.Errorf("payments.zaprite.url: %q is not an http(s) URL", z.URL)
	}
	if z.APIKey != "" && !oneWord(z.APIKey) {
		return errors.New("payments.zaprite.api-key: must be one word of at most 4096 characters")
	}
	return nil
}

func (pr Price) validate(key string) error {
	if pr.Sats < 0 || pr.Sats > MaxPriceSats {
		return fmt.Errorf("%s.sats: %d is outside 0..%d", key, pr.Sats, MaxPriceSats)
	}
	if pr.Fiat < 0 || pr.Fiat > MaxPriceFiat {
		return fmt.Errorf("%s.fiat: %d is outside 0..%d", key, pr.Fiat, MaxPriceFiat)
	}
	return nil
}

func validatePacks(packs []Pack) error {
	if len(packs) > MaxPacks {
		return fmt.Errorf("payments.packs: %d packs, at most %d", len(packs), MaxPacks)
	}
	seen := map[string]bool{}
	for i, pk := range packs {
		key := fmt.Sprintf("payments.packs[%d]", i)
		switch {
		case !packIDPattern.MatchString(pk.ID):
			return fmt.Errorf("%s.id: %q is not an id of lower-case letters, digits and -, at most 32", key, pk.ID)
		case pk.ID == "core" || pk.ID == "pro" || pk.ID == "max":
			return fmt.Errorf("%s.id: %q is the name of a plan", key, pk.ID)
		case seen[pk.ID]:
			return fmt.Errorf("%s.id: %q is used by another pack", key, pk.ID)
		case pk.Credits < 1 || pk.Credits > MaxPackCredits:
			return fmt.Errorf("%s.credits: %d is outside 1..%d", key, pk.Credits, MaxPackCredits)
		}
		seen[pk.ID] = true
		if err := (Price{Sats: pk.Sats, Fiat: pk.Fiat}).validate(key); err != nil {
			return err
		}
	}
	return nil
}

func oneWord(s string) bool {
	return len(s) <= maxPaymentSecretSize && !strings.ContainsAny(s, " \t\r\n")
}

func (p Payments) redacted() Payments {
	mask := func(s *string) {
		if *s != "" {
			*s = "********"
		}
	}
	mask(&p.BTCPay.APIKey)
	mask(&p.BTCPay.WebhookSecret)
	mask(&p.Zaprite.APIKey)
	p.Packs = append([]Pack(nil), p.Packs...)
	return p
}
