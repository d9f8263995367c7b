package jobs

// The queue runs Process for the web app. A job is submitted, waits for
// one of a bounded number of workers, reports progress to any number of
// subscribers, and ends done (with a saved recap), failed (with a
// Failure people can act on) or cancelled. Each job's state is written to
// a small JSON file (never the input itself) whenever its status or stage
// changes, so that after a restart the jobs that were unfinished are shown
// as failed with the reason instead of vanishing.

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

	errCancelled = errors.New("cancelled by the owner")
	errShutdown  = errors.New("the server is stopping")
)

// Failure says in plain words why a job failed and what to do next.
type Failure struct {
	Code    string `json:"code"`    // stable snake_case, e.g. "no_captions"
	Message string `json:"message"` // what happened
	Hint    string `json:"hint"`    // what to do next
}

// State is a snapshot of a job, as shown to people and stored on disk.
type State struct {
	ID        string    `json:"id"`
	Owner     string    `json:"owner,omitempty"` // Input.Owner: the user id in multi mode
	RecapID   string    `json:"recap_id"`        // the id the recap gets when saved
	Kind      string    `json:"kind"`            // url, file or text
	Label     string    `json:"label"`           // the URL, file name or start of the text
	Status    string    `json:"status"`
	Stage     string    `json:"stage"`
	Percent   int       `json:"percent"` // 0..100
	Message   string    `json:"message,omitempty"`
	Title     string    `json:"title,omitempty"` // of the recap, once known
	Error     *Failure  `json:"error,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Finished reports whether the job has ended.
func (s State) Finished() bool {
	return s.Status == StatusDone || s.Status == StatusFailed || s.Status == StatusCancelled
}

// Saver files a finished recap; *library.Library is one.
type Saver interface {
	Save(doc *recap.Document) error
}

var _ Saver = (*library.Library)(nil)

// OwnedSaver files a finished recap in its owner's library (multi mode,
// where the owner is Input.Owner); *store.UserLibrary is one.
type OwnedSaver interface {
	Save(ctx context.Context, owner string, doc *recap.Document) error
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
	Library Saver
	// Owned, when set, files recaps instead of Library, in the library
	// of each job's owner.
	Owned OwnedSaver
	// OnDone, if set, is called after a recap is saved.
	OnDone func(doc *recap.Document)
	// Meter, when set, charges owners for their jobs (multi mode).
	Meter Meter
	Log   *slog.Logger
}

type job struct {
	in     Input
	key    string // attach key for URL jobs, "" otherwise
	ctx    context.Context
	cancel context.CancelCauseFunc

	mu    sync.Mutex
	state State           // guarded by mu
	subs  []chan struct{} // guarded by mu
}

// Queue runs jobs with bounded concurrency. It is safe for concurrent use.
type Queue struct {
	cfg     Config
	log     *slog.Logger
	waiting chan *job
	workers sync.WaitGroup

	mu     sync.Mutex
	byID   map[string]*job // guarded by mu
	active map[string]*job // by attach key, while queued or running; guarded by mu
	closed bool            // guarded by mu
}

// Open loads the jobs kept in cfg.Dir, marks the ones a previous run left
// unfinished as failed, forgets old ones, and starts the workers.
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
	des, err := os.ReadDir(q.cfg.Dir)
	if err != nil {
		return fmt.Errorf("jobs: read %s: %w", q.cfg.Dir, err)
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
	sort.Slice(states, func(i, j int) bool { return states[i].CreatedAt.After(states[j].CreatedAt) })
	now := time.Now().UTC()
	for i, st := range states {
		if i >= keepFinished || now.Sub(st.UpdatedAt) > keepFor {
			os.Remove(q.file(st.ID))
			continue
		}
		j := &job{state: st}
		if !st.Finished() {
			j.state.Status = StatusFailed
			j.state.Error = &Failure{Code: "interrupted", Message: "Recap restarted while this job was running, so it did not finish.", Hint: "Submit it again."}
			j.state.UpdatedAt = now
			q.persist(j.state)
		}
		q.byID[st.ID] = j
	}
	return nil
}

func (q *Queue) file(id string) string { return filepath.Join(q.cfg.Dir, id+".json") }

func (q *Queue) persist(st State) {
	data, err := json.MarshalIndent(st, "", " ")
	if err == nil {
		err = atomicfile.Write(q.file(st.ID), append(data, '\n'), 0o600)
	}
	if err != nil {
		q.log.Warn("jobs: cannot keep job state", "job_id", st.ID, "error", err)
	}
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

// Submit queues a job for in and returns its state at once. When in is a
// URL that a queued or running job is working on already, it returns that
// job's state and attached = true instead of starting another.
func (q *Queue) Submit(in Input) (st State, attached bool, err error) {
	kind, lbl := label(in)
	if in.Engine != "" && q.engineFor(in.Engine) == nil {
		return State{}, false, fmt.Errorf("%w: %q", ErrUnknownEngine, in.Engine)
	}
	key := ""
	if kind == KindURL {
		key = attachKey(in.Source)
		if in.Engine != "" && in.Engine != q.cfg.Engine.Name() {
			key += " " + in.Engine // the same link with another engine is another job
		}
		if in.Owner != "" {
			key = in.Owner + " " + key // never attach to another user's job
		}
	}
	if st, ok, err := q.precheck(in, key); ok || err != nil {
		return st, ok, err
	}
	id := newJobID()
	if q.cfg.Meter != nil {
		name := q.engineFor(in.Engine).Name()
		use, err := q.cfg.Meter.Hold(context.Background(), in.Owner, id, name, in.Engine != "")
		if err != nil {
			return State{}, false, err
		}
		if use != name {
			in.Engine = use
		}
		owner := in.Owner
		in.admit = func(ctx context.Context, t *recap.Transcript) error {
			return q.cfg.Meter.Admit(ctx, owner, id, t)
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

// precheck answers a submission that needs no new job (ok: it joins a
// running one) or cannot have one, before anything is charged for it.
func (q *Queue) precheck(in Input, key string) (st State, ok bool, err error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case q.closed:
		return State{}, false, ErrClosed
	case key != "" && q.active[key] != nil:
		return q.active[key].snapshot(), true, nil
	case len(q.waiting) >= cap(q.waiting):
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
// same URL got in first (attached) or there is no room.
func (q *Queue) enqueue(in Input, key, id, kind, lbl string) (st State, attached bool, err error) {
	var limit int
	if q.cfg.Meter != nil && in.Owner != "" {
		limit = q.maxWaiting(in.Owner) // may read the database: before the lock
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return State{}, false, ErrClosed
	}
	if key != "" {
		if j, ok := q.active[key]; ok {
			return j.snapshot(), true, nil
		}
	}
	if limit > 0 && q.waitingOfLocked(in.Owner) >= limit {
		return State{}, false, ErrOwnerBusy
	}
	now := time.Now().UTC()
	ctx, cancel := context.WithCancelCause(context.Background())
	j := &job{in: in, key: key, ctx: ctx, cancel: cancel, state: State{
		ID: id, Owner: in.Owner, RecapID: library.NewID(now), Kind: kind, Label: lbl,
		Status: StatusQueued, Stage: "queued", Message: "Waiting for a free worker",
		CreatedAt: now, UpdatedAt: now,
	}}
	st = j.state // read before a worker can touch it
	select {
	case q.waiting <- j:
	default:
		cancel(nil)
		return State{}, false, ErrBusy
	}
	q.byID[st.ID] = j
	if key != "" {
		q.active[key] = j
	}
	q.persist(st)
	q.forgetOldLocked()
	return st, false, nil
}

// engineFor returns the engine a job asked for by name: the default for
// "" or the default's own name, else one of Config.Engines, else nil.
func (q *Queue) engineFor(name string) summarize.Engine {
	if name == "" || name == q.cfg.Engine.Name() {
		return q.cfg.Engine
	}
	return q.cfg.Engines[name]
}

// forgetOldLocked drops finished jobs beyond keepFinished.
func (q *Queue) forgetOldLocked() {
	if len(q.byID) <= keepFinished+MaxWaiting {
		return
	}
	var done []State
	for _, j := range q.byID {
		if st := j.snapshot(); st.Finished() {
			done = append(done, st)
		}
	}
	sort.Slice(done, func(i, j int) bool { return done[i].UpdatedAt.After(done[j].UpdatedAt) })
	for _, st := range done[min(len(done), keepFinished):] {
		delete(q.byID, st.ID)
		os.Remove(q.file(st.ID))
	}
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
	q.persist(st)
	q.log.Info("job started", "job_id", st.ID, "kind", st.Kind)
	// The relay engine bills the recap to the job's owner.
	ctx := summarize.WithUser(j.ctx, j.in.Owner)
	doc, err := Process(ctx, j.in, q.cfg.Options, q.engineFor(j.in.Engine), func(stage string, f float64, msg string) {
		st, changed := j.update(func(s *State) {
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
			q.persist(st)
		}
	})
	if err == nil {
		doc.ID = st.RecapID
		st, _ := j.update(func(s *State) {
			s.Stage, s.Message, s.Title = StageSaving, "Filing the recap in the library", doc.Title
		})
		q.persist(st)
		if q.cfg.Owned != nil {
			err = q.cfg.Owned.Save(context.Background(), j.in.Owner, doc)
		} else {
			err = q.cfg.Library.Save(doc)
		}
	}
	if err == nil {
		q.endCharge(j, true) // spent before anyone hears of it
	}
	if err == nil && q.cfg.OnDone != nil {
		q.cfg.OnDone(doc)
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

// finish records the end of a job once; later calls change nothing.
func (q *Queue) finish(j *job, doc *recap.Document, err error) State {
	if err != nil && j.ctx != nil && j.ctx.Err() != nil {
		err = context.Cause(j.ctx)
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
	st, changed := j.update(func(s *State) {
		if s.Finished() {
			return
		}
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
	})
	if changed {
		q.persist(st)
	}
	if j.cancel != nil {
		j.cancel(nil)
	}
	return st
}

// Explain turns an error from Process into a Failure for people.
func Explain(err error) *Failure {
	if errors.Is(err, errShutdown) {
		return &Failure{Code: "interrupted", Message: "Recap was stopped before this job finished.", Hint: "Submit it again."}
	}
	var own *Failure
	if errors.As(err, &own) {
		return own
	}
	var le *summarize.LLMError
	if errors.As(err, &le) {
		return explainLLM(le)
	}
	var te *transcript.Error
	if !errors.As(err, &te) {
		return &Failure{Code: "internal", Message: "Something went wrong while making the recap.", Hint: "Try again; if it keeps failing, the server log has the details."}
	}
	f := &Failure{Code: te.Kind.String(), Message: te.Error()}
	switch te.Kind {
	case transcript.KindBadInput:
		f.Hint = "Check the link or the file. Recap reads YouTube links, podcast feeds with transcripts, WebVTT and SRT subtitles, Podcasting 2.0 JSON, HTML and plain-text transcripts."
	case transcript.KindTooLarge:
		f.Hint = "Use a smaller file, or raise the upload limit in the advanced settings of the Config page."
	case transcript.KindTooLong:
		f.Hint = "Recap a shorter part, or raise the longest transcript in the advanced settings of the Config page."
	case transcript.KindNoCaptions:
		f.Hint = "If you have a subtitle or transcript file for it, upload that instead."
	case transcript.KindBotWall:
		f.Hint = "YouTube is refusing this server for now. Wait a while and try again, or upload the video's subtitle file."
	case transcript.KindAgeRestricted:
		f.Hint = "Recap cannot sign in to YouTube. Get the subtitle file another way and upload it."
	case transcript.KindUnavailable:
		f.Hint = "Check that the link is right and the video is public."
	case transcript.KindNetwork:
		f.Hint = "Check this server's connection to the internet and try again."
	default:
		f.Code = "failed"
		f.Hint = "Try again; if it keeps failing, the server log has the details."
	}
	return f
}

// explainLLM says what the model server's failure means and what the
// owner can change. The message names the server (never the key).
func explainLLM(le *summarize.LLMError) *Failure {
	f := &Failure{Code: "engine_failed", Message: "The " + le.Engine + " engine failed: " + le.Error() + "."}
	switch {
	case errors.Is(le, summarize.ErrUnreachable):
		f.Code, f.Hint = "engine_unreachable", "Check that the model server is running and that its address in the engine settings of the Config page is right, or choose the builtin engine for this recap."
	case errors.Is(le, summarize.ErrAuth):
		f.Code, f.Hint = "engine_auth", "Check the API key in the engine settings of the Config page."
	case errors.Is(le, summarize.ErrUnknownModel):
		f.Code, f.Hint = "engine_model", "Check the model name in the engine settings; it must be one the server has."
	case errors.Is(le, summarize.ErrContextTooSmall):
		f.Code, f.Hint = "engine_context", "Raise the context size the server runs with (and in the engine settings), or choose the builtin engine."
	case errors.Is(le, summarize.ErrBlocked):
		f.Code, f.Hint = "engine_blocked", "The provider refused this content. Choose the builtin engine for this recap."
	case errors.Is(le, summarize.ErrRateLimited), errors.Is(le, summarize.ErrTimeout):
		f.Code, f.Hint = "engine_busy", "Try again later, or choose the builtin engine for this recap."
	default:
		f.Hint = "Try again; if it keeps failing, choose the builtin engine for this recap."
	}
	return f
}

// Shutdown stops taking jobs, lets running ones finish until ctx ends,
// then stops them and marks every unfinished job failed. Job states are
// on disk when it returns.
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
	// Jobs still waiting will not get a worker in time: end them now.
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
	case <-time.After(3 * time.Second):
		// An engine that ignores its context: record the jobs as failed
		// anyway so the next start shows why.
		for _, j := range jobs {
			if !j.snapshot().Finished() {
				q.finish(j, nil, errShutdown)
			}
		}
	}
	return ctx.Err()
}
