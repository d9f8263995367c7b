package server

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserSignOutEverywhere signs the owner in on two browsers, then
// uses "Sign out everywhere" on the Account page of one: both are signed
// out, and the sign-in page says why.
func TestBrowserSignOutEverywhere(t *testing.T) {
	needChromium(t)
	e := newEnv(t)
	ts := httptest.NewServer(e.srv)
	defer ts.Close()
	phone, laptop := startBrowser(t), startBrowser(t)
	signInBrowser(t, phone, ts.URL)
	signInBrowser(t, laptop, ts.URL)
	if n := e.srv.sessions.Len(); n != 2 {
		t.Fatalf("%d sessions after two sign-ins", n)
	}

	if err := chromedp.Do(laptop,
		chromedp.Navigate(ts.URL+"/account"),
		chromedp.WaitVisible(chromedp.ID("sign-out-everywhere")),
	); err != nil {
		t.Fatal(err)
	}
	count, err := chromedp.Run(laptop, chromedp.Text(chromedp.ID("session-count")))
	if err != nil || count != "2" {
		t.Fatalf("account page counts %q browsers (%v)", count, err)
	}
	if err := chromedp.Do(laptop,
		chromedp.Click(chromedp.ID("sign-out-everywhere")),
		chromedp.WaitVisible(chromedp.ID("signed-out-everywhere")),
	); err != nil {
		t.Fatalf("sign out everywhere: %v", err)
	}
	if n := e.srv.sessions.Len(); n != 0 {
		t.Fatalf("%d sessions left", n)
	}
	for name, b := range map[string]context.Context{"phone": phone, "laptop": laptop} {
		err := chromedp.Do(b, chromedp.Navigate(ts.URL+"/library"), chromedp.WaitVisible(chromedp.ID("password")))
		loc, _ := chromedp.Run(b, chromedp.Location())
		if err != nil || !strings.Contains(loc, "/login") {
			t.Errorf("%s still opens the library: %s %v", name, loc, err)
		}
	}
}
