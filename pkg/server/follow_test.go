package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/recap-startos/recap/pkg/follow"
	"github.com/recap-startos/recap/pkg/jobs"
	"github.com/recap-startos/recap/pkg/library"
)

// showFeed is a podcast host for the server's tests: a feed whose
// episodes all have the spec's example SRT transcript.
type showFeed struct {
	mu       sync.Mutex
	episodes []string // GUIDs, oldest first
	srv      *httptest.Server
}

func newShowFeed(t testing.TB, guids ...string) *showFeed {
	srt, err := os.ReadFile(filepath.Join("..", "..", "testdata", "podcast", "transcripts-example.srt"))
	if err != nil {
		t.Fatal(err)
	}
	f := &showFeed{episodes: guids}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/t/") {
			w.Write(srt)
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel><title>Web Show</title>`)
		for i := len(f.episodes) - 1; i >= 0; i-- {
			fmt.Fprintf(w, `<item><title>Web episode %s</title><guid>%s</guid><pubDate>%s</pubDate><podcast:transcript url="/t/%s.srt" type="application/srt"/></item>`,
				f.episodes[i], f.episodes[i], time.Now().Add(time.Duration(i-len(f.episodes))*time.Hour).Format(time.RFC1123Z), f.episodes[i])
		}
		fmt.Fprint(w, `</channel></rss>`)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *showFeed) url() string { return f.srv.URL + "/feed.xml" }

// newFollowEnv is a single-mode server whose follows are kept in dir and
// checked by the returned checker (the test runs its passes).
func newFollowEnv(t testing.TB) (*testEnv, *follow.Checker) {
	t.Helper()
	dir := t.TempDir()
	lib, err := library.Open(filepath.Join(dir, "history"), "")
	if err != nil {
		t.Fatal(err)
	}
	fs, err := follow.OpenFileStore(filepath.Join(dir, "follows.json"))
	if err != nil {
		t.Fatal(err)
	}
	checker := &follow.Checker{Store: fs, Log: quiet}
	e := buildEnv(t, dir, lib, func(_ *jobs.Config, o *Options) {
		o.Follows, o.FollowTrigger = checker, filepath.Join(dir, "follows.check")
	})
	checker.Jobs = e.jobs
	return e, checker
}

func checkNow(t testing.TB, c *follow.Checker) {
	t.Helper()
	if _, err := c.Pass(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
}

type followsAnswer struct {
	Follows []followJSON `json:"follows"`
	Unread  int          `json:"unread"`
}

func TestFollowAPI(t *testing.T) {
	t.Parallel()
	e, checker := newFollowEnv(t)
	feed := newShowFeed(t, "one", "two")
	tok := e.login(t)
	post := func(path, body string) *httptest.ResponseRecorder {
		return e.do(t, request{method: "POST", path: path, cookie: tok, ctype: "application/json", body: strings.NewReader(body)})
	}
	list := func() followsAnswer {
		w := e.do(t, request{method: "GET", path: "/api/follows", cookie: tok})
		var a followsAnswer
		if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &a) != nil {
			t.Fatalf("list: %d %s", w.Code, w.Body)
		}
		return a
	}

	w := post("/api/follows", `{"url": "`+feed.url()+`", "last": 1}`)
	var f followJSON
	if w.Code != http.StatusCreated || json.Unmarshal(w.Body.Bytes(), &f) != nil || f.Title != "Web Show" || f.Kind != "podcast" || f.LastCheck != nil {
		t.Fatalf("add: %d %s", w.Code, w.Body)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "follows.check")); err == nil {
		t.Fatal("adding one follow asked for a check of every follow")
	}
	for _, tc := range []struct {
		name, body, code string
	}{
		{"again", `{"url": "` + feed.url() + `"}`, "already_following"},
		{"no link", `{"url": " "}`, "missing_url"},
		{"not a feed", `{"url": "` + feed.srv.URL + `/t/x.srt"}`, "cannot_follow"},
		{"too many back", `{"url": "` + feed.srv.URL + `/other.xml", "last": 99}`, "bad_last"},
		{"not JSON", `{"url": `, "bad_json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := post("/api/follows", tc.body)
			if code := errorCode(t, w); code != tc.code {
				t.Fatalf("%d %s, want %s", w.Code, w.Body, tc.code)
			}
		})
	}

	checkNow(t, checker)
	a := list()
	if len(a.Follows) != 1 || a.Unread != 1 || a.Follows[0].LastCheck == nil || a.Follows[0].NextCheck == nil {
		t.Fatalf("after a check: %+v", a)
	}
	// The followed filter of the library lists the follow's recap only.
	e.waitJob(t, e.submitFile(t, tok).JobID)
	var listed struct {
		Total int `json:"total"`
	}
	if w := e.do(t, request{method: "GET", path: "/api/recaps?type=followed", cookie: tok}); w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &listed) != nil || listed.Total != 1 || e.lib.Len() != 2 {
		t.Fatalf("followed filter: %d %s", w.Code, w.Body)
	}
	if w := e.do(t, request{method: "GET", path: "/api/recaps?type=followed&q=nothing+like+this", cookie: tok}); !strings.Contains(w.Body.String(), `"total": 0`) && !strings.Contains(w.Body.String(), `"total":0`) {
		t.Fatalf("followed filter with words: %s", w.Body)
	}
	if w := e.do(t, request{method: "GET", path: "/library?type=followed", cookie: tok}); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Web episode two") || !strings.Contains(w.Body.String(), `value="followed" selected`) {
		t.Fatalf("library page, followed: %d\n%s", w.Code, w.Body)
	}
	// The badge on every page, the new count on the Following page, which
	// then counts them as seen.
	if w := e.do(t, request{method: "GET", path: "/library", cookie: tok}); !strings.Contains(w.Body.String(), `id="unread" title="New recaps from the shows you follow">1</span>`) {
		t.Fatalf("no unread badge on the library page:\n%s", w.Body)
	}
	w = e.do(t, request{method: "GET", path: "/following", cookie: tok})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "1 new") || !strings.Contains(w.Body.String(), "Web episode two") {
		t.Fatalf("following page: %d\n%s", w.Code, w.Body)
	}
	if a := list(); a.Unread != 0 {
		t.Fatalf("unread after the Following page: %d", a.Unread)
	}
	var detail struct {
		Items []struct {
			Title   string `json:"title"`
			State   string `json:"state"`
			RecapID string `json:"recap_id"`
		} `json:"items"`
	}
	w = e.do(t, request{method: "GET", path: "/api/follows/" + f.ID, cookie: tok})
	if json.Unmarshal(w.Body.Bytes(), &detail) != nil || len(detail.Items) != 1 || detail.Items[0].RecapID == "" {
		t.Fatalf("follow detail: %s", w.Body)
	}
	var doc struct {
		Source struct {
			FollowID string `json:"follow_id"`
		} `json:"source"`
	}
	if w := e.do(t, request{method: "GET", path: "/api/recaps/" + detail.Items[0].RecapID, cookie: tok}); w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &doc) != nil || doc.Source.FollowID != f.ID {
		t.Fatalf("the recap does not name its follow: %d %+v", w.Code, doc)
	}

	var changed followJSON
	if w := post("/api/follows/"+f.ID+"/pause", ""); w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &changed) != nil || !changed.Paused || changed.NextCheck != nil {
		t.Fatalf("pause: %d %s", w.Code, w.Body)
	}
	if w := post("/api/follows/"+f.ID+"/resume", ""); w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &changed) != nil || changed.Paused || changed.NextCheck == nil {
		t.Fatalf("resume: %d %s", w.Code, w.Body)
	}
	if w := post("/api/follow-checks", ""); w.Code != http.StatusAccepted {
		t.Fatalf("check: %d %s", w.Code, w.Body)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "follows.check")); err != nil {
		t.Fatalf("check now did not ask the checker: %v", err)
	}
	if w := post("/api/follows/nosuchfollow/pause", ""); errorCode(t, w) != "follow_not_found" {
		t.Fatalf("pause of an unknown follow: %d %s", w.Code, w.Body)
	}
	if w := e.do(t, request{method: "DELETE", path: "/api/follows/" + f.ID, cookie: tok}); w.Code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", w.Code, w.Body)
	}
	if w := e.do(t, request{method: "GET", path: "/api/follows/" + f.ID, cookie: tok}); errorCode(t, w) != "follow_not_found" {
		t.Fatalf("after delete: %d %s", w.Code, w.Body)
	}

	// The forms of the pages.
	form := url.Values{"url": {feed.url()}, "last": {"0"}}.Encode()
	w = e.do(t, request{method: "POST", path: "/following", cookie: tok, ctype: "application/x-www-form-urlencoded", body: strings.NewReader(form)})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/following?added=1" {
		t.Fatalf("follow form: %d %s", w.Code, w.Body)
	}
	if a := list(); len(a.Follows) != 1 {
		t.Fatalf("after the form: %+v", a)
	}
}

// Follows are off unless the server has a checker.
func TestFollowsOff(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.login(t)
	if w := e.do(t, request{method: "GET", path: "/api/follows", cookie: tok}); errorCode(t, w) != "follows_off" {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if w := e.do(t, request{method: "GET", path: "/", cookie: tok}); strings.Contains(w.Body.String(), "/following") {
		t.Fatal("the home page offers following without a checker")
	}
}

// The Following page in a real browser: follow from the home page, see
// the new recap's badge, the follow's state, pause and stop following.
func TestFollowingBrowser(t *testing.T) {
	needChromium(t)
	e, checker := newFollowEnv(t)
	feed := newShowFeed(t, "one", "two")
	ts := httptest.NewServer(e.srv)
	defer ts.Close()
	ctx := startBrowser(t)
	must := func(step string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	text := func(sel string) string {
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		must("text of "+sel, err)
		return s
	}
	must("sign in", chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/login"),
		chromedp.WaitVisible(chromedp.ID("password")),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Submit(chromedp.ID("password")),
		chromedp.WaitVisible(chromedp.ID("home-follow-url")),
	))
	must("follow from the home page", chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("home-follow-url"), feed.url()),
		chromedp.Click(chromedp.ID("home-follow")),
		chromedp.WaitVisible(chromedp.CSS(`#follows li.follow`)),
	))
	if got := text("#follows li.follow h2"); !strings.Contains(got, "Web Show") {
		t.Fatalf("the Following page shows %q", got)
	}
	if got := text("#follows li.follow p.muted"); !strings.Contains(got, "not checked yet") {
		t.Fatalf("before the first check: %q", got)
	}

	// A new episode comes out and is recapped.
	checkNow(t, checker)
	feed.mu.Lock()
	feed.episodes = append(feed.episodes, "three")
	feed.mu.Unlock()
	checkNow(t, checker)
	must("badge", chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/library"), chromedp.WaitVisible(chromedp.ID("unread"))))
	if got := text("#unread"); got != "1" {
		t.Fatalf("badge = %q", got)
	}
	must("following", chromedp.Do(ctx, chromedp.Click(chromedp.ID("nav-following")), chromedp.WaitVisible(chromedp.CSS(`#follows li.follow`))))
	row := text("#follows li.follow")
	if !strings.Contains(row, "1 new") || !strings.Contains(row, "Web episode three") || !strings.Contains(row, "last checked") || !strings.Contains(row, "next check") {
		t.Fatalf("the follow after a new episode: %q", row)
	}
	must("open the recap", chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#follows li.follow ul.small a`)), chromedp.WaitVisible(chromedp.CSS(`h1`))))
	must("back", chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/following"), chromedp.WaitVisible(chromedp.CSS(`button.pause`))))
	badges, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#unread')).map(e => e.textContent)`))
	must("badges", err)
	if len(badges) != 0 {
		t.Fatalf("the badge stays after the new recap was seen: %v", badges)
	}
	must("pause", chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`button.pause`)), chromedp.WaitVisible(chromedp.CSS(`button.resume`))))
	if got := text("#follows li.follow p.muted"); !strings.Contains(got, "paused") {
		t.Fatalf("after pausing: %q", got)
	}
	must("stop following", chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`button.remove`)), chromedp.WaitVisible(chromedp.ID("no-follows"))))
}
