package summarize

import (
	"math"
	"sort"
	"strings"

	"github.com/recap-startos/recap/pkg/recap"
)

// Unit flags set by analyze.
const (
	flagFiller    uint8 = 1 << iota // backchannel, filler or too short to say anything
	flagSponsor                     // inside a sponsor read or channel housekeeping
	flagNonSpeech                   // only tags such as [Music]
	flagQuestion                    // ends with a question mark
	flagPartial                     // not a whole sentence (cut because it ran too long)
)

// analysis holds what the engine knows about each unit: its tokens, its
// content terms as interned ids, flags, and TF-IDF vectors. Term ids are
// assigned in order of first appearance, so every result built on them is
// deterministic.
type analysis struct {
	units []recap.Unit
	timed bool
	toks  [][]token
	terms [][]int32 // content term ids per unit, in text order
	words []int     // words per unit
	flags []uint8
	ids   map[string]int32
	stems []string // term id → stem
	df    []int32  // term id → number of units holding it
	idf   []float64
	vecs  []vector // unit TF-IDF vectors, unit length

	lower  []string // unit texts in lower case, for matching cues
	naming []int8   // whether a unit holds a naming cue: 1 yes, -1 no, 0 not yet asked (see names)
}

// vector is a sparse vector with ids in increasing order.
type vector struct {
	ids []int32
	w   []float64
}

func analyze(units []recap.Unit) *analysis {
	a := &analysis{
		units: units,
		timed: len(units) > 0 && units[0].Start != nil,
		toks:  make([][]token, len(units)),
		terms: make([][]int32, len(units)),
		words: make([]int, len(units)),
		flags: make([]uint8, len(units)),
		lower: make([]string, len(units)),
		ids:   make(map[string]int32),
	}
	size := 0
	for _, u := range units {
		size += len(u.Text)
	}
	all := make([]token, 0, size/5+16) // about one word in five bytes: no growing and copying
	for i, u := range units {
		start := len(all)
		all = tokenize(u.Text, all)
		toks := all[start:len(all):len(all)]
		a.toks[i] = toks
		a.words[i] = recap.CountWords(u.Text)
		var terms []int32
		for _, t := range toks {
			if t.stop {
				continue
			}
			id, ok := a.ids[t.stem]
			if !ok {
				id = int32(len(a.stems))
				a.ids[t.stem] = id
				a.stems = append(a.stems, t.stem)
			}
			terms = append(terms, id)
		}
		a.terms[i] = terms
		a.lower[i] = strings.ToLower(u.Text)
		a.flags[i] = unitFlags(u.Text, a.lower[i], toks)
	}
	a.markSponsorSpans()
	a.weigh()
	return a
}

// unitFlags flags a unit of text (lower in lower case) and tokens toks.
func unitFlags(text, lower string, toks []token) uint8 {
	var f uint8
	if isNonSpeech(text) {
		f |= flagNonSpeech | flagFiller
	}
	if isFiller(toks) {
		f |= flagFiller
	}
	if strings.HasSuffix(strings.TrimRight(text, "\"' )]”’"), "?") {
		f |= flagQuestion
	}
	if containsAny(lower, promoCues) {
		f |= flagSponsor
	}
	return f
}

// markSponsorSpans flags the unit holding a sponsor cue and the units of
// the next 45 seconds (or the next three units without times), where a
// sponsor read usually goes on.
func (a *analysis) markSponsorSpans() {
	for i, u := range a.units {
		if !containsAny(a.lower[i], sponsorCues) {
			continue
		}
		a.flags[i] |= flagSponsor
		for j := i + 1; j < len(a.units); j++ {
			if a.timed {
				if *a.units[j].Start-*u.Start > 45 {
					break
				}
			} else if j-i > 3 {
				break
			}
			a.flags[j] |= flagSponsor
		}
	}
}

// weigh computes document frequencies, idf and unit vectors.
func (a *analysis) weigh() {
	a.df = make([]int32, len(a.stems))
	seen := make([]int32, len(a.stems))
	for i := range seen {
		seen[i] = -1
	}
	for i, terms := range a.terms {
		for _, id := range terms {
			if seen[id] != int32(i) {
				seen[id] = int32(i)
				a.df[id]++
			}
		}
	}
	n := float64(len(a.units))
	a.idf = make([]float64, len(a.stems))
	for id, df := range a.df {
		a.idf[id] = math.Log((n + 1) / (float64(df) + 0.5))
	}
	a.vecs = make([]vector, len(a.units))
	for i, terms := range a.terms {
		a.vecs[i] = a.vectorOf(terms)
	}
}

// vectorOf builds the unit-length TF-IDF vector of a bag of terms.
func (a *analysis) vectorOf(terms []int32) vector {
	if len(terms) == 0 {
		return vector{}
	}
	ids := append([]int32(nil), terms...)
	sort.Slice(ids, func(x, y int) bool { return ids[x] < ids[y] })
	v := vector{ids: ids[:0], w: make([]float64, 0, len(ids))}
	for k, id := range ids {
		if k > 0 && id == ids[k-1] {
			v.w[len(v.w)-1] += a.idf[id]
			continue
		}
		v.ids = append(v.ids, id)
		v.w = append(v.w, a.idf[id])
	}
	v.normalize()
	return v
}

func (v *vector) normalize() {
	s := 0.0
	for _, w := range v.w {
		s += w * w
	}
	if s == 0 {
		return
	}
	s = 1 / math.Sqrt(s)
	for k := range v.w {
		v.w[k] *= s
	}
}

// dot is the dot product of two sparse vectors.
func dot(x, y vector) float64 {
	s := 0.0
	i, j := 0, 0
	for i < len(x.ids) && j < len(y.ids) {
		switch {
		case x.ids[i] < y.ids[j]:
			i++
		case x.ids[i] > y.ids[j]:
			j++
		default:
			s += x.w[i] * y.w[j]
			i++
			j++
		}
	}
	return s
}

// centroid is the unit-length sum of the vectors of units [from, to].
func (a *analysis) centroid(from, to int) vector {
	acc := make(map[int32]float64)
	for i := from; i <= to; i++ {
		v := a.vecs[i]
		for k, id := range v.ids {
			acc[id] += v.w[k]
		}
	}
	c := vector{ids: make([]int32, 0, len(acc)), w: make([]float64, 0, len(acc))}
	for id := range acc {
		c.ids = append(c.ids, id)
	}
	sort.Slice(c.ids, func(x, y int) bool { return c.ids[x] < c.ids[y] })
	for _, id := range c.ids {
		c.w = append(c.w, acc[id])
	}
	c.normalize()
	return c
}

// markPartial flags the units that are not whole sentences: those the
// cutter marked, and those that start with a lower-case letter once
// their leading fillers are dropped would be fine, so only the cutter's
// marks and units of fewer than four words count.
func (a *analysis) markPartial(partial []bool) {
	for i, p := range partial {
		if p || a.words[i] < 4 {
			a.flags[i] |= flagPartial
		}
	}
}

// content reports whether unit i may appear in a summary, title or key
// point: not filler, not a sponsor read, not only tags.
func (a *analysis) content(i int) bool {
	return a.flags[i]&(flagFiller|flagSponsor|flagNonSpeech) == 0
}
