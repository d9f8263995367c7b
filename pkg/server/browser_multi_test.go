package server

import (
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserMultiMode: in headless Chromium, ask for a link, read it
// from the mail, open it, confirm, see an empty library, add a recap and
// sign out; a second browser opening the used link is refused; a second
// user cannot open the first user's recap.
func TestBrowserMultiMode(t *testing.T) {
	needChromium(t)
	e := newMultiEnv(t, true)
	ts := httptest.NewServer(e.srv)
	defer ts.Close()
	must := func(step string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	// localLink points a mailed link at the test server.
	localLink := func(n int) string {
		u, err := url.Parse(e.mail.Wait(t, n).Link(t))
		must("link", err)
		return ts.URL + u.RequestURI()
	}
	a := startBrowser(t)
	must("sign-in page", chromedp.Do(a, chromedp.Navigate(ts.URL+"/library"), chromedp.WaitVisible(chromedp.ID("email"))))
	must("ask for a link", chromedp.Do(a,
		chromedp.SendKeys(chromedp.ID("email"), "ada@example.org"),
		chromedp.Click(chromedp.ID("send-link")),
		chromedp.WaitVisible(chromedp.ID("link-sent")),
	))
	link := localLink(1)
	must("open the link", chromedp.Do(a, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("confirm-sign-in"))))
	must("confirm", chromedp.Do(a, chromedp.Click(chromedp.ID("confirm-sign-in")), chromedp.WaitVisible(chromedp.ID("source")),
		chromedp.Navigate(ts.URL+"/library"), chromedp.WaitVisible(chromedp.ID("q"))))
	body, err := chromedp.Run(a, chromedp.Text(chromedp.CSS("main")))
	must("library text", err)
	if !strings.Contains(body, "Your library is empty") {
		t.Fatalf("library after sign-in: %s", body)
	}

	vtt, err := filepath.Abs(sampleVTT)
	must("path", err)
	must("add a recap", chromedp.Do(a,
		chromedp.Navigate(ts.URL+"/"), chromedp.WaitVisible(chromedp.ID("source")),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{vtt}),
		chromedp.Submit(chromedp.ID("file")),
		chromedp.WaitVisible(chromedp.ID("export-md")), // the job page opens the recap when it is done

	))
	recapURL, err := chromedp.Run(a, chromedp.Location())
	must("location", err)
	must("sign out", chromedp.Do(a, chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("email"))))

	// A second browser with the same, used link is refused.
	b := startBrowser(t)
	must("used link", chromedp.Do(b, chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("confirm-sign-in")),
		chromedp.Click(chromedp.ID("confirm-sign-in")), chromedp.WaitVisible(chromedp.ID("verify-problem"))))

	// A second user cannot open the first user's recap.
	must("bob asks", chromedp.Do(b, chromedp.Navigate(ts.URL+"/login"), chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), "bob@example.org"), chromedp.Click(chromedp.ID("send-link")),
		chromedp.WaitVisible(chromedp.ID("link-sent"))))
	must("bob confirms", chromedp.Do(b, chromedp.Navigate(localLink(2)), chromedp.WaitVisible(chromedp.ID("confirm-sign-in")),
		chromedp.Click(chromedp.ID("confirm-sign-in")), chromedp.WaitVisible(chromedp.ID("source"))))
	must("bob opens ada's recap", chromedp.Do(b, chromedp.Navigate(recapURL), chromedp.WaitVisible(chromedp.CSS("main h1"))))
	title, err := chromedp.Run(b, chromedp.Text(chromedp.CSS("main h1")))
	must("title", err)
	if !strings.Contains(title, "no recap with this id") {
		t.Fatalf("bob saw %q at %s", title, recapURL)
	}
}
