package credits

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"time"
)

// Tier returns the tier in force for a user and the end of its paid
// period (zero if none). A paid tier whose period has ended reads as core,
// and is written back as core, at this read. It is the one place the rest
// of Recap asks; a relay that owns tiers plugs in behind SetTier.
func (l *Ledger) Tier(ctx context.Context, userID string) (tier string, expires time.Time, err error) {
	b, err := l.Balance(ctx, userID)
	if err != nil {
		return "", time.Time{}, err
	}
	return b.Tier, b.TierExpiresAt, nil
}

// SetTier gives a user a tier until a time (zero: with no end; core never
// ends), records the period in subscriptions, and adjusts the allowance:
// a tier with a larger allowance starts a new period at once, refilled to
// it; a smaller one forfeits what is above its allowance.
func (l *Ledger) SetTier(ctx context.Context, userID, tier string, until time.Time, actor string) (Balance, error) {
	if !ValidTier(tier) {
		return Balance{}, fmt.Errorf("%w: %q (use core, pro or max)", ErrUnknownTier, tier)
	}
	if tier == TierCore {
		until = time.Time{}
	}
	if actor == "" {
		actor = ActorSystem
	}
	var b Balance
	err := l.st.Update(ctx, func(ctx context.Context, tx *sql.Tx) error {
		c, err := l.open(ctx, tx, userID, actor)
		if err != nil {
			return err
		}
		if !until.IsZero() && !until.After(c.now) {
			return fmt.Errorf("%w: the period would end before it starts", ErrBadAmount)
		}
		if err := l.changeTier(ctx, tx, c, tier, until); err != nil {
			return err
		}
		if err := c.save(ctx, tx); err != nil {
			return err
		}
		b = l.balanceOf(c.a)
		return nil
	})
	return b, l.fail("set the tier of", userID, err)
}

func (l *Ledger) changeTier(ctx context.Context, tx *sql.Tx, c *change, tier string, until time.Time) error {
	a := c.a
	old, next := l.pol.Plan(a.tier).Credits, l.pol.Plan(tier).Credits
	a.tier = tier
	a.tierExpires = sql.NullInt64{}
	if !until.IsZero() {
		a.tierExpires = sql.NullInt64{Int64: until.UnixMilli(), Valid: true}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE users SET tier = ?, tier_expires_at = ? WHERE id = ?`, tier, a.tierExpires, a.userID); err != nil {
		return err
	}
	if !until.IsZero() {
		if _, err := tx.ExecContext(ctx, `INSERT INTO subscriptions (id, user_id, tier, started_at, expires_at, status)
			VALUES (?, ?, ?, ?, ?, 'active')`, newID(), a.userID, tier, c.now.UnixMilli(), until.UnixMilli()); err != nil {
			return err
		}
	}
	switch {
	case next > old:
		if a.replenish > 0 {
			c.move(KindForfeit, BucketReplenish, -a.replenish, "", "", "replaced by the "+tier+" allowance")
		}
		a.lastRefill = sql.NullInt64{Int64: c.now.UnixMilli(), Valid: true}
		a.granted += int64(next)
		c.move(KindRefill, BucketReplenish, int64(next), "", "", "the "+tier+" allowance")
	case a.replenish > int64(next):
		c.move(KindForfeit, BucketReplenish, int64(next)-a.replenish, "", "", "the allowance above "+tier+"'s")
	}
	return nil
}

func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// SweepResult says what a Sweep did.
type SweepResult struct {
	Released int // stale reservations released
	Settled  int // accounts refilled or moved off a lapsed tier
}

// sweepBatch is how many accounts one Sweep pass settles at most.
const sweepBatch = 1000

// Sweep releases reservations older than the longest possible job and
// settles the accounts whose refill or tier end is due. serve runs it
// every hour.
func (l *Ledger) Sweep(ctx context.Context) (SweepResult, error) {
	var res SweepResult
	now := l.now()
	n, err := l.ReleaseOlder(ctx, now.Add(-l.pol.HoldFor))
	res.Released = n
	if err != nil {
		return res, err
	}
	for {
		var ids []string
		err := l.st.View(ctx, func(tx *sql.Tx) error {
			rows, err := tx.QueryContext(ctx, `SELECT u.id FROM users u JOIN tenant_credits c ON c.user_id = u.id
				WHERE c.last_replenish_at IS NULL OR c.last_replenish_at <= ?1
					OR (u.tier <> 'core' AND u.tier_expires_at <= ?2)
				LIMIT ?3`, now.UnixMilli()-l.pol.Period.Milliseconds(), now.UnixMilli(), sweepBatch)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					return err
				}
				ids = append(ids, id)
			}
			return rows.Err()
		})
		if err != nil {
			return res, fmt.Errorf("credits: sweep: %w", err)
		}
		for _, id := range ids {
			if _, err := l.Balance(ctx, id); err != nil {
				return res, err
			}
		}
		res.Settled += len(ids)
		if len(ids) < sweepBatch {
			return res, nil
		}
	}
}
