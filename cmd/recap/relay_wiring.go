package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/relay"
	"github.com/recap-startos/recap/pkg/store"
	"github.com/recap-startos/recap/pkg/summarize"
)

// instanceRelay is an instance's side of its relay: the client and the
// sync loop (outbox and tier cache; multi mode only, where there are
// users and a database).
type instanceRelay struct {
	sync *relay.Sync
	shop *relay.Shop  // plans sold through the relay
	st   *store.Store // nil in single mode
	cfg  config.Relay
	log  *slog.Logger
	stop func()
}

// newInstanceRelay connects nothing yet: the first call to the relay
// happens in the sync loop or the first recap. st is nil in single mode.
func newInstanceRelay(cfg config.Relay, st *store.Store, log *slog.Logger) (*instanceRelay, error) {
	client, err := relay.NewClient(cfg.URL, cfg.License, nil)
	if err != nil {
		return nil, usageError{fmt.Errorf("relay: %w", err)}
	}
	r := &instanceRelay{cfg: cfg, st: st, log: log, stop: func() {}}
	opt := relay.SyncOptions{Client: client, Store: st, Log: log}
	// Development and tests: poll the relay more often than once a minute.
	if v := os.Getenv("RECAP_RELAY_POLL_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 10*time.Millisecond {
			return nil, usageError{fmt.Errorf("RECAP_RELAY_POLL_INTERVAL=%q is not a duration of at least 10ms", v)}
		}
		opt.PollInterval = d
		opt.MaxBackoff = max(d, 10*time.Millisecond)
		opt.RetryBase = max(d/4, 10*time.Millisecond)
	}
	r.sync = relay.NewSync(opt)
	r.shop = &relay.Shop{Client: client, Sync: r.sync}
	return r, nil
}

// start runs the sync loop until close (multi mode).
func (r *instanceRelay) start() {
	if r.st == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.sync.Run(ctx)
	}()
	r.stop = func() { cancel(); <-done }
}

// signInRefresh is how long a sign-in waits for the relay's word on the
// user's tier; past it the cached tier stands.
const signInRefresh = 3 * time.Second

// onSignIn refreshes the user's cached tier from the relay.
func (r *instanceRelay) onSignIn(ctx context.Context, userID string) {
	ctx, cancel := context.WithTimeout(ctx, signInRefresh)
	defer cancel()
	if err := r.sync.Refresh(ctx, userID); err != nil {
		r.log.Warn("relay: tier not refreshed at sign-in; the cached tier stands", "user_id", userID, "error", err)
	}
}

// tiers is the tier authority of a multi-mode instance with this relay.
func (r *instanceRelay) tiers() relay.TierAuthority {
	return &relay.Remote{Store: r.st, Sync: r.sync}
}

// account picks who pays for a recap through the relay: a user with a
// license of their own pays with it under their synthetic install id;
// everyone else (trials, single mode) with the instance's.
func (r *instanceRelay) account(ctx context.Context, userID string) (summarize.RelayAccount, error) {
	if store.IsTrialOwner(userID) {
		userID = "" // an anonymous trial: no account of its own
	}
	if r.st != nil && userID != "" {
		if u, err := r.st.UserByID(ctx, userID); err == nil && u.KeysatLicense != "" {
			return summarize.RelayAccount{InstallID: u.SyntheticInstallID, License: u.KeysatLicense, UserID: userID}, nil
		}
	}
	id, err := r.sync.InstallID(ctx)
	if err != nil {
		return summarize.RelayAccount{}, fmt.Errorf("the relay at %s could not be reached", r.cfg.URL)
	}
	return summarize.RelayAccount{InstallID: id, License: r.cfg.License, UserID: userID}, nil
}

// engine is the relay engine.
func (r *instanceRelay) engine(log *slog.Logger) (summarize.Engine, error) {
	return summarize.NewRelay(summarize.RelayOptions{URL: r.cfg.URL, Account: r.account, LLM: summarize.LLMOptions{Log: log}})
}
