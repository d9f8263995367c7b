package server

// Anonymous trials (multi mode with mode.trial-credits above 0).
//
// A visitor who is not signed in sees the home page with a banner and
// may submit. The first submission that would cost something starts a
// trial (credits.Ledger.MintTrial, capped per client bucket) and sets
// the recap_anon_trial cookie; reading pages starts nothing. The trial
// holder is a caller whose ID is store.TrialOwner(trial id): the job
// queue charges the trial's credits and files the recaps in the trial's
// own folder (store.TrialLibrary), which only that cookie can read.
//
// Asking for a sign-in link while holding the cookie binds the trial to
// the link (magic_link_tokens.trial_cookie_id). Confirming that link, in
// any browser, claims the trial once (credits.Ledger.ClaimTrial) and
// moves its recaps into the account's library.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/recap-startos/recap/pkg/auth"
	"github.com/recap-startos/recap/pkg/credits"
	"github.com/recap-startos/recap/pkg/jobs"
	"github.com/recap-startos/recap/pkg/library"
	"github.com/recap-startos/recap/pkg/recap"
	"github.com/recap-startos/recap/pkg/store"
)

// TrialCookieName is the anonymous trial's cookie, named as the earlier
// Recap named it. It holds 32 random bytes; the store keeps their
// SHA-256 only.
const TrialCookieName = "recap_anon_trial"

// trialsOn reports whether anonymous visitors may try Recap.
func (s *Server) trialsOn() bool {
	return s.multi != nil && s.multi.Credits.Policy().TrialCredits > 0
}

// trialCookie returns the trial cookie's value, or "".
func trialCookie(r *http.Request) string {
	c, err := r.Cookie(TrialCookieName)
	if err != nil {
		return ""
	}
	return c.Value
}

func (s *Server) setTrialCookie(w http.ResponseWriter, r *http.Request, value string) {
	http.SetCookie(w, &http.Cookie{Name: TrialCookieName, Value: value, Path: "/", MaxAge: int(credits.TrialLife / time.Second),
		HttpOnly: true, Secure: s.secureCookies(r), SameSite: http.SameSiteLaxMode})
}

func (s *Server) clearTrialCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: TrialCookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.secureCookies(r), SameSite: http.SameSiteLaxMode})
}

// trialOf returns the usable trial the request's cookie names.
func (s *Server) trialOf(r *http.Request) (credits.Trial, bool) {
	if !s.trialsOn() {
		return credits.Trial{}, false
	}
	t, err := s.multi.Credits.TrialByCookie(r.Context(), trialCookie(r))
	if err != nil {
		if !errors.Is(err, credits.ErrNoTrial) {
			s.log.Warn("reading a trial failed", "error", err)
		}
		return credits.Trial{}, false
	}
	return t, true
}

// trialCaller returns the caller of a request without a session on a
// route that trial holders may use (visitor or holder): the trial
// holder, or for visitor routes an anonymous caller.
func (s *Server) trialCaller(r *http.Request, who access) (*caller, bool) {
	if (who != visitor && who != holder) || !s.trialsOn() {
		return nil, false
	}
	if t, ok := s.trialOf(r); ok {
		return &caller{ID: store.TrialOwner(t.ID), Trial: &t}, true
	}
	if who == visitor {
		return &caller{Anonymous: true}, true
	}
	return nil, false
}

// trialShelf is multi mode's library as handlers see it: the accounts'
// library, and the trials' recaps for a trial holder.
type trialShelf struct {
	users  *store.UserLibrary
	trials *store.TrialLibrary
}

var _ shelf = trialShelf{}

func (t trialShelf) pick(userID string) shelf {
	if store.IsTrialOwner(userID) {
		return t.trials
	}
	return t.users
}

func (t trialShelf) Find(ctx context.Context, userID string, q library.Query) (library.Page, error) {
	return t.pick(userID).Find(ctx, userID, q)
}

func (t trialShelf) Get(ctx context.Context, userID, id string) (*recap.Document, error) {
	return t.pick(userID).Get(ctx, userID, id)
}

func (t trialShelf) Entry(ctx context.Context, userID, id string) (*library.Entry, error) {
	return t.pick(userID).Entry(ctx, userID, id)
}

func (t trialShelf) Delete(ctx context.Context, userID, id string) error {
	return t.pick(userID).Delete(ctx, userID, id)
}

func (t trialShelf) Export(ctx context.Context, userID, id, format string) (*library.Export, error) {
	return t.pick(userID).Export(ctx, userID, id, format)
}

func (t trialShelf) Count(ctx context.Context, userID string) (int, error) {
	return t.pick(userID).Count(ctx, userID)
}

// trialWhen formats a time for the trial's messages.
func trialWhen(t time.Time) string { return t.UTC().Format("2 January 2006, 15:04 UTC") }

// signInGives says what signing in brings, for the trial's messages.
func (s *Server) signInGives() string {
	pol := s.multi.Credits.Policy()
	return fmt.Sprintf("Sign in with your email for more: an account gets %d credits every %d days, and your trial's recaps come with you.",
		pol.Plan(credits.TierCore).Credits, int(pol.Period.Hours()/24))
}

// errTrialCap answers a client whose network started its share of trials.
func (s *Server) errTrialCap(at time.Time) *httpError { return trialCapError(at, s.signInGives()) }

// errTrialUsedUp answers a trial holder with no credits left.
func (s *Server) errTrialUsedUp(t credits.Trial) *httpError {
	return trialUsedUpError(t.Total, t.CreatedAt.Add(credits.TrialWindow), s.signInGives())
}

// trialFor returns the caller a submission is made as: the caller
// itself, or for an anonymous visitor (or a holder of a used-up trial
// that started more than a day ago) a new trial, whose cookie it sets.
// A used-up trial's recaps move to the new one.
func (s *Server) trialFor(w http.ResponseWriter, r *http.Request, c *caller) (*caller, error) {
	if !c.Anonymous && c.Trial == nil {
		return c, nil
	}
	cost := s.multi.Credits.Policy().Cost(0)
	var old *credits.Trial
	if c.Trial != nil {
		if c.Trial.Left() >= cost || s.multi.Credits.Now().Sub(c.Trial.CreatedAt) < credits.TrialWindow {
			return c, nil // a short trial is refused when the job holds its credits
		}
		old = c.Trial
	}
	a, _ := s.client(r)
	cookie, t, err := s.multi.Credits.MintTrial(r.Context(), credits.TrialClient{Addr: a, Tor: viaOnion(r), UserAgent: r.UserAgent()})
	var ce *credits.CapError
	if errors.As(err, &ce) {
		s.log.Info("trial refused by the cap", "ip_bucket", auth.Bucket(a))
		return nil, s.errTrialCap(ce.RetryAt)
	}
	if err != nil {
		return nil, err
	}
	s.setTrialCookie(w, r, cookie)
	if old != nil {
		if err := s.multi.Library.Trials().MoveTrial(old.ID, t.ID); err != nil {
			s.log.Warn("moving a used-up trial's recaps to its new trial failed", "error", err)
		}
	}
	s.log.Info("trial started", "ip_bucket", auth.Bucket(a), "credits", t.Total)
	return &caller{ID: store.TrialOwner(t.ID), Trial: &t}, nil
}

// trialSubmitError turns a trial's refused submission into its answer.
func (s *Server) trialSubmitError(c *caller, err error) error {
	if c.Trial != nil && errors.Is(err, credits.ErrNotEnough) {
		t := *c.Trial
		if fresh, ferr := s.multi.Credits.TrialByID(context.Background(), t.ID); ferr == nil {
			t = fresh
		}
		return s.errTrialUsedUp(t)
	}
	return err
}

// claimTrial claims the trial a confirmed sign-in link was requested
// with: once, whichever browser confirmed it. The trial's recaps move to
// the account; a new account also gets its unused credits.
func (s *Server) claimTrial(w http.ResponseWriter, r *http.Request, conf auth.Confirmed) {
	if conf.Trial == "" || s.multi == nil {
		return
	}
	ctx := r.Context()
	claim, err := s.multi.Credits.ClaimTrial(ctx, conf.Trial, conf.User.ID, conf.Created)
	if err != nil {
		s.log.Error("claiming a trial failed", "user_id", conf.User.ID, "error", err)
		return
	}
	if !claim.Claimed {
		return
	}
	moved, err := s.multi.Library.Trials().Adopt(ctx, conf.Trial, conf.User.ID)
	if err != nil {
		// The claim stands; the hourly sweep moves the recaps.
		s.log.Error("moving a claimed trial's recaps failed; the sweep moves them", "user_id", conf.User.ID, "error", err)
	}
	if t, ok := s.trialOf(r); !ok || t.ID == conf.Trial {
		if trialCookie(r) != "" {
			s.clearTrialCookie(w, r)
		}
	}
	s.log.Info("trial claimed", "user_id", conf.User.ID, "credits", claim.Credits, "recaps", moved)
}

// trialView is the trial as the home page's banner and GET /api/trial
// show it.
type trialView struct {
	Credits   int        `json:"credits"` // what a new trial gets
	Recaps    int        `json:"recaps"`  // of up to an hour each
	PerHour   int        `json:"per_hour"`
	Active    bool       `json:"active"` // the request holds a usable trial
	Left      int        `json:"left,omitempty"`
	Total     int        `json:"total,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

func (s *Server) viewTrial(c *caller) *trialView {
	pol := s.multi.Credits.Policy()
	per := max(pol.PerHour, 1)
	v := &trialView{Credits: pol.TrialCredits, Recaps: pol.TrialCredits / per, PerHour: per}
	if c.Trial != nil {
		v.Active, v.Left, v.Total = true, c.Trial.Left(), c.Trial.Total
		at := c.Trial.ExpiresAt().UTC()
		v.ExpiresAt = &at
	}
	return v
}

// handleTrial answers GET /api/trial: whether trials are on, what one
// gives, and the caller's own trial. A signed-in caller has none.
func (s *Server) handleTrial(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	if s.signedIn(r) {
		writeJSON(w, http.StatusOK, map[string]any{"trials": s.trialsOn(), "signed_in": true})
		return nil
	}
	c, ok := s.trialCaller(r, visitor)
	if !ok {
		writeJSON(w, http.StatusOK, map[string]any{"trials": false, "signed_in": false})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]any{"trials": true, "signed_in": false, "trial": s.viewTrial(c)})
	return nil
}

// recentJobs are the caller's latest jobs; none for an anonymous visitor.
func (s *Server) recentJobs(c *caller) []jobs.State {
	if c.Anonymous {
		return nil
	}
	return s.jobs.RecentOf(c.ID, 20)
}

// viaOnion reports whether a request came in through an onion address:
// every Tor client then shares one trial bucket, whatever address the
// proxy in between shows.
func viaOnion(r *http.Request) bool {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return strings.HasSuffix(strings.ToLower(strings.TrimSuffix(host, ".")), ".onion")
}
