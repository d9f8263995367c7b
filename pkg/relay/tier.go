package relay

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/recap-startos/recap/pkg/store"
)

// TierAuthority decides the tiers of an instance's users. Without a
// relay it is Local: users.tier is the truth. With one it is Remote: the
// relay is the truth, users.tier a cache, and changes go to the relay
// through the outbox. Grants (recap user set-tier, the admin) and
// purchases call SetTier; features read Tier.
type TierAuthority interface {
	// SetTier changes a user's tier and returns what the user has now
	// (on this instance; with a relay, the relay gets it shortly).
	SetTier(ctx context.Context, userID string, g Grant) (store.TierState, error)
	// Tier is the tier features should give the user now.
	Tier(ctx context.Context, userID string) (Effective, error)
}

var (
	_ TierAuthority = (*Local)(nil)
	_ TierAuthority = (*Remote)(nil)
)

// Grant is a tier change. AddDays extends the current period (a
// purchase); otherwise Expiry is the new expiry (zero: none). Key makes a
// purchase idempotent at the relay (e.g. "order:<id>"); a random one is
// used when empty.
type Grant struct {
	Tier    string
	Expiry  time.Time
	AddDays int
	Key     string
}

func (g Grant) check() error {
	if !ValidTier(g.Tier) {
		return fmt.Errorf("%w: tier %q is not core, pro or max", ErrInvalid, g.Tier)
	}
	if g.AddDays < 0 || g.AddDays > 36500 {
		return fmt.Errorf("%w: %d days is outside 0..36500", ErrInvalid, g.AddDays)
	}
	return nil
}

// Effective is a user's tier as features see it.
type Effective struct {
	Tier   string    // what to give the user now
	Cached string    // users.tier
	Expiry time.Time // of the cached tier; zero: none
	// Held is true when the cached tier has expired but is kept because
	// the relay cannot be reached to say whether it was renewed (for at
	// most the grace period after the expiry).
	Held bool
	// HeldUntil is, while the relay cannot be reached, when a paid tier
	// with an expiry stops being held: its expiry plus the grace period.
	// Zero while the relay is reachable, for core, and for a tier with
	// no expiry.
	HeldUntil time.Time
}

// effective works out the tier to give: the cached one until it expires,
// then core, except that during a relay outage an expired paid tier is
// held for grace after its expiry.
func effective(t store.TierState, now time.Time, relayDown bool, grace time.Duration) Effective {
	e := Effective{Tier: t.Tier, Cached: t.Tier, Expiry: t.Expiry}
	if relayDown && t.Tier != TierCore && !t.Expiry.IsZero() {
		e.HeldUntil = t.Expiry.Add(grace)
	}
	if t.Tier == TierCore || t.Expiry.IsZero() || now.Before(t.Expiry) {
		return e
	}
	if relayDown && now.Before(e.HeldUntil) {
		e.Held = true
		return e
	}
	e.Tier = TierCore
	return e
}

// Local is the tier authority of an instance without a relay.
type Local struct {
	Store *store.Store
}

// SetTier writes users.tier and its expiry.
func (l *Local) SetTier(ctx context.Context, userID string, g Grant) (store.TierState, error) {
	if err := g.check(); err != nil {
		return store.TierState{}, err
	}
	return l.Store.WriteTier(ctx, store.TierWrite{UserID: userID, Tier: g.Tier, Expiry: g.Expiry, AddDays: g.AddDays})
}

// Tier reads users.tier; an expired paid tier is core.
func (l *Local) Tier(ctx context.Context, userID string) (Effective, error) {
	t, err := l.Store.UserTier(ctx, userID)
	if err != nil {
		return Effective{}, err
	}
	return effective(t, time.Now(), false, 0), nil
}

// Remote is the tier authority of an instance with a relay.
type Remote struct {
	Store *store.Store
	Sync  *Sync
}

// SetTier writes the cache and queues the update for the relay in one
// transaction, then wakes the sync loop to send it.
func (r *Remote) SetTier(ctx context.Context, userID string, g Grant) (store.TierState, error) {
	if err := g.check(); err != nil {
		return store.TierState{}, err
	}
	it, err := OutboxItem(userID, g)
	if err != nil {
		return store.TierState{}, err
	}
	t, err := r.Store.WriteTier(ctx, store.TierWrite{UserID: userID, Tier: g.Tier, Expiry: g.Expiry, AddDays: g.AddDays, Outbox: &it})
	if err != nil {
		return t, err
	}
	r.Sync.Nudge()
	return t, nil
}

// Tier reads the cache; see effective for the grace period.
func (r *Remote) Tier(ctx context.Context, userID string) (Effective, error) {
	t, err := r.Store.UserTier(ctx, userID)
	if err != nil {
		return Effective{}, err
	}
	st := r.Sync.Status()
	return effective(t, r.Sync.now(), !st.Reachable, r.Sync.opt.Grace), nil
}

// OutboxItem is the outbox row that carries a grant to the relay. Code
// that changes users.tier in its own transaction queues it there with
// store.EnqueueTierUpdate, then calls Sync.Nudge.
func OutboxItem(userID string, g Grant) (store.OutboxItem, error) {
	if err := g.check(); err != nil {
		return store.OutboxItem{}, err
	}
	if g.Key == "" {
		g.Key = newOutboxKey()
	}
	up := TierUpdate{UserID: userID, Tier: g.Tier, AddDays: g.AddDays, Key: g.Key}
	if g.AddDays == 0 {
		up.ExpiresAt = g.Expiry
	}
	body, err := json.Marshal(up)
	if err != nil {
		return store.OutboxItem{}, err
	}
	return store.OutboxItem{Key: g.Key, UserID: userID, Body: string(body)}, nil
}

func newOutboxKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "tu_" + hex.EncodeToString(b)
}
