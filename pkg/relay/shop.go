package relay

import (
	"context"
	"time"
)

// Shop is an instance's side of checkouts through its relay: the client
// with the instance's install id filled in. pkg/billing sells plans
// through it when a relay is configured.
type Shop struct {
	Client *Client
	Sync   *Sync // knows the install id (asked of the relay once)
}

// Offers lists the plans the relay sells.
func (s *Shop) Offers(ctx context.Context) (Offers, error) {
	o, err := s.Client.Offers(ctx)
	s.Sync.saw(err)
	return o, err
}

// CreateCheckout asks the relay to sell a plan to one of this instance's
// users.
func (s *Shop) CreateCheckout(ctx context.Context, req CheckoutRequest) (Checkout, error) {
	id, err := s.Sync.InstallID(ctx)
	if err != nil {
		return Checkout{}, err
	}
	req.InstallID = id
	c, err := s.Client.CreateCheckout(ctx, req)
	s.Sync.saw(err)
	return c, err
}

// Checkout reads one of this instance's orders at the relay.
func (s *Shop) Checkout(ctx context.Context, id string) (Checkout, error) {
	c, err := s.Client.Checkout(ctx, id)
	s.Sync.saw(err)
	return c, err
}

// Expiring lists this instance's users whose paid tier ends within days.
func (s *Shop) Expiring(ctx context.Context, days int) ([]UserTier, error) {
	id, err := s.Sync.InstallID(ctx)
	if err != nil {
		return nil, err
	}
	return s.Client.Expiring(ctx, id, days)
}

// Lapsed lists this instance's users whose paid tier ended since t.
func (s *Shop) Lapsed(ctx context.Context, since time.Time) ([]UserTier, error) {
	id, err := s.Sync.InstallID(ctx)
	if err != nil {
		return nil, err
	}
	return s.Client.Lapsed(ctx, id, since)
}
