package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The instance's side of the relay (pkg/relay) keeps two things here:
// users.tier_expires_at, the expiry that goes with the cached users.tier,
// and relay_outbox, the tier updates still to be sent to the relay, in
// the order they were made. A tier change writes the cache and its
// outbox row in one transaction, so an update is never lost and never
// sent without having been applied locally.

func migrateRelayOutbox(ctx context.Context, tx *sql.Tx) error {
	return execAll(ctx, tx,
		`ALTER TABLE users ADD COLUMN tier_expires_at INTEGER`, // epoch ms; NULL: the tier does not expire
		`CREATE TABLE relay_outbox (
	seq             INTEGER PRIMARY KEY AUTOINCREMENT, -- send order
	key             TEXT NOT NULL UNIQUE,  -- idempotency key the relay records
	user_id         TEXT NOT NULL,
	body            TEXT NOT NULL,         -- the update as JSON, without the install id
	created_at      INTEGER NOT NULL,
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER NOT NULL,
	last_error      TEXT NOT NULL DEFAULT '',
	done_at         INTEGER,               -- NULL while pending
	outcome         TEXT                   -- sent, or rejected: why
)`,
		`CREATE INDEX idx_relay_outbox_pending ON relay_outbox(seq) WHERE done_at IS NULL`,
		`CREATE INDEX idx_relay_outbox_user ON relay_outbox(user_id) WHERE done_at IS NULL`,
	)
}

// TierWrite changes a user's cached tier and, when Outbox is set, queues
// the update for the relay in the same transaction.
type TierWrite struct {
	UserID string
	Tier   string    // TierCore, TierPro or TierMax
	Expiry time.Time // zero: no expiry (ignored when AddDays > 0)
	// AddDays moves the expiry AddDays days past the later of now and the
	// current expiry when the tier stays the same; a new tier starts now.
	AddDays int
	Outbox  *OutboxItem
}

// OutboxItem is a tier update waiting for the relay.
type OutboxItem struct {
	Seq           int64
	Key           string
	UserID        string
	Body          string // JSON
	CreatedAt     time.Time
	Attempts      int
	NextAttemptAt time.Time
	LastError     string
}

// TierState is a user's cached tier and its expiry (zero for none).
type TierState struct {
	Tier   string
	Expiry time.Time
}

// WriteTier applies w and returns the tier and expiry the user has now.
func (s *Store) WriteTier(ctx context.Context, w TierWrite) (TierState, error) {
	switch w.Tier {
	case TierCore, TierPro, TierMax:
	default:
		return TierState{}, fmt.Errorf("store: set tier of %s: unknown tier %q", w.UserID, w.Tier)
	}
	now := s.now()
	var out TierState
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var cur string
		var curExp sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT tier, tier_expires_at FROM users WHERE id = ?`, w.UserID).Scan(&cur, &curExp)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		exp := w.Expiry
		if w.AddDays > 0 {
			from := now
			if cur == w.Tier && curExp.Valid && curExp.Int64 > ms(now) {
				from = fromMS(curExp)
			}
			exp = from.Add(time.Duration(w.AddDays) * 24 * time.Hour)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET tier = ?, tier_expires_at = ? WHERE id = ?`, w.Tier, nullMS(exp), w.UserID); err != nil {
			return err
		}
		out = TierState{Tier: w.Tier, Expiry: exp}
		if w.Outbox == nil {
			return nil
		}
		it := *w.Outbox
		it.UserID = w.UserID
		return EnqueueTierUpdate(ctx, tx, it, now)
	})
	if errors.Is(err, ErrNotFound) {
		return out, err
	}
	if err != nil {
		return out, fmt.Errorf("store: set tier of %s: %w", w.UserID, err)
	}
	return out, nil
}

// EnqueueTierUpdate adds a tier update to the relay outbox inside the
// caller's write transaction, for code that changes users.tier in a
// transaction of its own (the update then reaches the relay exactly when
// the change commits). it.Key, it.UserID and it.Body must be set.
func EnqueueTierUpdate(ctx context.Context, tx *sql.Tx, it OutboxItem, now time.Time) error {
	if it.Key == "" || it.UserID == "" || it.Body == "" {
		return errors.New("store: a relay update needs a key, a user and a body")
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO relay_outbox (key, user_id, body, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?)`,
		it.Key, it.UserID, it.Body, ms(now), ms(now))
	return err
}

// UserTier returns a user's cached tier and expiry.
func (s *Store) UserTier(ctx context.Context, userID string) (TierState, error) {
	var out TierState
	err := s.read(ctx, func(tx *sql.Tx) error {
		var exp sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT tier, tier_expires_at FROM users WHERE id = ?`, userID).Scan(&out.Tier, &exp); err != nil {
			return err
		}
		out.Expiry = fromMS(exp)
		return nil
	})
	if errors.Is(err, sql.ErrNoRows) {
		return out, ErrNotFound
	}
	if err != nil {
		return out, fmt.Errorf("store: tier of %s: %w", userID, err)
	}
	return out, nil
}

// CacheTier records the tier the relay says a user has, unless an update
// of that user is still waiting in the outbox (the relay has not seen it
// yet, so what it says is older). Unknown users are skipped. It reports
// whether the cache changed.
func (s *Store) CacheTier(ctx context.Context, userID string, t TierState) (bool, error) {
	changed := false
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET tier = ?, tier_expires_at = ?
			WHERE id = ? AND (tier IS NOT ? OR tier_expires_at IS NOT ?)
			AND NOT EXISTS (SELECT 1 FROM relay_outbox WHERE user_id = ? AND done_at IS NULL)`,
			t.Tier, nullMS(t.Expiry), userID, t.Tier, nullMS(t.Expiry), userID)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		changed = n > 0
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store: cache tier of %s: %w", userID, err)
	}
	return changed, nil
}

// NextOutbox returns the oldest pending outbox item, or ErrNotFound.
func (s *Store) NextOutbox(ctx context.Context) (*OutboxItem, error) {
	var it OutboxItem
	err := s.read(ctx, func(tx *sql.Tx) error {
		var created, next int64
		err := tx.QueryRowContext(ctx, `SELECT seq, key, user_id, body, created_at, attempts, next_attempt_at, last_error
			FROM relay_outbox WHERE done_at IS NULL ORDER BY seq LIMIT 1`).
			Scan(&it.Seq, &it.Key, &it.UserID, &it.Body, &created, &it.Attempts, &next, &it.LastError)
		it.CreatedAt, it.NextAttemptAt = time.UnixMilli(created), time.UnixMilli(next)
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: next outbox item: %w", err)
	}
	return &it, nil
}

// OutboxStats counts pending outbox items and gives the oldest one's age
// reference (zero when none is pending).
func (s *Store) OutboxStats(ctx context.Context) (pending int, oldest time.Time, err error) {
	err = s.read(ctx, func(tx *sql.Tx) error {
		var o sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT count(*), min(created_at) FROM relay_outbox WHERE done_at IS NULL`).Scan(&pending, &o); err != nil {
			return err
		}
		oldest = fromMS(o)
		return nil
	})
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("store: outbox stats: %w", err)
	}
	return pending, oldest, nil
}

// FinishOutbox marks an item done with its outcome ("sent", or
// "rejected: …").
func (s *Store) FinishOutbox(ctx context.Context, seq int64, outcome string) error {
	now := s.now()
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE relay_outbox SET done_at = ?, outcome = ?, attempts = attempts + 1 WHERE seq = ? AND done_at IS NULL`,
			ms(now), outcome, seq)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: finish outbox item %d: %w", seq, err)
	}
	return nil
}

// RetryOutbox records a failed attempt and when to try again.
func (s *Store) RetryOutbox(ctx context.Context, seq int64, next time.Time, why string) error {
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE relay_outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE seq = ? AND done_at IS NULL`,
			ms(next), why, seq)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: retry outbox item %d: %w", seq, err)
	}
	return nil
}
