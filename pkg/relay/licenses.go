package relay

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// License is an instance's credential at the relay. The key itself is
// shown once, when the license is added, and never stored.
type License struct {
	ID        string    `json:"id"` // public id, "lic_…"
	InstallID string    `json:"install_id"`
	Label     string    `json:"label,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	Pool      int64     `json:"pool"` // credits left in the instance's pool
}

// Revoked reports whether the license was revoked.
func (l License) Revoked() bool { return !l.RevokedAt.IsZero() }

// keyPrefix starts every key the relay makes, so a key is recognisable
// in a config file (and by secret scanners).
const keyPrefix = "rly1_"

var installIDPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// ValidInstallID reports whether s can be an install id: 1 to 128
// letters, digits and . _ : -.
func ValidInstallID(s string) bool { return installIDPattern.MatchString(s) }

// NewKey makes a random license key: the prefix and 32 random bytes in
// lower-case base32.
func NewKey() string {
	b := make([]byte, 32)
	rand.Read(b)
	return keyPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

func hashKey(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:])
}

func newLicenseID() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "lic_" + hex.EncodeToString(b)
}

// AddLicense issues a license for installID, creating the instance (with
// an empty pool) if it is new. key is the license key to accept (e.g. a
// key the user bought elsewhere); empty makes a new random one. It returns
// the license and the key, which is not kept and cannot be shown again.
func (s *Store) AddLicense(ctx context.Context, installID, label, key string) (License, string, error) {
	if !ValidInstallID(installID) {
		return License{}, "", fmt.Errorf("%w: install id %q: use 1 to 128 letters, digits and . _ : -", ErrInvalid, installID)
	}
	key = strings.TrimSpace(key)
	if key == "" {
		key = NewKey()
	}
	if len(key) < 20 || len(key) > 4096 || strings.ContainsAny(key, " \t\r\n") {
		return License{}, "", fmt.Errorf("%w: a license key is 20 to 4096 characters without spaces", ErrInvalid)
	}
	now := s.now()
	l := License{ID: newLicenseID(), InstallID: installID, Label: label, CreatedAt: now.UTC().Truncate(time.Millisecond)}
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO instances (install_id, label, created_at) VALUES (?, ?, ?)
			ON CONFLICT (install_id) DO NOTHING`, installID, label, ms(now)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO licenses (id, install_id, key_hash, label, created_at) VALUES (?, ?, ?, ?, ?)`,
			l.ID, installID, hashKey(key), label, ms(now)); err != nil {
			if strings.Contains(err.Error(), "UNIQUE") {
				return fmt.Errorf("%w: that key is already registered", ErrInvalid)
			}
			return err
		}
		return appendLedger(ctx, tx, ledgerRow{installID: installID, kind: "license-add", actor: "operator", note: l.ID}, now)
	})
	if err != nil {
		return License{}, "", fmt.Errorf("relay: add license for %s: %w", installID, err)
	}
	return l, key, nil
}

// RevokeLicense revokes a license by its public id; requests with its key
// are refused from then on. Revoking a revoked license is an error.
func (s *Store) RevokeLicense(ctx context.Context, id string) error {
	now := s.now()
	err := s.write(ctx, func(tx *sql.Tx) error {
		var install string
		err := tx.QueryRowContext(ctx, `UPDATE licenses SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING install_id`,
			ms(now), id).Scan(&install)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		return appendLedger(ctx, tx, ledgerRow{installID: install, kind: "license-revoke", actor: "operator", note: id}, now)
	})
	if errors.Is(err, ErrNotFound) {
		return fmt.Errorf("relay: revoke %s: no such license, or it is revoked already: %w", id, err)
	}
	if err != nil {
		return fmt.Errorf("relay: revoke %s: %w", id, err)
	}
	return nil
}

// Licenses lists every license, oldest first, with its instance's pool.
func (s *Store) Licenses(ctx context.Context) ([]License, error) {
	out, err := readAll(ctx, s, scanLicense, `SELECT l.id, l.install_id, l.label, l.created_at, l.revoked_at, i.pool
		FROM licenses l JOIN instances i USING (install_id) ORDER BY l.created_at, l.id`)
	if err != nil {
		return nil, fmt.Errorf("relay: list licenses: %w", err)
	}
	return out, nil
}

func scanLicense(sc interface{ Scan(...any) error }) (License, error) {
	var l License
	var created int64
	var revoked sql.NullInt64
	if err := sc.Scan(&l.ID, &l.InstallID, &l.Label, &created, &revoked, &l.Pool); err != nil {
		return l, err
	}
	l.CreatedAt = fromMS(created)
	if revoked.Valid {
		l.RevokedAt = fromMS(revoked.Int64)
	}
	return l, nil
}

// Authenticate returns the live license whose key is key. The row is found
// by the key's SHA-256 and the hashes are compared again in constant time;
// an unknown or revoked key is ErrUnauthorized.
func (s *Store) Authenticate(ctx context.Context, key string) (License, error) {
	if key == "" || len(key) > 4096 {
		return License{}, ErrUnauthorized
	}
	want := hashKey(key)
	var l License
	var stored string
	err := s.read(ctx, func(tx *sql.Tx) error {
		row := tx.QueryRowContext(ctx, `SELECT l.id, l.install_id, l.label, l.created_at, l.revoked_at, i.pool, l.key_hash
			FROM licenses l JOIN instances i USING (install_id) WHERE l.key_hash = ?`, want)
		var err error
		l, err = scanLicense(scanWith(row, &stored))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return License{}, ErrUnauthorized
	}
	if err != nil {
		return License{}, fmt.Errorf("relay: authenticate: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(stored), []byte(want)) != 1 || l.Revoked() {
		return License{}, ErrUnauthorized
	}
	return l, nil
}

// scanWith appends extra destinations after the ones scanLicense asks for.
func scanWith(row *sql.Row, extra ...any) interface{ Scan(...any) error } {
	return scanFn(func(dest ...any) error { return row.Scan(append(dest, extra...)...) })
}

type scanFn func(dest ...any) error

func (f scanFn) Scan(dest ...any) error { return f(dest...) }
