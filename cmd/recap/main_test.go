package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/recap-startos/recap/pkg/recap"
)

// talk is a real one-hour podcast transcript with section headings.
var talk = filepath.Join("..", "..", "testdata", "talks", "bitcoin-explained_bitcoin-core-v23.md")

// runCLI runs the command line in-process and returns exit code, stdout
// and stderr.
func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(append([]string{"recap"}, args...), strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestSummarizeFileToJSON(t *testing.T) {
	code, out, errOut := runCLI(t, "", "summarize", talk)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc recap.Document
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("stdout is not a recap document: %v\n%.300s", err, out)
	}
	if err := doc.Validate(); err != nil {
		t.Fatal(err)
	}
	// The talk's front matter links its video, so it is filed as that
	// video, keeping the file's name.
	if len(doc.Topics) < 3 || doc.Source.Type != recap.SourceYouTube || doc.Source.VideoID != "bMMG91sJXpM" || doc.Source.FileName == "" || !doc.Timed() {
		t.Fatalf("unexpected recap: %d topics, source %+v", len(doc.Topics), doc.Source)
	}
	if !strings.Contains(errOut, "fetching") {
		t.Fatalf("progress missing from stderr: %q", errOut)
	}
}

func TestSummarizeStdinToMarkdown(t *testing.T) {
	text := strings.Repeat("Solar panels turn light into power. Batteries store the power for the night. ", 20) +
		strings.Repeat("Gardens need water every day. Tomatoes grow best in full sun. ", 20)
	code, out, errOut := runCLI(t, text, "summarize", "--quiet", "--format", "md", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.HasPrefix(out, "# ") || errOut != "" {
		t.Fatalf("stdout %.200q, stderr %q", out, errOut)
	}
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.srt")
	os.WriteFile(empty, nil, 0o600)
	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no source", []string{"summarize"}, exitBadInput, "exactly one SOURCE"},
		{"bad format", []string{"summarize", "--format", "pdf", talk}, exitBadInput, "--format"},
		{"unknown engine", []string{"summarize", "--engine", "magic", talk}, exitBadInput, "available: builtin"},
		{"unsupported scheme", []string{"summarize", "ftp://example.org/a.vtt"}, exitBadInput, "supported"},
		{"missing file", []string{"summarize", filepath.Join(dir, "nope.vtt")}, exitBadInput, "supported"},
		{"empty file", []string{"summarize", empty}, exitBadInput, "empty.srt"},
		{"file over the size limit", []string{"summarize", "--max-size", "1", bigFile(t, dir)}, exitBadInput, "1 MB"},
		{"transcript over the length limit", []string{"summarize", "--max-duration", "10m", talk}, exitBadInput, "limit"},
		{"unknown command", []string{"frobnicate"}, exitBadInput, ""},
		{"unknown library id", []string{"library", "show", "--data", dir, "nope"}, exitBadInput, "no recap nope"},
		{"invalid library id", []string{"library", "show", "--data", dir, "../etc/passwd"}, exitBadInput, "not a recap ID"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, "", c.args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, c.code, errOut)
			}
			if out != "" && c.code != 0 && !strings.Contains(out, "USAGE") && c.name != "unknown command" {
				t.Fatalf("failure printed to stdout: %q", out)
			}
			if !strings.Contains(errOut, c.msg) {
				t.Fatalf("stderr %q does not mention %q", errOut, c.msg)
			}
			if strings.Count(strings.TrimSpace(errOut), "\n") > 3 && c.msg != "" {
				t.Fatalf("error is not short:\n%s", errOut)
			}
		})
	}
}

func bigFile(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "big.txt")
	os.WriteFile(p, bytes.Repeat([]byte("word "), 300_000), 0o600)
	return p
}

func TestSaveAndLibraryCommands(t *testing.T) {
	data := t.TempDir()
	code, _, errOut := runCLI(t, "", "summarize", "--save", "--data", data, "--format", "md", talk)
	if code != 0 {
		t.Fatalf("summarize --save: exit %d: %s", code, errOut)
	}
	files, _ := filepath.Glob(filepath.Join(data, "history", "*.json"))
	if len(files) != 1 {
		t.Fatalf("library files = %v", files)
	}
	id := strings.TrimSuffix(filepath.Base(files[0]), ".json")

	code, out, _ := runCLI(t, "", "library", "list", "--data", data)
	if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "Bitcoin Core") {
		t.Fatalf("list: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "", "library", "search", "--data", data, "--json", "cjdns")
	var page struct {
		Recaps []struct{ ID string } `json:"recaps"`
		Total  int                   `json:"total"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &page) != nil || page.Total != 1 || page.Recaps[0].ID != id {
		t.Fatalf("search: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "", "library", "search", "--data", data, "zzyzx")
	if code != 0 || out != "" {
		t.Fatalf("search without hits: exit %d, %q", code, out)
	}
	code, out, _ = runCLI(t, "", "library", "show", "--data", data, "--format", "json", id)
	if code != 0 || !strings.Contains(out, `"id": "`+id+`"`) {
		t.Fatalf("show: exit %d", code)
	}
	exportDir := t.TempDir()
	code, _, errOut = runCLI(t, "", "library", "export", "--data", data, "--format", "md", "--output", exportDir, id)
	md, _ := filepath.Glob(filepath.Join(exportDir, "*.md"))
	if code != 0 || len(md) != 1 {
		t.Fatalf("export: exit %d %s, files %v", code, errOut, md)
	}
	code, _, _ = runCLI(t, "n\n", "library", "delete", "--data", data, id)
	if code == 0 {
		t.Fatal("delete went ahead without confirmation")
	}
	code, _, errOut = runCLI(t, "y\n", "library", "delete", "--data", data, id)
	if code != 0 {
		t.Fatalf("delete: exit %d %s", code, errOut)
	}
	if files, _ := filepath.Glob(filepath.Join(data, "history", "*.json")); len(files) != 0 {
		t.Fatalf("file still there: %v", files)
	}
}

func TestHelpHasExamples(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"summarize", "--help"}, {"library", "--help"}} {
		code, out, _ := runCLI(t, "", args...)
		if code != 0 || !strings.Contains(out, "Examples") {
			t.Errorf("%v: exit %d, no examples:\n%s", args, code, out)
		}
	}
}

func TestConfigCommands(t *testing.T) {
	data := t.TempDir()
	os.MkdirAll(filepath.Join(data, "start9"), 0o700)
	os.WriteFile(filepath.Join(data, "start9", "config.yaml"), []byte("smtp:\n  type: custom\n  host: mail.example.org\n  from: recap@example.org\n  username: me\n  password: hunter2\n"), 0o600)
	code, out, errOut := runCLI(t, "", "config", "dump", "--data", data)
	if code != 0 || strings.Contains(out, "hunter2") || !strings.Contains(out, "mail.example.org") {
		t.Fatalf("dump: exit %d %s\n%s", code, errOut, out)
	}
	os.WriteFile(filepath.Join(data, "start9", "config.yaml"), []byte("advanced:\n  job-concurrency: 0.5\n"), 0o600)
	code, _, errOut = runCLI(t, "", "config", "check", "--data", data)
	if code != exitBadInput || !strings.Contains(errOut, "job-concurrency") {
		t.Fatalf("check of a bad config: exit %d %q", code, errOut)
	}
}
