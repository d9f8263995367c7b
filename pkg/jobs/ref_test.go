package jobs

import (
	"context"
	"os"
	"testing"
)

// A submission with a Ref is made once: the same Ref gets the same job
// back, while it runs, after it ended and after a restart.
func TestSubmitRefIsIdempotent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data, err := os.ReadFile("../../testdata/subtitles/webvtt-py/sample.vtt")
	if err != nil {
		t.Fatal(err)
	}
	open := func() *Queue {
		q, _ := newQueue(t, dir)
		return q
	}
	q := open()
	in := Input{Name: "sample.vtt", Data: data, Ref: "follow/f/k/1", Follow: "f", Episode: "ep"}
	a, attached, err := q.Submit(in)
	if err != nil || attached {
		t.Fatalf("first submit: %v %v", attached, err)
	}
	b, attached, err := q.Submit(in)
	if err != nil || !attached || b.ID != a.ID {
		t.Fatalf("second submit: %+v %v %v", b, attached, err)
	}
	done := wait(t, q, a.ID)
	if done.Ref != in.Ref || done.Follow != "f" || done.Episode != "ep" {
		t.Fatalf("state lost the input's names: %+v", done)
	}
	in.Data = data
	if c, attached, _ := q.Submit(in); !attached || c.ID != a.ID {
		t.Fatalf("after the end: %+v %v", c, attached)
	}
	q.Shutdown(context.Background())
	q = open()
	if c, attached, _ := q.Submit(in); !attached || c.ID != a.ID {
		t.Fatalf("after a restart: %+v %v", c, attached)
	}
	in.Ref = "follow/f/k/2"
	if c, attached, err := q.Submit(in); err != nil || attached || c.ID == a.ID {
		t.Fatalf("another Ref: %+v %v %v", c, attached, err)
	}
}
