package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/library"
	"github.com/recap-startos/recap/pkg/recap"
	"github.com/recap-startos/recap/pkg/summarize"
)

const sampleVTT = "../../testdata/subtitles/webvtt-py/sample.vtt"

// readSample reads sampleVTT, failing the test when it cannot (a test
// run from another folder), rather than waiting for a job that never
// comes.
func readSample(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(sampleVTT)
	if err != nil {
		t.Fatalf("the sample subtitles: %v", err)
	}
	return data
}

// pastedText is long enough to be a transcript (30 words or more).
const pastedText = "Some text to recap, pasted into the box. It has sentences about gardens and about the weather this spring. " +
	"Tomatoes need sun and water every day. Beans climb whatever stands near them. The talk ends with thanks to the listeners."

func openQueue(t *testing.T, dir string, lib Saver, concurrency int) *Queue {
	t.Helper()
	q, err := Open(Config{Dir: filepath.Join(dir, "jobs"), Engine: summarize.NewBuiltin(), Library: lib, Concurrency: concurrency})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Shutdown(context.Background()) })
	return q
}

func waitStatus(t *testing.T, q *Queue, id, status string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for s, _ := q.Get(id); s.Status != status; s, _ = q.Get(id) {
		if time.Now().After(deadline) {
			t.Fatalf("job %s never became %s: %+v", id, status, s)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// gone reports whether path is removed within a few seconds (a job's
// files go just after its end is announced).
func gone(path string) bool {
	for range 500 {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	return false
}

// TestWaitingInputIsSpooled: a waiting upload or pasted text is on disk,
// not in memory, and its file goes when the job ends.
func TestWaitingInputIsSpooled(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	lib, _ := library.Open(filepath.Join(dir, "history"), "")
	q := openQueue(t, dir, OwnerFolder(lib), 1)
	url, release := slowSource(t)
	defer release()
	busy, _, _ := q.Submit(Input{Source: url})
	waitStatus(t, q, busy.ID, StatusRunning)
	data := readSample(t)
	st, _, err := q.Submit(Input{Name: "sample.vtt", Data: data})
	if err != nil {
		t.Fatal(err)
	}
	spooled, err := os.ReadFile(filepath.Join(dir, "jobs", st.ID+".input"))
	if err != nil || string(spooled) != string(data) {
		t.Fatalf("spooled input: %v (%d bytes of %d)", err, len(spooled), len(data))
	}
	j, _ := q.get(st.ID)
	if j.in.Data != nil || j.in.Text != "" {
		t.Fatal("a waiting job still holds its input in memory")
	}
	release()
	if final := wait(t, q, st.ID); final.Status != StatusDone {
		t.Fatalf("spooled job: %+v", final)
	}
	if !gone(filepath.Join(dir, "jobs", st.ID+".input")) {
		t.Fatal("spool file left after the job")
	}
}

// TestShutdownKeepsJobsForTheNextStart: a stop (SIGTERM) does not lose
// the running job or the waiting upload and pasted text: the next start
// runs them to the end.
func TestShutdownKeepsJobsForTheNextStart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	lib, _ := library.Open(filepath.Join(dir, "history"), "")
	q, err := Open(Config{Dir: filepath.Join(dir, "jobs"), Engine: summarize.NewBuiltin(), Library: OwnerFolder(lib), Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	url, release := slowSource(t)
	running, _, _ := q.Submit(Input{Source: url})
	waitStatus(t, q, running.ID, StatusRunning)
	data := readSample(t)
	file, _, _ := q.Submit(Input{Name: "sample.vtt", Data: data})
	text, _, _ := q.Submit(Input{Text: "A pasted transcript about bitcoin nodes. It has several sentences about what they do. Nodes check every block they receive against the rules. They keep a copy of the chain and pass new transactions on to their peers. Running one at home lets you verify your own payments."})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	q.Shutdown(ctx)
	for _, id := range []string{running.ID, file.ID, text.ID} {
		if s, _ := q.Get(id); s.Status != StatusQueued {
			t.Fatalf("after shutdown job %s is %s (%+v), want queued for the next start", id, s.Status, s.Error)
		}
	}

	release()
	q2 := openQueue(t, dir, OwnerFolder(lib), 1)
	for _, id := range []string{running.ID, file.ID, text.ID} {
		if s := wait(t, q2, id); s.Status != StatusDone {
			t.Fatalf("after restart job %s: %+v", id, s)
		}
	}
	if n := lib.Len(); n != 3 {
		t.Fatalf("%d recaps in the library, want 3", n)
	}
}

// TestCrashRecovery: after kill -9, a job found running is tried once
// more from its spooled input, a job that was already tried again is
// failed, a job without its input is failed, and stray spool and
// temporary files are removed.
func TestCrashRecovery(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	jobsDir := filepath.Join(dir, "jobs")
	os.MkdirAll(jobsDir, 0o700)
	now := time.Now().UTC()
	write := func(st State, input string) {
		data, _ := json.Marshal(st)
		os.WriteFile(filepath.Join(jobsDir, st.ID+".json"), data, 0o600)
		if input != "" {
			os.WriteFile(filepath.Join(jobsDir, st.ID+".input"), []byte(input), 0o600)
		}
	}
	vtt := readSample(t)
	base := State{Status: StatusRunning, Stage: StageSummarizing, CreatedAt: now, UpdatedAt: now}
	retry, twice, lost, noKind := base, base, base, base
	retry.ID, retry.Kind, retry.Label, retry.RecapID = "retryjob", KindFile, "sample.vtt", library.NewID(now)
	twice.ID, twice.Kind, twice.Label, twice.Resumed = "twicejob", KindFile, "sample.vtt", 1
	lost.ID, lost.Kind, lost.Label = "lostjob", KindText, "some text"
	noKind.ID = "crashedjob"
	write(retry, string(vtt))
	write(twice, string(vtt))
	write(lost, "")
	write(noKind, "")
	os.WriteFile(filepath.Join(jobsDir, "strayjob.input"), []byte("left behind"), 0o600)
	os.WriteFile(filepath.Join(jobsDir, ".retryjob.json.tmp-123"), []byte("half"), 0o600)

	lib, _ := library.Open(filepath.Join(dir, "history"), "")
	q := openQueue(t, dir, OwnerFolder(lib), 1)
	if s := wait(t, q, "retryjob"); s.Status != StatusDone || s.Resumed != 1 {
		t.Fatalf("job found running: %+v", s)
	}
	for _, id := range []string{"twicejob", "lostjob", "crashedjob"} {
		if s, _ := q.Get(id); s.Status != StatusFailed || s.Error == nil || s.Error.Code != "interrupted" {
			t.Fatalf("%s: %+v", id, s)
		}
	}
	if s, _ := q.Get("twicejob"); !strings.Contains(s.Error.Message, "twice") {
		t.Fatalf("twice: %+v", s.Error)
	}
	for _, name := range []string{"strayjob.input", ".retryjob.json.tmp-123", "twicejob.input", "retryjob.input"} {
		if !gone(filepath.Join(jobsDir, name)) {
			t.Errorf("%s was not removed", name)
		}
	}
}

// TestUnwritableFolder: a job that cannot be written is refused with
// ErrStorage (not accepted and then lost), and the queue says it is
// unhealthy until a write succeeds again.
func TestUnwritableFolder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	lib, _ := library.Open(filepath.Join(dir, "history"), "")
	q := openQueue(t, dir, OwnerFolder(lib), 1)
	if err := q.Healthy(); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(dir, "jobs"))
	if _, _, err := q.Submit(Input{Text: pastedText}); !errors.Is(err, ErrStorage) {
		t.Fatalf("Submit into a missing folder: %v", err)
	}
	if _, _, err := q.Submit(Input{Source: "https://example.org/talk.vtt"}); !errors.Is(err, ErrStorage) {
		t.Fatalf("Submit of a link into a missing folder: %v", err)
	}
	if err := q.Healthy(); !errors.Is(err, ErrStorage) {
		t.Fatalf("Healthy = %v", err)
	}
	if len(q.Recent(10)) != 0 {
		t.Fatalf("refused jobs are listed: %+v", q.Recent(10))
	}
	os.MkdirAll(filepath.Join(dir, "jobs"), 0o700)
	st, _, err := q.Submit(Input{Text: pastedText})
	if err != nil || q.Healthy() != nil {
		t.Fatalf("after the folder is back: %v %v", err, q.Healthy())
	}
	wait(t, q, st.ID)
}

// blockingSaver holds a save until released.
type blockingSaver struct {
	lib     *library.Library
	started chan struct{}
	release chan struct{}
}

func (b *blockingSaver) Save(_ context.Context, _ string, doc *recap.Document) error {
	close(b.started)
	<-b.release
	return b.lib.Save(doc)
}

// TestShutdownLetsTheSaveDecide: a stop that cannot wait does not mark
// failed a job whose recap is being filed; the save decides.
func TestShutdownLetsTheSaveDecide(t *testing.T) {
	defer func(g time.Duration) { shutdownGrace = g }(shutdownGrace)
	shutdownGrace = 20 * time.Millisecond
	dir := t.TempDir()
	lib, _ := library.Open(filepath.Join(dir, "history"), "")
	saver := &blockingSaver{lib: lib, started: make(chan struct{}), release: make(chan struct{})}
	q, err := Open(Config{Dir: filepath.Join(dir, "jobs"), Engine: summarize.NewBuiltin(), Library: saver})
	if err != nil {
		t.Fatal(err)
	}
	data := readSample(t)
	st, _, _ := q.Submit(Input{Name: "sample.vtt", Data: data})
	<-saver.started
	go func() {
		time.Sleep(100 * time.Millisecond)
		close(saver.release)
	}()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	q.Shutdown(ctx)
	s, _ := q.Get(st.ID)
	if _, err := lib.Get(st.RecapID); err != nil || s.Status != StatusDone {
		t.Fatalf("job %s with recap error %v", s.Status, err)
	}
	var onDisk State
	data, _ = os.ReadFile(filepath.Join(dir, "jobs", st.ID+".json"))
	if json.Unmarshal(data, &onDisk); onDisk.Status != StatusDone {
		t.Fatalf("on disk: %s", onDisk.Status)
	}
}
