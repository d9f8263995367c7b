package server

import (
	"encoding/json"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/recap-startos/recap/pkg/follow"
	"github.com/recap-startos/recap/pkg/library"
)

// The Following page and /api/follows: the caller's followed shows
// (pkg/follow). Every read and change is scoped to the caller; another
// user's follow id is "not found".

// followError maps the errors of adding and changing follows.
// followJSON is a follow as the API shows it.
type followJSON struct {
	ID        string     `json:"id"`
	Kind      string     `json:"kind"` // podcast, channel or playlist
	Title     string     `json:"title"`
	Link      string     `json:"link"`
	Paused    bool       `json:"paused"`
	Broken    bool       `json:"broken"`
	CreatedAt time.Time  `json:"created_at"`
	LastCheck *time.Time `json:"last_check"`
	NextCheck *time.Time `json:"next_check"` // null while paused or broken
	LastError string     `json:"last_error,omitempty"`
	Unread    int        `json:"unread"`
	Notice    string     `json:"notice,omitempty"`
}

func toFollowJSON(f follow.Follow) followJSON {
	j := followJSON{ID: f.ID, Kind: f.Kind, Title: f.Title, Link: f.Link, Paused: f.Paused, Broken: f.Broken,
		CreatedAt: f.CreatedAt, LastCheck: timePtr(f.LastCheck), LastError: f.LastError, Unread: f.Unread, Notice: f.Notice}
	if !f.Paused && !f.Broken {
		j.NextCheck = timePtr(f.NextCheck)
	}
	return j
}

// followInput is what adding a follow takes, as JSON or a form.
type followInput struct {
	URL  string `json:"url"`
	Last int    `json:"last"`
}

func readFollowInput(r *http.Request) (followInput, error) {
	var in followInput
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "application/json" {
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			return in, badRequest("bad_json", "The request body is not the JSON this takes: {\"url\": \"…\", \"last\": 0}.")
		}
	} else {
		if err := r.ParseForm(); err != nil {
			return in, errBadForm
		}
		in.URL = r.PostForm.Get("url")
		if v := strings.TrimSpace(r.PostForm.Get("last")); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return in, badRequest("bad_last", "Recap the last 0 to %d items.", follow.MaxBackfill)
			}
			in.Last = n
		}
	}
	if strings.TrimSpace(in.URL) == "" {
		return in, badRequest("missing_url", "Give the link of a podcast feed, a YouTube channel or a playlist.")
	}
	return in, nil
}

func (s *Server) follows() (*follow.Checker, error) {
	if s.opt.Follows == nil {
		return nil, errFollowsOff
	}
	return s.opt.Follows, nil
}

// addFollow follows the submitted link for the caller.
func (s *Server) addFollow(r *http.Request) (follow.Follow, error) {
	c, err := s.follows()
	if err != nil {
		return follow.Follow{}, err
	}
	in, err := readFollowInput(r)
	if err != nil {
		return follow.Follow{}, err
	}
	// A new follow is due at once: the checker reads it within its tick,
	// without checking everyone else's follows early.
	f, err := c.Add(r.Context(), callerOf(r).ID, in.URL, in.Last)
	if err != nil {
		return f, followError(err)
	}
	return f, nil
}

// changeFollow pauses, resumes or removes one of the caller's follows.
func (s *Server) changeFollow(r *http.Request, id, what string) error {
	c, err := s.follows()
	if err != nil {
		return err
	}
	owner := callerOf(r).ID
	switch what {
	case "pause":
		err = c.Store.SetPaused(r.Context(), owner, id, true, time.Now())
	case "resume":
		err = c.Store.SetPaused(r.Context(), owner, id, false, time.Now()) // due at once
	case "remove":
		err = c.Store.Remove(r.Context(), owner, id)
	case "read":
		err = c.Store.MarkRead(r.Context(), owner, id)
	default:
		return errNotFound
	}
	return followError(err)
}

// requestCheck asks the checker for a check of every follow.
func (s *Server) requestCheck() error {
	if _, err := s.follows(); err != nil {
		return err
	}
	return follow.RequestCheck(s.opt.FollowTrigger)
}

// unread is the caller's count of new recaps from follows, for the
// badge; 0 when follows are off or cannot be read.
func (s *Server) unread(r *http.Request, c *caller) int {
	if s.opt.Follows == nil {
		return 0
	}
	fs, err := s.opt.Follows.Store.List(r.Context(), c.ID)
	if err != nil {
		return 0
	}
	n := 0
	for _, f := range fs {
		n += f.Unread
	}
	return n
}

// API

func (s *Server) handleListFollows(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	c, err := s.follows()
	if err != nil {
		return err
	}
	fs, err := c.Store.List(r.Context(), callerOf(r).ID)
	if err != nil {
		return err
	}
	out, unread := make([]followJSON, 0, len(fs)), 0
	for _, f := range fs {
		out = append(out, toFollowJSON(f))
		unread += f.Unread
	}
	writeJSON(w, http.StatusOK, map[string]any{"follows": out, "unread": unread})
	return nil
}

func (s *Server) handleAddFollow(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	f, err := s.addFollow(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toFollowJSON(f))
	return nil
}

func (s *Server) handleGetFollow(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error {
	c, err := s.follows()
	if err != nil {
		return err
	}
	f, err := c.Store.Get(r.Context(), callerOf(r).ID, ps.ByName("id"))
	if err != nil {
		return followError(err)
	}
	items, err := c.Store.Items(r.Context(), f.ID)
	if err != nil {
		return err
	}
	type itemJSON struct {
		Title     string     `json:"title"`
		URL       string     `json:"url"`
		Published *time.Time `json:"published"`
		State     string     `json:"state"`
		RecapID   string     `json:"recap_id,omitempty"`
		Error     string     `json:"error,omitempty"`
	}
	list := make([]itemJSON, 0, len(items))
	for _, it := range items {
		if it.State == follow.ItemOld {
			continue
		}
		list = append(list, itemJSON{Title: it.Title, URL: it.URL, Published: timePtr(it.Published), State: it.State, RecapID: it.RecapID, Error: it.Error})
	}
	writeJSON(w, http.StatusOK, map[string]any{"follow": toFollowJSON(f), "items": list})
	return nil
}

func (s *Server) handleChangeFollow(what string) handler {
	return func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error {
		if err := s.changeFollow(r, ps.ByName("id"), what); err != nil {
			return err
		}
		if what == "remove" {
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
		f, err := s.opt.Follows.Store.Get(r.Context(), callerOf(r).ID, ps.ByName("id"))
		if err != nil {
			return followError(err)
		}
		writeJSON(w, http.StatusOK, toFollowJSON(f))
		return nil
	}
}

func (s *Server) handleCheckFollows(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	if err := s.requestCheck(); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "requested"})
	return nil
}

// Pages

// followRow is one follow on the Following page with its latest items.
type followRow struct {
	follow.Follow
	State string // ok, paused, broken, failing, waiting (not checked yet)
	Items []follow.Item
}

type followingPage struct {
	Rows     []followRow
	Interval int // hours between checks
	Added    bool
	Checking bool
	Digest   *digestSetting // multi mode: the caller's digest mail
	Saved    bool           // the digest choice was just saved
}

func (s *Server) handleFollowingPage(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	c, err := s.follows()
	if err != nil {
		return err
	}
	owner := callerOf(r).ID
	fs, err := c.Store.List(r.Context(), owner)
	if err != nil {
		return err
	}
	p := followingPage{Interval: int(c.Limits.Interval.Hours()), Added: r.URL.Query().Get("added") == "1", Checking: r.URL.Query().Get("checking") == "1"}
	if p.Interval == 0 {
		p.Interval = int(follow.DefaultInterval.Hours())
	}
	if p.Digest, err = s.digestOf(r); err != nil {
		return err
	}
	p.Saved = r.URL.Query().Get("digest") == "1"
	unread := false
	for _, f := range fs {
		row := followRow{Follow: f, State: followState(f)}
		items, err := c.Store.Items(r.Context(), f.ID)
		if err != nil {
			return err
		}
		for _, it := range items {
			if it.State != follow.ItemOld && len(row.Items) < 5 {
				row.Items = append(row.Items, it)
			}
		}
		p.Rows = append(p.Rows, row)
		unread = unread || f.Unread > 0
	}
	if err := s.render(w, r, http.StatusOK, "following", p); err != nil {
		return err
	}
	// Seen: the badge goes once the page showed the new counts.
	if unread {
		if err := c.Store.MarkRead(r.Context(), owner, ""); err != nil {
			s.log.Warn("follow: cannot mark as read", "error", err)
		}
	}
	return nil
}

func followState(f follow.Follow) string {
	switch {
	case f.Paused:
		return "paused"
	case f.Broken:
		return "broken"
	case f.LastError != "":
		return "failing"
	case f.LastOK.IsZero():
		return "waiting"
	}
	return "ok"
}

func (s *Server) handleFollowForm(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	if _, err := s.addFollow(r); err != nil {
		return err
	}
	http.Redirect(w, r, "/following?added=1", http.StatusSeeOther)
	return nil
}

func (s *Server) handleChangeFollowForm(what string) handler {
	return func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error {
		if err := s.changeFollow(r, ps.ByName("id"), what); err != nil {
			return err
		}
		http.Redirect(w, r, "/following", http.StatusSeeOther)
		return nil
	}
}

func (s *Server) handleCheckFollowsForm(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	if err := s.requestCheck(); err != nil {
		return err
	}
	http.Redirect(w, r, "/following?checking=1", http.StatusSeeOther)
	return nil
}

// typeFollowed is the library filter of recaps made by follows.
const typeFollowed = "followed"

// find lists or searches the caller's library; the followed filter lists
// the recaps the caller's follows made, newest first.
func (s *Server) find(r *http.Request, q library.Query) (library.Page, error) {
	if q.Type != typeFollowed {
		return s.lib.Find(r.Context(), callerOf(r).ID, q)
	}
	return s.findFollowed(r, q)
}

// findFollowed pages through the recaps of the caller's follows that are
// still in the library, matching q.Text in their title or summary.
func (s *Server) findFollowed(r *http.Request, q library.Query) (library.Page, error) {
	var page library.Page
	if s.opt.Follows == nil {
		return page, nil
	}
	owner := callerOf(r).ID
	fs, err := s.opt.Follows.Store.List(r.Context(), owner)
	if err != nil {
		return page, err
	}
	words := strings.Fields(strings.ToLower(q.Text))
	var hits []library.Hit
	for _, f := range fs {
		items, err := s.opt.Follows.Store.Items(r.Context(), f.ID)
		if err != nil {
			return page, err
		}
		for _, it := range items {
			if it.State != follow.ItemDone || it.RecapID == "" {
				continue
			}
			e, err := s.lib.Entry(r.Context(), owner, it.RecapID)
			if err != nil {
				continue // deleted since
			}
			if matchesAll(strings.ToLower(e.Title+" "+e.Summary+" "+e.Channel), words) {
				hits = append(hits, library.Hit{Entry: e, Matched: words})
			}
		}
	}
	sort.SliceStable(hits, func(a, b int) bool { return hits[a].CreatedAt.After(hits[b].CreatedAt) })
	limit := q.Limit
	if limit == 0 {
		limit = library.DefaultLimit
	}
	offset, _ := strconv.Atoi(strings.TrimPrefix(q.Cursor, "o"))
	page.Total = len(hits)
	if offset < len(hits) {
		page.Hits = hits[offset:min(len(hits), offset+limit)]
	}
	if offset+limit < len(hits) {
		page.Next = "o" + strconv.Itoa(offset+limit)
	}
	return page, nil
}

func matchesAll(text string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(text, w) {
			return false
		}
	}
	return true
}
