package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/atomicfile"

	"github.com/recap-startos/recap/pkg/library"
	"github.com/recap-startos/recap/pkg/recap"
)

// clock is a settable time for tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func openTest(t *testing.T, opt Options) (*Store, string) {
	t.Helper()
	dir := t.TempDir()
	st, err := Open(context.Background(), dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, dir
}

func TestOpenFreshAndReopen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := Inspect(ctx, dir); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Inspect of no database = %v", err)
	}
	st, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	v, err := st.Version(ctx)
	if err != nil || v.Current != LatestVersion() || len(v.Applied) != LatestVersion() || len(v.Pending()) != 0 {
		t.Fatalf("version = %+v, %v", v, err)
	}
	var mode string
	must(t, st.rdb.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode))
	var fk int
	must(t, st.wdb.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk))
	if mode != "wal" || fk != 1 {
		t.Errorf("journal_mode %s, foreign_keys %d", mode, fk)
	}
	// Readers cannot write.
	if _, err := st.rdb.ExecContext(ctx, `INSERT INTO settings VALUES ('x', 'y', 0)`); err == nil {
		t.Error("a reader connection wrote")
	}
	must(t, st.Close())
	if _, err := os.Stat(PathIn(dir) + "-wal"); err == nil {
		if info, _ := os.Stat(PathIn(dir) + "-wal"); info.Size() != 0 {
			t.Errorf("WAL not truncated on close: %d bytes", info.Size())
		}
	}
	st, err = Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	must(t, st.Close())
}

func TestRefusesNewerDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, dir := openTest(t, Options{})
	_, err := st.wdb.ExecContext(ctx, `INSERT INTO schema_migrations VALUES (?, 'from the future', 0)`, LatestVersion()+1)
	must(t, err)
	must(t, st.Close())
	_, err = Open(ctx, dir, Options{})
	if !errors.Is(err, ErrTooNew) || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Open of a newer database = %v", err)
	}
	if _, err := Open(ctx, dir, Options{NoMigrate: true}); !errors.Is(err, ErrTooNew) {
		t.Fatalf("Open NoMigrate of a newer database = %v", err)
	}
}

func TestUsers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, _ := openTest(t, Options{})
	u, err := st.CreateUser(ctx, NewUser{Email: "a@example.org", SignupIP: "192.0.2.7", SignupUserAgent: "curl"})
	if err != nil {
		t.Fatal(err)
	}
	if u.Tier != TierCore || u.IsAdmin || u.Disabled() || !recap.ValidID(u.ID) {
		t.Errorf("new user = %+v", u)
	}
	if _, err := st.CreateUser(ctx, NewUser{Email: "a@example.org"}); !errors.Is(err, ErrEmailTaken) {
		t.Errorf("duplicate email: %v", err)
	}
	got, err := st.UserByEmail(ctx, "a@example.org")
	if err != nil || got.ID != u.ID || got.SignupIP != "192.0.2.7" || got.SignupUserAgent != "curl" {
		t.Errorf("UserByEmail = %+v, %v", got, err)
	}
	if _, err := st.UserByID(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("UserByID(nobody) = %v", err)
	}
	again, created, err := st.EnsureUser(ctx, NewUser{Email: "a@example.org"})
	if err != nil || created || again.ID != u.ID {
		t.Errorf("EnsureUser existing = %+v %v %v", again, created, err)
	}
	b, created, err := st.EnsureUser(ctx, NewUser{Email: "b@example.org"})
	if err != nil || !created {
		t.Fatalf("EnsureUser new = %v %v", created, err)
	}
	must(t, st.SetUserTier(ctx, b.ID, TierPro))
	if err := st.SetUserTier(ctx, b.ID, "gold"); err == nil {
		t.Error("unknown tier accepted")
	}

	admin, err := st.EnsureAdmin(ctx, "a@example.org")
	if err != nil || !admin.IsAdmin || admin.ID != u.ID {
		t.Fatalf("EnsureAdmin = %+v, %v", admin, err)
	}
	// A new admin address makes a second admin; the first keeps its
	// rights and sessions until demoted on purpose.
	_, err = st.CreateSession(ctx, NewSession{TokenHash: HashToken("a-cookie"), UserID: u.ID})
	must(t, err)
	admin2, err := st.EnsureAdmin(ctx, "owner@example.org")
	if err != nil || !admin2.IsAdmin {
		t.Fatalf("EnsureAdmin new = %+v, %v", admin2, err)
	}
	if a, _ := st.UserByID(ctx, u.ID); !a.IsAdmin {
		t.Error("the earlier admin lost the flag")
	}
	if _, _, err := st.SessionByHash(ctx, HashToken("a-cookie")); err != nil {
		t.Errorf("the earlier admin's session = %v", err)
	}

	list, total, err := st.ListUsers(ctx, UserQuery{})
	if err != nil || total != 3 || len(list) != 3 || list[0].Email != "owner@example.org" {
		t.Fatalf("ListUsers = %+v %d %v", list, total, err)
	}
	list, total, err = st.ListUsers(ctx, UserQuery{Search: "b@"})
	if err != nil || total != 1 || list[0].Tier != TierPro {
		t.Errorf("ListUsers search = %+v %d %v", list, total, err)
	}
}

func TestMagicLinkSingleWinner(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	st, _ := openTest(t, Options{Now: c.now})
	hash := HashToken("the-token")
	must(t, st.CreateMagicLink(ctx, MagicLink{TokenHash: hash, Email: "a@example.org", ExpiresAt: c.now().Add(15 * time.Minute),
		RequestIP: "192.0.2.1", RequestUA: "Firefox", TrialCookieID: "trial-9"}))

	const n = 16
	var wins, losses atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			l, err := st.ConsumeMagicLink(ctx, hash, IntentSignIn)
			switch {
			case err == nil:
				if l.Email != "a@example.org" || l.TrialCookieID != "trial-9" || l.RequestUA != "Firefox" {
					t.Errorf("consumed = %+v", l)
				}
				wins.Add(1)
			case errors.Is(err, ErrTokenInvalid):
				losses.Add(1)
			default:
				t.Errorf("consume: %v", err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if wins.Load() != 1 || losses.Load() != n-1 {
		t.Fatalf("%d winners, %d losers", wins.Load(), losses.Load())
	}

	// Expired, wrong intent and unknown tokens are refused alike.
	h2 := HashToken("second")
	must(t, st.CreateMagicLink(ctx, MagicLink{TokenHash: h2, Email: "a@example.org", ExpiresAt: c.now().Add(15 * time.Minute)}))
	if _, err := st.ConsumeMagicLink(ctx, h2, "admin-login"); !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("wrong intent: %v", err)
	}
	c.add(15*time.Minute + time.Second)
	if _, err := st.ConsumeMagicLink(ctx, h2, IntentSignIn); !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("expired: %v", err)
	}
	if _, err := st.ConsumeMagicLink(ctx, HashToken("never"), IntentSignIn); !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("unknown: %v", err)
	}
	n2, err := st.DeleteExpiredMagicLinks(ctx, c.now())
	if err != nil || n2 != 2 {
		t.Errorf("DeleteExpiredMagicLinks = %d, %v", n2, err)
	}
}

func TestSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	st, _ := openTest(t, Options{Now: c.now, SessionTTL: 24 * time.Hour})
	u, err := st.CreateUser(ctx, NewUser{Email: "a@example.org"})
	must(t, err)
	other, err := st.CreateUser(ctx, NewUser{Email: "b@example.org"})
	must(t, err)

	s1, err := st.CreateSession(ctx, NewSession{TokenHash: HashToken("c1"), UserID: u.ID, UserAgent: "Firefox", IPAddress: "192.0.2.1"})
	must(t, err)
	if got, _ := st.UserByID(ctx, u.ID); !got.LastSignInAt.Equal(c.now()) {
		t.Errorf("last sign-in = %v", got.LastSignInAt)
	}
	// A new sign-in in the same browser replaces its old session.
	_, err = st.CreateSession(ctx, NewSession{TokenHash: HashToken("c2"), UserID: u.ID, Replaces: HashToken("c0-none")})
	must(t, err)
	_, err = st.CreateSession(ctx, NewSession{TokenHash: HashToken("c3"), UserID: u.ID, Replaces: HashToken("c2")})
	must(t, err)
	if _, _, err := st.SessionByHash(ctx, HashToken("c2")); !errors.Is(err, ErrNoSession) {
		t.Errorf("replaced session = %v", err)
	}
	if _, err := st.CreateSession(ctx, NewSession{TokenHash: HashToken("x"), UserID: "nobody"}); !errors.Is(err, ErrNotFound) {
		t.Errorf("session of unknown user = %v", err)
	}

	// Sliding expiry: used every 20 hours, a 24-hour session lives on.
	for range 5 {
		c.add(20 * time.Hour)
		got, gu, err := st.SessionByHash(ctx, s1.ID)
		if err != nil {
			t.Fatalf("sliding session: %v", err)
		}
		if gu.ID != u.ID || !got.ExpiresAt.Equal(c.now().Add(24*time.Hour)) {
			t.Fatalf("session = %+v", got)
		}
	}
	// The uses are in memory until flushed, then in the row.
	var last sql.NullInt64
	must(t, st.rdb.QueryRowContext(ctx, `SELECT last_used_at FROM sessions WHERE id = ?`, s1.ID).Scan(&last))
	if last.Valid {
		t.Errorf("a lookup wrote last_used_at")
	}
	must(t, st.FlushTouches(ctx))
	var exp int64
	must(t, st.rdb.QueryRowContext(ctx, `SELECT last_used_at, expires_at FROM sessions WHERE id = ?`, s1.ID).Scan(&last, &exp))
	if last.Int64 != ms(c.now()) || exp != ms(c.now().Add(24*time.Hour)) {
		t.Errorf("flushed last_used_at %d expires_at %d", last.Int64, exp)
	}
	// c3 was not used for 100 hours: expired.
	if _, _, err := st.SessionByHash(ctx, HashToken("c3")); !errors.Is(err, ErrNoSession) {
		t.Errorf("idle session = %v", err)
	}

	list, err := st.ListSessions(ctx, u.ID)
	if err != nil || len(list) != 1 || list[0].ID != s1.ID || list[0].UserAgent != "Firefox" {
		t.Errorf("ListSessions = %+v, %v", list, err)
	}
	// Scoped revoke: another user cannot end it.
	if err := st.RevokeSession(ctx, other.ID, s1.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("revoke by other user = %v", err)
	}
	_, err = st.CreateSession(ctx, NewSession{TokenHash: HashToken("c4"), UserID: u.ID})
	must(t, err)
	n, err := st.RevokeUserSessions(ctx, u.ID, s1.ID)
	if err != nil || n < 1 {
		t.Errorf("revoke others = %d, %v", n, err)
	}
	if _, _, err := st.SessionByHash(ctx, s1.ID); err != nil {
		t.Errorf("kept session = %v", err)
	}
	must(t, st.RevokeSession(ctx, u.ID, s1.ID))
	if _, _, err := st.SessionByHash(ctx, s1.ID); !errors.Is(err, ErrNoSession) {
		t.Errorf("revoked session = %v", err)
	}
	n, err = st.DeleteExpiredSessions(ctx, c.now())
	if err != nil {
		t.Errorf("DeleteExpiredSessions = %d, %v", n, err)
	}
}

func TestDisableUserEndsSessions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, _ := openTest(t, Options{})
	u, err := st.CreateUser(ctx, NewUser{Email: "a@example.org"})
	must(t, err)
	for i := range 3 {
		_, err := st.CreateSession(ctx, NewSession{TokenHash: HashToken(fmt.Sprint("c", i)), UserID: u.ID})
		must(t, err)
	}
	must(t, st.SetUserDisabled(ctx, u.ID, true))
	if _, _, err := st.SessionByHash(ctx, HashToken("c0")); !errors.Is(err, ErrNoSession) {
		t.Errorf("session of disabled user = %v", err)
	}
	if list, _ := st.ListSessions(ctx, u.ID); len(list) != 0 {
		t.Errorf("disabled user has %d sessions", len(list))
	}
	if _, err := st.CreateSession(ctx, NewSession{TokenHash: HashToken("c9"), UserID: u.ID}); !errors.Is(err, ErrUserDisabled) {
		t.Errorf("new session of disabled user = %v", err)
	}
	got, _ := st.UserByID(ctx, u.ID)
	if !got.Disabled() {
		t.Error("not disabled")
	}
	must(t, st.SetUserDisabled(ctx, u.ID, false))
	if _, err := st.CreateSession(ctx, NewSession{TokenHash: HashToken("c9"), UserID: u.ID}); err != nil {
		t.Errorf("session after enable = %v", err)
	}
	if err := st.SetUserDisabled(ctx, "nobody", true); !errors.Is(err, ErrNotFound) {
		t.Errorf("disable nobody = %v", err)
	}
}

func TestSignInLimitsUnderConcurrency(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, _ := openTest(t, Options{})
	lim := SignInLimits{Window: 15 * time.Minute, PerEmail: 3, PerBucket: 5, Total: 100}
	const n = 16
	var admitted atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ok, err := st.AdmitSignInRequest(ctx, SignInRequest{Email: "a@example.org", IPBucket: "192.0.2.1"}, lim)
			if err != nil {
				t.Error(err)
			}
			if ok {
				admitted.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	if admitted.Load() != 3 {
		t.Fatalf("%d admitted, want 3", admitted.Load())
	}
	// Per bucket: other addresses from the same bucket stop at 5 sent.
	sent := 3
	for i := range 5 {
		ok, err := st.AdmitSignInRequest(ctx, SignInRequest{Email: fmt.Sprintf("x%d@example.org", i), IPBucket: "192.0.2.1"}, lim)
		must(t, err)
		if ok {
			sent++
		}
	}
	if sent != 5 {
		t.Errorf("bucket let %d through, want 5", sent)
	}
	// Refused requests are counted per bucket and hour, not logged one by
	// one: the address's log holds its 3 admitted requests.
	count, err := st.CountSignInRequests(ctx, "a@example.org", "", time.Now().Add(-time.Hour))
	if err != nil || count != 3 {
		t.Errorf("count by email = %d, %v", count, err)
	}
	act, err := st.SignInActivity(ctx, time.Now().Add(-time.Hour), 10)
	if err != nil || len(act) != 1 || act[0].Requests != n+5 || act[0].Limited != n+5-5 || act[0].Emails != 3 {
		t.Errorf("activity = %+v, %v", act, err)
	}
	recent, err := st.RecentSignInRequests(ctx, "192.0.2.1", 3)
	if err != nil || len(recent) != 3 {
		t.Errorf("recent = %+v, %v", recent, err)
	}
}

func TestSettings(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, _ := openTest(t, Options{})
	if _, err := st.Setting(ctx, "k"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing setting = %v", err)
	}
	must(t, st.SetSetting(ctx, "k", "1"))
	must(t, st.SetSetting(ctx, "k", "2"))
	if v, err := st.Setting(ctx, "k"); err != nil || v != "2" {
		t.Errorf("setting = %q, %v", v, err)
	}
}

func testDoc(id, title string, created time.Time, words ...string) *recap.Document {
	text := strings.Join(words, " ")
	return &recap.Document{
		Version: recap.Version, ID: id, CreatedAt: created,
		Source: recap.Source{Type: recap.SourceText, Channel: "Studio"},
		Engine: recap.Engine{Name: recap.EngineBuiltin}, Title: title, Summary: "About " + title,
		Keywords: []string{"alpha"},
		Topics: []recap.Topic{{Title: title, StartUnit: 0, EndUnit: 0, Summary: text,
			Segments: []recap.Segment{{Unit: 0, Text: text}}}},
		Transcript: []recap.Unit{{I: 0, Text: text}},
		Stats:      recap.Stats{Words: len(words), Units: 1},
	}
}

func TestUserLibrary(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, dir := openTest(t, Options{})
	lib := st.Library(filepath.Join(dir, "history"))
	a, err := st.CreateUser(ctx, NewUser{Email: "a@example.org"})
	must(t, err)
	b, err := st.CreateUser(ctx, NewUser{Email: "b@example.org"})
	must(t, err)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	must(t, lib.Save(ctx, a.ID, testDoc("r1", "Lightning channels", t0, "channel", "liquidity", "routing")))
	must(t, lib.Save(ctx, a.ID, testDoc("r2", "Mining pools", t0.Add(time.Hour), "hashrate", "pools", "payouts")))
	must(t, lib.Save(ctx, b.ID, testDoc("r3", "Lightning for B", t0, "channel", "secret")))
	// The file is where the issue says.
	if _, err := os.Stat(filepath.Join(dir, "history", a.ID, "r1.json")); err != nil {
		t.Fatal(err)
	}
	// Another user's id cannot be taken over.
	if err := lib.Save(ctx, b.ID, testDoc("r1", "Hijack", t0, "words")); !errors.Is(err, ErrIDTaken) {
		t.Errorf("save over another user's id = %v", err)
	}

	page, err := lib.Find(ctx, a.ID, library.Query{})
	if err != nil || page.Total != 2 || page.Hits[0].ID != "r2" || page.Hits[0].Topics != 1 || page.Hits[0].Segments != 1 ||
		page.Hits[0].Channel != "Studio" || page.Hits[0].Summary != "About Mining pools" {
		t.Fatalf("list = %+v, %v", page, err)
	}
	page, err = lib.Find(ctx, a.ID, library.Query{Limit: 1})
	if err != nil || len(page.Hits) != 1 || page.Next == "" {
		t.Fatalf("first page = %+v, %v", page, err)
	}
	page, err = lib.Find(ctx, a.ID, library.Query{Limit: 1, Cursor: page.Next})
	if err != nil || len(page.Hits) != 1 || page.Hits[0].ID != "r1" || page.Next != "" {
		t.Fatalf("second page = %+v, %v", page, err)
	}
	for _, c := range []struct {
		name, q string
		want    []string
	}{
		{"word", "liquidity", []string{"r1"}},
		{"prefix", "liquid", []string{"r1"}},
		{"plural", "channels", []string{"r1"}},
		{"two words", "lightning routing", []string{"r1"}},
		{"no match", "secret", nil}, // b's word
		{"title", "mining", []string{"r2"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			page, err := lib.Find(ctx, a.ID, library.Query{Text: c.q})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, h := range page.Hits {
				got = append(got, h.ID)
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) || page.Total != len(c.want) {
				t.Errorf("search %q = %v (total %d), want %v", c.q, got, page.Total, c.want)
			}
		})
	}
	// Scoping.
	if _, err := lib.Get(ctx, b.ID, "r1"); !errors.Is(err, library.ErrNotFound) {
		t.Errorf("b reads a's recap: %v", err)
	}
	if err := lib.Delete(ctx, b.ID, "r1"); !errors.Is(err, library.ErrNotFound) {
		t.Errorf("b deletes a's recap: %v", err)
	}
	if _, err := lib.Get(ctx, a.ID, "../r1"); !errors.Is(err, library.ErrInvalidID) {
		t.Errorf("path id: %v", err)
	}
	doc, err := lib.Get(ctx, a.ID, "r1")
	if err != nil || doc.Title != "Lightning channels" {
		t.Fatalf("get = %+v, %v", doc, err)
	}
	must(t, lib.Delete(ctx, a.ID, "r1"))
	if _, err := os.Stat(filepath.Join(dir, "history", a.ID, "r1.json")); !os.IsNotExist(err) {
		t.Errorf("file left after delete: %v", err)
	}
	if page, _ := lib.Find(ctx, a.ID, library.Query{Text: "liquidity"}); page.Total != 0 {
		t.Errorf("deleted recap still found")
	}
	if n, _ := lib.Count(ctx, a.ID); n != 1 {
		t.Errorf("count = %d", n)
	}
}

func TestReconcile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, dir := openTest(t, Options{})
	root := filepath.Join(dir, "history")
	lib := st.Library(root)
	a, err := st.CreateUser(ctx, NewUser{Email: "a@example.org"})
	must(t, err)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	must(t, lib.Save(ctx, a.ID, testDoc("keep", "Kept", t0, "kept")))
	must(t, lib.Save(ctx, a.ID, testDoc("gone", "Gone", t0, "gone")))
	// Out of band: one file removed, one written without a row, one folder of nobody.
	must(t, os.Remove(filepath.Join(root, a.ID, "gone.json")))
	doc := testDoc("new", "Copied in", t0, "copied")
	must(t, atomicfile.Write(filepath.Join(root, a.ID, "new.json"), mustJSON(t, doc), 0o600))
	must(t, os.MkdirAll(filepath.Join(root, "stranger"), 0o700))

	rep, err := lib.Reconcile(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Indexed != 1 || rep.Dropped != 1 || rep.Unchanged != 1 || len(rep.Problems) != 1 {
		t.Errorf("reconcile = %+v", rep)
	}
	page, err := lib.Find(ctx, a.ID, library.Query{Text: "copied"})
	if err != nil || page.Total != 1 {
		t.Errorf("indexed file not found: %+v %v", page, err)
	}
	if _, err := lib.Entry(ctx, a.ID, "gone"); !errors.Is(err, library.ErrNotFound) {
		t.Errorf("dropped row = %v", err)
	}
}

func TestGroupCommitIsolatesFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, _ := openTest(t, Options{})
	_, err := st.CreateUser(ctx, NewUser{Email: "taken@example.org"})
	must(t, err)
	var wg sync.WaitGroup
	errs := make([]error, 64)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			email := fmt.Sprintf("u%d@example.org", i)
			if i%4 == 0 {
				email = "taken@example.org"
			}
			_, errs[i] = st.CreateUser(ctx, NewUser{Email: email})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if i%4 == 0 && !errors.Is(err, ErrEmailTaken) || i%4 != 0 && err != nil {
			t.Errorf("write %d: %v", i, err)
		}
	}
	_, total, err := st.ListUsers(ctx, UserQuery{})
	if err != nil || total != 1+48 {
		t.Errorf("users = %d, %v", total, err)
	}
}

func TestBackupAndSnapshotFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, dir := openTest(t, Options{})
	_, err := st.CreateUser(ctx, NewUser{Email: "a@example.org"})
	must(t, err)
	dst := filepath.Join(dir, "copy.db")
	must(t, st.Backup(ctx, dst))
	if err := st.Backup(ctx, dst); err == nil {
		t.Error("backup over an existing file")
	}
	dst2 := filepath.Join(dir, "copy2.db")
	must(t, SnapshotFile(ctx, st.Path(), dst2))
	for _, p := range []string{dst, dst2} {
		cp, err := OpenFile(ctx, p, Options{NoMigrate: true})
		if err != nil {
			t.Fatal(err)
		}
		if u, err := cp.UserByEmail(ctx, "a@example.org"); err != nil || u.Email != "a@example.org" {
			t.Errorf("%s: %v", filepath.Base(p), err)
		}
		cp.Close()
	}
}

func TestClosedStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, _ := openTest(t, Options{})
	must(t, st.Close())
	if _, err := st.CreateUser(ctx, NewUser{Email: "a@example.org"}); !errors.Is(err, ErrClosed) {
		t.Errorf("write after close = %v", err)
	}
	must(t, st.Close())
}

func mustJSON(t *testing.T, doc *recap.Document) []byte {
	t.Helper()
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestRedeemMagicLink(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	st, _ := openTest(t, Options{Now: c.now})
	link := func(token, email string) {
		must(t, st.CreateMagicLink(ctx, MagicLink{TokenHash: HashToken(token), Email: email,
			ExpiresAt: c.now().Add(15 * time.Minute), RequestIP: "192.0.2.5", RequestUA: "Safari"}))
	}
	allow := func(string) bool { return true }

	// 16 browsers confirm one link at once: one session, one account.
	link("t1", "new@example.org")
	const n = 16
	var wg sync.WaitGroup
	var wins atomic.Int32
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res, err := st.RedeemMagicLink(ctx, Redeem{TokenHash: HashToken("t1"), SessionHash: HashToken(fmt.Sprint("s", i)), MayCreate: allow})
			switch {
			case err == nil:
				wins.Add(1)
				if !res.Created || res.User.Email != "new@example.org" || res.User.SignupIP != "192.0.2.5" {
					t.Errorf("redeemed = %+v", res)
				}
			case !errors.Is(err, ErrTokenInvalid):
				t.Errorf("redeem: %v", err)
			}
		}()
	}
	close(start)
	wg.Wait()
	var sessions, users int
	must(t, st.rdb.QueryRowContext(ctx, `SELECT count(*) FROM sessions`).Scan(&sessions))
	must(t, st.rdb.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&users))
	if wins.Load() != 1 || sessions != 1 || users != 1 {
		t.Fatalf("%d winners, %d sessions, %d users", wins.Load(), sessions, users)
	}

	// Sign-ups closed: refused, and the link is not used up.
	link("t2", "stranger@example.org")
	if _, err := st.RedeemMagicLink(ctx, Redeem{TokenHash: HashToken("t2"), SessionHash: HashToken("s-x")}); !errors.Is(err, ErrSignupClosed) {
		t.Errorf("closed sign-ups: %v", err)
	}
	if _, err := st.RedeemMagicLink(ctx, Redeem{TokenHash: HashToken("t2"), SessionHash: HashToken("s-x"), MayCreate: allow}); err != nil {
		t.Errorf("after opening sign-ups: %v", err)
	}
	// A disabled user cannot sign in; an existing one can without MayCreate.
	u, err := st.UserByEmail(ctx, "new@example.org")
	must(t, err)
	must(t, st.SetUserDisabled(ctx, u.ID, true))
	link("t3", "new@example.org")
	if _, err := st.RedeemMagicLink(ctx, Redeem{TokenHash: HashToken("t3"), SessionHash: HashToken("s-y")}); !errors.Is(err, ErrUserDisabled) {
		t.Errorf("disabled: %v", err)
	}
	must(t, st.SetUserDisabled(ctx, u.ID, false))
	res, err := st.RedeemMagicLink(ctx, Redeem{TokenHash: HashToken("t3"), SessionHash: HashToken("s-y"), Replaces: HashToken("s0")})
	if err != nil || res.Created || res.Session.UserID != u.ID {
		t.Fatalf("existing user: %+v, %v", res, err)
	}
	if _, _, err := st.SessionByHash(ctx, HashToken("s-y")); err != nil {
		t.Errorf("new session: %v", err)
	}
}

func TestFailedMigrationLeavesPreviousVersion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	writeNodeDB(t, dir, nodeShapes[0])
	// Something in the way of migration 3: a table of that name already.
	db, err := sql.Open("sqlite3", "file:"+PathIn(dir))
	must(t, err)
	_, err = db.Exec(`CREATE TABLE signin_requests (x)`)
	must(t, err)
	db.Close()
	if _, err := Open(ctx, dir, Options{}); err == nil || !strings.Contains(err.Error(), "migration 3") {
		t.Fatalf("Open = %v, want migration 3 to fail", err)
	}
	v, err := Inspect(ctx, dir)
	if err != nil || v.Current != 2 {
		t.Fatalf("version after a failed migration = %+v, %v", v, err)
	}
	db, err = sql.Open("sqlite3", "file:"+PathIn(dir))
	must(t, err)
	defer db.Close()
	var n int
	must(t, db.QueryRow(`SELECT count(*) FROM pragma_table_info('users') WHERE name = 'disabled_at'`).Scan(&n))
	var settings int
	must(t, db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name = 'settings'`).Scan(&settings))
	if n != 0 || settings != 0 {
		t.Errorf("migration 3 left part of its work: disabled_at %d, settings %d", n, settings)
	}
}

// TestFailedSaveLeavesNoFile: when the index row cannot be written (here
// the user was deleted while the job ran), the save fails and leaves no
// file behind, so the recap does not appear at the next start.
func TestFailedSaveLeavesNoFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, dir := openTest(t, Options{})
	lib := st.Library(filepath.Join(dir, "history"))
	u, err := st.CreateUser(ctx, NewUser{Email: "gone@example.org"})
	must(t, err)
	_, err = st.wdb.ExecContext(ctx, `CREATE TRIGGER refuse_rows BEFORE INSERT ON library_meta BEGIN SELECT RAISE(ABORT, 'disk full'); END`)
	must(t, err)
	if err := lib.Save(ctx, u.ID, testDoc("r1", "Lost", time.Now().UTC(), "words")); err == nil {
		t.Fatal("the save succeeded without its row")
	}
	if _, err := os.Stat(filepath.Join(dir, "history", u.ID, "r1.json")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the recap file of a failed save is there: %v", err)
	}
}

// TestRefusedSignInsAreCounted: a flood of refused sign-in requests adds
// one row per client bucket and hour, not one each, and the table of
// counts is capped.
func TestRefusedSignInsAreCounted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, dir := openTest(t, Options{})
	lim := SignInLimits{Window: time.Hour, PerBucket: 2}
	for i := range 500 {
		_, err := st.AdmitSignInRequest(ctx, SignInRequest{Email: fmt.Sprintf("f%d@example.org", i), IPBucket: "198.51.100.9"}, lim)
		must(t, err)
	}
	// The counts wait in memory until a flush (the timer, a reader of
	// them, or Close).
	var logged, counted, total int
	must(t, st.rdb.QueryRowContext(ctx, `SELECT count(*) FROM signin_refusals`).Scan(&counted))
	if counted != 0 {
		t.Fatalf("%d refusal rows written before a flush", counted)
	}
	must(t, st.FlushRefusals(ctx))
	must(t, st.rdb.QueryRowContext(ctx, `SELECT count(*) FROM signin_requests`).Scan(&logged))
	must(t, st.rdb.QueryRowContext(ctx, `SELECT count(*), sum(count) FROM signin_refusals`).Scan(&counted, &total))
	if logged != 2 || counted != 1 || total != 498 {
		t.Fatalf("after 500 requests: %d logged, %d count rows holding %d", logged, counted, total)
	}
	for range 7 {
		_, err := st.AdmitSignInRequest(ctx, SignInRequest{Email: "late@example.org", IPBucket: "198.51.100.9"}, lim)
		must(t, err)
	}
	act, err := st.SignInActivity(ctx, time.Now().Add(-time.Hour), 10)
	if err != nil || len(act) != 1 || act[0].Requests != 507 || act[0].Limited != 505 {
		t.Fatalf("activity = %+v, %v", act, err)
	}
	// Close writes what is still waiting.
	for range 3 {
		_, err := st.AdmitSignInRequest(ctx, SignInRequest{Email: "last@example.org", IPBucket: "198.51.100.9"}, lim)
		must(t, err)
	}
	must(t, st.Close())
	st, err = Open(ctx, dir, Options{})
	must(t, err)
	t.Cleanup(func() { st.Close() })
	must(t, st.rdb.QueryRowContext(ctx, `SELECT sum(count) FROM signin_refusals`).Scan(&total))
	if total != 508 {
		t.Fatalf("after Close: %d refusals counted, want 508", total)
	}
	// Many buckets: the table keeps the newest MaxRefusalRows.
	_, err = st.wdb.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
		INSERT INTO signin_refusals (ip_bucket, window_start, count, last_at) SELECT 'b' || i, i, 1, i FROM n`, MaxRefusalRows+50)
	must(t, err)
	_, err = st.AdmitSignInRequest(ctx, SignInRequest{Email: "one@example.org", IPBucket: "198.51.100.9"}, lim)
	must(t, err)
	must(t, st.FlushRefusals(ctx))
	must(t, st.rdb.QueryRowContext(ctx, `SELECT count(*) FROM signin_refusals`).Scan(&counted))
	if counted != MaxRefusalRows {
		t.Fatalf("%d count rows kept, cap %d", counted, MaxRefusalRows)
	}
}

// TestRefusalsWriteNothing: a refused sign-in request costs no write
// transaction, and once the overall limit is used up not even a read,
// until enough admitted requests have left the window.
func TestRefusalsWriteNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	st, _ := openTest(t, Options{Now: clock})
	lim := SignInLimits{Window: 15 * time.Minute, PerEmail: 5, PerBucket: 20, Total: 4}
	admit := func(i int) bool {
		t.Helper()
		ok, err := st.AdmitSignInRequest(ctx, SignInRequest{Email: fmt.Sprintf("p%d@example.org", i), IPBucket: fmt.Sprintf("192.0.2.%d", i%250)}, lim)
		must(t, err)
		return ok
	}
	for i := range 4 {
		if !admit(i) {
			t.Fatalf("request %d refused under the limit", i)
		}
		advance(time.Minute)
	}
	// Block the writer: a refusal must not need it.
	hold, release := make(chan struct{}), make(chan struct{})
	go st.write(ctx, func(context.Context, *sql.Tx) error { close(hold); <-release; return nil })
	<-hold
	done := make(chan bool)
	go func() {
		n := 0
		for i := 4; i < 1004; i++ {
			if admit(i) {
				n++
			}
		}
		done <- n == 0
	}()
	select {
	case none := <-done:
		if !none {
			t.Error("a request was admitted over the overall limit")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("refusals waited for the writer")
	}
	close(release)
	// Without a read either: with a cancelled context, any query would
	// fail.
	gone, cancel := context.WithCancel(ctx)
	cancel()
	if ok, err := st.AdmitSignInRequest(gone, SignInRequest{Email: "x@example.org", IPBucket: "192.0.2.251"}, lim); ok || err != nil {
		t.Fatalf("refusal with the limit used up = %v, %v; want a refusal without touching the database", ok, err)
	}
	// The first admitted request leaves the window 15 minutes after it
	// came; until then everything is refused, then one more gets in.
	advance(15*time.Minute - 4*time.Minute - time.Millisecond)
	if admit(2000) {
		t.Fatal("admitted before a slot freed")
	}
	advance(time.Millisecond)
	if !admit(2001) {
		t.Fatal("refused after the oldest admitted request left the window")
	}
	if admit(2002) {
		t.Fatal("admitted two for one freed slot")
	}
	act, err := st.SignInActivity(ctx, time.Time{}, 1000)
	must(t, err)
	limited := 0
	for _, a := range act {
		limited += a.Limited
	}
	if limited != 1003 {
		t.Fatalf("%d refusals counted, want 1003", limited)
	}
}

// TestSearchRankingIgnoresOtherUsers: a user's search scores depend on
// their own library only; another user's recaps (here, many with the
// same word) change nothing.
func TestSearchRankingIgnoresOtherUsers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, dir := openTest(t, Options{})
	lib := st.Library(filepath.Join(dir, "history"))
	a, err := st.CreateUser(ctx, NewUser{Email: "a@example.org"})
	must(t, err)
	b, err := st.CreateUser(ctx, NewUser{Email: "b@example.org"})
	must(t, err)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	must(t, lib.Save(ctx, a.ID, testDoc("a1", "Lightning routing", t0, "fees", "channels")))
	must(t, lib.Save(ctx, a.ID, testDoc("a2", "Mining", t0, "lightning", "lightning", "hashrate", "pools", "difficulty")))
	scores := func() string {
		page, err := lib.Find(ctx, a.ID, library.Query{Text: "lightning"})
		must(t, err)
		var out []string
		for _, h := range page.Hits {
			out = append(out, fmt.Sprintf("%s=%g", h.ID, h.Score))
		}
		return strings.Join(out, " ")
	}
	before := scores()
	if !strings.HasPrefix(before, "a1=") {
		t.Fatalf("the title match does not come first: %s", before)
	}
	for i := range 40 {
		must(t, lib.Save(ctx, b.ID, testDoc(fmt.Sprintf("b%d", i), "Lightning everything", t0, "lightning", "lightning", "lightning", "words", "more", "words", "and", "more")))
	}
	if after := scores(); after != before {
		t.Fatalf("another user's recaps changed the ranking: %s, then %s", before, after)
	}
}
