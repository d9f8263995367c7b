package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/follow"
	"github.com/recap-startos/recap/pkg/mail"
)

// withFollows rebuilds the multi-mode server with follows checked by the
// returned checker and digestDefault as the config's digest.
func (e *multiEnv) withFollows(t *testing.T, digestDefault string) *follow.Checker {
	t.Helper()
	checker := &follow.Checker{Store: &follow.SQLStore{DB: e.st}, Jobs: e.jobs, Log: quiet}
	srv, err := New(Options{Version: "test", Jobs: e.jobs, Dev: true, MaxUpload: 1 << 20, Log: quiet,
		Multi:   &Multi{Accounts: e.accounts, Store: e.st, Library: e.lib, Credits: e.credits},
		Follows: checker, FollowTrigger: t.TempDir() + "/follows.check", FollowDigest: digestDefault})
	if err != nil {
		t.Fatal(err)
	}
	e.srv.Close()
	e.srv = srv
	t.Cleanup(srv.Close)
	return checker
}

func (e *multiEnv) digestSetting(t *testing.T, cookie string) digestSetting {
	t.Helper()
	w := e.do(t, mreq{method: "GET", path: "/api/follow-digest", cookie: cookie})
	if w.Code != http.StatusOK {
		t.Fatalf("GET /api/follow-digest: %d %s", w.Code, w.Body)
	}
	var d digestSetting
	if err := json.Unmarshal(w.Body.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	return d
}

// A user chooses the daily digest on the Following page; the digest of
// their follows' recaps arrives by mail; its unsubscribe link works
// without a session: the GET (what a mail scanner fetches) only shows a
// button, the POST turns the digest off, and a mail program's one-click
// POST does too.
func TestDigestChoiceAndUnsubscribe(t *testing.T) {
	t.Parallel()
	e := newMultiEnv(t, true)
	checker := e.withFollows(t, config.DigestOff)
	const who = "reader@example.org"
	cookie := e.signIn(t, who, 1)
	feed := newShowFeed(t, "one")
	if w := e.do(t, mreq{method: "POST", path: "/api/follows", ctype: "application/json", cookie: cookie,
		body: `{"url": "` + feed.url() + `"}`}); w.Code != http.StatusCreated {
		t.Fatalf("follow: %d %s", w.Code, w.Body)
	}
	if d := e.digestSetting(t, cookie); d.Choice != "default" || d.Effective != config.DigestOff {
		t.Fatalf("digest before a choice: %+v", d)
	}
	page := e.do(t, mreq{method: "GET", path: "/following", cookie: cookie})
	if !strings.Contains(page.Body.String(), `id="digest-form"`) {
		t.Fatalf("the Following page has no digest choice:\n%s", page.Body)
	}
	if w := e.do(t, mreq{method: "POST", path: "/following/digest", ctype: formType, cookie: cookie, body: form("digest", "hourly")}); w.Code != http.StatusBadRequest {
		t.Fatalf("a bad choice: %d", w.Code)
	}
	if w := e.do(t, mreq{method: "POST", path: "/following/digest", ctype: formType, cookie: cookie, body: form("digest", "daily")}); w.Code != http.StatusSeeOther {
		t.Fatalf("choose daily: %d %s", w.Code, w.Body)
	}
	if d := e.digestSetting(t, cookie); d.Choice != config.DigestDaily || d.Effective != config.DigestDaily {
		t.Fatalf("digest after choosing daily: %+v", d)
	}

	// Today's episodes are recapped; tomorrow morning's scan mails them.
	checkNow(t, checker)
	feed.mu.Lock()
	feed.episodes = append(feed.episodes, "two", "three")
	feed.mu.Unlock()
	checkNow(t, checker)
	sender, err := mail.NewSMTP(e.mail.Config())
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	d := &follow.Digests{Store: e.st, Library: e.lib, Mail: sender, PublicURL: "https://recap.example.org",
		Default: config.DigestOff, Now: func() time.Time { return today.Add(24*time.Hour + time.Minute) }, Log: quiet}
	if rep, err := d.Run(context.Background()); err != nil || rep.Sent != 1 {
		t.Fatalf("digest scan: %+v, %v", rep, err)
	}
	m := e.mail.Wait(t, 2)
	if m.Rcpts[0] != who || m.Text == "" || m.HTML == "" || strings.Count(m.Text, "Read the recap: https://recap.example.org/recaps/") != 2 {
		t.Fatalf("digest to %v:\n%s", m.Rcpts, m.Text)
	}
	link, err := url.Parse(strings.Trim(m.Header.Get("List-Unsubscribe"), "<>"))
	if err != nil || link.Path != "/digest/unsubscribe" || link.Query().Get("t") == "" || !strings.Contains(m.Text, link.String()) {
		t.Fatalf("unsubscribe link %q (%v)", m.Header.Get("List-Unsubscribe"), err)
	}
	if rep, err := d.Run(context.Background()); err != nil || rep != (follow.DigestReport{}) || len(e.mail.Messages()) != 2 {
		t.Fatalf("second scan: %+v, %v", rep, err)
	}

	// No session: the GET shows a button and changes nothing, twice.
	for i := 0; i < 2; i++ {
		w := e.do(t, mreq{method: "GET", path: link.RequestURI()})
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `id="confirm-unsubscribe"`) || !strings.Contains(w.Body.String(), who) {
			t.Fatalf("unsubscribe page: %d\n%s", w.Code, w.Body)
		}
	}
	if got := e.digestSetting(t, cookie); got.Effective != config.DigestDaily {
		t.Fatalf("a GET turned the digest off: %+v", got)
	}
	if w := e.do(t, mreq{method: "POST", path: "/digest/unsubscribe", ctype: formType, body: form("t", "not-a-token")}); w.Code != http.StatusNotFound {
		t.Fatalf("a made-up token: %d", w.Code)
	}
	w := e.do(t, mreq{method: "POST", path: "/digest/unsubscribe", ctype: formType, body: form("t", link.Query().Get("t"))})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `id="unsubscribed"`) {
		t.Fatalf("unsubscribe: %d\n%s", w.Code, w.Body)
	}
	if got := e.digestSetting(t, cookie); got.Choice != config.DigestOff || got.Effective != config.DigestOff {
		t.Fatalf("after unsubscribing: %+v", got)
	}

	// The one-click POST of RFC 8058: the token in the query.
	if w := e.do(t, mreq{method: "PUT", path: "/api/follow-digest", ctype: "application/json", cookie: cookie, body: `{"choice": "weekly"}`}); w.Code != http.StatusOK {
		t.Fatalf("choose weekly: %d %s", w.Code, w.Body)
	}
	w = e.do(t, mreq{method: "POST", path: link.RequestURI(), ctype: formType, body: "List-Unsubscribe=One-Click"})
	if w.Code != http.StatusOK {
		t.Fatalf("one-click unsubscribe: %d\n%s", w.Code, w.Body)
	}
	if got := e.digestSetting(t, cookie); got.Effective != config.DigestOff {
		t.Fatalf("after the one-click unsubscribe: %+v", got)
	}
}

// TestBrowserDigest: in headless Chromium, a user chooses the weekly
// digest on the Following page; the mail's unsubscribe link, opened in
// another browser with no session, shows a button, and pressing it
// stops the digest.
func TestBrowserDigest(t *testing.T) {
	needChromium(t)
	e := newMultiEnv(t, true)
	checker := e.withFollows(t, config.DigestOff)
	ts := httptest.NewServer(e.srv)
	defer ts.Close()
	must := func(step string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	a := startBrowser(t)
	must("ask for a link", chromedp.Do(a, chromedp.Navigate(ts.URL+"/login"), chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), "ada@example.org"), chromedp.Click(chromedp.ID("send-link")),
		chromedp.WaitVisible(chromedp.ID("link-sent"))))
	u, err := url.Parse(e.mail.Wait(t, 1).Link(t))
	must("link", err)
	must("sign in", chromedp.Do(a, chromedp.Navigate(ts.URL+u.RequestURI()), chromedp.WaitVisible(chromedp.ID("confirm-sign-in")),
		chromedp.Click(chromedp.ID("confirm-sign-in")), chromedp.WaitVisible(chromedp.ID("source"))))
	feed := newShowFeed(t, "one", "two")
	must("follow", chromedp.Do(a, chromedp.Navigate(ts.URL+"/following"), chromedp.WaitVisible(chromedp.ID("follow-url")),
		chromedp.SendKeys(chromedp.ID("follow-url"), feed.url()), chromedp.SetValue(chromedp.ID("follow-last"), "2"),
		chromedp.Click(chromedp.ID("follow-add")), chromedp.WaitVisible(chromedp.ID("follows"))))
	must("choose weekly", chromedp.Do(a, chromedp.SetValue(chromedp.ID("digest-choice"), "weekly"),
		chromedp.Click(chromedp.ID("digest-save")), chromedp.WaitVisible(chromedp.CSS(`#digest-note strong[role="status"]`))))
	note, err := chromedp.Run(a, chromedp.Text(chromedp.ID("digest-note")))
	must("note", err)
	if !strings.Contains(note, "after each week") {
		t.Fatalf("digest note after choosing weekly: %q", note)
	}
	checkNow(t, checker)
	sender, err := mail.NewSMTP(e.mail.Config())
	must("smtp", err)
	monday := time.Now().UTC().Truncate(24 * time.Hour).Add(24 * time.Hour) // the next Monday: this week's digest
	for monday.Weekday() != time.Monday {
		monday = monday.Add(24 * time.Hour)
	}
	d := &follow.Digests{Store: e.st, Library: e.lib, Mail: sender, PublicURL: ts.URL, Now: func() time.Time { return monday.Add(time.Hour) }, Log: quiet}
	if rep, err := d.Run(context.Background()); err != nil || rep.Sent != 1 {
		t.Fatalf("digest scan: %+v, %v", rep, err)
	}
	weekly := e.mail.Wait(t, 2)
	if subject := weekly.Header.Get("Subject"); !strings.Contains(subject, "2 new recaps from the shows you follow, week of ") {
		t.Fatalf("weekly digest's subject: %q", subject)
	}
	unsub := strings.Trim(weekly.Header.Get("List-Unsubscribe"), "<>")

	b := startBrowser(t) // no session
	must("open the unsubscribe link", chromedp.Do(b, chromedp.Navigate(unsub), chromedp.WaitVisible(chromedp.ID("confirm-unsubscribe"))))
	if got, _ := e.st.DigestFrequency(context.Background(), accountID(t, e, "ada@example.org")); got != config.DigestWeekly {
		t.Fatalf("opening the link changed the digest to %q", got)
	}
	must("press the button", chromedp.Do(b, chromedp.Click(chromedp.ID("confirm-unsubscribe")), chromedp.WaitVisible(chromedp.ID("unsubscribed"))))
	if got, _ := e.st.DigestFrequency(context.Background(), accountID(t, e, "ada@example.org")); got != config.DigestOff {
		t.Fatalf("after the button the digest is %q", got)
	}
	must("the Following page says so", chromedp.Do(a, chromedp.Navigate(ts.URL+"/following"), chromedp.WaitVisible(chromedp.ID("digest-note"))))
	note, err = chromedp.Run(a, chromedp.Text(chromedp.ID("digest-note")))
	must("note", err)
	if !strings.Contains(note, "No digest mail is sent") {
		t.Fatalf("digest note after unsubscribing: %q", note)
	}
}

// accountID is the id of the account of an address.
func accountID(t *testing.T, e *multiEnv, email string) string {
	t.Helper()
	u, err := e.st.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}
