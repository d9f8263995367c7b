package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSummarizeRefusesWhatIsNotATranscript runs recap summarize on what
// is not a transcript: it exits 2, says what it got and what it accepts,
// prints nothing on standard output and saves nothing.
func TestSummarizeRefusesWhatIsNotATranscript(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	png := filepath.Join(dir, "notes.txt")
	icon, err := os.ReadFile(filepath.Join("..", "..", "icon.png"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(png, icon, 0o600)
	css := filepath.Join("..", "..", "pkg", "server", "static", "app.css")
	cases := []struct {
		name  string
		stdin string
		args  []string
		msg   []string
	}{
		{"PNG named .txt", "", []string{png}, []string{"notes.txt is a PNG image, not a transcript", "Recap accepts"}},
		{"style sheet", "", []string{css}, []string{"app.css is a CSS style sheet"}},
		{"source code", "", []string{"main.go"}, []string{"main.go looks like source code"}},
		{"too short", "hello world", []string{"-"}, []string{"The input has only 2 words", "at least 30 words"}},
		{"mistyped link", "", []string{"htp://example..com/feed.xml"}, []string{"htp links are not supported"}},
		{"bad host", "", []string{"https://example..com/feed.xml"}, []string{"is not a valid link", "empty part"}},
		{"mistyped link on stdin", "htp://example..com/feed.xml\n", []string{"-"}, []string{"looks like a link but is not a valid one"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"summarize", "--quiet", "--save", "--data", data}, c.args...)
			code, out, errOut := runCLI(t, c.stdin, args...)
			if code != exitBadInput || out != "" {
				t.Fatalf("exit %d, stdout %q, stderr %s", code, out, errOut)
			}
			for _, m := range c.msg {
				if !strings.Contains(errOut, m) {
					t.Errorf("stderr lacks %q: %s", m, errOut)
				}
			}
			if saved, _ := filepath.Glob(filepath.Join(data, "history", "*.json")); len(saved) != 0 {
				t.Fatalf("saved %v", saved)
			}
		})
	}
}
