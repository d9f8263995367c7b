package jobs

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/recap-startos/recap/pkg/recap"
	"github.com/recap-startos/recap/pkg/summarize"
)

// ownedLibrary records which owner each recap was filed for.
type ownedLibrary struct {
	mu    sync.Mutex
	saved map[string]string // recap id → owner
}

func (l *ownedLibrary) Save(_ context.Context, owner string, doc *recap.Document) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.saved[doc.ID] = owner
	return nil
}

func TestJobsRememberTheirOwner(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	lib := &ownedLibrary{saved: map[string]string{}}
	q, err := Open(Config{Dir: filepath.Join(dir, "jobs"), Engine: summarize.NewBuiltin(), Library: lib})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Shutdown(context.Background()) })
	data, err := os.ReadFile("../../testdata/subtitles/webvtt-py/sample.vtt")
	if err != nil {
		t.Fatal(err)
	}
	st, _, err := q.Submit(Input{Name: "sample.vtt", Data: data, Owner: "alice"})
	if err != nil || st.Owner != "alice" {
		t.Fatalf("submit: %+v, %v", st, err)
	}
	if done := wait(t, q, st.ID); done.Status != StatusDone || lib.saved[done.RecapID] != "alice" {
		t.Fatalf("job %+v filed for %q", done, lib.saved[done.RecapID])
	}
	// The same link from two users is two jobs, never an attach.
	a, _, err := q.Submit(Input{Source: "http://127.0.0.1:1/talk.vtt", Owner: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	b, attached, err := q.Submit(Input{Source: "http://127.0.0.1:1/talk.vtt", Owner: "bob"})
	if err != nil || attached || a.ID == b.ID {
		t.Fatalf("bob attached to alice's job: %v %v", attached, err)
	}
	if got := q.RecentOf("bob", 10); len(got) != 1 || got[0].ID != b.ID {
		t.Fatalf("bob's jobs: %+v", got)
	}
	if got := q.RecentOf("alice", 10); len(got) != 2 {
		t.Fatalf("alice's jobs: %d", len(got))
	}
}
