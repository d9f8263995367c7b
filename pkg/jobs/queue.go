package jobs

// The queue runs Process for the web app. A job is submitted, waits for
// one of a bounded number of workers, reports progress to any number of
// subscribers, and ends done (with a saved recap), failed (with a
// Failure people can act on) or cancelled. Each job's state is written to
// a small JSON file whenever its status or stage changes, and an uploaded
// file or pasted text is spooled to its own file beside it (spool.go), so
// a waiting job holds no input in memory. After a restart, the jobs that
// were waiting or running start again from their spooled input; a job
// that was running when the process died twice in a row is shown as
// failed instead, so one input that crashes the server cannot do it
// forever. Every state write happens outside the queue's lock.

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/recap-startos/recap/pkg/atomicfile"

	"github.com/recap-startos/recap/pkg/library"
	"github.com/recap-startos/recap/pkg/recap"
	"github.com/recap-startos/recap/pkg/summarize"
	"github.com/recap-startos/recap/pkg/transcript"
)

// Job statuses.
const (
	StatusQueued    = "queued"
	StatusRunning   = "running"
	StatusDone      = "done"
	StatusFailed    = "failed"
	StatusCancelled = "cancelled"
)

// Input kinds recorded in State.Kind.
const (
	KindURL  = "url"
	KindFile = "file"
	KindText = "text"
)

// Defaults and bounds of the queue.
const (
	// DefaultConcurrency is the number of jobs run at the same time.
	DefaultConcurrency = 2
	// MaxWaiting is how many jobs may wait for a worker.
	MaxWaiting = 64
	// keepFinished is how many finished jobs are remembered.
	keepFinished = 200
	// keepFor is how long finished jobs are remembered.
	keepFor = 7 * 24 * time.Hour
)

// Errors returned by the queue.
var (
	// ErrNotFound means no job has that id.
	ErrNotFound = errors.New("jobs: job not found")
	// ErrBusy means too many jobs are waiting already.
	ErrBusy = errors.New("jobs: too many jobs waiting")
	// ErrClosed means the queue is shutting down.
	ErrClosed = errors.New("jobs: shutting down")
	// ErrFinished means the job ended already and cannot be cancelled.
	ErrFinished = errors.New("jobs: job already finished")
	// ErrUnknownEngine means a job asked for an engine the queue lacks.
	ErrUnknownEngine = errors.New("jobs: no such engine")

	// ErrStorage means the queue could not write to its folder; the
	// job was not taken or has failed.
	ErrStorage = errors.New("jobs: cannot write to the data folder")

	errCancelled = errors.New("cancelled by the owner")
	errShutdown  = errors.New("the server is stopping")
)

// shutdownGrace is how long Shutdown waits for jobs it has cancelled
// before it records them without their worker.
var shutdownGrace = 3 * time.Second

// probeEvery is how often Healthy writes a probe file when no job state
// was written in between.
const probeEvery = 30 * time.Second

// savingGrace is how long Shutdown waits for a recap being filed.
const savingGrace = 30 * time.Second

// Failure says in plain words why a job failed and what to do next.
type Failure struct {
	Code    string `json:"code"`    // stable snake_case, e.g. "no_captions"
	Message string `json:"message"` // what happened
	Hint    string `json:"hint"`    // what to do next
}

// State is a snapshot of a job, as shown to people and stored on disk.
type State struct {
	ID      string   `json:"id"`
	Owner   string   `json:"owner,omitempty"` // Input.Owner: the user id in multi mode
	RecapID string   `json:"recap_id"`        // the id the recap gets when saved
	Kind    string   `json:"kind"`            // url, file or text
	Label   string   `json:"label"`           // the URL, file name or start of the text
	Status  string   `json:"status"`
	Stage   string   `json:"stage"`
	Percent int      `json:"percent"` // 0..100
	Message string   `json:"message,omitempty"`
	Title   string   `json:"title,omitempty"` // of the recap, once known
	Error   *Failure `json:"error,omitempty"`
	// Engine is Input.Engine ("" for the default), kept so that a job
	// resumed after a restart uses the engine it was asked for.
	Engine string `json:"engine,omitempty"`
	// Episode, Ref and Follow are Input's, kept for a resumed job.
	Episode string `json:"episode,omitempty"`
	Ref     string `json:"ref,omitempty"`
	Follow  string `json:"follow_id,omitempty"`
	// Resumed counts the restarts that found this job running.
	Resumed   int       `json:"resumed,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Finished reports whether the job has ended.
func (s State) Finished() bool {
	return s.Status == StatusDone || s.Status == StatusFailed || s.Status == StatusCancelled
}

// Saver files a finished recap in its owner's library: owner is
// Input.Owner, the user id in multi mode (*store.UserLibrary is a
// Saver) and "" in single mode (see OwnerFolder). Which mode it is stays
// behind this one method.
type Saver interface {
	Save(ctx context.Context, owner string, doc *recap.Document) error
}

// OwnerFolder is single mode's library, which belongs to the owner
// alone, as a Saver.
func OwnerFolder(lib *library.Library) Saver { return ownerFolder{lib} }

type ownerFolder struct{ lib *library.Library }

func (f ownerFolder) Save(_ context.Context, _ string, doc *recap.Document) error {
	return f.lib.Save(doc)
}

// Config is what a queue needs.
type Config struct {
	Dir         string // where job states are kept, e.g. DATA/jobs
	Concurrency int    // workers; DefaultConcurrency if 0
	Engine      summarize.Engine
	// Engines are the other engines a job may ask for by name
	// (Input.Engine), such as builtin beside a configured LLM.
	Engines map[string]summarize.Engine
	Options transcript.Options
	Library Saver // where finished recaps are filed
	// OnDone, if set, is called after a recap is saved.
	OnDone func(doc *recap.Document)
	// Meter, when set, charges owners for their jobs (multi mode).
	Meter Meter
	Log   *slog.Logger
}

type job struct {
	in     Input  // Data and Text are dropped once spooled
	spool  string // the spooled input file, "" for URL jobs
	key    string // attach key for URL jobs, "" otherwise
	ctx    context.Context
	cancel context.CancelCauseFunc

	write sync.Mutex // serializes writes of the state file

	mu     sync.Mutex
	state  State           // guarded by mu
	subs   []chan struct{} // guarded by mu
	saving bool            // the recap is being filed; guarded by mu
	done   chan struct{}   // closed when the job has finished
}

func newJob(in Input, key string, st State) *job {
	ctx, cancel := context.WithCancelCause(context.Background())
	return &job{in: in, key: key, ctx: ctx, cancel: cancel, state: st, done: make(chan struct{})}
}

// Queue runs jobs with bounded concurrency. It is safe for concurrent use.
type Queue struct {
	cfg     Config
	log     *slog.Logger
	waiting chan *job
	workers sync.WaitGroup

	mu       sync.Mutex
	byID     map[string]*job // guarded by mu
	active   map[string]*job // by attach key, while queued or running; guarded by mu
	pending  int             // jobs being spooled, counted against MaxWaiting; guarded by mu
	closed   bool            // guarded by mu
	storeErr error           // the last failed state write, nil once one succeeds; guarded by mu
	probed   time.Time       // when Healthy last wrote its probe; guarded by mu
}

// Open loads the jobs kept in cfg.Dir, queues again the ones a previous
// run left waiting or running (see the top of this file), forgets old
// ones, and starts the workers.
func Open(cfg Config) (*Queue, error) {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("jobs: create %s: %w", cfg.Dir, err)
	}
	atomicfile.Clean(cfg.Dir)
	q := &Queue{cfg: cfg, log: cfg.Log, waiting: make(chan *job, MaxWaiting), byID: map[string]*job{}, active: map[string]*job{}}
	if err := q.load(); err != nil {
		return nil, err
	}
	for range cfg.Concurrency {
		q.workers.Add(1)
		go q.work()
	}
	return q, nil
}

func (q *Queue) load() error {
	states, err := q.readStates()
	if err != nil {
		return err
	}
	// Oldest first, so that resumed jobs keep their order.
	sort.Slice(states, func(i, j int) bool { return states[i].CreatedAt.Before(states[j].CreatedAt) })
	for _, st := range q.dropOld(states) {
		q.byID[st.ID] = q.restore(st)
	}
	q.removeStraySpools()
	return nil
}

// readStates reads the state files of the folder; an unreadable one is
// removed.
func (q *Queue) readStates() ([]State, error) {
	des, err := os.ReadDir(q.cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("jobs: read %s: %w", q.cfg.Dir, err)
	}
	var states []State
	for _, de := range des {
		name := de.Name()
		if de.IsDir() || !strings.HasSuffix(name, ".json") || strings.HasPrefix(name, ".") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(q.cfg.Dir, name))
		var st State
		if err != nil || json.Unmarshal(data, &st) != nil || st.ID+".json" != name {
			os.Remove(filepath.Join(q.cfg.Dir, name))
			continue
		}
		states = append(states, st)
	}
	return states, nil
}

// dropOld forgets, files and all, the finished jobs beyond the newest
// keepFinished and those older than keepFor; states is oldest first.
func (q *Queue) dropOld(states []State) []State {
	now := time.Now().UTC()
	kept := 0
	for i := len(states) - 1; i >= 0; i-- {
		st := states[i]
		if !st.Finished() {
			continue
		}
		if kept >= keepFinished || now.Sub(st.UpdatedAt) > keepFor {
			q.removeFiles(st.ID)
			states = append(states[:i], states[i+1:]...)
			continue
		}
		kept++
	}
	return states
}

// restore makes the job of a loaded state: a finished one as it was, an
// unfinished one queued again, or failed when it cannot be.
func (q *Queue) restore(st State) *job {
	j := newJob(Input{}, "", st)
	if st.Finished() {
		j.cancel(nil)
		close(j.done)
		return j
	}
	if err := q.resume(j); err != nil {
		j.update(func(s *State) {
			s.Status, s.Error = StatusFailed, err
		})
		j.cancel(nil)
		close(j.done)
		q.persist(j)
	}
	return j
}

// resume queues again a job that a previous run left unfinished, or says
// why it cannot be.
func (q *Queue) resume(j *job) *Failure {
	st := j.state
	interrupted := &Failure{Code: "interrupted", Message: "Recap restarted while this job was running, so it did not finish.", Hint: "Submit it again."}
	if st.Status == StatusRunning {
		if st.Resumed >= 1 {
			interrupted.Message = "Recap stopped twice while making this recap, so it was not tried again."
			return interrupted
		}
		j.state.Resumed++
	}
	in := Input{Owner: st.Owner, Engine: st.Engine, Episode: st.Episode, Ref: st.Ref, Follow: st.Follow}
	switch st.Kind {
	case KindURL:
		in.Source = st.Label
	case KindFile, KindText:
		in.Name = st.Label
		j.spool = q.spoolFile(st.ID)
		if _, err := os.Stat(j.spool); err != nil {
			return interrupted
		}
	default:
		return interrupted
	}
	if q.engineFor(in.Engine) == nil {
		return Explain(fmt.Errorf("%w: %q", ErrUnknownEngine, in.Engine))
	}
	if q.cfg.Meter != nil {
		// What the job held was released at start; hold it again.
		var err error
		if in, err = q.hold(in, st.ID); err != nil {
			return Explain(err)
		}
	}
	j.in, j.key = in, q.keyFor(st.Kind, in)
	queued := false
	if _, dup := q.active[j.key]; j.key == "" || !dup {
		select {
		case q.waiting <- j:
			queued = true
		default:
		}
	}
	if !queued {
		if q.cfg.Meter != nil {
			q.endCharge(j, false)
		}
		return interrupted
	}
	if j.key != "" {
		q.active[j.key] = j
	}
	j.state.Status, j.state.Stage, j.state.Percent, j.state.Error = StatusQueued, "queued", 0, nil
	j.state.Message = "Waiting for a free worker (Recap restarted)"
	j.state.UpdatedAt = time.Now().UTC()
	q.persist(j)
	return nil
}

func (q *Queue) file(id string) string { return filepath.Join(q.cfg.Dir, id+".json") }

// persist writes the job's current state. Writes of one job are
// serialized and each writes the newest state, so the file never goes
// back to an older one. A failure is logged, remembered for Healthy and
// returned.
func (q *Queue) persist(j *job) error {
	j.write.Lock()
	defer j.write.Unlock()
	st := j.snapshot()
	data, err := json.MarshalIndent(st, "", " ")
	if err == nil {
		err = atomicfile.Write(q.file(st.ID), append(data, '\n'), 0o600)
	}
	q.wrote(err)
	if err != nil {
		q.log.Error("jobs: cannot keep job state", "job_id", st.ID, "error", err)
		return fmt.Errorf("%w: %v", ErrStorage, err)
	}
	return nil
}

// wrote records the outcome of a write to the queue's folder for Healthy.
func (q *Queue) wrote(err error) {
	q.mu.Lock()
	q.storeErr, q.probed = err, time.Now()
	q.mu.Unlock()
}

// Healthy reports whether the queue can write its folder: the error of
// the last write, after writing a small probe file when nothing was
// written for a while. A queue that cannot write cannot keep jobs.
func (q *Queue) Healthy() error {
	q.mu.Lock()
	probe := time.Since(q.probed) > probeEvery
	if probe {
		q.probed = time.Now()
	}
	q.mu.Unlock()
	if probe {
		q.wrote(atomicfile.Write(filepath.Join(q.cfg.Dir, ".probe"), []byte("ok\n"), 0o600))
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.storeErr != nil {
		return fmt.Errorf("%w: %v", ErrStorage, q.storeErr)
	}
	return nil
}

// newJobID returns 16 random base-32 characters.
func newJobID() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
	var b [16]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:])
}

// attachKey identifies the same source for attach-by-URL: the video id of
// a YouTube link, else the URL as given.
func attachKey(source string) string {
	source = strings.TrimSpace(source)
	if id, _, err := transcript.ParseYouTubeURL(source); err == nil && id != "" {
		return "youtube:" + id
	}
	return source
}

func label(in Input) (kind, text string) {
	switch {
	case in.Text != "":
		t := recap.CollapseSpace(in.Text)
		if r := []rune(t); len(r) > 80 {
			t = string(r[:80]) + "…"
		}
		return KindText, t
	case in.Data != nil:
		return KindFile, filepath.Base(in.Name)
	}
	return KindURL, strings.TrimSpace(in.Source)
}

// keyFor returns the attach key of a job: for a URL, the source (the
// video id of a YouTube link), its engine when it is not the default,
// and its owner; "" for other kinds, which never attach.
func (q *Queue) keyFor(kind string, in Input) string {
	if kind != KindURL {
		return ""
	}
	key := attachKey(in.Source)
	if in.Episode != "" {
		key += " episode " + in.Episode // another episode of the same feed is another job
	}
	if in.Engine != "" && in.Engine != q.cfg.Engine.Name() {
		key += " " + in.Engine // the same link with another engine is another job
	}
	if in.Owner != "" {
		key = in.Owner + " " + key // never attach to another user's job
	}
	return key
}

// Submit queues a job for in and returns its state at once. When in is a
// URL that a queued or running job is working on already, it returns that
// job's state and attached = true instead of starting another. An upload
// or pasted text is written to disk before Submit returns and dropped
// from memory; so is the job's state. A job that cannot be written is
// not taken (ErrStorage).
func (q *Queue) Submit(in Input) (st State, attached bool, err error) {
	kind, lbl := label(in)
	if in.Engine != "" && q.engineFor(in.Engine) == nil {
		return State{}, false, fmt.Errorf("%w: %q", ErrUnknownEngine, in.Engine)
	}
	key := q.keyFor(kind, in)
	if st, ok, err := q.precheck(in, key); ok || err != nil {
		return st, ok, err
	}
	id := newJobID()
	if q.cfg.Meter != nil {
		var err error
		if in, err = q.hold(in, id); err != nil {
			return State{}, false, err
		}
	}
	st, attached, err = q.enqueue(in, key, id, kind, lbl)
	if (err != nil || attached) && q.cfg.Meter != nil {
		if rerr := q.cfg.Meter.Release(context.Background(), id); rerr != nil {
			q.log.Error("jobs: releasing credits failed", "job_id", id, "error", rerr)
		}
	}
	return st, attached, err
}

// hold reserves the job's first credits (the queue's Meter) and arranges
// for the rest to be held once its transcript is read.
func (q *Queue) hold(in Input, id string) (Input, error) {
	name := q.engineFor(in.Engine).Name()
	use, err := q.cfg.Meter.Hold(context.Background(), in.Owner, id, name, in.Engine != "")
	if err != nil {
		return in, err
	}
	if use != name {
		in.Engine = use
	}
	owner := in.Owner
	in.admit = func(ctx context.Context, t *recap.Transcript) error {
		return q.cfg.Meter.Admit(ctx, owner, id, t)
	}
	return in, nil
}

// precheck answers a submission that needs no new job (ok: it joins a
// running one) or cannot have one, before anything is charged for it.
func (q *Queue) precheck(in Input, key string) (st State, ok bool, err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case q.closed:
		return State{}, false, ErrClosed
	case in.Ref != "" && q.byRefLocked(in.Ref) != nil:
		return q.byRefLocked(in.Ref).snapshot(), true, nil
	case key != "" && q.active[key] != nil:
		return q.active[key].snapshot(), true, nil
	case len(q.waiting)+q.pending >= MaxWaiting:
		return State{}, false, ErrBusy
	}
	if q.cfg.Meter != nil && in.Owner != "" && q.waitingOfLocked(in.Owner) >= q.maxWaiting(in.Owner) {
		return State{}, false, ErrOwnerBusy
	}
	return State{}, false, nil
}

func (q *Queue) maxWaiting(owner string) int {
	if q.cfg.Meter == nil {
		return MaxWaiting
	}
	return max(q.cfg.Meter.MaxWaiting(context.Background(), owner), 1)
}

// enqueue queues a new job under id, unless another submission of the
// same URL got in first (attached) or there is no room. The job's place
// (and its URL) is claimed under the lock, its input and state are
// written outside it, then it goes to the workers.
func (q *Queue) enqueue(in Input, key, id, kind, lbl string) (st State, attached bool, err error) {
	var limit int
	if q.cfg.Meter != nil && in.Owner != "" {
		limit = q.maxWaiting(in.Owner) // may read the database: before the lock
	}
	now := time.Now().UTC()
	j := newJob(in, key, State{
		ID: id, Owner: in.Owner, RecapID: library.NewID(now), Kind: kind, Label: lbl, Engine: in.Engine,
		Episode: in.Episode, Ref: in.Ref, Follow: in.Follow,
		Status: StatusQueued, Stage: "queued", Message: "Waiting for a free worker",
		CreatedAt: now, UpdatedAt: now,
	})
	st = j.state // read before a worker can touch it
	if kind != KindURL {
		j.spool = q.spoolFile(st.ID)
	}
	if other, attached, err := q.claim(j, id, limit); attached || err != nil {
		return other, attached, err
	}
	err = q.writeSpool(j)
	if err == nil {
		err = q.persist(j)
	}
	if err := q.hand(j, id, err); err != nil {
		return State{}, false, err
	}
	return st, false, nil
}

// claim takes, under the lock, a waiting place for the new job j (id)
// and its URL; or returns the state of the job j joins instead
// (attached), or why there is no room. limit is the owner's bound on
// waiting jobs, 0 for none.
func (q *Queue) claim(j *job, id string, limit int) (other State, attached bool, err error) {
	in, key := j.in, j.key
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return State{}, false, ErrClosed
	}
	if o := q.byRefLocked(in.Ref); in.Ref != "" && o != nil {
		return o.snapshot(), true, nil
	}
	if o, ok := q.active[key]; key != "" && ok {
		return o.snapshot(), true, nil
	}
	if limit > 0 && q.waitingOfLocked(in.Owner) >= limit {
		return State{}, false, ErrOwnerBusy
	}
	if len(q.waiting)+q.pending >= MaxWaiting {
		return State{}, false, ErrBusy
	}
	q.pending++
	q.byID[id] = j
	if key != "" {
		q.active[key] = j
	}
	return State{}, false, nil
}

// hand gives a claimed job (id) to the workers once its input and state
// are written, or, when writing them failed (written) or the queue
// closed meanwhile, gives its place back and removes its files.
func (q *Queue) hand(j *job, id string, written error) error {
	q.mu.Lock()
	q.pending--
	err := written
	if err == nil && q.closed {
		err = ErrClosed
	}
	if err != nil {
		delete(q.byID, id)
		if j.key != "" && q.active[j.key] == j {
			delete(q.active, j.key)
		}
		q.mu.Unlock()
		j.cancel(nil)
		q.removeFiles(id)
		return err
	}
	q.waiting <- j // there is room: pending places are kept free
	old := q.forgetOldLocked()
	q.mu.Unlock()
	for _, id := range old {
		q.removeFiles(id)
	}
	return nil
}

// byRefLocked returns the job submitted with ref, if the queue still
// remembers it. Callers hold q.mu.
func (q *Queue) byRefLocked(ref string) *job {
	if ref == "" {
		return nil
	}
	for _, j := range q.byID {
		j.mu.Lock()
		same := j.state.Ref == ref
		j.mu.Unlock()
		if same {
			return j
		}
	}
	return nil
}

// engineFor returns the engine a job asked for by name: the default for
// "" or the default's own name, else one of Config.Engines, else nil.
func (q *Queue) engineFor(name string) summarize.Engine {
	if name == "" || name == q.cfg.Engine.Name() {
		return q.cfg.Engine
	}
	return q.cfg.Engines[name]
}

// forgetOldLocked drops finished jobs beyond keepFinished and returns
// their ids, whose files the caller removes after unlocking.
func (q *Queue) forgetOldLocked() []string {
	if len(q.byID) <= keepFinished+MaxWaiting {
		return nil
	}
	var done []State
	for _, j := range q.byID {
		if st := j.snapshot(); st.Finished() {
			done = append(done, st)
		}
	}
	sort.Slice(done, func(i, j int) bool { return done[i].UpdatedAt.After(done[j].UpdatedAt) })
	var ids []string
	for _, st := range done[min(len(done), keepFinished):] {
		delete(q.byID, st.ID)
		ids = append(ids, st.ID)
	}
	return ids
}

func (q *Queue) get(id string) (*job, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	j, ok := q.byID[id]
	return j, ok
}

// Get returns the state of a job.
func (q *Queue) Get(id string) (State, error) {
	j, ok := q.get(id)
	if !ok {
		return State{}, ErrNotFound
	}
	return j.snapshot(), nil
}

// Recent returns up to n jobs, newest first.
func (q *Queue) Recent(n int) []State {
	q.mu.Lock()
	out := make([]State, 0, len(q.byID))
	for _, j := range q.byID {
		out = append(out, j.snapshot())
	}
	q.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out[:min(n, len(out))]
}

// RecentOf returns up to n jobs of one owner, newest first.
func (q *Queue) RecentOf(owner string, n int) []State {
	q.mu.Lock()
	var out []State
	for _, j := range q.byID {
		if st := j.snapshot(); st.Owner == owner {
			out = append(out, st)
		}
	}
	q.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out[:min(n, len(out))]
}

// Subscribe returns the current state of a job and a channel that
// receives a value whenever the state changes; read the new state with
// Get. Changes may be coalesced. Call stop when done listening.
func (q *Queue) Subscribe(id string) (st State, changed <-chan struct{}, stop func(), err error) {
	j, ok := q.get(id)
	if !ok {
		return State{}, nil, nil, ErrNotFound
	}
	ch := make(chan struct{}, 1)
	j.mu.Lock()
	j.subs = append(j.subs, ch)
	st = j.state
	j.mu.Unlock()
	stop = func() {
		j.mu.Lock()
		defer j.mu.Unlock()
		for i, c := range j.subs {
			if c == ch {
				j.subs = append(j.subs[:i], j.subs[i+1:]...)
				break
			}
		}
	}
	return st, ch, stop, nil
}

// Cancel stops a queued or running job.
func (q *Queue) Cancel(id string) (State, error) {
	j, ok := q.get(id)
	if !ok {
		return State{}, ErrNotFound
	}
	j.mu.Lock()
	queued := j.state.Status == StatusQueued
	finished := j.state.Finished()
	j.mu.Unlock()
	if finished {
		return j.snapshot(), ErrFinished
	}
	j.cancel(errCancelled)
	if queued {
		// The worker that picks it up will skip it; say so now.
		q.finish(j, nil, errCancelled)
	}
	return j.snapshot(), nil
}

func (j *job) snapshot() State {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.state
}

// update changes the state under the lock, notifies subscribers, and
// reports whether the status or stage changed (worth persisting).
func (j *job) update(f func(*State)) (State, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	before := j.state
	f(&j.state)
	j.state.UpdatedAt = time.Now().UTC()
	for _, c := range j.subs {
		select {
		case c <- struct{}{}:
		default:
		}
	}
	return j.state, before.Status != j.state.Status || before.Stage != j.state.Stage
}

func (q *Queue) work() {
	defer q.workers.Done()
	for j := range q.waiting {
		if j.ctx.Err() != nil {
			q.finish(j, nil, context.Cause(j.ctx))
			continue
		}
		q.run(j)
	}
}

func (q *Queue) run(j *job) {
	start := time.Now()
	st, _ := j.update(func(s *State) {
		if !s.Finished() {
			s.Status, s.Stage, s.Percent, s.Message = StatusRunning, StageFetching, 1, "Starting"
		}
	})
	if st.Finished() {
		return
	}
	if err := q.persist(j); err != nil {
		q.finish(j, nil, err)
		return
	}
	q.log.Info("job started", "job_id", st.ID, "kind", st.Kind)
	in, err := q.readSpool(j)
	var doc *recap.Document
	if err == nil {
		// The relay engine bills the recap to the job's owner.
		ctx := summarize.WithUser(j.ctx, in.Owner)
		doc, err = Process(ctx, in, q.cfg.Options, q.engineFor(in.Engine), func(stage string, f float64, msg string) {
			_, changed := j.update(func(s *State) {
				if s.Finished() {
					return
				}
				s.Stage = stage
				s.Percent = max(s.Percent, min(99, int(f*100)))
				if msg != "" {
					s.Message = msg
				}
			})
			if changed {
				if err := q.persist(j); err != nil {
					j.cancel(err)
				}
			}
		})
	}
	if err == nil {
		err = q.save(j, doc)
	}
	final := q.finish(j, doc, err)
	attrs := []any{"job_id", final.ID, "status", final.Status, "duration_ms", time.Since(start).Milliseconds()}
	if doc != nil && doc.Source.VideoID != "" {
		attrs = append(attrs, "video_id", doc.Source.VideoID)
	}
	if final.Error != nil {
		attrs = append(attrs, "code", final.Error.Code)
		if final.Error.Code == "internal" {
			attrs = append(attrs, "error", err)
		}
	}
	q.log.Info("job finished", attrs...)
}

// save files the recap. From here on the save decides the outcome:
// neither a cancel nor Shutdown marks the job failed while it runs.
func (q *Queue) save(j *job, doc *recap.Document) error {
	doc.ID = j.snapshot().RecapID
	j.update(func(s *State) {
		s.Stage, s.Message, s.Title = StageSaving, "Filing the recap in the library", doc.Title
		j.saving = true
	})
	// A failed write of this progress step changes nothing that matters:
	// the final state is written after the save.
	q.persist(j)
	err := q.cfg.Library.Save(context.Background(), j.in.Owner, doc)
	if err == nil {
		q.endCharge(j, true) // spent before anyone hears of it
	}
	if err == nil && q.cfg.OnDone != nil {
		q.cfg.OnDone(doc)
	}
	return err
}

// finish records the end of a job once; later calls change nothing. A
// job stopped by Shutdown is not finished but put back to wait for the
// next start (suspend).
func (q *Queue) finish(j *job, doc *recap.Document, err error) State {
	if err != nil && j.ctx != nil && j.ctx.Err() != nil {
		err = context.Cause(j.ctx)
	}
	if errors.Is(err, errShutdown) && j.resumable() {
		q.endCharge(j, false) // held again when the job resumes
		return q.suspend(j)
	}
	if err != nil || doc == nil {
		q.endCharge(j, false)
	}
	// Free the URL before anyone hears of the end, so that a new submit
	// after the end starts a new job.
	q.mu.Lock()
	if j.key != "" && q.active[j.key] == j {
		delete(q.active, j.key)
	}
	q.mu.Unlock()
	ended := false
	st, _ := j.update(func(s *State) {
		if s.Finished() {
			return
		}
		ended = true
		s.end(doc, err)
		j.saving = false
	})
	if ended {
		q.persist(j)
		q.removeSpool(j)
		close(j.done)
	}
	if j.cancel != nil {
		j.cancel(nil)
	}
	return st
}

// end sets the final status: done with the recap doc when err is nil,
// else cancelled or failed with err explained.
func (s *State) end(doc *recap.Document, err error) {
	switch {
	case err == nil:
		s.Status, s.Stage, s.Percent, s.Message = StatusDone, StageDone, 100, "Done"
		if doc != nil {
			s.Title = doc.Title
		}
	case errors.Is(err, errCancelled):
		s.Status, s.Message = StatusCancelled, "Cancelled"
		s.Error = &Failure{Code: "cancelled", Message: "You cancelled this job.", Hint: "Submit it again whenever you like."}
	default:
		s.Status = StatusFailed
		s.Error = Explain(err)
	}
}

// suspend puts a job stopped by Shutdown back to waiting, on disk, so
// the next start runs it again.
func (q *Queue) suspend(j *job) State {
	st, _ := j.update(func(s *State) {
		if s.Finished() {
			return
		}
		s.Status, s.Stage, s.Percent = StatusQueued, "queued", 0
		s.Message = "Recap is stopping; this job starts again when Recap does"
	})
	q.persist(j)
	return st
}

// Shutdown stops taking jobs, lets running ones finish until ctx ends,
// then stops them. Jobs that were waiting or stopped are kept, with their
// input, to run again at the next start; a job that is filing its recap
// is waited for, since the save decides its outcome. Job states are on
// disk when it returns.
func (q *Queue) Shutdown(ctx context.Context) error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return nil
	}
	q.closed = true
	close(q.waiting)
	jobs := make([]*job, 0, len(q.byID))
	for _, j := range q.byID {
		jobs = append(jobs, j)
	}
	q.mu.Unlock()
	// Jobs still waiting will not get a worker in time: put them aside.
	for _, j := range jobs {
		if j.snapshot().Status == StatusQueued && j.cancel != nil {
			j.cancel(errShutdown)
		}
	}
	done := make(chan struct{})
	go func() { q.workers.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	for _, j := range jobs {
		if j.cancel != nil {
			j.cancel(errShutdown)
		}
	}
	select {
	case <-done:
	case <-time.After(shutdownGrace):
		q.abandon(jobs)
	}
	return ctx.Err()
}

// abandon records the jobs of an engine that ignores its context without
// their worker, except those filing a recap, which are waited for (a
// save is one file and one row) up to savingGrace.
func (q *Queue) abandon(jobs []*job) {
	for _, j := range jobs {
		j.mu.Lock()
		saving := j.saving
		j.mu.Unlock()
		if !saving {
			q.finish(j, nil, errShutdown)
			continue
		}
		select {
		case <-j.done:
		case <-time.After(savingGrace):
			q.log.Error("jobs: a recap is still being saved at shutdown", "job_id", j.snapshot().ID)
		}
	}
}
