package server

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// getRoutes lists the GET and HEAD paths of srv's route table, each
// once, so that a route added later is crawled too.
func getRoutes(t *testing.T, srv *Server) []string {
	t.Helper()
	var paths []string
	seen := map[string]bool{}
	for _, rt := range srv.routeTable() {
		if (rt.method == http.MethodGet || rt.method == http.MethodHead) && !seen[rt.path] {
			seen[rt.path] = true
			paths = append(paths, rt.path)
		}
	}
	if len(paths) < 20 {
		t.Fatalf("found only %d GET routes in the route table", len(paths))
	}
	return paths
}

// volumeDigest sums up everything the server keeps: every file under the
// data folder except the database's own files (by name, size and
// content), and the rows of the database tables that matter.
func (e *multiEnv) volumeDigest(t *testing.T) string {
	t.Helper()
	h := new(strings.Builder)
	var files []string
	filepath.WalkDir(e.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(filepath.Base(p), "recap.db") {
			return nil
		}
		files = append(files, p)
		return nil
	})
	sort.Strings(files)
	for _, f := range files {
		data, _ := os.ReadFile(f)
		fmt.Fprintf(h, "%s %x\n", f, sha256.Sum256(data))
	}
	db, err := sql.Open("sqlite3", "file:"+e.st.Path()+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`SELECT id, email, is_admin, tier, disabled_at FROM users ORDER BY id`,
		`SELECT id, user_id, created_at FROM sessions ORDER BY id`,
		`SELECT token_hash, used_at FROM magic_link_tokens ORDER BY token_hash`,
		`SELECT session_id, user_id, title FROM library_meta ORDER BY session_id`,
		`SELECT count(*) FROM signin_requests`,
		`SELECT * FROM tenant_credits ORDER BY user_id`,
		`SELECT * FROM credit_ledger ORDER BY id`,
		`SELECT * FROM credit_reservations ORDER BY job_id`,
		`SELECT * FROM anon_trials ORDER BY cookie_id`,
	} {
		rows, err := db.QueryContext(context.Background(), q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			rows.Scan(ptrs...)
			fmt.Fprintln(h, vals...)
		}
		rows.Close()
	}
	return h.String()
}

// settledDigest waits until the stored state stops changing (a finished
// job may still be writing its last state) and returns its digest.
func (e *multiEnv) settledDigest(t *testing.T) string {
	t.Helper()
	prev := e.volumeDigest(t)
	for range 100 {
		time.Sleep(50 * time.Millisecond)
		cur := e.volumeDigest(t)
		if cur == prev {
			return cur
		}
		prev = cur
	}
	t.Fatal("the stored state never settled")
	return ""
}

// diffLines lists the lines of b that a lacks and the other way round.
func diffLines(a, b string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	ma, mb := in(a), in(b)
	var out []string
	for l := range ma {
		if !mb[l] {
			out = append(out, "- "+l)
		}
	}
	for l := range mb {
		if !ma[l] {
			out = append(out, "+ "+l)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// TestGETChangesNothing crawls every GET and HEAD route of multi mode as
// the admin and as a user, with real ids in the parameters, and checks
// that the data folder and the database are exactly as before.
func TestGETChangesNothing(t *testing.T) {
	t.Parallel()
	e := newMultiEnv(t, true)
	admin := e.signIn(t, adminEmail, 1)
	alice := e.signIn(t, "alice@example.org", 2)
	jobID, recapID := e.addRecap(t, alice)
	aliceUser, err := e.st.UserByEmail(context.Background(), "alice@example.org")
	if err != nil {
		t.Fatal(err)
	}
	sessions, err := e.st.ListSessions(context.Background(), aliceUser.ID)
	if err != nil || len(sessions) == 0 {
		t.Fatalf("alice's sessions: %v %v", sessions, err)
	}
	fill := strings.NewReplacer(":id", "ID", ":uid", aliceUser.ID, ":sid", sessions[0].ID, ":name", "app.css")
	// Reading an account settles it (creates it with its allowance, makes
	// a refill that is due): the doing of time, which the hourly sweep
	// would do too. Settle both now; the crawl must then change nothing.
	adminUser, _ := e.st.UserByEmail(context.Background(), adminEmail)
	for _, id := range []string{adminUser.ID, aliceUser.ID} {
		if _, err := e.credits.Balance(context.Background(), id); err != nil {
			t.Fatal(err)
		}
	}
	before := e.settledDigest(t)
	crawled := 0
	for _, route := range getRoutes(t, e.srv) {
		for _, cookie := range []string{admin, alice, ""} {
			for _, id := range []string{recapID, jobID} {
				path := strings.Replace(fill.Replace(route), "ID", id, 1)
				for _, method := range []string{"GET", "HEAD"} {
					w := e.do(t, mreq{method: method, path: path, cookie: cookie})
					if w.Code >= 500 {
						t.Errorf("%s %s: %d", method, path, w.Code)
					}
					crawled++
				}
			}
		}
	}
	if after := e.volumeDigest(t); after != before {
		t.Fatalf("%d GET and HEAD requests changed the stored state:\n%s", crawled, diffLines(before, after))
	}
	if w := e.do(t, mreq{method: "GET", path: "/api/recaps/" + recapID, cookie: alice}); w.Code != http.StatusOK {
		t.Fatalf("alice's recap after the crawl: %d", w.Code)
	}
	// The digest does see a change: a DELETE moves it.
	if w := e.do(t, mreq{method: "DELETE", path: "/api/recaps/" + recapID, cookie: alice}); w.Code >= 300 {
		t.Fatalf("delete: %d", w.Code)
	}
	if e.volumeDigest(t) == before {
		t.Fatal("deleting a recap left the digest unchanged: the digest sees nothing")
	}
}

// TestForgedHostDoesNotChangeTheLink: the link in the mail is built from
// the configured public URL, whatever Host or forwarding headers say.
func TestForgedHostDoesNotChangeTheLink(t *testing.T) {
	t.Parallel()
	e := newMultiEnv(t, true)
	req := httptest.NewRequest("POST", "http://evil.example/auth/request-link", strings.NewReader(form("email", "carol@example.org")))
	req.RemoteAddr = "127.0.0.1:40000"
	req.Header.Set("Content-Type", formType)
	req.Header.Set("X-Forwarded-Host", "evil.example")
	req.Header.Set("Forwarded", "host=evil.example")
	w := httptest.NewRecorder()
	e.srv.ServeHTTP(w, req)
	if req.Host != "evil.example" || w.Code != http.StatusOK {
		t.Fatalf("request link: %d", w.Code)
	}
	link := e.mail.Wait(t, 1).Link(t)
	if !strings.HasPrefix(link, "http://127.0.0.1:9/auth/verify?") || strings.Contains(link, "evil") {
		t.Fatalf("link %s", link)
	}
}
