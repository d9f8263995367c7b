package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"testing"

	"github.com/recap-startos/recap/pkg/jobs"
	"github.com/recap-startos/recap/pkg/recap"
)

// TestUploadFeedFile uploads a podcast feed file: the newest episode with
// a transcript is recapped, and the recap names it.
func TestUploadFeedFile(t *testing.T) {
	t.Parallel()
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

	e := newEnv(t)
	tok := e.login(t)
	body, ctype := multipartFile(t, "file", "example.xml", feed)
	w := e.do(t, request{method: "POST", path: "/api/recaps", ctype: ctype, body: body, cookie: tok})
	if w.Code != http.StatusAccepted {
		t.Fatalf("upload: %d %s", w.Code, w.Body)
	}
	var res submitResponse
	if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if st := e.waitJob(t, res.JobID); st.Status != jobs.StatusDone {
		t.Fatalf("job: %+v %+v", st, st.Error)
	}
	w = e.do(t, request{method: "GET", path: "/api/recaps/" + res.RecapID, cookie: tok})
	var doc recap.Document
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if doc.Source.Type != recap.SourcePodcast || doc.Source.Title != "Episode 3 - The Future" || doc.Source.Channel != "Podcasting 2.0 Namespace Example" {
		t.Fatalf("source %+v", doc.Source)
	}
	w = e.do(t, request{method: "GET", path: "/recaps/" + res.RecapID, cookie: tok})
	if w.Code != http.StatusOK || !regexp.MustCompile(`Episode 3 - The Future`).Match(w.Body.Bytes()) {
		t.Fatalf("recap page does not name the episode: %d", w.Code)
	}
}
