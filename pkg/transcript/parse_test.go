package transcript

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/recap"
)

var update = flag.Bool("update", false, "rewrite the golden files of the parser tests")

// testdataDir is the module's top-level testdata folder.
func testdataDir(t testing.TB) string {
	t.Helper()
	return filepath.Join(moduleRoot(t), "testdata")
}

// moduleRoot walks up from the package folder to the folder with go.mod.
func moduleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's folder")
		}
		dir = parent
	}
}

// goldenTranscript is the form of a parsed transcript kept in golden
// files: everything a consumer sees, with stable field names.
type goldenTranscript struct {
	Error    string          `json:"error,omitempty"`
	Kind     string          `json:"kind,omitempty"`
	Source   *recap.Source   `json:"source,omitempty"`
	Chapters []recap.Chapter `json:"chapters,omitempty"`
	Words    int             `json:"words,omitempty"`
	Units    []recap.Unit    `json:"units,omitempty"`
}

func goldenOf(tr *recap.Transcript, err error) goldenTranscript {
	if err != nil {
		return goldenTranscript{Error: err.Error(), Kind: KindOf(err).String()}
	}
	return goldenTranscript{Source: &tr.Source, Chapters: tr.Chapters, Words: tr.Words(), Units: tr.Units}
}

// TestParseGolden parses every real file under testdata/subtitles and the
// podcast transcripts, and compares the result with its .golden file.
// Run with -update to rewrite the golden files after a deliberate change.
func TestParseGolden(t *testing.T) {
	t.Parallel()
	root := testdataDir(t)
	var files []string
	for _, pattern := range []string{
		"subtitles/webvtt-py/*.vtt", "subtitles/webvtt-py/*.srt",
		"subtitles/go-astisub/*.vtt", "subtitles/go-astisub/*.srt",
		"talks/*_*.md",
		"podcast/transcripts-*.*",
		"podcast/chapters-*.json",
	} {
		m, err := filepath.Glob(filepath.Join(root, pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range m {
			if !strings.HasSuffix(f, ".golden") {
				files = append(files, f)
			}
		}
	}
	if len(files) < 30 {
		t.Fatalf("found only %d test files under %s", len(files), root)
	}
	for _, path := range files {
		rel, _ := filepath.Rel(root, path)
		t.Run(filepath.ToSlash(rel), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := parseAnyLength(filepath.Base(path), data, Options{})
			if err == nil {
				checkInvariants(t, tr)
			} else if !IsBadInput(err) {
				t.Errorf("error %q has kind %v, want a bad-input kind", err, KindOf(err))
			}
			got, jerr := json.MarshalIndent(goldenOf(tr, err), "", "  ")
			if jerr != nil {
				t.Fatal(jerr)
			}
			got = append(got, '\n')
			golden := path + ".golden"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("result differs from %s (run go test -update if the change is intended):\n%s", filepath.Base(golden), firstDiff(string(want), string(got)))
			}
		})
	}
}

// firstDiff shows the first line where two texts differ.
func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\nwant %s\ngot  %s", i+1, w, g)
		}
	}
	return "(no line differs)"
}

// checkInvariants holds what every parsed transcript must satisfy: units
// numbered from 0 with text, all timed or none, times finite, ends not
// before starts, starts in order, chapters in order and inside the text.
func checkInvariants(t testing.TB, tr *recap.Transcript) {
	t.Helper()
	if tr == nil {
		t.Fatal("nil transcript without an error")
	}
	if len(tr.Units) == 0 {
		t.Fatal("no units without an error")
	}
	// A file is filed as a file, or as the YouTube video its front
	// matter names.
	switch {
	case tr.Source.Type == recap.SourceYouTube && recap.ValidID(tr.Source.VideoID) && tr.Source.URL == "https://www.youtube.com/watch?v="+tr.Source.VideoID:
	case tr.Source.Type == recap.SourceFile && tr.Source.VideoID == "":
	default:
		t.Errorf("source type %q, video %q, url %q", tr.Source.Type, tr.Source.VideoID, tr.Source.URL)
	}
	timed := tr.Units[0].Start != nil
	want := recap.CaptionsNone
	if timed {
		want = recap.CaptionsFile
	}
	if tr.Source.Captions != want {
		t.Errorf("captions %q, want %q", tr.Source.Captions, want)
	}
	prev := 0.0
	for i, u := range tr.Units {
		if u.I != i {
			t.Fatalf("unit %d has index %d", i, u.I)
		}
		if u.Text == "" || u.Text != recap.CollapseSpace(u.Text) {
			t.Fatalf("unit %d text %q is empty or not collapsed", i, u.Text)
		}
		if (u.Start != nil) != timed {
			t.Fatalf("unit %d: timed and untimed units mixed", i)
		}
		if !timed {
			if u.End != nil {
				t.Fatalf("unit %d: end without start", i)
			}
			continue
		}
		s := *u.Start
		if math.IsNaN(s) || math.IsInf(s, 0) || s < 0 {
			t.Fatalf("unit %d: bad start %v", i, s)
		}
		if s < prev {
			t.Fatalf("unit %d starts at %v, before unit %d at %v", i, s, i-1, prev)
		}
		prev = s
		if u.End == nil || *u.End < s || math.IsNaN(*u.End) {
			t.Fatalf("unit %d: bad end %v for start %v", i, u.End, s)
		}
	}
	if !sort.SliceIsSorted(tr.Chapters, func(a, b int) bool { return tr.Chapters[a].Start < tr.Chapters[b].Start }) {
		t.Errorf("chapters out of order: %v", tr.Chapters)
	}
	for _, c := range tr.Chapters {
		if c.Title == "" || c.Start < 0 {
			t.Errorf("bad chapter %+v", c)
		}
	}
}

func TestCheckLimits(t *testing.T) {
	t.Parallel()
	long := &recap.Transcript{Units: []recap.Unit{{Start: recap.Secs(0), End: recap.Secs(7*3600 + 12*60 + 5), Text: "x"}}}
	err := checkLimits(long, Options{})
	if KindOf(err) != KindTooLong {
		t.Fatalf("got %v, want a too-long error", err)
	}
	if want := "transcript is 7h12m long; the limit is 6h0m (advanced.max-duration-hours, RECAP_MAX_DURATION)"; err.Error() != want {
		t.Errorf("message %q, want %q", err.Error(), want)
	}
	if err := checkLimits(long, Options{MaxDuration: 8 * time.Hour}); err != nil {
		t.Errorf("under a raised limit: %v", err)
	}
	untimed := &recap.Transcript{Units: []recap.Unit{{Text: "x"}}}
	if err := checkLimits(untimed, Options{MaxDuration: time.Minute}); err != nil {
		t.Errorf("untimed transcript: %v", err)
	}
	err = checkLimits(long, Options{MaxDuration: 30 * time.Minute})
	if want := "transcript is 7h12m long; the limit is 30m0s (advanced.max-duration-hours, RECAP_MAX_DURATION)"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}

func TestParseLimits(t *testing.T) {
	t.Parallel()
	data := []byte("WEBVTT\n\n00:00.000 --> 00:01.000\nHello there.\n")
	_, err := Parse("a.vtt", data, Options{MaxBytes: 10})
	if KindOf(err) != KindTooLarge || !strings.Contains(err.Error(), "limit") {
		t.Errorf("over the size limit: got %v", err)
	}
	_, err = Parse("a.vtt", bytes.Repeat([]byte("x"), 3<<20), Options{MaxBytes: 2 << 20})
	if err == nil || !strings.Contains(err.Error(), "the limit is 2 MB") {
		t.Errorf("size message: got %v", err)
	}
	_, err = Parse("a.vtt", []byte("WEBVTT\n\n07:00:00.000 --> 07:00:01.000\nLate.\n"), Options{})
	if KindOf(err) != KindTooLong {
		t.Errorf("over the duration limit: got %v", err)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Errorf("error %T is not an *Error", err)
	}
}

// parseAnyLength is Parse without the minimum length, for the tests of
// the parsers, whose cases are a few lines long.
func parseAnyLength(name string, data []byte, opt Options) (*recap.Transcript, error) {
	t, _, err := parseDocument(name, data, opt)
	if err != nil {
		return nil, err
	}
	if err := checkLimits(t, opt); err != nil {
		return nil, err
	}
	return t, nil
}
