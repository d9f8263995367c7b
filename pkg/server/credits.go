package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/recap-startos/recap/pkg/credits"
)

// creditsView is a balance as /api/me shows it.
type creditsView struct {
	Replenish    int        `json:"replenish"` // the period allowance left
	Purchased    int        `json:"purchased"` // permanent credits left
	Total        int        `json:"total"`
	NextRefillAt *time.Time `json:"next_refill_at"`
	Allowance    int        `json:"allowance"` // what each refill brings
	PerHour      int        `json:"per_hour"`  // what a started hour of transcript costs
}

func viewCredits(b credits.Balance, pol credits.Policy) creditsView {
	v := creditsView{Replenish: b.Replenish, Purchased: b.Purchased, Total: b.Total(), Allowance: b.Plan.Credits, PerHour: pol.PerHour}
	if !b.NextRefill.IsZero() {
		t := b.NextRefill.UTC()
		v.NextRefillAt = &t
	}
	return v
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// handleCreditHistory lists the caller's ledger, newest first:
// ?limit= (at most 500, 50 by default) and ?before= (an entry id, for
// the next page).
func (s *Server) handleCreditHistory(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	q := r.URL.Query()
	limit, before := 50, int64(0)
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return badRequest("bad_limit", "limit must be a number from 1 to 500.")
		}
		limit = n
	}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return badRequest("bad_cursor", "before must be an entry id.")
		}
		before = n
	}
	list, err := s.multi.Credits.History(r.Context(), callerOf(r).ID, limit, before)
	if err != nil {
		return err
	}
	out := map[string]any{"entries": list}
	if len(list) == limit {
		out["next_before"] = list[len(list)-1].ID
	}
	if list == nil {
		out["entries"] = []credits.Entry{}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
