package transcript

import (
	"os"
	"path/filepath"
	"testing"
)

// TestParseExternal parses long real transcripts whose licences keep them
// out of this repository (GPL and CC BY-SA). They are read from the
// shared data folder beside the checkout when it exists; the test skips
// otherwise. It checks invariants only, so nothing of their text is kept.
func TestParseExternal(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(moduleRoot(t), "..", "shared", "external", "subtitles")
	if _, err := os.Stat(dir); err != nil {
		t.Skip("no shared external test data beside the checkout")
	}
	cases := []struct {
		file     string
		minUnits int
		timed    bool
	}{
		{"talkpython/064_pypi.vtt", 500, true},
		{"talkpython/444-young-success-blueprint.vtt", 800, true},
		{"talkpython/064_pypi.txt", 100, true},
		{"changelog-transcripts/go-time-340.md", 300, true},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(tc.file)))
			if os.IsNotExist(err) {
				t.Skip("file not present")
			}
			if err != nil {
				t.Fatal(err)
			}
			tr, err := Parse(filepath.Base(tc.file), data, Options{})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			checkInvariants(t, tr)
			if len(tr.Units) < tc.minUnits {
				t.Errorf("%d units, want at least %d", len(tr.Units), tc.minUnits)
			}
			if tr.Timed() != tc.timed {
				t.Errorf("timed %v, want %v", tr.Timed(), tc.timed)
			}
			// Zero-length cue repeats ("Bye." many times over) are folded
			// away.
			for i := 1; i < len(tr.Units) && filepath.Ext(tc.file) == ".vtt"; i++ {
				a, b := tr.Units[i-1], tr.Units[i]
				if a.Text == b.Text && a.Start != nil && *a.Start == *b.Start {
					t.Errorf("units %d and %d repeat %q at the same time", i-1, i, a.Text)
					break
				}
			}
			t.Logf("%d units, %d words, %d chapters, %.0f s", len(tr.Units), tr.Words(), len(tr.Chapters), tr.LastTime())
		})
	}
}
