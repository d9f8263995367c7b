package relay

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// LedgerEntry is one row of the append-only ledger: a pool movement, a
// tier change or a license event.
type LedgerEntry struct {
	ID        int64     `json:"id"`
	InstallID string    `json:"install_id"`
	Kind      string    `json:"kind"`  // grant, recap, refund, tier, license-add, license-revoke
	Delta     int64     `json:"delta"` // credits into (+) or out of (-) the pool
	UserID    string    `json:"user_id,omitempty"`
	Tier      string    `json:"tier,omitempty"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	Ref       string    `json:"ref,omitempty"`
	Actor     string    `json:"actor"`
	Note      string    `json:"note,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

type ledgerRow struct {
	installID, kind, userID, tier, ref, actor, note string
	delta                                           int64
	expiresAt                                       time.Time
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return ms(t)
}

// appendLedger writes one ledger row inside the caller's transaction.
func appendLedger(ctx context.Context, tx *sql.Tx, r ledgerRow, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO ledger (install_id, kind, delta, user_id, tier, expires_at, ref, actor, note, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.installID, r.kind, r.delta, nullString(r.userID), nullString(r.tier), nullTime(r.expiresAt),
		nullString(r.ref), r.actor, r.note, ms(now))
	return err
}

// Grant adds n credits (n may be negative to take some back, never below
// zero) to the pool of an instance, named by its install id or by one of
// its licenses' public ids. It returns the install id and the new pool.
func (s *Store) Grant(ctx context.Context, who string, n int64, note string) (string, int64, error) {
	if n == 0 || n > 1_000_000_000 || n < -1_000_000_000 {
		return "", 0, fmt.Errorf("relay: grant: %w: the amount must be a non-zero whole number of credits", ErrInvalid)
	}
	now := s.now()
	var install string
	var pool int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT install_id FROM instances WHERE install_id = ?
			UNION ALL SELECT install_id FROM licenses WHERE id = ? LIMIT 1`, who, who).Scan(&install)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, `UPDATE instances SET pool = pool + ? WHERE install_id = ? RETURNING pool`, n, install).Scan(&pool)
		if err != nil {
			if strings.Contains(err.Error(), "CHECK") {
				return fmt.Errorf("%w: the pool would go below zero", ErrInvalid)
			}
			return err
		}
		return appendLedger(ctx, tx, ledgerRow{installID: install, kind: "grant", delta: n, actor: "operator", note: note}, now)
	})
	if err != nil {
		return "", 0, fmt.Errorf("relay: grant %d credits to %s: %w", n, who, err)
	}
	return install, pool, nil
}

// reserve takes cost credits from an instance's pool for a recap request,
// or returns ErrPoolEmpty. ref identifies the request; the refund uses it.
func (s *Store) reserve(ctx context.Context, l License, userID, ref string, cost int64) error {
	now := s.now()
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE instances SET pool = pool - ? WHERE install_id = ? AND pool >= ?`, cost, l.InstallID, cost)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrPoolEmpty
		}
		return appendLedger(ctx, tx, ledgerRow{installID: l.InstallID, kind: "recap", delta: -cost, userID: userID, ref: ref, actor: l.ID}, now)
	})
	if err != nil && !errors.Is(err, ErrPoolEmpty) {
		return fmt.Errorf("relay: reserve credits of %s: %w", l.InstallID, err)
	}
	return err
}

// refund gives back the credits of a recap request the model could not
// make. A request is refunded at most once (ledger_ref is unique).
func (s *Store) refund(ctx context.Context, l License, userID, ref string, cost int64, why string) error {
	now := s.now()
	err := s.write(ctx, func(tx *sql.Tx) error {
		if err := appendLedger(ctx, tx, ledgerRow{installID: l.InstallID, kind: "refund", delta: cost, userID: userID, ref: ref, actor: l.ID, note: why}, now); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE instances SET pool = pool + ? WHERE install_id = ?`, cost, l.InstallID)
		return err
	})
	if err != nil {
		return fmt.Errorf("relay: refund credits of %s: %w", l.InstallID, err)
	}
	return nil
}

// Ledger returns an instance's ledger rows, newest first (all instances
// when installID is empty), at most limit of them.
func (s *Store) Ledger(ctx context.Context, installID string, limit int) ([]LedgerEntry, error) {
	if limit <= 0 || limit > 10000 {
		limit = 100
	}
	out, err := readAll(ctx, s, scanLedgerEntry, `SELECT id, install_id, kind, delta, coalesce(user_id, ''), coalesce(tier, ''), expires_at,
		coalesce(ref, ''), actor, note, created_at FROM ledger WHERE ? = '' OR install_id = ? ORDER BY id DESC LIMIT ?`,
		installID, installID, limit)
	if err != nil {
		return nil, fmt.Errorf("relay: read ledger: %w", err)
	}
	return out, nil
}

func scanLedgerEntry(sc interface{ Scan(...any) error }) (LedgerEntry, error) {
	var e LedgerEntry
	var exp sql.NullInt64
	var created int64
	if err := sc.Scan(&e.ID, &e.InstallID, &e.Kind, &e.Delta, &e.UserID, &e.Tier, &exp, &e.Ref, &e.Actor, &e.Note, &created); err != nil {
		return e, err
	}
	if exp.Valid {
		e.ExpiresAt = fromMS(exp.Int64)
	}
	e.CreatedAt = fromMS(created)
	return e, nil
}

// Pool returns the credits left in an instance's pool.
func (s *Store) Pool(ctx context.Context, installID string) (int64, error) {
	var n int64
	err := s.read(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT pool FROM instances WHERE install_id = ?`, installID).Scan(&n)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("relay: pool of %s: %w", installID, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("relay: pool of %s: %w", installID, err)
	}
	return n, nil
}
