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
	// Engines are the engines to choose from, the default first; empty
	// when there is no choice.
	Engines []engineChoice
	// Trial is the anonymous trial's banner; nil for a signed-in caller.
	Trial *trialView
}

// engineChoice is one option of the home page's engine select.
type engineChoice struct {
	Name, Label string
}

// engineLabels name the engines for people.
var engineLabels = map[string]string{
	"builtin": "Builtin (on this server)",
	"openai":  "Language model (OpenAI-compatible server)",
	"gemini":  "Google Gemini",
}

func (s *Server) handleHome(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	c := callerOf(r)
	p := homePage{MaxUpload: formatMB(s.opt.MaxUpload)}
	if c.visiting() {
		p.Trial = s.viewTrial(c)
	}
	if !c.Anonymous {
		page, err := s.lib.Find(r.Context(), c.ID, library.Query{Limit: 10})
		if err != nil {
			return err
		}
		p.Recent, p.Total = page.Hits, page.Total
	}
	if len(s.opt.Engines) > 1 {
		for _, e := range s.opt.Engines {
			label := engineLabels[e]
			if label == "" {
				label = e
			}
			p.Engines = append(p.Engines, engineChoice{Name: e, Label: label})
		}
	}
	for _, st := range s.recentJobs(c) {
		switch st.Status {
		case jobs.StatusQueued, jobs.StatusRunning:
			p.Running = append(p.Running, st)
		}
	}
	return s.render(w, r, http.StatusOK, "home", p)
}
