package server

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/julienschmidt/httprouter"

	"github.com/recap-startos/recap/pkg/store"
)

// Removing an account from the admin dashboard: a page that names how
// many recaps go with it, and the POST that removes it. The form carries
// that number back; when it no longer matches (a recap was added
// meanwhile) the page asks again. Admins are not removed this way: the
// owner first takes their rights, and the owner's own account never goes.

type removePage struct {
	User   *store.User
	Recaps int
	Again  bool // the count changed since the page was shown
}

// removable reads the account of the route and its recap count, refusing
// admins.
func (s *Server) removable(r *http.Request, ps httprouter.Params) (*removePage, error) {
	u, err := s.adminUser(r, ps)
	if err != nil {
		return nil, err
	}
	if u.IsAdmin || s.multi.Accounts.IsOwner(u) {
		return nil, errRemoveAdmin
	}
	n, err := s.lib.Count(r.Context(), u.ID)
	if err != nil {
		return nil, err
	}
	return &removePage{User: u, Recaps: n}, nil
}

func (s *Server) handleAdminRemovePage(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error {
	p, err := s.removable(r, ps)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "admin_remove", p)
}

func (s *Server) handleAdminRemoveForm(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error {
	if err := r.ParseForm(); err != nil {
		return errBadForm
	}
	p, err := s.removable(r, ps)
	if err != nil {
		return err
	}
	if confirmed, err := strconv.Atoi(r.PostForm.Get("recaps")); err != nil || confirmed != p.Recaps {
		p.Again = true
		return s.render(w, r, http.StatusConflict, "admin_remove", p)
	}
	rm, err := s.multi.Library.RemoveAccount(r.Context(), p.User.ID)
	if errors.Is(err, store.ErrNotFound) {
		return errUserNotFound
	}
	if err != nil {
		return err
	}
	s.log.Info("admin removed an account", "actor", callerOf(r).ID, "user_id", p.User.ID, "recaps", rm.Recaps, "sessions", rm.Sessions)
	http.Redirect(w, r, "/admin?done=removed", http.StatusSeeOther)
	return nil
}
