package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Subscription is one paid period of a user (a row of subscriptions).
type Subscription struct {
	ID        string
	Tier      string
	StartedAt time.Time
	ExpiresAt time.Time
	Status    string // active for every period written so far
	OrderID   string // the billing order that bought it; "" for a period the admin set
	Sats      int64  // what it cost by Lightning; 0 when unknown or paid otherwise
}

// Subscriptions lists a user's paid periods, the latest end first.
func (s *Store) Subscriptions(ctx context.Context, userID string, limit int) ([]Subscription, error) {
	var out []Subscription
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, tier, started_at, expires_at, status, coalesce(order_id, ''), coalesce(amount_sats, 0)
			FROM subscriptions WHERE user_id = ? ORDER BY expires_at DESC, started_at DESC LIMIT ?`, userID, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var p Subscription
			var start, end int64
			if err := rows.Scan(&p.ID, &p.Tier, &start, &end, &p.Status, &p.OrderID, &p.Sats); err != nil {
				return err
			}
			p.StartedAt, p.ExpiresAt = time.UnixMilli(start), time.UnixMilli(end)
			out = append(out, p)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: subscriptions of %s: %w", userID, err)
	}
	return out, nil
}

// PaidUsers counts the enabled users whose pro or max tier is in force
// at now (a paid tier without an end counts).
func (s *Store) PaidUsers(ctx context.Context, now time.Time) (pro, max int, err error) {
	err = s.read(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT
			count(*) FILTER (WHERE tier = 'pro'), count(*) FILTER (WHERE tier = 'max')
			FROM users WHERE tier IN ('pro', 'max') AND disabled_at IS NULL
				AND (tier_expires_at IS NULL OR tier_expires_at > ?)`, ms(now)).Scan(&pro, &max)
	})
	if err != nil {
		return 0, 0, fmt.Errorf("store: count paid users: %w", err)
	}
	return pro, max, nil
}
