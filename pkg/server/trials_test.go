package server

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/auth"
	"github.com/recap-startos/recap/pkg/credits"
	"github.com/recap-startos/recap/pkg/jobs"
	"github.com/recap-startos/recap/pkg/mail"
	"github.com/recap-startos/recap/pkg/mail/mailtest"
	"github.com/recap-startos/recap/pkg/store"
	"github.com/recap-startos/recap/pkg/summarize"
)

// testClock is a clock a test moves by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// trialPolicy is roomyPolicy with anonymous trials of n credits, at most
// perBucket a day per client bucket.
func trialPolicy(n, perBucket int) credits.Policy {
	p := roomyPolicy()
	p.TrialCredits, p.TrialsPerBucket = n, perBucket
	return p
}

// newTrialEnv is multi mode with trials on, sign-ups open, the clock of
// the store and the ledger in the test's hands, and loopback as the
// trusted proxy, so that X-Forwarded-For names the client.
func newTrialEnv(t testing.TB, pol credits.Policy, clk *testClock) *multiEnv {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, dir, store.Options{Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	ms := mailtest.Start(t, mailtest.Options{})
	sender, err := mail.NewSMTP(ms.Config())
	if err != nil {
		t.Fatal(err)
	}
	accounts, err := auth.NewAccounts(auth.AccountsOptions{Store: st, Mail: sender, PublicURL: "http://127.0.0.1:9/",
		AdminEmail: adminEmail, AllowSignups: true, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := accounts.EnsureAdmin(ctx); err != nil {
		t.Fatal(err)
	}
	lib := st.Library(filepath.Join(dir, "history"))
	ledger := credits.New(st, pol, credits.Options{Now: clk.now})
	q, err := jobs.Open(jobs.Config{Dir: filepath.Join(dir, "jobs"), Engine: summarize.NewBuiltin(), Library: lib, Log: quiet,
		Meter: &credits.Meter{Ledger: ledger}})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Options{Version: "test", Jobs: q, Dev: true, MaxUpload: 1 << 20, Log: quiet,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		Multi:          &Multi{Accounts: accounts, Store: st, Library: lib, Credits: ledger}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Close()
		q.Shutdown(context.Background())
		accounts.Wait()
		st.Close()
	})
	return &multiEnv{srv: srv, st: st, lib: lib, accounts: accounts, mail: ms, jobs: q, credits: ledger, dir: dir}
}

// guest is one browser in a handler test: it keeps the cookies the
// server sets and sends them back, and comes from one client address.
type guest struct {
	e       *multiEnv
	from    string // the client address a trusted proxy names; "" for loopback itself
	host    string // the Host the request is made to; example.com if empty
	cookies map[string]*http.Cookie
}

func (e *multiEnv) guest(from string) *guest {
	return &guest{e: e, from: from, cookies: map[string]*http.Cookie{}}
}

func (v *guest) do(t testing.TB, method, path, ctype, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.RemoteAddr = "127.0.0.1:40000"
	if v.host != "" {
		req.Host = v.host
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if v.from != "" {
		req.Header.Set("X-Forwarded-For", v.from)
	}
	for _, c := range v.cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	w := httptest.NewRecorder()
	v.e.srv.ServeHTTP(w, req)
	for _, c := range w.Result().Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(v.cookies, c.Name)
		} else {
			v.cookies[c.Name] = c
		}
	}
	return w
}

// trialText is a pasted transcript long enough to recap.
func trialText(seed string) string {
	return seed + " opens the talk about gardens. Tomatoes need sun and water every day, and the beds want compost in spring. " +
		"Beans climb whatever stands near them, so the poles go in first. The second part is about the weather: a late frost " +
		"can undo a month of work, and covers help. The talk ends with questions about seeds, soil and the best time to plant."
}

// submit posts a text as JSON and returns the answer.
func (v *guest) submit(t testing.TB, seed string) *httptest.ResponseRecorder {
	t.Helper()
	return v.do(t, "POST", "/api/recaps", "application/json", `{"text":`+jsonString(trialText(seed))+`}`)
}

// recapOf submits a text, waits for its job and returns the recap id.
func (v *guest) recapOf(t testing.TB, seed string) string {
	t.Helper()
	w := v.submit(t, seed)
	id := submitID(t, w.Result())
	if st := v.e.waitJob(t, id); st.Status != jobs.StatusDone {
		t.Fatalf("job: %+v", st)
	}
	st, _ := v.e.jobs.Get(id)
	return st.RecapID
}

type trialAnswer struct {
	Trials   bool `json:"trials"`
	SignedIn bool `json:"signed_in"`
	Trial    *struct {
		Credits   int        `json:"credits"`
		Active    bool       `json:"active"`
		Left      int        `json:"left"`
		Total     int        `json:"total"`
		ExpiresAt *time.Time `json:"expires_at"`
	} `json:"trial"`
}

func (v *guest) trial(t testing.TB) trialAnswer {
	t.Helper()
	w := v.do(t, "GET", "/api/trial", "", "")
	var a trialAnswer
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &a) != nil {
		t.Fatalf("/api/trial: %d %s", w.Code, w.Body)
	}
	return a
}

type apiError struct {
	Error struct {
		Code    string     `json:"code"`
		Message string     `json:"message"`
		Hint    string     `json:"hint"`
		RetryAt *time.Time `json:"retry_at"`
	} `json:"error"`
}

func decodeAPIError(t testing.TB, w *httptest.ResponseRecorder) apiError {
	t.Helper()
	var a apiError
	if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil {
		t.Fatalf("error body %q: %v", w.Body, err)
	}
	return a
}

// TestTrialStartsOnFirstRecap: an anonymous visitor sees the banner
// without a trial being started; the first recap starts one with a
// hashed, HttpOnly, SameSite=Lax cookie; the recap is the trial
// holder's alone.
func TestTrialStartsOnFirstRecap(t *testing.T) {
	t.Parallel()
	clk := &testClock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	e := newTrialEnv(t, trialPolicy(3, 3), clk)
	ann := e.guest("198.51.100.7")

	for _, path := range []string{"/", "/", "/api/trial"} {
		w := ann.do(t, "GET", path, "", "")
		if w.Code != http.StatusOK || len(w.Result().Cookies()) != 0 {
			t.Fatalf("GET %s: %d, cookies %v", path, w.Code, w.Result().Cookies())
		}
		if path == "/" && !strings.Contains(w.Body.String(), "3 recaps (3 credits), no account needed") {
			t.Fatalf("home page without the trial banner:\n%s", w.Body)
		}
	}
	if n := countRows(t, e, `SELECT count(*) FROM anon_trials`); n != 0 {
		t.Fatalf("reading pages started %d trials", n)
	}
	// A submission that is refused starts nothing either.
	if w := ann.do(t, "POST", "/api/recaps", "application/json", `{"url":"not a link"}`); w.Code != http.StatusBadRequest {
		t.Fatalf("bad submission: %d %s", w.Code, w.Body)
	}
	if n := countRows(t, e, `SELECT count(*) FROM anon_trials`); n != 0 {
		t.Fatalf("a refused submission started %d trials", n)
	}

	id := ann.recapOf(t, "Ann")
	c := ann.cookies[TrialCookieName]
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || len(c.Value) != 43 {
		t.Fatalf("trial cookie %+v", c)
	}
	var stored string
	if err := readDB(t, e).QueryRow(`SELECT cookie_id FROM anon_trials`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != store.HashToken(c.Value) || strings.Contains(stored, c.Value) {
		t.Fatalf("anon_trials.cookie_id %q is not the hash of the cookie", stored)
	}
	if a := ann.trial(t); a.Trial == nil || !a.Trial.Active || a.Trial.Left != 2 || a.Trial.Total != 3 ||
		!a.Trial.ExpiresAt.Equal(clk.now().Add(7*24*time.Hour)) {
		t.Fatalf("/api/trial after one recap: %+v", a.Trial)
	}
	// The home page lists it and tells how much is left.
	home := ann.do(t, "GET", "/", "", "").Body.String()
	if !strings.Contains(home, "/recaps/"+id) || !strings.Contains(home, "2 of 3 credits left") || !strings.Contains(home, `id="nav-sign-in"`) {
		t.Fatalf("home page of the trial holder:\n%s", home)
	}
	if w := ann.do(t, "GET", "/recaps/"+id, "", ""); w.Code != http.StatusOK {
		t.Fatalf("the holder's recap page: %d", w.Code)
	}
	if w := ann.do(t, "GET", "/api/recaps/"+id+"/export?format=md", "", ""); w.Code != http.StatusOK {
		t.Fatalf("the holder's export: %d", w.Code)
	}
	// Nobody else: not without the cookie, not another trial, not an account.
	if w := e.guest("198.51.100.7").do(t, "GET", "/recaps/"+id, "", ""); w.Code != http.StatusSeeOther {
		t.Fatalf("the recap without the cookie: %d", w.Code)
	}
	other := e.guest("198.51.100.8")
	other.recapOf(t, "Other")
	if w := other.do(t, "GET", "/recaps/"+id, "", ""); w.Code != http.StatusNotFound {
		t.Fatalf("the recap from another trial: %d", w.Code)
	}
	cookie := e.signIn(t, "someone@example.org", 1)
	if w := e.do(t, mreq{method: "GET", path: "/api/recaps/" + id, cookie: cookie}); w.Code != http.StatusNotFound {
		t.Fatalf("the recap from an account: %d", w.Code)
	}
	// It is in the trial's own folder, not in any account's library.
	if n := countRows(t, e, `SELECT count(*) FROM library_meta`); n != 0 {
		t.Fatalf("%d trial recaps in library_meta", n)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "trials", stored, id+".json")); err != nil {
		t.Fatalf("trial recap file: %v", err)
	}
	// The cookie is Secure for a client that is not on loopback.
	far := httptest.NewRequest("POST", "/api/recaps", strings.NewReader(`{"text":`+jsonString(trialText("Far"))+`}`))
	far.RemoteAddr = "203.0.113.50:5000"
	far.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	e.srv.ServeHTTP(w, far)
	if w.Code != http.StatusAccepted {
		t.Fatalf("remote submit: %d %s", w.Code, w.Body)
	}
	for _, c := range w.Result().Cookies() {
		if c.Name == TrialCookieName && !c.Secure {
			t.Fatalf("trial cookie for a remote client is not Secure: %+v", c)
		}
	}
	e.waitJob(t, submitID(t, w.Result()))
}

// readDB opens the store's database read-only for checks.
func readDB(t testing.TB, e *multiEnv) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+e.st.Path()+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func countRows(t testing.TB, e *multiEnv, q string, args ...any) int {
	t.Helper()
	var n int
	if err := readDB(t, e).QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestTrialCapPerSlash64: two IPv6 addresses in one /64 share its cap;
// the next trial from the /64 gets 429 saying when and that signing in
// gives more (JSON for the API, a page for the form); another /64 may.
func TestTrialCapPerSlash64(t *testing.T) {
	t.Parallel()
	clk := &testClock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	e := newTrialEnv(t, trialPolicy(3, 2), clk)
	first := clk.now()
	if w := e.guest("2001:db8:7:8::1").submit(t, "One"); w.Code != http.StatusAccepted {
		t.Fatalf("first trial: %d %s", w.Code, w.Body)
	}
	clk.add(time.Hour)
	if w := e.guest("2001:db8:7:8:ffff:ffff:ffff:fffe").submit(t, "Two"); w.Code != http.StatusAccepted {
		t.Fatalf("second trial, same /64: %d %s", w.Code, w.Body)
	}
	third := e.guest("2001:db8:7:8:abcd::9")
	w := third.submit(t, "Three")
	if w.Code != http.StatusTooManyRequests {
		t.Fatalf("third trial, same /64: %d %s", w.Code, w.Body)
	}
	a := decodeAPIError(t, w)
	want := first.Add(24 * time.Hour)
	if a.Error.Code != "trial_limit" || a.Error.RetryAt == nil || !a.Error.RetryAt.Equal(want) ||
		!strings.Contains(a.Error.Message, "3 March 2026, 10:00 UTC") || !strings.Contains(a.Error.Hint, "Sign in") {
		t.Fatalf("429 answer: %+v", a.Error)
	}
	if w.Header().Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
	if third.cookies[TrialCookieName] != nil {
		t.Fatal("a refused trial set a cookie")
	}
	// The form gets a page that says the same and offers the sign-in.
	page := third.do(t, "POST", "/jobs", formType, form("source", trialText("Three")))
	if page.Code != http.StatusTooManyRequests || !strings.Contains(page.Body.String(), "A new one can start after") ||
		!strings.Contains(page.Body.String(), `href="/login"`) {
		t.Fatalf("429 page: %d\n%s", page.Code, page.Body)
	}
	// Another /64 of the same /48 still may; so may an IPv4 client.
	if w := e.guest("2001:db8:7:9::1").submit(t, "Four"); w.Code != http.StatusAccepted {
		t.Fatalf("another /64: %d %s", w.Code, w.Body)
	}
	if w := e.guest("192.0.2.33").submit(t, "Five"); w.Code != http.StatusAccepted {
		t.Fatalf("an IPv4 client: %d %s", w.Code, w.Body)
	}
	// A day after the first, the /64 may start one again.
	clk.add(23*time.Hour + time.Minute)
	if w := third.submit(t, "Three"); w.Code != http.StatusAccepted {
		t.Fatalf("a day later: %d %s", w.Code, w.Body)
	}
	for _, j := range e.jobs.Recent(10) {
		e.waitJob(t, j.ID)
	}
}

// TestTrialCapOverTor: visitors of the onion address share one bucket,
// whatever address the proxy names.
func TestTrialCapOverTor(t *testing.T) {
	t.Parallel()
	clk := &testClock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	e := newTrialEnv(t, trialPolicy(3, 2), clk)
	onion := func(from string) *guest {
		g := e.guest(from)
		g.host = "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion"
		return g
	}
	for _, from := range []string{"192.0.2.1", "198.51.100.1"} {
		if w := onion(from).submit(t, "Tor"); w.Code != http.StatusAccepted {
			t.Fatalf("trial over Tor from %s: %d %s", from, w.Code, w.Body)
		}
	}
	if w := onion("203.0.113.1").submit(t, "Tor"); w.Code != http.StatusTooManyRequests {
		t.Fatalf("third trial over Tor: %d %s", w.Code, w.Body)
	}
	if w := e.guest("203.0.113.1").submit(t, "Clear"); w.Code != http.StatusAccepted {
		t.Fatalf("the same address, not over Tor: %d %s", w.Code, w.Body)
	}
	if n := countRows(t, e, `SELECT count(*) FROM anon_trials WHERE ip_bucket = ?`, credits.TorBucket); n != 2 {
		t.Fatalf("%d trials in the Tor bucket, want 2", n)
	}
	for _, j := range e.jobs.Recent(10) {
		e.waitJob(t, j.ID)
	}
}

// TestTrialUsedUp: a trial with no credits left gets 429 with the time a
// new trial can start; after it, the next recap starts a new trial that
// keeps the old one's recaps.
func TestTrialUsedUp(t *testing.T) {
	t.Parallel()
	clk := &testClock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	e := newTrialEnv(t, trialPolicy(1, 3), clk)
	v := e.guest("198.51.100.20")
	started := clk.now()
	first := v.recapOf(t, "First")
	oldCookie := v.cookies[TrialCookieName].Value
	clk.add(2 * time.Hour)
	w := v.submit(t, "Second")
	a := decodeAPIError(t, w)
	if w.Code != http.StatusTooManyRequests || a.Error.Code != "trial_used_up" || a.Error.RetryAt == nil ||
		!a.Error.RetryAt.Equal(started.Add(24*time.Hour)) || !strings.Contains(a.Error.Hint, "Sign in") {
		t.Fatalf("used-up trial: %d %+v", w.Code, a.Error)
	}
	clk.add(23 * time.Hour)
	second := v.recapOf(t, "Second")
	if v.cookies[TrialCookieName].Value == oldCookie {
		t.Fatal("no new trial after a day")
	}
	for _, id := range []string{first, second} {
		if w := v.do(t, "GET", "/api/recaps/"+id, "", ""); w.Code != http.StatusOK {
			t.Fatalf("recap %s after the new trial: %d", id, w.Code)
		}
	}
}

// TestTrialRecapsExpireAfterSevenDays: the sweep keeps an unclaimed
// trial's recaps for 7 days and then deletes them; the cookie then opens
// nothing.
func TestTrialRecapsExpireAfterSevenDays(t *testing.T) {
	t.Parallel()
	clk := &testClock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	e := newTrialEnv(t, trialPolicy(3, 3), clk)
	v := e.guest("198.51.100.30")
	id := v.recapOf(t, "Kept")
	trials := e.lib.Trials()
	clk.add(7*24*time.Hour - time.Minute)
	if sw, err := trials.SweepTrials(context.Background()); err != nil || sw != (store.TrialSweep{}) {
		t.Fatalf("sweep before 7 days: %+v %v", sw, err)
	}
	if w := v.do(t, "GET", "/recaps/"+id, "", ""); w.Code != http.StatusOK {
		t.Fatalf("recap before 7 days: %d", w.Code)
	}
	clk.add(2 * time.Minute)
	if sw, err := trials.SweepTrials(context.Background()); err != nil || sw.Expired != 1 {
		t.Fatalf("sweep after 7 days: %+v %v", sw, err)
	}
	entries, _ := os.ReadDir(filepath.Join(e.dir, "trials"))
	if len(entries) != 0 {
		t.Fatalf("left in trials/: %v", entries)
	}
	if w := v.do(t, "GET", "/recaps/"+id, "", ""); w.Code != http.StatusSeeOther {
		t.Fatalf("recap after 7 days: %d", w.Code)
	}
	if a := v.trial(t); a.Trial == nil || a.Trial.Active {
		t.Fatalf("/api/trial after 7 days: %+v", a.Trial)
	}
}

// TestTrialClaimInSecondBrowser: the link asked for while holding the
// trial claims it in a browser that never had the cookie: the recap and
// the unused credits move to the new account, once; another link made
// with the same trial claims nothing more.
func TestTrialClaimInSecondBrowser(t *testing.T) {
	t.Parallel()
	clk := &testClock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	e := newTrialEnv(t, trialPolicy(3, 3), clk)
	a := e.guest("198.51.100.40")
	id := a.recapOf(t, "Claimed")
	trialID := store.HashToken(a.cookies[TrialCookieName].Value)

	// Two links asked for from the trial's browser: both bound to it.
	for i, email := range []string{"ada@example.org", "bob@example.org"} {
		if w := a.do(t, "POST", "/auth/request-link", formType, form("email", email)); w.Code != http.StatusOK {
			t.Fatalf("request link: %d", w.Code)
		}
		e.mail.Wait(t, i+1)
	}
	if n := countRows(t, e, `SELECT count(*) FROM magic_link_tokens WHERE trial_cookie_id = ?`, trialID); n != 2 {
		t.Fatalf("%d links bound to the trial, want 2", n)
	}
	tokenOf := func(n int) string {
		u, err := url.Parse(e.mail.Messages()[n].Link(t))
		if err != nil {
			t.Fatal(err)
		}
		return u.Query().Get("token")
	}

	// Another browser, without the trial's cookie, confirms Ada's link.
	b := e.guest("192.0.2.99")
	if w := b.do(t, "POST", "/auth/verify", formType, form("token", tokenOf(0))); w.Code != http.StatusSeeOther {
		t.Fatalf("confirm in the second browser: %d %s", w.Code, w.Body)
	}
	session := b.cookies[auth.CookieName]
	if session == nil {
		t.Fatal("no session")
	}
	me := e.me(t, session.Value)
	if me.Credits.Purchased != 2 {
		t.Fatalf("carried-over credits: %+v, want 2 permanent", me.Credits)
	}
	if w := b.do(t, "GET", "/api/recaps/"+id, "", ""); w.Code != http.StatusOK {
		t.Fatalf("the trial's recap in the account: %d", w.Code)
	}
	home := b.do(t, "GET", "/library", "", "").Body.String()
	if !strings.Contains(home, "/recaps/"+id) {
		t.Fatalf("library of the new account lacks the recap:\n%s", home)
	}
	if n := countRows(t, e, `SELECT count(*) FROM credit_ledger WHERE kind = 'trial' AND amount = 2`); n != 1 {
		t.Fatalf("%d trial ledger entries", n)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "trials", trialID)); !os.IsNotExist(err) {
		t.Fatalf("the trial's folder is still there: %v", err)
	}
	// The first browser's cookie opens nothing any more.
	if w := a.do(t, "GET", "/recaps/"+id, "", ""); w.Code != http.StatusSeeOther {
		t.Fatalf("the old cookie after the claim: %d", w.Code)
	}

	// Bob's link, bound to the same trial, claims nothing.
	c := e.guest("192.0.2.100")
	if w := c.do(t, "POST", "/auth/verify", formType, form("token", tokenOf(1))); w.Code != http.StatusSeeOther {
		t.Fatalf("confirm Bob: %d", w.Code)
	}
	bob := e.me(t, c.cookies[auth.CookieName].Value)
	if bob.Credits.Purchased != 0 {
		t.Fatalf("a second claim carried credits: %+v", bob.Credits)
	}
	if w := c.do(t, "GET", "/api/recaps", "", ""); !strings.Contains(w.Body.String(), `"total": 0`) {
		t.Fatalf("Bob's library: %s", w.Body)
	}
	var owner string
	if err := readDB(t, e).QueryRow(`SELECT u.email FROM anon_trials a JOIN users u ON u.id = a.converted_to_user_id WHERE a.cookie_id = ?`,
		trialID).Scan(&owner); err != nil || owner != "ada@example.org" {
		t.Fatalf("trial claimed by %q (%v)", owner, err)
	}
}

// TestTrialClaimByExistingAccount: an account that existed before gets
// the trial's recaps but not its credits; a link asked for without the
// cookie claims nothing.
func TestTrialClaimByExistingAccount(t *testing.T) {
	t.Parallel()
	clk := &testClock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	e := newTrialEnv(t, trialPolicy(3, 3), clk)
	old := e.signIn(t, "old@example.org", 1)
	before := e.me(t, old)

	v := e.guest("198.51.100.50")
	id := v.recapOf(t, "Existing")
	// A link asked for by another browser is not bound to the trial.
	if w := e.guest("").do(t, "POST", "/auth/request-link", formType, form("email", "old@example.org")); w.Code != http.StatusOK {
		t.Fatal(w.Code)
	}
	e.mail.Wait(t, 2)
	if n := countRows(t, e, `SELECT count(*) FROM magic_link_tokens WHERE trial_cookie_id IS NOT NULL`); n != 0 {
		t.Fatalf("%d links bound without the cookie", n)
	}
	if w := v.do(t, "POST", "/auth/request-link", formType, form("email", "old@example.org")); w.Code != http.StatusOK {
		t.Fatal(w.Code)
	}
	u, _ := url.Parse(e.mail.Wait(t, 3).Link(t))
	if w := v.do(t, "POST", "/auth/verify", formType, form("token", u.Query().Get("token"))); w.Code != http.StatusSeeOther {
		t.Fatalf("confirm: %d", w.Code)
	}
	if v.cookies[TrialCookieName] != nil {
		t.Fatal("the claimed trial's cookie was not cleared")
	}
	after := e.me(t, old)
	if after.Credits.Purchased != before.Credits.Purchased {
		t.Fatalf("an existing account got trial credits: %+v → %+v", before.Credits, after.Credits)
	}
	if w := e.do(t, mreq{method: "GET", path: "/api/recaps/" + id, cookie: old}); w.Code != http.StatusOK {
		t.Fatalf("the trial's recap in the existing account: %d", w.Code)
	}
}

// TestTrialClaimFinishedBySweep: a claim whose recaps did not move (a
// crash in between) is finished by the sweep.
func TestTrialClaimFinishedBySweep(t *testing.T) {
	t.Parallel()
	clk := &testClock{t: time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)}
	e := newTrialEnv(t, trialPolicy(3, 3), clk)
	v := e.guest("198.51.100.60")
	id := v.recapOf(t, "Swept")
	trialID := store.HashToken(v.cookies[TrialCookieName].Value)
	cookie := e.signIn(t, "late@example.org", 1)
	me := callerID(t, e, cookie)
	if c, err := e.credits.ClaimTrial(context.Background(), trialID, me, false); err != nil || !c.Claimed {
		t.Fatalf("claim: %+v %v", c, err)
	}
	if w := e.do(t, mreq{method: "GET", path: "/api/recaps/" + id, cookie: cookie}); w.Code != http.StatusNotFound {
		t.Fatalf("before the sweep: %d", w.Code)
	}
	clk.add(8 * 24 * time.Hour) // even past the trial's life: claimed recaps are never deleted
	if sw, err := e.lib.Trials().SweepTrials(context.Background()); err != nil || sw.Adopted != 1 || sw.Expired != 0 {
		t.Fatalf("sweep: %+v %v", sw, err)
	}
	if w := e.do(t, mreq{method: "GET", path: "/api/recaps/" + id, cookie: cookie}); w.Code != http.StatusOK {
		t.Fatalf("after the sweep: %d", w.Code)
	}
}

func callerID(t testing.TB, e *multiEnv, cookie string) string {
	t.Helper()
	_, u, err := e.accounts.Session(context.Background(), cookie)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}
