package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/recap-startos/recap/pkg/recap"
)

// localFeed writes testdata/feeds/example.xml to a temporary file with its
// transcript links moved to a local server that serves a real podcast
// transcript for each.
func localFeed(t *testing.T) string {
	t.Helper()
	vtt, err := os.ReadFile(filepath.Join("..", "..", "testdata", "podcast", "transcripts-example.vtt"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/vtt")
		w.Write(vtt)
	}))
	t.Cleanup(srv.Close)
	feed, err := os.ReadFile(filepath.Join("..", "..", "testdata", "feeds", "example.xml"))
	if err != nil {
		t.Fatal(err)
	}
	links := regexp.MustCompile(`(<podcast:transcript[^>]*?url=")https?://[^"]+"`)
	feed = links.ReplaceAll(feed, []byte(`${1}`+srv.URL+`/transcript.vtt"`))
	path := filepath.Join(t.TempDir(), "example.xml")
	if err := os.WriteFile(path, feed, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSummarizeFeedFile(t *testing.T) {
	feed := localFeed(t)
	for _, tc := range []struct {
		args  []string
		title string
	}{
		{[]string{feed}, "Episode 3 - The Future"},
		{[]string{"--episode", "2", feed}, "Episode 2 - The Present"},
	} {
		code, out, errOut := runCLI(t, "", append([]string{"summarize", "--quiet", "--format", "json"}, tc.args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", tc.args, code, errOut)
		}
		var doc recap.Document
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Source.Type != recap.SourcePodcast || doc.Source.Title != tc.title || !doc.Timed() {
			t.Fatalf("%v: source %+v", tc.args, doc.Source)
		}
	}
	code, _, errOut := runCLI(t, "", "summarize", "--quiet", "--episode", "9", feed)
	if code != exitBadInput || !regexp.MustCompile(`has 3 episodes`).MatchString(errOut) {
		t.Fatalf("--episode 9: exit %d: %s", code, errOut)
	}
}
