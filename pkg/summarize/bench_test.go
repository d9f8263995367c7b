package summarize

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/recap"
)

// longTranscript builds a timed transcript of about the given length from
// the reference talks, repeated one after another with shifted times.
func longTranscript(b *testing.B, hours float64) recap.Transcript {
	b.Helper()
	paths := talkFiles(b, filepath.Join("..", "..", "testdata", "talks"))
	if len(paths) == 0 {
		b.Fatal("no talks in testdata/talks")
	}
	var talks []*Reference
	for _, p := range paths {
		r, err := LoadTalk(p)
		if err != nil {
			b.Fatal(err)
		}
		talks = append(talks, r)
	}
	var out recap.Transcript
	out.Source = recap.Source{Type: recap.SourceYouTube, Title: "Long talk"}
	limit := hours * 3600
	offset := 0.0
	for offset < limit {
		for _, r := range talks {
			for _, u := range r.Transcript.Units {
				s := *u.Start + offset
				if s >= limit {
					break
				}
				u.Start, u.End = recap.Secs(s), recap.Secs(*u.End+offset)
				out.Units = append(out.Units, u)
			}
			offset += r.Transcript.Source.Duration + 5
			if offset >= limit {
				break
			}
		}
	}
	if err := out.Normalize(); err != nil {
		b.Fatal(err)
	}
	return out
}

func benchmarkBuiltin(b *testing.B, hours float64) {
	runBuiltin(b, longTranscript(b, hours))
}

// BenchmarkBuiltinCaptions2h is BenchmarkBuiltin2h on the same talk as
// automatic captions (no punctuation, case or speakers), which the unit
// cutter must split into sentences by the odds of sentence edges.
func BenchmarkBuiltinCaptions2h(b *testing.B) {
	long := longTranscript(b, 2)
	tr := AutoCaptions(&Reference{Transcript: long})
	if err := tr.Normalize(); err != nil {
		b.Fatal(err)
	}
	runBuiltin(b, *tr)
}

func runBuiltin(b *testing.B, tr recap.Transcript) {
	e := NewBuiltin()
	before := cpuTime()
	runs := 0
	for b.Loop() {
		runs++
		doc, err := e.Summarize(context.Background(), &tr, nil)
		if err != nil {
			b.Fatal(err)
		}
		if len(doc.Topics) == 0 {
			b.Fatal("no topics")
		}
	}
	b.ReportMetric(float64((cpuTime()-before).Milliseconds())/float64(runs), "cpu-ms/op")
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "maxrss-MB")
	}
	b.ReportMetric(float64(tr.Words()), "words")
	b.ReportMetric(float64(len(tr.Units)), "cues")
}

// cpuTime is the processor time (user and system) the process has used.
// Benchmarks report it beside wall time because on a busy machine the
// wall time includes waiting for a core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkBuiltin1h(b *testing.B) { benchmarkBuiltin(b, 1) }
func BenchmarkBuiltin2h(b *testing.B) { benchmarkBuiltin(b, 2) }
func BenchmarkBuiltin4h(b *testing.B) { benchmarkBuiltin(b, 4) }
func BenchmarkBuiltin6h(b *testing.B) { benchmarkBuiltin(b, 6) }
