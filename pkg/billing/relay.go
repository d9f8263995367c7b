package billing

// Plans sold through the relay. With a relay configured (Options.Relay)
// the relay is the tier authority and the seller of plans: a plan's
// checkout records a billing_orders row here (provider "relay") exactly
// as a direct one does, then asks the relay to make the checkout at its
// own BTCPay Server or Zaprite, at its prices, naming this order as the
// relay order's external id (a retried request gets the same order back
// from the relay). The buyer pays the relay's BOLT11 or card checkout.
//
// Settlement is polled: the order page's polling (Order), and the
// reconciler every minute, re-read the order from the relay (which
// re-reads its provider) through the same refresh as a direct order.
// The relay's answer must name this order, its price and its currency
// (mismatch), and the order is applied through the same guarded UPDATE
// of billing_orders.applied_at, so a replayed poll, a second process or
// a restart cannot apply it twice. What is applied differs in one way:
// the relay has already extended the tier (keyed by its order), so the
// period is the one the relay reports, written to the tier cache with
// the allowance, and nothing is queued for the relay
// (credits.ApplyRelayPlan).

import (
	"context"
	"errors"
	"fmt"

	"github.com/recap-startos/recap/pkg/credits"
	"github.com/recap-startos/recap/pkg/relay"
)

// RelayShop is the relay's checkout API as the instance uses it;
// *relay.Shop is one.
type RelayShop interface {
	Offers(ctx context.Context) (relay.Offers, error)
	CreateCheckout(ctx context.Context, req relay.CheckoutRequest) (relay.Checkout, error)
	Checkout(ctx context.Context, id string) (relay.Checkout, error)
}

var _ RelayShop = (*relay.Shop)(nil)

// LoadRelayOffers asks the relay which plans it sells and at what
// prices; until it has answered once, no plan is on sale. Run calls it
// at every pass.
func (s *Service) LoadRelayOffers(ctx context.Context) error {
	if s.opt.Relay == nil {
		return nil
	}
	ro, err := s.opt.Relay.Offers(ctx)
	if err != nil {
		return fmt.Errorf("billing: the relay's offers: %w", err)
	}
	pol := s.opt.Ledger.Policy()
	var plans []Offer
	for _, p := range ro.Plans {
		if p.Plan != credits.TierPro && p.Plan != credits.TierMax {
			continue
		}
		plans = append(plans, Offer{ID: p.Plan, Kind: KindPlan, Tier: p.Plan, Days: PlanDays, Credits: pol.Plan(p.Plan).Credits,
			Sats: p.Sats, Fiat: p.Fiat, Currency: p.Currency})
	}
	s.omu.Lock()
	s.relayOffers = plans
	s.omu.Unlock()
	return nil
}

// PlansNeedAccount reports whether a plan can be bought only by a
// signed-in account (plans sold through the relay, which keys tiers by
// user id), not by an email address before the account exists.
func (s *Service) PlansNeedAccount() bool { return s.opt.Relay != nil }

// relayProvider is the relay's provider for a method.
func relayProvider(m Method) string {
	if m == Lightning {
		return relay.ProviderBTCPay
	}
	return relay.ProviderZaprite
}

// relayError turns the relay's refusals into the package's errors; what
// cannot be helped by the buyer is ErrProviderDown.
func relayError(err error) error {
	switch {
	case errors.Is(err, relay.ErrBelowPlan):
		return fmt.Errorf("%w: %v", ErrBelowCurrentPlan, err)
	case errors.Is(err, relay.ErrNotSold):
		return fmt.Errorf("%w: %v", ErrMethodUnavailable, err)
	}
	return &providerError{provider: ProviderRelay, msg: err.Error()}
}

// relayCreate asks the relay for the checkout of an order.
func (s *Service) relayCreate(ctx context.Context, o Order, returnURL string) (remote, error) {
	c, err := s.opt.Relay.CreateCheckout(ctx, relay.CheckoutRequest{UserID: o.Buyer.UserID, Plan: o.Offer.Tier, Periods: 1,
		Provider: relayProvider(o.Method), ExternalID: o.ID, RedirectURL: returnURL})
	if err != nil {
		return remote{}, relayError(err)
	}
	if c.Status == relay.CheckoutFailed {
		return remote{}, &providerError{provider: ProviderRelay, msg: "the relay's provider made no invoice: " + c.Note}
	}
	return remoteOfCheckout(c), nil
}

// relayGet re-reads an order from the relay.
func (s *Service) relayGet(ctx context.Context, ref string) (remote, error) {
	c, err := s.opt.Relay.Checkout(ctx, ref)
	if err != nil {
		return remote{}, relayError(err)
	}
	return remoteOfCheckout(c), nil
}

// remoteOfCheckout reads a relay order as a provider's invoice. A paid
// order must say what the user has now at the relay; without it, it
// stays processing.
func remoteOfCheckout(c relay.Checkout) remote {
	r := remote{ref: c.ID, orderID: c.ExternalID, amount: c.Amount, amountOK: true, currency: c.Currency,
		state: c.Status, providerStatus: c.Status, note: c.Note, bolt11: c.BOLT11, expiresAt: c.ExpiresAt, checkoutURL: c.CheckoutURL}
	if c.ProviderStatus != "" {
		r.providerStatus += " (" + c.ProviderStatus + ")"
	}
	switch c.Status {
	case StatusOpen, StatusProcessing, StatusPaid, StatusUnderpaid, StatusExpired, StatusInvalid:
	default:
		r.state, r.note = StatusOpen, "unknown relay status "+c.Status
	}
	if c.Status == StatusPaid {
		if c.User == nil || (c.User.Tier != credits.TierPro && c.User.Tier != credits.TierMax) || c.User.ExpiresAt.IsZero() {
			r.state, r.note = StatusProcessing, "the relay settled it but did not say the period it gave"
		} else {
			r.tier, r.tierEnd = c.User.Tier, c.User.ExpiresAt
		}
	}
	return r
}
