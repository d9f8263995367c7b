package library

import (
	"io/fs"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/recap-startos/recap/pkg/recap"
)

// Entry is what listing and search know of a recap without reading its
// file: the figures a library page shows, and the weighted terms search
// ranks by.
type Entry struct {
	ID         string
	Title      string
	Type       string // source type
	URL        string
	VideoID    string
	Channel    string
	UploadDate string
	CreatedAt  time.Time
	Duration   float64 // seconds
	Topics     int     // number of topics
	Segments   int     // number of key points over all topics
	Words      int
	Summary    string
	Keywords   []string
	Engine     string

	Size    int64 // file size, to notice changes
	ModTime int64 // file modification time, Unix nanoseconds

	// Terms are the distinct index terms of the recap, sorted, with their
	// weights in the same order (see weigh).
	Terms   []string
	Weights []uint8
}

// Field weights: a term in the title counts far more than one in the
// transcript. Weights add up per term and are stored on a log scale.
const (
	weightTitle      = 12
	weightKeyword    = 8
	weightTopicTitle = 6
	weightChannel    = 4
	weightSummary    = 4
	weightPoint      = 2
	weightTranscript = 1
)

func entryOf(d *recap.Document, info fs.FileInfo) *Entry {
	e := &Entry{
		ID: d.ID, Title: d.Title, Type: d.Source.Type, URL: d.Source.URL,
		VideoID: d.Source.VideoID, Channel: d.Source.Channel,
		UploadDate: d.Source.UploadDate, CreatedAt: d.CreatedAt,
		Duration: d.Source.Duration, Topics: len(d.Topics),
		Segments: d.SegmentCount(), Words: d.Stats.Words,
		Summary: d.Summary, Keywords: d.Keywords, Engine: d.Engine.Name,
	}
	if e.Duration == 0 && d.Timed() {
		last := d.Transcript[len(d.Transcript)-1]
		if last.End != nil {
			e.Duration = *last.End
		}
	}
	if info != nil {
		e.Size, e.ModTime = info.Size(), info.ModTime().UnixNano()
	}
	w := map[string]float64{}
	add := func(text string, weight float64) {
		for _, t := range Tokenize(text) {
			w[t] += weight
		}
	}
	add(d.Title, weightTitle)
	add(strings.Join(d.Keywords, " "), weightKeyword)
	add(d.Source.Channel, weightChannel)
	add(d.Summary, weightSummary)
	for _, t := range d.Topics {
		add(t.Title, weightTopicTitle)
		add(t.Summary, weightPoint)
		for _, s := range t.Segments {
			add(s.Text, weightPoint)
		}
	}
	tf := map[string]int{}
	for _, u := range d.Transcript {
		for _, t := range Tokenize(u.Text) {
			tf[t]++
		}
	}
	for t, n := range tf {
		w[t] += weightTranscript * (1 + math.Log(float64(n)))
	}
	e.Terms = make([]string, 0, len(w))
	for t := range w {
		e.Terms = append(e.Terms, t)
	}
	sort.Strings(e.Terms)
	e.Weights = make([]uint8, len(e.Terms))
	for i, t := range e.Terms {
		e.Weights[i] = quantize(w[t])
	}
	return e
}

// quantize maps a weight ≥ 0 onto 1..255 on a log scale (about 2% steps).
func quantize(w float64) uint8 {
	q := math.Round(math.Log1p(w) * 50)
	return uint8(max(1, min(255, q)))
}

func dequantize(q uint8) float64 { return math.Expm1(float64(q) / 50) }

// index holds the entries of a library. Terms are interned so that a
// word shared by many recaps is stored once.
type index struct {
	entries []*Entry
	byID    map[string]*Entry
	intern  map[string]string
	df      map[string]int // number of entries holding each term
}

func newIndex() *index {
	return &index{byID: map[string]*Entry{}, intern: map[string]string{}, df: map[string]int{}}
}

func (x *index) put(e *Entry) {
	x.remove(e.ID)
	for i, t := range e.Terms {
		s, ok := x.intern[t]
		if !ok {
			x.intern[t] = t
			s = t
		}
		e.Terms[i] = s
		x.df[s]++
	}
	x.entries = append(x.entries, e)
	x.byID[e.ID] = e
}

func (x *index) remove(id string) {
	old, ok := x.byID[id]
	if !ok {
		return
	}
	delete(x.byID, id)
	for i, e := range x.entries {
		if e == old {
			x.entries = append(x.entries[:i], x.entries[i+1:]...)
			break
		}
	}
	for _, t := range old.Terms {
		if x.df[t]--; x.df[t] <= 0 {
			delete(x.df, t)
			delete(x.intern, t)
		}
	}
}

// sorted returns the entries newest first.
func (x *index) sorted() []*Entry {
	es := append([]*Entry(nil), x.entries...)
	sortEntries(es, SortNewest)
	return es
}

// Sort orders a listing.
type Sort string

// Sorts a listing can use.
const (
	SortNewest    Sort = "newest"
	SortOldest    Sort = "oldest"
	SortTitle     Sort = "title"
	SortLongest   Sort = "longest"
	SortRelevance Sort = "relevance" // search only; the default there
)

// ParseSort reads a sort name; "" means newest.
func ParseSort(s string) (Sort, bool) {
	switch Sort(s) {
	case "":
		return SortNewest, true
	case SortNewest, SortOldest, SortTitle, SortLongest, SortRelevance:
		return Sort(s), true
	}
	return "", false
}

// Query selects and orders recaps. The zero Query lists the newest 20.
type Query struct {
	Text   string // search words; empty lists everything
	Type   string // only this source type when set
	Sort   Sort   // newest unless set; relevance is the default with Text
	Limit  int    // page size, 1..100 (20 if 0)
	Cursor string // from the previous Page.Next; "" for the first page
}

// DefaultLimit and MaxLimit bound a page of results.
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// Hit is one recap in a page of results.
type Hit struct {
	*Entry
	Score float64 // relevance; 0 when not searching
	// Matched are the query terms this recap matched, for highlighting.
	Matched []string
}

// Page is one page of a listing or search.
type Page struct {
	Hits  []Hit
	Total int    // matches over all pages
	Next  string // cursor of the next page; "" on the last page
}

// Find lists or searches the library. Search words match whole terms,
// and the last word also matches as a prefix ("kube" finds "kubernetes");
// every word must match. Results are ranked by field-weighted term weight
// times inverse document frequency, unless another sort is asked for.
func (l *Library) Find(q Query) Page {
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	offset, _ := strconv.Atoi(strings.TrimPrefix(q.Cursor, "o"))
	offset = max(offset, 0)

	l.mu.RLock()
	defer l.mu.RUnlock()
	words := Tokenize(q.Text)
	var hits []Hit
	if len(words) == 0 {
		hits = make([]Hit, 0, len(l.idx.entries))
		for _, e := range l.idx.entries {
			if q.Type == "" || e.Type == q.Type {
				hits = append(hits, Hit{Entry: e})
			}
		}
	} else {
		hits = l.idx.search(words, q.Type)
	}
	sortHits(hits, q.Sort, len(words) > 0)
	page := Page{Total: len(hits)}
	if offset < len(hits) {
		end := min(offset+limit, len(hits))
		page.Hits = hits[offset:end]
		if end < len(hits) {
			page.Next = "o" + strconv.Itoa(end)
		}
	}
	return page
}

func sortHits(hits []Hit, by Sort, searching bool) {
	if by == SortRelevance || (by == "" && searching) {
		sort.SliceStable(hits, func(i, j int) bool {
			if hits[i].Score != hits[j].Score {
				return hits[i].Score > hits[j].Score
			}
			return hits[i].CreatedAt.After(hits[j].CreatedAt) || (hits[i].CreatedAt.Equal(hits[j].CreatedAt) && hits[i].ID > hits[j].ID)
		})
		return
	}
	es := make([]*Entry, len(hits))
	pos := make(map[*Entry]Hit, len(hits))
	for i, h := range hits {
		es[i] = h.Entry
		pos[h.Entry] = h
	}
	sortEntries(es, by)
	for i, e := range es {
		hits[i] = pos[e]
	}
}

func (x *index) search(words []string, typ string) []Hit {
	n := float64(len(x.entries))
	last := len(words) - 1
	// For the last word, the terms it is a prefix of.
	var prefixTerms []string
	if len(words[last]) >= 2 {
		for t := range x.df {
			if strings.HasPrefix(t, words[last]) {
				prefixTerms = append(prefixTerms, t)
			}
		}
	}
	idf := func(t string) float64 {
		return math.Log(1 + (n-float64(x.df[t])+0.5)/(float64(x.df[t])+0.5))
	}
	var hits []Hit
	for _, e := range x.entries {
		if typ != "" && e.Type != typ {
			continue
		}
		score := 0.0
		var matched []string
		ok := true
		for i, w := range words {
			best, bestTerm := 0.0, ""
			if q, found := lookup(e, w); found {
				best, bestTerm = dequantize(q)*idf(w), w
			}
			if i == last {
				for _, t := range prefixTerms {
					if q, found := lookup(e, t); found {
						if s := 0.8 * dequantize(q) * idf(t); s > best {
							best, bestTerm = s, t
						}
					}
				}
			}
			if bestTerm == "" {
				ok = false
				break
			}
			score += best
			matched = append(matched, bestTerm)
		}
		if ok {
			hits = append(hits, Hit{Entry: e, Score: score, Matched: matched})
		}
	}
	return hits
}

func lookup(e *Entry, term string) (uint8, bool) {
	i := sort.SearchStrings(e.Terms, term)
	if i < len(e.Terms) && e.Terms[i] == term {
		return e.Weights[i], true
	}
	return 0, false
}

// Tokenize splits text into index terms: lower-case runs of letters and
// digits, without common English stop words and one-letter words, with
// plural "s" endings folded so "topics" finds "topic".
func Tokenize(text string) []string {
	var out []string
	start := -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		w := strings.ToLower(text[start:end])
		start = -1
		if len([]rune(w)) < 2 || stopWords[w] {
			return
		}
		out = append(out, fold(w))
	}
	for i, r := range text {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		flush(i)
	}
	flush(len(text))
	return out
}

// fold strips simple English plural endings.
func fold(w string) string {
	switch {
	case len(w) > 4 && strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y"
	case len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		return w[:len(w)-1]
	}
	return w
}

var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a an and are as at be but by for from has have he her his i if in into is it its
	of on or our she so than that the their them then there these they this to too was we were what when where which
	who will with you your yours um uh yeah okay oh just like really very can could would should do does did
	not no me my mine us all any some about also been being had how more most much only other such up out over`) {
		m[w] = true
	}
	return m
}()
