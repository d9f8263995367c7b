package server

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/jobs"
	"github.com/recap-startos/recap/pkg/library"
)

// TestRequestLog: at info level a browsing session logs no line per
// request, only a summary (per minute, and at Close); at debug level each
// request has its line.
func TestRequestLog(t *testing.T) {
	t.Parallel()
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelDebug} {
		t.Run(level.String(), func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: level}))
			dir := t.TempDir()
			lib, err := library.Open(filepath.Join(dir, "history"), "")
			if err != nil {
				t.Fatal(err)
			}
			e := buildEnv(t, dir, lib, func(_ *jobs.Config, o *Options) { o.Log = log })
			tok := e.login(t)
			for range 20 {
				e.do(t, request{method: "GET", path: "/library", cookie: tok})
			}
			e.do(t, request{method: "GET", path: "/recaps/nosuchrecap", cookie: tok})
			perRequest := strings.Count(buf.String(), "msg=request ")
			e.srv.Close()
			out := buf.String()
			summaries := strings.Count(out, "msg=requests ")
			switch level {
			case slog.LevelInfo:
				if perRequest != 0 {
					t.Errorf("%d request lines at info level:\n%s", perRequest, out)
				}
			case slog.LevelDebug:
				if perRequest != 22 {
					t.Errorf("%d request lines at debug level, want 22", perRequest)
				}
			}
			if summaries != 1 || !strings.Contains(out, "count=22") || !strings.Contains(out, "ok_2xx=20") || !strings.Contains(out, "client_4xx=1") {
				t.Errorf("summary:\n%s", out)
			}
		})
	}
}

// TestRequestSummaryPerMinute: the summary is written by the first
// request a minute after the period started, and a new period starts.
func TestRequestSummaryPerMinute(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	var st requestStats
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	for i := range 30 {
		st.add(log, "/library", 200, time.Duration(i)*time.Millisecond, t0.Add(time.Duration(i)*time.Second))
	}
	if buf.Len() != 0 {
		t.Fatalf("summary before a minute: %s", buf.String())
	}
	st.add(log, "/recaps/x", 500, time.Second, t0.Add(61*time.Second))
	out := buf.String()
	if !strings.Contains(out, "count=31") || !strings.Contains(out, "server_5xx=1") || !strings.Contains(out, "slowest_path=/recaps/x") {
		t.Fatalf("summary: %s", out)
	}
	buf.Reset()
	st.flush(log, t0.Add(62*time.Second))
	if buf.Len() != 0 {
		t.Fatalf("a new period with no requests was summarized: %s", buf.String())
	}
}
