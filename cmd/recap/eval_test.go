package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/recap-startos/recap/pkg/summarize"
)

// TestQualityFloor keeps the builtin engine's recaps of the reference
// talks in testdata/talks at the levels docs/quality.md reports, so a
// change that makes them read worse fails.
func TestQualityFloor(t *testing.T) {
	qualityFloor(t, false)
}

// TestQualityFloorAsCaptions holds the same floors for the reference
// talks turned into automatic captions (no punctuation, capitals or
// speakers; recap eval quality --as-captions).
func TestQualityFloorAsCaptions(t *testing.T) {
	qualityFloor(t, true)
}

func qualityFloor(t *testing.T, asCaptions bool) {
	talks, _, err := loadTalkDir(filepath.Join("..", "..", "testdata", "talks"))
	if err != nil {
		t.Fatal(err)
	}
	var qs []summarize.Quality
	for _, r := range talks {
		tr, err := parseWithoutHeadings(r.Path)
		if err != nil {
			t.Fatal(err)
		}
		if asCaptions {
			if tr = summarize.AutoCaptions(r); tr.Normalize() != nil {
				t.Fatalf("%s has no words", r.Name)
			}
		}
		q, err := summarize.EvaluateQuality(context.Background(), r, tr)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range q.Examples {
			t.Logf("%s: %s", r.Name, e)
		}
		qs = append(qs, q)
	}
	q := summarize.Total("talks", qs)
	t.Logf("fragments %.3f, weak titles %.3f, title ROUGE-1 %.3f, repeated times %.3f, Pk %.3f, WindowDiff %.3f",
		q.FragmentRate(), q.WeakTitleRate(), q.TitleRouge(), q.RepeatedTimeRate(), q.Seg.Pk, q.Seg.WD)
	floors := []struct {
		name       string
		got, limit float64
		max        bool
	}{
		{"fragment rate", q.FragmentRate(), 0.05, true},
		{"weak title rate", q.WeakTitleRate(), 0.10, true},
		{"repeated time rate", q.RepeatedTimeRate(), 0.02, true},
		{"title ROUGE-1", q.TitleRouge(), 0.20, false},
		{"Pk", q.Seg.Pk, 0.33, true},
	}
	for _, f := range floors {
		if f.max && f.got > f.limit || !f.max && f.got < f.limit {
			t.Errorf("%s = %.3f, limit %.2f", f.name, f.got, f.limit)
		}
	}
}

func TestEvalQualityCommand(t *testing.T) {
	code, out, errOut := runCLI(t, "", "eval", "quality", "--talks", filepath.Join("..", "..", "testdata", "talks"), "--each")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"Fragments", "Weak titles", "Title ROUGE-1", "Repeated times", "Pk", "bitcoin-explained_bitcoin-core-v23", "**talks**"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if code, _, _ := runCLI(t, "", "eval", "quality", "--talks", t.TempDir()); code == 0 {
		t.Error("an empty folder of talks was accepted")
	}
	code, out, errOut = runCLI(t, "", "eval", "quality", "--talks", filepath.Join("..", "..", "testdata", "talks"), "--as-captions")
	if code != 0 || !strings.Contains(out, "**talks as captions**") || !strings.Contains(out, "unit ends on a sentence end") {
		t.Fatalf("--as-captions: exit %d: %s%s", code, out, errOut)
	}
}
