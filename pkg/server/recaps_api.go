package server

import (
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/julienschmidt/httprouter"

	"github.com/recap-startos/recap/pkg/library"
	"github.com/recap-startos/recap/pkg/recap"
)

// parseQuery reads q, type, sort, limit and cursor from a URL query, the
// same way for the API and the library page.
func parseQuery(r *http.Request) (library.Query, error) {
	v := r.URL.Query()
	q := library.Query{Text: strings.TrimSpace(v.Get("q")), Type: v.Get("type"), Cursor: v.Get("cursor")}
	sort, ok := library.ParseSort(v.Get("sort"))
	if !ok {
		return q, badRequest("bad_sort", "sort must be newest, oldest, title, longest or relevance.")
	}
	if v.Get("sort") == "" && q.Text != "" {
		sort = library.SortRelevance
	}
	q.Sort = sort
	switch q.Type {
	case "", recap.SourceYouTube, recap.SourcePodcast, recap.SourceFile, recap.SourceText, typeFollowed:
	default:
		return q, badRequest("bad_type", "type must be youtube, podcast, file, text or followed.")
	}
	if l := v.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > library.MaxLimit {
			return q, badRequest("bad_limit", "limit must be a number from 1 to %d.", library.MaxLimit)
		}
		q.Limit = n
	}
	if c := q.Cursor; c != "" {
		if n, err := strconv.Atoi(strings.TrimPrefix(c, "o")); err != nil || n < 0 || !strings.HasPrefix(c, "o") {
			return q, badRequest("bad_cursor", "cursor must be a next_cursor from an earlier page.")
		}
	}
	return q, nil
}

// handleListRecaps lists or searches the library.
func (s *Server) handleListRecaps(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	q, err := parseQuery(r)
	if err != nil {
		return err
	}
	page, err := s.find(r, q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page.JSON())
	return nil
}

func (s *Server) handleGetRecap(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error {
	doc, err := s.lib.Get(r.Context(), callerOf(r).ID, ps.ByName("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, doc)
	return nil
}

func (s *Server) handleDeleteRecap(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error {
	if err := s.deleteRecap(r, ps.ByName("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) deleteRecap(r *http.Request, id string) error {
	if err := s.lib.Delete(r.Context(), callerOf(r).ID, id); err != nil {
		return err
	}
	s.log.Info("recap deleted", "recap_id", id)
	s.changed()
	return nil
}

// handleExportRecap downloads a recap as Markdown or JSON.
func (s *Server) handleExportRecap(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error {
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "md"
	}
	exp, err := s.lib.Export(r.Context(), callerOf(r).ID, ps.ByName("id"), format)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", exp.ContentType)
	w.Header().Set("Content-Length", fmt.Sprint(len(exp.Data)))
	w.Header().Set("Cache-Control", "no-store")
	if r.URL.Query().Get("inline") != "1" {
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": exp.FileName}))
	}
	w.Write(exp.Data)
	return nil
}
