package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// IntentSignIn is the intent of an ordinary sign-in link.
const IntentSignIn = "signin"

// MagicLink is a sign-in token as stored: only its hash is kept.
type MagicLink struct {
	TokenHash     string // HashToken of the emailed token
	Email         string // canonical address the link was sent to
	Intent        string // IntentSignIn unless the caller has another purpose
	CreatedAt     time.Time
	ExpiresAt     time.Time
	UsedAt        time.Time // zero until used
	RequestIP     string    // recorded for the abuse view, never for decisions
	RequestUA     string
	TrialCookieID string // the requesting browser's anonymous trial, if any
}

// CreateMagicLink stores a new token. CreatedAt defaults to now.
func (s *Store) CreateMagicLink(ctx context.Context, l MagicLink) error {
	if l.TokenHash == "" || l.Email == "" || l.ExpiresAt.IsZero() {
		return fmt.Errorf("store: create magic link: hash, email and expiry are required")
	}
	if l.Intent == "" {
		l.Intent = IntentSignIn
	}
	if l.CreatedAt.IsZero() {
		l.CreatedAt = s.now()
	}
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO magic_link_tokens
			(token_hash, email, created_at, expires_at, intent, request_ip, request_ua, trial_cookie_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			l.TokenHash, l.Email, ms(l.CreatedAt), ms(l.ExpiresAt), l.Intent,
			nullStr(l.RequestIP), nullStr(l.RequestUA), nullStr(l.TrialCookieID))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: create magic link: %w", err)
	}
	return nil
}

// ConsumeMagicLink marks a token used and returns it, if and only if it
// exists, has the intent, is unexpired and was never used. The check and
// the mark are one guarded UPDATE, so of any number of concurrent calls
// with the same token exactly one succeeds; the others get
// ErrTokenInvalid, as do unknown, expired and wrong-intent tokens.
func (s *Store) ConsumeMagicLink(ctx context.Context, tokenHash, intent string) (*MagicLink, error) {
	if intent == "" {
		intent = IntentSignIn
	}
	var l *MagicLink
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		now := ms(s.now())
		row := tx.QueryRowContext(ctx, `UPDATE magic_link_tokens SET used_at = ?
			WHERE token_hash = ? AND intent = ? AND used_at IS NULL AND expires_at > ?
			RETURNING token_hash, email, intent, created_at, expires_at, used_at, request_ip, request_ua, trial_cookie_id`,
			now, tokenHash, intent, now)
		var err error
		l, err = scanMagicLink(row)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrTokenInvalid
		}
		return err
	})
	if errors.Is(err, ErrTokenInvalid) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("store: consume magic link: %w", err)
	}
	return l, nil
}

// PeekMagicLink returns a live (unused, unexpired) link of that intent
// without using it up, or ErrTokenInvalid. The confirm page uses it to
// say which account a link signs in.
func (s *Store) PeekMagicLink(ctx context.Context, tokenHash, intent string) (*MagicLink, error) {
	if intent == "" {
		intent = IntentSignIn
	}
	now := ms(s.now())
	l, err := scanMagicLink(s.rdb.QueryRowContext(ctx, `SELECT token_hash, email, intent, created_at, expires_at, used_at, request_ip, request_ua, trial_cookie_id
		FROM magic_link_tokens WHERE token_hash = ? AND intent = ? AND used_at IS NULL AND expires_at > ?`, tokenHash, intent, now))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrTokenInvalid
	}
	if err != nil {
		return nil, fmt.Errorf("store: peek magic link: %w", err)
	}
	return l, nil
}

func scanMagicLink(sc interface{ Scan(...any) error }) (*MagicLink, error) {
	var l MagicLink
	var created, expires, used sql.NullInt64
	var ip, ua, trial sql.NullString
	if err := sc.Scan(&l.TokenHash, &l.Email, &l.Intent, &created, &expires, &used, &ip, &ua, &trial); err != nil {
		return nil, err
	}
	l.CreatedAt, l.ExpiresAt, l.UsedAt = fromMS(created), fromMS(expires), fromMS(used)
	l.RequestIP, l.RequestUA, l.TrialCookieID = ip.String, ua.String, trial.String
	return &l, nil
}

// DeleteExpiredMagicLinks removes tokens that expired before the given
// time, used or not, and returns how many.
func (s *Store) DeleteExpiredMagicLinks(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM magic_link_tokens WHERE expires_at < ?`, ms(before))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: delete expired magic links: %w", err)
	}
	return n, nil
}

// Redeem is what signing in with a magic link takes.
type Redeem struct {
	TokenHash string // HashToken of the token from the link
	Intent    string // IntentSignIn if empty
	// SessionHash is HashToken of the new session cookie value.
	SessionHash string
	UserAgent   string
	IPAddress   string
	// Replaces is the hash of the session the browser already had, if any.
	Replaces string
	// MayCreate says whether an address without an account may get one
	// (sign-ups allowed, or the admin's address). Nil means never. An
	// address with a pending invitation may always get one.
	MayCreate func(email string) bool
	// AdminEmail is the configured admin's address: an account created
	// for it is the admin.
	AdminEmail string
}

// consumeMagicLink marks the link used, if it is unused and unexpired;
// the guarded UPDATE lets exactly one of concurrent calls through.
func consumeMagicLink(ctx context.Context, tx *sql.Tx, r Redeem, now time.Time) (*MagicLink, error) {
	l, err := scanMagicLink(tx.QueryRowContext(ctx, `UPDATE magic_link_tokens SET used_at = ?1
		WHERE token_hash = ?2 AND intent = ?3 AND used_at IS NULL AND expires_at > ?1
		RETURNING token_hash, email, intent, created_at, expires_at, used_at, request_ip, request_ua, trial_cookie_id`,
		ms(now), r.TokenHash, r.Intent))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrTokenInvalid
	}
	return l, err
}

// accountForLink finds the account of the link's address or, for an
// invited address or when r.MayCreate allows, creates it (created).
func accountForLink(ctx context.Context, tx *sql.Tx, r Redeem, l *MagicLink, now time.Time) (u *User, created bool, err error) {
	// A link the earlier Recap mailed may carry the address as it was
	// typed; the account is found by its canonical form either way.
	key := EmailKey(l.Email)
	u, err = scanUser(tx.QueryRowContext(ctx, pickAccount, key))
	if errors.Is(err, sql.ErrNoRows) {
		u, err = createForLink(ctx, tx, r, l, key, now)
		created = err == nil
	}
	if err != nil {
		return nil, false, err
	}
	if u.Disabled() {
		return nil, false, ErrUserDisabled
	}
	return u, created, nil
}

// createForLink creates the account of an address that has none, and
// accepts its invitation if there is one.
func createForLink(ctx context.Context, tx *sql.Tx, r Redeem, l *MagicLink, key string, now time.Time) (*User, error) {
	inv, err := invited(ctx, tx, key)
	if err != nil {
		return nil, err
	}
	if !inv && (r.MayCreate == nil || !r.MayCreate(key)) {
		return nil, ErrSignupClosed
	}
	u, err := insertUser(ctx, tx, NewUser{Email: key, IsAdmin: r.AdminEmail != "" && key == EmailKey(r.AdminEmail),
		SignupIP: l.RequestIP, SignupUserAgent: l.RequestUA}, now)
	if err != nil {
		return nil, err
	}
	if inv {
		if err := acceptInvite(ctx, tx, key, u.ID, now); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// startSession starts u's session (ending the one r replaces, if any)
// and records the sign-in time on u.
func (s *Store) startSession(ctx context.Context, tx *sql.Tx, r Redeem, u *User, now time.Time) (*Session, error) {
	if r.Replaces != "" {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, r.Replaces); err != nil {
			return nil, err
		}
	}
	sess := &Session{ID: r.SessionHash, UserID: u.ID, CreatedAt: time.UnixMilli(ms(now)),
		ExpiresAt: time.UnixMilli(ms(now.Add(s.opt.SessionTTL))), UserAgent: r.UserAgent, IPAddress: r.IPAddress}
	if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id, user_id, created_at, expires_at, user_agent, ip_address)
		VALUES (?, ?, ?, ?, ?, ?)`, sess.ID, u.ID, ms(now), ms(sess.ExpiresAt), nullStr(r.UserAgent), nullStr(r.IPAddress)); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE users SET last_signin_at = ? WHERE id = ?`, ms(now), u.ID); err != nil {
		return nil, err
	}
	u.LastSignInAt = time.UnixMilli(ms(now))
	return sess, nil
}

// Redeemed is the result of a successful RedeemMagicLink.
type Redeemed struct {
	Link    *MagicLink
	User    *User
	Session *Session
	Created bool // the user was created by this sign-in
}

// RedeemMagicLink signs in with a magic link in one transaction: it
// consumes the token (guarded, so of concurrent calls exactly one gets
// past this step), finds the account for its address or creates it when
// MayCreate allows, and starts a session. Errors: ErrTokenInvalid,
// ErrSignupClosed (no account and none may be made), ErrUserDisabled. On
// an error nothing is written, so the token is not used up by a refusal.
func (s *Store) RedeemMagicLink(ctx context.Context, r Redeem) (*Redeemed, error) {
	if r.Intent == "" {
		r.Intent = IntentSignIn
	}
	if r.SessionHash == "" {
		return nil, fmt.Errorf("store: redeem magic link: no session hash")
	}
	var out *Redeemed
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		now := s.now()
		l, err := consumeMagicLink(ctx, tx, r, now)
		if err != nil {
			return err
		}
		u, created, err := accountForLink(ctx, tx, r, l, now)
		if err != nil {
			return err
		}
		sess, err := s.startSession(ctx, tx, r, u, now)
		if err != nil {
			return err
		}
		out = &Redeemed{Link: l, User: u, Session: sess, Created: created}
		return nil
	})
	switch {
	case errors.Is(err, ErrTokenInvalid), errors.Is(err, ErrSignupClosed), errors.Is(err, ErrUserDisabled):
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("store: redeem magic link: %w", err)
	}
	return out, nil
}
