package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/julienschmidt/httprouter"

	"github.com/recap-startos/recap/pkg/auth"
)

type loginPage struct {
	Next    string
	Problem string
	// SignedOutEverywhere says every browser was just signed out.
	SignedOutEverywhere bool
}

// safeNext keeps a post-sign-in redirect on this site.
func safeNext(next string) string {
	// Browsers drop tabs and newlines from URLs and read \ as /, so
	// "/\t/evil.test" or "/\\evil.test" would leave the site.
	if strings.ContainsFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
		return "/"
	}
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/login") || strings.HasPrefix(next, "/auth/") {
		return "/"
	}
	return next
}

func (s *Server) handleLoginPage(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	next := safeNext(r.URL.Query().Get("next"))
	if s.signedIn(r) {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	return s.render(w, r, http.StatusOK, "login", loginPage{Next: next, SignedOutEverywhere: r.URL.Query().Get("signed_out") == "everywhere"})
}

// handleLogin signs the owner in from a form (password, next) or JSON
// ({"password"}). Failures are rate limited per client, and every attempt
// that is not limited does the same hashing work.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	asJSON := strings.HasPrefix(r.Header.Get("Content-Type"), "application/json")
	var password, next string
	if asJSON {
		var body struct {
			Password string `json:"password"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			return badRequest("bad_json", "The body must be JSON like {\"password\": \"…\"}.")
		}
		password = body.Password
	} else {
		if err := r.ParseForm(); err != nil {
			return errBadForm
		}
		password, next = r.PostForm.Get("password"), safeNext(r.PostForm.Get("next"))
	}
	// The attempt is taken from the budget before the password is hashed
	// and given back if it was right, so a burst of wrong passwords sent
	// at once is limited like one sent in a row.
	_, key := s.client(r)
	if ok, wait := s.limiter.Take(key); !ok {
		s.log.Warn("sign-in rate limited", "ip_bucket", key)
		return s.loginFailed(w, r, asJSON, next, tooManyPasswords(wait))
	}
	switch err := s.owner.Verify(password); {
	case errors.Is(err, auth.ErrBusy):
		s.limiter.Refund(key)
		s.log.Warn("sign-in refused: too many at once", "ip_bucket", key)
		return s.loginFailed(w, r, asJSON, next, errSignInBusy)
	case err != nil:
		s.log.Warn("sign-in failed", "ip_bucket", key)
		return s.loginFailed(w, r, asJSON, next, errOwnerWrongPassword)
	}
	s.limiter.Refund(key)
	token, err := s.sessions.Create()
	if err != nil {
		return err
	}
	auth.SetCookie(w, token, s.secureCookies(r))
	s.log.Info("signed in", "ip_bucket", key)
	if asJSON {
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
		return nil
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// loginFailed answers a refused sign-in: the sign-in page again, or the
// error for a JSON client.
func (s *Server) loginFailed(w http.ResponseWriter, r *http.Request, asJSON bool, next string, err error) error {
	return s.formFailed(w, r, asJSON, err, "login", func(he *httpError) any {
		return loginPage{Next: next, Problem: he.Message}
	})
}

// handleLogout ends the session of the request, if any.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	if tok := auth.TokenFrom(r); tok != "" {
		if err := s.sessions.Delete(tok); err != nil {
			return err
		}
	}
	auth.ClearCookie(w, s.secureCookies(r))
	if wantsJSON(r) {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}
