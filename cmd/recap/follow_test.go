package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// showHost is a podcast host whose feed gains episodes during a test;
// every episode has the spec's example SRT transcript.
type showHost struct {
	mu       sync.Mutex
	episodes []string             // GUIDs, oldest first
	dates    map[string]time.Time // of episodes published during the test
	srv      *httptest.Server
}

func newShowHost(t *testing.T, guids ...string) *showHost {
	srt, err := os.ReadFile(filepath.Join("..", "..", "testdata", "podcast", "transcripts-example.srt"))
	if err != nil {
		t.Fatal(err)
	}
	h := &showHost{episodes: guids, dates: map[string]time.Time{}}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/t/") {
			w.Write(srt)
			return
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel><title>CLI Show</title>`)
		for i := len(h.episodes) - 1; i >= 0; i-- {
			date, ok := h.dates[h.episodes[i]]
			if !ok {
				date = time.Date(2020, 1, 1+i, 0, 0, 0, 0, time.UTC)
			}
			fmt.Fprintf(w, `<item><title>Episode %s</title><guid>%s</guid><pubDate>%s</pubDate><podcast:transcript url="/t/%s.srt" type="application/srt"/></item>`,
				h.episodes[i], h.episodes[i], date.Format(time.RFC1123Z), h.episodes[i])
		}
		fmt.Fprint(w, `</channel></rss>`)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *showHost) publish(guid string) {
	h.mu.Lock()
	h.episodes = append(h.episodes, guid)
	h.dates[guid] = time.Now()
	h.mu.Unlock()
}

func followList(t *testing.T, list func() (int, string, string)) []followJSON {
	t.Helper()
	code, out, errOut := list()
	var fs []followJSON
	if code != 0 || json.Unmarshal([]byte(out), &fs) != nil {
		t.Fatalf("follow list: exit %d: %s %s", code, out, errOut)
	}
	return fs
}

// The follow commands in single mode, with recap follow check doing the
// check itself when no service runs.
func TestFollowCommands(t *testing.T) {
	host := newShowHost(t, "a", "b")
	data := t.TempDir()
	code, out, errOut := runCLI(t, "", "follow", "add", "--data", data, "--last", "1", host.srv.URL+"/feed.xml")
	if code != 0 || !strings.Contains(out, "Following CLI Show (podcast)") || !strings.Contains(out, "The 1 newest items") {
		t.Fatalf("follow add: exit %d: %s %s", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, "", "follow", "add", "--data", data, host.srv.URL+"/feed.xml"); code != 2 || !strings.Contains(errOut, "already") {
		t.Fatalf("second add: exit %d: %s", code, errOut)
	}
	if code, _, errOut := runCLI(t, "", "follow", "add", "--data", data, "--user", "x@example.org", host.srv.URL+"/other.xml"); code != 2 || !strings.Contains(errOut, "single mode") {
		t.Fatalf("--user in single mode: exit %d: %s", code, errOut)
	}
	if code, _, errOut := runCLI(t, "", "follow", "add", "--data", data, "https://www.youtube.com/channel/nope"); code != 2 {
		t.Fatalf("a bad channel link: exit %d: %s", code, errOut)
	}
	list := func() (int, string, string) { return runCLI(t, "", "follow", "list", "--data", data, "--json") }
	fs := followList(t, list)
	if len(fs) != 1 || fs[0].Title != "CLI Show" || fs[0].LastCheck != "" {
		t.Fatalf("follows: %+v", fs)
	}
	code, out, errOut = runCLI(t, "", "follow", "check", "--data", data)
	if code != 0 || !strings.Contains(out, "Checked 1 feeds (0 unchanged, 0 failed): 1 new items, 1 recapped.") {
		t.Fatalf("follow check: exit %d: %s %s", code, out, errOut)
	}
	host.publish("c")
	code, out, _ = runCLI(t, "", "follow", "check", "--data", data)
	if code != 0 || !strings.Contains(out, "1 new items, 1 recapped.") {
		t.Fatalf("second check: %s", out)
	}
	code, out, _ = runCLI(t, "", "library", "list", "--data", data)
	if code != 0 || strings.Count(out, "Episode") != 2 || !strings.Contains(out, "Episode b") || !strings.Contains(out, "Episode c") {
		t.Fatalf("library after two checks:\n%s", out)
	}
	fs = followList(t, list)
	if fs[0].Unread != 2 || fs[0].LastCheck == "" {
		t.Fatalf("follow after the checks: %+v", fs[0])
	}
	code, out, _ = runCLI(t, "", "follow", "list", "--data", data)
	if code != 0 || !strings.Contains(out, "CLI Show") || !strings.Contains(out, "ok") {
		t.Fatalf("follow list:\n%s", out)
	}
	if code, out, _ := runCLI(t, "", "follow", "pause", "--data", data, fs[0].ID); code != 0 || !strings.Contains(out, "Paused") {
		t.Fatalf("pause: %s", out)
	}
	if fs = followList(t, list); !fs[0].Paused {
		t.Fatalf("not paused: %+v", fs[0])
	}
	if code, _, _ := runCLI(t, "", "follow", "resume", "--data", data, fs[0].ID); code != 0 {
		t.Fatal("resume failed")
	}
	if code, _, errOut := runCLI(t, "", "follow", "remove", "--data", data, "nosuchfollow"); code != 2 || !strings.Contains(errOut, "no follow") {
		t.Fatalf("remove of an unknown id: exit %d %s", code, errOut)
	}
	if code, out, _ := runCLI(t, "", "follow", "remove", "--data", data, fs[0].ID); code != 0 || !strings.Contains(out, "No longer following CLI Show") {
		t.Fatalf("remove: %s", out)
	}
	if fs = followList(t, list); len(fs) != 0 {
		t.Fatalf("after remove: %+v", fs)
	}
}

// The scheduler in recap serve: a follow added from the command line
// while the service runs is checked by the service, recap follow check
// asks the running service, and the Properties page counts the follows.
func TestServeChecksFollows(t *testing.T) {
	v := newTestVolume(t)
	host := newShowHost(t, "a")
	cmd := v.serve()
	defer v.stop(cmd)
	code, out, errOut := v.run("", "follow", "add", "--data", v.data, host.srv.URL+"/feed.xml")
	if code != 0 {
		t.Fatalf("follow add: exit %d: %s %s", code, out, errOut)
	}
	list := func() (int, string, string) { return v.run("", "follow", "list", "--data", v.data, "--json") }
	deadline := time.Now().Add(90 * time.Second)
	for followList(t, list)[0].LastCheck == "" {
		if time.Now().After(deadline) {
			t.Fatal("the service did not check the new follow")
		}
		time.Sleep(200 * time.Millisecond)
	}
	host.publish("b")
	code, out, _ = v.run("", "follow", "check", "--data", v.data)
	if code != 0 || !strings.Contains(out, "Asked the running Recap") {
		t.Fatalf("follow check beside the service: exit %d: %s", code, out)
	}
	for followList(t, list)[0].Unread != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("the new episode was not recapped: %+v", followList(t, list))
		}
		time.Sleep(200 * time.Millisecond)
	}
	stats, err := os.ReadFile(filepath.Join(v.data, "start9", "stats.yaml"))
	if err != nil || !strings.Contains(string(stats), "Followed Shows") {
		t.Fatalf("Properties page: %s %v", stats, err)
	}
}
