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
	link := func(cursor string) string { return libraryLink(q, p.SortSet, cursor) }
	if page.Next != "" {
		p.NextURL = link(page.Next)
	}
	if offset > 0 {
		p.PrevURL = link(prevCursor(offset, q.Limit))
	}
	p.Types = choices(typeChoices, q.Type)
	p.Sorts = choices(sortChoices, p.SortSet)
	return s.render(w, r, http.StatusOK, "library", p)
}

// libraryLink is the address of a page of the library with the same
// search, filter, sort and page size as q, at cursor ("" for the first).
func libraryLink(q library.Query, sortSet, cursor string) string {
	v := url.Values{}
	for _, kv := range [][2]string{{"q", q.Text}, {"type", q.Type}, {"sort", sortSet}, {"cursor", cursor}} {
		if kv[1] != "" {
			v.Set(kv[0], kv[1])
		}
	}
	if q.Limit != library.DefaultLimit {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if len(v) == 0 {
		return "/library"
	}
	return "/library?" + v.Encode()
}

// prevCursor is the cursor of the page before the one at offset.
func prevCursor(offset, limit int) string {
	if prev := offset - limit; prev > 0 {
		return "o" + strconv.Itoa(prev)
	}
	return ""
}

// typeChoices and sortChoices are the library's filter and sort menus.
var (
	typeChoices = []option{{"", "All sources", false}, {"youtube", "YouTube", false}, {"podcast", "Podcasts", false}, {"file", "Files", false}, {"text", "Pasted text", false}, {typeFollowed, "From shows you follow", false}}
	sortChoices = []option{{"", "Best match / newest", false}, {"newest", "Newest", false}, {"oldest", "Oldest", false}, {"title", "Title", false}, {"longest", "Longest", false}}
)

// choices is a menu with the option whose value is selected marked.
func choices(menu []option, selected string) []option {
	out := make([]option, len(menu))
	for i, o := range menu {
		o.Selected = o.Value == selected
		out[i] = o
	}
	return out
}
