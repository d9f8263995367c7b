package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Session is one signed-in browser. Its ID is the SHA-256 of the cookie
// value (HashToken); the cookie value itself is never stored, so the ID
// can be shown and used to revoke without letting anyone sign in.
type Session struct {
	ID         string
	UserID     string
	CreatedAt  time.Time
	ExpiresAt  time.Time // slides to LastUsedAt + the session lifetime
	LastUsedAt time.Time // zero if never used after sign-in
	UserAgent  string
	IPAddress  string
}

// NewSession is what starting a session takes.
type NewSession struct {
	TokenHash string // HashToken of the new cookie value
	UserID    string
	UserAgent string
	IPAddress string
	// Replaces is the hash of a session the browser already had, if any;
	// it is deleted in the same transaction (no session fixation).
	Replaces string
}

// touchBatch holds session last-use times not yet written: lookups record
// them here and a background loop writes them together, so reading a
// session never waits on a write.
type touchBatch struct {
	mu      sync.Mutex
	pending map[string]int64 // session id → last use, epoch ms
}

// CreateSession starts a session for a user and records the sign-in
// time. It returns ErrUserDisabled for a disabled user and ErrNotFound
// for an unknown one.
func (s *Store) CreateSession(ctx context.Context, ns NewSession) (*Session, error) {
	if ns.TokenHash == "" || ns.UserID == "" {
		return nil, fmt.Errorf("store: create session: token hash and user are required")
	}
	now := s.now()
	sess := &Session{
		ID: ns.TokenHash, UserID: ns.UserID, CreatedAt: time.UnixMilli(ms(now)),
		ExpiresAt: time.UnixMilli(ms(now.Add(s.opt.SessionTTL))), UserAgent: ns.UserAgent, IPAddress: ns.IPAddress,
	}
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var disabled sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT disabled_at FROM users WHERE id = ?`, ns.UserID).Scan(&disabled)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if disabled.Valid {
			return ErrUserDisabled
		}
		if ns.Replaces != "" {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, ns.Replaces); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id, user_id, created_at, expires_at, user_agent, ip_address)
			VALUES (?, ?, ?, ?, ?, ?)`,
			sess.ID, sess.UserID, ms(now), ms(sess.ExpiresAt), nullStr(ns.UserAgent), nullStr(ns.IPAddress)); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE users SET last_signin_at = ? WHERE id = ?`, ms(now), ns.UserID)
		return err
	})
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrUserDisabled) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("store: create session: %w", err)
	}
	return sess, nil
}

const sessionColumns = `s.id, s.user_id, s.created_at, s.expires_at, s.last_used_at, s.user_agent, s.ip_address`

// sessionScan receives a row of sessionColumns.
type sessionScan struct {
	s                      Session
	created, expires, last sql.NullInt64
	ua, ip                 sql.NullString
}

func (x *sessionScan) dest() []any {
	return []any{&x.s.ID, &x.s.UserID, &x.created, &x.expires, &x.last, &x.ua, &x.ip}
}

func (x *sessionScan) session() *Session {
	sess := x.s
	sess.CreatedAt, sess.ExpiresAt, sess.LastUsedAt = fromMS(x.created), fromMS(x.expires), fromMS(x.last)
	sess.UserAgent, sess.IPAddress = x.ua.String, x.ip.String
	return &sess
}

// SessionByHash returns a live session and its user, and notes the use:
// the session's expiry slides to now + the session lifetime. The use is
// written later in a batch (see FlushTouches), never by this call. A
// session that is unknown, expired or whose user is disabled gives
// ErrNoSession.
func (s *Store) SessionByHash(ctx context.Context, hash string) (*Session, *User, error) {
	var x sessionScan
	row := s.rdb.QueryRowContext(ctx, `SELECT `+sessionColumns+`, `+userColumnsU+`
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?`, hash)
	u, err := scanUser(scanFunc(func(dest ...any) error {
		return row.Scan(append(x.dest(), dest...)...)
	}))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, ErrNoSession
	}
	if err != nil {
		return nil, nil, fmt.Errorf("store: look up session: %w", err)
	}
	sess := x.session()
	ttl := s.opt.SessionTTL
	now := s.now()
	s.touches.mu.Lock()
	if t, ok := s.touches.pending[hash]; ok {
		last := time.UnixMilli(t)
		if last.After(sess.LastUsedAt) {
			sess.LastUsedAt = last
		}
		if exp := last.Add(ttl); exp.After(sess.ExpiresAt) {
			sess.ExpiresAt = exp
		}
	}
	live := now.Before(sess.ExpiresAt) && !u.Disabled()
	if live {
		s.touches.pending[hash] = ms(now)
	}
	s.touches.mu.Unlock()
	if !live {
		return nil, nil, ErrNoSession
	}
	sess.LastUsedAt = time.UnixMilli(ms(now))
	sess.ExpiresAt = time.UnixMilli(ms(now.Add(ttl)))
	return sess, u, nil
}

// FlushTouches writes the batched session last-use times now, in one
// transaction. A background loop calls it every Options.TouchFlush, and
// Close calls it last.
func (s *Store) FlushTouches(ctx context.Context) error {
	s.touches.mu.Lock()
	batch := s.touches.pending
	if len(batch) == 0 {
		s.touches.mu.Unlock()
		return nil
	}
	s.touches.pending = make(map[string]int64, len(batch))
	s.touches.mu.Unlock()
	ttl := s.opt.SessionTTL.Milliseconds()
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `UPDATE sessions
			SET last_used_at = max(coalesce(last_used_at, 0), ?1), expires_at = max(expires_at, ?1 + ?2)
			WHERE id = ?3`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for id, t := range batch {
			if _, err := stmt.ExecContext(ctx, t, ttl, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		// Put them back (unless newer uses came in meanwhile) for the next try.
		s.touches.mu.Lock()
		for id, t := range batch {
			if cur, ok := s.touches.pending[id]; !ok || cur < t {
				s.touches.pending[id] = t
			}
		}
		s.touches.mu.Unlock()
		return fmt.Errorf("store: write session uses: %w", err)
	}
	return nil
}

// ListSessions returns a user's live sessions, most recently used first.
func (s *Store) ListSessions(ctx context.Context, userID string) ([]Session, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+sessionColumns+` FROM sessions s
		WHERE s.user_id = ? AND s.expires_at > ?
		ORDER BY coalesce(s.last_used_at, s.created_at) DESC, s.id`, userID, ms(s.now()))
	if err != nil {
		return nil, fmt.Errorf("store: list sessions of %s: %w", userID, err)
	}
	defer rows.Close()
	out := []Session{}
	for rows.Next() {
		var x sessionScan
		if err := rows.Scan(x.dest()...); err != nil {
			return nil, fmt.Errorf("store: list sessions of %s: %w", userID, err)
		}
		sess := x.session()
		s.touches.mu.Lock()
		if t, ok := s.touches.pending[sess.ID]; ok && t > ms(sess.LastUsedAt) {
			sess.LastUsedAt = time.UnixMilli(t)
			sess.ExpiresAt = time.UnixMilli(t + s.opt.SessionTTL.Milliseconds())
		}
		s.touches.mu.Unlock()
		out = append(out, *sess)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list sessions of %s: %w", userID, err)
	}
	return out, nil
}

// RevokeSession ends one session of a user (sign out, or revoking one
// from the session list). The user id scopes it: a session of another
// user is ErrNotFound.
func (s *Store) RevokeSession(ctx context.Context, userID, hash string) error {
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = ? AND user_id = ?`, hash, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		return err
	}
	if err != nil {
		return fmt.Errorf("store: revoke session: %w", err)
	}
	return nil
}

// RevokeUserSessions ends every session of a user except the one whose
// hash is keep (empty: all of them, as the admin's revoke does) and
// returns how many ended.
func (s *Store) RevokeUserSessions(ctx context.Context, userID, keep string) (int64, error) {
	var n int64
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND id != ?`, userID, keep)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: revoke sessions of %s: %w", userID, err)
	}
	return n, nil
}

// DeleteExpiredSessions removes sessions that expired before the given
// time and returns how many.
func (s *Store) DeleteExpiredSessions(ctx context.Context, before time.Time) (int64, error) {
	if err := s.FlushTouches(ctx); err != nil {
		return 0, err
	}
	var n int64
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at < ?`, ms(before))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: delete expired sessions: %w", err)
	}
	return n, nil
}
