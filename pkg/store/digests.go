package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Digest mails of followed shows (pkg/follow's Digests). A user's choice
// (off, daily or weekly; none means the config's default) is a row of
// follow_digests, which also keeps where the last digest's window ended.
// follow_digest_periods holds one row per (user, period) that was ever
// decided on, so a digest is queued at most once per period; deciding
// writes that row, moves the window and queues the mail in the outbox in
// one transaction. The mail row names its window (the recaps filed from
// window_from up to window_until), not its content: the list is read
// when it is sent. Each sent digest carries an unsubscribe token, of
// which only the SHA-256 is kept (follow_digest_tokens).

// MailDigest is the mail_outbox kind of a digest.
const MailDigest = "digest"

// digestTokenLife is how long an unsubscribe link keeps working.
const digestTokenLife = 365 * 24 * time.Hour

// digestPeriodLife is how long a decided period is remembered: longer
// than any period that may still be decided (the last one that ended).
const digestPeriodLife = 60 * 24 * time.Hour

// migrateDigests adds the tables of the digest mail and the window of a
// digest in the outbox.
func migrateDigests(ctx context.Context, tx *sql.Tx) error {
	return execAll(ctx, tx,
		`CREATE TABLE follow_digests (
	user_id    TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
	frequency  TEXT,             -- off, daily or weekly; NULL: the config's default
	last_until INTEGER,          -- epoch ms: where the window of the last digest decided ended
	updated_at INTEGER NOT NULL
)`,
		`CREATE TABLE follow_digest_periods (
	user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	period     TEXT NOT NULL,    -- daily:2026-12-01 or weekly:2026-W49
	recaps     INTEGER NOT NULL, -- recaps in its window when it was decided; 0: no mail
	decided_at INTEGER NOT NULL,
	PRIMARY KEY (user_id, period)
)`,
		`CREATE TABLE follow_digest_tokens (
	token_hash TEXT PRIMARY KEY, -- SHA-256 (hex) of the unsubscribe token of one mail
	user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	created_at INTEGER NOT NULL
)`,
		`CREATE INDEX idx_follow_digest_tokens_created ON follow_digest_tokens(created_at)`,
		`CREATE INDEX idx_follow_items_done ON follow_items(user_id, updated_at) WHERE state = 'done'`,
		`ALTER TABLE mail_outbox ADD COLUMN window_from INTEGER`,  // digests: epoch ms, included
		`ALTER TABLE mail_outbox ADD COLUMN window_until INTEGER`, // digests: epoch ms, excluded
	)
}

// DigestFrequency returns the user's own choice of digest, "" when they
// made none (the config's default applies).
func (s *Store) DigestFrequency(ctx context.Context, userID string) (string, error) {
	var f sql.NullString
	err := s.read(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT frequency FROM follow_digests WHERE user_id = ?`, userID).Scan(&f)
	})
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("store: digest frequency of %s: %w", userID, err)
	}
	return f.String, nil
}

// SetDigestFrequency records the user's choice of digest ("" goes back
// to the config's default). The caller checks the value.
func (s *Store) SetDigestFrequency(ctx context.Context, userID, frequency string) error {
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO follow_digests (user_id, frequency, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (user_id) DO UPDATE SET frequency = excluded.frequency, updated_at = excluded.updated_at`,
			userID, nullStr(frequency), ms(s.now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: set digest frequency of %s: %w", userID, err)
	}
	return nil
}

// DigestUser is a user who gets a digest.
type DigestUser struct {
	UserID    string
	Email     string
	Frequency string    // their choice, else the default: daily or weekly
	LastUntil time.Time // end of the last digest's window; zero before the first
}

// DigestUsers lists the enabled users with at least one follow whose
// digest (their choice, else def) is not off.
func (s *Store) DigestUsers(ctx context.Context, def string) ([]DigestUser, error) {
	var out []DigestUser
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT u.id, u.email, coalesce(d.frequency, ?1), d.last_until
			FROM users u LEFT JOIN follow_digests d ON d.user_id = u.id
			WHERE u.disabled_at IS NULL AND coalesce(d.frequency, ?1) IN ('daily', 'weekly')
				AND EXISTS (SELECT 1 FROM follows f WHERE f.user_id = u.id)
			ORDER BY u.id`, def)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var u DigestUser
			var last sql.NullInt64
			if err := rows.Scan(&u.UserID, &u.Email, &u.Frequency, &last); err != nil {
				return err
			}
			u.LastUntil = fromMS(last)
			out = append(out, u)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: digest users: %w", err)
	}
	return out, nil
}

// DigestDecision is one user's digest of one period.
type DigestDecision struct {
	UserID string
	Email  string
	Period string    // e.g. daily:2026-12-01; decided once per user
	From   time.Time // the window: recaps filed from From (included)
	Until  time.Time // up to Until (excluded)
}

// QueueDigest decides a user's digest of a period: in one transaction it
// forgets the user's periods decided over 60 days ago, records the period, moves the user's window to Until and, when recaps
// were filed in the window, queues the mail. decided is false, and
// nothing changes, when that period was decided before; mailID is 0
// when there was nothing to send.
func (s *Store) QueueDigest(ctx context.Context, d DigestDecision) (mailID int64, recaps int, decided bool, err error) {
	now := s.now()
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		mailID, recaps, decided = 0, 0, false
		if _, err := tx.ExecContext(ctx, `DELETE FROM follow_digest_periods WHERE user_id = ? AND decided_at < ?`,
			d.UserID, ms(now.Add(-digestPeriodLife))); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM follow_items WHERE user_id = ? AND state = 'done'
			AND updated_at >= ? AND updated_at < ?`, d.UserID, ms(d.From), ms(d.Until)).Scan(&recaps); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO follow_digest_periods (user_id, period, recaps, decided_at)
			VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, d.UserID, d.Period, recaps, ms(now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			recaps = 0
			return nil
		}
		decided = true
		if _, err := tx.ExecContext(ctx, `INSERT INTO follow_digests (user_id, last_until, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (user_id) DO UPDATE SET last_until = excluded.last_until`, d.UserID, ms(d.Until), ms(now)); err != nil {
			return err
		}
		if recaps == 0 {
			return nil
		}
		return tx.QueryRowContext(ctx, `INSERT INTO mail_outbox (email, kind, user_id, window_from, window_until, created_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, d.Email, MailDigest, d.UserID, ms(d.From), ms(d.Until), ms(now)).Scan(&mailID)
	})
	if err != nil {
		return 0, 0, false, fmt.Errorf("store: queue digest %s for %s: %w", d.Period, d.UserID, err)
	}
	return mailID, recaps, decided, nil
}

// DigestMail is a digest in the outbox.
type DigestMail struct {
	ID     int64
	UserID string
	Email  string // the address when it was decided
	From   time.Time
	Until  time.Time
	// NowEmail and NowFrequency are the user's address and digest choice
	// (else def) as they are when the outbox is read; both are "" for a
	// user who is gone or disabled.
	NowEmail     string
	NowFrequency string
}

// PendingDigests lists the digest mails still in the outbox, oldest
// first, with each user's address and choice as they are now (def for
// those who made none).
func (s *Store) PendingDigests(ctx context.Context, def string) ([]DigestMail, error) {
	var out []DigestMail
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT o.id, o.user_id, o.email, o.window_from, o.window_until,
				coalesce(u.email, ''), CASE WHEN u.id IS NULL THEN '' ELSE coalesce(d.frequency, ?) END
			FROM mail_outbox o LEFT JOIN users u ON u.id = o.user_id AND u.disabled_at IS NULL
				LEFT JOIN follow_digests d ON d.user_id = u.id
			WHERE o.kind = ? ORDER BY o.id`, def, MailDigest)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m DigestMail
			var from, until sql.NullInt64
			if err := rows.Scan(&m.ID, &m.UserID, &m.Email, &from, &until, &m.NowEmail, &m.NowFrequency); err != nil {
				return err
			}
			m.From, m.Until = fromMS(from), fromMS(until)
			out = append(out, m)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: pending digests: %w", err)
	}
	return out, nil
}

// DigestRecap is one recap a follow made, for a digest.
type DigestRecap struct {
	FollowID string
	Show     string // the follow's title
	Kind     string // podcast, channel or playlist
	Title    string // the item's title in its feed
	URL      string // the item's link
	RecapID  string
	DoneAt   time.Time
}

// DigestRecaps lists the recaps of the user's follows filed in [from,
// until) that are still in their library, oldest first.
func (s *Store) DigestRecaps(ctx context.Context, userID string, from, until time.Time) ([]DigestRecap, error) {
	var out []DigestRecap
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT i.follow_id, f.title, f.kind, i.title, i.url, i.recap_id, i.updated_at
			FROM follow_items i JOIN follows f ON f.id = i.follow_id
				JOIN library_meta m ON m.session_id = i.recap_id AND m.user_id = i.user_id
			WHERE i.user_id = ? AND i.state = 'done' AND i.updated_at >= ? AND i.updated_at < ?
			ORDER BY i.updated_at, i.follow_id, i.key`, userID, ms(from), ms(until))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r DigestRecap
			var done int64
			if err := rows.Scan(&r.FollowID, &r.Show, &r.Kind, &r.Title, &r.URL, &r.RecapID, &done); err != nil {
				return err
			}
			r.DoneAt = time.UnixMilli(done).UTC()
			out = append(out, r)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: digest recaps of %s: %w", userID, err)
	}
	return out, nil
}

// AddDigestToken records the hash of an unsubscribe token for a user's
// mail, and forgets the tokens older than a year.
func (s *Store) AddDigestToken(ctx context.Context, userID, tokenHash string) error {
	now := s.now()
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM follow_digest_tokens WHERE created_at < ?`, ms(now.Add(-digestTokenLife))); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO follow_digest_tokens (token_hash, user_id, created_at) VALUES (?, ?, ?)`,
			tokenHash, userID, ms(now))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: add digest token: %w", err)
	}
	return nil
}

// DigestTokenUser returns the address of the user an unsubscribe token
// (by its hash) belongs to, or ErrNotFound for an unknown or expired
// token.
func (s *Store) DigestTokenUser(ctx context.Context, tokenHash string) (userID, email string, err error) {
	err = s.read(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT u.id, u.email FROM follow_digest_tokens t JOIN users u ON u.id = t.user_id
			WHERE t.token_hash = ? AND t.created_at >= ?`, tokenHash, ms(s.now().Add(-digestTokenLife))).Scan(&userID, &email)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", ErrNotFound
	}
	if err != nil {
		return "", "", fmt.Errorf("store: digest token: %w", err)
	}
	return userID, email, nil
}

// UnsubscribeDigest turns the digest off for the user an unsubscribe
// token (by its hash) belongs to and returns that user's id; ErrNotFound
// for an unknown or expired token. Turning it off again is no error.
func (s *Store) UnsubscribeDigest(ctx context.Context, tokenHash string) (string, error) {
	userID, _, err := s.DigestTokenUser(ctx, tokenHash)
	if err != nil {
		return "", err
	}
	if err := s.SetDigestFrequency(ctx, userID, "off"); err != nil {
		return "", err
	}
	return userID, nil
}
