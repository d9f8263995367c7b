package server

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/recap-startos/recap/pkg/auth"
	"github.com/recap-startos/recap/pkg/credits"
	"github.com/recap-startos/recap/pkg/jobs"
	"github.com/recap-startos/recap/pkg/mail"
	"github.com/recap-startos/recap/pkg/mail/mailtest"
	"github.com/recap-startos/recap/pkg/store"
	"github.com/recap-startos/recap/pkg/summarize"
)

// multiEnv is the server wired for multi mode on a real database and a
// real SMTP server.
type multiEnv struct {
	srv      *Server
	st       *store.Store
	lib      *store.UserLibrary
	accounts *auth.Accounts
	mail     *mailtest.Server
	jobs     *jobs.Queue
	credits  *credits.Ledger
	dir      string
}

const adminEmail = "owner@example.org"

// roomyPolicy meters without getting in the way of tests about other
// things: plenty of credits and room to wait.
func roomyPolicy() credits.Policy {
	return credits.Policy{Tiers: map[string]credits.Plan{
		credits.TierCore: {Credits: 1000, MaxHours: 6, MaxWaiting: 64},
		credits.TierPro:  {Credits: 1000, MaxHours: 6, LLM: true, MaxWaiting: 64},
		credits.TierMax:  {Credits: 1000, MaxHours: 6, LLM: true, MaxWaiting: 64},
	}}
}

func newMultiEnv(t testing.TB, signups bool) *multiEnv {
	return newMultiEnvPolicy(t, signups, roomyPolicy(), nil)
}

// newMultiEnvPolicy is newMultiEnv with a metering policy and, when
// engine is not nil, that engine for the jobs.
func newMultiEnvPolicy(t testing.TB, signups bool, pol credits.Policy, engine summarize.Engine) *multiEnv {
	t.Helper()
	return newMultiEnvAt(t, t.TempDir(), signups, pol, engine)
}

// newMultiEnvIn is newMultiEnv on a data folder prepared by the test.
func newMultiEnvIn(t testing.TB, dir string, signups bool) *multiEnv {
	t.Helper()
	return newMultiEnvAt(t, dir, signups, roomyPolicy(), nil)
}

func newMultiEnvAt(t testing.TB, dir string, signups bool, pol credits.Policy, engine summarize.Engine) *multiEnv {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ms := mailtest.Start(t, mailtest.Options{})
	sender, err := mail.NewSMTP(ms.Config())
	if err != nil {
		t.Fatal(err)
	}
	accounts, err := auth.NewAccounts(auth.AccountsOptions{Store: st, Mail: sender, PublicURL: "http://127.0.0.1:9/",
		AdminEmail: adminEmail, AllowSignups: signups, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := accounts.EnsureAdmin(ctx); err != nil {
		t.Fatal(err)
	}
	lib := st.Library(filepath.Join(dir, "history"))
	ledger := credits.New(st, pol, credits.Options{})
	if engine == nil {
		engine = summarize.NewBuiltin()
	}
	q, err := jobs.Open(jobs.Config{Dir: filepath.Join(dir, "jobs"), Engine: engine, Library: lib, Log: quiet,
		Meter: &credits.Meter{Ledger: ledger}})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Options{Version: "test", Jobs: q, Dev: true, MaxUpload: 1 << 20, Log: quiet,
		Multi: &Multi{Accounts: accounts, Store: st, Library: lib, Credits: ledger}})
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

type mreq struct {
	method, path, body, ctype, cookie, peer string
	header                                  map[string]string
}

func (e *multiEnv) do(t testing.TB, r mreq) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(r.method, r.path, strings.NewReader(r.body))
	req.RemoteAddr = "127.0.0.1:40000"
	if r.peer != "" {
		req.RemoteAddr = net.JoinHostPort(r.peer, "40000")
	}
	if r.ctype != "" {
		req.Header.Set("Content-Type", r.ctype)
	}
	if r.cookie != "" {
		req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: r.cookie})
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	e.srv.ServeHTTP(w, req)
	return w
}

const formType = "application/x-www-form-urlencoded"

func form(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v.Encode()
}

// requestLink asks for a link and returns the token from the n-th mail.
func (e *multiEnv) requestLink(t testing.TB, email string, n int) string {
	t.Helper()
	w := e.do(t, mreq{method: "POST", path: "/auth/request-link", ctype: formType, body: form("email", email)})
	if w.Code != http.StatusOK {
		t.Fatalf("request link: %d %s", w.Code, w.Body)
	}
	u, err := url.Parse(e.mail.Wait(t, n).Link(t))
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("token")
}

// confirm posts a token and returns the session cookie value ("" if none).
func (e *multiEnv) confirm(t testing.TB, token string) (string, *httptest.ResponseRecorder) {
	t.Helper()
	w := e.do(t, mreq{method: "POST", path: "/auth/verify", ctype: formType, body: form("token", token)})
	for _, c := range w.Result().Cookies() {
		if c.Name == auth.CookieName && c.Value != "" {
			return c.Value, w
		}
	}
	return "", w
}

func (e *multiEnv) signIn(t testing.TB, email string, n int) string {
	t.Helper()
	cookie, w := e.confirm(t, e.requestLink(t, email, n))
	if cookie == "" || w.Code != http.StatusSeeOther {
		t.Fatalf("sign in %s: %d %s", email, w.Code, w.Body)
	}
	return cookie
}

func TestMultiSignInFlow(t *testing.T) {
	t.Parallel()
	e := newMultiEnv(t, true)
	token := e.requestLink(t, " Ada@Example.ORG ", 1)
	if got := e.mail.Wait(t, 1).Rcpts; len(got) != 1 || got[0] != "ada@example.org" {
		t.Fatalf("mailed to %v", got)
	}
	// GET and HEAD of the link change nothing, and the page keeps the
	// token out of caches, referrers and indexes.
	for _, m := range []string{"GET", "HEAD", "GET"} {
		w := e.do(t, mreq{method: m, path: "/auth/verify?token=" + token})
		if w.Code != http.StatusOK || len(w.Result().Cookies()) != 0 {
			t.Fatalf("%s verify: %d, cookies %v", m, w.Code, w.Result().Cookies())
		}
		h := w.Header()
		if h.Get("Referrer-Policy") != "no-referrer" || h.Get("Cache-Control") != "no-store" || !strings.Contains(h.Get("X-Robots-Tag"), "noindex") {
			t.Fatalf("%s verify headers %v", m, h)
		}
		if m == "GET" && (!strings.Contains(w.Body.String(), `name="token" value="`+token+`"`) || strings.Contains(w.Body.String(), "<script>")) {
			t.Fatalf("confirm page:\n%s", w.Body)
		}
	}
	// A cross-site POST of the token (login CSRF) is refused and does not
	// use it up.
	w := e.do(t, mreq{method: "POST", path: "/auth/verify", ctype: formType, body: form("token", token),
		header: map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.test"}})
	if w.Code != http.StatusForbidden || len(w.Result().Cookies()) != 0 {
		t.Fatalf("cross-site confirm: %d", w.Code)
	}
	// A planted session value is replaced, never adopted.
	planted := auth.NewToken()
	w = e.do(t, mreq{method: "POST", path: "/auth/verify", ctype: formType, body: form("token", token, "next", "//evil.test/x"), cookie: planted})
	var cookie *http.Cookie
	for _, c := range w.Result().Cookies() {
		if c.Name == auth.CookieName {
			cookie = c
		}
	}
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/" || cookie == nil || cookie.Value == planted {
		t.Fatalf("confirm: %d %s cookie %v", w.Code, w.Header().Get("Location"), cookie)
	}
	if !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Path != "/" || cookie.Domain != "" || len(cookie.Value) != 43 {
		t.Fatalf("cookie %+v", cookie)
	}
	// The token works once.
	if c, w := e.confirm(t, token); c != "" || w.Code != http.StatusBadRequest {
		t.Fatalf("second confirm: %d", w.Code)
	}
	// Signed in: an empty library, /api/me, the sessions list.
	w = e.do(t, mreq{method: "GET", path: "/api/me", cookie: cookie.Value})
	var me map[string]any
	json.Unmarshal(w.Body.Bytes(), &me)
	if w.Code != 200 || me["email"] != "ada@example.org" || me["role"] != "user" || me["mode"] != "multi" || me["recaps"] != float64(0) {
		t.Fatalf("me: %d %s", w.Code, w.Body)
	}
	// The database holds hashes only.
	raw, _ := os.ReadFile(filepath.Join(e.dir, store.FileName))
	wal, _ := os.ReadFile(filepath.Join(e.dir, store.FileName+"-wal"))
	for _, secret := range []string{token, cookie.Value} {
		if bytes.Contains(raw, []byte(secret)) || bytes.Contains(wal, []byte(secret)) {
			t.Fatal("a raw token is in the database")
		}
	}
	// Sign out; the old cookie is dead.
	e.do(t, mreq{method: "POST", path: "/logout", cookie: cookie.Value})
	if w := e.do(t, mreq{method: "GET", path: "/api/me", cookie: cookie.Value}); w.Code != http.StatusUnauthorized {
		t.Fatalf("after sign-out: %d", w.Code)
	}
}

// TestRequestLinkSameAnswer: the answer is byte-for-byte the same for a
// known and an unknown address, and when a limit refuses the request.
func TestRequestLinkSameAnswer(t *testing.T) {
	t.Parallel()
	for _, signups := range []bool{true, false} {
		e := newMultiEnv(t, signups)
		answer := func(email string) string {
			w := e.do(t, mreq{method: "POST", path: "/auth/request-link", ctype: formType, body: form("email", email)})
			if w.Code != http.StatusOK || len(w.Result().Cookies()) != 0 {
				t.Fatalf("%s: %d", email, w.Code)
			}
			return w.Body.String()
		}
		known := answer(adminEmail)
		if unknown := answer("nobody@example.org"); unknown != known {
			t.Fatalf("signups=%v: answers differ:\n%s\n---\n%s", signups, known, unknown)
		}
		for range 10 {
			if got := answer(adminEmail); got != known {
				t.Fatal("the limited answer differs")
			}
		}
		e.accounts.Wait()
		if n := len(e.mail.Messages()); n != 2+auth.DefaultSignInLimits.PerEmail-1 {
			t.Fatalf("signups=%v: %d mails", signups, n)
		}
		// Bad input is refused plainly and nothing is mailed.
		for _, bad := range []string{"a@x.test,b@evil.test", `"e@evil.test"@victim.test`, "a＠evil.test@victim.test", "ada@example.org\r\nBcc: x@evil.test"} {
			w := e.do(t, mreq{method: "POST", path: "/auth/request-link", ctype: "application/json", body: `{"email":` + jsonString(bad) + `}`})
			if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "bad_email") {
				t.Fatalf("%q: %d %s", bad, w.Code, w.Body)
			}
		}
		for _, m := range e.mail.Messages() {
			for _, r := range m.Rcpts {
				if strings.Contains(r, "evil") {
					t.Fatalf("mailed %s", r)
				}
			}
		}
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestPerBucketLimit: after the per-bucket cap, requests from that
// client address send nothing; another address is not affected.
func TestPerBucketLimit(t *testing.T) {
	t.Parallel()
	e := newMultiEnv(t, true)
	cap := auth.DefaultSignInLimits.PerBucket
	for i := range cap + 5 {
		e.do(t, mreq{method: "POST", path: "/auth/request-link", ctype: formType, peer: "203.0.113.5", body: form("email", "u"+strconv.Itoa(i)+"@example.org")})
	}
	e.do(t, mreq{method: "POST", path: "/auth/request-link", ctype: formType, peer: "2001:db8:1:2::1", body: form("email", "v@example.org")})
	e.accounts.Wait()
	if n := len(e.mail.Messages()); n != cap+1 {
		t.Fatalf("%d mails, want %d", n, cap+1)
	}
	// The admin sees the buckets.
	admin := e.signIn(t, adminEmail, cap+2)
	w := e.do(t, mreq{method: "GET", path: "/api/admin/signins", cookie: admin})
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"ip_bucket": "203.0.113.5"`) || !strings.Contains(w.Body.String(), `"ip_bucket": "2001:db8:1:2::/64"`) {
		t.Fatalf("signins: %d %s", w.Code, w.Body)
	}
}

func TestConcurrentConfirmOverHTTP(t *testing.T) {
	t.Parallel()
	e := newMultiEnv(t, true)
	token := e.requestLink(t, "ada@example.org", 1)
	var mu sync.Mutex
	cookies := 0
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 16 {
		wg.Go(func() {
			<-start
			if c, _ := e.confirm(t, token); c != "" {
				mu.Lock()
				cookies++
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	u, _ := e.st.UserByEmail(context.Background(), "ada@example.org")
	ss, _ := e.st.ListSessions(context.Background(), u.ID)
	if cookies != 1 || len(ss) != 1 {
		t.Fatalf("%d cookies, %d sessions", cookies, len(ss))
	}
}

// TestWrongTokensAreThrottled: a client that keeps posting unusable
// tokens is slowed down like one guessing passwords, and others are not.
func TestWrongTokensAreThrottled(t *testing.T) {
	t.Parallel()
	e := newMultiEnv(t, true)
	post := func(peer, token string) int {
		return e.do(t, mreq{method: "POST", path: "/auth/verify", ctype: formType, peer: peer, body: form("token", token)}).Code
	}
	bad := strings.Repeat("A", 43)
	var codes []int
	for range 7 {
		codes = append(codes, post("198.51.100.7", bad))
	}
	if codes[0] == http.StatusTooManyRequests || codes[6] != http.StatusTooManyRequests {
		t.Fatalf("codes for repeated wrong tokens: %v", codes)
	}
	// Another client is unaffected, and a good link still works there.
	token := e.requestLink(t, "other@example.org", 1)
	w := e.do(t, mreq{method: "POST", path: "/auth/verify", ctype: formType, peer: "203.0.113.9", body: form("token", token)})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("good link from another client: %d %s", w.Code, w.Body)
	}
}
