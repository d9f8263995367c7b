package transcript

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// longVTT builds a WebVTT document of about two hours by repeating the
// cues of a real file, each copy shifted to start where the last ended.
func longVTT(tb testing.TB, file string, cues int) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(testdataDir(tb), file))
	if err != nil {
		tb.Fatal(err)
	}
	type block struct {
		start, end float64
		text       string
	}
	var blocks []block
	ls := lines(decodeText(data))
	for i := 0; i < len(ls); i++ {
		start, end, _, ok := parseTiming(ls[i])
		if !ok {
			continue
		}
		var text []string
		for i++; i < len(ls) && strings.TrimSpace(ls[i]) != ""; i++ {
			text = append(text, ls[i])
		}
		blocks = append(blocks, block{start, end, strings.Join(text, "\n")})
	}
	if len(blocks) == 0 {
		tb.Fatalf("no cues in %s", file)
	}
	span := blocks[len(blocks)-1].end
	clock := func(s float64) string {
		ms := int64(s*1000 + 0.5)
		return fmt.Sprintf("%02d:%02d:%02d.%03d", ms/3600000, ms/60000%60, ms/1000%60, ms%1000)
	}
	var b strings.Builder
	b.WriteString("WEBVTT\n\n")
	for n := 0; n < cues; n++ {
		c := blocks[n%len(blocks)]
		off := float64(n/len(blocks)) * span
		fmt.Fprintf(&b, "%d\n%s --> %s\n%s\n\n", n+1, clock(c.start+off), clock(c.end+off), c.text)
	}
	return []byte(b.String())
}

// BenchmarkParseVTT2h parses a two-hour WebVTT transcript of 2,000 cues
// and about 19,000 words.
func BenchmarkParseVTT2h(b *testing.B) {
	data := longVTT(b, "podcast/transcripts-example.vtt", 2000)
	tr, err := Parse("long.vtt", data, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("long.vtt", data, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(tr.Units)), "units")
	b.ReportMetric(float64(tr.Words()), "words")
	b.ReportMetric(tr.LastTime()/3600, "hours")
}
