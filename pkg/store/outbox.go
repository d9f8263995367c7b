package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Kinds of mail in the outbox.
const (
	MailSignIn = "signin" // a sign-in link
	MailClosed = "closed" // "this Recap takes no new accounts"
)

// OutboxMail is a sign-in mail that was decided on and not yet sent. It
// keeps no secret: a sign-in mail's link is only named by the hash of its
// token, and one resent after a restart carries a new link.
type OutboxMail struct {
	ID        int64
	Email     string
	Kind      string // MailSignIn or MailClosed
	TokenHash string // HashToken of the link's token (MailSignIn)
	RequestIP string
	CreatedAt time.Time
}

// migrateOutbox adds the mail outbox (sign-in mails survive a crash
// between the decision and the delivery) and the per-window counts of
// refused sign-in requests (a flood of them adds one row per client
// bucket and hour, not a row each).
func migrateOutbox(ctx context.Context, tx *sql.Tx) error {
	return execAll(ctx, tx,
		`CREATE TABLE mail_outbox (
	id         INTEGER PRIMARY KEY,
	email      TEXT NOT NULL,
	kind       TEXT NOT NULL,   -- signin or closed
	token_hash TEXT,            -- of the link mailed (signin)
	request_ip TEXT,
	created_at INTEGER NOT NULL
)`,
		`CREATE TABLE signin_refusals (
	ip_bucket    TEXT NOT NULL,
	window_start INTEGER NOT NULL, -- start of the hour, epoch ms
	count        INTEGER NOT NULL,
	last_at      INTEGER NOT NULL,
	PRIMARY KEY (ip_bucket, window_start)
)`,
		`CREATE INDEX idx_signin_refusals_window ON signin_refusals(window_start)`,
	)
}

// QueueMail records a mail to send and returns its id.
func (s *Store) QueueMail(ctx context.Context, m OutboxMail) (int64, error) {
	if m.CreatedAt.IsZero() {
		m.CreatedAt = s.now()
	}
	var id int64
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO mail_outbox (email, kind, token_hash, request_ip, created_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`, m.Email, m.Kind, nullStr(m.TokenHash), nullStr(m.RequestIP), ms(m.CreatedAt)).Scan(&id)
	})
	if err != nil {
		return 0, fmt.Errorf("store: queue mail: %w", err)
	}
	return id, nil
}

// MailDone removes a mail from the outbox (sent, or given up).
func (s *Store) MailDone(ctx context.Context, id int64) error {
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM mail_outbox WHERE id = ?`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: mail done: %w", err)
	}
	return nil
}

// PendingMail lists the sign-in mails of the outbox (MailSignIn and
// MailClosed), oldest first; reminders have their own PendingReminders.
func (s *Store) PendingMail(ctx context.Context) ([]OutboxMail, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, email, kind, token_hash, request_ip, created_at FROM mail_outbox
		WHERE kind IN ('signin', 'closed') ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("store: pending mail: %w", err)
	}
	defer rows.Close()
	var out []OutboxMail
	for rows.Next() {
		var m OutboxMail
		var hash, ip sql.NullString
		var at sql.NullInt64
		if err := rows.Scan(&m.ID, &m.Email, &m.Kind, &hash, &ip, &at); err != nil {
			return nil, fmt.Errorf("store: pending mail: %w", err)
		}
		m.TokenHash, m.RequestIP, m.CreatedAt = hash.String, ip.String, fromMS(at)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: pending mail: %w", err)
	}
	return out, nil
}

// DropUnusedMagicLink deletes a link that was never used (its mail was
// never sent, and a new link replaces it).
func (s *Store) DropUnusedMagicLink(ctx context.Context, tokenHash string) error {
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM magic_link_tokens WHERE token_hash = ? AND used_at IS NULL`, tokenHash)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: drop magic link: %w", err)
	}
	return nil
}
