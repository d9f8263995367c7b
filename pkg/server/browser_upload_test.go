package server

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
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
