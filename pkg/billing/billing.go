// Package billing sells multi mode's paid plans and credit packs:
// Lightning through the operator's BTCPay Server, card through Zaprite.
//
// How an order flows:
//
//  1. Checkout (POST /api/billing/checkout) prices the offer from the
//     config only, then in one store write either finds the buyer's open
//     order for the same offer and method (a double click gets it back)
//     or records a new one, before anything is asked of a provider. It
//     then creates the provider's invoice (BTCPay: a store-scoped invoice
//     in SATS with metadata.orderId, then its BTC-LN payment method for
//     the BOLT11; Zaprite: an order whose externalUniqId is ours, for its
//     checkoutUrl) and records its id, with a pending_purchases row (a
//     pack) or a pending_signups row (a plan bought before the account
//     exists) keyed by the provider's id, as the earlier Recap did.
//  2. Nothing a caller says settles an order. Webhooks (BTCPay's signed
//     with HMAC-SHA256 of the raw body; Zaprite's unsigned) only name an
//     order; the order page's polling (Order), the webhooks and the
//     reconciler all call refresh, which re-reads the invoice from the
//     provider and acts on that authoritative status only, after checking
//     that it names our order id and our price.
//  3. A paid order is applied in one store transaction guarded by
//     billing_orders.applied_at (and the seed tables' applied_at): the
//     guarded UPDATE lets exactly one of any number of concurrent
//     appliers (webhook, poll, reconciler, another process on the same
//     database) through, and the ledger rows, the tier, the subscriptions
//     row and, for an anonymous buyer, the new account and its sign-in
//     mail (queued in the outbox) commit with it or not at all.
//  4. The reconciler (every minute in serve, and recap payments reconcile)
//     re-checks every unapplied order younger than 72 hours, so a missed
//     webhook still settles and a payment that arrives after the invoice
//     expired (BTCPay's PaidLate) is honoured.
//
// Periods: a plan gives 30 days from the later of now and the end of the
// same plan's current period, with the plan's allowance at once. Buying
// Max during Pro starts Max now and converts the Pro days left into Max
// days by the ratio of the two prices; buying Pro during Max is refused
// at checkout, and if it is paid anyway (an anonymous buyer whose account
// has Max) it lengthens Max by the Pro days' worth (pkg/credits.ApplyPlan).
package billing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/credits"
	"github.com/recap-startos/recap/pkg/store"
)

// Kinds of offer.
const (
	KindPlan = "plan" // a 30-day period of a paid tier
	KindPack = "pack" // credits that never expire
)

// PlanDays is the length of a bought period.
const PlanDays = 30

// Method is how a buyer pays.
type Method string

// Methods.
const (
	Lightning Method = "lightning" // through BTCPay, inline BOLT11
	Card      Method = "card"      // through Zaprite's hosted checkout
)

// Providers.
const (
	ProviderBTCPay  = "btcpay"
	ProviderZaprite = "zaprite"
	// ProviderRelay is a plan sold through the instance's relay (its
	// BTCPay or Zaprite); ProviderRef is the relay's order id.
	ProviderRelay = "relay"
)

// Order statuses. Open, processing and underpaid orders are re-checked
// for WatchFor; the others are final (paid is also applied).
const (
	StatusOpen       = "open"       // waiting for the payment
	StatusProcessing = "processing" // a payment was seen and is not final yet
	StatusPaid       = "paid"       // paid and applied
	StatusUnderpaid  = "underpaid"  // less than the price arrived: not applied
	StatusExpired    = "expired"    // nothing was paid in time
	StatusInvalid    = "invalid"    // the provider gave up on it, or it did not match what we asked
	StatusFailed     = "failed"     // the provider could not create it
)

// WatchFor is how long an unapplied order is re-checked.
const WatchFor = 72 * time.Hour

// Errors a web handler maps to answers.
var (
	// ErrNotConfigured means no payment provider is configured (or not
	// the one a method needs).
	ErrNotConfigured = errors.New("billing: purchases are not offered here")
	// ErrUnknownOffer means the offer id names no plan or pack on sale.
	ErrUnknownOffer = errors.New("billing: no such plan or pack")
	// ErrMethodUnavailable means the offer is not sold by that method.
	ErrMethodUnavailable = errors.New("billing: this is not sold by that payment method")
	// ErrBadBuyer means the buyer cannot buy this offer: a plan needs an
	// account or an email address, a pack an account or a trial.
	ErrBadBuyer = errors.New("billing: who is buying is missing or not allowed for this")
	// ErrSignInToBuy means plans are sold here to accounts only (through
	// the relay, which keys tiers by user id); it is also ErrBadBuyer.
	ErrSignInToBuy = fmt.Errorf("%w: sign in to buy a plan here", ErrBadBuyer)
	// ErrBelowCurrentPlan means a signed-in buyer asked for a plan
	// smaller than the one they have now.
	ErrBelowCurrentPlan = errors.New("billing: you have a larger plan now; buy it again to extend it")
	// ErrUnknownOrder means no order has that id.
	ErrUnknownOrder = errors.New("billing: no such order")
	// ErrProviderDown means the payment provider could not be reached or
	// refused the request; trying again later may work.
	ErrProviderDown = errors.New("billing: the payment provider is not answering")
	// ErrBadSignature means a webhook's signature is missing or wrong.
	ErrBadSignature = errors.New("billing: bad webhook signature")
)

// Offer is something on sale, priced from the config.
type Offer struct {
	ID       string `json:"id"`             // "pro", "max" or a pack's id
	Kind     string `json:"kind"`           // KindPlan or KindPack
	Tier     string `json:"tier,omitempty"` // plans: credits.TierPro or credits.TierMax
	Days     int    `json:"days,omitempty"` // plans: PlanDays
	Credits  int    `json:"credits"`        // packs: credits added; plans: the allowance per period
	Sats     int64  `json:"sats"`           // price by Lightning; 0: not sold that way
	Fiat     int64  `json:"fiat"`           // price by card in Currency's smallest unit; 0: not sold that way
	Currency string `json:"currency"`       // ISO code of Fiat
}

// Price returns what the offer costs by a method, in sats ("SATS") or
// in the fiat currency's smallest unit; ok is false when it is not sold
// that way.
func (o Offer) Price(m Method) (amount int64, currency string, ok bool) {
	switch m {
	case Lightning:
		return o.Sats, "SATS", o.Sats > 0
	case Card:
		return o.Fiat, o.Currency, o.Fiat > 0
	}
	return 0, "", false
}

// Buyer is who buys: a signed-in account, or an anonymous visitor who
// gives an email address (a plan) or holds a trial (a pack).
type Buyer struct {
	UserID  string `json:"user_id,omitempty"`
	Email   string `json:"email,omitempty"`    // anonymous buyer of a plan
	TrialID string `json:"trial_id,omitempty"` // anonymous trial buying a pack (credits.Trial.ID)
}

// LightningInvoice is what the inline Lightning page shows.
type LightningInvoice struct {
	BOLT11    string    `json:"bolt11"`
	ExpiresAt time.Time `json:"expires_at"` // BTCPay's invoice expiry
	Sats      int64     `json:"sats"`
}

// Order is one checkout and what became of it.
type Order struct {
	ID       string `json:"id"`
	Status   string `json:"status"` // one of the Status constants
	Offer    Offer  `json:"offer"`  // as priced when ordered
	Method   Method `json:"method"`
	Buyer    Buyer  `json:"buyer"`
	Amount   int64  `json:"amount"`   // sats or the fiat's smallest unit
	Currency string `json:"currency"` // "SATS" or the fiat code
	Provider string `json:"provider"` // ProviderBTCPay or ProviderZaprite
	// ProviderRef is the provider's invoice or order id.
	ProviderRef    string `json:"provider_ref,omitempty"`
	ProviderStatus string `json:"provider_status,omitempty"` // as the provider said, e.g. Expired/PaidLate
	// Lightning is set for a Lightning order with an invoice.
	Lightning *LightningInvoice `json:"lightning,omitempty"`
	// CheckoutURL is Zaprite's hosted checkout (card), or BTCPay's as a
	// fallback; its host has been checked.
	CheckoutURL string    `json:"checkout_url,omitempty"`
	Note        string    `json:"note,omitempty"` // late, overpaid, underpaid by …
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	// SettledAt is when it was applied; zero until then.
	SettledAt time.Time `json:"settled_at,omitempty"`
	// UserID is the account it was applied to (the buyer's, the one made
	// for an anonymous buyer, or the one a trial became); "" for a pack
	// that landed on a trial.
	UserID string `json:"user_id,omitempty"`
	// Tier, PeriodStart and PeriodEnd are the period a plan gave (Tier
	// may be Max for a Pro bought during Max).
	Tier        string    `json:"tier,omitempty"`
	PeriodStart time.Time `json:"period_start,omitempty"`
	PeriodEnd   time.Time `json:"period_end,omitempty"`
}

// Final reports whether the order will not change any more.
func (o Order) Final() bool {
	switch o.Status {
	case StatusPaid, StatusInvalid, StatusFailed:
		return true
	}
	return false
}

// Mailer sends a sign-in mail queued in the store's outbox by a
// purchase that made an account (*auth.Accounts is one).
type Mailer interface {
	SendQueued(ctx context.Context, outboxID int64) error
}

// Options are what a Service is built from.
type Options struct {
	Store    *store.Store
	Ledger   *credits.Ledger
	Payments config.Payments
	// PublicURL is the base of the return links given to providers.
	PublicURL string
	// Mail sends the sign-in mail of an account made by a purchase; nil
	// leaves it in the outbox for the next start.
	Mail Mailer
	// Relay, when set, sells the plans: checkouts are made at the relay
	// (its own providers, its prices) and their settlement is polled
	// from it. Packs stay with this instance's own providers.
	Relay RelayShop
	// HTTP is the client for the providers (a 20-second timeout if nil).
	HTTP *http.Client
	// Now replaces time.Now (tests).
	Now func() time.Time
	Log *slog.Logger
}

// Service sells and settles. It is safe for concurrent use, and any
// number of Services (or processes) may share one database.
type Service struct {
	opt     Options
	offers  []Offer
	btcpay  *btcpayClient // nil when Lightning is off
	zaprite *zapriteClient
	log     *slog.Logger

	mu      sync.Mutex
	checked map[string]time.Time // order id → last refresh from the provider

	omu         sync.Mutex
	relayOffers []Offer // the relay's plans, as last loaded (LoadRelayOffers)
}

// New checks the options and returns the service. With no provider
// configured it still works: Offers is empty and Checkout says
// ErrNotConfigured.
func New(opt Options) (*Service, error) {
	if opt.Store == nil || opt.Ledger == nil {
		return nil, errors.New("billing: a service needs the store and the ledger")
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.HTTP == nil {
		opt.HTTP = &http.Client{Timeout: 20 * time.Second}
	}
	s := &Service{opt: opt, log: opt.Log, checked: map[string]time.Time{}}
	p := opt.Payments
	if p.BTCPay.Enabled() {
		c, err := newBTCPayClient(p.BTCPay, opt.HTTP)
		if err != nil {
			return nil, err
		}
		s.btcpay = c
	}
	if p.Zaprite.Enabled() {
		c, err := newZapriteClient(p.Zaprite, opt.HTTP)
		if err != nil {
			return nil, err
		}
		s.zaprite = c
	}
	s.offers = offersFrom(p, opt.Ledger.Policy(), s.Methods())
	return s, nil
}

// offersFrom lists the plans and packs that some enabled method sells.
func offersFrom(p config.Payments, pol credits.Policy, methods []Method) []Offer {
	sells := func(o Offer) bool {
		for _, m := range methods {
			if _, _, ok := o.Price(m); ok {
				return true
			}
		}
		return false
	}
	var out []Offer
	for _, pl := range []struct {
		tier  string
		price config.Price
	}{{credits.TierPro, p.Pro}, {credits.TierMax, p.Max}} {
		o := Offer{ID: pl.tier, Kind: KindPlan, Tier: pl.tier, Days: PlanDays, Credits: pol.Plan(pl.tier).Credits,
			Sats: int64(pl.price.Sats), Fiat: int64(pl.price.Fiat), Currency: p.Currency}
		if sells(o) {
			out = append(out, o)
		}
	}
	packs := append([]config.Pack(nil), p.Packs...)
	sort.SliceStable(packs, func(i, j int) bool { return packs[i].Credits < packs[j].Credits })
	for _, pk := range packs {
		o := Offer{ID: pk.ID, Kind: KindPack, Credits: pk.Credits, Sats: int64(pk.Sats), Fiat: int64(pk.Fiat), Currency: p.Currency}
		if sells(o) {
			out = append(out, o)
		}
	}
	return out
}

// Enabled reports whether anything can be bought.
func (s *Service) Enabled() bool { return len(s.Offers()) > 0 }

// Offers lists what is on sale: the plans (Pro, then Max) and the packs
// (smallest first) that an enabled method sells. With a relay the plans
// are the relay's, at its prices.
func (s *Service) Offers() []Offer {
	if s.opt.Relay == nil {
		return append([]Offer(nil), s.offers...)
	}
	s.omu.Lock()
	out := append([]Offer(nil), s.relayOffers...)
	s.omu.Unlock()
	for _, o := range s.offers {
		if o.Kind == KindPack {
			out = append(out, o)
		}
	}
	return out
}

// Offer returns the offer with that id.
func (s *Service) Offer(id string) (Offer, error) {
	for _, o := range s.Offers() {
		if o.ID == id {
			return o, nil
		}
	}
	return Offer{}, fmt.Errorf("%w: %q", ErrUnknownOffer, id)
}

// Methods lists the enabled payment methods, Lightning first: this
// instance's providers', and those the relay sells its plans by.
func (s *Service) Methods() []Method {
	ln, card := s.btcpay != nil, s.zaprite != nil
	if s.opt.Relay != nil {
		s.omu.Lock()
		for _, o := range s.relayOffers {
			ln, card = ln || o.Sats > 0, card || o.Fiat > 0
		}
		s.omu.Unlock()
	}
	var out []Method
	if ln {
		out = append(out, Lightning)
	}
	if card {
		out = append(out, Card)
	}
	return out
}

func (s *Service) now() time.Time { return s.opt.Now() }
