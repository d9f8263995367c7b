package server

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/recap-startos/recap/pkg/jobs"
	"github.com/recap-startos/recap/pkg/library"
	"github.com/recap-startos/recap/pkg/recap"
	"github.com/recap-startos/recap/pkg/transcript"
)

// A podcast feed file chosen on the home page, or a feed's link pasted
// there, names several episodes. Instead of guessing, the form's answer
// keeps the feed (pending.go) and
// redirects to GET /uploads/:token, a plain form (no JavaScript needed)
// that lists the episodes newest first, marks those without a transcript
// (they cannot be read) and those already in the caller's library, and
// checks the one the command line would read by default. POST
// /uploads/:token checks the choice, offers an existing recap of that
// episode (duplicate.go) unless asked to recap it again, then starts an
// ordinary job with the file and the episode and drops the kept file. A
// feed of one episode needs no question. The JSON API reads the default
// episode, or the one its "episode" field names.
//
// A pasted link is downloaded while the form waits (at most
// feedLookTimeout) only to see whether it is a feed; any other document
// is left after its first few KiB (transcript.FeedAt), and a link that
// fails, or is not a feed, goes to an ordinary job, which reads it and
// explains any failure as before. The look follows the jobs' download
// rules (Options.Fetch: size limit, and in multi mode public addresses
// only), and in multi mode each client gets a few looks a minute. The
// chosen episode's job fetches the feed again by its link.

// feedLookTimeout bounds the wait for a pasted link's feed.
const feedLookTimeout = 15 * time.Second

// maxListedEpisodes is how many episodes the chooser lists; older ones
// are chosen by title or number in its text box.
const maxListedEpisodes = 100

// episodePage is the episode chooser.
type episodePage struct {
	Token    string
	FileName string // the file's name, or the link's host and path
	Link     string // the feed's link, when it was pasted
	Show     string
	Episodes []episodeChoice // newest first, at most maxListedEpisodes
	More     int             // episodes not listed
	Checked  string          // the selector checked at first
	Expires  string          // when the upload stops waiting, for people
	Problem  string          // why the last choice could not be used
	Other    string          // the text box's last value
}

// episodeChoice is one episode of the chooser.
type episodeChoice struct {
	transcript.FeedEpisode
	// Existing is the caller's newest recap of the episode, if any.
	Existing *library.Entry
}

// offerEpisodes answers a feed file from the home page's form: kept, and
// the chooser's address; a feed of one episode goes straight to its job.
func (s *Server) offerEpisodes(w http.ResponseWriter, r *http.Request, in jobs.Input, again bool) error {
	feed, err := transcript.FeedEpisodes(in.Name, in.Data)
	if err != nil {
		return err
	}
	if len(feed.Episodes) == 1 {
		return s.startEpisode(w, r, in, "", feed.Episodes[0], again)
	}
	// An anonymous visitor's upload starts the trial its job would (the
	// kept file needs an owner); a signed-in caller is unchanged.
	c, err := s.trialFor(w, r, callerOf(r))
	if err != nil {
		return err
	}
	token, err := s.pending.put(c.ID, pendingFeed{Name: in.Name, Engine: in.Engine, Data: in.Data})
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/uploads/"+token, http.StatusSeeOther)
	return nil
}

// offerLinkEpisodes answers a pasted link that is a podcast feed of
// several episodes with the chooser, and reports whether it did; any
// other link is left to an ordinary job.
func (s *Server) offerLinkEpisodes(w http.ResponseWriter, r *http.Request, in jobs.Input) (bool, error) {
	if transcript.IsYouTubeLink(in.Source) {
		return false, nil // never a feed: no look, not even a budgeted one
	}
	if s.multi != nil {
		// Accounts and visitors get a few looks a minute per client (the
		// sign-in budget); past it a link goes straight to its job, whose
		// own limits and credits apply.
		_, bucket := s.client(r)
		if ok, _ := s.limiter.Take("feed-look " + bucket); !ok {
			return false, nil
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), feedLookTimeout)
	defer cancel()
	data, _, err := transcript.FeedAt(ctx, in.Source, s.opt.Fetch)
	if err != nil || data == nil {
		return false, nil
	}
	name := linkLabel(in.Source)
	feed, err := transcript.FeedEpisodes(name, data)
	if err != nil || len(feed.Episodes) < 2 {
		return false, nil
	}
	c, err := s.trialFor(w, r, callerOf(r))
	if err != nil {
		return false, err
	}
	token, err := s.pending.put(c.ID, pendingFeed{Name: name, URL: in.Source, Engine: in.Engine, Data: data})
	if err != nil {
		return false, err
	}
	http.Redirect(w, r, "/uploads/"+token, http.StatusSeeOther)
	return true, nil
}

// linkLabel names a link for people: its host and path, clipped.
func linkLabel(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return clip(raw, 80)
	}
	return clip(u.Host+u.EscapedPath(), 80)
}

// handleEpisodePage shows the chooser of a kept feed file.
func (s *Server) handleEpisodePage(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error {
	f, err := s.pending.get(callerOf(r).ID, ps.ByName("token"))
	if err != nil {
		return err
	}
	p, err := s.episodePage(r, f)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "episodes", p)
}

func (s *Server) episodePage(r *http.Request, f *pendingFeed) (episodePage, error) {
	feed, err := transcript.FeedEpisodes(f.Name, f.Data)
	if err != nil {
		return episodePage{}, err
	}
	p := episodePage{Token: f.Token, FileName: f.Name, Link: f.URL, Show: feed.Title,
		Expires: f.Expires().UTC().Format("15:04 UTC")}
	listed := feed.Episodes[:min(len(feed.Episodes), maxListedEpisodes)]
	p.More = len(feed.Episodes) - len(listed)
	existing := s.episodesInLibrary(r, listed)
	for _, ep := range listed {
		p.Episodes = append(p.Episodes, episodeChoice{FeedEpisode: ep, Existing: existing[ep.GUID]})
	}
	if d := feed.Episodes[feed.Default]; d.HasTranscript && d.Selector != "" {
		p.Checked = d.Selector
	}
	return p, nil
}

// episodesInLibrary maps the GUIDs of eps to the caller's newest recap
// of each, where there is one.
func (s *Server) episodesInLibrary(r *http.Request, eps []transcript.FeedEpisode) map[string]*library.Entry {
	shelf, ok := s.lib.(sourceShelf)
	if !ok {
		return nil
	}
	keys := make([]string, 0, len(eps))
	for _, ep := range eps {
		if ep.GUID != "" {
			keys = append(keys, recap.EpisodeKey(ep.GUID))
		}
	}
	found, err := shelf.BySource(r.Context(), callerOf(r).ID, keys)
	if err != nil || len(found) == 0 {
		return nil
	}
	out := map[string]*library.Entry{}
	for _, e := range found { // newest first: the first of each GUID stays
		for _, k := range e.SourceKeys {
			if guid, ok := strings.CutPrefix(k, "episode:"); ok && out[guid] == nil {
				out[guid] = e
			}
		}
	}
	return out
}

// handleChooseEpisode starts the job of the episode chosen for a kept
// feed file.
func (s *Server) handleChooseEpisode(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error {
	uid := callerOf(r).ID
	f, err := s.pending.get(uid, ps.ByName("token"))
	if err != nil {
		return err
	}
	sel := strings.TrimSpace(r.PostFormValue("other"))
	if sel == "" {
		sel = strings.TrimSpace(r.PostFormValue("episode"))
	}
	problem := ""
	var ep transcript.FeedEpisode
	if sel == "" {
		problem = "Choose an episode, or give its title or number."
	} else if ep, err = transcript.FindEpisode(f.Name, f.Data, sel); err != nil {
		var te *transcript.Error
		if !errors.As(err, &te) {
			return err
		}
		problem = te.Message + "."
	} else if !ep.HasTranscript {
		problem = "“" + ep.Title + "” has no transcript in its feed, so it cannot be recapped; choose another episode."
	}
	if problem != "" {
		p, err := s.episodePage(r, f)
		if err != nil {
			return err
		}
		p.Problem, p.Other = problem, r.PostFormValue("other")
		if p.Checked = r.PostFormValue("episode"); p.Checked == "" {
			p.Checked = sel
		}
		return s.render(w, r, http.StatusBadRequest, "episodes", p)
	}
	in := jobs.Input{Name: f.Name, Data: f.Data, Engine: f.Engine}
	if f.URL != "" {
		in = jobs.Input{Source: f.URL, Engine: f.Engine}
	}
	return s.startEpisode(w, r, in, f.Token, ep, r.PostFormValue("again") == "1")
}

// startEpisode starts the job of episode ep of the feed file in (kept
// under token, "" when it was not kept), or offers the caller's recap of
// that episode unless again.
func (s *Server) startEpisode(w http.ResponseWriter, r *http.Request, in jobs.Input, token string, ep transcript.FeedEpisode, again bool) error {
	in.Episode = ep.Selector
	key := inputKey(in)
	if in.Data == nil && ep.GUID != "" {
		key = recap.EpisodeKey(ep.GUID) // a feed link: its recaps are kept by episode
	}
	if !again {
		if page, ok := s.duplicateByKey(r, in, key); ok {
			page.Upload, page.Episode, page.EpisodeTitle = token, ep.Selector, ep.Title
			return s.render(w, r, http.StatusOK, "duplicate", page)
		}
	}
	st, _, err := s.submitInput(w, r, in)
	if err != nil {
		return err
	}
	if token != "" {
		s.pending.remove(callerOf(r).ID, token)
	}
	http.Redirect(w, r, "/jobs/"+st.ID, http.StatusSeeOther)
	return nil
}
