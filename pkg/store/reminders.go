package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Expiry reminders. A reminder is due for a user's paid period (the
// cached users.tier and users.tier_expires_at); subscription_reminders
// holds one row per (user, period, kind) that was ever decided on, so a
// reminder is queued at most once per period, and a renewal, which moves
// the expiry, starts a fresh set. Deciding writes that row and the mail
// in the outbox in one transaction; the mail leaves the outbox once it
// is delivered, and a sender leases it first so that two scans at once
// (serve and the command line) never both send it.

// Reminder kinds, spelled as subscription_reminders.kind and as the
// mail_outbox kind of their mail.
const (
	ReminderUpcoming7d = "upcoming_7d" // the period ends within 7 days
	ReminderUpcoming1d = "upcoming_1d" // the period ends within a day
	ReminderLapsed     = "lapsed"      // the period has ended
)

// migrateReminderOutbox lets the mail outbox carry reminders: whose
// period a mail is about, and a lease taken by the process sending it.
func migrateReminderOutbox(ctx context.Context, tx *sql.Tx) error {
	return execAll(ctx, tx,
		`ALTER TABLE mail_outbox ADD COLUMN user_id TEXT`,           // reminders: the user
		`ALTER TABLE mail_outbox ADD COLUMN period_expires_at TEXT`, // reminders: PeriodKey of the period
		`ALTER TABLE mail_outbox ADD COLUMN leased_until INTEGER`,   // epoch ms; a sender is at work until then
	)
}

// PeriodKey spells an expiry the way subscription_reminders keeps it:
// ISO 8601 in UTC with milliseconds, as the earlier Recap wrote it.
func PeriodKey(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// PaidPeriod is a user's paid tier and when it ends.
type PaidPeriod struct {
	UserID    string
	Email     string
	Tier      string // TierPro or TierMax
	ExpiresAt time.Time
}

// PaidPeriodsEnding lists the enabled users whose pro or max tier ends
// in [from, to], soonest first.
func (s *Store) PaidPeriodsEnding(ctx context.Context, from, to time.Time) ([]PaidPeriod, error) {
	var out []PaidPeriod
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, email, tier, tier_expires_at FROM users
			WHERE tier IN ('pro', 'max') AND tier_expires_at BETWEEN ? AND ? AND disabled_at IS NULL
			ORDER BY tier_expires_at, id`, ms(from), ms(to))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var p PaidPeriod
			var exp int64
			if err := rows.Scan(&p.UserID, &p.Email, &p.Tier, &exp); err != nil {
				return err
			}
			p.ExpiresAt = time.UnixMilli(exp)
			out = append(out, p)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: paid periods ending: %w", err)
	}
	return out, nil
}

// ReminderMail is a reminder in the outbox.
type ReminderMail struct {
	ID        int64
	UserID    string
	Email     string // where it goes: the address at the time it was decided
	Kind      string // ReminderUpcoming7d, ReminderUpcoming1d or ReminderLapsed
	Period    string // PeriodKey of the period's end
	CreatedAt time.Time
	// Now is the user's paid tier and its expiry as they are when the
	// outbox is read (Tier is "" for a user who is gone or disabled):
	// a reminder about a period that was renewed meanwhile is stale.
	Now PaidPeriod
}

// QueueReminder records a reminder for a period and queues its mail in
// one transaction. It returns false, queuing nothing, when that reminder
// was recorded before.
func (s *Store) QueueReminder(ctx context.Context, r ReminderMail) (int64, bool, error) {
	now := s.now()
	var id int64
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO subscription_reminders (user_id, period_expires_at, kind, sent_at)
			VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, r.UserID, r.Period, r.Kind, ms(now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return tx.QueryRowContext(ctx, `INSERT INTO mail_outbox (email, kind, user_id, period_expires_at, created_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`, r.Email, r.Kind, r.UserID, r.Period, ms(now)).Scan(&id)
	})
	if err != nil {
		return 0, false, fmt.Errorf("store: queue %s reminder for %s: %w", r.Kind, r.UserID, err)
	}
	return id, id != 0, nil
}

// PendingReminders lists the reminder mails still in the outbox, oldest
// first, with each user's paid period as it is now.
func (s *Store) PendingReminders(ctx context.Context) ([]ReminderMail, error) {
	var out []ReminderMail
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT o.id, o.user_id, o.email, o.kind, o.period_expires_at, o.created_at,
				coalesce(u.tier, ''), u.tier_expires_at, coalesce(u.email, '')
			FROM mail_outbox o LEFT JOIN users u ON u.id = o.user_id AND u.disabled_at IS NULL
			WHERE o.kind IN (?, ?, ?) ORDER BY o.id`, ReminderUpcoming7d, ReminderUpcoming1d, ReminderLapsed)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m ReminderMail
			var created, exp sql.NullInt64
			if err := rows.Scan(&m.ID, &m.UserID, &m.Email, &m.Kind, &m.Period, &created, &m.Now.Tier, &exp, &m.Now.Email); err != nil {
				return err
			}
			m.CreatedAt, m.Now.UserID, m.Now.ExpiresAt = fromMS(created), m.UserID, fromMS(exp)
			out = append(out, m)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: pending reminders: %w", err)
	}
	return out, nil
}

// ErrLeased means another sender holds an outbox mail.
var ErrLeased = errors.New("store: another process is sending this mail")

// LeaseMail takes an outbox mail for d: nobody else leases it until then
// or until ReleaseMail. It returns ErrLeased when someone else holds it
// and ErrNotFound when it has left the outbox.
func (s *Store) LeaseMail(ctx context.Context, id int64, d time.Duration) error {
	now := s.now()
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE mail_outbox SET leased_until = ?
			WHERE id = ? AND (leased_until IS NULL OR leased_until <= ?)`, ms(now.Add(d)), id, ms(now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil
		}
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM mail_outbox WHERE id = ?`, id).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		} else if err != nil {
			return err
		}
		return ErrLeased
	})
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrLeased) {
		return err
	}
	if err != nil {
		return fmt.Errorf("store: lease mail %d: %w", id, err)
	}
	return nil
}

// ReleaseMail gives a leased mail back for the next sender (its delivery
// failed).
func (s *Store) ReleaseMail(ctx context.Context, id int64) error {
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE mail_outbox SET leased_until = NULL WHERE id = ?`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: release mail %d: %w", id, err)
	}
	return nil
}
