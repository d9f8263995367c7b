package server

import (
	"net/http"

	"github.com/julienschmidt/httprouter"

	"github.com/recap-startos/recap/pkg/jobs"
)

// stage is one step of a job as the progress page lists it.
type stage struct {
	Key, Name string
	State     string // "done", "current" or "todo"
}

var stageNames = []struct{ key, name string }{
	{"queued", "Waiting"},
	{jobs.StageFetching, "Reading the transcript"},
	{jobs.StageSegmenting, "Finding the topics"},
	{jobs.StageSummarizing, "Writing the recap"},
	{jobs.StageSaving, "Filing it in the library"},
	{jobs.StageDone, "Done"},
}

type jobPage struct {
	Job    jobs.State
	Stages []stage
}

func stagesOf(st jobs.State) []stage {
	cur := 0
	for i, s := range stageNames {
		if s.key == st.Stage {
			cur = i
		}
	}
	out := make([]stage, len(stageNames))
	for i, s := range stageNames {
		state := "todo"
		switch {
		case i < cur || st.Status == jobs.StatusDone:
			state = "done"
		case i == cur:
			state = "current"
		}
		out[i] = stage{Key: s.key, Name: s.name, State: state}
	}
	return out
}

func (s *Server) handleJobPage(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error {
	st, err := s.job(r, ps.ByName("id"))
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "job", jobPage{Job: st, Stages: stagesOf(st)})
}

// handleSubmitForm starts a job from the home page and shows its progress.
func (s *Server) handleSubmitForm(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	st, _, err := s.submit(r)
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/jobs/"+st.ID, http.StatusSeeOther)
	return nil
}

func (s *Server) handleCancelForm(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error {
	if _, err := s.job(r, ps.ByName("id")); err != nil {
		return err
	}
	st, err := s.jobs.Cancel(ps.ByName("id"))
	if err != nil && err != jobs.ErrFinished {
		return err
	}
	http.Redirect(w, r, "/jobs/"+st.ID, http.StatusSeeOther)
	return nil
}
