package server

import (
	"net/http"

	"github.com/julienschmidt/httprouter"

	"github.com/recap-startos/recap/pkg/jobs"
	"github.com/recap-startos/recap/pkg/transcript"
)

// stage is one step of a job as the progress page lists it.
type stage struct {
	Key, Name string
	State     string // "done", "current", "todo", "failed" or "stopped"
}

// stageNames are the steps a job goes through, in order. A finished job
// leaves the page for its recap, so "done" is not one of them.
var stageNames = []struct{ key, name string }{
	{"queued", "Waiting"},
	{jobs.StageFetching, "Reading the transcript"},
	{jobs.StageSegmenting, "Finding the topics"},
	{jobs.StageSummarizing, "Writing the recap"},
	{jobs.StageSaving, "Filing it in the library"},
}

// jobRefreshSeconds is how often the progress page reloads itself in a
// browser without JavaScript, which cannot follow the event stream.
const jobRefreshSeconds = 3

type jobPage struct {
	Job     jobs.State
	Stages  []stage
	Heading string
	// Refresh is the reload interval in seconds while the job runs, 0 once
	// it has ended.
	Refresh int
}

// stagesOf marks each stage of st: the ones before its current stage are
// done, the current one is in progress, or failed or stopped when the job
// ended there.
func stagesOf(st jobs.State) []stage {
	cur := 0
	for i, s := range stageNames {
		if s.key == st.Stage {
			cur = i
		}
	}
	here := "current"
	switch st.Status {
	case jobs.StatusFailed:
		here = "failed"
	case jobs.StatusCancelled:
		here = "stopped"
	}
	out := make([]stage, len(stageNames))
	for i, s := range stageNames {
		state := "todo"
		switch {
		case st.Status == jobs.StatusDone || i < cur:
			state = "done"
		case i == cur:
			state = here
		}
		out[i] = stage{Key: s.key, Name: s.name, State: state}
	}
	return out
}

// jobHeading is the progress page's heading for a job in st's status.
func jobHeading(st jobs.State) string {
	switch st.Status {
	case jobs.StatusDone:
		return "Recap ready"
	case jobs.StatusFailed:
		return "This recap failed"
	case jobs.StatusCancelled:
		return "Cancelled"
	case jobs.StatusQueued:
		return "Waiting to recap"
	}
	return "Recapping"
}

// handleJobPage shows a job's progress. A finished job goes straight to
// its recap, so the page's own reload (without JavaScript) or the script's
// redirect both end on the recap.
func (s *Server) handleJobPage(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error {
	st, err := s.job(r, ps.ByName("id"))
	if err != nil {
		return err
	}
	if st.Status == jobs.StatusDone && st.RecapID != "" {
		http.Redirect(w, r, "/recaps/"+st.RecapID, http.StatusSeeOther)
		return nil
	}
	p := jobPage{Job: st, Stages: stagesOf(st), Heading: jobHeading(st)}
	if !st.Finished() {
		p.Refresh = jobRefreshSeconds
	}
	return s.render(w, r, http.StatusOK, "job", p)
}

// handleSubmitForm starts a job from the home page and shows its progress;
// a source the library has a recap of already gets the duplicate page
// instead, unless the form asks to recap it again, and a podcast feed
// file or feed link the episode chooser (episode.go).
func (s *Server) handleSubmitForm(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	in, again, err := s.readSubmissionAgain(r)
	if err != nil {
		return err
	}
	if in.Data != nil && in.Episode == "" && transcript.IsFeed(in.Data) {
		return s.offerEpisodes(w, r, in, again)
	}
	if in.Source != "" && in.Episode == "" {
		if offered, err := s.offerLinkEpisodes(w, r, in); offered || err != nil {
			return err
		}
	}
	if !again {
		if page, ok := s.duplicateOf(r, in); ok {
			return s.render(w, r, http.StatusOK, "duplicate", page)
		}
	}
	st, _, err := s.submitInput(w, r, in)
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
