package jobs

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/library"
	"github.com/recap-startos/recap/pkg/summarize"
)

func newQueue(t *testing.T, dir string) (*Queue, *library.Library) {
	t.Helper()
	lib, err := library.Open(filepath.Join(dir, "history"), "")
	if err != nil {
		t.Fatal(err)
	}
	q, err := Open(Config{Dir: filepath.Join(dir, "jobs"), Engine: summarize.NewBuiltin(), Library: OwnerFolder(lib)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Shutdown(context.Background()) })
	return q, lib
}

// wait follows a job until it finishes.
func wait(t *testing.T, q *Queue, id string) State {
	t.Helper()
	st, ch, stop, err := q.Subscribe(id)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	timeout := time.After(time.Minute)
	for !st.Finished() {
		select {
		case <-ch:
		case <-timeout:
			t.Fatalf("job %s did not finish: %+v", id, st)
		}
		st, _ = q.Get(id)
	}
	return st
}

func TestQueueFileJob(t *testing.T) {
	t.Parallel()
	q, lib := newQueue(t, t.TempDir())
	data, err := os.ReadFile("../../testdata/subtitles/webvtt-py/sample.vtt")
	if err != nil {
		t.Fatal(err)
	}
	st, attached, err := q.Submit(Input{Name: "sample.vtt", Data: data})
	if err != nil || attached {
		t.Fatalf("Submit = %v, %v", attached, err)
	}
	final := wait(t, q, st.ID)
	if final.Status != StatusDone || final.Percent != 100 || final.RecapID != st.RecapID {
		t.Fatalf("final state %+v", final)
	}
	if _, err := lib.Get(st.RecapID); err != nil {
		t.Fatalf("recap not saved: %v", err)
	}
	if _, err := q.Cancel(st.ID); err != ErrFinished {
		t.Fatalf("Cancel after done = %v", err)
	}
}

func TestQueueBadInput(t *testing.T) {
	t.Parallel()
	q, _ := newQueue(t, t.TempDir())
	st, _, err := q.Submit(Input{Source: "ftp://example.invalid/talk.vtt"})
	if err != nil {
		t.Fatal(err)
	}
	final := wait(t, q, st.ID)
	if final.Status != StatusFailed || final.Error == nil || final.Error.Hint == "" {
		t.Fatalf("final state %+v", final)
	}
}

// A source that answers only when released lets a test hold a job running.
func slowSource(t *testing.T) (url string, release func()) {
	gate := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-gate:
		case <-r.Context().Done():
			return
		}
		http.ServeFile(w, r, "../../testdata/subtitles/webvtt-py/sample.vtt")
	}))
	t.Cleanup(srv.Close)
	var once bool
	return srv.URL + "/talk.vtt", func() {
		if !once {
			once = true
			close(gate)
		}
	}
}

func TestQueueAttachAndCancel(t *testing.T) {
	t.Parallel()
	q, _ := newQueue(t, t.TempDir())
	url, release := slowSource(t)
	defer release()
	a, _, err := q.Submit(Input{Source: url})
	if err != nil {
		t.Fatal(err)
	}
	b, attached, err := q.Submit(Input{Source: " " + url + " "})
	if err != nil || !attached || b.ID != a.ID {
		t.Fatalf("second submit: attached=%v id=%s want %s (%v)", attached, b.ID, a.ID, err)
	}
	if _, err := q.Cancel(a.ID); err != nil {
		t.Fatal(err)
	}
	final := wait(t, q, a.ID)
	if final.Status != StatusCancelled {
		t.Fatalf("final state %+v", final)
	}
	// Once it ended, the same URL starts a new job.
	c, attached, _ := q.Submit(Input{Source: url})
	if attached || c.ID == a.ID {
		t.Fatal("attached to a finished job")
	}
	release()
	if st := wait(t, q, c.ID); st.Status != StatusDone {
		t.Fatalf("second job: %+v", st)
	}
}

func TestExplainLLMErrors(t *testing.T) {
	t.Parallel()
	le := &summarize.LLMError{Kind: summarize.ErrUnreachable, Engine: "openai", URL: "http://llama.embassy:8080/v1", Message: "connection refused"}
	f := Explain(fmt.Errorf("openai engine: %w", le))
	if f.Code != "engine_unreachable" || !strings.Contains(f.Message, "http://llama.embassy:8080/v1") || f.Hint == "" {
		t.Fatalf("unreachable server explained as %+v", f)
	}
	f = Explain(&summarize.LLMError{Kind: summarize.ErrAuth, Engine: "gemini", Status: 403})
	if f.Code != "engine_auth" || !strings.Contains(f.Hint, "API key") {
		t.Fatalf("refused key explained as %+v", f)
	}
}
