package billing

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/recap-startos/recap/pkg/relay"
	"github.com/recap-startos/recap/pkg/store"
)

// PeriodSource lists the paid periods ending in a window: *store.Store
// reads users.tier; RelayPeriods asks the relay, the tier authority when
// one is configured.
type PeriodSource interface {
	PaidPeriodsEnding(ctx context.Context, from, to time.Time) ([]store.PaidPeriod, error)
}

var (
	_ PeriodSource = (*store.Store)(nil)
	_ PeriodSource = (*RelayPeriods)(nil)
)

// RelayExpiry is the relay's list of expiring and lapsed users;
// *relay.Shop is one.
type RelayExpiry interface {
	Expiring(ctx context.Context, days int) ([]relay.UserTier, error)
	Lapsed(ctx context.Context, since time.Time) ([]relay.UserTier, error)
}

var _ RelayExpiry = (*relay.Shop)(nil)

// RelayPeriods asks the relay who is expiring (within the window's end)
// and who has lapsed (since its start), and names them by this
// instance's accounts (their email; disabled and unknown accounts are
// left out). What the relay says is written to the tier cache, so the
// check made when the mail goes out (the period must still be the one
// reminded of) sees the relay's word too.
type RelayPeriods struct {
	Relay RelayExpiry
	Store *store.Store
	Now   func() time.Time // nil: time.Now
}

// PaidPeriodsEnding lists the periods the relay says end in [from, to].
func (p *RelayPeriods) PaidPeriodsEnding(ctx context.Context, from, to time.Time) ([]store.PaidPeriod, error) {
	users, err := p.ask(ctx, from, to)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []store.PaidPeriod
	for _, u := range users {
		if seen[u.UserID] || !paidEnding(u, from, to) {
			continue
		}
		seen[u.UserID] = true
		pp, ok, err := p.account(ctx, u)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, pp)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].ExpiresAt.Equal(out[j].ExpiresAt) {
			return out[i].ExpiresAt.Before(out[j].ExpiresAt)
		}
		return out[i].UserID < out[j].UserID
	})
	return out, nil
}

// ask asks the relay who expires before to and who lapsed since from.
func (p *RelayPeriods) ask(ctx context.Context, from, to time.Time) ([]relay.UserTier, error) {
	now := time.Now()
	if p.Now != nil {
		now = p.Now()
	}
	var users []relay.UserTier
	if to.After(now) {
		days := int(math.Ceil(to.Sub(now).Hours() / 24))
		exp, err := p.Relay.Expiring(ctx, days)
		if err != nil {
			return nil, fmt.Errorf("billing: reminders: ask the relay who is expiring: %w", err)
		}
		users = append(users, exp...)
	}
	if from.Before(now) {
		lapsed, err := p.Relay.Lapsed(ctx, from)
		if err != nil {
			return nil, fmt.Errorf("billing: reminders: ask the relay who lapsed: %w", err)
		}
		users = append(users, lapsed...)
	}
	return users, nil
}

// paidEnding reports whether the relay's user has a paid tier ending in
// [from, to].
func paidEnding(u relay.UserTier, from, to time.Time) bool {
	return (u.Tier == store.TierPro || u.Tier == store.TierMax) && !u.ExpiresAt.IsZero() &&
		!u.ExpiresAt.Before(from) && !u.ExpiresAt.After(to)
}

// account names a relay's user by this instance's account (ok false for
// an unknown or disabled one) and writes the relay's word to the cache.
func (p *RelayPeriods) account(ctx context.Context, u relay.UserTier) (store.PaidPeriod, bool, error) {
	acct, err := p.Store.UserByID(ctx, u.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return store.PaidPeriod{}, false, nil
	}
	if err != nil {
		return store.PaidPeriod{}, false, fmt.Errorf("billing: reminders: %w", err)
	}
	if acct.Disabled() {
		return store.PaidPeriod{}, false, nil
	}
	if _, err := p.Store.CacheTier(ctx, u.UserID, store.TierState{Tier: u.Tier, Expiry: u.ExpiresAt}); err != nil {
		return store.PaidPeriod{}, false, fmt.Errorf("billing: reminders: %w", err)
	}
	return store.PaidPeriod{UserID: u.UserID, Email: acct.Email, Tier: u.Tier, ExpiresAt: u.ExpiresAt}, true, nil
}
