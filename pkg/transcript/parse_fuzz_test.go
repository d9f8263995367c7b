package transcript

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// addSeeds adds the real test files matching the patterns under testdata
// to the corpus of f, each with its file name.
func addSeeds(f *testing.F, withName bool, patterns ...string) {
	root := testdataDir(f)
	for _, p := range patterns {
		files, _ := filepath.Glob(filepath.Join(root, p))
		for _, file := range files {
			if strings.HasSuffix(file, ".golden") || strings.HasSuffix(file, ".md") && strings.HasPrefix(filepath.Base(file), "SOURCES") {
				continue
			}
			data, err := os.ReadFile(file)
			if err != nil {
				continue
			}
			// Long seeds stall the mutator; the head of a file shows its
			// shape just as well.
			data = data[:min(len(data), 4<<10)]
			if withName {
				f.Add(filepath.Base(file), data)
			} else {
				f.Add(data)
			}
		}
	}
}

// fuzzCheck parses data and holds the invariants on any transcript it
// returns; every error must be a classified one.
func fuzzCheck(t *testing.T, name string, data []byte) {
	tr, err := Parse(name, data, Options{})
	if err != nil {
		if KindOf(err) == KindUnknown || err.Error() == "" {
			t.Fatalf("unclassified error %T %q", err, err)
		}
		return
	}
	checkInvariants(t, tr)
}

// FuzzParse feeds arbitrary bytes, under arbitrary names, to Parse.
func FuzzParse(f *testing.F) {
	addSeeds(f, true, "subtitles/*/*", "subtitles/vtt.js/*/*.vtt", "podcast/*")
	for _, s := range []string{
		youTubeAuto,
		"[00:12] a. b.\n(00:13) c\n",
		"---\ntitle: x\n---\nA: 00:00:01\n\nHi.\n",
		"<cite>A:</cite><time>0:01</time><p>x</p>",
		`{"segments":[{"startTime":"1","body":"x"}]}`,
	} {
		f.Add("x", []byte(s))
	}
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		fuzzCheck(t, name, data)
	})
}

// FuzzParseVTT fuzzes the WebVTT reader behind a valid signature.
func FuzzParseVTT(f *testing.F) {
	addSeeds(f, false, "subtitles/webvtt-py/*.vtt", "subtitles/go-astisub/*.vtt", "subtitles/vtt.js/*/*.vtt")
	f.Add([]byte(youTubeAuto))
	f.Fuzz(func(t *testing.T, data []byte) {
		if !bytes.HasPrefix(data, []byte("WEBVTT")) {
			data = append([]byte("WEBVTT\n\n"), data...)
		}
		fuzzCheck(t, "x.vtt", data)
	})
}

// FuzzParseSRT fuzzes the SRT reader.
func FuzzParseSRT(f *testing.F) {
	addSeeds(f, false, "subtitles/*/*.srt", "podcast/*.srt")
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzCheck(t, "x.srt", data)
	})
}

// FuzzParseText fuzzes the plain-text reader, timestamps and all.
func FuzzParseText(f *testing.F) {
	addSeeds(f, false, "talks/*_*.md")
	f.Add([]byte("[00:12] Dr. Who said e.g. 3.5... Yes! No?\n0:05\nnext\n## Part\n(1:02:03) Ann: hi"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzCheck(t, "x.txt", data)
	})
}

// FuzzParseStructured fuzzes the JSON and HTML readers.
func FuzzParseStructured(f *testing.F) {
	addSeeds(f, true, "podcast/*.json", "podcast/*.html")
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		ext := ".json"
		if len(name)%2 == 1 {
			ext = ".html"
		}
		fuzzCheck(t, fmt.Sprintf("x%s", ext), data)
	})
}
