package server

import (
	"net/http"

	"github.com/julienschmidt/httprouter"
)

// handleHealth answers GET /healthz without a session: the service is
// up, or 503 "unhealthy" with a message when the data folder cannot be
// written (jobs could not be kept).
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	if err := s.jobs.Healthy(); err != nil {
		s.log.Error("health: data folder not writable", "error", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unhealthy", "mode": s.opt.Mode, "version": s.opt.Version,
			"message": "Recap cannot write to its data folder; check the free space of the server's disk."})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "mode": s.opt.Mode, "version": s.opt.Version})
	return nil
}
