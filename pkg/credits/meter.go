package credits

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/recap-startos/recap/pkg/jobs"
	"github.com/recap-startos/recap/pkg/recap"
	"github.com/recap-startos/recap/pkg/store"
)

// EngineBuiltin is the engine every plan may use.
const EngineBuiltin = "builtin"

// SpokenWordsPerMinute is how untimed text (a pasted transcript) is
// given a length for its cost: a typical speaking pace.
const SpokenWordsPerMinute = 150

// ErrEngineNotInPlan means the caller asked by name for an LLM engine
// that their tier does not include.
var ErrEngineNotInPlan = errors.New("credits: this engine is not part of your plan")

// Meter charges jobs to their owners' credits. It is the job queue's
// jobs.Meter in multi mode.
type Meter struct {
	Ledger *Ledger
}

var _ jobs.Meter = (*Meter)(nil)

// Hold reserves the first hour's cost of a new job and picks the engine
// the owner's plan allows.
func (m *Meter) Hold(ctx context.Context, owner, jobID, engine string, asked bool) (string, error) {
	if trialID, ok := store.TrialOf(owner); ok {
		return m.holdTrial(ctx, trialID, jobID, engine, asked)
	}
	b, err := m.Ledger.Balance(ctx, owner)
	if err != nil {
		return "", err
	}
	if engine != EngineBuiltin && !b.Plan.LLM {
		if asked {
			return "", fmt.Errorf("%w: the %s plan includes the builtin engine only", ErrEngineNotInPlan, b.Tier)
		}
		engine = EngineBuiltin
	}
	if _, err := m.Ledger.Reserve(ctx, owner, jobID, m.Ledger.pol.Cost(0)); err != nil {
		return "", err
	}
	return engine, nil
}

// Length is how long a transcript runs: its last time, its source's
// duration, or for untimed text its words at SpokenWordsPerMinute.
func Length(t *recap.Transcript) time.Duration {
	secs := max(t.LastTime(), t.Source.Duration)
	if secs <= 0 {
		secs = float64(t.Words()) / SpokenWordsPerMinute * 60
	}
	return time.Duration(secs * float64(time.Second))
}

// Admit refuses a transcript longer than the owner's plan allows and
// holds the rest of its cost.
func (m *Meter) Admit(ctx context.Context, owner, jobID string, t *recap.Transcript) error {
	if store.IsTrialOwner(owner) {
		return m.admitTrial(ctx, jobID, t)
	}
	b, err := m.Ledger.Balance(ctx, owner)
	if err != nil {
		return err
	}
	length := Length(t)
	if limit := time.Duration(b.Plan.MaxHours) * time.Hour; b.Plan.MaxHours > 0 && length > limit {
		return &jobs.Failure{Code: "too_long_for_plan",
			Message: fmt.Sprintf("This transcript runs %s; the %s plan takes up to %d hours.", roughLength(length), b.Tier, b.Plan.MaxHours),
			Hint:    "Recap a shorter part, or ask the admin for a larger plan."}
	}
	cost := m.Ledger.pol.Cost(length)
	err = m.Ledger.Extend(ctx, jobID, cost)
	var short *ShortError
	if errors.As(err, &short) {
		return &jobs.Failure{Code: "not_enough_credits",
			Message: fmt.Sprintf("This transcript runs %s and costs %d credits; you have %d.", roughLength(length), cost, short.Have),
			Hint:    refillHint(b)}
	}
	return err
}

// Commit spends what a job holds.
func (m *Meter) Commit(ctx context.Context, jobID string) error {
	if err := m.Ledger.Commit(ctx, jobID); err != nil && !errors.Is(err, ErrNoReservation) {
		return err
	}
	return nil
}

// Release gives back what a job holds.
func (m *Meter) Release(ctx context.Context, jobID string) error {
	if err := m.Ledger.Release(ctx, jobID); err != nil && !errors.Is(err, ErrNoReservation) {
		return err
	}
	return nil
}

// MaxWaiting is the owner's plan's limit of waiting jobs.
func (m *Meter) MaxWaiting(ctx context.Context, owner string) int {
	if store.IsTrialOwner(owner) {
		return trialPlan(m.Ledger.pol).MaxWaiting
	}
	b, err := m.Ledger.Balance(ctx, owner)
	if err != nil {
		return m.Ledger.pol.Plan(TierCore).MaxWaiting
	}
	return b.Plan.MaxWaiting
}

// refillHint says when more credits come and how to get them sooner.
func refillHint(b Balance) string {
	if b.NextRefill.IsZero() {
		return "Ask the admin for more credits."
	}
	return fmt.Sprintf("Your allowance of %d credits comes back on %s; for more before then, ask the admin.",
		b.Plan.Credits, b.NextRefill.UTC().Format("2 January 2006"))
}

func roughLength(d time.Duration) string {
	d = d.Round(time.Minute)
	h, m := int(d.Hours()), int(d.Minutes())%60
	switch {
	case h == 0:
		return fmt.Sprintf("%d min", max(m, 1))
	case m == 0:
		return fmt.Sprintf("%d h", h)
	}
	return fmt.Sprintf("%d h %d min", h, m)
}
