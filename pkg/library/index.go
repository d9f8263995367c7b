package library

import (
	"io/fs"
	"math"
	"sort"
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
	// SourceKeys are the recap's source keys (recap.Source.Keys).
	SourceKeys []string

	Size    int64 // file size, to notice changes
	ModTime int64 // file modification time, Unix nanoseconds

	// terms are the distinct index terms of the recap with their weights
	// in the same order. They are set by entryOf and by the cache, and
	// moved into the index's postings (and cleared) when the entry is
	// indexed.
	terms   []string
	weights []uint8
	packed  []byte // or: the terms as read from the cache (see cachedEntry)
	slot    uint32 // position in the index, while indexed
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

// NewEntry is what a library listing shows of a recap: its document's
// source, counts and summary, and the file's size and time when info is
// given. It carries no search terms.
func NewEntry(d *recap.Document, info fs.FileInfo) Entry {
	e := Entry{
		ID: d.ID, Title: d.Title, Type: d.Source.Type, URL: d.Source.URL,
		VideoID: d.Source.VideoID, Channel: d.Source.Channel,
		UploadDate: d.Source.UploadDate, CreatedAt: d.CreatedAt,
		Duration: d.Length(), Topics: len(d.Topics),
		Segments: d.SegmentCount(), Words: d.Stats.Words,
		Summary: d.Summary, Keywords: d.Keywords, Engine: d.Engine.Name,
		SourceKeys: d.Source.Keys(),
	}
	if info != nil {
		e.Size, e.ModTime = info.Size(), info.ModTime().UnixNano()
	}
	return e
}

func entryOf(d *recap.Document, info fs.FileInfo) *Entry {
	entry := NewEntry(d, info)
	e := &entry
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
	e.terms = make([]string, 0, len(w))
	for t := range w {
		e.terms = append(e.terms, t)
	}
	sort.Strings(e.terms)
	e.weights = make([]uint8, len(e.terms))
	for i, t := range e.terms {
		e.weights[i] = quantize(w[t])
	}
	return e
}

// quantize maps a weight ≥ 0 onto 1..255 on a log scale (about 2% steps).
func quantize(w float64) uint8 {
	q := math.Round(math.Log1p(w) * 50)
	return uint8(max(1, min(255, q)))
}

func dequantize(q uint8) float64 { return math.Expm1(float64(q) / 50) }

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
