package credits

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/recap-startos/recap/pkg/relay"
	"github.com/recap-startos/recap/pkg/store"
)

// Ledger meters credits on the multi-mode database. It is safe for
// concurrent use.
type Ledger struct {
	st    *store.Store
	pol   Policy
	now   func() time.Time
	tiers relay.TierAuthority
}

// Options are a Ledger's collaborators; the zero value is fine.
type Options struct {
	// Tiers decides users' tiers: relay.Local or relay.Remote. When nil
	// the ledger reads users.tier itself (an ended paid tier is core)
	// and SetTier writes it.
	Tiers relay.TierAuthority
	// Now replaces time.Now (tests).
	Now func() time.Time
}

// New returns a Ledger on st. Zero fields of pol take their defaults.
func New(st *store.Store, pol Policy, opt Options) *Ledger {
	pol.fill()
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Ledger{st: st, pol: pol, now: opt.Now, tiers: opt.Tiers}
}

// Policy returns the ledger's policy.
func (l *Ledger) Policy() Policy { return l.pol }

// Balance is a user's account as of a moment.
type Balance struct {
	Replenish        int       // the period allowance left
	Purchased        int       // the permanent credits left
	LastRefill       time.Time // start of the current period
	NextRefill       time.Time // when the allowance is refilled next
	LifetimeGranted  int       // every credit ever added
	LifetimeConsumed int       // every credit ever spent
	Tier             string    // the tier in force
	TierExpiresAt    time.Time // end of a paid tier; zero if it has none
	Plan             Plan      // the tier's plan
}

// Total is what the user can spend now.
func (b Balance) Total() int { return b.Replenish + b.Purchased }

// account is a user's row as read inside a transaction.
type account struct {
	userID     string
	exists     bool // a tenant_credits row exists
	replenish  int64
	purchased  int64
	lastRefill sql.NullInt64 // epoch ms
	granted    int64
	consumed   int64
	// allowanceTier is the tier whose allowance the replenish bucket
	// holds (NULL for balances from before the ledger).
	allowanceTier sql.NullString
	tier          string        // the tier in force now (see resolveTier)
	tierExpires   sql.NullInt64 // epoch ms; end of the cached tier's period
}

// queryer is what *sql.Tx offers for reading.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func loadAccount(ctx context.Context, q queryer, userID string) (*account, error) {
	a := &account{userID: userID}
	err := q.QueryRowContext(ctx, `SELECT u.tier, u.tier_expires_at, c.user_id IS NOT NULL,
		coalesce(c.replenish_balance, 0), coalesce(c.purchased_balance, 0), c.last_replenish_at,
		coalesce(c.lifetime_granted, 0), coalesce(c.lifetime_consumed, 0), c.allowance_tier
		FROM users u LEFT JOIN tenant_credits c ON c.user_id = u.id WHERE u.id = ?`, userID).Scan(
		&a.tier, &a.tierExpires, &a.exists, &a.replenish, &a.purchased, &a.lastRefill, &a.granted, &a.consumed, &a.allowanceTier)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrUnknownUser
	}
	if err != nil {
		return nil, err
	}
	if !ValidTier(a.tier) {
		a.tier = TierCore
	}
	return a, nil
}

// resolveTier puts the tier in force into a loaded account: the tier
// authority's answer, or without one users.tier until its period ends,
// then core. Nothing is written: users.tier is the authority's.
func (l *Ledger) resolveTier(ctx context.Context, a *account) error {
	if l.tiers != nil {
		e, err := l.tiers.Tier(ctx, a.userID)
		if err != nil {
			return err
		}
		a.tier = e.Tier
		if !ValidTier(a.tier) {
			a.tier = TierCore
		}
		return nil
	}
	if a.tierExpires.Valid && l.now().UnixMilli() >= a.tierExpires.Int64 {
		a.tier = TierCore
	}
	return nil
}

// due reports whether settle would change the account at now.
func (l *Ledger) due(a *account, now time.Time) bool {
	switch {
	case !a.exists, !a.lastRefill.Valid:
		return true
	case !a.allowanceTier.Valid || a.allowanceTier.String != a.tier:
		return true
	}
	return now.UnixMilli() >= a.lastRefill.Int64+l.pol.Period.Milliseconds()
}

func (l *Ledger) balanceOf(a *account) Balance {
	b := Balance{
		Replenish: int(a.replenish), Purchased: int(a.purchased),
		LifetimeGranted: int(a.granted), LifetimeConsumed: int(a.consumed),
		Tier: a.tier, Plan: l.pol.Plan(a.tier),
	}
	if a.lastRefill.Valid {
		b.LastRefill = time.UnixMilli(a.lastRefill.Int64)
		b.NextRefill = b.LastRefill.Add(l.pol.Period)
	}
	if a.tierExpires.Valid && (l.tiers != nil || a.tier != TierCore) {
		b.TierExpiresAt = time.UnixMilli(a.tierExpires.Int64)
	}
	return b
}

// change is one write to an account: the ledger rows it adds go with
// the new balances when save runs.
type change struct {
	a     *account
	now   time.Time
	actor string
	rows  []entryRow
}

type entryRow struct {
	kind, bucket   string
	amount         int64
	after          int64
	jobID, orderID string
	note           string
}

// move changes a bucket by amount and records it.
func (c *change) move(kind, bucket string, amount int64, jobID, orderID, note string) {
	p := &c.a.replenish
	if bucket == BucketPurchased {
		p = &c.a.purchased
	}
	*p += amount
	c.rows = append(c.rows, entryRow{kind: kind, bucket: bucket, amount: amount, after: *p, jobID: jobID, orderID: orderID, note: note})
}

// note records a row that changes no balance (a commit, a forfeited release).
func (c *change) note(kind, bucket, jobID, note string) {
	after := c.a.replenish
	if bucket == BucketPurchased {
		after = c.a.purchased
	}
	c.rows = append(c.rows, entryRow{kind: kind, bucket: bucket, after: after, jobID: jobID, note: note})
}

// save writes the account row and the ledger rows of a change.
func (c *change) save(ctx context.Context, tx *sql.Tx) error {
	a := c.a
	if a.replenish < 0 || a.purchased < 0 {
		return fmt.Errorf("credits: refusing a negative balance for %s (%d, %d)", a.userID, a.replenish, a.purchased)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO tenant_credits
		(user_id, purchased_balance, replenish_balance, last_replenish_at, lifetime_granted, lifetime_consumed, allowance_tier)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
		ON CONFLICT (user_id) DO UPDATE SET purchased_balance = ?2, replenish_balance = ?3,
			last_replenish_at = ?4, lifetime_granted = ?5, lifetime_consumed = ?6, allowance_tier = ?7`,
		a.userID, a.purchased, a.replenish, a.lastRefill, a.granted, a.consumed, a.allowanceTier); err != nil {
		return err
	}
	a.exists = true
	for _, r := range c.rows {
		if _, err := tx.ExecContext(ctx, `INSERT INTO credit_ledger
			(user_id, kind, bucket, amount, balance_after, job_id, order_id, actor, note, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a.userID, r.kind, r.bucket, r.amount, r.after, nullStr(r.jobID), nullStr(r.orderID), c.actor, nullStr(r.note), c.now.UnixMilli()); err != nil {
			return err
		}
	}
	c.rows = nil
	return nil
}

// settle brings the account up to now: the sign-up allowance of a new
// account, the allowance of a tier that changed (a larger one starts a
// new period at once; a smaller one, such as core after a paid period
// ended, forfeits what is above it), and the refill of a passed period
// boundary (one refill however many boundaries passed).
func (l *Ledger) settle(c *change) {
	a, now := c.a, c.now.UnixMilli()
	if a.exists && a.allowanceTier.Valid && a.allowanceTier.String != a.tier {
		l.changeAllowance(c, a.allowanceTier.String, a.tier)
	}
	a.allowanceTier = sql.NullString{String: a.tier, Valid: true}
	period := l.pol.Period.Milliseconds()
	allowance := int64(l.pol.Plan(a.tier).Credits)
	switch {
	case !a.exists && !a.lastRefill.Valid:
		a.lastRefill = sql.NullInt64{Int64: now, Valid: true}
		a.granted += allowance
		c.move(KindSignup, BucketReplenish, allowance, "", "", "")
	case !a.lastRefill.Valid || now >= a.lastRefill.Int64+period:
		anchor := now
		if a.lastRefill.Valid {
			anchor = a.lastRefill.Int64 + (now-a.lastRefill.Int64)/period*period
		}
		if a.replenish > 0 {
			c.move(KindForfeit, BucketReplenish, -a.replenish, "", "", "left at the end of the period")
		}
		a.lastRefill = sql.NullInt64{Int64: anchor, Valid: true}
		a.granted += allowance
		c.move(KindRefill, BucketReplenish, allowance, "", "", "")
	}
}

// changeAllowance moves the replenish bucket from one tier's allowance
// to another's.
func (l *Ledger) changeAllowance(c *change, from, to string) {
	a := c.a
	old, next := int64(l.pol.Plan(from).Credits), int64(l.pol.Plan(to).Credits)
	switch {
	case next > old:
		if a.replenish > 0 {
			c.move(KindForfeit, BucketReplenish, -a.replenish, "", "", "replaced by the "+to+" allowance")
		}
		a.lastRefill = sql.NullInt64{Int64: c.now.UnixMilli(), Valid: true}
		a.granted += next
		c.move(KindRefill, BucketReplenish, next, "", "", "the "+to+" allowance")
	case a.replenish > next:
		c.move(KindForfeit, BucketReplenish, next-a.replenish, "", "", "the allowance above "+to+"'s ("+from+" ended)")
	}
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}
