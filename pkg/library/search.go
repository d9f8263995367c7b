package library

import (
	"encoding/binary"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// index holds the entries of a library and an inverted index over their
// terms. Each term is stored once (in vocab) and maps to a posting list
// of (entry slot, weight) pairs, so memory grows with the number of
// distinct terms per recap (about five bytes each) and a search reads
// only the postings of the words it looks for. Sorted listings are built
// on first use and kept until the entries change.
type index struct {
	slots []*Entry // by slot; nil for a free slot
	free  []uint32 // free slots
	byID  map[string]*Entry
	n     int // live entries

	termID map[string]uint32
	vocab  []string   // term by id
	post   [][]uint32 // slots holding each term, by term id
	postW  [][]uint8  // the weights, parallel to post

	mu       sync.Mutex        // guards the lazily built fields below
	orders   map[Sort][]*Entry // full listings by sort
	prefixes []uint32          // term ids sorted by term, for prefix search
}

func newIndex() *index {
	return &index{byID: map[string]*Entry{}, termID: map[string]uint32{}}
}

func (x *index) len() int { return x.n }

// put adds or replaces an entry; it moves the entry's terms into the
// postings.
func (x *index) put(e *Entry) {
	x.remove(e.ID)
	var slot uint32
	if n := len(x.free); n > 0 {
		slot, x.free = x.free[n-1], x.free[:n-1]
		x.slots[slot] = e
	} else {
		slot = uint32(len(x.slots))
		x.slots = append(x.slots, e)
	}
	e.slot = slot
	newTerm := false
	for i, t := range e.terms {
		id, ok := x.termID[t]
		if !ok {
			id = uint32(len(x.vocab))
			x.termID[t] = id
			x.vocab = append(x.vocab, t)
			x.post = append(x.post, nil)
			x.postW = append(x.postW, nil)
			newTerm = true
		}
		x.post[id] = append(x.post[id], slot)
		x.postW[id] = append(x.postW[id], e.weights[i])
	}
	e.terms, e.weights = nil, nil
	x.byID[e.ID] = e
	x.n++
	x.mu.Lock()
	x.orders = nil
	if newTerm {
		x.prefixes = nil
	}
	x.mu.Unlock()
}

// bulk fills an empty index with entries read from the cache, whose terms
// are packed ids into vocab. Posting lists are allocated at their final
// size, so a large library opens without growing slices.
func (x *index) bulk(vocab []string, entries []*Entry) {
	x.vocab = vocab
	x.termID = make(map[string]uint32, len(vocab))
	for i, t := range vocab {
		x.termID[t] = uint32(i)
	}
	unpack := func(e *Entry, f func(t uint32, w uint8)) {
		prev, i := uint64(0), 0
		for b := e.packed; len(b) > 0; i++ {
			gap, k := binary.Uvarint(b)
			prev += gap
			b = b[k:]
			f(uint32(prev), e.weights[i])
		}
	}
	df := make([]uint32, len(vocab))
	for _, e := range entries {
		unpack(e, func(t uint32, _ uint8) { df[t]++ })
	}
	x.post = make([][]uint32, len(vocab))
	x.postW = make([][]uint8, len(vocab))
	for t, n := range df {
		if n > 0 {
			x.post[t] = make([]uint32, 0, n)
			x.postW[t] = make([]uint8, 0, n)
		}
	}
	x.slots = make([]*Entry, 0, len(entries))
	for _, e := range entries {
		slot := uint32(len(x.slots))
		x.slots = append(x.slots, e)
		e.slot = slot
		unpack(e, func(t uint32, w uint8) {
			x.post[t] = append(x.post[t], slot)
			x.postW[t] = append(x.postW[t], w)
		})
		e.packed, e.weights = nil, nil
		x.byID[e.ID] = e
	}
	x.n = len(entries)
}

// remove drops an entry and its postings. It scans every posting list,
// which is fine for a rare operation.
func (x *index) remove(id string) {
	old, ok := x.byID[id]
	if !ok {
		return
	}
	delete(x.byID, id)
	slot := old.slot
	for t, ps := range x.post {
		if i := slices.Index(ps, slot); i >= 0 {
			x.post[t] = slices.Delete(ps, i, i+1)
			x.postW[t] = slices.Delete(x.postW[t], i, i+1)
		}
	}
	x.slots[slot] = nil
	x.free = append(x.free, slot)
	x.n--
	x.mu.Lock()
	x.orders = nil
	x.mu.Unlock()
}

// entryTerms returns each live entry's terms and weights, rebuilt from
// the postings, for the cache file.
func (x *index) entryTerms() (terms [][]uint32, weights [][]uint8) {
	terms = make([][]uint32, len(x.slots))
	weights = make([][]uint8, len(x.slots))
	for t, ps := range x.post {
		for i, slot := range ps {
			terms[slot] = append(terms[slot], uint32(t))
			weights[slot] = append(weights[slot], x.postW[t][i])
		}
	}
	return terms, weights
}

// ordered returns all entries in the given order, building it once.
func (x *index) ordered(by Sort) []*Entry {
	if by == SortRelevance || by == "" {
		by = SortNewest
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if es, ok := x.orders[by]; ok {
		return es
	}
	es := make([]*Entry, 0, x.n)
	for _, e := range x.slots {
		if e != nil {
			es = append(es, e)
		}
	}
	sortEntries(es, by)
	if x.orders == nil {
		x.orders = map[Sort][]*Entry{}
	}
	x.orders[by] = es
	return es
}

// sorted returns the entries newest first.
func (x *index) sorted() []*Entry { return x.ordered(SortNewest) }

// withPrefix returns the ids of the terms that start with p.
func (x *index) withPrefix(p string) []uint32 {
	x.mu.Lock()
	if x.prefixes == nil {
		x.prefixes = make([]uint32, len(x.vocab))
		for i := range x.prefixes {
			x.prefixes[i] = uint32(i)
		}
		sort.Slice(x.prefixes, func(i, j int) bool { return x.vocab[x.prefixes[i]] < x.vocab[x.prefixes[j]] })
	}
	ids := x.prefixes
	x.mu.Unlock()
	i := sort.Search(len(ids), func(i int) bool { return x.vocab[ids[i]] >= p })
	var out []uint32
	for ; i < len(ids) && strings.HasPrefix(x.vocab[ids[i]], p); i++ {
		if len(x.post[ids[i]]) > 0 {
			out = append(out, ids[i])
		}
	}
	return out
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
	var page Page
	if len(words) == 0 {
		// Walk the kept order and build hits for this page only.
		for _, e := range l.idx.ordered(q.Sort) {
			if q.Type != "" && e.Type != q.Type {
				continue
			}
			if page.Total >= offset && page.Total < offset+limit {
				page.Hits = append(page.Hits, Hit{Entry: e})
			}
			page.Total++
		}
	} else {
		hits := l.idx.search(words, q.Type)
		sortHits(hits, q.Sort)
		page.Total = len(hits)
		if offset < len(hits) {
			page.Hits = hits[offset:min(offset+limit, len(hits))]
		}
	}
	if offset+limit < page.Total {
		page.Next = "o" + strconv.Itoa(offset+limit)
	}
	return page
}

func sortHits(hits []Hit, by Sort) {
	if by == SortRelevance || by == "" {
		sort.SliceStable(hits, func(i, j int) bool {
			if hits[i].Score != hits[j].Score {
				return hits[i].Score > hits[j].Score
			}
			return newer(hits[i].Entry, hits[j].Entry)
		})
		return
	}
	less := lessFunc(by)
	sort.SliceStable(hits, func(i, j int) bool { return less(hits[i].Entry, hits[j].Entry) })
}

// match is what one search word found in one entry.
type match struct {
	score float64
	term  uint32
}

func (x *index) search(words []string, typ string) []Hit {
	n := float64(x.n)
	idf := func(t uint32) float64 {
		df := float64(len(x.post[t]))
		return math.Log(1 + (n-df+0.5)/(df+0.5))
	}
	last := len(words) - 1
	var acc map[uint32]*Hit
	for i, w := range words {
		found := map[uint32]match{}
		consider := func(t uint32, factor float64) {
			f := factor * idf(t)
			for k, slot := range x.post[t] {
				s := dequantize(x.postW[t][k]) * f
				if m, ok := found[slot]; !ok || s > m.score {
					found[slot] = match{s, t}
				}
			}
		}
		if t, ok := x.termID[w]; ok {
			consider(t, 1)
		}
		if i == last && len(w) >= 2 {
			for _, t := range x.withPrefix(w) {
				if x.vocab[t] != w {
					consider(t, 0.8)
				}
			}
		}
		if i == 0 {
			acc = make(map[uint32]*Hit, len(found))
			for slot, m := range found {
				e := x.slots[slot]
				if typ != "" && e.Type != typ {
					continue
				}
				acc[slot] = &Hit{Entry: e, Score: m.score, Matched: []string{x.vocab[m.term]}}
			}
			continue
		}
		for slot, h := range acc {
			m, ok := found[slot]
			if !ok {
				delete(acc, slot)
				continue
			}
			h.Score += m.score
			h.Matched = append(h.Matched, x.vocab[m.term])
		}
	}
	hits := make([]Hit, 0, len(acc))
	for _, h := range acc {
		hits = append(hits, *h)
	}
	return hits
}
