package transcript

import (
	"fmt"
	"strings"
	"testing"
)

// vttOf builds a WebVTT file of n cues, each of words words, one every
// step seconds.
func vttOf(n, words int, step float64) string {
	var b strings.Builder
	b.WriteString("WEBVTT\n\n")
	ts := func(s float64) string {
		return fmt.Sprintf("%02d:%02d:%06.3f", int(s)/3600, int(s)%3600/60, s-float64(int(s)/60*60))
	}
	for i := range n {
		start := float64(i) * step
		fmt.Fprintf(&b, "%s --> %s\n", ts(start), ts(start+step))
		for w := range words {
			fmt.Fprintf(&b, "c%dw%d ", i, w)
		}
		b.WriteString("\n\n")
	}
	return b.String()
}

// TestWordLimits: absurd transcripts are refused with a message naming
// the setting; ordinary ones are not.
func TestWordLimits(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		data string
		opt  Options
		msg  string // "" for accepted
	}{
		{"ordinary talk", vttOf(600, 20, 6), Options{}, ""},                                     // 12,000 words in an hour
		{"short clip with an hour's worth", vttOf(100, 200, 3), Options{}, ""},                  // 20,000 words in 5 minutes
		{"too many words an hour", vttOf(2000, 40, 3), Options{}, "words an hour"},              // 80,000 words in 100 minutes
		{"too many words", vttOf(3000, 30, 3), Options{MaxWords: 50_000}, "the limit is 50000"}, // 90,000 words
		{"untimed text over the limit", strings.Repeat("word ", 60_000), Options{MaxWords: 50_000}, "the limit is 50000"},
		{"absurd input refused before parsing", vttOf(20, 20_000, 1), Options{MaxWords: 1000}, "far more than the 1000 words"},
		{"custom hourly limit", vttOf(600, 20, 6), Options{MaxWordsPerHour: 10_000}, "more than 10000 words an hour"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			name := "talk.vtt"
			if !strings.HasPrefix(c.data, "WEBVTT") {
				name = "talk.txt"
			}
			_, err := Parse(name, []byte(c.data), c.opt)
			if c.msg == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			checkError(t, err, KindTooLong, c.msg)
		})
	}
}
