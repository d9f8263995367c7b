package server

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestWalkthroughScreenshots walks through the web app as a new user of a
// fresh clone would (docs/walkthrough.md): sign in, recap a file, a pasted
// transcript, try a junk file, recap an episode of a podcast feed file
// chosen from its list, search, and submit a file twice. It runs only
// when RECAP_SCREENSHOTS names a folder,
// and writes a screenshot of each step there (`make screenshots` writes
// docs/walkthrough/).
func TestWalkthroughScreenshots(t *testing.T) {
	dir := os.Getenv("RECAP_SCREENSHOTS")
	if dir == "" {
		t.Skip("set RECAP_SCREENSHOTS to a folder (make screenshots) to take the walk-through's screenshots")
	}
	needChromium(t)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	ts := httptest.NewServer(e.srv)
	defer ts.Close()
	ctx := startBrowser(t)
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	n := 0
	shot := func(name string) {
		t.Helper()
		n++
		buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%02d-%s.png", n, name)), buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		shot(name)
	}
	upload := func(path string) []chromedp.Action[chromedp.Void] {
		return []chromedp.Action[chromedp.Void]{
			chromedp.Navigate(ts.URL + "/"), chromedp.WaitVisible(chromedp.ID("file")),
			chromedp.SetUploadFiles(chromedp.ID("file"), []string{abs(path)}),
			chromedp.Submit(chromedp.ID("file")),
		}
	}

	step("sign-in", chromedp.Navigate(ts.URL+"/login"), chromedp.WaitVisible(chromedp.ID("password")))
	step("home", chromedp.SendKeys(chromedp.ID("password"), testPassword), chromedp.Submit(chromedp.ID("password")),
		chromedp.WaitVisible(chromedp.ID("source")))
	talk := "../../testdata/talks/bitcoin-explained_bitcoin-core-v23.md"
	step("recap-of-a-file", append(upload(talk), chromedp.WaitVisible(chromedp.CSS("article.recap h1")))...)
	step("pasted-transcript", chromedp.Navigate(ts.URL+"/"), chromedp.WaitVisible(chromedp.ID("source")),
		chromedp.SendKeys(chromedp.ID("source"), pastedTalk))
	step("recap-of-pasted-text", chromedp.Submit(chromedp.ID("source")), chromedp.WaitVisible(chromedp.CSS("article.recap h1")))
	if err := chromedp.Do(ctx, upload("../../icon.png")...); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ { // the refusal is the answer to POST /jobs
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		if strings.HasSuffix(loc, "/jobs") {
			break
		}
		if i == 100 {
			t.Fatalf("junk file: still at %s", loc)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("main h1"))); err != nil {
		t.Fatal(err)
	}
	shot("junk-file-refused")

	// A podcast feed saved as a file; its transcripts are served here.
	vtt, err := os.ReadFile("../../testdata/podcast/transcripts-example.vtt")
	if err != nil {
		t.Fatal(err)
	}
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/vtt")
		w.Write(vtt)
	}))
	defer host.Close()
	feed, err := os.ReadFile("../../testdata/feeds/example.xml")
	if err != nil {
		t.Fatal(err)
	}
	feed = regexp.MustCompile(`(<podcast:transcript[^>]*?url=")https?://[^"]+"`).ReplaceAll(feed, []byte(`${1}`+host.URL+`/t.vtt"`))
	feedFile := filepath.Join(t.TempDir(), "example.xml")
	if err := os.WriteFile(feedFile, feed, 0o600); err != nil {
		t.Fatal(err)
	}
	step("episode-chooser", append(upload(feedFile), chromedp.WaitVisible(chromedp.ID("episode-form")))...)
	step("recap-of-a-feed-file", chromedp.Click(chromedp.CSS(`label[for="ep-2"]`)), chromedp.Click(chromedp.ID("choose-episode")),
		chromedp.WaitVisible(chromedp.CSS("article.recap h1")))

	step("search", chromedp.Navigate(ts.URL+"/library"), chromedp.WaitVisible(chromedp.ID("q")),
		chromedp.SendKeys(chromedp.ID("q"), "fee"), chromedp.Submit(chromedp.ID("q")),
		chromedp.WaitVisible(chromedp.ID("results")))
	step("same-file-again", append(upload(talk), chromedp.WaitVisible(chromedp.ID("duplicate")))...)
}
