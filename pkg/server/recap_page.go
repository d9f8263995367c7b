package server

import (
	"fmt"
	"math"
	"net/http"
	"net/url"

	"github.com/julienschmidt/httprouter"

	"github.com/recap-startos/recap/pkg/recap"
)

// stamp is a timestamp on the recap page. Href opens the source at that
// moment when the source is a link (YouTube: t=<seconds>s), else the
// transcript line at that moment on the page itself (#t=<seconds>).
type stamp struct {
	Clock string
	Secs  int
	Href  string
}

type pointView struct {
	Stamp *stamp
	Text  string
}

type topicView struct {
	Title   string
	Stamp   *stamp
	End     string // clock of the end, "" without times
	Summary string
	Points  []pointView
}

type lineView struct {
	Stamp   *stamp
	Anchor  string // id of the first line at each second, "" otherwise
	Speaker string
	Text    string
}

type recapPage struct {
	Doc       *recap.Document
	Duration  string
	SourceURL string
	EmbedURL  string // youtube-nocookie player, "" for other sources
	Topics    []topicView
	Lines     []lineView
}

func (s *Server) handleRecapPage(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error {
	doc, err := s.lib.Get(r.Context(), callerOf(r).ID, ps.ByName("id"))
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "recap", recapView(doc))
}

func recapView(doc *recap.Document) recapPage {
	p := recapPage{Doc: doc}
	if d := doc.Length(); d > 0 {
		p.Duration = recap.FormatClock(d)
	}
	p.SourceURL, p.EmbedURL = sourceLinks(doc.Source)
	for _, t := range doc.Topics {
		tv := topicView{Title: t.Title, Stamp: stampOf(doc, t.Start), Summary: t.Summary}
		if t.End != nil {
			tv.End = recap.FormatClock(*t.End)
		}
		for _, sg := range t.Segments {
			tv.Points = append(tv.Points, pointView{Stamp: stampOf(doc, sg.Start), Text: sg.Text})
		}
		p.Topics = append(p.Topics, tv)
	}
	seen := map[int]bool{}
	for _, u := range doc.Transcript {
		lv := lineView{Stamp: stampOf(doc, u.Start), Speaker: u.Speaker, Text: u.Text}
		if lv.Stamp != nil && !seen[lv.Stamp.Secs] {
			seen[lv.Stamp.Secs] = true
			lv.Anchor = fmt.Sprintf("t=%d", lv.Stamp.Secs)
		}
		p.Lines = append(p.Lines, lv)
	}
	return p
}

// stampOf is the timestamp shown for a time (nil without one): a link
// into the source at that time, else to the transcript's line.
func stampOf(doc *recap.Document, at *float64) *stamp {
	if at == nil {
		return nil
	}
	secs := int(math.Floor(*at))
	href := doc.LinkAt(*at)
	if href == "" {
		href = fmt.Sprintf("#t=%d", secs)
	}
	return &stamp{Clock: recap.FormatClock(*at), Secs: secs, Href: href}
}

// sourceLinks returns the link to the source (only a web link) and, for
// a YouTube video, the address of its privacy-enhanced player.
func sourceLinks(src recap.Source) (sourceURL, embedURL string) {
	if u, err := url.Parse(src.URL); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		sourceURL = src.URL
	}
	if src.Type == recap.SourceYouTube && src.VideoID != "" && recap.ValidID(src.VideoID) {
		embedURL = "https://www.youtube-nocookie.com/embed/" + src.VideoID
		if sourceURL == "" {
			sourceURL = "https://www.youtube.com/watch?v=" + src.VideoID
		}
	}
	return sourceURL, embedURL
}

type deletePage struct {
	ID, Title string
}

// handleDeletePage asks before deleting; only the POST deletes.
func (s *Server) handleDeletePage(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error {
	id := ps.ByName("id")
	if !recap.ValidStoredID(id) {
		return errInvalidID
	}
	e, err := s.lib.Entry(r.Context(), callerOf(r).ID, id)
	if err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "delete", deletePage{ID: id, Title: e.Title})
}

func (s *Server) handleDeleteForm(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error {
	if err := s.deleteRecap(r, ps.ByName("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/library?deleted=1", http.StatusSeeOther)
	return nil
}
