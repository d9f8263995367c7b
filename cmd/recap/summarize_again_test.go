package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/recap-startos/recap/pkg/recap"
)

// TestSummarizeAgain: summarize --save of a file, a podcast episode or
// stdin the library has already prints the recap it has and files no
// other; --again files a new one.
func TestSummarizeAgain(t *testing.T) {
	data := t.TempDir()
	vtt := filepath.Join("..", "..", "testdata", "subtitles", "webvtt-py", "sample.vtt")
	feed := localFeed(t)
	filed := func() int {
		files, _ := filepath.Glob(filepath.Join(data, "history", "*.json"))
		return len(files)
	}
	run := func(stdin string, args ...string) (recap.Document, string) {
		t.Helper()
		code, out, errOut := runCLI(t, stdin, append([]string{"summarize", "--save", "--quiet", "--format", "json", "--data", data}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		var doc recap.Document
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("%v: %v: %s", args, err, out)
		}
		return doc, errOut
	}

	for _, tc := range []struct {
		name, stdin string
		args        []string
	}{
		{"file", "", []string{vtt}},
		{"podcast episode", "", []string{feed}},
		{"stdin", pastedCLITalk, []string{"-"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			first, _ := run(tc.stdin, tc.args...)
			n := filed()
			again, errOut := run(tc.stdin, tc.args...)
			if again.ID != first.ID || !strings.Contains(errOut, "already in the library as "+first.ID) || !strings.Contains(errOut, "--again") {
				t.Fatalf("second run printed %s (first %s), said %q", again.ID, first.ID, errOut)
			}
			if filed() != n {
				t.Fatal("a duplicate was filed")
			}
			anew, _ := run(tc.stdin, append([]string{"--again"}, tc.args...)...)
			if anew.ID == first.ID || filed() != n+1 {
				t.Fatalf("--again printed %s, %d filed (was %d)", anew.ID, filed(), n)
			}
		})
	}
}

const pastedCLITalk = `Welcome everyone to this short talk about gardens in the city.
First we look at why balconies make good gardens: they get sun, they are sheltered, and they are close to the kitchen.
Then we talk about soil, which should drain well and be fed with compost every spring.
Finally we talk about watering, which matters most in the hot weeks of summer when pots dry out quickly.
Thank you all for listening, and good luck with your own city gardens this year.
`
