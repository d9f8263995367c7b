package server

import (
	"errors"
	"net/http"

	"github.com/julienschmidt/httprouter"

	"github.com/recap-startos/recap/pkg/auth"
	"github.com/recap-startos/recap/pkg/store"
)

// Invitations on the admin dashboard: the form, the list with revoke,
// and the page that says whether the mail went (and, when it did not,
// shows the link to pass on).

type invitedPage struct {
	Invited *auth.Invited
	Days    int
}

// handleAdminInviteForm invites the address of the form and shows the
// outcome. The page is the answer to the POST (not a redirect), so a
// link shown there never lands in a URL or a log.
func (s *Server) handleAdminInviteForm(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	if err := r.ParseForm(); err != nil {
		return errBadForm
	}
	inv, err := s.multi.Accounts.Invite(r.Context(), r.PostForm.Get("email"), callerOf(r).Email)
	switch {
	case errors.Is(err, auth.ErrBadEmail):
		return badRequest("bad_email", "That is not one plain email address.")
	case errors.Is(err, auth.ErrAlreadyMember):
		return errAlreadyMember
	case err != nil:
		return err
	}
	s.log.Info("admin invited someone", "actor", callerOf(r).ID, "mailed", inv.Mailed)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	return s.render(w, r, http.StatusOK, "admin_invited", invitedPage{Invited: inv, Days: int(auth.InviteTTL.Hours() / 24)})
}

// handleAdminRevokeInviteForm withdraws a pending invitation.
func (s *Server) handleAdminRevokeInviteForm(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	if err := r.ParseForm(); err != nil {
		return errBadForm
	}
	err := s.multi.Store.RevokeInvite(r.Context(), r.PostForm.Get("email"))
	if errors.Is(err, store.ErrInviteNotFound) {
		return errInviteNotFound
	}
	if err != nil {
		return err
	}
	s.log.Info("admin revoked an invitation", "actor", callerOf(r).ID)
	http.Redirect(w, r, "/admin?done=revoked-invite#invites", http.StatusSeeOther)
	return nil
}
