package relay

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// UserTier is what the relay knows about one user of one instance.
type UserTier struct {
	InstallID string    `json:"install_id"`
	UserID    string    `json:"user_id"`
	Tier      string    `json:"tier"`
	ExpiresAt time.Time `json:"expires_at,omitzero"` // zero: no expiry
	UpdatedAt time.Time `json:"updated_at"`
	Seq       int64     `json:"seq"` // relay-wide change counter at the last change
}

// TierUpdate sets a user's tier. With AddDays the expiry moves AddDays
// days past the later of now and the current expiry (when the tier stays
// the same; a new tier starts now); without it ExpiresAt is the expiry
// (zero for none). Key, when set, makes the update idempotent: an update
// whose key was applied before changes nothing and returns the user as
// they are.
type TierUpdate struct {
	InstallID string    `json:"install_id"`
	UserID    string    `json:"user_id"`
	Tier      string    `json:"tier"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	AddDays   int       `json:"add_days,omitempty"`
	Key       string    `json:"key,omitempty"`
}

// Check validates an update.
func (u TierUpdate) Check() error {
	switch {
	case !ValidInstallID(u.InstallID):
		return fmt.Errorf("%w: install_id %q is not an install id", ErrInvalid, u.InstallID)
	case u.UserID == "" || len(u.UserID) > 128:
		return fmt.Errorf("%w: user_id must be 1 to 128 characters", ErrInvalid)
	case !ValidTier(u.Tier):
		return fmt.Errorf("%w: tier %q is not core, pro or max", ErrInvalid, u.Tier)
	case u.AddDays < 0 || u.AddDays > 36500:
		return fmt.Errorf("%w: add_days %d is outside 0..36500", ErrInvalid, u.AddDays)
	case u.AddDays > 0 && !u.ExpiresAt.IsZero():
		return fmt.Errorf("%w: give expires_at or add_days, not both", ErrInvalid)
	case len(u.Key) > 128:
		return fmt.Errorf("%w: key is longer than 128 characters", ErrInvalid)
	}
	return nil
}

const userColumns = `install_id, user_id, tier, expires_at, updated_at, seq`

func scanUser(sc interface{ Scan(...any) error }) (UserTier, error) {
	var u UserTier
	var exp sql.NullInt64
	var upd int64
	if err := sc.Scan(&u.InstallID, &u.UserID, &u.Tier, &exp, &upd, &u.Seq); err != nil {
		return u, err
	}
	if exp.Valid {
		u.ExpiresAt = fromMS(exp.Int64)
	}
	u.UpdatedAt = fromMS(upd)
	return u, nil
}

// SetTier applies an update for actor ("operator" or a license id) and
// writes the ledger row in the same transaction. applied is false when
// the update's key had been applied already.
func (s *Store) SetTier(ctx context.Context, actor string, up TierUpdate) (user UserTier, applied bool, err error) {
	if err := up.Check(); err != nil {
		return UserTier{}, false, err
	}
	now := s.now()
	err = s.write(ctx, func(tx *sql.Tx) error {
		user, applied, err = setTierTx(ctx, tx, actor, up, now)
		return err
	})
	if err != nil {
		return UserTier{}, false, fmt.Errorf("relay: set tier of %s/%s: %w", up.InstallID, up.UserID, err)
	}
	return user, applied, nil
}

// setTierTx is SetTier inside the caller's transaction (a settled
// checkout applies its tier in the transaction that marks it settled).
func setTierTx(ctx context.Context, tx *sql.Tx, actor string, up TierUpdate, now time.Time) (user UserTier, applied bool, err error) {
	if up.Key != "" {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM ledger WHERE install_id = ? AND kind = 'tier' AND ref = ?`,
			up.InstallID, up.Key).Scan(&n); err != nil {
			return user, false, err
		}
		if n > 0 {
			user, err = getUser(ctx, tx, up.InstallID, up.UserID)
			return user, false, err
		}
	}
	var exists int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM instances WHERE install_id = ?`, up.InstallID).Scan(&exists); err != nil {
		return user, false, err
	}
	if exists == 0 {
		return user, false, fmt.Errorf("install id %s has no license here: %w", up.InstallID, ErrNotFound)
	}
	expires, err := newExpiry(ctx, tx, up, now)
	if err != nil {
		return user, false, err
	}
	row := tx.QueryRowContext(ctx, `INSERT INTO users (install_id, user_id, tier, expires_at, updated_at, seq)
		VALUES (?, ?, ?, ?, ?, (SELECT coalesce(max(seq), 0) + 1 FROM users))
		ON CONFLICT (install_id, user_id) DO UPDATE SET tier = excluded.tier, expires_at = excluded.expires_at,
			updated_at = excluded.updated_at, seq = excluded.seq
		RETURNING `+userColumns, up.InstallID, up.UserID, up.Tier, nullTime(expires), ms(now))
	if user, err = scanUser(row); err != nil {
		return user, false, err
	}
	return user, true, appendLedger(ctx, tx, ledgerRow{installID: up.InstallID, kind: "tier", userID: up.UserID, tier: up.Tier,
		expiresAt: expires, ref: up.Key, actor: actor}, now)
}

// newExpiry works out the expiry an update gives.
func newExpiry(ctx context.Context, tx *sql.Tx, up TierUpdate, now time.Time) (time.Time, error) {
	if up.AddDays == 0 {
		return up.ExpiresAt, nil
	}
	from := now
	cur, err := getUser(ctx, tx, up.InstallID, up.UserID)
	switch {
	case errors.Is(err, ErrNotFound):
	case err != nil:
		return time.Time{}, err
	case cur.Tier == up.Tier && cur.ExpiresAt.After(now):
		from = cur.ExpiresAt
	}
	return from.Add(time.Duration(up.AddDays) * 24 * time.Hour), nil
}

func getUser(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, installID, userID string) (UserTier, error) {
	u, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE install_id = ? AND user_id = ?`, installID, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return u, ErrNotFound
	}
	return u, err
}

// User returns one user. A user the relay has never heard of is core
// without expiry (seq 0), not an error: every user starts at core.
func (s *Store) User(ctx context.Context, installID, userID string) (UserTier, error) {
	var u UserTier
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		u, err = getUser(ctx, tx, installID, userID)
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return UserTier{InstallID: installID, UserID: userID, Tier: TierCore}, nil
	}
	if err != nil {
		return u, fmt.Errorf("relay: get %s/%s: %w", installID, userID, err)
	}
	return u, nil
}

// Changes returns an instance's users changed after seq, in change
// order, at most limit of them.
func (s *Store) Changes(ctx context.Context, installID string, since int64, limit int) ([]UserTier, error) {
	return s.listUsers(ctx, `SELECT `+userColumns+` FROM users WHERE install_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
		installID, since, clampLimit(limit))
}

// Expiring returns an instance's users whose paid tier expires between
// from and to, soonest first (then by user id), at most limit of them,
// starting after the user after names (the zero ExpiryCursor for the
// first page). Lapsed users are those with from in the past and to now.
func (s *Store) Expiring(ctx context.Context, installID string, from, to time.Time, after ExpiryCursor, limit int) ([]UserTier, error) {
	if after.ExpiresAt.IsZero() {
		return s.listUsers(ctx, `SELECT `+userColumns+` FROM users WHERE install_id = ? AND tier <> 'core'
		AND expires_at >= ? AND expires_at < ? ORDER BY expires_at, user_id LIMIT ?`,
			installID, ms(from), ms(to), clampLimit(limit))
	}
	at := ms(after.ExpiresAt)
	return s.listUsers(ctx, `SELECT `+userColumns+` FROM users WHERE install_id = ? AND tier <> 'core'
		AND expires_at >= ? AND expires_at < ? AND (expires_at > ? OR (expires_at = ? AND user_id > ?))
		ORDER BY expires_at, user_id LIMIT ?`,
		installID, ms(from), ms(to), at, at, after.UserID, clampLimit(limit))
}

// ExpiryCursor is where a page of Expiring ended: its last user's expiry
// and id. Written as "<unix ms>:<user id>" in the API.
type ExpiryCursor struct {
	ExpiresAt time.Time
	UserID    string
}

// String is the cursor as the API writes it.
func (c ExpiryCursor) String() string {
	if c.ExpiresAt.IsZero() {
		return ""
	}
	return strconv.FormatInt(ms(c.ExpiresAt), 10) + ":" + c.UserID
}

// parseExpiryCursor reads a cursor String wrote ("" is the first page).
func parseExpiryCursor(s string) (ExpiryCursor, error) {
	if s == "" {
		return ExpiryCursor{}, nil
	}
	at, user, ok := strings.Cut(s, ":")
	n, err := strconv.ParseInt(at, 10, 64)
	if !ok || err != nil || n <= 0 || user == "" {
		return ExpiryCursor{}, fmt.Errorf("%w: after=%q is not a cursor this relay gave", ErrInvalid, s)
	}
	return ExpiryCursor{ExpiresAt: time.UnixMilli(n).UTC(), UserID: user}, nil
}

// cursorAfter is the cursor after the last of a full page of users, or
// the zero cursor when the page was not full (there is no next page).
func cursorAfter(users []UserTier, limit int) ExpiryCursor {
	if len(users) == 0 || len(users) < limit {
		return ExpiryCursor{}
	}
	last := users[len(users)-1]
	return ExpiryCursor{ExpiresAt: last.ExpiresAt, UserID: last.UserID}
}

func clampLimit(n int) int {
	if n <= 0 || n > 1000 {
		return 1000
	}
	return n
}

func (s *Store) listUsers(ctx context.Context, query string, args ...any) ([]UserTier, error) {
	out, err := readAll(ctx, s, scanUser, query, args...)
	if err != nil {
		return nil, fmt.Errorf("relay: list users: %w", err)
	}
	if out == nil {
		out = []UserTier{} // an empty list, not null, in JSON
	}
	return out, nil
}
