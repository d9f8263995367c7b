package server

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/julienschmidt/httprouter"

	"github.com/recap-startos/recap/pkg/store"
)

// Account housekeeping on the admin dashboard: merging accounts that
// share an address (left by the earlier Recap, which stored addresses as
// typed) and taking admin rights from the earlier install's other admins.
// Only the owner, the account of mode.admin-email, demotes admins.

// isOwner reports whether the caller is the account of mode.admin-email.
func (s *Server) isOwner(r *http.Request) bool {
	return store.EmailKey(callerOf(r).Email) == s.multi.Accounts.AdminEmail()
}

// handleAdminDemoteForm takes admin rights from a user (and ends the
// user's sessions).
func (s *Server) handleAdminDemoteForm(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error {
	if !s.isOwner(r) {
		return errOwnerOnly
	}
	u, err := s.adminUser(r, ps)
	if err != nil {
		return err
	}
	if store.EmailKey(u.Email) == s.multi.Accounts.AdminEmail() {
		return errDemoteOwner
	}
	if err := s.multi.Store.SetUserAdmin(r.Context(), u.ID, false); err != nil {
		return err
	}
	s.log.Info("admin rights taken", "actor", callerOf(r).ID, "user_id", u.ID)
	http.Redirect(w, r, "/admin/users/"+u.ID+"?done=demoted", http.StatusSeeOther)
	return nil
}

// mergePage asks before merging one account into another.
type mergePage struct {
	Into, From             *store.User
	IntoRecaps, FromRecaps int
}

// mergePair reads the two accounts of a merge from the query or form.
func (s *Server) mergePair(r *http.Request, into, from string) (*mergePage, error) {
	if into == from {
		return nil, errMergeSelf
	}
	ctx := r.Context()
	p := &mergePage{}
	var err error
	for _, x := range []struct {
		id string
		u  **store.User
		n  *int
	}{{into, &p.Into, &p.IntoRecaps}, {from, &p.From, &p.FromRecaps}} {
		*x.u, err = s.multi.Store.UserByID(ctx, x.id)
		if errors.Is(err, store.ErrNotFound) {
			return nil, errUserNotFound
		}
		if err != nil {
			return nil, err
		}
		if *x.n, err = s.lib.Count(ctx, x.id); err != nil {
			return nil, err
		}
	}
	if store.EmailKey(p.Into.Email) != store.EmailKey(p.From.Email) {
		return nil, errNotDuplicate
	}
	return p, nil
}

func (s *Server) handleAdminMergePage(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	q := r.URL.Query()
	p, err := s.mergePair(r, q.Get("into"), q.Get("from"))
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "admin_merge", p)
}

func (s *Server) handleAdminMergeForm(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	if err := r.ParseForm(); err != nil {
		return errBadForm
	}
	p, err := s.mergePair(r, r.PostForm.Get("into"), r.PostForm.Get("from"))
	if err != nil {
		return err
	}
	m, err := s.multi.Library.MergeAccounts(r.Context(), p.Into.ID, p.From.ID)
	if errors.Is(err, store.ErrNotDuplicate) {
		return errNotDuplicate
	}
	if err != nil {
		return err
	}
	s.log.Info("accounts merged", "actor", callerOf(r).ID, "into", p.Into.ID, "from", p.From.ID,
		"recaps", m.Recaps, "sessions", m.Sessions, "credits", m.Credits)
	http.Redirect(w, r, "/admin/users/"+p.Into.ID+"?done=merged&recaps="+strconv.FormatInt(m.Recaps, 10), http.StatusSeeOther)
	return nil
}
