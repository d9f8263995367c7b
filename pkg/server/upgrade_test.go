package server

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ncruces/go-sqlite3/driver"

	"github.com/recap-startos/recap/pkg/store"
)

// What an upgrading owner's users see, through the web app, on a
// database and history folder as the earlier Recap left them: the tables
// it created (only those this test fills; the store creates the rest)
// with rows it wrote, a browser's session cookie and a sign-in link it
// mailed minutes before the upgrade.

const (
	oldCookie = "3f9c1b2a7d4e8f60a1b2c3d4e5f60718" // the earlier Recap's session cookie value
	oldToken  = "9a8b7c6d5e4f30211a2b3c4d5e6f7081" // the token of a link it mailed
)

func writeEarlierRecap(t *testing.T, dir string) {
	t.Helper()
	db, err := driver.Open("file:" + filepath.Join(dir, store.FileName) + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, password_hash TEXT, created_at INTEGER NOT NULL,
			last_signin_at INTEGER, synthetic_install_id TEXT NOT NULL UNIQUE, keysat_license TEXT, display_name TEXT,
			is_admin INTEGER NOT NULL DEFAULT 0, tier TEXT NOT NULL DEFAULT 'core', signup_ip TEXT, signup_user_agent TEXT)`,
		`CREATE TABLE sessions (id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
			created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, last_used_at INTEGER, user_agent TEXT, ip_address TEXT)`,
		`CREATE TABLE magic_link_tokens (token_hash TEXT PRIMARY KEY, email TEXT NOT NULL, created_at INTEGER NOT NULL,
			expires_at INTEGER NOT NULL, used_at INTEGER, intent TEXT NOT NULL, request_ip TEXT, request_ua TEXT, trial_cookie_id TEXT)`,
		`CREATE TABLE library_meta (session_id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
			video_id TEXT, url TEXT, title TEXT, type TEXT, topic_count INTEGER, segment_count INTEGER, created_at INTEGER NOT NULL, upload_date TEXT)`,
		`INSERT INTO users (id, email, created_at, synthetic_install_id, is_admin) VALUES
			('u-owner', 'Owner@Example.org', 1700000000000, 'i-0', 1),
			('u-alice', 'Alice@Example.ORG', 1710000000000, 'i-1', 0),
			('u-alice2', 'alice@example.org', 1712000000000, 'i-2', 0),
			('u-bob', 'bob@example.org', 1713000000000, 'i-3', 1)`,
		`INSERT INTO sessions (id, user_id, created_at, expires_at) VALUES ('` + oldCookie + `', 'u-alice', 1718300000000, 4102444800000)`,
		`INSERT INTO magic_link_tokens (token_hash, email, created_at, expires_at, intent) VALUES
			('` + store.HashToken(oldToken) + `', 'Alice@Example.ORG', 1718300000000, 4102444800000, 'signin')`,
		`INSERT INTO library_meta (session_id, user_id, title, type, created_at) VALUES
			('1718150000000.talk', 'u-alice', 'Her dotted talk', 'youtube', 1718150000000)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	p := filepath.Join(dir, "history", "u-alice", "1718150000000.talk.json")
	must(t, os.MkdirAll(filepath.Dir(p), 0o700))
	must(t, os.WriteFile(p, []byte(`{"title": "Her dotted talk", "summary": "Kept across the upgrade."}`), 0o600))
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func upgradedEnv(t *testing.T) *multiEnv {
	t.Helper()
	dir := t.TempDir()
	writeEarlierRecap(t, dir)
	e := newMultiEnvIn(t, dir, false)
	if _, err := e.lib.Reconcile(t.Context()); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestUpgradeBrowserStaysSignedIn(t *testing.T) {
	t.Parallel()
	e := upgradedEnv(t)
	w := e.do(t, mreq{method: "GET", path: "/library", cookie: oldCookie})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Her dotted talk") {
		t.Fatalf("library with the earlier Recap's cookie: %d\n%s", w.Code, w.Body)
	}
	// Its odd id opens.
	w = e.do(t, mreq{method: "GET", path: "/recaps/1718150000000.talk", cookie: oldCookie})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Kept across the upgrade.") {
		t.Fatalf("recap with a dotted id: %d", w.Code)
	}
	// A cookie the store does not know, or of a form no Recap made, is
	// the sign-in page, never an error.
	for _, c := range []string{"00000000000000000000000000000000", "not a cookie;", "x"} {
		w = e.do(t, mreq{method: "GET", path: "/library", cookie: c})
		if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/login") {
			t.Errorf("unknown cookie %q: %d %s", c, w.Code, w.Header().Get("Location"))
		}
	}
}

func TestUpgradeMailedLinkSignsInToTheSameAccount(t *testing.T) {
	t.Parallel()
	e := upgradedEnv(t)
	w := e.do(t, mreq{method: "GET", path: "/auth/verify?token=" + oldToken})
	if w.Code != http.StatusOK {
		t.Fatalf("confirm page of an old link: %d", w.Code)
	}
	cookie, w := e.confirm(t, oldToken)
	if cookie == "" || w.Code != http.StatusSeeOther {
		t.Fatalf("old link: %d %s", w.Code, w.Body)
	}
	w = e.do(t, mreq{method: "GET", path: "/library", cookie: cookie})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Her dotted talk") {
		t.Fatalf("library after the old link: %d", w.Code)
	}
	// A new link for the address as typed today: the same account, even
	// though sign-ups are closed and no row holds that exact spelling
	// with recaps.
	cookie = e.signIn(t, "alice@example.org", 1)
	w = e.do(t, mreq{method: "GET", path: "/api/me", cookie: cookie})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "u-alice\"") {
		t.Fatalf("/api/me after a new link: %d %s", w.Code, w.Body)
	}
	// The old link is used up: a clear page, not a 500.
	if c, w := e.confirm(t, oldToken); c != "" || w.Code != http.StatusBadRequest {
		t.Errorf("old link twice: %d", w.Code)
	}
	var users int
	must(t, dbCount(t, e, `SELECT count(*) FROM users`, &users))
	if users != 4 {
		t.Errorf("%d users; a sign-in created one", users)
	}
}

func dbCount(t *testing.T, e *multiEnv, q string, n *int) error {
	t.Helper()
	db, err := driver.Open("file:" + filepath.Join(e.dir, store.FileName) + "?_pragma=busy_timeout(5000)&_pragma=query_only(ON)")
	if err != nil {
		return err
	}
	defer db.Close()
	return db.QueryRow(q).Scan(n)
}

func TestUpgradeAdminsAndMerge(t *testing.T) {
	t.Parallel()
	e := upgradedEnv(t)
	owner := e.signIn(t, adminEmail, 1)
	bob := e.signIn(t, "bob@example.org", 2)
	// Bob, an admin of the earlier install, is still one.
	if w := e.do(t, mreq{method: "GET", path: "/admin", cookie: bob}); w.Code != http.StatusOK {
		t.Fatalf("second admin's dashboard: %d", w.Code)
	}
	w := e.do(t, mreq{method: "GET", path: "/admin", cookie: owner})
	body := w.Body.String()
	if w.Code != http.StatusOK || !strings.Contains(body, `id="duplicates"`) ||
		!strings.Contains(body, "/admin/merge?into=u-alice&amp;from=u-alice2") {
		t.Fatalf("dashboard: %d\n%s", w.Code, body)
	}
	// Only the owner demotes.
	if w := e.do(t, mreq{method: "POST", path: "/admin/users/u-owner/demote", cookie: bob}); w.Code != http.StatusForbidden {
		t.Errorf("bob demotes the owner: %d", w.Code)
	}
	if w := e.do(t, mreq{method: "POST", path: "/admin/users/u-owner/demote", cookie: owner}); w.Code != http.StatusConflict {
		t.Errorf("owner demotes self: %d", w.Code)
	}
	// Merging asks first, naming what moves.
	w = e.do(t, mreq{method: "GET", path: "/admin/merge?into=u-alice&from=u-alice2", cookie: owner})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `id="confirm-merge"`) {
		t.Fatalf("merge page: %d", w.Code)
	}
	if w := e.do(t, mreq{method: "GET", path: "/admin/merge?into=u-alice&from=u-bob", cookie: owner}); w.Code != http.StatusConflict {
		t.Errorf("merge of different people: %d", w.Code)
	}
	w = e.do(t, mreq{method: "POST", path: "/admin/merge", ctype: formType, body: form("into", "u-alice", "from", "u-alice2"), cookie: owner})
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/admin/users/u-alice?done=merged") {
		t.Fatalf("merge: %d %s", w.Code, w.Header().Get("Location"))
	}
	if w := e.do(t, mreq{method: "GET", path: "/admin", cookie: owner}); strings.Contains(w.Body.String(), `id="duplicates"`) {
		t.Error("duplicates still listed after the merge")
	}
	// The owner takes Bob's rights; his session ends.
	if w := e.do(t, mreq{method: "POST", path: "/admin/users/u-bob/demote", cookie: owner}); w.Code != http.StatusSeeOther {
		t.Fatalf("demote bob: %d", w.Code)
	}
	if w := e.do(t, mreq{method: "GET", path: "/admin", cookie: bob}); w.Code == http.StatusOK {
		t.Error("demoted admin still reaches the dashboard")
	}
}
