package server

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/recap-startos/recap/pkg/jobs"
)

const chromiumPath = "/usr/bin/chromium"

// TestBrowser drives the real web app in headless Chromium: sign in,
// upload a subtitle file, watch the job finish and open the recap, follow a
// timestamp, search, export, delete and sign out. On failure, screenshots
// of every page it saw are written to a temporary folder.
func TestBrowser(t *testing.T) {
	needChromium(t)
	e := newEnv(t)
	ts := httptest.NewServer(e.srv)
	defer ts.Close()

	ctx := startBrowser(t)

	var shots []shot
	snap := func(name string) {
		if buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(80)); err == nil {
			shots = append(shots, shot{name, buf})
		}
	}
	defer func() {
		if !t.Failed() {
			return
		}
		snap("at-failure")
		dir, err := os.MkdirTemp("", "recap-browser-*")
		if err != nil {
			return
		}
		for i, s := range shots {
			os.WriteFile(filepath.Join(dir, fmt.Sprintf("%02d-%s.jpg", i, s.name)), s.data, 0o644)
		}
		t.Logf("screenshots of each page: %s", dir)
	}()
	must := func(step string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	location := func() string {
		loc, err := chromedp.Run(ctx, chromedp.Location())
		must("location", err)
		return loc
	}

	// Sign in with the owner password.
	must("open", chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/library")))
	must("sign-in page", chromedp.Do(ctx, chromedp.WaitVisible(chromedp.ID("password"))))
	snap("login")
	if !strings.Contains(location(), "/login?next=") {
		t.Fatalf("the library was open without signing in: %s", location())
	}
	must("sign in", chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("password"), testPassword),
		chromedp.Submit(chromedp.ID("password")),
		chromedp.WaitVisible(chromedp.ID("q")),
	))
	snap("library-empty")

	// Upload a real subtitle file and watch the job finish.
	vtt, err := filepath.Abs(sampleVTT)
	must("path", err)
	must("home", chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/"), chromedp.WaitVisible(chromedp.ID("source"))))
	snap("home")
	must("upload", chromedp.Do(ctx,
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{vtt}),
		chromedp.Submit(chromedp.ID("file")),
	))
	// The upload shows the job's progress, which opens the recap when the
	// job is done (TestBrowserJobPage watches a slower job on its way).
	must("job done", chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("article.recap h1"))))
	snap("recap")
	recapID := strings.TrimPrefix(strings.SplitN(location(), "/recaps/", 2)[1], "/")
	var st jobs.State
	for _, j := range e.jobs.Recent(10) {
		if j.RecapID == recapID {
			st = j
		}
	}
	if st.Status != jobs.StatusDone || st.Percent != 100 {
		t.Fatalf("the job of recap %s: %+v", recapID, st)
	}
	doc, err := e.lib.Get(st.RecapID)
	must("recap document", err)
	title, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("article.recap h1")))
	must("title", err)
	if title != doc.Title {
		t.Fatalf("page title %q, document title %q", title, doc.Title)
	}

	// The first topic's timestamp carries the right t=.
	href, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(".topic a.ts"), "href"))
	must("timestamp", err)
	want := "#t=" + strconv.Itoa(int(*doc.Topics[0].Start))
	if !href.Exists || href.Value != want {
		t.Fatalf("first topic links to %q, want %q", href.Value, want)
	}
	must("follow timestamp", chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(".topic a.ts")),
		chromedp.WaitVisible(chromedp.CSS("#transcript li:target")),
	))
	snap("recap-timestamp")

	// Export downloads Markdown.
	downloads := t.TempDir()
	_, err = chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads, EventsEnabled: new(true),
	})
	must("allow downloads", err)
	progress := chromedp.BrowserEvents(ctx, browser.DownloadProgress)
	must("export", chromedp.Do(ctx, chromedp.Click(chromedp.ID("export-md"))))
	for ev, err := range progress {
		must("download", err)
		if ev.State == browser.DownloadProgressStateCanceled {
			t.Fatal("download cancelled")
		}
		if ev.State == browser.DownloadProgressStateCompleted {
			break
		}
	}
	files, _ := filepath.Glob(filepath.Join(downloads, "*.md"))
	if len(files) != 1 {
		t.Fatalf("downloaded %v", files)
	}
	md, _ := os.ReadFile(files[0])
	if !strings.HasPrefix(string(md), "# "+doc.Title) {
		t.Fatalf("export starts with %q", string(md)[:min(80, len(md))])
	}

	// Search finds it, with the match highlighted.
	word := strings.Fields(strings.ToLower(doc.Title))[0]
	must("search", chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/library"),
		chromedp.WaitVisible(chromedp.ID("q")),
		chromedp.SendKeys(chromedp.ID("q"), word),
		chromedp.Submit(chromedp.ID("q")),
		chromedp.WaitVisible(chromedp.CSS("#results mark")),
	))
	snap("search")
	found, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("results")))
	must("results", err)
	if !strings.Contains(found, doc.Title) {
		t.Fatalf("search for %q shows %q", word, found)
	}

	// Delete, with confirmation, removes it.
	must("delete", chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/recaps/"+st.RecapID),
		chromedp.WaitVisible(chromedp.ID("delete")),
		chromedp.Click(chromedp.ID("delete")),
		chromedp.WaitVisible(chromedp.ID("confirm-delete")),
	))
	snap("delete-confirm")
	must("confirm delete", chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("confirm-delete")),
		chromedp.WaitVisible(chromedp.ID("q")),
	))
	snap("library-after-delete")
	if _, err := e.lib.Get(st.RecapID); err == nil {
		t.Fatal("the recap is still in the library")
	}

	// Signing out locks the library.
	must("sign out", chromedp.Do(ctx,
		chromedp.Click(chromedp.ID("logout")),
		chromedp.WaitVisible(chromedp.ID("password")),
		chromedp.Navigate(ts.URL+"/library"),
		chromedp.WaitVisible(chromedp.ID("password")),
	))
	snap("signed-out")
	if !strings.Contains(location(), "/login") {
		t.Fatalf("after sign-out the library opened at %s", location())
	}
}

type shot struct {
	name string
	data []byte
}

// needChromium skips the test with -short, and when Chromium is missing
// (outside CI).
func needChromium(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping browser test in -short mode")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set but %s is missing; .ci/run installs the Debian chromium package", chromiumPath)
		}
		t.Skipf("skipping browser test: %s is missing (apt-get install chromium); it always runs in CI", chromiumPath)
	}
}

// startBrowser starts a headless Chromium of its own (its own cookies)
// and returns a context with a two-minute deadline that drives it.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox,
		chromedp.Headless,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1000, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browserCtx); err != nil { // start the browser, without a deadline
		t.Fatalf("start chromium: %v", err)
	}
	ctx, cancel := context.WithTimeout(browserCtx, 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}
