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
