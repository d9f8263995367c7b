package relay

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/ncruces/go-sqlite3/driver"
)

// DBFileName is the relay database's file name inside its data folder.
const DBFileName = "relay.db"

// Store is the relay's database. It is safe for concurrent use: writes go
// through one connection as IMMEDIATE transactions, reads through a small
// read-only pool.
type Store struct {
	path string
	w    *sql.DB
	r    *sql.DB
	now  func() time.Time
}

// StoreOptions tune OpenStore; the zero value is what serve uses.
type StoreOptions struct {
	Readers int              // read-only connections; 4 if 0
	Now     func() time.Time // replaces time.Now (tests)
}

// OpenStore opens (creating if needed) DATA/relay.db and applies pending
// migrations. It refuses a database written by a newer Recap.
func OpenStore(ctx context.Context, dataDir string, opt StoreOptions) (*Store, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("relay: create %s: %w", dataDir, err)
	}
	if opt.Readers <= 0 {
		opt.Readers = 4
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	path := filepath.Join(dataDir, DBFileName)
	w, err := driver.Open(relayDSN(path, false))
	if err != nil {
		return nil, fmt.Errorf("relay: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := migrateRelay(ctx, w, opt.Now()); err != nil {
		w.Close()
		return nil, err
	}
	r, err := driver.Open(relayDSN(path, true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("relay: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(opt.Readers)
	return &Store{path: path, w: w, r: r, now: opt.Now}, nil
}

// relayDSN: busy_timeout first, as the pragmas after it may wait for a lock.
func relayDSN(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	if readOnly {
		q.Add("_pragma", "query_only(ON)")
		q.Set("_txlock", "deferred")
	} else {
		q.Set("_txlock", "immediate")
	}
	u := url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}
	return u.String()
}

// Close checkpoints the WAL and closes the database.
func (s *Store) Close() error {
	s.r.Close()
	if _, err := s.w.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		s.w.Close()
		return fmt.Errorf("relay: checkpoint: %w", err)
	}
	return s.w.Close()
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// write runs fn in one IMMEDIATE transaction on the writer connection.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// read runs fn in one read-only transaction.
func (s *Store) read(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(tx)
}

// readAll runs a read-only query and scans every row it returns with
// scan, in order.
func readAll[T any](ctx context.Context, s *Store, scan func(interface{ Scan(...any) error }) (T, error), query string, args ...any) ([]T, error) {
	var out []T
	err := s.read(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			v, err := scan(rows)
			if err != nil {
				return err
			}
			out = append(out, v)
		}
		return rows.Err()
	})
	return out, err
}

// relayMigrations are applied in order, each in one IMMEDIATE transaction
// with the row recording it; migration i+1 is version i+1. Append only.
var relayMigrations = []struct {
	name string
	sql  []string
}{
	{"instances, licenses, users, ledger, orders", []string{
		`CREATE TABLE instances (
			install_id TEXT PRIMARY KEY,
			label      TEXT NOT NULL DEFAULT '',
			pool       INTEGER NOT NULL DEFAULT 0 CHECK (pool >= 0), -- credits left
			created_at INTEGER NOT NULL                             -- epoch ms, as every time here
		)`,
		`CREATE TABLE licenses (
			id         TEXT PRIMARY KEY,    -- public id ("lic_…"), safe to show and log
			install_id TEXT NOT NULL REFERENCES instances(install_id),
			key_hash   TEXT NOT NULL UNIQUE, -- hex SHA-256 of the key; the key itself is never stored
			label      TEXT NOT NULL DEFAULT '',
			created_at INTEGER NOT NULL,
			revoked_at INTEGER
		)`,
		`CREATE INDEX licenses_install ON licenses(install_id)`,
		`CREATE TABLE users (
			install_id TEXT NOT NULL REFERENCES instances(install_id),
			user_id    TEXT NOT NULL,
			tier       TEXT NOT NULL CHECK (tier IN ('core', 'pro', 'max')),
			expires_at INTEGER,          -- NULL: the tier does not expire
			updated_at INTEGER NOT NULL,
			seq        INTEGER NOT NULL, -- relay-wide change counter: instances ask for changes after the last they saw
			PRIMARY KEY (install_id, user_id)
		)`,
		`CREATE UNIQUE INDEX users_seq ON users(seq)`,
		`CREATE INDEX users_install_seq ON users(install_id, seq)`,
		`CREATE INDEX users_install_expiry ON users(install_id, expires_at) WHERE expires_at IS NOT NULL`,
		`CREATE TABLE ledger (
			id         INTEGER PRIMARY KEY AUTOINCREMENT,
			install_id TEXT NOT NULL,
			kind       TEXT NOT NULL,     -- grant, recap, refund, tier, license-add, license-revoke
			delta      INTEGER NOT NULL DEFAULT 0, -- credits into (+) or out of (-) the pool
			user_id    TEXT,
			tier       TEXT,
			expires_at INTEGER,
			ref        TEXT,              -- idempotency key: an outbox key or a recap request id
			actor      TEXT NOT NULL,     -- "operator", or the id of the license that asked
			note       TEXT NOT NULL DEFAULT '',
			created_at INTEGER NOT NULL
		)`,
		`CREATE UNIQUE INDEX ledger_ref ON ledger(install_id, kind, ref) WHERE ref IS NOT NULL`,
		`CREATE INDEX ledger_install ON ledger(install_id, id)`,
		`CREATE TRIGGER ledger_no_update BEFORE UPDATE ON ledger BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END`,
		`CREATE TRIGGER ledger_no_delete BEFORE DELETE ON ledger BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END`,
		`CREATE TABLE orders (
			id           TEXT PRIMARY KEY,
			install_id   TEXT NOT NULL REFERENCES instances(install_id),
			user_id      TEXT NOT NULL,
			provider     TEXT NOT NULL,   -- btcpay or zaprite
			provider_ref TEXT,
			plan         TEXT NOT NULL,   -- pro or max
			periods      INTEGER NOT NULL, -- 30-day periods bought
			status       TEXT NOT NULL,   -- pending, settled, expired, invalid
			checkout_url TEXT,
			created_at   INTEGER NOT NULL,
			settled_at   INTEGER,
			UNIQUE (provider, provider_ref)
		)`,
	}},
	{"orders for checkouts through the relay", []string{
		// The first orders table was never written to (checkouts answered
		// 501 until this version); it is replaced by the one they need.
		`DROP TABLE orders`,
		`CREATE TABLE orders (
			id              TEXT PRIMARY KEY, -- "rord_…"
			install_id      TEXT NOT NULL REFERENCES instances(install_id),
			user_id         TEXT NOT NULL,
			external_id     TEXT,             -- the instance's id for the order; a retried create finds it
			plan            TEXT NOT NULL CHECK (plan IN ('pro', 'max')),
			periods         INTEGER NOT NULL CHECK (periods BETWEEN 1 AND 12), -- 30-day periods bought
			provider        TEXT NOT NULL CHECK (provider IN ('btcpay', 'zaprite')),
			provider_ref    TEXT,             -- the provider's invoice or order id
			amount          INTEGER NOT NULL CHECK (amount > 0), -- sats, or the smallest unit of currency
			currency        TEXT NOT NULL,
			status          TEXT NOT NULL,    -- open, processing, paid, underpaid, expired, invalid, failed
			provider_status TEXT,
			note            TEXT,
			bolt11          TEXT,
			checkout_url    TEXT,
			return_url      TEXT,
			expires_at      INTEGER,          -- the invoice's expiry
			created_at      INTEGER NOT NULL,
			updated_at      INTEGER NOT NULL,
			settled_at      INTEGER,          -- set once, with the tier update, by the one settler
			UNIQUE (provider, provider_ref),
			UNIQUE (install_id, external_id)
		)`,
		`CREATE INDEX orders_due ON orders(created_at) WHERE settled_at IS NULL`,
	}},
}

// RelayLatestVersion is the relay schema version this build writes.
func RelayLatestVersion() int { return len(relayMigrations) }

func migrateRelay(ctx context.Context, db *sql.DB, now time.Time) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("relay: migrate: %w", err)
	}
	for {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("relay: migrate: %w", err)
		}
		var current int
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
			tx.Rollback()
			return fmt.Errorf("relay: migrate: %w", err)
		}
		if current > len(relayMigrations) {
			tx.Rollback()
			return fmt.Errorf("%w: its schema is version %d and this Recap knows versions up to %d", ErrTooNew, current, len(relayMigrations))
		}
		if current == len(relayMigrations) {
			return tx.Commit()
		}
		m := relayMigrations[current]
		for _, stmt := range m.sql {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				tx.Rollback()
				return fmt.Errorf("relay: migration %d (%s): %w", current+1, m.name, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
			current+1, m.name, ms(now)); err != nil {
			tx.Rollback()
			return fmt.Errorf("relay: migration %d: %w", current+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("relay: migration %d: commit: %w", current+1, err)
		}
	}
}
