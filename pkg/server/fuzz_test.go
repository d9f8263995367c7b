package server

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/jobs"
	"github.com/recap-startos/recap/pkg/library"
	"github.com/recap-startos/recap/pkg/transcript"
)

// loopbackOnly is an HTTP client that never resolves a name nor dials
// anything but a loopback address literal, so whatever URL a fuzzer
// invents, jobs started by it stay on this machine.
var loopbackOnly = &http.Client{
	Timeout: 2 * time.Second,
	Transport: &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if ip, err := netip.ParseAddr(host); err != nil || !ip.IsLoopback() {
				return nil, errors.New("fuzz: only loopback addresses are dialled")
			}
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	},
}

// fuzzEnv is a single-mode server whose jobs can only reach loopback.
func fuzzEnv(t testing.TB) (*testEnv, string) {
	t.Helper()
	dir := t.TempDir()
	lib, err := library.Open(filepath.Join(dir, "history"), "")
	if err != nil {
		t.Fatal(err)
	}
	e := buildEnv(t, dir, lib, func(jc *jobs.Config, _ *Options) {
		jc.Options = transcript.Options{HTTPClient: loopbackOnly, YouTubeBaseURL: "http://127.0.0.1:1", MaxBytes: 1 << 20}
	})
	return e, e.login(t)
}

// FuzzSubmit posts arbitrary JSON bodies to POST /api/recaps: every
// answer is a 2xx, a 4xx with a JSON error, or 503 when the queue is full
// (the fuzzer submits far faster than jobs finish), never another 5xx.
func FuzzSubmit(f *testing.F) {
	for _, s := range []string{
		`{"url":"https://www.youtube.com/watch?v=dQw4w9WgXcQ"}`, `{"url":"https://youtu.be/x"}`, `{"url":"ftp://x"}`,
		`{"text":"One sentence. Another sentence here."}`, `{"text":""}`, `{"url":"","text":""}`, `{}`, `[]`, `null`,
		`{"url":"http://127.0.0.1:1/a.vtt"}`, `{"url":"file:///etc/passwd"}`, `{"text":"x","engine":"magic"}`, `{"url":1}`,
	} {
		f.Add(s)
	}
	e, tok := fuzzEnv(f)
	f.Fuzz(func(t *testing.T, body string) {
		w := e.do(t, request{method: "POST", path: "/api/recaps", ctype: "application/json", cookie: tok, body: strings.NewReader(body)})
		if w.Code >= 500 && w.Code != http.StatusServiceUnavailable {
			t.Fatalf("%q: status %d %s", body, w.Code, w.Body)
		}
		if w.Code >= 400 {
			var problem struct {
				Error struct{ Code string } `json:"error"`
			}
			if json.Unmarshal(w.Body.Bytes(), &problem) != nil || problem.Error.Code == "" {
				t.Fatalf("%q: %d without a JSON error: %s", body, w.Code, w.Body)
			}
		}
	})
}

// FuzzListQuery sends arbitrary listing parameters to GET /api/recaps.
func FuzzListQuery(f *testing.F) {
	f.Add("garden", "", "newest", "", "20")
	f.Add("kube", "o40", "title", "youtube", "100")
	f.Add("", "o-1", "relevance", "podcast", "0")
	f.Add("\x00", "oo", "x", "../", "9999999999999")
	e, tok := fuzzEnv(f)
	f.Fuzz(func(t *testing.T, q, cursor, sort, typ, limit string) {
		v := url.Values{"q": {q}, "cursor": {cursor}, "sort": {sort}, "type": {typ}, "limit": {limit}}
		w := e.do(t, request{method: "GET", path: "/api/recaps?" + v.Encode(), cookie: tok})
		if w.Code >= 500 {
			t.Fatalf("%v: status %d %s", v, w.Code, w.Body)
		}
		if w.Code == 200 {
			var page library.PageJSON
			if err := json.Unmarshal(w.Body.Bytes(), &page); err != nil {
				t.Fatalf("%v: %v", v, err)
			}
		}
	})
}

// FuzzChooseEpisode posts arbitrary choices for an uploaded feed file
// waiting for its episode: the answer is the job (303), the chooser
// again with the reason (400) or the duplicate page (200), never a 5xx.
func FuzzChooseEpisode(f *testing.F) {
	f.Add("https://example.com/ep0002", "")
	f.Add("", "The Past")
	f.Add("", "0")
	f.Add("\x00", "-1")
	f.Add("", "99999999999999999999")
	e, tok := fuzzEnv(f)
	feed := localFeed(f)
	f.Fuzz(func(t *testing.T, episode, other string) {
		token := chooserOf(t, e.postForm(t, tok, nil, "example.xml", feed))
		w := e.do(t, request{method: "POST", path: "/uploads/" + token, cookie: tok, ctype: formType,
			body: strings.NewReader(url.Values{"episode": {episode}, "other": {other}}.Encode())})
		switch w.Code {
		case http.StatusSeeOther, http.StatusBadRequest, http.StatusOK, http.StatusServiceUnavailable:
		default:
			t.Fatalf("%q %q: status %d %s", episode, other, w.Code, w.Body)
		}
	})
}
