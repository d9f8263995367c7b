package server

import (
	"net/http"

	"github.com/julienschmidt/httprouter"
)

// handleHealth answers GET /healthz without a session: the service is up.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "mode": s.opt.Mode, "version": s.opt.Version})
	return nil
}
