package server

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"

	"github.com/julienschmidt/httprouter"

	"github.com/recap-startos/recap/pkg/auth"
	"github.com/recap-startos/recap/pkg/store"
)

// Multi mode's sign-in by emailed link; the flow is described in
// pkg/auth/accounts.go.

type signInPage struct {
	Next    string
	Sent    bool
	Problem string
	Minutes int
}

func (s *Server) handleSignInPage(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	next := safeNext(r.URL.Query().Get("next"))
	if s.signedIn(r) {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	return s.render(w, r, http.StatusOK, "signin", signInPage{Next: next, Minutes: int(auth.LinkTTL.Minutes())})
}

// requester describes where a request comes from, for the records.
func (s *Server) requester(r *http.Request) auth.Requester {
	a, bucket := s.client(r)
	q := auth.Requester{Bucket: bucket, UserAgent: clip(r.UserAgent(), 300)}
	if a.IsValid() {
		q.IP = a.String()
	}
	return q
}

// handleRequestLink takes {"email"} as JSON or a form. The answer is the
// same whatever happens next (see auth.Accounts.RequestLink); only an
// address that is not one plain address is refused.
func (s *Server) handleRequestLink(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var email, next string
	asJSON := ctype == "application/json"
	if asJSON {
		var body struct {
			Email string `json:"email"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			return badRequest("bad_json", `The body must be JSON like {"email": "ada@example.org"}.`)
		}
		email = body.Email
	} else {
		if err := r.ParseForm(); err != nil {
			return errBadForm
		}
		email, next = r.PostForm.Get("email"), safeNext(r.PostForm.Get("next"))
	}
	from := s.requester(r)
	if t, ok := s.trialOf(r); ok && !s.signedIn(r) {
		from.Trial = t.ID // bound to the link: claimed wherever it is confirmed
	}
	err := s.multi.Accounts.RequestLink(r.Context(), email, from)
	if errors.Is(err, auth.ErrBadEmail) {
		if asJSON {
			return errBadEmail
		}
		return s.render(w, r, http.StatusBadRequest, "signin", signInPage{Next: next, Problem: errBadEmail.Message + " " + errBadEmail.Hint, Minutes: int(auth.LinkTTL.Minutes())})
	}
	if err != nil {
		return err
	}
	if asJSON {
		writeJSON(w, http.StatusAccepted, map[string]string{"status": "sent",
			"message": "If this address can sign in here, a link is on its way. It works once, for 15 minutes."})
		return nil
	}
	return s.render(w, r, http.StatusOK, "signin", signInPage{Sent: true, Minutes: int(auth.LinkTTL.Minutes())})
}

type verifyPage struct {
	Token   string
	Next    string
	Problem string
	Account string // masked address the link signs in
	// Current is the masked address of the account this browser is
	// signed in to, when it is another one: then signing in needs an
	// explicit choice (the form's "switch").
	Current string
}

// switchCheck says whether confirming token in this browser would replace
// a session of another account: it returns the verify page that asks,
// or nil when there is nothing to ask (no session, the same account, or
// a token that does not work, which Confirm reports).
func (s *Server) switchCheck(r *http.Request, token, next string) *verifyPage {
	c, ok := s.gate.caller(r)
	if !ok {
		return nil
	}
	email, err := s.multi.Accounts.LinkAccount(r.Context(), token)
	if err != nil || email == c.Email {
		return nil
	}
	return &verifyPage{Token: token, Next: next, Account: auth.MaskEmail(email), Current: auth.MaskEmail(c.Email)}
}

// noLeaks keeps the confirm page out of caches, referrers and indexes:
// its URL holds the token.
func noLeaks(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Robots-Tag", "noindex, nofollow")
	h.Set("Cache-Control", "no-store")
}

// handleVerifyPage answers GET and HEAD of the link in the mail: a page
// with a button. It reads nothing and changes nothing, so a mail scanner
// or preview that fetches the link cannot use it.
func (s *Server) handleVerifyPage(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	noLeaks(w)
	q := r.URL.Query()
	token, next := q.Get("token"), safeNext(q.Get("next"))
	if p := s.switchCheck(r, token, next); p != nil {
		return s.render(w, r, http.StatusOK, "verify", *p)
	}
	page := verifyPage{Token: token, Next: next}
	if email, err := s.multi.Accounts.LinkAccount(r.Context(), token); err == nil {
		page.Account = auth.MaskEmail(email)
	}
	return s.render(w, r, http.StatusOK, "verify", page)
}

// handleVerify consumes the token from the confirm page's form and signs
// the browser in with a new session.
func (s *Server) handleVerify(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	noLeaks(w)
	if err := r.ParseForm(); err != nil {
		return errBadForm
	}
	token, next := r.PostForm.Get("token"), safeNext(r.PostForm.Get("next"))
	replaces := auth.AccountTokenFrom(r, !s.secureCookies(r))
	from := s.requester(r)
	// Wrong tokens spend the same per-client budget as wrong passwords,
	// so nobody can try tokens at speed (tokens are 256 bits anyway).
	key := "verify " + from.Bucket
	var err error
	var conf auth.Confirmed
	// Taken before the token is looked up, given back unless it was
	// unusable: concurrent wrong tokens cannot all pass the check.
	if ok, _ := s.limiter.Take(key); !ok {
		s.log.Warn("confirmation rate limited", "ip_bucket", from.Bucket)
		err = errTooManyConfirmations
	} else if p := s.switchCheck(r, token, next); p != nil && r.PostForm.Get("switch") != "1" {
		// Never end this browser's session without the choice.
		s.limiter.Refund(key)
		if wantsJSON(r) {
			return errOtherAccount
		}
		return s.render(w, r, http.StatusConflict, "verify", *p)
	} else {
		conf, err = s.multi.Accounts.ConfirmLink(r.Context(), token, replaces, from)
		if !errors.Is(err, store.ErrTokenInvalid) {
			s.limiter.Refund(key)
		}
	}
	if err != nil {
		return s.formFailed(w, r, wantsJSON(r), err, "verify", func(he *httpError) any {
			return verifyPage{Problem: he.problem()}
		})
	}
	auth.SetAccountCookie(w, conf.Session, s.secureCookies(r))
	s.claimTrial(w, r, conf)
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
		return nil
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// handleSignOut ends the browser's session, if any.
func (s *Server) handleSignOut(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	if c, ok := s.gate.caller(r); ok {
		err := s.multi.Store.RevokeSession(r.Context(), c.ID, c.Session)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	auth.ClearAccountCookie(w, s.secureCookies(r))
	if wantsJSON(r) {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}
