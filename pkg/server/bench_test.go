package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/library"
	"github.com/recap-startos/recap/pkg/recap"
	"github.com/recap-startos/recap/pkg/summarize"
	"github.com/recap-startos/recap/pkg/transcript"
)

// benchRecaps is the library size the speed targets are stated for.
const benchRecaps = 10_000

// benchData returns a data folder with benchRecaps recaps and a built
// index. The recaps are real builtin-engine recaps of ten-minute windows
// of the talks in testdata (60 distinct ones), each filed many times
// under its own id and a title with its own number, so every entry has
// the vocabulary of a real ten-minute recap. RECAP_BENCH_DATA names a
// folder to build it in (and reuse on later runs), for measuring a real
// `recap serve` on it; otherwise it is built in a temporary folder.
func benchData(b *testing.B) string {
	b.Helper()
	dir := os.Getenv("RECAP_BENCH_DATA")
	if dir == "" {
		dir = b.TempDir()
	}
	history := filepath.Join(dir, "history")
	if des, err := os.ReadDir(history); err == nil && len(des) >= benchRecaps {
		return dir
	}
	if err := os.MkdirAll(history, 0o700); err != nil {
		b.Fatal(err)
	}
	docs := benchDocs(b)
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range benchRecaps {
		d := *docs[i%len(docs)]
		at := base.Add(time.Duration(i) * time.Minute)
		d.ID = fmt.Sprintf("%s-b%07d", at.Format("20060102-150405"), i)
		d.CreatedAt = at
		d.Title = fmt.Sprintf("%s (%d)", d.Title, i)
		data, err := json.Marshal(&d)
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(history, d.ID+".json"), data, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	// Opening once builds the persisted index the timed starts read.
	if _, err := library.Open(history, filepath.Join(dir, "cache", "library-index")); err != nil {
		b.Fatal(err)
	}
	return dir
}

func benchDocs(b *testing.B) []*recap.Document {
	talks, _ := filepath.Glob("../../testdata/talks/*.md")
	var docs []*recap.Document
	engine := summarize.NewBuiltin()
	for _, talk := range talks {
		data, err := os.ReadFile(talk)
		if err != nil {
			b.Fatal(err)
		}
		t, err := transcript.Parse(filepath.Base(talk), data, transcript.Options{})
		if err != nil {
			b.Fatal(err)
		}
		for w := 0; len(docs) < 60 && w < 20; w++ {
			from, to := float64(w)*150, float64(w)*150+600
			var units []recap.Unit
			for _, u := range t.Units {
				if u.Start != nil && *u.Start >= from && *u.Start < to {
					units = append(units, u)
				}
			}
			if len(units) < 20 {
				break
			}
			win := &recap.Transcript{Source: t.Source, Units: units}
			if err := win.Normalize(); err != nil {
				b.Fatal(err)
			}
			doc, err := engine.Summarize(context.Background(), win, nil)
			if err != nil {
				b.Fatal(err)
			}
			doc.Version, doc.Source = recap.Version, win.Source
			docs = append(docs, doc)
		}
	}
	if len(docs) == 0 {
		b.Fatal("no talks in testdata")
	}
	return docs
}

// benchServer opens the 10,000-recap library and a signed-in session.
func benchServer(b *testing.B) (*testEnv, string) {
	b.Helper()
	dir := benchData(b)
	lib, err := library.Open(filepath.Join(dir, "history"), filepath.Join(dir, "cache", "library-index"))
	if err != nil {
		b.Fatal(err)
	}
	if lib.Len() < benchRecaps {
		b.Fatalf("library holds %d recaps", lib.Len())
	}
	state := b.TempDir()
	e := newEnvWith(b, state, lib)
	return e, e.login(b)
}

// measure runs the request b.N times and reports the 50th and 99th
// percentile latency.
func measure(b *testing.B, e *testEnv, tok string, paths []string) {
	b.Helper()
	durs := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		req := httptest.NewRequest("GET", paths[i%len(paths)], nil)
		req.RemoteAddr = "127.0.0.1:40000"
		req.AddCookie(&http.Cookie{Name: "recap_session", Value: tok})
		w := httptest.NewRecorder()
		start := time.Now()
		e.srv.ServeHTTP(w, req)
		durs = append(durs, time.Since(start))
		if w.Code != 200 {
			b.Fatalf("GET %s: %d", req.URL, w.Code)
		}
	}
	b.StopTimer()
	slices.Sort(durs)
	pct := func(p float64) float64 {
		return float64(durs[min(len(durs)-1, int(float64(len(durs))*p))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

var benchQueries = []string{"lightning", "fee", "watchtower privacy", "bitcoin core", "relay", "taproot", "mempool policy", "chan"}

func BenchmarkList10k(b *testing.B) {
	e, tok := benchServer(b)
	measure(b, e, tok, []string{"/api/recaps", "/api/recaps?cursor=o4000&limit=50", "/api/recaps?sort=title", "/api/recaps?type=file"})
}

func BenchmarkSearch10k(b *testing.B) {
	e, tok := benchServer(b)
	var paths []string
	for _, q := range benchQueries {
		paths = append(paths, "/api/recaps?q="+strings.ReplaceAll(q, " ", "+"))
	}
	measure(b, e, tok, paths)
}

func BenchmarkLibraryPage10k(b *testing.B) {
	e, tok := benchServer(b)
	paths := []string{"/library", "/library?cursor=o5000"}
	for _, q := range benchQueries {
		paths = append(paths, "/library?q="+strings.ReplaceAll(q, " ", "+"))
	}
	measure(b, e, tok, paths)
}

// BenchmarkStart10k measures opening the library from its persisted
// index, starting the job queue and the server, and answering /healthz.
// (Memory is measured on the real binary; see docs/perf.md.)
func BenchmarkStart10k(b *testing.B) {
	dir := benchData(b)
	// The first open after the recaps were written builds the index cache.
	if _, err := library.Open(filepath.Join(dir, "history"), filepath.Join(dir, "cache", "library-index")); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		lib, err := library.Open(filepath.Join(dir, "history"), filepath.Join(dir, "cache", "library-index"))
		if err != nil {
			b.Fatal(err)
		}
		e := newEnvWith(b, b.TempDir(), lib)
		if w := e.do(b, request{method: "GET", path: "/healthz"}); w.Code != 200 {
			b.Fatal(w.Code)
		}
		b.StopTimer()
		e.srv.Close()
		e.jobs.Shutdown(context.Background())
		b.StartTimer()
	}
}
