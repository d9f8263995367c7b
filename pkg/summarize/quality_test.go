package summarize

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// choiDir is Choi's 3-11 set beside the repository; it is not part of the
// repository, so the test skips without it.
var choiDir = filepath.Join("..", "..", "..", "shared", "external", "segmentation", "choi-2000", "1", "3-11")

func TestChoiQuality(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat(choiDir); err != nil {
		t.Skip("Choi's set is not available")
	}
	refs, err := LoadChoi(choiDir)
	if err != nil {
		t.Fatal(err)
	}
	var scores []Score
	for _, r := range refs {
		s, err := Evaluate(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		scores = append(scores, s)
	}
	m := Mean("choi 3-11", scores)
	t.Logf("%+v", m)
	if m.Pk > 0.20 {
		t.Errorf("Pk on Choi 3-11 = %.3f, want ≤ 0.20", m.Pk)
	}
}

// loadTalks reads the reference talks and meetings of testdata/talks.
func loadTalks(t *testing.T) []*Reference {
	t.Helper()
	var refs []*Reference
	for _, p := range talkFiles(t, filepath.Join("..", "..", "testdata", "talks")) {
		r, err := LoadTalk(p)
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, r)
	}
	jsons, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "talks", "qmsum", "*.json"))
	for _, p := range jsons {
		r, err := LoadQMSum(p)
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, r)
	}
	if len(refs) == 0 {
		t.Fatal("no reference talks in testdata/talks")
	}
	return refs
}

func TestTalksQuality(t *testing.T) {
	t.Parallel()
	for _, r := range loadTalks(t) {
		s, err := Evaluate(context.Background(), r)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%-50s units=%4d ref=%2d hyp=%2d k=%3d Pk=%.3f WD=%.3f | eq Pk=%.3f WD=%.3f | own-eq Pk=%.3f", s.Name, s.Units, s.RefTopics, s.HypTopics, s.K, s.Pk, s.WD, s.EqPk, s.EqWD, s.OwnPk)
	}
}
