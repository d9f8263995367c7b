package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ncruces/go-sqlite3"
)

// Tiers a user can have.
const (
	TierCore = "core"
	TierPro  = "pro"
	TierMax  = "max"
)

// User is one account. The node owner is a user too, with IsAdmin set.
type User struct {
	ID                 string
	Email              string // canonical address, unique
	DisplayName        string
	IsAdmin            bool
	Tier               string // TierCore, TierPro or TierMax
	CreatedAt          time.Time
	LastSignInAt       time.Time // zero if never
	DisabledAt         time.Time // zero while enabled
	SignupIP           string    // for the operator's abuse view, never for decisions
	SignupUserAgent    string
	SyntheticInstallID string // the id the relay knows the user by
	KeysatLicense      string
}

// Disabled reports whether the user may not sign in.
func (u *User) Disabled() bool { return !u.DisabledAt.IsZero() }

const userColumns = `id, email, display_name, is_admin, tier, created_at, last_signin_at,
	disabled_at, signup_ip, signup_user_agent, synthetic_install_id, keysat_license`

// userColumnsU is userColumns qualified by the alias u, for joins.
const userColumnsU = `u.id, u.email, u.display_name, u.is_admin, u.tier, u.created_at, u.last_signin_at,
	u.disabled_at, u.signup_ip, u.signup_user_agent, u.synthetic_install_id, u.keysat_license`

// scanUser reads the userColumns of a row.
func scanUser(sc interface{ Scan(...any) error }) (*User, error) {
	var u User
	var name, ip, ua, license sql.NullString
	var admin int64
	var created, last, disabled sql.NullInt64
	if err := sc.Scan(&u.ID, &u.Email, &name, &admin, &u.Tier, &created, &last,
		&disabled, &ip, &ua, &u.SyntheticInstallID, &license); err != nil {
		return nil, err
	}
	u.DisplayName, u.SignupIP, u.SignupUserAgent, u.KeysatLicense = name.String, ip.String, ua.String, license.String
	u.IsAdmin = admin != 0
	u.CreatedAt, u.LastSignInAt, u.DisabledAt = fromMS(created), fromMS(last), fromMS(disabled)
	return &u, nil
}

// UserByID returns the user with that id, or ErrNotFound.
func (s *Store) UserByID(ctx context.Context, id string) (*User, error) {
	u, err := scanUser(s.rdb.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: get user %s: %w", id, err)
	}
	return u, nil
}

// UserByEmail returns the account an address signs in to, or
// ErrNotFound. Accounts are matched by EmailKey, so Alice@Example.ORG
// stored by the earlier Recap is found as alice@example.org; when several
// accounts share the key, the one that owns recaps (else the oldest) is
// returned, and DuplicateAccounts lists the rest.
func (s *Store) UserByEmail(ctx context.Context, email string) (*User, error) {
	u, err := scanUser(s.rdb.QueryRowContext(ctx, pickAccount, EmailKey(email)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: get user by email: %w", err)
	}
	return u, nil
}

// NewUser is what creating a user takes.
type NewUser struct {
	Email           string // canonical address
	IsAdmin         bool
	Tier            string // TierCore if empty
	DisplayName     string
	SignupIP        string
	SignupUserAgent string
}

// newID returns 16 random bytes in hex, usable as a folder name.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func insertUser(ctx context.Context, tx *sql.Tx, nu NewUser, now time.Time) (*User, error) {
	if nu.Tier == "" {
		nu.Tier = TierCore
	}
	key := EmailKey(nu.Email)
	var taken int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE email_key = ?`, key).Scan(&taken); err != nil {
		return nil, err
	}
	if taken > 0 {
		return nil, ErrEmailTaken
	}
	u := &User{
		ID: newID(), Email: nu.Email, DisplayName: nu.DisplayName, IsAdmin: nu.IsAdmin, Tier: nu.Tier,
		CreatedAt: time.UnixMilli(ms(now)), SignupIP: nu.SignupIP, SignupUserAgent: nu.SignupUserAgent,
		SyntheticInstallID: newID(),
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO users
		(id, email, email_key, display_name, is_admin, tier, created_at, signup_ip, signup_user_agent, synthetic_install_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Email, key, nullStr(u.DisplayName), u.IsAdmin, u.Tier, ms(now), nullStr(u.SignupIP), nullStr(u.SignupUserAgent), u.SyntheticInstallID)
	if errors.Is(err, sqlite3.CONSTRAINT_UNIQUE) {
		return nil, ErrEmailTaken
	}
	if err != nil {
		return nil, err
	}
	return u, nil
}

// CreateUser adds a user. It returns ErrEmailTaken when the address is
// already in use.
func (s *Store) CreateUser(ctx context.Context, nu NewUser) (*User, error) {
	if strings.TrimSpace(nu.Email) == "" {
		return nil, fmt.Errorf("store: create user: empty email address")
	}
	var u *User
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		u, err = insertUser(ctx, tx, nu, s.now())
		return err
	})
	if errors.Is(err, ErrEmailTaken) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("store: create user: %w", err)
	}
	return u, nil
}

// EnsureUser returns the user with nu.Email, creating it from nu when
// there is none; created tells which. An existing user is returned as it
// is (IsAdmin and Tier of nu are not applied to it).
func (s *Store) EnsureUser(ctx context.Context, nu NewUser) (u *User, created bool, err error) {
	if strings.TrimSpace(nu.Email) == "" {
		return nil, false, fmt.Errorf("store: ensure user: empty email address")
	}
	err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		created = false
		var err error
		u, err = scanUser(tx.QueryRowContext(ctx, pickAccount, EmailKey(nu.Email)))
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		u, err = insertUser(ctx, tx, nu, s.now())
		created = err == nil
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("store: ensure user: %w", err)
	}
	return u, created, nil
}

// EnsureAdmin makes sure the account of this address (the config's
// admin-email) exists, is an admin and is enabled, creating it if
// missing. Other admins keep their rights and their sessions: the
// dashboard lists them and the admin can demote them (SetUserAdmin).
// It returns the admin.
func (s *Store) EnsureAdmin(ctx context.Context, email string) (*User, error) {
	if strings.TrimSpace(email) == "" {
		return nil, fmt.Errorf("store: ensure admin: empty email address")
	}
	var u *User
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		u, err = scanUser(tx.QueryRowContext(ctx, pickAccount, EmailKey(email)))
		if errors.Is(err, sql.ErrNoRows) {
			u, err = insertUser(ctx, tx, NewUser{Email: EmailKey(email), IsAdmin: true}, s.now())
			return err
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET is_admin = 1, disabled_at = NULL WHERE id = ?`, u.ID); err != nil {
			return err
		}
		u.IsAdmin, u.DisabledAt = true, time.Time{}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: ensure admin: %w", err)
	}
	return u, nil
}

// SetUserDisabled disables or enables a user. Disabling deletes every
// session of the user in the same transaction, so the user is signed out
// everywhere at once. ErrNotFound if there is no such user.
func (s *Store) SetUserDisabled(ctx context.Context, id string, disabled bool) error {
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var res sql.Result
		var err error
		if disabled {
			res, err = tx.ExecContext(ctx, `UPDATE users SET disabled_at = coalesce(disabled_at, ?) WHERE id = ?`, ms(s.now()), id)
		} else {
			res, err = tx.ExecContext(ctx, `UPDATE users SET disabled_at = NULL WHERE id = ?`, id)
		}
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		if disabled {
			_, err = tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, id)
		}
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return err
	}
	if err != nil {
		return fmt.Errorf("store: set user %s disabled=%t: %w", id, disabled, err)
	}
	return nil
}

// SetUserTier records a user's tier (core, pro or max).
func (s *Store) SetUserTier(ctx context.Context, id, tier string) error {
	switch tier {
	case TierCore, TierPro, TierMax:
	default:
		return fmt.Errorf("store: set tier of %s: unknown tier %q", id, tier)
	}
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET tier = ? WHERE id = ?`, tier, id)
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
		return fmt.Errorf("store: set tier of %s: %w", id, err)
	}
	return nil
}

// UserSummary is a user with the figures the admin's list shows.
type UserSummary struct {
	User
	Recaps   int   // library_meta rows
	Sessions int   // sessions not yet expired
	Storage  int64 // bytes of the user's recap files, as last indexed
}

// UserQuery selects users for ListUsers.
type UserQuery struct {
	Search string // part of the email address; empty for all
	Limit  int    // 1..1000; 100 if 0
	Offset int
}

// ListUsers lists users, newest first, with their library size and
// number of live sessions, and the total number matching.
func (s *Store) ListUsers(ctx context.Context, q UserQuery) ([]UserSummary, int, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q.Search) + "%"
	var out []UserSummary
	var total int
	err := s.read(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE email LIKE ? ESCAPE '\'`, like).Scan(&total); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+userColumns+`,
			(SELECT count(*) FROM library_meta m WHERE m.user_id = users.id),
			(SELECT count(*) FROM sessions x WHERE x.user_id = users.id AND x.expires_at > ?),
			(SELECT coalesce(sum(file_size), 0) FROM library_meta m WHERE m.user_id = users.id)
			FROM users WHERE email LIKE ? ESCAPE '\'
			ORDER BY created_at DESC, id LIMIT ? OFFSET ?`, ms(s.now()), like, limit, max(q.Offset, 0))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var us UserSummary
			var u *User
			u, err = scanUser(scanFunc(func(dest ...any) error {
				return rows.Scan(append(dest, &us.Recaps, &us.Sessions, &us.Storage)...)
			}))
			if err != nil {
				return err
			}
			us.User = *u
			out = append(out, us)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, 0, fmt.Errorf("store: list users: %w", err)
	}
	if out == nil {
		out = []UserSummary{}
	}
	return out, total, nil
}

// scanFunc adapts a function to the Scan method scanUser wants, so extra
// columns can follow the user's.
type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }
