package server

import (
	"net/http"

	"github.com/julienschmidt/httprouter"

	"github.com/recap-startos/recap/pkg/auth"
)

// handleOwnerSignOutEverywhere ends every session of the owner (single
// mode), this browser's too, as `recap owner reset-password` does without
// changing the password; the browser lands on the sign-in page, which
// says so.
func (s *Server) handleOwnerSignOutEverywhere(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	if err := s.sessions.DeleteAll(); err != nil {
		return err
	}
	s.log.Info("owner signed out everywhere")
	auth.ClearCookie(w, s.secureCookies(r))
	http.Redirect(w, r, "/login?signed_out=everywhere", http.StatusSeeOther)
	return nil
}
