package server

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/julienschmidt/httprouter"

	"github.com/recap-startos/recap/pkg/auth"
)

type accountPage struct {
	Generated bool // still the password Recap made
	Sessions  int
	Changed   bool
	Problem   string
}

func (s *Server) handleAccountPage(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	rec, err := s.owner.Record()
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "account", accountPage{
		Generated: rec.Generated, Sessions: s.sessions.Len(), Changed: r.URL.Query().Get("changed") == "1",
	})
}

// handlePasswordForm changes the owner password from the account page.
func (s *Server) handlePasswordForm(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	if err := r.ParseForm(); err != nil {
		return errBadForm
	}
	f := r.PostForm
	err := s.changePassword(r, f.Get("current"), f.Get("new"), f.Get("confirm"))
	if err != nil {
		return s.formFailed(w, r, false, err, "account", func(he *httpError) any {
			rec, _ := s.owner.Record()
			return accountPage{Generated: rec.Generated, Sessions: s.sessions.Len(), Problem: he.Message}
		})
	}
	http.Redirect(w, r, "/account?changed=1", http.StatusSeeOther)
	return nil
}

// handlePasswordAPI changes the owner password: {"current", "new"}.
func (s *Server) handlePasswordAPI(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	var body struct {
		Current string `json:"current"`
		New     string `json:"new"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		return badRequest("bad_json", `The body must be JSON like {"current": "…", "new": "…"}.`)
	}
	if err := s.changePassword(r, body.Current, body.New, body.New); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// changePassword checks the current password (rate limited per client
// like the sign-in, with its own budget), sets the new one, and ends
// every other session: whoever knew the old password is signed out.
func (s *Server) changePassword(r *http.Request, current, next, confirm string) error {
	if next != confirm {
		return errPasswordsDiffer
	}
	_, bucket := s.client(r)
	key := "password-change " + bucket
	if ok, _ := s.limiter.Take(key); !ok {
		s.log.Warn("password change rate limited", "ip_bucket", bucket)
		return errTooManyPasswordChecks
	}
	err := s.owner.Change(current, next)
	if !errors.Is(err, auth.ErrWrongPassword) {
		s.limiter.Refund(key)
	}
	if err != nil {
		return err
	}
	if err := s.sessions.DeleteOthers(auth.TokenFrom(r)); err != nil {
		return err
	}
	s.log.Info("owner password changed; other sessions ended")
	s.changed()
	return nil
}

// handleMe says who the caller is. In single mode that is always the
// owner, with no tier or credit limits.
func (s *Server) handleMe(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	rec, err := s.owner.Record()
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"mode": s.opt.Mode, "user": "owner", "role": "owner", "tier": nil, "credits": nil,
		"password_generated": rec.Generated, "recaps": s.opt.Library.Len(),
	})
	return nil
}
