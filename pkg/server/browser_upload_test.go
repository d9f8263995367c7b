package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/recap-startos/recap/pkg/recap"
)

// TestBrowserEmptyFile chooses a file of 0 bytes on the home page in
// Chromium: the answer names the file and says it is empty, not the
// generic "give a link, paste a transcript…" of a form sent without
// anything, and no job starts.
func TestBrowserEmptyFile(t *testing.T) {
	needChromium(t)
	e := newEnv(t)
	ts := httptest.NewServer(e.srv)
	defer ts.Close()
	ctx := startBrowser(t)
	signInBrowser(t, ctx, ts.URL)

	empty := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{empty}),
		chromedp.Submit(chromedp.ID("file")),
	); err != nil {
		t.Fatal(err)
	}
	// The refusal is the answer to POST /jobs.
	for i := 0; ; i++ {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		if strings.HasSuffix(loc, "/jobs") {
			break
		}
		if i == 100 {
			t.Fatalf("empty file: still at %s", loc)
		}
		time.Sleep(100 * time.Millisecond)
	}
	heading, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main h1")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(heading, "notes.txt is empty") {
		t.Fatalf("the answer to an empty file is %q, want it to say notes.txt is empty", heading)
	}
	if strings.Contains(heading, "Give a link") {
		t.Fatalf("the empty file got the generic message: %q", heading)
	}
	if jobs := e.jobs.Recent(10); len(jobs) != 0 {
		t.Fatalf("an empty file started %d jobs", len(jobs))
	}
}

// TestBrowserEpisodeChooser uploads a podcast feed file in Chromium with
// JavaScript off: the answer asks which episode, newest first, with the
// default checked; choosing the second starts its job, whose page
// reloads itself to the recap of that episode.
func TestBrowserEpisodeChooser(t *testing.T) {
	needChromium(t)
	e := newEnv(t)
	ts := httptest.NewServer(e.srv)
	defer ts.Close()
	ctx := startBrowser(t)
	signInBrowser(t, ctx, ts.URL)
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	feedFile := filepath.Join(t.TempDir(), "example.xml")
	if err := os.WriteFile(feedFile, localFeed(t), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{feedFile}),
		chromedp.Submit(chromedp.ID("file")),
		chromedp.WaitVisible(chromedp.ID("episode-form")),
	); err != nil {
		t.Fatalf("the chooser: %v", err)
	}
	labels, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#episode-form label[for^=ep-]"), l => l.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Episode 3 - The Future", "Episode 2 - The Present", "Episode 1 - The Past"}
	if strings.Join(labels, "|") != strings.Join(want, "|") {
		t.Fatalf("episodes listed %q, want %q", labels, want)
	}
	checked, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("input[name=episode]:checked").id`))
	if err != nil || checked != "ep-1" {
		t.Fatalf("checked %q (%v), want the newest", checked, err)
	}
	doc := chooseSecondEpisode(t, ctx, e)
	if doc.Source.Title != "Episode 2 - The Present" {
		t.Fatalf("recapped %q", doc.Source.Title)
	}
}

// TestBrowserEpisodeChooserForLink pastes a podcast feed's link in the
// home page's box in Chromium, scripts on: the same chooser answers, it
// names the link, and choosing an episode ends on that episode's recap.
func TestBrowserEpisodeChooserForLink(t *testing.T) {
	needChromium(t)
	feed := localFeed(t)
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write(feed)
	}))
	defer host.Close()
	e := newEnv(t)
	ts := httptest.NewServer(e.srv)
	defer ts.Close()
	ctx := startBrowser(t)
	signInBrowser(t, ctx, ts.URL)
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.ID("source"), host.URL+"/show.xml"),
		chromedp.Submit(chromedp.ID("source")),
		chromedp.WaitVisible(chromedp.ID("episode-form")),
	); err != nil {
		t.Fatalf("the chooser: %v", err)
	}
	intro, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#episodes p").textContent`))
	if err != nil || !strings.Contains(intro, "The link") || !strings.Contains(intro, "/show.xml") {
		t.Fatalf("the chooser's intro %q (%v) does not name the link", intro, err)
	}
	doc := chooseSecondEpisode(t, ctx, e)
	if doc.Source.Title != "Episode 2 - The Present" || doc.Source.Type != recap.SourcePodcast {
		t.Fatalf("recapped %+v", doc.Source)
	}
}

// chooseSecondEpisode picks the second episode of the chooser shown in
// ctx, waits for the recap page its job ends on, and returns that recap.
func chooseSecondEpisode(t *testing.T, ctx context.Context, e *testEnv) *recap.Document {
	t.Helper()
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`label[for="ep-2"]`)),
		chromedp.Click(chromedp.ID("choose-episode")),
		chromedp.WaitVisible(chromedp.CSS("article.recap h1")),
	); err != nil {
		t.Fatalf("choose the second episode: %v", err)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	doc, err := e.lib.Get(strings.TrimPrefix(strings.SplitN(loc, "/recaps/", 2)[1], "/"))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}
