package server

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/julienschmidt/httprouter"

	"github.com/recap-startos/recap/pkg/library"
)

type libraryPage struct {
	Query   library.Query
	SortSet string // the sort as asked for ("" = default)
	Page    library.Page
	Rows    []hitRow // Page.Hits, with why each matched when searching
	From    int      // 1-based index of the first hit shown
	To      int
	PrevURL string
	NextURL string
	Deleted bool
	Types   []option
	Sorts   []option
}

type option struct {
	Value, Label string
	Selected     bool
}

func (s *Server) handleLibraryPage(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	q, err := parseQuery(r)
	if err != nil {
		return err
	}
	if q.Limit == 0 {
		q.Limit = library.DefaultLimit
	}
	page, err := s.find(r, q)
	if err != nil {
		return err
	}
	offset, _ := strconv.Atoi(strings.TrimPrefix(q.Cursor, "o"))
	p := libraryPage{Query: q, SortSet: r.URL.Query().Get("sort"), Page: page, Deleted: r.URL.Query().Get("deleted") == "1"}
	p.Rows = s.hitRows(r.Context(), callerOf(r).ID, q.Text, page.Hits)
	if len(page.Hits) > 0 {
		p.From, p.To = offset+1, offset+len(page.Hits)
	}
	link := func(cursor string) string {
		v := url.Values{}
		if q.Text != "" {
			v.Set("q", q.Text)
		}
		if q.Type != "" {
			v.Set("type", q.Type)
		}
		if p.SortSet != "" {
			v.Set("sort", p.SortSet)
		}
		if q.Limit != library.DefaultLimit {
			v.Set("limit", strconv.Itoa(q.Limit))
		}
		if cursor != "" {
			v.Set("cursor", cursor)
		}
		if len(v) == 0 {
			return "/library"
		}
		return "/library?" + v.Encode()
	}
	if page.Next != "" {
		p.NextURL = link(page.Next)
	}
	if offset > 0 {
		prev := offset - q.Limit
		if prev <= 0 {
			p.PrevURL = link("")
		} else {
			p.PrevURL = link("o" + strconv.Itoa(prev))
		}
	}
	for _, t := range []option{{"", "All sources", false}, {"youtube", "YouTube", false}, {"podcast", "Podcasts", false}, {"file", "Files", false}, {"text", "Pasted text", false}, {typeFollowed, "From shows you follow", false}} {
		t.Selected = t.Value == q.Type
		p.Types = append(p.Types, t)
	}
	for _, o := range []option{{"", "Best match / newest", false}, {"newest", "Newest", false}, {"oldest", "Oldest", false}, {"title", "Title", false}, {"longest", "Longest", false}} {
		o.Selected = o.Value == p.SortSet
		p.Sorts = append(p.Sorts, o)
	}
	return s.render(w, r, http.StatusOK, "library", p)
}
