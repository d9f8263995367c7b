package server

import (
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserTrial: in headless Chromium, an anonymous visitor sees the
// trial banner, makes a recap and reads it, asks for a sign-in link from
// the same browser, and opens the mailed link in another browser that
// never had the trial's cookie: the recap is in that account's library
// and the unused trial credits are on its Account page.
func TestBrowserTrial(t *testing.T) {
	needChromium(t)
	clk := &testClock{t: time.Now()}
	e := newTrialEnv(t, trialPolicy(3, 3), clk)
	ts := httptest.NewServer(e.srv)
	defer ts.Close()
	must := func(step string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	a := startBrowser(t)
	must("home page", chromedp.Do(a, chromedp.Navigate(ts.URL+"/"), chromedp.WaitVisible(chromedp.ID("trial-banner"))))
	banner, err := chromedp.Run(a, chromedp.Text(chromedp.ID("trial-banner")))
	must("banner text", err)
	if !strings.Contains(banner, "3 recaps") || !strings.Contains(banner, "no account needed") {
		t.Fatalf("banner: %q", banner)
	}

	vtt, err := filepath.Abs(sampleVTT)
	must("path", err)
	must("make a recap", chromedp.Do(a,
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{vtt}),
		chromedp.Submit(chromedp.ID("file")),
		chromedp.WaitVisible(chromedp.ID("export-md")), // the job page opens the recap when it is done
	))
	recapURL, err := chromedp.Run(a, chromedp.Location())
	must("location", err)
	title, err := chromedp.Run(a, chromedp.Text(chromedp.CSS("main h1")))
	must("title", err)
	must("home page again", chromedp.Do(a, chromedp.Navigate(ts.URL+"/"), chromedp.WaitVisible(chromedp.ID("trial-banner"))))
	banner, err = chromedp.Run(a, chromedp.Text(chromedp.ID("trial-banner")))
	must("banner text", err)
	if !strings.Contains(banner, "2 of 3 credits left") {
		t.Fatalf("banner after a recap: %q", banner)
	}

	must("ask for a link", chromedp.Do(a,
		chromedp.Navigate(ts.URL+"/login"), chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), "ada@example.org"),
		chromedp.Click(chromedp.ID("send-link")),
		chromedp.WaitVisible(chromedp.ID("link-sent")),
	))
	u, err := url.Parse(e.mail.Wait(t, 1).Link(t))
	must("link", err)

	// Another browser (the mail app's): no trial cookie.
	b := startBrowser(t)
	must("open the link elsewhere", chromedp.Do(b, chromedp.Navigate(ts.URL+u.RequestURI()), chromedp.WaitVisible(chromedp.ID("confirm-sign-in")),
		chromedp.Click(chromedp.ID("confirm-sign-in")), chromedp.WaitVisible(chromedp.ID("source"))))
	must("library", chromedp.Do(b, chromedp.Navigate(ts.URL+"/library"), chromedp.WaitVisible(chromedp.ID("results"))))
	list, err := chromedp.Run(b, chromedp.Text(chromedp.ID("results")))
	must("library text", err)
	if !strings.Contains(list, strings.TrimSpace(title)) {
		t.Fatalf("library %q lacks the trial's recap %q", list, title)
	}
	must("the recap", chromedp.Do(b, chromedp.Navigate(recapURL), chromedp.WaitVisible(chromedp.ID("export-md"))))
	must("account", chromedp.Do(b, chromedp.Navigate(ts.URL+"/account"), chromedp.WaitVisible(chromedp.ID("credit-balance"))))
	balance, err := chromedp.Run(b, chromedp.Text(chromedp.ID("credit-balance")))
	must("balance", err)
	if !strings.Contains(balance, "2 that do not expire") {
		t.Fatalf("balance %q lacks the 2 carried-over credits", balance)
	}
	history, err := chromedp.Run(b, chromedp.Text(chromedp.ID("credit-history")))
	must("history", err)
	if !strings.Contains(history, "trial") {
		t.Fatalf("ledger %q lacks the trial entry", history)
	}

	// The first browser's trial is over: its recap is not there any more.
	must("old browser", chromedp.Do(a, chromedp.Navigate(recapURL), chromedp.WaitVisible(chromedp.ID("email"))))
}
