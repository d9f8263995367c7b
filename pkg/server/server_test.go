package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/auth"
	"github.com/recap-startos/recap/pkg/jobs"
	"github.com/recap-startos/recap/pkg/library"
	"github.com/recap-startos/recap/pkg/summarize"
)

const testPassword = "the owner's test password"

var quiet = slog.New(slog.DiscardHandler)

// sampleVTT is a real subtitle file from the test data.
const sampleVTT = "../../testdata/subtitles/webvtt-py/sample.vtt"

func TestMain(m *testing.M) {
	auth.SetCostForTests()
	os.Exit(m.Run())
}

type testEnv struct {
	srv  *Server
	lib  *library.Library
	jobs *jobs.Queue
	dir  string
}

func newEnv(t testing.TB) *testEnv {
	t.Helper()
	dir := t.TempDir()
	lib, err := library.Open(filepath.Join(dir, "history"), filepath.Join(dir, "cache", "library-index"))
	if err != nil {
		t.Fatal(err)
	}
	return newEnvWith(t, dir, lib)
}

func newEnvWith(t testing.TB, dir string, lib *library.Library) *testEnv {
	t.Helper()
	return buildEnv(t, dir, lib, nil)
}

// buildEnv makes a single-mode server over lib with its job queue, owner
// password and sessions under dir; adjust, if set, changes the queue's
// config and the server's options before they are used.
func buildEnv(t testing.TB, dir string, lib *library.Library, adjust func(*jobs.Config, *Options)) *testEnv {
	t.Helper()
	jc := jobs.Config{Dir: filepath.Join(dir, "jobs"), Engine: summarize.NewBuiltin(), Library: jobs.OwnerFolder(lib), Log: quiet}
	opt := Options{Version: "test", Library: lib, Dev: true, MaxUpload: 1 << 20, Log: quiet}
	if adjust != nil {
		adjust(&jc, &opt)
	}
	q, err := jobs.Open(jc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Shutdown(context.Background()) })
	owner := auth.NewOwner(filepath.Join(dir, "auth", "owner.json"))
	if _, err := owner.Ensure(testPassword); err != nil {
		t.Fatal(err)
	}
	sessions, err := auth.OpenSessions(filepath.Join(dir, "auth", "sessions.json"))
	if err != nil {
		t.Fatal(err)
	}
	opt.Jobs, opt.Owner, opt.Sessions = q, owner, sessions
	srv, err := New(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return &testEnv{srv: srv, lib: lib, jobs: q, dir: dir}
}

// request is one call through the whole handler, in process.
type request struct {
	method, path string
	body         io.Reader
	ctype        string
	cookie       string // session token
	header       map[string]string
}

func (e *testEnv) do(t testing.TB, r request) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(r.method, r.path, r.body)
	req.RemoteAddr = "127.0.0.1:40000"
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

// login signs in and returns the session token.
func (e *testEnv) login(t testing.TB) string {
	t.Helper()
	w := e.do(t, request{method: "POST", path: "/login", ctype: "application/x-www-form-urlencoded",
		body: strings.NewReader(url.Values{"password": {testPassword}}.Encode())})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("login: %d %s", w.Code, w.Body)
	}
	for _, c := range w.Result().Cookies() {
		if c.Name == auth.CookieName {
			return c.Value
		}
	}
	t.Fatal("login set no session cookie")
	return ""
}

func errorCode(t testing.TB, w *httptest.ResponseRecorder) string {
	t.Helper()
	var body struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatalf("error body is not JSON: %v: %s", err, w.Body)
	}
	if body.Error.Message == "" {
		t.Fatalf("error without a message: %s", w.Body)
	}
	return body.Error.Code
}

func multipartFile(t testing.TB, field, name string, data []byte) (io.Reader, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile(field, name)
	fw.Write(data)
	mw.Close()
	return &buf, mw.FormDataContentType()
}

// submitFile posts the sample subtitle file and returns the answer.
func (e *testEnv) submitFile(t testing.TB, token string) submitResponse {
	t.Helper()
	data, err := os.ReadFile(sampleVTT)
	if err != nil {
		t.Fatal(err)
	}
	body, ctype := multipartFile(t, "file", "sample.vtt", data)
	w := e.do(t, request{method: "POST", path: "/api/recaps", body: body, ctype: ctype, cookie: token})
	if w.Code != http.StatusAccepted {
		t.Fatalf("submit: %d %s", w.Code, w.Body)
	}
	var res submitResponse
	if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil || res.JobID == "" || res.RecapID == "" {
		t.Fatalf("submit answer %s: %v", w.Body, err)
	}
	return res
}

// waitJob waits until a job ends, without polling sleeps.
func (e *testEnv) waitJob(t testing.TB, id string) jobs.State {
	t.Helper()
	st, ch, stop, err := e.jobs.Subscribe(id)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	timeout := time.After(time.Minute)
	for !st.Finished() {
		select {
		case <-ch:
		case <-timeout:
			t.Fatalf("job did not finish: %+v", st)
		}
		st, _ = e.jobs.Get(id)
	}
	return st
}

func TestHealth(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	w := e.do(t, request{method: "GET", path: "/healthz"})
	var got map[string]string
	json.Unmarshal(w.Body.Bytes(), &got)
	if w.Code != 200 || got["status"] != "ok" || got["mode"] != "single" || got["version"] != "test" {
		t.Fatalf("healthz: %d %s", w.Code, w.Body)
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "frame-src https://www.youtube-nocookie.com") {
		t.Fatalf("CSP %q", csp)
	}
}

// Every route of the route table but the public ones (health, sign-in
// and static files) needs the session: JSON routes answer 401, pages
// send to the sign-in page.
func TestEveryRouteNeedsTheSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	fill := strings.NewReplacer(":id", "abc", ":token", "abc", ":name", "app.css")
	checked := 0
	for _, rt := range e.srv.routeTable() {
		path := fill.Replace(rt.path)
		if strings.Contains(path, ":") {
			t.Fatalf("%s %s: a parameter the test does not fill", rt.method, rt.path)
		}
		if rt.who == public {
			if rt.method == http.MethodGet {
				if w := e.do(t, request{method: rt.method, path: path}); w.Code != http.StatusOK {
					t.Errorf("GET %s without session: %d", path, w.Code)
				}
			}
			continue
		}
		checked++
		for _, cookie := range []string{"", "bm90LWEtc2Vzc2lvbi1ub3QtYS1zZXNzaW9uLW5vdC1hLXM"} {
			w := e.do(t, request{method: rt.method, path: path, cookie: cookie})
			if strings.HasPrefix(path, "/api/") {
				if w.Code != http.StatusUnauthorized || errorCode(t, w) != "unauthorized" {
					t.Errorf("%s %s: %d %s", rt.method, path, w.Code, w.Body)
				}
				continue
			}
			if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/login?next=") {
				t.Errorf("%s %s: %d → %q", rt.method, path, w.Code, w.Header().Get("Location"))
			}
		}
	}
	if checked < 20 {
		t.Fatalf("only %d routes need the session", checked)
	}
	if w := e.do(t, request{method: "GET", path: "/static/app.js"}); w.Code != http.StatusOK {
		t.Errorf("GET /static/app.js without session: %d", w.Code)
	}
}

func TestLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	form := func(pw string) request {
		return request{method: "POST", path: "/login", ctype: "application/x-www-form-urlencoded",
			body: strings.NewReader(url.Values{"password": {pw}, "next": {"/library"}}.Encode())}
	}
	t.Run("wrong password", func(t *testing.T) {
		w := e.do(t, form("nope"))
		if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "not the owner password") || len(w.Result().Cookies()) != 0 {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	})
	t.Run("wrong password as JSON", func(t *testing.T) {
		w := e.do(t, request{method: "POST", path: "/login", ctype: "application/json", body: strings.NewReader(`{"password":"nope"}`), header: map[string]string{"X-Real-IP": "198.51.100.9"}})
		if w.Code != http.StatusUnauthorized || errorCode(t, w) != "wrong_password" {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	})
	t.Run("right password", func(t *testing.T) {
		w := e.do(t, form(testPassword))
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/library" {
			t.Fatalf("%d %q", w.Code, w.Header().Get("Location"))
		}
		c := w.Result().Cookies()[0]
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure || len(c.Value) != 43 {
			t.Fatalf("dev loopback cookie %+v", c)
		}
	})
	t.Run("secure cookie off loopback", func(t *testing.T) {
		req := httptest.NewRequest("POST", "/login", strings.NewReader(`{"password":"`+testPassword+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.RemoteAddr = "192.0.2.7:5000"
		w := httptest.NewRecorder()
		e.srv.ServeHTTP(w, req)
		if w.Code != 200 || !w.Result().Cookies()[0].Secure {
			t.Fatalf("%d cookies %+v", w.Code, w.Result().Cookies())
		}
	})
	t.Run("next stays on this site", func(t *testing.T) {
		for _, next := range []string{"//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)", "/\t/evil.example", "/auth/verify?token=x"} {
			if got := safeNext(next); got != "/" {
				t.Errorf("safeNext(%q) = %q", next, got)
			}
		}
	})
	t.Run("rate limited", func(t *testing.T) {
		e := newEnv(t)
		for range 5 {
			e.do(t, form("nope"))
		}
		w := e.do(t, form(testPassword))
		if w.Code != http.StatusTooManyRequests || len(w.Result().Cookies()) != 0 {
			t.Fatalf("sixth attempt: %d", w.Code)
		}
	})
	t.Run("logout ends the session", func(t *testing.T) {
		tok := e.login(t)
		if w := e.do(t, request{method: "GET", path: "/api/me", cookie: tok}); w.Code != 200 {
			t.Fatalf("me: %d", w.Code)
		}
		w := e.do(t, request{method: "POST", path: "/logout", cookie: tok})
		if w.Code != http.StatusSeeOther || w.Result().Cookies()[0].MaxAge >= 0 {
			t.Fatalf("logout: %d", w.Code)
		}
		if w := e.do(t, request{method: "GET", path: "/api/me", cookie: tok}); w.Code != http.StatusUnauthorized {
			t.Fatalf("me after logout: %d", w.Code)
		}
	})
	t.Run("body limit", func(t *testing.T) {
		w := e.do(t, request{method: "POST", path: "/login", ctype: "application/x-www-form-urlencoded",
			body: strings.NewReader("password=" + strings.Repeat("a", maxFormBytes+10))})
		if w.Code != http.StatusBadRequest && w.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("huge form: %d", w.Code)
		}
	})
}

func TestCrossOriginRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.login(t)
	for _, r := range []request{
		{method: "POST", path: "/api/recaps", ctype: "application/json", body: strings.NewReader(`{"text":"hello there"}`)},
		{method: "DELETE", path: "/api/recaps/abc"},
		{method: "POST", path: "/login", ctype: "application/x-www-form-urlencoded", body: strings.NewReader("password=x")},
		{method: "POST", path: "/logout"},
	} {
		r.cookie = tok
		r.header = map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}
		w := e.do(t, r)
		if w.Code != http.StatusForbidden {
			t.Errorf("%s %s cross-site: %d", r.method, r.path, w.Code)
		}
	}
	if w := e.do(t, request{method: "GET", path: "/api/me", cookie: tok}); w.Code != 200 {
		t.Fatal("session ended by a refused cross-site logout")
	}
}

func TestRecapLifecycleAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.login(t)
	res := e.submitFile(t, tok)
	if st := e.waitJob(t, res.JobID); st.Status != jobs.StatusDone {
		t.Fatalf("job: %+v", st)
	}

	w := e.do(t, request{method: "GET", path: "/api/jobs/" + res.JobID, cookie: tok})
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"status": "done"`) {
		t.Fatalf("job: %d %s", w.Code, w.Body)
	}
	w = e.do(t, request{method: "GET", path: "/api/jobs", cookie: tok})
	if w.Code != 200 || !strings.Contains(w.Body.String(), res.JobID) {
		t.Fatalf("jobs: %d", w.Code)
	}

	w = e.do(t, request{method: "GET", path: "/api/recaps/" + res.RecapID, cookie: tok})
	var doc struct {
		ID     string
		Title  string
		Topics []any
	}
	if w.Code != 200 || json.Unmarshal(w.Body.Bytes(), &doc) != nil || doc.ID != res.RecapID || len(doc.Topics) == 0 {
		t.Fatalf("recap: %d %s", w.Code, w.Body)
	}

	var page library.PageJSON
	w = e.do(t, request{method: "GET", path: "/api/recaps", cookie: tok})
	if json.Unmarshal(w.Body.Bytes(), &page); page.Total != 1 || page.Recaps[0].ID != res.RecapID {
		t.Fatalf("list: %s", w.Body)
	}
	word := library.Tokenize(doc.Title)[0]
	w = e.do(t, request{method: "GET", path: "/api/recaps?q=" + url.QueryEscape(word) + "&limit=5", cookie: tok})
	if json.Unmarshal(w.Body.Bytes(), &page); page.Total != 1 || len(page.Recaps[0].Matched) == 0 {
		t.Fatalf("search %q: %s", word, w.Body)
	}
	w = e.do(t, request{method: "GET", path: "/api/recaps?q=zzzyyyxxx", cookie: tok})
	if json.Unmarshal(w.Body.Bytes(), &page); page.Total != 0 || page.Recaps == nil {
		t.Fatalf("search without hits: %s", w.Body)
	}

	w = e.do(t, request{method: "GET", path: "/api/recaps/" + res.RecapID + "/export?format=md", cookie: tok})
	if w.Code != 200 || !strings.HasPrefix(w.Body.String(), "# ") || !strings.HasPrefix(w.Header().Get("Content-Disposition"), "attachment") || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/markdown") {
		t.Fatalf("export md: %d %v", w.Code, w.Header())
	}
	w = e.do(t, request{method: "GET", path: "/api/recaps/" + res.RecapID + "/export?format=json", cookie: tok})
	if w.Code != 200 || !json.Valid(w.Body.Bytes()) {
		t.Fatalf("export json: %d", w.Code)
	}

	w = e.do(t, request{method: "DELETE", path: "/api/recaps/" + res.RecapID, cookie: tok})
	if w.Code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", w.Code, w.Body)
	}
	for _, r := range []request{
		{method: "GET", path: "/api/recaps/" + res.RecapID},
		{method: "DELETE", path: "/api/recaps/" + res.RecapID},
		{method: "GET", path: "/api/recaps/" + res.RecapID + "/export"},
	} {
		r.cookie = tok
		if w := e.do(t, r); w.Code != http.StatusNotFound || errorCode(t, w) != "recap_not_found" {
			t.Errorf("%s %s after delete: %d", r.method, r.path, w.Code)
		}
	}
}

func TestAPIErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.login(t)
	big, bigType := multipartFile(t, "file", "big.vtt", bytes.Repeat([]byte("a"), 2<<20))
	cases := []struct {
		name   string
		r      request
		status int
		code   string
	}{
		{"empty submission", request{method: "POST", path: "/api/recaps", ctype: "application/json", body: strings.NewReader(`{}`)}, 400, "empty"},
		{"bad JSON", request{method: "POST", path: "/api/recaps", ctype: "application/json", body: strings.NewReader(`{`)}, 400, "bad_json"},
		{"file URL", request{method: "POST", path: "/api/recaps", ctype: "application/json", body: strings.NewReader(`{"url":"file:///etc/passwd"}`)}, 400, "bad_url"},
		{"local path", request{method: "POST", path: "/api/recaps", ctype: "application/json", body: strings.NewReader(`{"url":"/etc/passwd"}`)}, 400, "bad_url"},
		{"url and text", request{method: "POST", path: "/api/recaps", ctype: "application/json", body: strings.NewReader(`{"url":"https://example.org/a.vtt","text":"x"}`)}, 400, "too_many_sources"},
		{"media type", request{method: "POST", path: "/api/recaps", ctype: "text/plain", body: strings.NewReader(`hi`)}, 415, "unsupported_media_type"},
		{"upload over the limit", request{method: "POST", path: "/api/recaps", ctype: bigType, body: big}, 413, "too_large"},
		{"invalid id", request{method: "GET", path: "/api/recaps/a.b"}, 400, "invalid_id"},
		{"invalid id delete", request{method: "DELETE", path: "/api/recaps/a%20b"}, 400, "invalid_id"},
		{"path escape", request{method: "DELETE", path: "/api/recaps/..%2F..%2Fetc"}, 404, "not_found"},
		{"unknown recap", request{method: "GET", path: "/api/recaps/20260101-000000-abcdefgh"}, 404, "recap_not_found"},
		{"bad export format", request{method: "GET", path: "/api/recaps/20260101-000000-abcdefgh/export?format=pdf"}, 404, "recap_not_found"},
		{"unknown job", request{method: "GET", path: "/api/jobs/nope"}, 404, "job_not_found"},
		{"unknown job events", request{method: "GET", path: "/api/jobs/nope/events"}, 404, "job_not_found"},
		{"unknown job cancel", request{method: "POST", path: "/api/jobs/nope/cancel"}, 404, "job_not_found"},
		{"bad sort", request{method: "GET", path: "/api/recaps?sort=random"}, 400, "bad_sort"},
		{"bad type", request{method: "GET", path: "/api/recaps?type=pdf"}, 400, "bad_type"},
		{"bad limit", request{method: "GET", path: "/api/recaps?limit=1000"}, 400, "bad_limit"},
		{"bad cursor", request{method: "GET", path: "/api/recaps?cursor=zz"}, 400, "bad_cursor"},
		{"unknown API route", request{method: "GET", path: "/api/nothing"}, 404, "not_found"},
		{"wrong method", request{method: "PUT", path: "/api/recaps"}, 405, "method_not_allowed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.r.cookie = tok
			w := e.do(t, c.r)
			if w.Code != c.status || errorCode(t, w) != c.code {
				t.Fatalf("%d %s, want %d %s", w.Code, w.Body, c.status, c.code)
			}
		})
	}
	// An existing recap with a bad export format.
	res := e.submitFile(t, tok)
	e.waitJob(t, res.JobID)
	w := e.do(t, request{method: "GET", path: "/api/recaps/" + res.RecapID + "/export?format=pdf", cookie: tok})
	if w.Code != 400 || errorCode(t, w) != "bad_format" {
		t.Fatalf("bad format: %d %s", w.Code, w.Body)
	}
}

func TestSubmitText(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.login(t)
	text, err := os.ReadFile("../../testdata/talks/bitcoin-explained_bitcoin-core-v23.md")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]string{"text": string(text)})
	w := e.do(t, request{method: "POST", path: "/api/recaps", ctype: "application/json", body: bytes.NewReader(body), cookie: tok})
	if w.Code != http.StatusAccepted {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	var res submitResponse
	json.Unmarshal(w.Body.Bytes(), &res)
	if st := e.waitJob(t, res.JobID); st.Status != jobs.StatusDone {
		t.Fatalf("%+v", st)
	}
	doc, err := e.lib.Get(res.RecapID)
	if err != nil || doc.Source.Type != "text" {
		t.Fatalf("recap %v: %+v", err, doc)
	}
}

// slowSource is a local source that answers only when released, to hold
// a job running.
func slowSource(t *testing.T) (string, func()) {
	gate := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-gate:
			http.ServeFile(w, r, sampleVTT)
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(ts.Close)
	released := false
	return ts.URL + "/talk.vtt", func() {
		if !released {
			released = true
			close(gate)
		}
	}
}

func TestAttachCancelAndEvents(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.login(t)
	src, release := slowSource(t)
	defer release()
	submit := func() submitResponse {
		w := e.do(t, request{method: "POST", path: "/api/recaps", ctype: "application/json", body: strings.NewReader(`{"url":"` + src + `"}`), cookie: tok})
		var res submitResponse
		if w.Code != http.StatusAccepted || json.Unmarshal(w.Body.Bytes(), &res) != nil {
			t.Fatalf("submit: %d %s", w.Code, w.Body)
		}
		return res
	}
	a, b := submit(), submit()
	if !b.Attached || b.JobID != a.JobID || b.RecapID != a.RecapID {
		t.Fatalf("second submit of the same URL did not attach: %+v", b)
	}

	// Follow the events over a real connection while cancelling.
	ts := httptest.NewServer(e.srv)
	defer ts.Close()
	req, _ := http.NewRequest("GET", ts.URL+"/api/jobs/"+a.JobID+"/events", nil)
	req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: tok})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	events := readEvents(t, resp.Body)
	first := <-events
	if first.name != "progress" {
		t.Fatalf("first event %+v", first)
	}
	w := e.do(t, request{method: "POST", path: "/api/jobs/" + a.JobID + "/cancel", cookie: tok})
	if w.Code != 200 {
		t.Fatalf("cancel: %d %s", w.Code, w.Body)
	}
	var last event
	for ev := range events {
		last = ev
	}
	if last.name != "cancelled" || last.state.Error == nil || last.state.Error.Code != "cancelled" {
		t.Fatalf("last event %+v", last)
	}
	if w := e.do(t, request{method: "POST", path: "/api/jobs/" + a.JobID + "/cancel", cookie: tok}); w.Code != http.StatusConflict {
		t.Fatalf("second cancel: %d", w.Code)
	}

	// A finished job's stream is its final state at once.
	release()
	c := submit()
	e.waitJob(t, c.JobID)
	req, _ = http.NewRequest("GET", ts.URL+"/api/jobs/"+c.JobID+"/events", nil)
	req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: tok})
	resp2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp2.Body.Close()
	var got []event
	for ev := range readEvents(t, resp2.Body) {
		got = append(got, ev)
	}
	if len(got) != 1 || got[0].name != "done" || got[0].state.RecapID != c.RecapID {
		t.Fatalf("events of a finished job: %+v", got)
	}
}

type event struct {
	name  string
	state jobs.State
}

// readEvents parses a server-sent event stream until it ends.
func readEvents(t *testing.T, r io.Reader) <-chan event {
	ch := make(chan event, 16)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev event
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev.state); err != nil {
					t.Errorf("event data: %v", err)
				}
			case line == "" && ev.name != "":
				ch <- ev
				ev = event{}
			}
		}
	}()
	return ch
}

func TestMeAndPassword(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.login(t)
	w := e.do(t, request{method: "GET", path: "/api/me", cookie: tok})
	if w.Code != 200 || !strings.Contains(w.Body.String(), `"user": "owner"`) {
		t.Fatalf("me: %d %s", w.Code, w.Body)
	}
	cases := []struct {
		body   string
		status int
		code   string
	}{
		{`{"current":"nope","new":"a much better password"}`, 401, "wrong_password"},
		{`{"current":"` + testPassword + `","new":"short"}`, 400, "weak_password"},
		{`{"current":`, 400, "bad_json"},
	}
	for _, c := range cases {
		w := e.do(t, request{method: "POST", path: "/api/owner/password", ctype: "application/json", body: strings.NewReader(c.body), cookie: tok})
		if w.Code != c.status || errorCode(t, w) != c.code {
			t.Errorf("%s: %d %s", c.body, w.Code, w.Body)
		}
	}
	w = e.do(t, request{method: "POST", path: "/api/owner/password", ctype: "application/json", body: strings.NewReader(`{"current":"` + testPassword + `","new":"a much better password"}`), cookie: tok})
	if w.Code != http.StatusNoContent {
		t.Fatalf("change: %d %s", w.Code, w.Body)
	}
	if !e.srv.owner.Check("a much better password") {
		t.Fatal("password not changed")
	}
}

func TestPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.login(t)
	res := e.submitFile(t, tok)
	e.waitJob(t, res.JobID)
	doc, _ := e.lib.Get(res.RecapID)
	word := library.Tokenize(doc.Title)[0]

	pages := []struct {
		path string
		want []string
	}{
		{"/", []string{`name="source"`, `type="file"`, `/recaps/` + res.RecapID}},
		{"/recaps/" + res.RecapID, []string{"<h1>", `class="ts"`, `href="#t=`, `id="t=`, "Export Markdown", `<details class="transcript"`}},
		{"/recaps/" + res.RecapID + "/delete", []string{`action="/recaps/` + res.RecapID + `/delete"`}},
		{"/library", []string{"/recaps/" + res.RecapID, `id="q"`}},
		{"/library?q=" + url.QueryEscape(word), []string{"<mark>"}},
		{"/library?q=zzzyyyxxx", []string{`id="no-results"`}},
		{"/library?type=youtube&sort=title", []string{"Library"}},
		{"/account", []string{`name="current"`}},
	}
	// The finished job's page opens its recap (TestJobPage has the others).
	if w := e.do(t, request{method: "GET", path: "/jobs/" + res.JobID, cookie: tok}); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/recaps/"+res.RecapID {
		t.Errorf("GET /jobs/%s: %d to %q", res.JobID, w.Code, w.Header().Get("Location"))
	}
	for _, p := range pages {
		w := e.do(t, request{method: "GET", path: p.path, cookie: tok})
		if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
			t.Errorf("GET %s: %d", p.path, w.Code)
			continue
		}
		for _, s := range p.want {
			if !strings.Contains(w.Body.String(), s) {
				t.Errorf("GET %s lacks %q", p.path, s)
			}
		}
	}
	// Errors are pages too.
	for path, status := range map[string]int{"/recaps/nope-nope": 404, "/recaps/a.b": 400, "/jobs/nope": 404, "/nowhere": 404, "/library?sort=x": 400} {
		w := e.do(t, request{method: "GET", path: path, cookie: tok})
		if w.Code != status || !strings.Contains(w.Body.String(), "Back to Recap") {
			t.Errorf("GET %s: %d, want an HTML %d", path, w.Code, status)
		}
	}
	// Sign-in page when signed in goes home.
	if w := e.do(t, request{method: "GET", path: "/login", cookie: tok}); w.Code != http.StatusSeeOther {
		t.Errorf("login page when signed in: %d", w.Code)
	}

	// Forms: submit (one box), cancel of a finished job, password, delete.
	w := e.do(t, request{method: "POST", path: "/jobs", ctype: "application/x-www-form-urlencoded", cookie: tok,
		body: strings.NewReader(url.Values{"source": {"Speaker: 00:00:01\nHello there. This is a short pasted transcript about bitcoin fees. " +
			"Fees rise when blocks are full, and wallets that estimate them well save their users money over a year."}}.Encode())})
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/jobs/") {
		t.Fatalf("submit form: %d %s", w.Code, w.Body)
	}
	jobID := strings.TrimPrefix(w.Header().Get("Location"), "/jobs/")
	e.waitJob(t, jobID)
	if w := e.do(t, request{method: "POST", path: "/jobs/" + jobID + "/cancel", cookie: tok}); w.Code != http.StatusSeeOther {
		t.Errorf("cancel form on a finished job: %d", w.Code)
	}
	w = e.do(t, request{method: "POST", path: "/jobs", ctype: "application/x-www-form-urlencoded", cookie: tok, body: strings.NewReader("source=")})
	if w.Code != 400 || !strings.Contains(w.Body.String(), "Give a link") {
		t.Errorf("empty submit form: %d", w.Code)
	}
	w = e.do(t, request{method: "POST", path: "/account/password", ctype: "application/x-www-form-urlencoded", cookie: tok,
		body: strings.NewReader(url.Values{"current": {testPassword}, "new": {"another good password"}, "confirm": {"another good passwort"}}.Encode())})
	if w.Code != 400 || !strings.Contains(w.Body.String(), "not the same") {
		t.Errorf("password form, mismatch: %d", w.Code)
	}
	w = e.do(t, request{method: "POST", path: "/account/password", ctype: "application/x-www-form-urlencoded", cookie: tok,
		body: strings.NewReader(url.Values{"current": {testPassword}, "new": {"another good password"}, "confirm": {"another good password"}}.Encode())})
	if w.Code != http.StatusSeeOther {
		t.Errorf("password form: %d %s", w.Code, w.Body)
	}
	w = e.do(t, request{method: "POST", path: "/recaps/" + res.RecapID + "/delete", cookie: tok})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("delete form: %d", w.Code)
	}
	if _, err := e.lib.Get(res.RecapID); err == nil {
		t.Fatal("recap still there after delete")
	}
}

func TestHighlight(t *testing.T) {
	t.Parallel()
	cases := []struct{ text, want string }{
		{"Fee markets & topics", "<mark>Fee</mark> markets &amp; <mark>topics</mark>"},
		{"<b>fee</b>", "&lt;b&gt;<mark>fee</mark>&lt;/b&gt;"},
		{"nothing here", "nothing here"},
	}
	for _, c := range cases {
		if got := string(highlight(c.text, []string{"fee", "topic"})); got != c.want {
			t.Errorf("highlight(%q) = %q, want %q", c.text, got, c.want)
		}
	}
}
