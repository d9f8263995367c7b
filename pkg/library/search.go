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
// terms. Each term is stored once (in vocab) and maps to a packed posting
// list: for each entry holding the term, in ascending slot order, the
// slot as a varint delta from the previous one and the term's weight in
// one byte. Dense lists cost about two bytes a posting, so memory grows
// with the number of distinct terms per recap, and a search reads only the
// postings of the words it looks for. Slots are never reused, which keeps
// every list ascending when entries are added. Sorted listings are built
// on first use and kept until the entries change.
type index struct {
	slots []*Entry // by slot; nil for a removed entry
	byID  map[string]*Entry
	n     int // live entries

	termID map[string]uint32
	vocab  []string // term by id
	post   [][]byte // packed postings by term id
	last   []uint32 // last slot in each posting list
	df     []uint32 // number of postings of each term

	mu       sync.Mutex        // guards the lazily built fields below
	orders   map[Sort][]*Entry // full listings by sort
	prefixes []uint32          // term ids sorted by term, for prefix search
}

func newIndex() *index {
	return &index{byID: map[string]*Entry{}, termID: map[string]uint32{}}
}

func (x *index) len() int { return x.n }

// postings calls f for each (slot, weight) of a packed posting list.
func postings(b []byte, f func(slot uint32, w uint8)) {
	var slot uint64
	for len(b) > 0 {
		d, k := binary.Uvarint(b)
		slot += d
		f(uint32(slot), b[k])
		b = b[k+1:]
	}
}

// appendPosting adds slot (greater than every slot already in the list of
// term t) with weight w.
func (x *index) appendPosting(t, slot uint32, w uint8) {
	delta := slot
	if x.df[t] > 0 {
		delta = slot - x.last[t]
	}
	x.post[t] = binary.AppendUvarint(x.post[t], uint64(delta))
	x.post[t] = append(x.post[t], w)
	x.last[t] = slot
	x.df[t]++
}

// put adds or replaces an entry; it moves the entry's terms into the
// postings.
func (x *index) put(e *Entry) {
	x.remove(e.ID)
	slot := uint32(len(x.slots))
	x.slots = append(x.slots, e)
	e.slot = slot
	newTerm := false
	for i, t := range e.terms {
		id, ok := x.termID[t]
		if !ok {
			id = uint32(len(x.vocab))
			x.termID[t] = id
			x.vocab = append(x.vocab, t)
			x.post = append(x.post, nil)
			x.last = append(x.last, 0)
			x.df = append(x.df, 0)
			newTerm = true
		}
		x.appendPosting(id, slot, e.weights[i])
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
	// First pass: the exact size of every posting list.
	size := make([]int, len(vocab))
	x.last = make([]uint32, len(vocab))
	x.df = make([]uint32, len(vocab))
	for slot, e := range entries {
		unpack(e, func(t uint32, _ uint8) {
			delta := uint32(slot)
			if x.df[t] > 0 {
				delta -= x.last[t]
			}
			size[t] += uvarintLen(uint64(delta)) + 1
			x.last[t] = uint32(slot)
			x.df[t]++
		})
	}
	x.post = make([][]byte, len(vocab))
	for t, n := range size {
		if n > 0 {
			x.post[t] = make([]byte, 0, n)
		}
	}
	clear(x.df)
	x.slots = make([]*Entry, 0, len(entries))
	for _, e := range entries {
		slot := uint32(len(x.slots))
		x.slots = append(x.slots, e)
		e.slot = slot
		unpack(e, func(t uint32, w uint8) { x.appendPosting(t, slot, w) })
		e.packed, e.weights = nil, nil
		x.byID[e.ID] = e
	}
	x.n = len(entries)
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// remove drops an entry and its postings. It decodes every posting list,
// which is fine for a rare operation.
func (x *index) remove(id string) {
	old, ok := x.byID[id]
	if !ok {
		return
	}
	delete(x.byID, id)
	slot := old.slot
	for t, b := range x.post {
		if x.df[t] == 0 || x.last[t] < slot {
			continue
		}
		found := false
		postings(b, func(s uint32, _ uint8) { found = found || s == slot })
		if !found {
			continue
		}
		x.post[t], x.df[t] = nil, 0
		postings(b, func(s uint32, w uint8) {
			if s != slot {
				x.appendPosting(uint32(t), s, w)
			}
		})
	}
	x.slots[slot] = nil
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
	for t, b := range x.post {
		postings(b, func(slot uint32, w uint8) {
			terms[slot] = append(terms[slot], uint32(t))
			weights[slot] = append(weights[slot], w)
		})
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
		if x.df[ids[i]] > 0 {
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

	l.refresh()
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
		cands := l.idx.search(words, q.Type)
		sortCandidates(cands, q.Sort)
		page.Total = len(cands)
		if offset < len(cands) {
			for _, c := range cands[offset:min(offset+limit, len(cands))] {
				matched := make([]string, len(c.terms))
				for i, t := range c.terms {
					matched[i] = l.idx.vocab[t]
				}
				page.Hits = append(page.Hits, Hit{Entry: c.e, Score: c.score, Matched: matched})
			}
		}
	}
	if offset+limit < page.Total {
		page.Next = "o" + strconv.Itoa(offset+limit)
	}
	return page
}

// candidate is an entry that matched every search word so far.
type candidate struct {
	e     *Entry
	score float64
	terms []uint32 // the term each word matched, in word order
}

func sortCandidates(cs []candidate, by Sort) {
	if by == SortRelevance || by == "" {
		slices.SortFunc(cs, func(a, b candidate) int {
			switch {
			case a.score > b.score:
				return -1
			case a.score < b.score:
				return 1
			case newer(a.e, b.e):
				return -1
			case newer(b.e, a.e):
				return 1
			}
			return 0
		})
		return
	}
	less := lessFunc(by)
	slices.SortStableFunc(cs, func(a, b candidate) int {
		switch {
		case less(a.e, b.e):
			return -1
		case less(b.e, a.e):
			return 1
		}
		return 0
	})
}

// weightOf maps a quantized weight back to its value, without math.Expm1
// on every posting.
var weightOf = func() (t [256]float64) {
	for q := range t {
		t[q] = dequantize(uint8(q))
	}
	return t
}()

// search returns the entries that match every word, with their scores.
// Per word, each entry keeps its best-scoring term (the word itself, or
// for the last word a term it is a prefix of, at 0.8 of the weight).
// Scores live in arrays indexed by slot rather than maps, so a common
// word over 10,000 recaps costs one pass over its posting list.
func (x *index) search(words []string, typ string) []candidate {
	ws := &wordScores{best: make([]float64, len(x.slots)), term: make([]uint32, len(x.slots))}
	var cands []candidate
	for i, w := range words {
		ws.reset()
		x.scoreWord(ws, w, i == len(words)-1)
		if i == 0 {
			cands = ws.candidates(x.slots, typ)
			continue
		}
		cands = ws.narrow(cands)
	}
	return cands
}

// wordScores is the best score of one search word in each slot, and the
// term that gave it.
type wordScores struct {
	best    []float64 // by slot; 0 = no match
	term    []uint32  // by slot
	touched []uint32  // the slots with a score, to reset
}

func (ws *wordScores) reset() {
	for _, slot := range ws.touched {
		ws.best[slot] = 0
	}
	ws.touched = ws.touched[:0]
}

// scoreWord scores w in every slot: as a term, and when it is the last
// word (prefix) through the terms it begins, at 0.8 of their weight.
func (x *index) scoreWord(ws *wordScores, w string, prefix bool) {
	if t, ok := x.termID[w]; ok {
		ws.add(x, t, 1)
	}
	if !prefix || len(w) < 2 {
		return
	}
	for _, t := range x.withPrefix(w) {
		if x.vocab[t] != w {
			ws.add(x, t, 0.8)
		}
	}
}

// add scores term t, weighted by factor, in each slot that holds it.
func (ws *wordScores) add(x *index, t uint32, factor float64) {
	f := factor * x.idf(t)
	postings(x.post[t], func(slot uint32, q uint8) {
		s := weightOf[q] * f
		if ws.best[slot] == 0 {
			ws.touched = append(ws.touched, slot)
		}
		if s > ws.best[slot] {
			ws.best[slot], ws.term[slot] = s, t
		}
	})
}

// idf is term t's inverse document frequency (BM25's).
func (x *index) idf(t uint32) float64 {
	n, df := float64(x.n), float64(x.df[t])
	return math.Log(1 + (n-df+0.5)/(df+0.5))
}

// candidates makes a candidate of each slot the first word matched, of
// type typ when it is not empty.
func (ws *wordScores) candidates(slots []*Entry, typ string) []candidate {
	cands := make([]candidate, 0, len(ws.touched))
	for _, slot := range ws.touched {
		e := slots[slot]
		if e == nil || (typ != "" && e.Type != typ) {
			continue
		}
		cands = append(cands, candidate{e: e, score: ws.best[slot], terms: []uint32{ws.term[slot]}})
	}
	return cands
}

// narrow keeps the candidates this word matched too, adding its score.
func (ws *wordScores) narrow(cands []candidate) []candidate {
	kept := cands[:0]
	for _, c := range cands {
		if s := ws.best[c.e.slot]; s > 0 {
			c.score += s
			c.terms = append(c.terms, ws.term[c.e.slot])
			kept = append(kept, c)
		}
	}
	return kept
}
