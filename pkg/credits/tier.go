package credits

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/recap-startos/recap/pkg/relay"
	"github.com/recap-startos/recap/pkg/store"
)

// Tier returns the tier in force for a user and the end of its paid
// period (zero if none). A paid tier whose period has ended is core from
// the first read after its end; the allowance follows at the same read.
func (l *Ledger) Tier(ctx context.Context, userID string) (tier string, expires time.Time, err error) {
	b, err := l.Balance(ctx, userID)
	if err != nil {
		return "", time.Time{}, err
	}
	return b.Tier, b.TierExpiresAt, nil
}

// SetTier gives a user a tier until a time (zero: with no end; core never
// ends) through the tier authority (the relay's, when there is one),
// records a paid period in subscriptions, and settles the allowance: a
// tier with a larger allowance starts a new period at once, refilled to
// it; a smaller one forfeits what is above its allowance.
func (l *Ledger) SetTier(ctx context.Context, userID, tier string, until time.Time, actor string) (Balance, error) {
	if !ValidTier(tier) {
		return Balance{}, fmt.Errorf("%w: %q (use core, pro or max)", ErrUnknownTier, tier)
	}
	if tier == TierCore {
		until = time.Time{}
	}
	now := l.now()
	if !until.IsZero() && !until.After(now) {
		return Balance{}, fmt.Errorf("%w: the period would end before it starts", ErrBadAmount)
	}
	var err error
	if l.tiers != nil {
		_, err = l.tiers.SetTier(ctx, userID, relay.Grant{Tier: tier, Expiry: until})
	} else {
		_, err = l.st.WriteTier(ctx, store.TierWrite{UserID: userID, Tier: tier, Expiry: until})
	}
	if errors.Is(err, store.ErrNotFound) {
		err = ErrUnknownUser
	}
	if err != nil {
		return Balance{}, l.fail("set the tier of", userID, err)
	}
	var b Balance
	err = l.st.Update(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if !until.IsZero() {
			if _, err := tx.ExecContext(ctx, `INSERT INTO subscriptions (id, user_id, tier, started_at, expires_at, status)
				VALUES (?, ?, ?, ?, ?, 'active')`, newID(), userID, tier, now.UnixMilli(), until.UnixMilli()); err != nil {
				return err
			}
		}
		c, err := l.open(ctx, tx, userID, actor)
		if err != nil {
			return err
		}
		b = l.balanceOf(c.a)
		return nil
	})
	return b, l.fail("set the tier of", userID, err)
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
	after := ""
	for {
		var ids []string
		err := l.st.View(ctx, func(tx *sql.Tx) error {
			rows, err := tx.QueryContext(ctx, `SELECT u.id FROM users u JOIN tenant_credits c ON c.user_id = u.id
				WHERE u.id > ?3 AND (c.last_replenish_at IS NULL OR c.last_replenish_at <= ?1
					OR c.allowance_tier IS NOT (CASE WHEN u.tier_expires_at <= ?2 THEN 'core' ELSE u.tier END))
				ORDER BY u.id LIMIT ?4`, now.UnixMilli()-l.pol.Period.Milliseconds(), now.UnixMilli(), after, sweepBatch)
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
		after = ids[len(ids)-1]
	}
}

// Usage counts the accounts and the credits spent on recaps over the
// last allowance period, for the Properties page.
func (l *Ledger) Usage(ctx context.Context) (users, spent int, err error) {
	since := l.now().Add(-l.pol.Period).UnixMilli()
	err = l.st.View(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM users),
			(SELECT coalesce(sum(replenish + purchased + trial), 0) FROM credit_reservations
				WHERE state = 'committed' AND updated_at >= ?)`, since).Scan(&users, &spent)
	})
	if err != nil {
		return 0, 0, fmt.Errorf("credits: usage: %w", err)
	}
	return users, spent, nil
}

// Listing is an account's balance and tier end as stored, for lists of
// many accounts (the admin page); it settles nothing.
type Listing struct {
	Replenish, Purchased int
	TierExpiresAt        time.Time // zero if none
}

// Total is what the account can spend.
func (s Listing) Total() int { return s.Replenish + s.Purchased }

// Listings returns the stored balances of the given accounts; one that
// has never been read has its first allowance still to come and lists 0.
func (l *Ledger) Listings(ctx context.Context, userIDs []string) (map[string]Listing, error) {
	out := make(map[string]Listing, len(userIDs))
	if len(userIDs) == 0 {
		return out, nil
	}
	ids, err := json.Marshal(userIDs)
	if err != nil {
		return nil, err
	}
	err = l.st.View(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT u.id, u.tier_expires_at, coalesce(c.replenish_balance, 0), coalesce(c.purchased_balance, 0)
			FROM users u LEFT JOIN tenant_credits c ON c.user_id = u.id
			WHERE u.id IN (SELECT value FROM json_each(?))`, string(ids))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var exp sql.NullInt64
			var s Listing
			if err := rows.Scan(&id, &exp, &s.Replenish, &s.Purchased); err != nil {
				return err
			}
			if exp.Valid {
				s.TierExpiresAt = time.UnixMilli(exp.Int64)
			}
			out[id] = s
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("credits: list balances: %w", err)
	}
	return out, nil
}
