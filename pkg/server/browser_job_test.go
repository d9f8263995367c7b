package server

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// signInBrowser signs the browser in with the owner password.
func signInBrowser(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.ID("password")),
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Submit(chromedp.ID("password")),
		chromedp.WaitVisible(chromedp.ID("source")),
	); err != nil {
		t.Fatalf("sign in: %v", err)
	}
}

// submitInBrowser types link into the home page's box and submits it,
// waiting for the progress page.
func submitInBrowser(t *testing.T, ctx context.Context, base, link string) {
	t.Helper()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.ID("source")),
		chromedp.SendKeys(chromedp.ID("source"), link),
		chromedp.Submit(chromedp.ID("source")),
		chromedp.WaitVisible(chromedp.ID("job-heading")),
	); err != nil {
		t.Fatalf("submit %s: %v", link, err)
	}
}

// TestBrowserJobPage watches jobs in headless Chromium: with JavaScript
// the page follows the job and opens the recap when it is done, or shows
// the failed stage and what to do; without JavaScript it reloads itself
// until it reaches the recap.
func TestBrowserJobPage(t *testing.T) {
	needChromium(t)
	e := newEnv(t)
	ts := httptest.NewServer(e.srv)
	defer ts.Close()
	ctx := startBrowser(t)
	signInBrowser(t, ctx, ts.URL)

	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	location := func() string {
		t.Helper()
		loc, err := chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}
	waitRecap := func(step string) {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("article.recap h1"))); err != nil {
			t.Fatalf("%s: the recap never opened (at %s): %v", step, location(), err)
		}
		if !strings.Contains(location(), "/recaps/") {
			t.Fatalf("%s: ended at %s", step, location())
		}
	}

	t.Run("with JavaScript, done opens the recap", func(t *testing.T) {
		host := newGatedHost(t)
		submitInBrowser(t, ctx, ts.URL, host.URL+"/talk.vtt")
		if h := text("#job-heading"); h != "Recapping" && h != "Waiting to recap" {
			t.Fatalf("heading %q while running", h)
		}
		host.open()
		waitRecap("done")
	})

	t.Run("with JavaScript, failure marks the stage", func(t *testing.T) {
		host := newGatedHost(t)
		submitInBrowser(t, ctx, ts.URL, host.URL+"/missing.vtt")
		host.open()
		if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(".stages li.failed"))); err != nil {
			t.Fatalf("no failed stage shown: %v", err)
		}
		if h := text("#job-heading"); h != "This recap failed" {
			t.Errorf("heading %q after the failure", h)
		}
		if got := text(".stages li.failed"); !strings.Contains(got, "Reading the transcript") || !strings.Contains(got, "failed here") {
			t.Errorf("failed stage %q", got)
		}
		if text("#error-message") == "" || text("#error-hint") == "" {
			t.Error("the error or what to do is missing")
		}
		left, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#close-note, #cancel-form, .stages li.current").length`))
		if err != nil {
			t.Fatal(err)
		}
		if left != 0 {
			t.Errorf("%d elements still say the job is running", left)
		}
	})

	t.Run("without JavaScript, the page reloads to the recap", func(t *testing.T) {
		scripts := func(off bool) error {
			_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: off})
			return err
		}
		if err := scripts(true); err != nil {
			t.Fatal(err)
		}
		defer scripts(false)
		host := newGatedHost(t)
		submitInBrowser(t, ctx, ts.URL, host.URL+"/talk.vtt")
		jobURL := location()
		host.open()
		waitRecap("no script")
		if strings.Contains(location(), jobURL) {
			t.Fatalf("still on %s", jobURL)
		}
	})
}
