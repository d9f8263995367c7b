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
	seen := map[string]bool{}
	var out []store.PaidPeriod
	for _, u := range users {
		if seen[u.UserID] || u.ExpiresAt.IsZero() || u.ExpiresAt.Before(from) || u.ExpiresAt.After(to) ||
			(u.Tier != store.TierPro && u.Tier != store.TierMax) {
			continue
		}
		seen[u.UserID] = true
		acct, err := p.Store.UserByID(ctx, u.UserID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("billing: reminders: %w", err)
		}
		if acct.Disabled() {
			continue
		}
		if _, err := p.Store.CacheTier(ctx, u.UserID, store.TierState{Tier: u.Tier, Expiry: u.ExpiresAt}); err != nil {
			return nil, fmt.Errorf("billing: reminders: %w", err)
		}
		out = append(out, store.PaidPeriod{UserID: u.UserID, Email: acct.Email, Tier: u.Tier, ExpiresAt: u.ExpiresAt})
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].ExpiresAt.Equal(out[j].ExpiresAt) {
			return out[i].ExpiresAt.Before(out[j].ExpiresAt)
		}
		return out[i].UserID < out[j].UserID
	})
	return out, nil
}
