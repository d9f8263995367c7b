package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ncruces/go-sqlite3/driver"

	"github.com/recap-startos/recap/pkg/library"
)

// execNode runs statements on a database the earlier Recap left, before
// Recap opens it.
func execNode(t *testing.T, dir string, stmts ...string) {
	t.Helper()
	db, err := driver.Open("file:" + filepath.Join(dir, FileName) + "?_pragma=busy_timeout(5000)&_pragma=foreign_keys(ON)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// writeFile writes DATA/history/<user>/<id>.json.
func writeFile(t *testing.T, dir, user, id, body string) string {
	t.Helper()
	p := filepath.Join(dir, "history", user, id+".json")
	must(t, os.MkdirAll(filepath.Dir(p), 0o700))
	must(t, os.WriteFile(p, []byte(body), 0o600))
	return p
}

// Alice signed up three times with the earlier Recap, typing her address
// differently each time; the second account has the most recaps. Bob is a
// second admin with a session.
const (
	aliceOld   = "a1-oldest"
	aliceMain  = "a2-recaps"
	aliceThird = "a3-upper"
	bob        = "b1-admin"
)

func writeUpgradeDB(t *testing.T, dir string) {
	t.Helper()
	writeNodeDB(t, dir, nodeShapes[0])
	execNode(t, dir,
		`INSERT INTO users (id, email, created_at, synthetic_install_id, is_admin) VALUES
			('a1-oldest', 'alice@example.org', 1710000000000, 'i-a1', 0),
			('a2-recaps', 'Alice@Example.ORG', 1711000000000, 'i-a2', 0),
			('a3-upper', 'ALICE@EXAMPLE.ORG ', 1712000000000, 'i-a3', 0),
			('b1-admin', 'Bob@Example.org', 1713000000000, 'i-b1', 1)`,
		`INSERT INTO sessions (id, user_id, created_at, expires_at) VALUES
			('bob-cookie', 'b1-admin', 1718300000000, 4102444800000),
			('alice-old-cookie', 'a1-oldest', 1718300000000, 4102444800000)`,
		`INSERT INTO tenant_credits (user_id, purchased_balance, replenish_balance, lifetime_granted) VALUES
			('a1-oldest', 7, 2, 9), ('a2-recaps', 3, 1, 4)`,
		`INSERT INTO subscription_reminders (user_id, period_expires_at, kind, sent_at) VALUES
			('a1-oldest', '2024-07-10T00:00:00.000Z', 'lapsed', 1), ('a2-recaps', '2024-07-10T00:00:00.000Z', 'lapsed', 2),
			('a1-oldest', '2024-08-10T00:00:00.000Z', 'lapsed', 3)`,
		`INSERT INTO library_meta (session_id, user_id, title, type, created_at) VALUES
			('2024.06.13 talk', 'a2-recaps', 'A talk with dots', 'youtube', 1718150000000),
			('yt:dQw4w9WgXcQ', 'a2-recaps', 'Colon id', 'youtube', 1718150000001),
			('notes#1?', 'a1-oldest', 'Hash id', 'text', 1718150000002),
			('a/b', 'a2-recaps', 'Slash id', 'text', 1718150000003)`,
		`INSERT INTO magic_link_tokens (token_hash, email, created_at, expires_at, intent) VALUES
			('`+HashToken("link-mailed-by-the-earlier-recap")+`', 'Alice@Example.ORG', 1718300000000, 4102444800000, 'signin')`,
	)
	writeFile(t, dir, aliceMain, "2024.06.13 talk", `{"title": "A talk with dots", "topics": [{"title": "Dots", "points": ["Dotted ids survive"]}]}`)
	writeFile(t, dir, aliceMain, "yt:dQw4w9WgXcQ", `{"title": "Colon id", "summary": "colons are fine"}`)
	writeFile(t, dir, aliceOld, "notes#1?", `{"title": "Hash id", "summary": "hashes and question marks"}`)
}

func TestUpgradeOneAccountPerPerson(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	writeUpgradeDB(t, dir)

	// Before the migration, status can already tell.
	groups, err := InspectDuplicates(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 1 || groups[0].Key != "alice@example.org" || len(groups[0].Accounts) != 3 ||
		groups[0].Accounts[0].ID != aliceMain || groups[0].Accounts[1].ID != aliceOld {
		t.Fatalf("duplicates before migration = %+v", groups)
	}

	st, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	after, err := st.DuplicateAccounts(ctx)
	if err != nil || len(after) != 1 || after[0].Accounts[0].ID != aliceMain || after[0].Accounts[0].Recaps != 3 {
		t.Fatalf("duplicates after migration = %+v, %v", after, err)
	}

	for _, typed := range []string{"alice@example.org", "Alice@Example.ORG", "ALICE@example.org"} {
		u, err := st.UserByEmail(ctx, typed)
		if err != nil || u.ID != aliceMain {
			t.Errorf("UserByEmail(%q) = %+v, %v; want the account with the recaps", typed, u, err)
		}
	}
	if _, err := st.CreateUser(ctx, NewUser{Email: "alice@example.org"}); !errors.Is(err, ErrEmailTaken) {
		t.Errorf("creating a fourth alice: %v", err)
	}

	var users int
	must(t, st.rdb.QueryRow(`SELECT count(*) FROM users`).Scan(&users))
	// Signing in with a new link, sign-ups open: her account, not a new one.
	must(t, st.CreateMagicLink(ctx, MagicLink{TokenHash: HashToken("new-link"), Email: "alice@example.org", ExpiresAt: time.Now().Add(time.Hour)}))
	red, err := st.RedeemMagicLink(ctx, Redeem{TokenHash: HashToken("new-link"), SessionHash: HashToken("s1"), MayCreate: func(string) bool { return true }})
	if err != nil || red.User.ID != aliceMain || red.Created {
		t.Fatalf("redeem = %+v, %v", red, err)
	}
	// The link the earlier Recap mailed, to the address as she typed it.
	red, err = st.RedeemMagicLink(ctx, Redeem{TokenHash: HashToken("link-mailed-by-the-earlier-recap"), SessionHash: HashToken("s2")})
	if err != nil || red.User.ID != aliceMain || red.Created {
		t.Fatalf("redeem old link = %+v, %v", red, err)
	}
	var now int
	must(t, st.rdb.QueryRow(`SELECT count(*) FROM users`).Scan(&now))
	if now != users {
		t.Errorf("users %d → %d: a sign-in created an account", users, now)
	}
}

func TestUpgradeKeepsAdmins(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	writeUpgradeDB(t, dir)
	st, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for range 2 { // every start
		admin, err := st.EnsureAdmin(ctx, "Owner@Example.org")
		if err != nil || admin.ID != "7d0c9a1e-0001" || !admin.IsAdmin {
			t.Fatalf("EnsureAdmin = %+v, %v", admin, err)
		}
	}
	b, err := st.UserByID(ctx, bob)
	if err != nil || !b.IsAdmin {
		t.Fatalf("second admin after start = %+v, %v", b, err)
	}
	if _, _, err := st.SessionByHash(ctx, HashToken("bob-cookie")); err != nil {
		t.Errorf("second admin's session: %v", err)
	}
	must(t, st.SetUserAdmin(ctx, bob, false))
	if b, _ := st.UserByID(ctx, bob); b.IsAdmin {
		t.Error("demoted admin still admin")
	}
	if _, _, err := st.SessionByHash(ctx, HashToken("bob-cookie")); !errors.Is(err, ErrNoSession) {
		t.Errorf("demoted admin's session: %v, want it ended", err)
	}
	if err := st.SetUserAdmin(ctx, "nobody", false); !errors.Is(err, ErrNotFound) {
		t.Errorf("demote unknown: %v", err)
	}
}

func TestUpgradeKeepsOddIDs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	writeUpgradeDB(t, dir)
	st, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	lib := st.Library(filepath.Join(dir, "history"))
	for range 2 {
		rep, err := lib.Reconcile(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var kept int
		must(t, st.rdb.QueryRow(`SELECT count(*) FROM library_meta WHERE user_id IN (?, ?)`, aliceMain, aliceOld).Scan(&kept))
		if kept != 4 {
			t.Errorf("reconcile left %d of the 4 rows with odd ids: %+v", kept, rep)
		}
		found := false
		for _, p := range rep.Problems {
			found = found || p.File == aliceMain+"/a/b.json"
		}
		if !found {
			t.Errorf("the row whose id cannot be a file name is not reported: %+v", rep.Problems)
		}
	}
	for _, c := range []struct{ user, id, text string }{
		{aliceMain, "2024.06.13 talk", "dotted"},
		{aliceMain, "yt:dQw4w9WgXcQ", "colons"},
		{aliceOld, "notes#1?", "question"},
	} {
		doc, err := lib.Get(ctx, c.user, c.id)
		if err != nil || doc.ID != c.id {
			t.Errorf("Get(%q) = %v", c.id, err)
		}
		page, err := lib.Find(ctx, c.user, library.Query{Text: c.text})
		if err != nil || page.Total != 1 || page.Hits[0].ID != c.id {
			t.Errorf("search %q = %+v, %v", c.text, page, err)
		}
	}
	// The row with a slash stays listed (and counted), never dropped.
	if n, _ := lib.Count(ctx, aliceMain); n != 3 {
		t.Errorf("alice has %d recaps, want 3", n)
	}
	if n, err := st.RecapCount(ctx); n != 4 || err != nil { // the node fixture's two rows have no files here
		t.Errorf("RecapCount = %d, %v; want 4", n, err)
	}
	// Deleting an odd id removes its file and row.
	must(t, lib.Delete(ctx, aliceMain, "yt:dQw4w9WgXcQ"))
	if _, err := os.Stat(filepath.Join(dir, "history", aliceMain, "yt:dQw4w9WgXcQ.json")); !os.IsNotExist(err) {
		t.Errorf("file of deleted odd id: %v", err)
	}
}

func TestMergeAccounts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	writeUpgradeDB(t, dir)
	st, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	lib := st.Library(filepath.Join(dir, "history"))
	if _, err := lib.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := lib.MergeAccounts(ctx, aliceMain, bob); !errors.Is(err, ErrNotDuplicate) {
		t.Errorf("merging different people: %v", err)
	}
	if _, err := lib.MergeAccounts(ctx, aliceMain, aliceMain); !errors.Is(err, ErrSameAccount) {
		t.Errorf("merging into itself: %v", err)
	}
	m, err := lib.MergeAccounts(ctx, aliceMain, aliceOld)
	if err != nil {
		t.Fatal(err)
	}
	if m.Recaps != 1 || m.Sessions != 1 || m.Credits != 9 {
		t.Errorf("merged = %+v", m)
	}
	checkMerged(t, st, lib, dir)
}

func checkMerged(t *testing.T, st *Store, lib *UserLibrary, dir string) {
	t.Helper()
	ctx := context.Background()
	if _, err := st.UserByID(ctx, aliceOld); !errors.Is(err, ErrNotFound) {
		t.Errorf("merged account still there: %v", err)
	}
	u, err := st.UserByID(ctx, aliceMain)
	if err != nil || u.Email != "alice@example.org" {
		t.Errorf("kept account = %+v, %v; want the canonical address", u, err)
	}
	doc, err := lib.Get(ctx, aliceMain, "notes#1?")
	if err != nil || doc.Title != "Hash id" {
		t.Errorf("moved recap = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "history", aliceOld)); !os.IsNotExist(err) {
		t.Errorf("merged account's folder: %v", err)
	}
	page, err := lib.Find(ctx, aliceMain, library.Query{Text: "question"})
	if err != nil || page.Total != 1 {
		t.Errorf("search moved recap under the new owner = %+v, %v", page, err)
	}
	var purchased, replenish, granted int64
	must(t, st.rdb.QueryRow(`SELECT purchased_balance, replenish_balance, lifetime_granted FROM tenant_credits WHERE user_id = ?`, aliceMain).
		Scan(&purchased, &replenish, &granted))
	if purchased != 10 || replenish != 3 || granted != 13 {
		t.Errorf("credits = %d/%d/%d, want 10/3/13", purchased, replenish, granted)
	}
	var left, reminders int
	must(t, st.rdb.QueryRow(`SELECT (SELECT count(*) FROM tenant_credits WHERE user_id = ?1) + (SELECT count(*) FROM sessions WHERE user_id = ?1)
		+ (SELECT count(*) FROM subscription_reminders WHERE user_id = ?1) + (SELECT count(*) FROM library_meta WHERE user_id = ?1)`, aliceOld).Scan(&left))
	must(t, st.rdb.QueryRow(`SELECT count(*) FROM subscription_reminders WHERE user_id = ?`, aliceMain).Scan(&reminders))
	if left != 0 || reminders != 2 {
		t.Errorf("rows left of the merged account: %d; reminders of the kept one: %d (want 0, 2)", left, reminders)
	}
	if _, _, err := st.SessionByHash(ctx, HashToken("alice-old-cookie")); err != nil {
		t.Errorf("the merged account's browser: %v", err)
	}
	groups, _ := st.DuplicateAccounts(ctx)
	if len(groups) != 1 || len(groups[0].Accounts) != 2 {
		t.Errorf("duplicates after one merge = %+v", groups)
	}
}

// errCrash stands for the process dying between the two steps.
var errCrash = errors.New("crash")

func TestMergeInterruptedIsCompletedAtStart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	writeUpgradeDB(t, dir)
	st, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	lib := st.Library(filepath.Join(dir, "history"))
	if _, err := lib.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	afterRowsHook = func(string) error { return errCrash }
	_, err = lib.MergeAccounts(ctx, aliceMain, aliceOld)
	afterRowsHook = nil
	if !errors.Is(err, errCrash) {
		t.Fatalf("merge = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "history", aliceOld, "notes#1?.json")); err != nil {
		t.Fatalf("the crash should have left the file in place: %v", err)
	}
	must(t, st.Close())

	st, err = Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	lib = st.Library(filepath.Join(dir, "history"))
	rep, err := lib.Reconcile(ctx)
	if err != nil || rep.Dropped != 0 {
		t.Fatalf("reconcile after the crash = %+v, %v", rep, err)
	}
	checkMerged(t, st, lib, dir)
	var ops int
	must(t, st.rdb.QueryRow(`SELECT count(*) FROM folder_ops`).Scan(&ops))
	if ops != 0 {
		t.Errorf("%d folder operations left", ops)
	}
}
