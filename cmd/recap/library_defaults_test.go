package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLibraryCommandsNeverCreateTheDataFolder runs the library commands
// on a mistyped --data: each exits 2 naming the folder, and the folder is
// not created.
func TestLibraryCommandsNeverCreateTheDataFolder(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "dta")
	for _, args := range [][]string{
		{"library", "list", "--data", missing},
		{"library", "search", "--data", missing, "fees"},
		{"library", "show", "--data", missing, "20261126-143005-k3j9x2ab"},
		{"library", "export", "--data", missing, "20261126-143005-k3j9x2ab"},
		{"library", "delete", "--data", missing, "--yes", "20261126-143005-k3j9x2ab"},
	} {
		code, out, errOut := runCLI(t, "", args...)
		if code != exitBadInput || out != "" || !strings.Contains(errOut, "the data folder "+missing+" does not exist") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args[:2], code, out, errOut)
		}
		if _, err := os.Stat(missing); !os.IsNotExist(err) {
			t.Fatalf("%v created %s", args[:2], missing)
		}
	}
}

// TestLibraryListSaysWhereItLooked: an empty data folder and a library
// with one recap are both named in what list prints, and a data folder
// without a library stays as it was.
func TestLibraryListSaysWhereItLooked(t *testing.T) {
	data := t.TempDir()
	history := filepath.Join(data, "history")
	code, out, errOut := runCLI(t, "", "library", "list", "--data", data)
	if code != 0 || out != "" || !strings.Contains(errOut, "no recaps in "+history+" (the folder does not exist yet)") {
		t.Fatalf("empty: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if entries, _ := os.ReadDir(data); len(entries) != 0 {
		t.Fatalf("list wrote into the data folder: %v", entries)
	}
	if code, _, errOut := runCLI(t, "", "library", "show", "--data", data, "20261126-143005-k3j9x2ab"); code != exitBadInput || !strings.Contains(errOut, history) {
		t.Fatalf("show in an empty folder: exit %d: %s", code, errOut)
	}
	if code, _, errOut := runCLI(t, "", "summarize", "--quiet", "--save", "--data", data, talk); code != 0 {
		t.Fatalf("summarize --save: %s", errOut)
	}
	code, out, errOut = runCLI(t, "", "library", "list", "--data", data)
	if code != 0 || !strings.HasPrefix(out, "ID") || !strings.Contains(errOut, "1 recap(s) in "+history) {
		t.Fatalf("one recap: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, _, errOut = runCLI(t, "", "library", "search", "--data", data, "zzzunlikelyword")
	if code != 0 || !strings.Contains(errOut, "no recaps found in "+history) {
		t.Fatalf("search without hits: exit %d, stderr %q", code, errOut)
	}
}

// TestSummarizeDefaultFormat: Markdown on a character device (a
// terminal), JSON into a pipe, a file or a buffer.
func TestSummarizeDefaultFormat(t *testing.T) {
	if got := defaultFormat(&bytes.Buffer{}); got != "json" {
		t.Errorf("buffer: %s", got)
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "out.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := defaultFormat(f); got != "json" {
		t.Errorf("regular file: %s", got)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if got := defaultFormat(w); got != "json" {
		t.Errorf("pipe: %s", got)
	}
	// /dev/null is a character device like a terminal; no terminal is
	// at hand in a test.
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Skip(err)
	}
	defer null.Close()
	if got := defaultFormat(null); got != "md" {
		t.Errorf("character device: %s", got)
	}
	// Without --format, the in-process CLI writes to a buffer: JSON.
	code, out, errOut := runCLI(t, "", "summarize", "--quiet", talk)
	if code != 0 || !strings.HasPrefix(out, "{") {
		t.Fatalf("exit %d, stdout %.40q, stderr %s", code, out, errOut)
	}
	code, out, _ = runCLI(t, "", "summarize", "--quiet", "--format", "md", talk)
	if code != 0 || !strings.HasPrefix(out, "# ") {
		t.Fatalf("--format md: exit %d, stdout %.40q", code, out)
	}
}
