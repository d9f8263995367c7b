package credits

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/recap-startos/recap/pkg/jobs"
	"github.com/recap-startos/recap/pkg/recap"
)

// CapError is ErrTrialCap with the time a new trial may start: when the
// oldest trial the cap counted leaves the 24-hour window.
type CapError struct {
	RetryAt time.Time
}

func (e *CapError) Error() string { return ErrTrialCap.Error() }

// Is makes errors.Is(err, ErrTrialCap) true.
func (e *CapError) Is(target error) bool { return target == ErrTrialCap }

// capError builds the CapError of a bucket over its cap (byBucket) or of
// the /48 around it over the looser one.
func capError(ctx context.Context, tx *sql.Tx, bucket, wide string, byBucket bool, now time.Time) error {
	since := now.Add(-TrialWindow).UnixMilli()
	col, key := "ip_bucket", bucket
	if !byBucket {
		col, key = "ip_wide", wide
	}
	var oldest sql.NullInt64
	// The cap counts the newest trials only once the oldest leave; with
	// n over the cap, the window frees a place when the (n-cap+1)th
	// oldest leaves, which is no earlier than the oldest: a safe answer.
	if err := tx.QueryRowContext(ctx, `SELECT min(created_at) FROM anon_trials WHERE `+col+` = ? AND created_at > ?`,
		key, since).Scan(&oldest); err != nil {
		return err
	}
	at := now.Add(TrialWindow)
	if oldest.Valid {
		at = time.UnixMilli(oldest.Int64).Add(TrialWindow)
	}
	return &CapError{RetryAt: at}
}

// trialPlan is what a trial may do: the core plan's length limit, engines
// and queue room; its credits are the trial's own.
func trialPlan(p Policy) Plan { return p.Plan(TierCore) }

// holdTrial is Hold for a trial's job.
func (m *Meter) holdTrial(ctx context.Context, trialID, jobID, engine string, asked bool) (string, error) {
	if engine != EngineBuiltin && !trialPlan(m.Ledger.pol).LLM {
		if asked {
			return "", fmt.Errorf("%w: a trial includes the builtin engine only", ErrEngineNotInPlan)
		}
		engine = EngineBuiltin
	}
	if err := m.Ledger.ReserveTrial(ctx, trialID, jobID, m.Ledger.pol.Cost(0)); err != nil {
		return "", err
	}
	return engine, nil
}

// admitTrial is Admit for a trial's job.
func (m *Meter) admitTrial(ctx context.Context, jobID string, t *recap.Transcript) error {
	plan := trialPlan(m.Ledger.pol)
	length := Length(t)
	if limit := time.Duration(plan.MaxHours) * time.Hour; plan.MaxHours > 0 && length > limit {
		return &jobs.Failure{Code: "too_long_for_plan",
			Message: fmt.Sprintf("This transcript runs %s; a trial takes up to %d hours.", roughLength(length), plan.MaxHours),
			Hint:    "Recap a shorter part, or sign in for an account."}
	}
	cost := m.Ledger.pol.Cost(length)
	err := m.Ledger.Extend(ctx, jobID, cost)
	var short *ShortError
	if errors.As(err, &short) {
		return &jobs.Failure{Code: "not_enough_credits",
			Message: fmt.Sprintf("This transcript runs %s and costs %d credits; your trial has %d.", roughLength(length), cost, short.Have),
			Hint:    fmt.Sprintf("Sign in with your email: an account gets %d credits every %d days, and your trial's recaps come with you.", plan.Credits, int(m.Ledger.pol.Period.Hours()/24))}
	}
	return err
}

// TrialByID returns a trial by its id (anon_trials.cookie_id), claimed or
// not, however old.
func (l *Ledger) TrialByID(ctx context.Context, id string) (Trial, error) {
	var t Trial
	err := l.st.View(ctx, func(tx *sql.Tx) error {
		var err error
		t, err = scanTrial(tx.QueryRowContext(ctx, `SELECT cookie_id, credits_total, credits_used, created_at, converted_to_user_id
			FROM anon_trials WHERE cookie_id = ?`, id))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return Trial{}, ErrNoTrial
	}
	if err != nil {
		return Trial{}, fmt.Errorf("credits: find a trial: %w", err)
	}
	return t, nil
}

// Now is the ledger's clock (time.Now unless a test set another).
func (l *Ledger) Now() time.Time { return l.now() }
