package jobs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/recap-startos/recap/pkg/library"
	"github.com/recap-startos/recap/pkg/recap"
	"github.com/recap-startos/recap/pkg/summarize"
)

// named is the builtin engine under another name, standing in for a
// configured LLM engine.
type named struct {
	summarize.Engine
	name string
}

func (n named) Name() string { return n.name }

func (n named) Summarize(ctx context.Context, t *recap.Transcript, p summarize.Progress) (*recap.Document, error) {
	doc, err := n.Engine.Summarize(ctx, t, p)
	if doc != nil {
		doc.Engine.Note = "made by " + n.name
	}
	return doc, err
}

func TestQueueEngineChoice(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	lib, err := library.Open(filepath.Join(dir, "history"), "")
	if err != nil {
		t.Fatal(err)
	}
	q, err := Open(Config{
		Dir:     filepath.Join(dir, "jobs"),
		Engine:  named{summarize.NewBuiltin(), "openai"},
		Engines: map[string]summarize.Engine{"builtin": summarize.NewBuiltin()},
		Library: OwnerFolder(lib),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Shutdown(context.Background()) })
	data, err := os.ReadFile("../../testdata/subtitles/webvtt-py/sample.vtt")
	if err != nil {
		t.Fatal(err)
	}
	for engine, note := range map[string]string{"": "made by openai", "openai": "made by openai", "builtin": ""} {
		st, _, err := q.Submit(Input{Name: "sample.vtt", Data: data, Engine: engine})
		if err != nil {
			t.Fatal(err)
		}
		if st = wait(t, q, st.ID); st.Status != StatusDone {
			t.Fatalf("engine %q: %+v", engine, st)
		}
		doc, err := lib.Get(st.RecapID)
		if err != nil {
			t.Fatal(err)
		}
		if doc.Engine.Note != note {
			t.Errorf("engine %q: note %q, want %q", engine, doc.Engine.Note, note)
		}
	}
	if _, _, err := q.Submit(Input{Name: "sample.vtt", Data: data, Engine: "gemini"}); !errors.Is(err, ErrUnknownEngine) {
		t.Fatalf("unknown engine: %v", err)
	}
}
