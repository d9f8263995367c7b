package store

// One person, one account.
//
// Accounts are found by users.email_key, the canonical form of their
// address (mail.CanonicalAddress), never by the address as stored: the
// earlier Recap kept addresses as they were typed, so its database can
// hold Alice@Example.ORG while everyone now types alice@example.org.
// Migration 5 fills email_key from every existing row. Several old rows
// can share a key; none is merged silently. Sign-in goes to the one that
// owns recaps (else the oldest: pickAccount), the others are listed by
// DuplicateAccounts (recap db status, the admin dashboard, the
// duplicate-accounts action), and the admin merges them with
// UserLibrary.MergeAccounts.

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/ncruces/go-sqlite3/driver"

	"github.com/recap-startos/recap/pkg/mail"
)

// EmailKey is the form an account is found by: the canonical address,
// or, for an address the canonical rules refuse (the earlier Recap may
// have stored one), the address trimmed and in lower case.
func EmailKey(email string) string {
	if c, err := mail.CanonicalAddress(email); err == nil {
		return c
	}
	return strings.ToLower(strings.TrimSpace(email))
}

// pickAccount selects the account an address signs in to: of the users
// sharing its key, the one that owns the most recaps, else the oldest.
const pickAccount = `SELECT ` + userColumns + ` FROM users WHERE email_key = ?
	ORDER BY (SELECT count(*) FROM library_meta m WHERE m.user_id = users.id) DESC, created_at, id LIMIT 1`

// migrateEmailKeys adds users.email_key, filled from every row, and the
// folder_ops journal that merging and removing accounts use (see
// folders.go).
func migrateEmailKeys(ctx context.Context, tx *sql.Tx) error {
	if err := execAll(ctx, tx, `ALTER TABLE users ADD COLUMN email_key TEXT`); err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, email FROM users`)
	if err != nil {
		return err
	}
	keys := map[string]string{}
	for rows.Next() {
		var id, email string
		if err := rows.Scan(&id, &email); err != nil {
			rows.Close()
			return err
		}
		keys[id] = EmailKey(email)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for id, key := range keys {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET email_key = ? WHERE id = ?`, key, id); err != nil {
			return err
		}
	}
	return execAll(ctx, tx,
		`CREATE INDEX idx_users_email_key ON users(email_key)`,
		`CREATE TABLE folder_ops (
	id         INTEGER PRIMARY KEY,
	kind       TEXT NOT NULL,  -- merge: move from_user's files to into_user; remove: delete from_user's files
	from_user  TEXT NOT NULL,  -- the account whose rows are already gone
	into_user  TEXT,           -- merge only
	created_at INTEGER NOT NULL
)`)
}

// DuplicateAccount is one of several accounts whose addresses have the
// same canonical form.
type DuplicateAccount struct {
	ID        string
	Email     string // as stored
	IsAdmin   bool
	CreatedAt time.Time
	Recaps    int
}

// DuplicateGroup is a set of accounts sharing a canonical address.
// Accounts[0] is the one sign-in goes to; the others wait to be merged
// into it (or removed).
type DuplicateGroup struct {
	Key      string
	Accounts []DuplicateAccount
}

// DuplicateAccounts lists the accounts that share a canonical address.
func (s *Store) DuplicateAccounts(ctx context.Context) ([]DuplicateGroup, error) {
	return duplicates(ctx, s.rdb)
}

// InspectDuplicates is DuplicateAccounts on DATA/recap.db opened read-only
// and left as it is, so that recap db status can tell before a migration
// which accounts will collide. ErrNotFound when there is no database.
func InspectDuplicates(ctx context.Context, dataDir string) ([]DuplicateGroup, error) {
	path := PathIn(dataDir)
	if _, err := os.Stat(path); err != nil {
		return nil, ErrNotFound
	}
	db, err := driver.Open(sideDSN(path, true))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	defer db.Close()
	if ok, err := tableExists(ctx, db, "users"); err != nil || !ok {
		return []DuplicateGroup{}, err
	}
	return duplicates(ctx, db)
}

// duplicates groups users by EmailKey of their stored address, computed
// here rather than read from email_key so that it works on a database
// the earlier Recap left, before migration 5. The order within a group is
// pickAccount's.
func duplicates(ctx context.Context, q queryer) ([]DuplicateGroup, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, email, is_admin, created_at,
		(SELECT count(*) FROM library_meta m WHERE m.user_id = users.id) FROM users`)
	if err != nil {
		return nil, fmt.Errorf("store: find duplicate accounts: %w", err)
	}
	defer rows.Close()
	byKey := map[string][]DuplicateAccount{}
	for rows.Next() {
		var a DuplicateAccount
		var admin int64
		var created sql.NullInt64
		if err := rows.Scan(&a.ID, &a.Email, &admin, &created, &a.Recaps); err != nil {
			return nil, fmt.Errorf("store: find duplicate accounts: %w", err)
		}
		a.IsAdmin, a.CreatedAt = admin != 0, fromMS(created)
		k := EmailKey(a.Email)
		byKey[k] = append(byKey[k], a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: find duplicate accounts: %w", err)
	}
	out := []DuplicateGroup{}
	for k, list := range byKey {
		if len(list) < 2 {
			continue
		}
		sort.Slice(list, func(i, j int) bool {
			a, b := list[i], list[j]
			if a.Recaps != b.Recaps {
				return a.Recaps > b.Recaps
			}
			if !a.CreatedAt.Equal(b.CreatedAt) {
				return a.CreatedAt.Before(b.CreatedAt)
			}
			return a.ID < b.ID
		})
		out = append(out, DuplicateGroup{Key: k, Accounts: list})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// SetUserAdmin gives or takes a user's admin rights. Taking them also
// ends the user's sessions, which were opened with rights the user no
// longer has. ErrNotFound if there is no such user.
func (s *Store) SetUserAdmin(ctx context.Context, id string, admin bool) error {
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET is_admin = ? WHERE id = ?`, admin, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		if !admin {
			_, err = tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, id)
		}
		return err
	})
	if err == ErrNotFound {
		return err
	}
	if err != nil {
		return fmt.Errorf("store: set admin of %s: %w", id, err)
	}
	return nil
}

// RecapCount returns the number of recaps of every user together (the
// Properties page).
func (s *Store) RecapCount(ctx context.Context) (int, error) {
	var n int
	if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM library_meta`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count recaps: %w", err)
	}
	return n, nil
}
