package server

import (
	"errors"
	"github.com/recap-startos/recap/pkg/credits"
	"net/http"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/recap-startos/recap/pkg/auth"
	"github.com/recap-startos/recap/pkg/store"
)

// Multi mode's account page and API: who am I, my sessions, revoke one,
// sign out everywhere.

// sessionView is a session as the account page and the API show it.
type sessionView struct {
	ID        string    `json:"id"` // the SHA-256 of the cookie value; cannot sign in
	Current   bool      `json:"current"`
	CreatedAt time.Time `json:"created_at"`
	LastUsed  time.Time `json:"last_used_at"`
	ExpiresAt time.Time `json:"expires_at"`
	UserAgent string    `json:"user_agent"`
	IPAddress string    `json:"ip_address"`
}

func viewSessions(list []store.Session, current string) []sessionView {
	out := make([]sessionView, 0, len(list))
	for _, ss := range list {
		last := ss.LastUsedAt
		if last.IsZero() {
			last = ss.CreatedAt
		}
		out = append(out, sessionView{ID: ss.ID, Current: ss.ID == current, CreatedAt: ss.CreatedAt, LastUsed: last,
			ExpiresAt: ss.ExpiresAt, UserAgent: ss.UserAgent, IPAddress: ss.IPAddress})
	}
	return out
}

type sessionsPage struct {
	Email    string
	Admin    bool
	Recaps   int
	Sessions []sessionView
	Notice   string
	Balance  credits.Balance
	History  []credits.Entry // the last 50 ledger entries
	Owner    bool            // the owner's account, which cannot be deleted
}

func (s *Server) handleSessionsPage(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	c := callerOf(r)
	list, err := s.multi.Store.ListSessions(r.Context(), c.ID)
	if err != nil {
		return err
	}
	n, err := s.lib.Count(r.Context(), c.ID)
	if err != nil {
		return err
	}
	b, err := s.multi.Credits.Balance(r.Context(), c.ID)
	if err != nil {
		return err
	}
	hist, err := s.multi.Credits.History(r.Context(), c.ID, 50, 0)
	if err != nil {
		return err
	}
	p := sessionsPage{Email: c.Email, Admin: c.Admin, Recaps: n, Sessions: viewSessions(list, c.Session),
		Balance: b, History: hist, Owner: s.multi.Accounts.IsOwner(c.User)}
	switch r.URL.Query().Get("done") {
	case "revoked":
		p.Notice = "That browser is signed out."
	case "others":
		p.Notice = "Every other browser is signed out."
	}
	return s.render(w, r, http.StatusOK, "sessions", p)
}

// handleRevokeSessionForm signs one of the caller's browsers out; the
// current one means signing out here.
func (s *Server) handleRevokeSessionForm(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error {
	c := callerOf(r)
	if err := s.revokeOwnSession(r, ps.ByName("sid")); err != nil {
		return err
	}
	if ps.ByName("sid") == c.Session {
		auth.ClearAccountCookie(w, s.secureCookies(r))
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/account?done=revoked", http.StatusSeeOther)
	return nil
}

func (s *Server) revokeOwnSession(r *http.Request, sid string) error {
	err := s.multi.Store.RevokeSession(r.Context(), callerOf(r).ID, sid)
	if errors.Is(err, store.ErrNotFound) {
		return errSessionNotFound
	}
	return err
}

// handleSignOutEverywhereForm ends every session of the caller, this
// one included.
func (s *Server) handleSignOutEverywhereForm(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	if _, err := s.multi.Store.RevokeUserSessions(r.Context(), callerOf(r).ID, ""); err != nil {
		return err
	}
	s.log.Info("signed out everywhere", "user_id", callerOf(r).ID)
	auth.ClearAccountCookie(w, s.secureCookies(r))
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// handleMeMulti says who the caller is.
func (s *Server) handleMeMulti(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	c := callerOf(r)
	n, err := s.lib.Count(r.Context(), c.ID)
	if err != nil {
		return err
	}
	b, err := s.multi.Credits.Balance(r.Context(), c.ID)
	if err != nil {
		return err
	}
	role := "user"
	if c.Admin {
		role = "admin"
	}
	me := map[string]any{
		"mode": s.opt.Mode, "user": c.ID, "email": c.Email, "role": role, "tier": c.User.Tier,
		"credits": viewCredits(b, s.multi.Credits.Policy()), "created_at": c.User.CreatedAt, "recaps": n,
	}
	if err := s.addTier(r, c.ID, me); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, me)
	return nil
}

// addTier puts the caller's tier as features see it, its expiry, and
// with a relay the relay's state into a /api/me answer. While the relay
// cannot be reached the cached tier holds (see docs/relay.md), and
// "relay.reachable" says so.
func (s *Server) addTier(r *http.Request, userID string, me map[string]any) error {
	e, err := s.tiers().Tier(r.Context(), userID)
	if err != nil {
		return err
	}
	me["tier"] = e.Tier
	me["tier_expires_at"] = nil
	if !e.Expiry.IsZero() {
		me["tier_expires_at"] = e.Expiry.UTC()
	}
	if e.Held {
		me["tier_held"] = true
	}
	if !e.HeldUntil.IsZero() {
		me["tier_held_until"] = e.HeldUntil.UTC()
	}
	if s.multi.Relay != nil {
		st := s.multi.Relay()
		rs := map[string]any{"reachable": st.Reachable}
		if !st.Reachable {
			rs["down_since"] = st.DownSince.UTC()
			rs["message"] = "The relay cannot be reached; tiers are kept as they were until it is back."
		}
		me["relay"] = rs
	}
	return nil
}

func (s *Server) handleListSessions(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	c := callerOf(r)
	list, err := s.multi.Store.ListSessions(r.Context(), c.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": viewSessions(list, c.Session)})
	return nil
}

func (s *Server) handleRevokeSession(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error {
	if err := s.revokeOwnSession(r, ps.ByName("sid")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleRevokeAllSessions ends the caller's sessions; with
// {"keep_current": true} (or the form field keep_current=1) this one
// stays.
func (s *Server) handleRevokeAllSessions(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	c := callerOf(r)
	keep := ""
	if r.URL.Query().Get("keep_current") == "1" {
		keep = c.Session
	}
	n, err := s.multi.Store.RevokeUserSessions(r.Context(), c.ID, keep)
	if err != nil {
		return err
	}
	if keep == "" {
		auth.ClearAccountCookie(w, s.secureCookies(r))
	}
	writeJSON(w, http.StatusOK, map[string]int64{"revoked": n})
	return nil
}
