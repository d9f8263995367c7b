package server

import (
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/recap-startos/recap/pkg/store"
)

// TestBrowserRelayNotice: in headless Chromium, a user on Pro sees no
// relay notice while the relay is up; with the relay stopped their
// account, plans and new recap pages say it is not answering and that
// Pro is kept, with what matters on each page; with the relay started
// again the notice is gone.
func TestBrowserRelayNotice(t *testing.T) {
	needChromium(t)
	e := newRelayEnv(t, 20*time.Millisecond)
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
	until := time.Now().Add(30 * 24 * time.Hour)
	e.setTier(t, "ada@example.org", store.TierPro, until)
	noNotice := func(page string) {
		t.Helper()
		must(page, chromedp.Do(a, chromedp.Navigate(ts.URL+page), chromedp.WaitVisible(chromedp.CSS("main"))))
		absent, err := chromedp.Run(a, chromedp.Evaluate[bool](`document.getElementById("relay-notice") === null`))
		must(page+": look for the notice", err)
		if !absent {
			t.Errorf("%s shows the relay notice with the relay up", page)
		}
	}
	for _, page := range []string{"/account", "/pricing"} {
		noNotice(page)
	}

	e.stopRelay()
	e.waitReachable(t, false)
	must("account page", chromedp.Do(a, chromedp.Navigate(ts.URL+"/account"), chromedp.WaitVisible(chromedp.ID("relay-notice"))))
	heading, err := chromedp.Run(a, chromedp.Text(chromedp.ID("relay-notice-h")))
	must("heading", err)
	if heading != "The relay is not answering; your plan is kept" {
		t.Errorf("notice heading %q", heading)
	}
	plan, err := chromedp.Run(a, chromedp.Text(chromedp.ID("relay-notice-plan")))
	must("plan", err)
	if want := "Pro, until " + until.Local().Format("2 Jan 2006"); plan != want {
		t.Errorf("the notice keeps %q, want %q", plan, want)
	}
	// The notice sits above the page's own content, and its account
	// page still shows Pro.
	order, err := chromedp.Run(a, chromedp.Evaluate[bool](`document.getElementById("relay-notice").compareDocumentPosition(document.querySelector("main h1:not(#relay-notice-h)")) === Node.DOCUMENT_POSITION_FOLLOWING`))
	must("position", err)
	if !order {
		t.Error("the notice is not above the page's heading")
	}
	tier, err := chromedp.Run(a, chromedp.Text(chromedp.ID("credit-tier")))
	must("tier", err)
	if tier != store.TierPro {
		t.Errorf("the account page shows tier %q during the outage", tier)
	}
	must("plans page", chromedp.Do(a, chromedp.Navigate(ts.URL+"/pricing"),
		chromedp.WaitVisible(chromedp.ID("relay-notice")), chromedp.WaitVisible(chromedp.ID("relay-notice-buying"))))
	must("new recap page", chromedp.Do(a, chromedp.Navigate(ts.URL+"/"),
		chromedp.WaitVisible(chromedp.ID("relay-notice")), chromedp.WaitVisible(chromedp.ID("relay-notice-engine"))))

	e.startRelay(t)
	e.waitReachable(t, true)
	for _, page := range []string{"/account", "/pricing", "/"} {
		noNotice(page)
	}
}
