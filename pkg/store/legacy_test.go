package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/ncruces/go-sqlite3/driver"

	"github.com/recap-startos/recap/pkg/library"
)

// The tables as the earlier Node.js Recap created them, at the shape of
// its last release. Older shapes are derived from it below.
var nodeTables = map[string]string{
	"users": `CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, password_hash TEXT,
		created_at INTEGER NOT NULL, last_signin_at INTEGER, synthetic_install_id TEXT NOT NULL UNIQUE, keysat_license TEXT,
		display_name TEXT, is_admin INTEGER NOT NULL DEFAULT 0, tier TEXT NOT NULL DEFAULT 'core', signup_ip TEXT, signup_user_agent TEXT)`,
	"sessions": `CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
		created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, last_used_at INTEGER, user_agent TEXT, ip_address TEXT)`,
	"magic_link_tokens": `CREATE TABLE IF NOT EXISTS magic_link_tokens (token_hash TEXT PRIMARY KEY, email TEXT NOT NULL,
		created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, used_at INTEGER, intent TEXT NOT NULL, request_ip TEXT,
		request_ua TEXT, trial_cookie_id TEXT)`,
	"subscriptions": `CREATE TABLE IF NOT EXISTS subscriptions (id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
		tier TEXT NOT NULL, started_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, cancelled_at INTEGER, btcpay_invoice_id TEXT,
		amount_sats INTEGER, status TEXT NOT NULL)`,
	"tenant_credits": `CREATE TABLE IF NOT EXISTS tenant_credits (user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
		purchased_balance INTEGER NOT NULL DEFAULT 0, replenish_balance INTEGER NOT NULL DEFAULT 0, last_replenish_at INTEGER,
		lifetime_granted INTEGER NOT NULL DEFAULT 0, lifetime_consumed INTEGER NOT NULL DEFAULT 0)`,
	"anon_trials": `CREATE TABLE IF NOT EXISTS anon_trials (cookie_id TEXT PRIMARY KEY, ip_address TEXT, user_agent TEXT,
		created_at INTEGER NOT NULL, credits_total INTEGER NOT NULL, credits_used INTEGER NOT NULL DEFAULT 0, last_used_at INTEGER,
		converted_to_user_id TEXT REFERENCES users(id) ON DELETE SET NULL)`,
	"pending_purchases": `CREATE TABLE IF NOT EXISTS pending_purchases (invoice_id TEXT PRIMARY KEY, buyer_type TEXT NOT NULL,
		buyer_id TEXT NOT NULL, credits INTEGER NOT NULL, created_at INTEGER NOT NULL, applied_at INTEGER)`,
	"pending_signups": `CREATE TABLE IF NOT EXISTS pending_signups (invoice_id TEXT PRIMARY KEY, email TEXT NOT NULL,
		policy_slug TEXT NOT NULL, created_at INTEGER NOT NULL, applied_at INTEGER)`,
	"subscription_reminders": `CREATE TABLE IF NOT EXISTS subscription_reminders (user_id TEXT NOT NULL, period_expires_at TEXT NOT NULL,
		kind TEXT NOT NULL, sent_at INTEGER NOT NULL, PRIMARY KEY (user_id, period_expires_at, kind))`,
	"library_meta": `CREATE TABLE IF NOT EXISTS library_meta (session_id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
		video_id TEXT, url TEXT, title TEXT, type TEXT, topic_count INTEGER, segment_count INTEGER, created_at INTEGER NOT NULL, upload_date TEXT)`,
}

var nodeIndexes = []string{
	`CREATE INDEX IF NOT EXISTS idx_users_email ON users(email)`,
	`CREATE INDEX IF NOT EXISTS idx_sessions_user ON sessions(user_id)`,
	`CREATE INDEX IF NOT EXISTS idx_library_user ON library_meta(user_id, created_at DESC)`,
	`CREATE INDEX IF NOT EXISTS idx_magic_ip ON magic_link_tokens(request_ip, created_at)`,
}

// nodeShape is one historical shape of the Node.js database.
type nodeShape struct {
	name         string
	noTier       bool // before users.tier
	noTrial      bool // before magic_link_tokens.trial_cookie_id
	singleCredit bool // before the credit bucket split: tenant_credits.balance
}

var nodeShapes = []nodeShape{
	{name: "last release"},
	{name: "before users.tier", noTier: true},
	{name: "before trial_cookie_id", noTier: true, noTrial: true},
	{name: "before the bucket split", noTier: true, noTrial: true, singleCredit: true},
}

func (sh nodeShape) ddl() []string {
	var out []string
	for _, t := range []string{"users", "sessions", "magic_link_tokens", "subscriptions", "tenant_credits", "anon_trials",
		"pending_purchases", "pending_signups", "subscription_reminders", "library_meta"} {
		d := nodeTables[t]
		switch {
		case t == "users" && sh.noTier:
			d = strings.Replace(d, ", tier TEXT NOT NULL DEFAULT 'core'", "", 1)
		case t == "magic_link_tokens" && sh.noTrial:
			d = strings.Replace(d, ",\n\t\trequest_ua TEXT, trial_cookie_id TEXT)", ",\n\t\trequest_ua TEXT)", 1)
		case t == "tenant_credits" && sh.singleCredit:
			d = `CREATE TABLE IF NOT EXISTS tenant_credits (user_id TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
				balance INTEGER NOT NULL DEFAULT 0, lifetime_granted INTEGER NOT NULL DEFAULT 0, lifetime_consumed INTEGER NOT NULL DEFAULT 0)`
		}
		out = append(out, d)
	}
	return append(out, nodeIndexes...)
}

// nodeRows are the rows the test fills every table with: table → rows of
// column → value, in the columns of the last release.
func nodeRows() map[string][]map[string]any {
	return map[string][]map[string]any{
		"users": {
			{"id": "7d0c9a1e-0001", "email": "owner@example.org", "password_hash": nil, "created_at": int64(1718000000000),
				"last_signin_at": int64(1718300000000), "synthetic_install_id": "inst-1", "keysat_license": "LIC-1",
				"display_name": "Owner", "is_admin": int64(1), "tier": "max", "signup_ip": "192.0.2.1", "signup_user_agent": "Firefox"},
			{"id": "7d0c9a1e-0002", "email": "kid@example.org", "password_hash": nil, "created_at": int64(1718100000000),
				"last_signin_at": nil, "synthetic_install_id": "inst-2", "keysat_license": nil,
				"display_name": nil, "is_admin": int64(0), "tier": "core", "signup_ip": "2001:db8::1", "signup_user_agent": nil},
		},
		"sessions": {
			{"id": "plain-session-value-1", "user_id": "7d0c9a1e-0001", "created_at": int64(1718300000000),
				"expires_at": int64(4102444800000), "last_used_at": int64(1718300500000), "user_agent": "Firefox", "ip_address": "192.0.2.1"},
			{"id": "plain-session-value-2", "user_id": "7d0c9a1e-0002", "created_at": int64(1718300000000),
				"expires_at": int64(4102444800000), "last_used_at": nil, "user_agent": nil, "ip_address": nil},
		},
		"magic_link_tokens": {
			{"token_hash": "aa11", "email": "kid@example.org", "created_at": int64(1718100000000), "expires_at": int64(1718100900000),
				"used_at": int64(1718100100000), "intent": "signin", "request_ip": "2001:db8::1", "request_ua": "Safari", "trial_cookie_id": "trial-1"},
		},
		"subscriptions": {
			{"id": "sub-1", "user_id": "7d0c9a1e-0001", "tier": "pro", "started_at": int64(1718000000000), "expires_at": int64(1720592000000),
				"cancelled_at": nil, "btcpay_invoice_id": "inv-9", "amount_sats": int64(21000), "status": "active"},
		},
		"tenant_credits": {
			{"user_id": "7d0c9a1e-0002", "purchased_balance": int64(17), "replenish_balance": int64(5), "last_replenish_at": int64(1718100000000),
				"lifetime_granted": int64(40), "lifetime_consumed": int64(18)},
		},
		"anon_trials": {
			{"cookie_id": "trial-1", "ip_address": "2001:db8::1", "user_agent": "Safari", "created_at": int64(1718090000000),
				"credits_total": int64(3), "credits_used": int64(2), "last_used_at": int64(1718095000000), "converted_to_user_id": "7d0c9a1e-0002"},
			{"cookie_id": "trial-2", "ip_address": nil, "user_agent": nil, "created_at": int64(1718090000001),
				"credits_total": int64(3), "credits_used": int64(0), "last_used_at": nil, "converted_to_user_id": nil},
		},
		"pending_purchases": {
			{"invoice_id": "inv-1", "buyer_type": "user", "buyer_id": "7d0c9a1e-0002", "credits": int64(50), "created_at": int64(1718200000000), "applied_at": nil},
			{"invoice_id": "inv-2", "buyer_type": "anon", "buyer_id": "trial-1", "credits": int64(10), "created_at": int64(1718200000001), "applied_at": int64(1718200100000)},
		},
		"pending_signups": {
			{"invoice_id": "inv-3", "email": "new@example.org", "policy_slug": "pro-monthly", "created_at": int64(1718200000002), "applied_at": nil},
		},
		"subscription_reminders": {
			{"user_id": "7d0c9a1e-0001", "period_expires_at": "2024-07-10T06:13:20.000Z", "kind": "upcoming_7d", "sent_at": int64(1719900000000)},
		},
		"library_meta": {
			{"session_id": "sess-legacy-1", "user_id": "7d0c9a1e-0002", "video_id": "dQw4w9WgXcQ", "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
				"title": "Channel factories explained", "type": "youtube", "topic_count": int64(2), "segment_count": int64(3),
				"created_at": int64(1718150000000), "upload_date": "20240301"},
			{"session_id": "sess-legacy-2", "user_id": "7d0c9a1e-0002", "video_id": nil, "url": nil,
				"title": "Pasted notes", "type": "text", "topic_count": int64(1), "segment_count": int64(1),
				"created_at": int64(1718160000000), "upload_date": nil},
		},
	}
}

// columnsOf returns the sorted column names of a row.
func columnsOf(row map[string]any) []string {
	var cols []string
	for c := range row {
		cols = append(cols, c)
	}
	sort.Strings(cols)
	return cols
}

// writeNodeDB creates DATA/recap.db at a shape and fills it.
func writeNodeDB(t *testing.T, dir string, sh nodeShape) {
	t.Helper()
	db, err := driver.Open("file:" + filepath.Join(dir, FileName) + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(ON)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range sh.ddl() {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	hasCol := func(table, col string) bool {
		var n int
		must(t, db.QueryRow(`SELECT count(*) FROM pragma_table_info(?) WHERE name = ?`, table, col).Scan(&n))
		return n > 0
	}
	if hasCol("users", "tier") == sh.noTier || hasCol("magic_link_tokens", "trial_cookie_id") == sh.noTrial ||
		hasCol("tenant_credits", "balance") != sh.singleCredit || hasCol("tenant_credits", "replenish_balance") == sh.singleCredit {
		t.Fatalf("the test's DDL does not have the shape %q", sh.name)
	}
	for _, table := range []string{"users", "sessions", "magic_link_tokens", "subscriptions", "tenant_credits", "anon_trials",
		"pending_purchases", "pending_signups", "subscription_reminders", "library_meta"} {
		for _, row := range nodeRows()[table] {
			row = oldShapeRow(sh, table, row)
			cols := columnsOf(row)
			args := make([]any, len(cols))
			for i, c := range cols {
				args[i] = row[c]
			}
			q := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", table, strings.Join(cols, ", "), strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", "))
			if _, err := db.Exec(q, args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
}

// oldShapeRow is a row as an older shape would hold it.
func oldShapeRow(sh nodeShape, table string, row map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range row {
		out[k] = v
	}
	switch {
	case table == "users" && sh.noTier:
		delete(out, "tier")
	case table == "magic_link_tokens" && sh.noTrial:
		delete(out, "trial_cookie_id")
	case table == "tenant_credits" && sh.singleCredit:
		out["balance"] = out["purchased_balance"]
		delete(out, "purchased_balance")
		delete(out, "replenish_balance")
		delete(out, "last_replenish_at")
	}
	return out
}

// wantRow is what a row must read back as after the migrations.
func wantRow(sh nodeShape, table string, row map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range row {
		out[k] = v
	}
	switch {
	case table == "users" && sh.noTier:
		out["tier"] = "core"
	case table == "magic_link_tokens" && sh.noTrial:
		out["trial_cookie_id"] = nil
	case table == "tenant_credits" && sh.singleCredit:
		out["replenish_balance"] = int64(0)
		out["last_replenish_at"] = nil
	case table == "sessions":
		out["id"] = HashToken(row["id"].(string))
	}
	return out
}

func readRows(t *testing.T, db *sql.DB, table string, cols []string) []map[string]any {
	t.Helper()
	rows, err := db.Query(fmt.Sprintf("SELECT %s FROM %s ORDER BY rowid", strings.Join(cols, ", "), table))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []map[string]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		m := map[string]any{}
		for i, c := range cols {
			m[c] = vals[i]
		}
		out = append(out, m)
	}
	return out
}

func TestNodeDatabaseShapes(t *testing.T) {
	t.Parallel()
	for _, sh := range nodeShapes {
		t.Run(sh.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			writeNodeDB(t, dir, sh)

			v, err := Inspect(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			if !v.Legacy || v.Current != 0 {
				t.Fatalf("Inspect = %+v, want a legacy database at version 0", v)
			}

			st, err := Open(ctx, dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()

			for table, rows := range nodeRows() {
				cols := columnsOf(rows[0])
				got := readRows(t, st.wdb, table, cols)
				if len(got) != len(rows) {
					t.Fatalf("%s: %d rows, want %d", table, len(got), len(rows))
				}
				for i, row := range rows {
					want := wantRow(sh, table, row)
					if !reflect.DeepEqual(got[i], want) {
						t.Errorf("%s row %d:\n got %v\nwant %v", table, i, got[i], want)
					}
				}
			}

			// Balances that predate the ledger open it: the rows of each
			// bucket sum to the bucket.
			var sumR, sumP int64
			must(t, st.wdb.QueryRow(`SELECT
				coalesce(sum(CASE bucket WHEN 'replenish' THEN amount END), 0),
				coalesce(sum(CASE bucket WHEN 'purchased' THEN amount END), 0)
				FROM credit_ledger WHERE user_id = '7d0c9a1e-0002' AND kind = 'opening'`).Scan(&sumR, &sumP))
			wantR := int64(5)
			if sh.singleCredit {
				wantR = 0
			}
			if sumR != wantR || sumP != 17 {
				t.Errorf("opening ledger rows sum to %d/%d, want %d/17", sumR, sumP, wantR)
			}

			// The old cookie values still sign in.
			sess, u, err := st.SessionByHash(ctx, HashToken("plain-session-value-1"))
			if err != nil {
				t.Fatalf("old session: %v", err)
			}
			if u.Email != "owner@example.org" || !u.IsAdmin || sess.UserID != "7d0c9a1e-0001" {
				t.Errorf("old session = %+v of %+v", sess, u)
			}
			if _, _, err := st.SessionByHash(ctx, "plain-session-value-1"); err != ErrNoSession {
				t.Errorf("plain id still accepted: %v", err)
			}

			// Library rows are listed (their files come in the reconcile test).
			page, err := st.Library(filepath.Join(dir, "history")).Find(ctx, "7d0c9a1e-0002", library.Query{})
			if err != nil {
				t.Fatal(err)
			}
			if page.Total != 2 || page.Hits[0].ID != "sess-legacy-2" || page.Hits[1].Title != "Channel factories explained" {
				t.Errorf("legacy library page = %+v", page)
			}
			// Search finds a legacy row by its title.
			page, err = st.Library(filepath.Join(dir, "history")).Find(ctx, "7d0c9a1e-0002", library.Query{Text: "factories"})
			if err != nil || page.Total != 1 {
				t.Errorf("search legacy title: %+v, %v", page, err)
			}

			v, err = st.Version(ctx)
			if err != nil || v.Current != LatestVersion() || v.Legacy {
				t.Errorf("after open: %+v, %v", v, err)
			}
		})
	}
}

// A history file of the earlier Recap: the shape its library index
// implies (topics with key points, camelCase keys, epoch-ms times).
const nodeHistoryFile = `{
  "sessionId": "sess-legacy-1",
  "videoId": "dQw4w9WgXcQ",
  "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
  "title": "Channel factories explained",
  "type": "youtube",
  "channel": "Node Runners",
  "createdAt": 1718150000000,
  "uploadDate": "20240301",
  "summary": "How many users can share one on-chain output.",
  "topics": [
    {"title": "Why factories", "start": 0, "segments": [{"start": 12.5, "text": "Opening channels costs block space."}]},
    {"title": "Splicing", "startTime": "4:10", "keyPoints": ["Splices resize a channel.", {"text": "Timeouts matter", "timestamp": "5:00"}]}
  ]
}`

func TestNodeHistoryFiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	writeNodeDB(t, dir, nodeShapes[0])
	userDir := filepath.Join(dir, "history", "7d0c9a1e-0002")
	if err := os.MkdirAll(userDir, 0o700); err != nil {
		t.Fatal(err)
	}
	must(t, os.WriteFile(filepath.Join(userDir, "sess-legacy-1.json"), []byte(nodeHistoryFile), 0o600))
	must(t, os.WriteFile(filepath.Join(userDir, "sess-legacy-2.json"), []byte("not json at all {"), 0o600))
	// A file of the earlier Recap with no row yet.
	must(t, os.WriteFile(filepath.Join(userDir, "sess-legacy-3.json"), []byte(`{"title": "Unindexed talk", "createdAt": 1718170000000,
		"topics": [{"title": "Only topic", "points": ["One point"]}]}`), 0o600))

	st, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	lib := st.Library(filepath.Join(dir, "history"))
	rep, err := lib.Reconcile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Indexed != 3 || rep.Dropped != 0 || len(rep.Problems) != 0 {
		t.Errorf("reconcile = %+v", rep)
	}
	page, err := lib.Find(ctx, "7d0c9a1e-0002", library.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 3 {
		t.Fatalf("listed %d, want 3: %+v", page.Total, page)
	}
	e, err := lib.Entry(ctx, "7d0c9a1e-0002", "sess-legacy-1")
	if err != nil {
		t.Fatal(err)
	}
	// The row keeps its facts; the file adds the rest.
	if e.Topics != 2 || e.Segments != 3 || e.Title != "Channel factories explained" || e.UploadDate != "20240301" || e.Channel != "Node Runners" {
		t.Errorf("entry = %+v", e)
	}

	doc, err := lib.Get(ctx, "7d0c9a1e-0002", "sess-legacy-1")
	if err != nil {
		t.Fatal(err)
	}
	if doc.Title != "Channel factories explained" || len(doc.Topics) != 2 || len(doc.Topics[1].Segments) != 2 ||
		doc.Topics[1].Start == nil || *doc.Topics[1].Start != 250 || doc.Engine.Note == "" {
		t.Errorf("legacy doc = %+v", doc)
	}
	if _, err := lib.Export(ctx, "7d0c9a1e-0002", "sess-legacy-1", "md"); err != nil {
		t.Errorf("export legacy: %v", err)
	}
	// An unreadable file shows what its row knows.
	doc, err = lib.Get(ctx, "7d0c9a1e-0002", "sess-legacy-2")
	if err != nil || doc.Title != "Pasted notes" || doc.Engine.Note != noteUnreadable {
		t.Errorf("unreadable legacy doc = %+v, %v", doc, err)
	}
	if _, err := lib.Export(ctx, "7d0c9a1e-0002", "sess-legacy-2", "md"); err != nil {
		t.Errorf("export unreadable: %v", err)
	}
	doc, err = lib.Get(ctx, "7d0c9a1e-0002", "sess-legacy-3")
	if err != nil || doc.Title != "Unindexed talk" || len(doc.Topics) != 1 {
		t.Errorf("unindexed legacy doc = %+v, %v", doc, err)
	}
	// Searching finds text from inside the legacy file.
	page, err = lib.Find(ctx, "7d0c9a1e-0002", library.Query{Text: "splices"})
	if err != nil || page.Total != 1 || page.Hits[0].ID != "sess-legacy-1" {
		t.Errorf("search legacy text = %+v, %v", page, err)
	}
	// Another user sees none of it.
	if _, err := lib.Get(ctx, "7d0c9a1e-0001", "sess-legacy-1"); err != library.ErrNotFound {
		t.Errorf("other user's get = %v", err)
	}
	// A second reconcile changes nothing.
	rep, err = lib.Reconcile(ctx)
	if err != nil || rep.Indexed != 0 || rep.Dropped != 0 || rep.Unchanged != 3 {
		t.Errorf("second reconcile = %+v, %v", rep, err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestWriteNodeFixture writes a data folder as the earlier Recap left it
// in multi mode (its last database shape, two users' history files) into
// the folder RECAP_NODE_FIXTURE names. It is not a check: the StartOS
// package's tests (startos/test) run it to get the fixture they update
// from.
func TestWriteNodeFixture(t *testing.T) {
	t.Parallel()
	dir := os.Getenv("RECAP_NODE_FIXTURE")
	if dir == "" {
		t.Skip("RECAP_NODE_FIXTURE names no folder to write")
	}
	must(t, os.MkdirAll(dir, 0o700))
	writeNodeDB(t, dir, nodeShapes[0])
	userDir := filepath.Join(dir, "history", "7d0c9a1e-0002")
	must(t, os.MkdirAll(userDir, 0o700))
	must(t, os.WriteFile(filepath.Join(userDir, "sess-legacy-1.json"), []byte(nodeHistoryFile), 0o600))
	must(t, os.WriteFile(filepath.Join(userDir, "sess-legacy-3.json"), []byte(`{"title": "Unindexed talk", "createdAt": 1718170000000,
		"topics": [{"title": "Only topic", "points": ["One point"]}]}`), 0o600))
	must(t, os.WriteFile(filepath.Join(userDir, "sess-legacy-4.json"), []byte(`{"title": "Another unindexed talk", "createdAt": 1718180000000,
		"topics": [{"title": "First", "points": ["A point"]}, {"title": "Second", "points": ["Another"]}]}`), 0o600))
	// sess-legacy-2 has a row and no file: the service drops its row.
}
