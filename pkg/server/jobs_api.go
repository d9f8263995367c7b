package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/recap-startos/recap/pkg/jobs"
)

// submitResponse answers POST /api/recaps.
type submitResponse struct {
	JobID    string     `json:"job_id"`
	RecapID  string     `json:"recap_id"`
	Attached bool       `json:"attached"` // the URL was being recapped already
	Job      jobs.State `json:"job"`
}

// submit starts a job (or attaches to the running one for the same URL).
// An anonymous visitor's first submission starts a trial (trials.go).
func (s *Server) submit(w http.ResponseWriter, r *http.Request) (jobs.State, bool, error) {
	in, err := s.readSubmission(r)
	if err != nil {
		return jobs.State{}, false, err
	}
	return s.submitInput(w, r, in)
}

// submitInput is submit for an input already read.
func (s *Server) submitInput(w http.ResponseWriter, r *http.Request, in jobs.Input) (jobs.State, bool, error) {
	c, err := s.trialFor(w, r, callerOf(r))
	if err != nil {
		return jobs.State{}, false, err
	}
	in.Owner = c.ID
	st, attached, err := s.jobs.Submit(in)
	return st, attached, s.trialSubmitError(c, err)
}

// job returns a job of the caller; another user's job is not found.
func (s *Server) job(r *http.Request, id string) (jobs.State, error) {
	st, err := s.jobs.Get(id)
	if err != nil {
		return st, err
	}
	if st.Owner != callerOf(r).ID {
		return jobs.State{}, jobs.ErrNotFound
	}
	return st, nil
}

// handleSubmitAPI starts a job and answers 202 at once.
func (s *Server) handleSubmitAPI(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	st, attached, err := s.submit(w, r)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/jobs/"+st.ID)
	writeJSON(w, http.StatusAccepted, submitResponse{JobID: st.ID, RecapID: st.RecapID, Attached: attached, Job: st})
	return nil
}

func (s *Server) handleListJobs(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	writeJSON(w, http.StatusOK, map[string][]jobs.State{"jobs": s.jobs.RecentOf(callerOf(r).ID, 50)})
	return nil
}

func (s *Server) handleGetJob(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error {
	st, err := s.job(r, ps.ByName("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) handleCancelJob(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error {
	if _, err := s.job(r, ps.ByName("id")); err != nil {
		return err
	}
	st, err := s.jobs.Cancel(ps.ByName("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// heartbeat keeps idle event streams open through proxies.
const heartbeat = 15 * time.Second

// handleJobEvents streams a job's state as server-sent events: one
// "progress" event per change while it runs, then one "done", "failed"
// or "cancelled" event, after which the stream ends. Every event's data
// is the job state as JSON, so a client that reconnects starts from the
// current state.
func (s *Server) handleJobEvents(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error {
	if _, err := s.job(r, ps.ByName("id")); err != nil {
		return err
	}
	st, changed, stop, err := s.jobs.Subscribe(ps.ByName("id"))
	if err != nil {
		return err
	}
	defer stop()
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	js := &jobStream{w: w, rc: http.NewResponseController(w), last: st}
	fmt.Fprint(w, "retry: 2000\n\n")
	if js.send(st) {
		return nil
	}
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-s.stopping:
			return nil
		case <-tick.C:
			if !js.keepAlive() {
				return nil
			}
		case <-changed:
			st, err := s.jobs.Get(st.ID)
			if err != nil || js.update(st) {
				return nil
			}
		}
	}
}

// jobStream writes one job's server-sent events.
type jobStream struct {
	w    http.ResponseWriter
	rc   *http.ResponseController
	last jobs.State // the state sent last
}

// send writes st as an event: "progress" while the job runs, else its
// final status. It reports whether the stream is over: the job finished
// or the client is gone.
func (js *jobStream) send(st jobs.State) (over bool) {
	event := "progress"
	if st.Finished() {
		event = st.Status
	}
	data, _ := json.Marshal(st)
	if _, err := fmt.Fprintf(js.w, "event: %s\ndata: %s\n\n", event, data); err != nil {
		return true
	}
	return js.rc.Flush() != nil || st.Finished()
}

// update sends st when it differs from the state sent last; see send.
func (js *jobStream) update(st jobs.State) (over bool) {
	if st == js.last {
		return false
	}
	js.last = st
	return js.send(st)
}

// keepAlive writes a comment so that proxies keep the stream open. It
// reports whether the client is still there.
func (js *jobStream) keepAlive() bool {
	if _, err := fmt.Fprint(js.w, ": keep-alive\n\n"); err != nil {
		return false
	}
	return js.rc.Flush() == nil
}
