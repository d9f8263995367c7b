package jobs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/summarize"
	"github.com/recap-startos/recap/pkg/transcript"
)

// writeTalkVTT writes a WebVTT file of the given length made of the real
// talks in testdata/talks, ten words a cue and 3.6 seconds a cue (about
// 10,000 words and 1,000 cues an hour), and returns its path.
func writeTalkVTT(b *testing.B, length time.Duration) string {
	b.Helper()
	paths, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "talks", "*.md"))
	var words []string
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "---") || strings.Contains(line, ": ") {
				continue
			}
			words = append(words, strings.Fields(line)...)
		}
	}
	if len(words) == 0 {
		b.Fatal("no words in testdata/talks")
	}
	var sb strings.Builder
	sb.WriteString("WEBVTT\n\n")
	clock := func(s float64) string {
		d := time.Duration(s * float64(time.Second))
		return fmt.Sprintf("%02d:%02d:%02d.%03d", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60, d.Milliseconds()%1000)
	}
	for i, t := 0, 0.0; t < length.Seconds(); i, t = i+10, t+3.6 {
		cue := make([]string, 10)
		for k := range cue {
			cue[k] = words[(i+k)%len(words)]
		}
		fmt.Fprintf(&sb, "%s --> %s\n%s\n\n", clock(t), clock(t+3.5), strings.Join(cue, " "))
	}
	p := filepath.Join(b.TempDir(), "talk.vtt")
	if err := os.WriteFile(p, []byte(sb.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkFileToRecap2h is the main job end to end: a two-hour WebVTT
// file read, parsed, normalized and made into a validated recap document
// by the builtin engine.
func BenchmarkFileToRecap2h(b *testing.B) {
	path := writeTalkVTT(b, 2*time.Hour)
	engine := summarize.NewBuiltin()
	b.ResetTimer()
	for b.Loop() {
		doc, err := Process(context.Background(), Input{Source: path}, transcript.Options{LocalFiles: true}, engine, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(doc.Stats.Words), "words")
		b.ReportMetric(float64(len(doc.Topics)), "topics")
	}
}
