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

// TestSummarizeEpisodes lists a feed's episodes, from a file and from a
// link, as a table and as JSON, and refuses what is not a feed.
func TestSummarizeEpisodes(t *testing.T) {
	feedPath := filepath.Join("..", "..", "testdata", "feeds", "example.xml")
	code, out, errOut := runCLI(t, "", "summarize", "--episodes", "--format", "md", feedPath)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	table := regexp.MustCompile(`(?s)Podcasting 2.0 Namespace Example: 3 episodes.*\*1 +2020-10-09 .*Episode 3 - The Future.*\n 2 .*Episode 2 - The Present.*\n 3 .*Episode 1 - The Past`)
	if !table.MatchString(out) {
		t.Fatalf("table:\n%s", out)
	}

	data, err := os.ReadFile(feedPath)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write(data)
	}))
	defer srv.Close()
	code, out, errOut = runCLI(t, "", "summarize", "--episodes", "--format", "json", srv.URL+"/feed.xml")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var list struct {
		Show     string `json:"show"`
		Episodes []struct {
			Number   int    `json:"number"`
			Selector string `json:"selector"`
			Default  bool   `json:"default"`
		} `json:"episodes"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if list.Show != "Podcasting 2.0 Namespace Example" || len(list.Episodes) != 3 || !list.Episodes[0].Default || list.Episodes[1].Selector != "https://example.com/ep0002" {
		t.Fatalf("json: %+v", list)
	}

	for _, bad := range []string{filepath.Join("..", "..", "testdata", "podcast", "transcripts-example.srt"), "not-a-file-or-link"} {
		if code, _, errOut := runCLI(t, "", "summarize", "--episodes", bad); code != 2 {
			t.Errorf("%s: exit %d, want 2: %s", bad, code, errOut)
		}
	}
}
