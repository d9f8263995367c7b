package summarize

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

func TestPkAndWindowDiff(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		ref, hyp []int
		n, k     int
		pk, wd   float64
	}{
		{"identical", []int{0, 5}, []int{0, 5}, 10, 2, 0, 0},
		{"missed boundary", []int{0, 5}, []int{0}, 10, 2, 2.0 / 8, 2.0 / 8},
		{"boundary one unit late", []int{0, 5}, []int{0, 6}, 10, 2, 2.0 / 8, 2.0 / 8},
		// Two boundaries near one: Pk misses the extra one in the
		// window that spans both, WindowDiff counts it.
		{"extra boundary next to a true one", []int{0, 5}, []int{0, 4, 5}, 10, 2, 1.0 / 8, 2.0 / 8},
		{"every unit a segment", []int{0}, []int{0, 1, 2, 3, 4}, 5, 1, 1, 1},
		{"window as long as the text", []int{0, 2}, []int{0}, 3, 3, 0, 0},
		{"unsorted and duplicated starts", []int{5, 0}, []int{6, 0, 6}, 10, 2, 2.0 / 8, 2.0 / 8},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Pk(c.ref, c.hyp, c.n, c.k); math.Abs(got-c.pk) > 1e-12 {
				t.Errorf("Pk = %v, want %v", got, c.pk)
			}
			if got := WindowDiff(c.ref, c.hyp, c.n, c.k); math.Abs(got-c.wd) > 1e-12 {
				t.Errorf("WindowDiff = %v, want %v", got, c.wd)
			}
		})
	}
}

func TestWindowK(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		ref  []int
		n, k int
	}{
		{"two segments of five", []int{0, 5}, 10, 3}, // 2.5 rounds up
		{"three segments of four", []int{0, 4, 8}, 12, 2},
		{"one short segment", []int{0}, 1, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := WindowK(c.ref, c.n); got != c.k {
				t.Errorf("WindowK = %d, want %d", got, c.k)
			}
		})
	}
}

func TestEqualSplit(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		weights []float64
		k       int
		want    []int
	}{
		{"equal units", []float64{1, 1, 1, 1, 1, 1, 1, 1, 1}, 3, []int{0, 3, 6}},
		{"a long first unit", []float64{6, 1, 1, 1, 1, 1, 1}, 2, []int{0, 1}},
		{"more parts than units", []float64{1, 1}, 5, []int{0, 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := EqualSplitWeighted(c.weights, c.k); !slices.Equal(got, c.want) {
				t.Errorf("EqualSplitWeighted = %v, want %v", got, c.want)
			}
		})
	}
	if got := EqualSplit(10, 3); !slices.Equal(got, []int{0, 3, 6}) {
		t.Errorf("EqualSplit(10, 3) = %v", got)
	}
}

// A heading in the middle of a turn starts its section at the cue that
// holds the paragraph after it, not at the next turn.
func TestLoadTalkHeadingInsideTurn(t *testing.T) {
	words := func(n int, w string) string { return strings.TrimSpace(strings.Repeat(w+" ", n)) }
	body := "---\ntitle: T\n---\n## Intro\n\nAda: 00:00:00\n\n" + words(25, "hello") +
		"\n\nBob: 00:01:00\n\n" + words(40, "alpha") + "\n\n## Beta part\n\n" + words(40, "beta") +
		"\n\n## Gamma\n\n" + words(5, "gamma") + "\n\nAda: 00:03:00\n\n" + words(10, "delta") + "\n"
	ref := loadTalkText(t, body)
	// Ada's 25 words are cues 0-2; Bob's 85 words cues 3-11, "beta" from
	// his word 40 (cue 7) and "gamma" from word 80 (cue 11).
	if want := []int{0, 7, 11}; !slices.Equal(ref.Starts, want) {
		t.Fatalf("starts %v, want %v", ref.Starts, want)
	}
	if want := []string{"Intro", "Beta part", "Gamma"}; !slices.Equal(ref.Titles, want) {
		t.Fatalf("titles %q, want %q", ref.Titles, want)
	}
	if got := ref.Transcript.Units[7].Text; !strings.HasPrefix(got, "beta") {
		t.Fatalf("cue 7 is %q, want the beta paragraph", got)
	}
}

// Text before the first timed turn is an opening section of its own,
// timed back from that turn at speaking pace as the parser times it.
func TestLoadTalkUntimedOpening(t *testing.T) {
	body := "---\ntitle: T\n---\n## Introduction\n\n" + strings.TrimSpace(strings.Repeat("welcome ", 50)) +
		"\n\n## Guests\n\nAda: 00:01:30\n\n" + strings.TrimSpace(strings.Repeat("hello ", 20)) + "\n"
	ref := loadTalkText(t, body)
	if want := []int{0, 5}; !slices.Equal(ref.Starts, want) {
		t.Fatalf("starts %v, want %v", ref.Starts, want)
	}
	if want := []string{"Introduction", "Guests"}; !slices.Equal(ref.Titles, want) {
		t.Fatalf("titles %q, want %q", ref.Titles, want)
	}
	if got := *ref.Transcript.Units[0].Start; got != 70 {
		t.Fatalf("the opening starts at %v, want 70 (50 words before 1:30)", got)
	}
}

// loadTalkText loads a talk given as the text of its Markdown file.
func loadTalkText(t *testing.T, body string) *Reference {
	t.Helper()
	path := filepath.Join(t.TempDir(), "talk.md")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	ref, err := LoadTalk(path)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// talkFiles returns the Markdown talks of dir, sorted, without its
// SOURCES.md; none when dir is missing.
func talkFiles(tb testing.TB, dir string) []string {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.md"))
	if err != nil {
		tb.Fatal(err)
	}
	sort.Strings(paths)
	return slices.DeleteFunc(paths, func(p string) bool { return filepath.Base(p) == "SOURCES.md" })
}
