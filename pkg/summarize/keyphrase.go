package summarize

import (
	"math"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/recap-startos/recap/pkg/recap"
)

// Keyphrases.
//
// Candidates are runs of one to four content words inside a unit that do
// not cross punctuation ("address relay", "proof of work": "of" may join
// two content words; a number may end a phrase, as in "version 3"). Stem variants count together and each phrase is
// shown in its most frequent written form. Recap keywords favour phrases
// that are frequent, spread over many topics, multi-word or written with
// capitals mid-sentence (names), in the spirit of YAKE's single-document
// statistics. Topic titles are chosen in titles.go.

// phrase is one keyphrase candidate.
type phrase struct {
	key     string  // stems joined by spaces
	n       int     // number of words
	units   []int32 // unit of every occurrence, non-decreasing
	forms   map[string]int
	capital int  // occurrences written with a capital not at a sentence start
	noun    int8 // nounLike, once known: 1 yes, -1 no, 0 not yet asked
	speaker int8 // names a speaker, once known: 1 yes, -1 no, 0 not yet asked

	// Title features that do not depend on the topic, set once by
	// wordFeatures.
	known   bool
	subject bool
	number  bool
	acronym bool
	spread  float64
	vague   float64

	stems   []string // content stems of its surface, once stemmed
	stemmed bool
}

// contentStems returns the content stems of the phrase's surface, as
// ROUGE-1 counts them.
func (p *phrase) contentStems() []string {
	if !p.stemmed {
		p.stems, p.stemmed = contentStems(p.surface()), true
	}
	return p.stems
}

// surface is the phrase's most frequent written form (ties broken by
// the lexically smallest form, so output is deterministic); a form
// capitalized only at sentence starts is lower-cased.
func (p *phrase) surface() string {
	best, bestN := "", -1
	for f, n := range p.forms {
		if n > bestN || (n == bestN && f < best) {
			best, bestN = f, n
		}
	}
	if p.capital*3 < len(p.units) {
		best = lowerUnlessAcronym(best)
	}
	return best
}

// lowerUnlessAcronym lower-cases words that are capitalized like an
// ordinary word ("Relay"), keeping acronyms and mixed case ("UTXO",
// "AddrMan").
func lowerUnlessAcronym(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		upper := 0
		for _, r := range w {
			if unicode.IsUpper(r) {
				upper++
			}
		}
		if upper == 1 {
			r, size := utf8.DecodeRuneInString(w)
			if unicode.IsUpper(r) {
				words[i] = string(unicode.ToLower(r)) + w[size:]
			}
		}
	}
	return strings.Join(words, " ")
}

// phraseIndex holds every candidate of a transcript in order of first
// appearance.
type phraseIndex struct {
	list    []*phrase
	by      map[string]*phrase
	subject map[string]bool      // content stems of the source's title
	speaker map[string]bool      // content stems of the speakers' names
	starts  []int                // first unit of every topic
	holders map[string][]*phrase // see holding
}

// collectPhrases gathers candidates from the content units.
func collectPhrases(a *analysis) *phraseIndex {
	x := &phraseIndex{by: make(map[string]*phrase), speaker: speakerStems(a.units)}
	introducedNames(a, x.speaker)
	var key strings.Builder
	for i, toks := range a.toks {
		if !a.content(i) {
			continue
		}
		for p := range toks {
			if !toks[p].stop {
				x.addPhrasesAt(&key, int32(i), toks, p)
			}
		}
	}
	return x
}

// addPhrasesAt adds the phrases of unit i that start at its token p: up
// to maxPhraseWords words, never across punctuation, never ending on a
// stop word but for "of" inside and a number at the end ("version 3",
// "BIP 157").
func (x *phraseIndex) addPhrasesAt(key *strings.Builder, i int32, toks []token, p int) {
	key.Reset()
	atStart := p == 0 || toks[p].brk
	for n := 1; n <= maxPhraseWords && p+n-1 < len(toks); n++ {
		last := toks[p+n-1]
		if n > 1 && last.brk {
			return
		}
		if n > 1 {
			key.WriteByte(' ')
		}
		key.WriteString(last.stem)
		if last.stop {
			if n == 2 && strings.EqualFold(last.surface, "of") {
				continue
			}
			if n > 1 && isNumber(last.surface) {
				x.add(key.String(), n, i, toks[p:p+n], atStart)
			}
			return
		}
		x.add(key.String(), n, i, toks[p:p+n], atStart)
	}
}

// introducedNames adds to stems the names speakers give themselves: up
// to three capitalized words after "my name is", "your host" ("This is
// your host, Michael Kennedy") or "I'm" ("I'm Sydney Runkle"), at least
// two after "I'm", which also opens ordinary sentences. Like the names
// of the speaker labels, they never enter a title.
func introducedNames(a *analysis, stems map[string]bool) {
	for _, toks := range a.toks {
		for i := 0; i < len(toks); i++ {
			if w := toks[i].surface; len(w) < 2 || len(w) > len("I’m") || (w[0]|0x20 != 'm' && w[0]|0x20 != 'y' && w[0] != 'I') {
				continue // none of "my", "your", "I'm", "I’m"
			}
			need := 0
			switch {
			case i+2 < len(toks) && strings.EqualFold(toks[i].surface, "my") && strings.EqualFold(toks[i+1].surface, "name") && strings.EqualFold(toks[i+2].surface, "is"):
				i, need = i+3, 1
			case i+1 < len(toks) && strings.EqualFold(toks[i].surface, "your") && strings.EqualFold(toks[i+1].surface, "host"):
				i, need = i+2, 1
			case strings.EqualFold(toks[i].surface, "I'm") || strings.EqualFold(toks[i].surface, "I’m"):
				i, need = i+1, 2
			default:
				continue
			}
			j := i
			for j < len(toks) && j < i+3 && startsUpper(toks[j].surface) && !toks[j].stop {
				j++
			}
			if j-i < need {
				continue
			}
			for _, t := range toks[i:j] {
				stems[t.stem] = true
			}
		}
	}
}

func startsUpper(w string) bool {
	r, _ := utf8.DecodeRuneInString(w)
	return unicode.IsUpper(r)
}

// speakerStems returns the content stems of the speaker names of units.
func speakerStems(units []recap.Unit) map[string]bool {
	stems := make(map[string]bool)
	seen := make(map[string]bool)
	for _, u := range units {
		if u.Speaker == "" || seen[u.Speaker] {
			continue
		}
		seen[u.Speaker] = true
		for _, t := range tokenize(u.Speaker, nil) {
			if !t.stop {
				stems[t.stem] = true
			}
		}
	}
	return stems
}

// titleable reports whether p may name a topic: a noun phrase that does
// not hold a speaker's name ("Sjors and dreadful moment" says who talks,
// not what about).
func (x *phraseIndex) titleable(p *phrase) bool {
	if !nounLike(p) {
		return false
	}
	if p.speaker == 0 {
		p.speaker = -1
		for _, w := range strings.Fields(p.key) {
			if x.speaker[w] {
				p.speaker = 1
				break
			}
		}
	}
	return p.speaker < 0
}

// maxPhraseWords is the longest keyphrase, in words.
const maxPhraseWords = 4

func isNumber(w string) bool {
	for _, r := range w {
		if r < '0' || r > '9' {
			return false
		}
	}
	return w != ""
}

func (x *phraseIndex) add(key string, n int, unit int32, toks []token, sentenceStart bool) {
	p := x.by[key]
	if p == nil {
		p = &phrase{key: key, n: n, forms: make(map[string]int, 1)}
		x.by[key] = p
		x.list = append(x.list, p)
	}
	p.units = append(p.units, unit)
	var form strings.Builder
	for k, t := range toks {
		if k > 0 {
			form.WriteByte(' ')
		}
		form.WriteString(t.surface)
	}
	p.forms[form.String()]++
	if r, _ := utf8.DecodeRuneInString(toks[0].surface); unicode.IsUpper(r) && !sentenceStart {
		p.capital++
	}
}

// countIn is how many occurrences of p fall in units [from, to].
func (p *phrase) countIn(from, to int) int {
	lo := sort.Search(len(p.units), func(k int) bool { return int(p.units[k]) >= from })
	hi := sort.Search(len(p.units), func(k int) bool { return int(p.units[k]) > to })
	return hi - lo
}

var lengthBoost = [maxPhraseWords + 1]float64{0, 1, 1.6, 1.9, 1.9}

type scored struct {
	p     *phrase
	score float64
}

// keywords returns up to max keyphrases for the whole transcript, given
// the topic starts, best first.
func (x *phraseIndex) keywords(starts []int, n, limit int) []string {
	// A word counts only where it is not part of its most frequent
	// longer phrase, so "Core" does not stand beside "Bitcoin Core".
	covered := make(map[string]int)
	for _, p := range x.list {
		if p.n == 1 || len(p.units) < 2 {
			continue
		}
		for _, w := range strings.Fields(p.key) {
			covered[w] = max(covered[w], len(p.units))
		}
	}
	var cands []scored
	for _, p := range x.list {
		c := len(p.units)
		if p.n == 1 {
			c -= covered[p.key]
		}
		if c < 1 || (c < 2 && len(x.list) > 40) || !nounLike(p) {
			continue
		}
		spread := 0
		for t, s := range starts {
			e := n - 1
			if t+1 < len(starts) {
				e = starts[t+1] - 1
			}
			if p.countIn(s, e) > 0 {
				spread++
			}
		}
		score := float64(c) * (1 + math.Log(float64(spread))) * lengthBoost[p.n]
		if p.capital*2 >= c {
			score *= 1.5
		}
		cands = append(cands, scored{p, score})
	}
	return pickPhrases(cands, limit, nil, 0.15, 5)
}

// pickPhrases sorts candidates and takes the best that do not repeat a
// stem of one already taken, up to limit; beyond the first atLeast, only
// while their score is at least floor times the best score.
func pickPhrases(cands []scored, limit int, used map[string]bool, floor float64, atLeast int) []string {
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].score != cands[j].score {
			return cands[i].score > cands[j].score
		}
		return cands[i].p.key < cands[j].p.key
	})
	var out []string
	var taken []string
	for _, c := range cands {
		if len(out) == limit {
			break
		}
		if used[c.p.key] || overlaps(c.p.key, taken) {
			continue
		}
		if len(out) >= atLeast && c.score < cands[0].score*floor {
			break
		}
		taken = append(taken, c.p.key)
		out = append(out, c.p.surface())
		if used != nil {
			used[c.p.key] = true
		}
	}
	return out
}

// overlaps reports whether key shares a stem with any of taken.
func overlaps(key string, taken []string) bool {
	words := strings.Fields(key)
	for _, t := range taken {
		for _, tw := range strings.Fields(t) {
			for _, w := range words {
				if w == tw && w != "of" {
					return true
				}
			}
		}
	}
	return false
}

func capitalize(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return s
	}
	return string(unicode.ToUpper(r)) + s[size:]
}
