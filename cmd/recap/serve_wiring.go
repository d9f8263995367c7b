package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/recap-startos/recap/pkg/auth"
	"github.com/recap-startos/recap/pkg/billing"
	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/credits"
	"github.com/recap-startos/recap/pkg/follow"
	"github.com/recap-startos/recap/pkg/jobs"
	"github.com/recap-startos/recap/pkg/mail"
	"github.com/recap-startos/recap/pkg/relay"
	"github.com/recap-startos/recap/pkg/server"
	"github.com/recap-startos/recap/pkg/startos"
	"github.com/recap-startos/recap/pkg/store"
)

// wiring is what a mode brings to serve: the library the jobs file
// recaps in, how people sign in (the server's options), the Properties
// page, what to print at start and what to close at the end. Everything
// else in serve is the same for both modes.
type wiring struct {
	server server.Options // Library, Owner, Sessions or Multi
	saver  jobs.Saver     // where jobs file recaps
	meter  jobs.Meter     // multi mode: credits
	props  *properties
	relay  *instanceRelay    // nil without a relay
	recaps func() int        // for the start-up log line
	banner func(w io.Writer) // how to sign in, printed at start

	down teardown // what the mode opened, closed newest first
}

// close releases what the mode opened; it is safe to call twice.
func (w *wiring) close() { w.down.run() }

// wireSingle: the owner's folder DATA/history, the owner password and
// the sessions file. The database is never opened.
func wireSingle(data string, cfg *config.Config, log *slog.Logger) (*wiring, error) {
	lib, err := openLibrary(data)
	if err != nil {
		return nil, err
	}
	if n := len(lib.Problems()); n > 0 {
		log.Warn("library: skipped unreadable files", "count", n)
	}
	ownerFile, sessionsFile := ownerPaths(data)
	owner := auth.NewOwner(ownerFile)
	envPassword := os.Getenv("RECAP_OWNER_PASSWORD")
	generated, err := owner.Ensure(envPassword)
	if err != nil {
		return nil, err
	}
	sessions, err := auth.OpenSessions(sessionsFile)
	if err != nil {
		return nil, err
	}
	props := newProperties(data, version, cfg, owner, lib)
	props.remember(generated)
	props.write()
	return &wiring{
		server: server.Options{Library: lib, Owner: owner, Sessions: sessions},
		saver:  jobs.OwnerFolder(lib),
		props:  props,
		recaps: lib.Len,
		banner: func(w io.Writer) {
			switch pw := props.initialPassword(); {
			case envPassword != "":
				fmt.Fprintln(w, "Owner password: the one in RECAP_OWNER_PASSWORD")
			case pw != "":
				fmt.Fprintf(w, "Owner password: %s\n(made by Recap; change it under Account once signed in)\n", pw)
			default:
				fmt.Fprintln(w, "Owner password: the one you chose (recap owner reset-password makes a new one)")
			}
		},
	}, nil
}

// publicURL is the base of the links in sign-in mail: mode.public-url,
// else the LAN address StartOS gives the service (as the config spec
// says). Links are never built from the address a request came in on:
// anyone can send any Host header.
func publicURL(cfg *config.Config) (string, error) {
	if cfg.Mode.PublicURL != "" {
		return cfg.Mode.PublicURL, nil
	}
	if cfg.LANAddress != "" {
		return withScheme(cfg.LANAddress, "https://"), nil
	}
	return "", errors.New("mode.public-url: required in multi mode (the links in sign-in mail start with it), e.g. https://recap.example.org")
}

// wireMulti: the database DATA/recap.db, accounts with sign-in by mail,
// each user's library under DATA/history/<userId>, indexed in the
// database (reconciled with the files at start), and the admin account
// made from mode.admin-email if it is missing.
func wireMulti(ctx context.Context, data string, cfg *config.Config, log *slog.Logger) (_ *wiring, err error) {
	sender, base, err := signInMail(cfg)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, data, store.Options{})
	if err != nil {
		return nil, err
	}
	w := &wiring{}
	w.down.add(func() {
		if err := st.Close(); err != nil {
			log.Error("closing the database", "error", err)
		}
	})
	defer func() {
		if err != nil {
			w.close()
		}
	}()
	if w.relay, err = multiRelay(cfg, st, log); err != nil {
		return nil, err
	}
	accounts, err := signInByMail(ctx, st, sender, base, cfg, w.relay, log)
	if err != nil {
		return nil, err
	}
	w.down.add(accounts.Wait)
	adminUser, err := accounts.EnsureAdmin(ctx)
	if err != nil {
		return nil, err
	}
	if err := adoptSingleMode(ctx, data, st, adminUser.ID, log); err != nil {
		return nil, err
	}
	lib := st.Library(filepath.Join(data, "history"))
	rep, err := reconcileLibrary(ctx, lib, log)
	if err != nil {
		return nil, err
	}
	multi := &server.Multi{Accounts: accounts, Store: st, Library: lib}
	if w.relay != nil {
		multi.Tiers, multi.Relay = w.relay.tiers(), w.relay.sync.Status
	}
	ledger, err := openCredits(ctx, st, cfg, multi.Tiers, log)
	if err != nil {
		return nil, err
	}
	multi.Credits = ledger
	if multi.Billing, err = w.openBilling(st, ledger, cfg, base, accounts, log); err != nil {
		return nil, err
	}
	props := newProperties(data, version, cfg, nil, nil)
	props.recaps = func() (int, error) { return st.RecapCount(context.Background()) }
	props.usage = func() (int, int, error) { return ledger.Usage(context.Background()) }
	props.paid = func() (int, int, error) { return st.PaidUsers(context.Background(), time.Now()) }
	props.write()
	w.down.add(remindEvery(reminders(st, sender, base, w.relay, log), remindInterval, props.write, log))
	w.down.add(pruneEvery(st, ledger, lib.Trials(), pruneInterval, log))
	w.down.add(digestEvery(&follow.Digests{Store: st, Library: lib, Mail: sender, PublicURL: base,
		Default: cfg.Advanced.FollowDigest, Log: log}, follow.DigestScan, log))
	if w.relay != nil {
		w.relay.start()
		w.down.add(w.relay.stop)
	}
	w.server = server.Options{Multi: multi}
	w.saver, w.meter, w.props = lib, &credits.Meter{Ledger: ledger}, props
	w.recaps = func() int { return rep.Indexed + rep.Unchanged }
	w.banner = func(out io.Writer) {
		fmt.Fprintf(out, "Multi mode: people sign in by email at %s/login; the admin is %s.\n", strings.TrimRight(base, "/"), accounts.AdminEmail())
		fmt.Fprintln(out, "(recap action admin-login-link makes a sign-in link for the admin without mail)")
	}
	return w, nil
}

// multiRelay is the instance's relay, nil without one.
func multiRelay(cfg *config.Config, st *store.Store, log *slog.Logger) (*instanceRelay, error) {
	if !cfg.Relay.Enabled() {
		return nil, nil
	}
	return newInstanceRelay(cfg.Relay, st, log)
}

// openBilling is the payments service. It is there even with no
// provider (the pricing page then says nothing is sold); with a relay,
// plans are sold through the relay. Its reconciler runs when a provider
// is set or a relay sells the plans (it also loads the relay's prices).
func (w *wiring) openBilling(st *store.Store, ledger *credits.Ledger, cfg *config.Config, base string, accounts *auth.Accounts, log *slog.Logger) (*billing.Service, error) {
	bopt := billing.Options{Store: st, Ledger: ledger, Payments: cfg.Payments, PublicURL: base, Mail: accounts, Log: log}
	if w.relay != nil {
		bopt.Relay = w.relay.shop
	}
	bill, err := billing.New(bopt)
	if err != nil {
		return nil, usageError{err}
	}
	if bill.Enabled() || w.relay != nil {
		w.down.add(reconcileEvery(bill, billing.ReconcileEvery))
	}
	return bill, nil
}

// reminders mails those whose paid tier is ending; with a relay, the
// relay is the tier authority and says who is expiring.
func reminders(st *store.Store, sender *mail.SMTP, base string, rel *instanceRelay, log *slog.Logger) *billing.Reminders {
	r := &billing.Reminders{Store: st, Mail: sender, PublicURL: base, Log: log}
	if rel != nil {
		r.Periods = &billing.RelayPeriods{Relay: rel.shop, Store: st}
	}
	return r
}

// signInMail is the mail server that sends sign-in links and the base
// of those links.
func signInMail(cfg *config.Config) (*mail.SMTP, string, error) {
	sender, err := mail.NewSMTP(cfg.SMTP)
	if err != nil {
		return nil, "", usageError{fmt.Errorf("multi mode signs people in by email, but the mail settings cannot be used: %w; fix smtp on the Config page (the Admin Login Link action signs you in meanwhile)", err)}
	}
	base, err := publicURL(cfg)
	if err != nil {
		return nil, "", usageError{err}
	}
	return sender, base, nil
}

// openCredits is the credits ledger, with the holds of jobs the last
// run left unfinished released: no job runs yet.
func openCredits(ctx context.Context, st *store.Store, cfg *config.Config, tiers relay.TierAuthority, log *slog.Logger) (*credits.Ledger, error) {
	ledger := credits.New(st, credits.PolicyFrom(cfg.Mode), credits.Options{Tiers: tiers})
	n, err := ledger.ReleaseOlder(ctx, time.Now())
	if err != nil {
		return nil, err
	}
	if n > 0 {
		log.Info("released the credits of jobs the last run left unfinished", "jobs", n)
	}
	return ledger, nil
}

// signInByMail sets up sign-in by mail and sends the sign-in mails the
// last run decided on but did not deliver.
func signInByMail(ctx context.Context, st *store.Store, sender *mail.SMTP, base string, cfg *config.Config, rel *instanceRelay, log *slog.Logger) (*auth.Accounts, error) {
	var onSignIn func(context.Context, string)
	if rel != nil {
		onSignIn = rel.onSignIn
	}
	accounts, err := auth.NewAccounts(auth.AccountsOptions{
		Store: st, Mail: sender, PublicURL: base, AdminEmail: cfg.Mode.AdminEmail,
		AllowSignups: cfg.Mode.AllowSignups != nil && *cfg.Mode.AllowSignups, Log: log,
		OnSignIn: onSignIn,
	})
	if err != nil {
		return nil, usageError{err}
	}
	if n, err := accounts.ResendPending(ctx); err != nil {
		log.Warn("sign-in mails left by the last run were not sent", "error", err)
	} else if n > 0 {
		log.Info("sent the sign-in mails the last run left undelivered", "mails", n)
	}
	return accounts, nil
}

// adoptSingleMode gives the admin what single mode left behind when the
// mode was changed on the Config page rather than by the switch-mode
// action: the owner's recaps and follows.
func adoptSingleMode(ctx context.Context, data string, st *store.Store, adminID string, log *slog.Logger) error {
	if err := adoptSingleRecaps(data, adminID, log); err != nil {
		return err
	}
	n, err := follow.MoveToAccount(ctx, followsFile(data), st, adminID)
	if err != nil {
		return err
	}
	if n > 0 {
		log.Info("moved the owner's single-mode follows to the admin's account", "count", n)
	}
	return nil
}

// adoptSingleRecaps moves recaps left in DATA/history itself, the
// owner's from single mode (the mode was changed on the Config page
// rather than by the switch-mode action), to the admin's folder, as the
// action would have.
func adoptSingleRecaps(data, adminID string, log *slog.Logger) error {
	plan, err := startos.PlanModeSwitch(data, config.ModeSingle, config.ModeMulti, adminID)
	if err != nil {
		log.Warn("single-mode recaps not moved to the admin's folder", "error", err)
		return nil
	}
	if len(plan.Moves) == 0 {
		return nil
	}
	if err := plan.Apply(data); err != nil {
		return err
	}
	log.Info("moved the owner's single-mode recaps to the admin's folder", "count", len(plan.Moves))
	return nil
}

// reconcileLibrary brings the library's index in line with its files
// and logs what it changed and skipped.
func reconcileLibrary(ctx context.Context, lib *store.UserLibrary, log *slog.Logger) (store.ReconcileReport, error) {
	rep, err := lib.Reconcile(ctx)
	if err != nil {
		return rep, err
	}
	log.Info("library reconciled", "indexed", rep.Indexed, "dropped", rep.Dropped, "unchanged", rep.Unchanged, "problems", len(rep.Problems))
	for _, p := range rep.Problems {
		log.Warn("library: skipped a file", "file", p.File, "error", p.Err)
	}
	return rep, nil
}

// pruneInterval is how often multi mode drops expired sessions and links
// and old sign-in requests.
const pruneInterval = time.Hour

// pruneEvery prunes the store, sweeps the trials' recaps and the credits
// (stale reservations, due refills, ended tiers) now and then every interval
// until the returned function is called; that function waits for a
// running prune.
func pruneEvery(st *store.Store, ledger *credits.Ledger, trials *store.TrialLibrary, interval time.Duration, log *slog.Logger) (stop func()) {
	return every(interval, func(ctx context.Context) {
		p, err := st.Prune(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("pruning the database", "error", err)
		case p != (store.Pruned{}):
			log.Info("pruned the database", "sessions", p.Sessions, "links", p.MagicLinks, "sign_in_requests", p.SignIns)
		}
		// Claimed trials' recaps not moved yet, and expired trials'.
		if ts, err := trials.SweepTrials(ctx); err != nil && ctx.Err() == nil {
			log.Warn("sweeping trial recaps", "error", err)
		} else if ts != (store.TrialSweep{}) {
			log.Info("swept trial recaps", "expired_trials", ts.Expired, "adopted_recaps", ts.Adopted)
		}
		if sw, err := ledger.Sweep(ctx); err != nil && ctx.Err() == nil {
			log.Warn("sweeping credits", "error", err)
		} else if sw != (credits.SweepResult{}) {
			log.Info("swept credits", "released", sw.Released, "settled", sw.Settled)
		}
	})
}

// every calls fn now and then every interval, until the returned function
// is called; that function cancels fn's context and waits for a running
// call to return.
func every(interval time.Duration, fn func(ctx context.Context)) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			fn(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() { cancel(); <-done }
}
