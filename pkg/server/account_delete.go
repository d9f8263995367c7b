package server

import (
	"errors"
	"net/http"

	"github.com/julienschmidt/httprouter"

	"github.com/recap-startos/recap/pkg/auth"
	"github.com/recap-startos/recap/pkg/store"
)

// Deleting one's own account (multi mode). A signed-in person asks on the
// Account page; Recap mails a link to the account's address (so a
// borrowed, unlocked browser cannot do it alone); the link opens a page
// with a button, and only its POST deletes, with the same guarantees as
// the admin's removal (store.UserLibrary.RemoveAccount).

type deletePageData struct {
	Sent    bool   // the mail went out
	Email   string // where it went
	Recaps  int
	Token   string // the confirm page
	Done    bool   // the account is gone
	Problem string
}

// handleDeleteAccountForm mails the confirmation link.
func (s *Server) handleDeleteAccountForm(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	c := callerOf(r)
	if s.multi.Accounts.IsOwner(c.User) {
		return errDeleteOwner
	}
	n, err := s.lib.Count(r.Context(), c.ID)
	if err != nil {
		return err
	}
	err = s.multi.Accounts.RequestDeletion(r.Context(), c.User, n, s.requester(r))
	if err != nil && !errors.Is(err, auth.ErrOwnerAccount) {
		s.log.Warn("account deletion mail not sent", "user_id", c.ID, "error", err)
		return errMailFailed
	}
	if err != nil {
		return errDeleteOwner
	}
	s.log.Info("account deletion asked", "user_id", c.ID)
	return s.render(w, r, http.StatusOK, "account_delete", deletePageData{Sent: true, Email: c.Email, Recaps: n})
}

// handleDeleteConfirmPage answers the link in the mail: a page with a
// button. It changes nothing (mail scanners fetch links).
func (s *Server) handleDeleteConfirmPage(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	noLeaks(w)
	return s.render(w, r, http.StatusOK, "account_delete", deletePageData{Token: r.URL.Query().Get("token")})
}

// handleDeleteConfirm consumes the link and removes the account.
func (s *Server) handleDeleteConfirm(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	noLeaks(w)
	if err := r.ParseForm(); err != nil {
		return errBadForm
	}
	from := s.requester(r)
	key := "delete " + from.Bucket
	// Taken before the token is looked up, given back unless it was
	// unusable (see handleVerify).
	if ok, _ := s.limiter.Take(key); !ok {
		return s.render(w, r, http.StatusTooManyRequests, "account_delete", deletePageData{Problem: "Too many links that did not work. Wait a minute, then open the newest link from your mail."})
	}
	u, err := s.multi.Accounts.ConfirmDeletion(r.Context(), r.PostForm.Get("token"))
	if !errors.Is(err, store.ErrTokenInvalid) && !errors.Is(err, store.ErrNotFound) {
		s.limiter.Refund(key)
	}
	switch {
	case errors.Is(err, store.ErrTokenInvalid), errors.Is(err, store.ErrNotFound):
		return s.render(w, r, http.StatusBadRequest, "account_delete", deletePageData{Problem: "This link is invalid, used or expired. Ask again from the Account page."})
	case errors.Is(err, auth.ErrOwnerAccount):
		return errDeleteOwner
	case err != nil:
		return err
	}
	rm, err := s.multi.Library.RemoveAccount(r.Context(), u.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	s.log.Info("account deleted by its owner", "user_id", u.ID, "recaps", rm.Recaps)
	if c, ok := s.gate.caller(r); !ok || c.ID == u.ID {
		auth.ClearAccountCookie(w, s.secureCookies(r))
	}
	return s.render(w, r, http.StatusOK, "account_delete", deletePageData{Done: true, Email: u.Email, Recaps: int(rm.Recaps)})
}
