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

// Purchases are applied by pkg/billing inside its own store transaction,
// the one whose guarded UPDATE makes the order applied; these functions
// take that transaction and never open one.

// PlanPurchase is a paid period bought by an order.
type PlanPurchase struct {
	OrderID string
	UserID  string
	Tier    string // TierPro or TierMax
	Days    int    // the period bought
	// Worth is what a period of each paid tier costs (any unit, the same
	// for both); it converts the days of one tier into days of another
	// when the purchase meets a different active paid tier. A tier
	// missing or at 0 is worth its allowance.
	Worth map[string]int64
	// InvoiceID and AmountSats go into the subscriptions row (BTCPay
	// orders; empty and 0 for card).
	InvoiceID  string
	AmountSats int64
	Actor      string // who bought: the user's id, or system
}

// Period is the paid period a purchase gave.
type Period struct {
	Tier     string    // the tier of the period (the higher one when tiers met)
	Start    time.Time // when the bought days begin
	End      time.Time // the new end of the paid tier
	Refilled bool      // the tier's allowance was put in the replenish bucket now
}

// ApplyPlan gives a user the period an order bought, inside tx: the tier
// and its end (written to users and, with a relay, queued for it), the
// allowance at once as a new period's refill, and a subscriptions row.
//
//   - No active paid tier, or the same one: the tier until 30 days after
//     the later of now and its current end (renewing early loses nothing).
//   - A higher tier during a lower one (Max during Pro): the higher tier
//     from now for the days bought plus the lower tier's days left,
//     converted by the ratio of their worth.
//   - A lower tier during a higher one (Pro during Max): the higher tier
//     stays and is lengthened by the bought days' worth in its days; the
//     allowance period is not restarted.
func (l *Ledger) ApplyPlan(ctx context.Context, tx *sql.Tx, p PlanPurchase) (Period, error) {
	if p.Tier != TierPro && p.Tier != TierMax {
		return Period{}, fmt.Errorf("%w: %q is not a paid tier", ErrUnknownTier, p.Tier)
	}
	if p.Days <= 0 || p.Days > 3650 {
		return Period{}, fmt.Errorf("%w: %d days", ErrBadAmount, p.Days)
	}
	if p.Actor == "" {
		p.Actor = ActorSystem
	}
	c, err := l.open(ctx, tx, p.UserID, p.Actor)
	if err != nil {
		return Period{}, l.fail("apply a plan to", p.UserID, err)
	}
	cur := c.a.tier
	var curEnd time.Time
	if c.a.tierExpires.Valid {
		curEnd = time.UnixMilli(c.a.tierExpires.Int64)
	}
	worth := func(t string) int64 {
		if w := p.Worth[t]; w > 0 {
			return w
		}
		return max(int64(l.pol.Plan(t).Credits), 1)
	}
	per := nextPeriod(cur, curEnd, p.Tier, p.Days, c.now, worth)
	return l.givePeriod(ctx, tx, c, p, per, true)
}

// ApplyRelayPlan records, inside tx, a period a relay sold and already
// gave (a checkout made and settled at the relay, which extended the
// tier there): users.tier and its end as the relay says, the allowance
// at once as a new period's refill, and a subscriptions row. Nothing is
// queued for the relay: it is the one that gave it.
func (l *Ledger) ApplyRelayPlan(ctx context.Context, tx *sql.Tx, p PlanPurchase, tier string, end time.Time) (Period, error) {
	if p.Tier != TierPro && p.Tier != TierMax || (tier != TierPro && tier != TierMax) {
		return Period{}, fmt.Errorf("%w: %q/%q is not a paid tier", ErrUnknownTier, p.Tier, tier)
	}
	if p.Days <= 0 || p.Days > 3650 || end.IsZero() {
		return Period{}, fmt.Errorf("%w: %d days until %s", ErrBadAmount, p.Days, end)
	}
	if p.Actor == "" {
		p.Actor = ActorSystem
	}
	c, err := l.open(ctx, tx, p.UserID, p.Actor)
	if err != nil {
		return Period{}, l.fail("apply a plan to", p.UserID, err)
	}
	start := end.Add(-time.Duration(p.Days) * 24 * time.Hour)
	if start.Before(c.now) {
		start = c.now
	}
	per := Period{Tier: tier, Start: start, End: end, Refilled: tier == p.Tier}
	return l.givePeriod(ctx, tx, c, p, per, false)
}

// givePeriod writes a bought period: the tier (queued for the relay when
// queue is set and there is one), the allowance, the subscriptions row.
func (l *Ledger) givePeriod(ctx context.Context, tx *sql.Tx, c *change, p PlanPurchase, per Period, queue bool) (Period, error) {
	key := "order:" + p.OrderID
	if !queue {
		key = ""
	}
	if err := l.writeTier(ctx, tx, p.UserID, per, key); err != nil {
		return Period{}, l.fail("apply a plan to", p.UserID, err)
	}
	c.a.tier = per.Tier
	c.a.tierExpires = sql.NullInt64{Int64: per.End.UnixMilli(), Valid: true}
	if per.Refilled {
		a := c.a
		if a.replenish > 0 {
			c.move(KindForfeit, BucketReplenish, -a.replenish, "", p.OrderID, "replaced by the "+per.Tier+" allowance")
		}
		allowance := int64(l.pol.Plan(per.Tier).Credits)
		a.lastRefill = sql.NullInt64{Int64: c.now.UnixMilli(), Valid: true}
		a.allowanceTier = sql.NullString{String: per.Tier, Valid: true}
		a.granted += allowance
		c.move(KindRefill, BucketReplenish, allowance, "", p.OrderID, "the "+per.Tier+" allowance, bought")
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO subscriptions (id, user_id, tier, started_at, expires_at, btcpay_invoice_id, amount_sats, status, order_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?)`, newID(), p.UserID, per.Tier, per.Start.UnixMilli(), per.End.UnixMilli(),
		nullStr(p.InvoiceID), nullInt(p.AmountSats), p.OrderID); err != nil {
		return Period{}, l.fail("record the period of", p.UserID, err)
	}
	if err := c.save(ctx, tx); err != nil {
		return Period{}, l.fail("apply a plan to", p.UserID, err)
	}
	return per, nil
}

// nextPeriod works out the period a purchase gives (see ApplyPlan and
// relay.NextPeriod, the one rule).
func nextPeriod(cur string, curEnd time.Time, bought string, days int, now time.Time, worth func(string) int64) Period {
	p := relay.NextPeriod(cur, curEnd, bought, days, now, worth)
	return Period{Tier: p.Tier, Start: p.Start, End: p.End, Refilled: p.Refilled}
}

// writeTier sets users.tier and its end inside tx and, with a relay and
// a key, queues the same for it under key (so the relay applies it once).
func (l *Ledger) writeTier(ctx context.Context, tx *sql.Tx, userID string, per Period, key string) error {
	res, err := tx.ExecContext(ctx, `UPDATE users SET tier = ?, tier_expires_at = ? WHERE id = ?`, per.Tier, per.End.UnixMilli(), userID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrUnknownUser
	}
	if _, ok := l.tiers.(*relay.Remote); !ok || key == "" {
		return nil
	}
	it, err := relay.OutboxItem(userID, relay.Grant{Tier: per.Tier, Expiry: per.End, Key: key})
	if err != nil {
		return err
	}
	return store.EnqueueTierUpdate(ctx, tx, it, l.now())
}

// NudgeRelay wakes the relay sync after a transaction queued a tier
// update for it (ApplyPlan); without a relay it does nothing.
func (l *Ledger) NudgeRelay() {
	if r, ok := l.tiers.(*relay.Remote); ok && r.Sync != nil {
		r.Sync.Nudge()
	}
}

// AddPurchase puts a bought pack's credits in a user's permanent bucket
// inside tx, with a purchase ledger row naming the order.
func (l *Ledger) AddPurchase(ctx context.Context, tx *sql.Tx, userID string, n int, orderID, actor string) error {
	if n <= 0 || n > 1_000_000_000 {
		return fmt.Errorf("%w: %d credits", ErrBadAmount, n)
	}
	if actor == "" {
		actor = ActorSystem
	}
	c, err := l.open(ctx, tx, userID, actor)
	if err != nil {
		return l.fail("add bought credits to", userID, err)
	}
	if err := c.add(int64(n), Grant{Kind: KindPurchase, OrderID: orderID, Note: "bought"}); err != nil {
		return l.fail("add bought credits to", userID, err)
	}
	return l.fail("add bought credits to", userID, c.save(ctx, tx))
}

// AddTrialPurchase puts a bought pack's credits on an anonymous trial
// inside tx, or, when the trial has become an account, in that account's
// permanent bucket. It returns the account ("" for the trial).
func (l *Ledger) AddTrialPurchase(ctx context.Context, tx *sql.Tx, trialID string, n int, orderID string) (string, error) {
	if n <= 0 || n > 1_000_000_000 {
		return "", fmt.Errorf("%w: %d credits", ErrBadAmount, n)
	}
	var owner sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT converted_to_user_id FROM anon_trials WHERE cookie_id = ?`, trialID).Scan(&owner)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("credits: add bought credits to trial: %w", ErrNoTrial)
	}
	if err != nil {
		return "", fmt.Errorf("credits: add bought credits to trial: %w", err)
	}
	if owner.Valid {
		return owner.String, l.AddPurchase(ctx, tx, owner.String, n, orderID, ActorSystem)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE anon_trials SET credits_total = credits_total + ? WHERE cookie_id = ?`, n, trialID); err != nil {
		return "", fmt.Errorf("credits: add bought credits to trial: %w", err)
	}
	return "", nil
}

func nullInt(n int64) any {
	if n == 0 {
		return nil
	}
	return n
}
