package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/recap-startos/recap/pkg/store"
)

// Defaults of SyncOptions.
const (
	// DefaultPollInterval is how often an instance asks the relay which
	// of its users changed.
	DefaultPollInterval = time.Minute
	// DefaultRetryBase is the first wait after a failed send; it doubles
	// with every failure of the same update, up to DefaultMaxBackoff.
	DefaultRetryBase  = 2 * time.Second
	DefaultMaxBackoff = 5 * time.Minute
	// DefaultGrace is how long past its expiry a cached paid tier is
	// still given while the relay cannot be reached.
	DefaultGrace = 72 * time.Hour
)

// settingChangesSeq is the settings key of the last relay change seen.
const settingChangesSeq = "relay.changes_seq"

// SyncOptions configure the instance's sync with its relay.
type SyncOptions struct {
	Client       *Client
	Store        *store.Store
	PollInterval time.Duration
	RetryBase    time.Duration
	MaxBackoff   time.Duration
	Grace        time.Duration
	Log          *slog.Logger
	Now          func() time.Time // tests
}

// Sync keeps an instance and its relay in step: it sends the outbox in
// order (one update at a time; a failed send is retried with backoff
// before anything after it is sent), and polls the relay for users it
// changed, refreshing users.tier.
type Sync struct {
	opt  SyncOptions
	wake chan struct{}

	mu        sync.Mutex
	installID string
	lastOK    time.Time
	downSince time.Time
	lastErr   string
}

// NewSync returns a sync loop; Run starts it.
func NewSync(opt SyncOptions) *Sync {
	if opt.PollInterval <= 0 {
		opt.PollInterval = DefaultPollInterval
	}
	if opt.RetryBase <= 0 {
		opt.RetryBase = DefaultRetryBase
	}
	if opt.MaxBackoff <= 0 {
		opt.MaxBackoff = DefaultMaxBackoff
	}
	if opt.Grace <= 0 {
		opt.Grace = DefaultGrace
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Sync{opt: opt, wake: make(chan struct{}, 1)}
}

func (s *Sync) now() time.Time { return s.opt.Now() }

// Status is what an instance knows of its relay.
type Status struct {
	URL       string    `json:"url"`
	InstallID string    `json:"install_id,omitempty"`
	Reachable bool      `json:"reachable"`
	LastOK    time.Time `json:"last_ok,omitzero"`
	DownSince time.Time `json:"down_since,omitzero"` // zero while reachable
	Error     string    `json:"error,omitempty"`
}

// Status reports the relay's state as last seen. Before the first
// contact the relay counts as reachable.
func (s *Sync) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Status{URL: s.opt.Client.URL(), InstallID: s.installID, Reachable: s.downSince.IsZero(),
		LastOK: s.lastOK, DownSince: s.downSince, Error: s.lastErr}
}

func (s *Sync) ok() {
	s.mu.Lock()
	s.lastOK, s.downSince, s.lastErr = s.now(), time.Time{}, ""
	s.mu.Unlock()
}

func (s *Sync) down(err error) {
	s.mu.Lock()
	if s.downSince.IsZero() {
		s.downSince = s.now()
		s.opt.Log.Warn("relay unreachable; cached tiers hold", "relay", s.opt.Client.URL(), "error", err)
	}
	s.lastErr = err.Error()
	s.mu.Unlock()
}

// saw records the outcome of a call to the relay made outside the sync
// loop (plans and checkouts), so that a buyer who meets an unreachable
// relay is told at once rather than after the next poll: ErrUnreachable
// means it is down; an answer, a refusal included, that it is up. A
// cancelled call says nothing.
func (s *Sync) saw(err error) {
	switch {
	case errors.Is(err, ErrUnreachable):
		s.down(err)
	case err == nil || answered(err):
		s.ok()
	}
}

// answered reports whether err is the relay's refusal of a call, which
// means it was reached.
func answered(err error) bool {
	for _, e := range []error{ErrUnauthorized, ErrForbidden, ErrPoolEmpty, ErrNotFound, ErrInvalid, ErrBelowPlan, ErrNotSold, ErrProviderDown} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// Nudge makes Run send the outbox now.
func (s *Sync) Nudge() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run syncs until ctx ends.
func (s *Sync) Run(ctx context.Context) {
	nextPoll := time.Time{}
	for {
		wait := s.opt.PollInterval
		retryAt, err := s.drain(ctx)
		if err == nil && !s.now().Before(nextPoll) {
			if err := s.poll(ctx); err == nil {
				nextPoll = s.now().Add(s.opt.PollInterval)
			} else {
				nextPoll = s.now().Add(min(s.opt.PollInterval, s.opt.MaxBackoff))
			}
		}
		if !retryAt.IsZero() {
			wait = max(retryAt.Sub(s.now()), time.Millisecond)
		}
		if !nextPoll.IsZero() {
			wait = min(wait, max(nextPoll.Sub(s.now()), time.Millisecond))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-s.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// install returns the install id of the license, asking the relay once.
func (s *Sync) install(ctx context.Context) (string, error) {
	s.mu.Lock()
	id := s.installID
	s.mu.Unlock()
	if id != "" {
		return id, nil
	}
	w, err := s.opt.Client.Whoami(ctx)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	s.installID = w.InstallID
	s.mu.Unlock()
	s.opt.Log.Info("relay reached", "relay", s.opt.Client.URL(), "install_id", w.InstallID, "license", w.LicenseID, "pool", w.Pool)
	return w.InstallID, nil
}

// InstallID returns this instance's install id at the relay (asking the
// relay the first time).
func (s *Sync) InstallID(ctx context.Context) (string, error) {
	id, err := s.install(ctx)
	if err != nil {
		s.down(err)
	}
	return id, err
}

// drain sends pending outbox items in order. It returns when the outbox
// is empty (zero time), or when the next item must wait (its retry time).
func (s *Sync) drain(ctx context.Context) (time.Time, error) {
	for ctx.Err() == nil {
		it, err := s.opt.Store.NextOutbox(ctx)
		if errors.Is(err, store.ErrNotFound) {
			return time.Time{}, nil
		}
		if err != nil {
			return s.now().Add(s.opt.RetryBase), err
		}
		if it.NextAttemptAt.After(s.now()) {
			return it.NextAttemptAt, nil
		}
		if err := s.send(ctx, it); err != nil {
			backoff := min(s.opt.RetryBase<<min(it.Attempts, 20), s.opt.MaxBackoff)
			next := s.now().Add(backoff)
			if rerr := s.opt.Store.RetryOutbox(context.WithoutCancel(ctx), it.Seq, next, err.Error()); rerr != nil {
				return next, rerr
			}
			return next, err
		}
	}
	return time.Time{}, ctx.Err()
}

// send delivers one item. An update the relay rejects as malformed can
// never succeed: it is recorded as rejected and the outbox moves on.
// Every other failure is returned to be retried.
func (s *Sync) send(ctx context.Context, it *store.OutboxItem) error {
	var up TierUpdate
	if err := json.Unmarshal([]byte(it.Body), &up); err != nil {
		s.opt.Log.Error("relay outbox: unreadable item dropped", "seq", it.Seq, "error", err)
		return s.opt.Store.FinishOutbox(ctx, it.Seq, "rejected: unreadable")
	}
	install, err := s.install(ctx)
	if err != nil {
		s.down(err)
		return err
	}
	up.InstallID = install
	res, err := s.opt.Client.SetTier(ctx, up)
	if errors.Is(err, ErrInvalid) {
		s.ok()
		s.opt.Log.Error("relay refused a tier update; it is dropped", "seq", it.Seq, "user_id", it.UserID, "error", err)
		return s.opt.Store.FinishOutbox(ctx, it.Seq, "rejected: "+err.Error())
	}
	if err != nil {
		s.down(err)
		return err
	}
	s.ok()
	if err := s.opt.Store.FinishOutbox(ctx, it.Seq, "sent"); err != nil {
		return err
	}
	// The relay's answer is the truth (it may have added days to a period
	// the cache did not know about); later pending updates of the same
	// user keep the cache as it is.
	_, err = s.opt.Store.CacheTier(ctx, it.UserID, store.TierState{Tier: res.User.Tier, Expiry: res.User.ExpiresAt})
	return err
}

// poll asks the relay for the users it changed since the last poll and
// refreshes the cache.
func (s *Sync) poll(ctx context.Context) error {
	install, err := s.install(ctx)
	if err != nil {
		s.down(err)
		return err
	}
	since := int64(0)
	if v, err := s.opt.Store.Setting(ctx, settingChangesSeq); err == nil {
		since, _ = strconv.ParseInt(v, 10, 64)
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	for {
		l, err := s.opt.Client.Changes(ctx, install, since)
		if err != nil {
			s.down(err)
			return err
		}
		s.ok()
		if len(l.Users) == 0 {
			return nil
		}
		for _, u := range l.Users {
			changed, err := s.opt.Store.CacheTier(ctx, u.UserID, store.TierState{Tier: u.Tier, Expiry: u.ExpiresAt})
			if err != nil {
				return err
			}
			if changed {
				s.opt.Log.Info("tier changed at the relay", "user_id", u.UserID, "tier", u.Tier)
			}
		}
		since = l.Last
		if err := s.opt.Store.SetSetting(ctx, settingChangesSeq, strconv.FormatInt(since, 10)); err != nil {
			return err
		}
	}
}

// Refresh asks the relay for one user's tier now (at sign-in) and
// updates the cache. When the relay cannot be reached the cache stays.
func (s *Sync) Refresh(ctx context.Context, userID string) error {
	install, err := s.install(ctx)
	if err != nil {
		s.down(err)
		return err
	}
	u, err := s.opt.Client.User(ctx, install, userID)
	if err != nil {
		if errors.Is(err, ErrUnreachable) {
			s.down(err)
		}
		return fmt.Errorf("relay: refresh %s: %w", userID, err)
	}
	s.ok()
	if u.Seq == 0 {
		// The relay has never heard of the user: what this instance
		// granted before it had a relay stays.
		return nil
	}
	_, err = s.opt.Store.CacheTier(ctx, userID, store.TierState{Tier: u.Tier, Expiry: u.ExpiresAt})
	return err
}
