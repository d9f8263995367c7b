// Package credits owns multi mode's metering: each user's two credit
// buckets and their append-only ledger, the reservations jobs hold while
// they run, tiers and their expiry, and anonymous trials.
//
// Buckets. tenant_credits keeps two balances per user (the earlier
// Recap's table). The replenish bucket is the period allowance: at each
// anniversary of last_replenish_at, every Policy.Period, it is set to the
// tier's allowance and whatever was left is forfeited. The purchased
// bucket holds purchases, admin grants and a claimed trial's leftover
// credits, and never expires. Spending takes the replenish bucket first.
//
// Ledger. Every change of a bucket writes one credit_ledger row in the
// same transaction, with the signed amount and the bucket's balance
// after it, so a user's rows for a bucket always sum to the bucket.
//
// Settling. Refills and tier expiry happen lazily: every read or change
// of an account first settles it (creates it with the sign-up allowance,
// drops a lapsed paid tier to core, refills at a passed boundary), and the
// hourly Sweep settles accounts nobody read. All writes go through the
// store's single writer, so a boundary is refilled exactly once however
// many requests arrive together; a user idle for five periods is refilled
// once, anchored at the latest boundary.
//
// Reservations. A job reserves credits when it is submitted (Reserve),
// reserves the rest once the transcript's length is known (Extend), and
// then either commits them when its recap is saved (Commit) or gives them
// back when it fails, is cancelled or is cut short (Release). Only held
// reservations change state, so a late Commit after a Release (or the
// reverse) does nothing. Sweep releases reservations older than the
// longest possible job, so none leaks.
package credits

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Tiers.
const (
	TierCore = "core"
	TierPro  = "pro"
	TierMax  = "max"
)

// Buckets, as credit_ledger.bucket names them.
const (
	BucketReplenish = "replenish"
	BucketPurchased = "purchased"
)

// Ledger entry kinds.
const (
	KindSignup   = "signup"   // the first allowance of a new account
	KindRefill   = "refill"   // the allowance of a new period
	KindForfeit  = "forfeit"  // allowance left at the end of a period, or above a lapsed tier's
	KindGrant    = "grant"    // credits given by the admin
	KindPurchase = "purchase" // credits bought
	KindTrial    = "trial"    // a claimed trial's unused credits
	KindReserve  = "reserve"  // held by a job
	KindCommit   = "commit"   // a job's held credits spent (amount 0: they left the bucket when held)
	KindRelease  = "release"  // a job's held credits given back
	KindAdjust   = "adjust"   // a correction by the admin (may be negative)
	KindOpening  = "opening"  // a balance that predates the ledger
)

// Errors.
var (
	// ErrNotEnough means the balance cannot pay for what was asked;
	// the error is a *ShortError with the figures.
	ErrNotEnough = errors.New("credits: not enough credits")
	// ErrUnknownUser means no user has that id.
	ErrUnknownUser = errors.New("credits: no such user")
	// ErrUnknownTier means a tier name is not core, pro or max.
	ErrUnknownTier = errors.New("credits: unknown tier")
	// ErrNoReservation means a job holds no reservation.
	ErrNoReservation = errors.New("credits: no reservation for this job")
	// ErrBadAmount means an amount of credits is zero or out of range.
	ErrBadAmount = errors.New("credits: bad amount")
)

// ShortError says how many credits were needed and how many were left.
type ShortError struct {
	Need       int       // credits the action needed
	Have       int       // credits available
	NextRefill time.Time // when the allowance comes back; zero if unknown
}

func (e *ShortError) Error() string {
	return fmt.Sprintf("credits: this needs %d credits and %d are left", e.Need, e.Have)
}

// Is makes errors.Is(err, ErrNotEnough) true.
func (e *ShortError) Is(target error) bool { return target == ErrNotEnough }

// Plan is what one tier gets.
type Plan struct {
	Credits    int  // allowance put in the replenish bucket each period
	MaxHours   int  // longest transcript a job may have, in hours
	LLM        bool // whether the configured LLM engine may be used (builtin always may)
	MaxWaiting int  // jobs a user may have waiting for a worker at once
}

// Policy is the metering configuration.
type Policy struct {
	Tiers  map[string]Plan // TierCore, TierPro and TierMax
	Period time.Duration   // length of an allowance period
	// PerHour is what a recap costs per started hour of transcript.
	PerHour int
	// TrialCredits is what an anonymous trial may spend; 0 disables trials.
	TrialCredits int
	// TrialsPerBucket is how many trials one client bucket may start in 24 h.
	TrialsPerBucket int
	// HoldFor is the longest a job can run; Sweep releases older reservations.
	HoldFor time.Duration
}

// Defaults of Policy.
const (
	DefaultPeriod  = 30 * 24 * time.Hour
	DefaultPerHour = 1
	DefaultHoldFor = 6 * time.Hour
)

// DefaultPlans are the tiers' plans when the configuration sets none.
func DefaultPlans() map[string]Plan {
	return map[string]Plan{
		TierCore: {Credits: 20, MaxHours: 2, LLM: false, MaxWaiting: 3},
		TierPro:  {Credits: 200, MaxHours: 6, LLM: true, MaxWaiting: 10},
		TierMax:  {Credits: 1000, MaxHours: 6, LLM: true, MaxWaiting: 20},
	}
}

// ValidTier reports whether name is one of the three tiers.
func ValidTier(name string) bool {
	return name == TierCore || name == TierPro || name == TierMax
}

// Plan returns the plan of a tier (core's for an unknown name).
func (p Policy) Plan(tier string) Plan {
	if pl, ok := p.Tiers[tier]; ok {
		return pl
	}
	return p.Tiers[TierCore]
}

// Cost returns what a transcript of the given length costs: PerHour
// credits for every started hour, at least one hour's worth.
func (p Policy) Cost(length time.Duration) int {
	per := max(p.PerHour, 1)
	hours := int(math.Ceil(length.Hours()))
	return max(hours, 1) * per
}

func (p *Policy) fill() {
	if p.Tiers == nil {
		p.Tiers = DefaultPlans()
	}
	for name, pl := range DefaultPlans() {
		if _, ok := p.Tiers[name]; !ok {
			p.Tiers[name] = pl
		}
	}
	if p.Period <= 0 {
		p.Period = DefaultPeriod
	}
	if p.PerHour <= 0 {
		p.PerHour = DefaultPerHour
	}
	if p.HoldFor <= 0 {
		p.HoldFor = DefaultHoldFor
	}
}
