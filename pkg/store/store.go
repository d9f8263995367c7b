// Package store owns multi mode's SQLite database, DATA/recap.db: opening
// it with the right pragmas, its schema and numbered migrations (including
// adopting a database written by the earlier Node.js Recap), and every
// query on users, magic-link tokens, sessions, the sign-in request log,
// settings and the per-user library index. Single mode never opens it.
//
// Connections: one writer connection, through which every write goes as
// an IMMEDIATE transaction, and a small pool of read-only connections.
// Writes are queued to one goroutine that runs them back to back; when
// several are waiting it runs them in one transaction, each inside its own
// savepoint, and commits once (group commit). A write that fails rolls
// back to its savepoint and does not affect the others in its group.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ncruces/go-sqlite3"
	"github.com/ncruces/go-sqlite3/driver"
	"github.com/ncruces/go-sqlite3/ext/fts5"
)

func init() {
	sqlite3.AutoExtension(fts5.Register)
}

// Errors returned by the store.
var (
	// ErrNotFound means no row matched (user, session, recap, setting).
	ErrNotFound = errors.New("store: not found")
	// ErrTooNew means the database was migrated by a newer Recap than
	// this one; this build refuses to touch it.
	ErrTooNew = errors.New("store: the database was written by a newer version of Recap")
	// ErrEmailTaken means another user already has that email address.
	ErrEmailTaken = errors.New("store: email address already in use")
	// ErrTokenInvalid means a magic-link token is unknown, expired,
	// already used or meant for something else.
	ErrTokenInvalid = errors.New("store: sign-in link invalid or expired")
	// ErrNoSession means a session is unknown, expired, revoked or
	// belongs to a disabled user.
	ErrNoSession = errors.New("store: no such session")
	// ErrUserDisabled means the user is disabled and may not sign in.
	ErrUserDisabled = errors.New("store: user is disabled")
	// ErrSignupClosed means a magic link's address has no account and
	// none may be created for it.
	ErrSignupClosed = errors.New("store: no account for this address and sign-ups are closed")
	// ErrClosed means the store was closed.
	ErrClosed = errors.New("store: closed")
	// ErrIDTaken means another user's recap already has that id.
	ErrIDTaken = errors.New("store: recap id belongs to another user")
)

// FileName is the database's file name inside the data folder.
const FileName = "recap.db"

// Defaults for Options fields left zero.
const (
	DefaultReaders     = 4                   // read-only connections
	DefaultBusyTimeout = 10 * time.Second    // how long a connection waits for a lock
	DefaultSessionTTL  = 30 * 24 * time.Hour // sliding session lifetime
	DefaultTouchFlush  = time.Minute         // how often session last-use times are written
	DefaultMaxGroup    = 128                 // writes committed together at most
)

// Options tune Open. The zero value is what serve uses.
type Options struct {
	Readers     int           // read-only connections; DefaultReaders if 0
	BusyTimeout time.Duration // DefaultBusyTimeout if 0
	// SessionTTL is how long a session lives after its last use.
	SessionTTL time.Duration
	// TouchFlush is how often batched session last-use times are
	// written; DefaultTouchFlush if 0.
	TouchFlush time.Duration
	// Synchronous is the SQLite synchronous level, "NORMAL" (the
	// default: in WAL mode a commit survives a crash of the process but
	// the last commits can be lost on power failure) or "FULL".
	Synchronous string
	// NoMigrate opens the database without applying pending migrations;
	// Open still refuses a database that is newer than this build.
	NoMigrate bool
	// Now replaces time.Now (tests).
	Now func() time.Time
}

// Store is the multi-mode database. It is safe for concurrent use.
type Store struct {
	path string
	wdb  *sql.DB // exactly one connection; used only by the write loop and maintenance
	rdb  *sql.DB // read-only pool
	now  func() time.Time
	opt  Options

	reqs      chan *writeReq
	stop      chan struct{} // closed by Close
	loopDone  chan struct{} // closed when the write loop returns
	flushStop chan struct{} // closed by Close, before the last flush
	flushDone chan struct{} // closed when the flush loop returns
	closing   sync.Once
	closeErr  error

	touches  touchBatch
	refusals refusalBatch // refused sign-in requests not yet written
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// PathIn returns where the database lives in a data folder.
func PathIn(dataDir string) string { return filepath.Join(dataDir, FileName) }

// dsn builds the connection string. busy_timeout must come first: the
// pragmas after it (journal_mode in particular) may need to wait for a
// lock. The driver reads only _pragma and _txlock; everything else here
// is for SQLite itself.
func dsn(path string, busy time.Duration, sync string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous("+sync+")")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Add("_pragma", "temp_store(MEMORY)")
	if readOnly {
		q.Add("_pragma", "query_only(ON)")
		q.Set("_txlock", "deferred")
	} else {
		q.Add("_pragma", "journal_size_limit(67108864)")
		q.Set("_txlock", "immediate")
	}
	u := url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}
	return u.String()
}

// sideDSN is the connection string of a connection beside the store's
// own pools (a snapshot, an inspection before a migration): it only
// waits for locks, leaves the journal mode as it is, and with queryOnly
// cannot write.
func sideDSN(path string, queryOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", DefaultBusyTimeout.Milliseconds()))
	if queryOnly {
		q.Add("_pragma", "query_only(ON)")
	}
	q.Set("_txlock", "deferred")
	u := url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}
	return u.String()
}

// Open opens (creating if needed) DATA/recap.db, applies pending
// migrations and starts the write loop. It refuses a database written by
// a newer Recap with ErrTooNew.
func Open(ctx context.Context, dataDir string, opt Options) (*Store, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("store: create %s: %w", dataDir, err)
	}
	return OpenFile(ctx, PathIn(dataDir), opt)
}

// OpenFile is Open for a database at an explicit path.
func OpenFile(ctx context.Context, path string, opt Options) (*Store, error) {
	if opt.Readers <= 0 {
		opt.Readers = DefaultReaders
	}
	if opt.BusyTimeout <= 0 {
		opt.BusyTimeout = DefaultBusyTimeout
	}
	if opt.SessionTTL <= 0 {
		opt.SessionTTL = DefaultSessionTTL
	}
	if opt.TouchFlush <= 0 {
		opt.TouchFlush = DefaultTouchFlush
	}
	switch opt.Synchronous {
	case "":
		opt.Synchronous = "NORMAL"
	case "NORMAL", "FULL":
	default:
		return nil, fmt.Errorf("store: synchronous must be NORMAL or FULL, not %q", opt.Synchronous)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	wdb, err := driver.Open(dsn(path, opt.BusyTimeout, opt.Synchronous, false))
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	wdb.SetConnMaxIdleTime(0)
	if err := wdb.PingContext(ctx); err != nil {
		wdb.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if opt.NoMigrate {
		if _, err := checkVersion(ctx, wdb); err != nil {
			wdb.Close()
			return nil, err
		}
	} else if _, err := migrate(ctx, wdb, opt.Now()); err != nil {
		wdb.Close()
		return nil, err
	}
	rdb, err := driver.Open(dsn(path, opt.BusyTimeout, opt.Synchronous, true))
	if err != nil {
		wdb.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	rdb.SetMaxOpenConns(opt.Readers)
	rdb.SetMaxIdleConns(opt.Readers)
	s := &Store{
		path: path, wdb: wdb, rdb: rdb, now: opt.Now, opt: opt,
		reqs:      make(chan *writeReq, DefaultMaxGroup),
		stop:      make(chan struct{}),
		loopDone:  make(chan struct{}),
		flushStop: make(chan struct{}),
		flushDone: make(chan struct{}),
	}
	s.touches.pending = map[string]int64{}
	s.refusals.init()
	go s.writeLoop()
	go s.flushLoop()
	return s, nil
}

// Close stops the loop that flushes session uses and refusal counts,
// writes what it had not written yet, stops the write loop, checkpoints
// the WAL into the database file (TRUNCATE, so the -wal file is emptied)
// and closes every connection: everything the store started stops here. It is what shutdown (SIGTERM) calls;
// calling it again returns the first result.
func (s *Store) Close() error {
	s.closing.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// The flush loop stops first, so that the last flush is this one.
		close(s.flushStop)
		<-s.flushDone
		ferr := errors.Join(s.FlushTouches(ctx), s.FlushRefusals(ctx))
		close(s.stop)
		<-s.loopDone
		rerr := s.rdb.Close()
		_, cerr := s.wdb.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
		werr := s.wdb.Close()
		if err := errors.Join(ferr, rerr, cerr, werr); err != nil {
			s.closeErr = fmt.Errorf("store: close: %w", err)
		}
	})
	return s.closeErr
}

// Checkpoint copies the WAL into the database file and truncates it.
func (s *Store) Checkpoint(ctx context.Context) error {
	return s.maintain(ctx, func(conn *sql.Conn) error {
		_, err := conn.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
		return err
	})
}

// Backup writes a consistent copy of the database to destPath (which
// must not exist) with VACUUM INTO, while the store stays in use. It runs
// on a connection of its own, so writes go on meanwhile.
func (s *Store) Backup(ctx context.Context, destPath string) error {
	select {
	case <-s.stop:
		return ErrClosed
	default:
	}
	return SnapshotFile(ctx, s.path, destPath)
}

// SnapshotFile copies the database at src into the new file dst (which
// must not exist) with VACUUM INTO, from a connection of its own, without
// migrating or otherwise changing src. Its signature fits
// startos.DBSnapshotter, for the backup action, which runs beside a
// serving process.
func SnapshotFile(ctx context.Context, src, dst string) error {
	if _, err := os.Stat(dst); err == nil {
		return fmt.Errorf("store: snapshot: %s already exists", dst)
	}
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("store: snapshot: %w", err)
	}
	db, err := driver.Open(sideDSN(src, false))
	if err != nil {
		return fmt.Errorf("store: snapshot %s: %w", filepath.Base(src), err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		return fmt.Errorf("store: snapshot %s: %w", filepath.Base(src), err)
	}
	return nil
}

// maintain runs fn on the writer connection between write groups.
func (s *Store) maintain(ctx context.Context, fn func(conn *sql.Conn) error) error {
	select {
	case <-s.stop:
		return ErrClosed
	default:
	}
	conn, err := s.wdb.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer conn.Close()
	if err := fn(conn); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// ms converts a time to the epoch milliseconds the database keeps.
func ms(t time.Time) int64 { return t.UnixMilli() }

// fromMS converts epoch milliseconds back; NULL (not valid) is the zero time.
func fromMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64)
}

// nullMS is the column value for an optional time.
func nullMS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// nullStr is the column value for an optional string.
func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}
