package transcript

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/recap"
)

// vttjsDifferences are the vtt.js inputs we read differently on purpose,
// with the reason.
var vttjsDifferences = map[string]string{
	// We accept timestamps the current draft rejects, because real files
	// have them: two fraction digits, long seconds, minutes over 59
	// without hours.
	"cue-times/fraction-digits.vtt":          "lenient timing",
	"cue-times/min-mid-digits.vtt":           "lenient timing",
	"cue-times/minimum-spots-over-sixty.vtt": "lenient timing",
	// vtt.js drops a block whose "-->" line is not a timing and goes on;
	// we refuse the file and name the line, because a silently shortened
	// transcript is worse than an error.
	"integration/arrows.vtt": "strict timing lines",
	"integration/id.vtt":     "strict timing lines",
	// A "<" without its ">" hides the rest of the cue in a browser; we
	// keep the words.
	"cuetext/voice/no-end-gt.vtt":                 "unclosed tag kept as text",
	"cuetext/tag-format/no-closing-gt.vtt":        "unclosed tag kept as text",
	"cuetext/tag-format/start-tag-missing-gt.vtt": "unclosed tag kept as text",
	"cuetext/tag-format/end-tag-no-gt.vtt":        "unclosed tag kept as text",
	"cuetext/timestamp/no-end-gt.vtt":             "unclosed tag kept as text",
	// The rendered DOM shows only the words whose inline timestamp has
	// passed at the moment of rendering; a transcript wants them all.
	"cuetext/timestamp/basic.vtt":            "all karaoke words kept",
	"cuetext/timestamp/nested.vtt":           "all karaoke words kept",
	"cuetext/timestamp/out-of-cue-range.vtt": "all karaoke words kept",
	"cuetext/timestamp/space-before-gt.vtt":  "all karaoke words kept",
	// Two adjacent cues with the same text become one unit.
	"file-layout/cue-spacing.vtt": "adjacent repeats merged",
}

type vttjsCue struct {
	ID        string  `json:"id"`
	StartTime float64 `json:"startTime"`
	EndTime   float64 `json:"endTime"`
	Text      string  `json:"text"`
}

type vttjsNode struct {
	TextContent string `json:"textContent"`
}

// TestVTTJSExpectations parses the vtt.js test inputs and compares cue
// start times with vtt.js's parser and cue text with the text content of
// its rendered cues.
func TestVTTJSExpectations(t *testing.T) {
	t.Parallel()
	root := filepath.Join(testdataDir(t), "subtitles", "vtt.js")
	var inputs []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".vtt") {
			inputs = append(inputs, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(inputs) < 50 {
		t.Fatalf("found %d vtt.js inputs", len(inputs))
	}
	for _, path := range inputs {
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		t.Run(rel, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			base := strings.TrimSuffix(path, ".vtt")
			var cues []vttjsCue
			hasCues := readJSON(t, base+".json", &struct{ Cues *[]vttjsCue }{&cues})
			var nodes []vttjsNode
			hasText := readJSON(t, base+"-proc.json", &nodes)
			tr, err := parseAnyLength(filepath.Base(path), data, Options{MaxDuration: 1000 * time.Hour})
			if reason, ok := vttjsDifferences[rel]; ok {
				t.Logf("read differently on purpose (%s): %v", reason, err)
				return
			}
			var wantText []string
			for _, n := range nodes {
				if s := recap.CollapseSpace(cleanText(n.TextContent)); s != "" {
					wantText = append(wantText, s)
				}
			}
			if err != nil {
				if (!hasCues || len(cues) == 0) && len(wantText) == 0 {
					return // vtt.js finds nothing either
				}
				t.Fatalf("Parse: %v; vtt.js finds %d cues", err, len(cues))
			}
			checkInvariants(t, tr)
			if hasCues {
				var want []float64
				for _, c := range cues {
					if strings.TrimSpace(c.Text) != "" {
						want = append(want, c.StartTime)
					}
				}
				var got []float64
				for _, u := range tr.Units {
					if len(got) == 0 || *u.Start != got[len(got)-1] {
						got = append(got, *u.Start)
					}
				}
				want = dedupeFloats(want)
				if len(got) != len(want) {
					t.Fatalf("cue starts %v, vtt.js %v", got, want)
				}
				for i := range got {
					if math.Abs(got[i]-want[i]) > 1e-6 {
						t.Errorf("cue %d starts at %v, vtt.js says %v", i, got[i], want[i])
					}
				}
			}
			if hasText {
				var got []string
				for _, u := range tr.Units {
					got = append(got, u.Text)
				}
				g, w := strings.Join(got, " "), strings.Join(wantText, " ")
				if g != w {
					t.Errorf("text\n%q\nvtt.js renders\n%q", g, w)
				}
			}
		})
	}
}

func dedupeFloats(v []float64) []float64 {
	var out []float64
	for _, x := range v {
		if len(out) == 0 || out[len(out)-1] != x {
			out = append(out, x)
		}
	}
	return out
}

// readJSON decodes the file at path into v and reports whether it
// existed.
func readJSON(t *testing.T, path string, v any) bool {
	t.Helper()
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", filepath.Base(path), err)
	}
	return true
}
