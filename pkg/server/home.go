package server

import (
	"net/http"

	"github.com/julienschmidt/httprouter"

	"github.com/recap-startos/recap/pkg/jobs"
	"github.com/recap-startos/recap/pkg/library"
)

type homePage struct {
	Recent    []library.Hit
	Total     int
	Running   []jobs.State // queued or running
	Failed    []jobs.State // failed in the last few jobs
	MaxUpload string
}

func (s *Server) handleHome(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	page := s.lib.Find(library.Query{Limit: 10})
	p := homePage{Recent: page.Hits, Total: page.Total, MaxUpload: formatMB(s.opt.MaxUpload)}
	for _, st := range s.jobs.Recent(20) {
		switch st.Status {
		case jobs.StatusQueued, jobs.StatusRunning:
			p.Running = append(p.Running, st)
		}
	}
	return s.render(w, r, http.StatusOK, "home", p)
}
