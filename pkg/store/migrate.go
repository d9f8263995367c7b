package store

// Schema history.
//
// The database is shared with the earlier Node.js Recap: a recap.db it
// wrote has ten tables and no record of migrations, and may be at one of
// three historical shapes (before the credit bucket split, before
// magic_link_tokens.trial_cookie_id, before users.tier). Migration 1
// brings any of those, or an empty file, to the ten tables as the last
// Node.js release left them; later migrations are ours. Each migration
// runs in one IMMEDIATE transaction together with the row that records
// it in schema_migrations, so a crash leaves the database at the previous
// version, never half-way. Migrations only ever go forward; a database
// whose recorded version is higher than this build knows is refused.

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/ncruces/go-sqlite3/driver"
)

type migration struct {
	name string
	up   func(ctx context.Context, tx *sql.Tx) error
}

// migrations are applied in order; migration i+1 is version i+1. Never
// edit or reorder one that has shipped: append a new one.
var migrations = []migration{
	{"reference tables (adopts a database of the earlier Recap)", migrateReference},
	{"store session ids as SHA-256 hashes", migrateHashSessions},
	{"disabled users, sign-in request log, settings", migrateAccounts},
	{"library search: summary columns and full-text index", migrateLibrarySearch},
	{"accounts found by canonical address; journal of account folder moves", migrateEmailKeys},
	{"relay: tier expiry cache and the outbox of tier updates", migrateRelayOutbox},
	{"invitations", migrateInvites},
	{"credit ledger and reservations", migrateCredits},
	{"trial client buckets", migrateTrialBuckets},
	{"mail outbox; refused sign-in requests counted per client bucket and hour", migrateOutbox},
	{"expiry reminders go through the mail outbox", migrateReminderOutbox},
	{"follows and the items their feeds showed", migrateFollows},
	{"billing orders; subscriptions linked to the order that bought them", migrateBilling},
	{"digest mails of followed shows: choices, periods decided, unsubscribe tokens", migrateDigests},
	{"source keys of recaps, to recognise a second recap of the same source", migrateSources},
}

// LatestVersion is the schema version this build writes.
func LatestVersion() int { return len(migrations) }

const createMigrationsTable = `
CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at INTEGER NOT NULL -- epoch milliseconds
)`

// Version is the schema state of a database file.
type Version struct {
	Current int  // highest applied migration; 0 for an empty or Node.js database
	Latest  int  // what this build would migrate to
	Legacy  bool // the file holds the earlier Recap's tables and no migration record
	Applied []AppliedMigration
}

// AppliedMigration is one row of schema_migrations.
type AppliedMigration struct {
	Version   int
	Name      string
	AppliedAt time.Time
}

// Pending lists the names of the migrations not yet applied.
func (v Version) Pending() []string {
	var out []string
	for i := v.Current; i < len(migrations); i++ {
		out = append(out, migrations[i].name)
	}
	return out
}

// queryer is what *sql.DB, *sql.Conn and *sql.Tx have in common.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func tableExists(ctx context.Context, q queryer, name string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?`, name).Scan(&n)
	return n > 0, err
}

// readVersion reads the schema state without changing anything.
func readVersion(ctx context.Context, q queryer) (Version, error) {
	v := Version{Latest: len(migrations)}
	has, err := tableExists(ctx, q, "schema_migrations")
	if err != nil {
		return v, fmt.Errorf("store: read schema version: %w", err)
	}
	if !has {
		v.Legacy, err = tableExists(ctx, q, "users")
		if err != nil {
			return v, fmt.Errorf("store: read schema version: %w", err)
		}
		return v, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT version, name, applied_at FROM schema_migrations ORDER BY version`)
	if err != nil {
		return v, fmt.Errorf("store: read schema version: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m AppliedMigration
		var at sql.NullInt64
		if err := rows.Scan(&m.Version, &m.Name, &at); err != nil {
			return v, fmt.Errorf("store: read schema version: %w", err)
		}
		m.AppliedAt = fromMS(at)
		v.Applied = append(v.Applied, m)
		v.Current = max(v.Current, m.Version)
	}
	if err := rows.Err(); err != nil {
		return v, fmt.Errorf("store: read schema version: %w", err)
	}
	return v, nil
}

func tooNew(v Version) error {
	return fmt.Errorf("%w: its schema is version %d and this Recap knows versions up to %d; install the newer Recap again (or restore a backup made before the upgrade)",
		ErrTooNew, v.Current, v.Latest)
}

// checkVersion reads the version and refuses a database that is too new.
func checkVersion(ctx context.Context, db *sql.DB) (Version, error) {
	v, err := readVersion(ctx, db)
	if err != nil {
		return v, err
	}
	if v.Current > v.Latest {
		return v, tooNew(v)
	}
	return v, nil
}

// migrate applies every pending migration, each in its own IMMEDIATE
// transaction that also records it. It returns the versions applied.
func migrate(ctx context.Context, db *sql.DB, now time.Time) ([]int, error) {
	var applied []int
	for {
		tx, err := db.BeginTx(ctx, nil) // IMMEDIATE: the writer DSN's default
		if err != nil {
			return applied, fmt.Errorf("store: migrate: %w", err)
		}
		// The version is read inside the transaction so that two processes
		// migrating at once cannot both apply the same step.
		if _, err := tx.ExecContext(ctx, createMigrationsTable); err != nil {
			tx.Rollback()
			return applied, fmt.Errorf("store: migrate: %w", err)
		}
		v, err := readVersion(ctx, tx)
		if err != nil {
			tx.Rollback()
			return applied, err
		}
		if v.Current > v.Latest {
			tx.Rollback()
			return applied, tooNew(v)
		}
		if v.Current == v.Latest {
			return applied, tx.Commit()
		}
		next := v.Current + 1
		m := migrations[next-1]
		if err := m.up(ctx, tx); err != nil {
			tx.Rollback()
			return applied, fmt.Errorf("store: migration %d (%s): %w", next, m.name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
			next, m.name, ms(now)); err != nil {
			tx.Rollback()
			return applied, fmt.Errorf("store: migration %d: %w", next, err)
		}
		if err := tx.Commit(); err != nil {
			return applied, fmt.Errorf("store: migration %d: commit: %w", next, err)
		}
		applied = append(applied, next)
	}
}

// execAll runs statements one by one.
func execAll(ctx context.Context, tx *sql.Tx, stmts ...string) error {
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", firstLine(s), err)
		}
	}
	return nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// columns returns the column names of a table (empty if it is missing).
func columns(ctx context.Context, tx *sql.Tx, table string) (map[string]bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT name FROM pragma_table_info(?)`, table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		cols[name] = true
	}
	return cols, rows.Err()
}

// refTable is one of the ten tables the earlier Recap created: the DDL we
// create it with when it is missing, and, for an existing table, the
// columns later releases added, with the definition ALTER TABLE can add
// them by.
type refTable struct {
	name   string
	create string
	added  [][2]string // column name, definition for ADD COLUMN
}

// All times are epoch milliseconds unless a column says otherwise.
var refTables = []refTable{
	{name: "users", create: `
CREATE TABLE users (
	id                   TEXT PRIMARY KEY,
	email                TEXT NOT NULL UNIQUE,       -- canonical address
	password_hash        TEXT,                       -- unused by magic-link sign-in
	created_at           INTEGER NOT NULL,
	last_signin_at       INTEGER,
	synthetic_install_id TEXT NOT NULL UNIQUE,       -- per-user id the relay knows
	keysat_license       TEXT,                       -- the user's own licence, if any
	display_name         TEXT,
	is_admin             INTEGER NOT NULL DEFAULT 0, -- 1 for the node owner
	tier                 TEXT NOT NULL DEFAULT 'core', -- core, pro or max; cached from the relay
	signup_ip            TEXT,                       -- for the operator's abuse view only
	signup_user_agent    TEXT
)`, added: [][2]string{
		{"last_signin_at", "INTEGER"},
		{"keysat_license", "TEXT"},
		{"display_name", "TEXT"},
		{"is_admin", "INTEGER NOT NULL DEFAULT 0"},
		{"tier", "TEXT NOT NULL DEFAULT 'core'"},
		{"signup_ip", "TEXT"},
		{"signup_user_agent", "TEXT"},
		{"password_hash", "TEXT"},
	}},
	{name: "sessions", create: `
CREATE TABLE sessions (
	id           TEXT PRIMARY KEY, -- SHA-256 (hex) of the cookie value; see migration 2
	user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL, -- slides forward with use
	last_used_at INTEGER,
	user_agent   TEXT,
	ip_address   TEXT
)`, added: [][2]string{
		{"last_used_at", "INTEGER"},
		{"user_agent", "TEXT"},
		{"ip_address", "TEXT"},
	}},
	{name: "magic_link_tokens", create: `
CREATE TABLE magic_link_tokens (
	token_hash      TEXT PRIMARY KEY, -- SHA-256 (hex) of the emailed token
	email           TEXT NOT NULL,
	created_at      INTEGER NOT NULL,
	expires_at      INTEGER NOT NULL,
	used_at         INTEGER,          -- set once, when the link is used
	intent          TEXT NOT NULL,    -- what the link is for, e.g. signin
	request_ip      TEXT,             -- recorded for abuse review, never for decisions
	request_ua      TEXT,
	trial_cookie_id TEXT              -- the requesting browser's trial, linked at verify
)`, added: [][2]string{
		{"request_ip", "TEXT"},
		{"request_ua", "TEXT"},
		{"trial_cookie_id", "TEXT"},
	}},
	{name: "subscriptions", create: `
CREATE TABLE subscriptions (
	id                TEXT PRIMARY KEY,
	user_id           TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	tier              TEXT NOT NULL,
	started_at        INTEGER NOT NULL,
	expires_at        INTEGER NOT NULL,
	cancelled_at      INTEGER,
	btcpay_invoice_id TEXT,
	amount_sats       INTEGER,
	status            TEXT NOT NULL -- one row per paid period; active rows count
)`},
	{name: "tenant_credits", create: `
CREATE TABLE tenant_credits (
	user_id           TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
	purchased_balance INTEGER NOT NULL DEFAULT 0, -- permanent: purchases, grants, trial carry-over
	replenish_balance INTEGER NOT NULL DEFAULT 0, -- refilled each period, spent first, forfeited at its end
	last_replenish_at INTEGER,                    -- start of the current allowance period
	lifetime_granted  INTEGER NOT NULL DEFAULT 0,
	lifetime_consumed INTEGER NOT NULL DEFAULT 0
)`, added: [][2]string{
		{"replenish_balance", "INTEGER NOT NULL DEFAULT 0"},
		{"last_replenish_at", "INTEGER"},
		{"lifetime_granted", "INTEGER NOT NULL DEFAULT 0"},
		{"lifetime_consumed", "INTEGER NOT NULL DEFAULT 0"},
	}},
	{name: "anon_trials", create: `
CREATE TABLE anon_trials (
	cookie_id            TEXT PRIMARY KEY, -- the trial cookie's value
	ip_address           TEXT,             -- minting is capped per address bucket
	user_agent           TEXT,
	created_at           INTEGER NOT NULL,
	credits_total        INTEGER NOT NULL,
	credits_used         INTEGER NOT NULL DEFAULT 0,
	last_used_at         INTEGER,
	converted_to_user_id TEXT REFERENCES users(id) ON DELETE SET NULL
)`},
	{name: "pending_purchases", create: `
CREATE TABLE pending_purchases (
	invoice_id TEXT PRIMARY KEY,
	buyer_type TEXT NOT NULL,      -- user (buyer_id is users.id) or anon (anon_trials.cookie_id)
	buyer_id   TEXT NOT NULL,
	credits    INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	applied_at INTEGER             -- set once when credited: the idempotency guard
)`},
	{name: "pending_signups", create: `
CREATE TABLE pending_signups (
	invoice_id  TEXT PRIMARY KEY,
	email       TEXT NOT NULL,
	policy_slug TEXT NOT NULL,     -- the tier bought before the account existed
	created_at  INTEGER NOT NULL,
	applied_at  INTEGER            -- set once when the account was made
)`},
	{name: "subscription_reminders", create: `
CREATE TABLE subscription_reminders (
	user_id           TEXT NOT NULL,
	period_expires_at TEXT NOT NULL, -- the paid-until instant (ISO 8601) the reminder is about
	kind              TEXT NOT NULL, -- upcoming_7d, upcoming_1d or lapsed
	sent_at           INTEGER NOT NULL,
	PRIMARY KEY (user_id, period_expires_at, kind)
)`},
	{name: "library_meta", create: `
CREATE TABLE library_meta (
	session_id    TEXT PRIMARY KEY, -- the recap id: history/<user_id>/<session_id>.json
	user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	video_id      TEXT,
	url           TEXT,
	title         TEXT,
	type          TEXT,             -- source type
	topic_count   INTEGER,
	segment_count INTEGER,          -- key points over all topics
	created_at    INTEGER NOT NULL,
	upload_date   TEXT              -- YYYY-MM-DD
)`},
}

// refIndexes are the earlier Recap's indexes, under the names it gave
// them so that an adopted database does not end up with two of each.
var refIndexes = []string{
	`CREATE INDEX IF NOT EXISTS idx_users_email ON users(email)`,
	`CREATE INDEX IF NOT EXISTS idx_users_signup_ip ON users(signup_ip)`,
	`CREATE INDEX IF NOT EXISTS idx_sessions_user ON sessions(user_id)`,
	`CREATE INDEX IF NOT EXISTS idx_sessions_expires ON sessions(expires_at)`,
	`CREATE INDEX IF NOT EXISTS idx_magic_email ON magic_link_tokens(email)`,
	`CREATE INDEX IF NOT EXISTS idx_magic_ip ON magic_link_tokens(request_ip, created_at)`,
	`CREATE INDEX IF NOT EXISTS idx_subs_user ON subscriptions(user_id)`,
	`CREATE INDEX IF NOT EXISTS idx_anon_trials_ip ON anon_trials(ip_address, created_at)`,
	`CREATE INDEX IF NOT EXISTS idx_anon_trials_created ON anon_trials(created_at)`,
	`CREATE INDEX IF NOT EXISTS idx_pending_purchases_buyer ON pending_purchases(buyer_type, buyer_id)`,
	`CREATE INDEX IF NOT EXISTS idx_pending_purchases_unapplied ON pending_purchases(applied_at) WHERE applied_at IS NULL`,
	`CREATE INDEX IF NOT EXISTS idx_pending_signups_email ON pending_signups(email)`,
	`CREATE INDEX IF NOT EXISTS idx_pending_signups_unapplied ON pending_signups(applied_at) WHERE applied_at IS NULL`,
	`CREATE INDEX IF NOT EXISTS idx_library_user ON library_meta(user_id, created_at DESC)`,
}

// migrateReference creates the ten tables that are missing and brings
// existing ones to their last Node.js shape. The single credit balance of
// the oldest shape becomes the permanent purchased bucket: it mixed
// sign-up grants, admin grants and purchases, and keeping all of it is
// safer than forfeiting any.
func migrateReference(ctx context.Context, tx *sql.Tx) error {
	for _, t := range refTables {
		cols, err := columns(ctx, tx, t.name)
		if err != nil {
			return err
		}
		if len(cols) == 0 {
			if err := execAll(ctx, tx, t.create); err != nil {
				return err
			}
			continue
		}
		if t.name == "tenant_credits" && cols["balance"] && !cols["purchased_balance"] {
			if err := execAll(ctx, tx, `ALTER TABLE tenant_credits RENAME COLUMN balance TO purchased_balance`); err != nil {
				return err
			}
			cols["purchased_balance"] = true
		}
		for _, c := range t.added {
			if cols[c[0]] {
				continue
			}
			if err := execAll(ctx, tx, fmt.Sprintf(`ALTER TABLE %s ADD COLUMN %s %s`, t.name, c[0], c[1])); err != nil {
				return err
			}
		}
	}
	return execAll(ctx, tx, refIndexes...)
}

// migrateHashSessions replaces each session id (the cookie value itself,
// as the earlier Recap stored it) by its SHA-256, the form every later
// lookup uses. A browser keeps its cookie and stays signed in.
func migrateHashSessions(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT id FROM sessions`)
	if err != nil {
		return err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET id = ? WHERE id = ?`, HashToken(id), id); err != nil {
			return err
		}
	}
	return nil
}

// HashToken returns the SHA-256 (lower-case hex) of a secret token as
// the database keeps it: magic-link tokens and session cookie values are
// never stored in clear.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func migrateAccounts(ctx context.Context, tx *sql.Tx) error {
	return execAll(ctx, tx,
		// NULL: enabled. Disabling also deletes the user's sessions.
		`ALTER TABLE users ADD COLUMN disabled_at INTEGER`,
		`CREATE TABLE signin_requests (
	id         INTEGER PRIMARY KEY,
	email      TEXT NOT NULL,    -- canonical address asked for
	ip_bucket  TEXT NOT NULL,    -- client address bucket: IPv4 address, IPv6 /64, or a named bucket
	ip_address TEXT,
	user_agent TEXT,
	created_at INTEGER NOT NULL,
	outcome    TEXT NOT NULL     -- sent, limited, refused, …
)`,
		`CREATE INDEX idx_signin_requests_email ON signin_requests(email, created_at)`,
		`CREATE INDEX idx_signin_requests_bucket ON signin_requests(ip_bucket, created_at)`,
		`CREATE INDEX idx_signin_requests_created ON signin_requests(created_at)`,
		`CREATE TABLE settings (
	key        TEXT PRIMARY KEY,
	value      TEXT NOT NULL,
	updated_at INTEGER NOT NULL
)`,
		`CREATE INDEX idx_magic_expires ON magic_link_tokens(expires_at)`,
	)
}

// migrateLibrarySearch adds what a library page and search need beyond
// the earlier Recap's columns, and the full-text index. The index keeps
// no copy of the text (contentless); its rowid is library_meta.fts_rowid.
// Its terms are written by Go (see ftsText): each is the owner's key
// followed by a term of library.Tokenize, so one user's terms never mix
// with another's and a prefix search only walks the user's own terms
// (this migration writes them with its own frozen copy, tokenizeV4).
// Rows that exist already get their title and url indexed now; the
// reconciler fills in the rest from their files.
func migrateLibrarySearch(ctx context.Context, tx *sql.Tx) error {
	err := execAll(ctx, tx,
		`ALTER TABLE library_meta ADD COLUMN channel TEXT`,
		`ALTER TABLE library_meta ADD COLUMN duration_s REAL`, // seconds; NULL when unknown
		`ALTER TABLE library_meta ADD COLUMN summary TEXT`,
		`ALTER TABLE library_meta ADD COLUMN keywords TEXT`, // JSON array of strings
		`ALTER TABLE library_meta ADD COLUMN engine TEXT`,
		`ALTER TABLE library_meta ADD COLUMN words INTEGER`,
		`ALTER TABLE library_meta ADD COLUMN file_format TEXT`,   // recap-v1 or legacy; NULL: not read yet
		`ALTER TABLE library_meta ADD COLUMN file_size INTEGER`,  // bytes, when indexed
		`ALTER TABLE library_meta ADD COLUMN file_mtime INTEGER`, // Unix nanoseconds, when indexed
		`ALTER TABLE library_meta ADD COLUMN fts_rowid INTEGER`,  // row of library_fts
		`UPDATE library_meta SET fts_rowid = rowid`,
		`CREATE UNIQUE INDEX idx_library_fts_rowid ON library_meta(fts_rowid)`,
		`CREATE VIRTUAL TABLE library_fts USING fts5(
	title, keywords, summary, body,
	content = '', contentless_delete = 1,
	tokenize = 'unicode61 remove_diacritics 0'
)`,
	)
	if err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT fts_rowid, user_id, coalesce(title, ''), coalesce(url, '') FROM library_meta`)
	if err != nil {
		return err
	}
	type row struct {
		id                int64
		user, title, link string
	}
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.user, &r.title, &r.link); err != nil {
			rows.Close()
			return err
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, r := range all {
		if err := putTextV4(ctx, tx, r.id, r.user, r.title, r.link); err != nil {
			return err
		}
	}
	return nil
}

// Inspect reads the schema state of DATA/recap.db without changing
// anything. It returns ErrNotFound when there is no database.
func Inspect(ctx context.Context, dataDir string) (Version, error) {
	path := PathIn(dataDir)
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Version{Latest: len(migrations)}, ErrNotFound
		}
		return Version{}, fmt.Errorf("store: %w", err)
	}
	db, err := driver.Open(sideDSN(path, true))
	if err != nil {
		return Version{}, fmt.Errorf("store: open %s: %w", path, err)
	}
	defer db.Close()
	return readVersion(ctx, db)
}

// Version reads the schema state of the open database.
func (s *Store) Version(ctx context.Context) (Version, error) {
	return readVersion(ctx, s.rdb)
}
