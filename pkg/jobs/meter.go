package jobs

import (
	"context"
	"errors"

	"github.com/recap-startos/recap/pkg/recap"
)

// Meter charges a job's owner for it: multi mode's credits. A queue
// without one charges nothing (single mode).
//
// The queue calls Hold before a new job is queued (a submission that
// joins a running job holds nothing), Admit once the job's transcript is
// read and before any engine work, Commit after the recap is saved, and
// Release when the job ends any other way (failed, cancelled, stopped).
// Commit and Release may be called for a job that holds nothing.
type Meter interface {
	// Hold reserves what a new job costs before its length is known.
	// engine is the engine the job would use; Hold returns the one it
	// may use: the same, or the builtin engine when the owner's plan
	// leaves out LLM engines and the job did not ask for one by name
	// (asked is false). Its error refuses the submission.
	Hold(ctx context.Context, owner, jobID, engine string, asked bool) (string, error)
	// Admit checks the transcript against the owner's limits and holds
	// the rest of the job's cost. A *Failure error ends the job with it.
	Admit(ctx context.Context, owner, jobID string, t *recap.Transcript) error
	// Commit spends what the job holds; Release gives it back.
	Commit(ctx context.Context, jobID string) error
	Release(ctx context.Context, jobID string) error
	// MaxWaiting is how many jobs owner may have waiting for a worker.
	MaxWaiting(ctx context.Context, owner string) int
}

// Error makes a Failure usable as an error, so that a Meter can end a
// job with a failure of its own.
func (f *Failure) Error() string { return f.Message }

// ErrOwnerBusy means the submitter has as many jobs waiting as their
// plan allows; other people's submissions are not affected.
var ErrOwnerBusy = errors.New("jobs: too many of your jobs waiting")

// waitingOf counts owner's queued jobs. Callers hold q.mu.
func (q *Queue) waitingOfLocked(owner string) int {
	n := 0
	for _, j := range q.byID {
		if j.in.Owner == owner && j.snapshot().Status == StatusQueued {
			n++
		}
	}
	return n
}

// endCharge commits or releases what a job holds once it has ended.
func (q *Queue) endCharge(j *job, saved bool) {
	if q.cfg.Meter == nil {
		return
	}
	ctx := context.Background()
	id := j.snapshot().ID
	var err error
	if saved {
		err = q.cfg.Meter.Commit(ctx, id)
	} else {
		err = q.cfg.Meter.Release(ctx, id)
	}
	if err != nil {
		q.log.Error("jobs: settling credits failed", "job_id", id, "saved", saved, "error", err)
	}
}
