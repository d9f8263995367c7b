package summarize

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/recap-startos/recap/pkg/recap"
)

// Limits of a sentence-like unit.
const (
	// pauseSplit is the gap (seconds) between cues at which text without
	// punctuation is cut into a new unit.
	pauseSplit = 0.8
	// maxUnitSeconds caps how long one unit may last (seconds).
	maxUnitSeconds = 30.0
	// maxUnitWords caps how many words one unit may hold.
	maxUnitWords = 60
	// maxCaptionWords caps a unit of text without punctuation, which is
	// cut where a sentence most likely ends (see cutter.split).
	maxCaptionWords = 32
	// minSplitWords is the fewest words a unit cut out of a long run of
	// unpunctuated text keeps.
	minSplitWords = 8
	// minEdgeWords is the fewest words of a unit cut, in text without
	// punctuation, where a sentence most likely ends (see edgeCut).
	minEdgeWords = 4
	// edgeCutOdds is the log-odds of a sentence edge above which text
	// without punctuation is cut between two words.
	edgeCutOdds = -0.5
	// edgeLookahead is how many following word pairs a cut waits for,
	// in case a likelier edge comes.
	edgeLookahead = 3
	// punctuatedRatio is the number of sentence ends per word above which
	// a transcript counts as punctuated (about one end per 40 words).
	punctuatedRatio = 1.0 / 40
	// wordSeconds is the longest time one spoken word is assumed to take
	// when the words of a cue are spread over the time before the next
	// cue (about 100 words a minute, a slow speaker).
	wordSeconds = 0.6
)

// Units re-cuts the units of a normalized transcript into sentence units
// and returns them indexed from 0. Caption cues and pasted lines are joined
// and cut at sentence ends, wherever the source broke its lines. Text
// without punctuation, as automatic captions are, is cut at pauses between
// cues and where a sentence most likely ends (edges.go), never after a
// word no sentence ends on ("and", "the"), and each unit cut that way is
// given a capital and a full stop; text without capitals gets back those
// of common names and acronyms (casing.go). A unit never
// lasts longer than about 30 seconds or 60 words, never splits a word, and
// ends where the speaker changes. Tags such as "(laughter)" or "[Music]"
// and speaker-turn marks (">>") are taken out of the text; a cue of
// nothing but tags becomes a unit of its own.
//
// A timed unit starts at the time of its first word: cues that share one
// start, as the sentences of one speaker turn do, are spread over the
// time up to the next start in proportion to their words, and so are the
// words of a cue. Untimed units carry no times.
func Units(t *recap.Transcript) []recap.Unit {
	return cutUnits(t).units
}

// cut is the result of re-cutting a transcript.
type cut struct {
	units []recap.Unit
	from  []int // source unit of each unit's first word
	// partial marks units that do not start or do not end at a sentence
	// boundary (a sentence cut because it ran too long): never quoted.
	partial []bool
}

func cutUnits(t *recap.Transcript) cut {
	if len(t.Units) == 0 {
		return cut{}
	}
	timed := t.Units[0].Start != nil
	c := cutter{timed: timed}
	c.punctuated, c.uncased = textShape(t.Units)
	var starts, ends []float64
	if timed {
		starts, ends = cueTimes(t.Units, t.Source.Duration)
	}
	prevEnd := 0.0
	for k, u := range t.Units {
		raw := strings.Fields(u.Text)
		if len(raw) == 0 {
			continue
		}
		start, end := 0.0, 0.0
		if timed {
			start, end = starts[k], ends[k]
		}
		var words []string // the cue's words without tags; none for a cue of tags only
		if !isNonSpeech(u.Text) {
			words = stripTags(raw)
		}
		c.breakBefore(u.Speaker, start, end, prevEnd, words)
		if words == nil {
			c.addTags(raw, k, u.Speaker, start, end)
		} else {
			// Times of the words: spread over the cue, never past the
			// next cue's start.
			limit := end
			if timed && k+1 < len(starts) && starts[k+1] > start && starts[k+1] < limit {
				limit = starts[k+1]
			}
			c.addWords(words, k, u.Speaker, start, limit, end)
		}
		prevEnd = max(end, prevEnd)
	}
	c.flush(cutBoundary)
	return cut{units: c.units, from: c.from, partial: c.partial}
}

// breakBefore ends or splits the unit being built before a source unit
// of speaker that runs from start to end and holds words next, the
// previous one having ended at prevEnd: at a change of speaker, in text
// without punctuation at a pause (unless the unit would end on a
// dangling word) or where a sentence most likely ends, at a long pause in
// punctuated text, and when the unit has run too long.
func (c *cutter) breakBefore(speaker string, start, end, prevEnd float64, next []string) {
	if len(c.words) == 0 {
		return
	}
	switch {
	case speaker != c.speaker:
		c.flush(cutBoundary)
	case c.timed && !c.punctuated && start-prevEnd >= pauseSplit && !dangling(c.words[len(c.words)-1]):
		c.flush(cutBoundary)
	case !c.punctuated && len(c.words) >= minEdgeWords && c.edgeBefore(next):
		c.flush(cutBoundary)
	case c.timed && end-c.times[0] > maxUnitSeconds:
		c.split()
	case c.timed && c.punctuated && start-prevEnd >= 3*pauseSplit && len(c.words) >= 8:
		c.flush(cutBoundary)
	}
}

// edgeBefore reports whether a sentence most likely ends between the unit
// being built and the words next (see edgeCut).
func (c *cutter) edgeBefore(next []string) bool {
	if len(next) == 0 {
		return false
	}
	c.edge = append(append(c.edge[:0], c.words[len(c.words)-1]), next[:min(len(next), edgeLookahead+1)]...)
	c.odds = edgeOddsOf(c.edge, edgeOdds, c.odds)
	return edgeCut(c.edge, c.odds, 0)
}

// addTags makes a cue of tags only, such as [Music], a unit of its own.
func (c *cutter) addTags(raw []string, k int, speaker string, start, end float64) {
	c.flush(cutBoundary)
	c.speaker, c.first = speaker, k
	c.words = append(c.words, raw...)
	for range raw {
		c.times = append(c.times, start)
	}
	c.end = max(end, start)
	c.flush(cutTag)
}

// addWords adds the words of source unit k, timed evenly from start up
// to limit, ending units at sentence ends in punctuated text and
// splitting those that run too long.
func (c *cutter) addWords(words []string, k int, speaker string, start, limit, end float64) {
	if !c.punctuated {
		c.odds = edgeOddsOf(words, edgeOdds, c.odds)
	}
	for i, w := range words {
		if len(c.words) == 0 {
			c.speaker, c.first = speaker, k
		}
		at := start
		if c.timed && len(words) > 1 {
			at = start + (limit-start)*float64(i)/float64(len(words))
		}
		c.words = append(c.words, w)
		c.times = append(c.times, at)
		c.end = max(end, c.end, at)
		switch {
		case c.punctuated && endsSentence(w, words, i):
			c.flush(cutSentence)
		case !c.punctuated && len(c.words) >= minEdgeWords && edgeCut(words, c.odds, i):
			if c.timed {
				c.end = start + (limit-start)*float64(i+1)/float64(len(words)) // where the next word starts
			}
			c.flush(cutBoundary)
		case len(c.words) >= maxUnitWords, !c.punctuated && len(c.words) >= maxCaptionWords:
			c.split()
		}
	}
}

// cueTimes returns the start and end of each source unit. Starts never
// decrease and stay inside the duration. A run of units sharing one start
// with no time of their own (sentences of one turn, as a parser gives
// them) is spread over the time up to the next start, or over about
// wordSeconds a word when that is shorter, in proportion to their words.
func cueTimes(src []recap.Unit, dur float64) ([]float64, []float64) {
	n := len(src)
	starts, ends := make([]float64, n), make([]float64, n)
	words := make([]int, n)
	prev := 0.0
	for k, u := range src {
		words[k] = recap.CountWords(u.Text)
		s := max(*u.Start, prev, 0)
		e := s
		if u.End != nil && *u.End > s {
			e = *u.End
		}
		if dur > 0 {
			s, e = min(s, dur), min(e, dur)
		}
		starts[k], ends[k] = s, e
		prev = s
	}
	for k := 0; k < n; {
		m := k
		for m+1 < n && starts[m+1] == starts[k] {
			m++
		}
		// Units k..m share a start. Spread them when they have no length
		// of their own.
		if m > k || ends[k] == starts[k] {
			spreadShared(starts[k:m+1], ends[k:m+1], words[k:m+1], startAfter(starts, m), dur)
		}
		k = m + 1
	}
	return starts, ends
}

// startAfter is the start after unit m, or -1 after the last.
func startAfter(starts []float64, m int) float64 {
	if m+1 < len(starts) {
		return starts[m+1]
	}
	return -1
}

// spreadShared spreads units sharing one start over the time up to the
// next start (nextStart, -1 for none), or over about wordSeconds a word
// when that is shorter, in proportion to their words; a single unit with
// an end of its own keeps its length.
func spreadShared(starts, ends []float64, words []int, nextStart, dur float64) {
	total := 0
	longest := starts[0]
	for j := range starts {
		total += words[j]
		longest = max(longest, ends[j])
	}
	end := longest
	if nextStart >= 0 {
		end = nextStart
	}
	span := min(end-starts[0], wordSeconds*float64(total))
	if longest > starts[0] && len(starts) == 1 {
		span = longest - starts[0]
	}
	if span <= 0 || total == 0 {
		return
	}
	s0, acc := starts[0], 0
	for j := range starts {
		starts[j] = s0 + span*float64(acc)/float64(total)
		acc += words[j]
		ends[j] = max(ends[j], s0+span*float64(acc)/float64(total))
		if dur > 0 {
			ends[j] = min(ends[j], dur)
		}
	}
}

// How a unit ends.
const (
	cutSentence = iota // at a sentence end
	cutBoundary        // at a speaker change, a pause or the end of the text
	cutForced          // in the middle of a sentence that ran too long
	cutTag             // a unit of tags only
)

// cutter accumulates words into the unit being built.
type cutter struct {
	timed, punctuated bool
	uncased           bool // no capitals: names and acronyms get theirs (trueCase)
	words             []string
	times             []float64 // start time of each word
	speaker           string
	end               float64
	first             int  // source unit of the first word
	midSentence       bool // the unit being built continues a cut sentence
	units             []recap.Unit
	from              []int
	partial           []bool
	edge              []string  // scratch for edgeBefore
	odds              []float64 // edge odds between the words at hand (edgeOddsOf)
}

// flush ends the unit being built. A unit that ends at a boundary
// without punctuation gets a full stop, unless it ends on a word no
// sentence ends on; text without any punctuation also gets a capital.
func (c *cutter) flush(how int) {
	if len(c.words) == 0 {
		return
	}
	words := dropFillers(c.words)
	partial := c.midSentence || how == cutForced || trailsOff(words[len(words)-1])
	c.midSentence = how == cutForced
	if c.uncased {
		for i, w := range words {
			if f, ok := casedForm(w); ok {
				words[i] = f
			}
		}
	}
	if how == cutBoundary && !c.punctuated {
		for i, w := range words {
			if pronounI[w] != "" {
				words[i] = pronounI[w]
			}
		}
		if !dangling(words[len(words)-1]) {
			words[0] = capitalizeFirst(words[0])
		}
	}
	if how == cutBoundary {
		last := words[len(words)-1]
		switch {
		case dangling(last):
			partial = true
		case !endsWithStop(strings.TrimRight(last, "\"')]”’")):
			words[len(words)-1] = strings.TrimRight(last, ",;:-–—") + "."
		}
	}
	u := recap.Unit{I: len(c.units), Text: strings.Join(words, " "), Speaker: c.speaker}
	if c.timed {
		u.Start, u.End = recap.Secs(c.times[0]), recap.Secs(max(c.end, c.times[0]))
		if n := len(c.units); n > 0 && *c.units[n-1].Start > *u.Start {
			u.Start = recap.Secs(*c.units[n-1].Start)
			u.End = recap.Secs(max(*u.End, *u.Start))
		}
	}
	c.units = append(c.units, u)
	c.from = append(c.from, c.first)
	c.partial = append(c.partial, partial)
	c.words, c.times = c.words[:0], c.times[:0]
}

// split ends a unit that ran too long. Text without punctuation is cut
// where a new sentence most likely starts: at the longest pause between
// words, preferring a word that often opens a sentence ("so", "but",
// "we"), never after a word no sentence ends on; both parts then count as
// sentences. Punctuated text is cut after its last comma, and both parts
// are marked partial.
func (c *cutter) split() {
	n := len(c.words)
	if n < 2*minSplitWords {
		c.flush(cutForced)
		return
	}
	best, bestScore := -1, -1.0
	for p := minSplitWords; p <= n-minSplitWords/2; p++ {
		prev := c.words[p-1]
		if dangling(prev) {
			continue
		}
		var score float64
		if c.punctuated {
			if !strings.HasSuffix(prev, ",") && !strings.HasSuffix(prev, ";") && !strings.HasSuffix(prev, ":") {
				continue
			}
			score = float64(p)
		} else {
			score = c.times[p] - c.times[p-1]
			if opensSentence(c.words[p]) {
				score += 0.5
			}
			score += 0.1*edgeOdds(prev, c.words[p]) + 0.001*float64(p)
		}
		if score > bestScore {
			best, bestScore = p, score
		}
	}
	if best < 0 {
		c.flush(cutForced)
		return
	}
	restWords := append([]string(nil), c.words[best:]...)
	restTimes := append([]float64(nil), c.times[best:]...)
	end := c.end
	c.words, c.times = c.words[:best], c.times[:best]
	c.end = restTimes[0]
	if c.punctuated {
		c.flush(cutForced)
	} else {
		c.flush(cutBoundary)
	}
	c.words = append(c.words, restWords...)
	c.times = append(c.times, restTimes...)
	c.end = end
}

// Sentence edges in text without punctuation.
//
// Automatic captions have no punctuation, and their cues need not stop
// where sentences do. Between two words w1 w2, the odds that a sentence
// ends there are estimated from how often, in human-punctuated talks,
// a sentence ends after w1 and how often one starts with w2
// (sentenceEdges in edges.go, fitted by edgefit_test.go), combined as
// independent evidence: odds(end after w1) + odds(start with w2) -
// prior, in log-odds. A word said too rarely to have odds of its own
// counts as the prior. Text is cut where these odds pass edgeCutOdds and
// no likelier edge follows within edgeLookahead words, never after a
// dangling word and never leaving fewer than minEdgeWords words.

// edgeWord is a word as sentenceEdges keys it: lower case, without the
// punctuation (or Markdown marks) around it.
func edgeWord(w string) string {
	return strings.ToLower(strings.Trim(w, ".,;:!?\"()[]—–-…'’“”`*_"))
}

// edgeOdds is the log-odds that a sentence ends between words a and b.
func edgeOdds(a, b string) float64 {
	return edgeOddsIn(sentenceEdges, sentenceEdgePrior, edgeWord(a), edgeWord(b))
}

// edgeOddsIn is edgeOdds with a given table and prior, for words already
// as edgeWord gives them.
func edgeOddsIn(table map[string][2]float32, prior float64, a, b string) float64 {
	end, start := prior, prior
	if v, ok := table[a]; ok {
		end = float64(v[0])
	}
	if v, ok := table[b]; ok {
		start = float64(v[1])
	}
	return end + start - prior
}

// edgeOddsOf returns, in buf, the odds of a sentence edge between each
// word of words and the next, once for all the lookaheads of edgeCut.
func edgeOddsOf(words []string, odds func(a, b string) float64, buf []float64) []float64 {
	buf = buf[:0]
	for k := 0; k+1 < len(words); k++ {
		buf = append(buf, odds(words[k], words[k+1]))
	}
	return buf
}

// edgeCut reports whether text without punctuation is cut after words[i],
// odds being edgeOddsOf(words): a sentence edge is likely there, none
// likelier in the next edgeLookahead pairs, and words[i] is not dangling.
func edgeCut(words []string, odds []float64, i int) bool {
	if i >= len(odds) || dangling(words[i]) || odds[i] <= edgeCutOdds {
		return false
	}
	for d := 1; d <= edgeLookahead && i+d < len(odds); d++ {
		if odds[i+d] > odds[i] {
			return false
		}
	}
	return true
}

// dangling reports whether no sentence ends on word w: an article, a
// conjunction, a preposition, a subject or possessive pronoun, "very",
// a relative word ("that", "which", "where") or an auxiliary ("is",
// "have", "would"). A few of these can end a sentence ("I like that"),
// but in captions a pause after them is far more often a breath inside
// one.
func dangling(w string) bool {
	if strings.ContainsAny(w, ".?!") {
		return false
	}
	_, ok := danglingWords[strings.ToLower(strings.TrimRight(w, ",;:-–—\"'"))]
	return ok
}

var danglingWords = makeSet(`a an the and or but nor of to very i we they he she my your our their its because if whose than with from for at by into so then just like um uh
that which who where when was were is are be been have has had will would can could should`)

// pronounI writes the pronoun "I" as it is written, for captions in
// lower case.
var pronounI = map[string]string{"i": "I", "i'm": "I'm", "i've": "I've", "i'll": "I'll", "i'd": "I'd"}

// trailsOff reports whether w is a word no sentence ends on followed by
// an ellipsis ("and..."): the speaker broke off.
func trailsOff(w string) bool {
	core := strings.TrimRight(w, ".…")
	return core != w && (strings.HasSuffix(w, "..") || strings.HasSuffix(w, "…")) && dangling(core)
}

// opensSentence reports whether w often opens a sentence in speech.
func opensSentence(w string) bool {
	_, ok := sentenceOpeners[strings.ToLower(w)]
	return ok
}

var sentenceOpeners = makeSet(`so but and because now then okay well i we you they it that this there what how why when if yeah right`)

// stripTags removes tags such as "(laughter)", "[Music]" and "[inaudible
// 00:12]" and speaker-turn marks (">>", "-") from a cue's words. Any text
// in square brackets is a tag; text in parentheses only when it names a
// sound. A cue that would be left empty is returned as it was.
func stripTags(words []string) []string {
	out := make([]string, 0, len(words))
	for i := 0; i < len(words); i++ {
		w := words[i]
		switch {
		case w == ">>" || w == "&gt;&gt;" || (w == "-" || w == "--") && i == 0:
			continue
		case strings.HasPrefix(w, "["):
			if j := closingWord(words, i, "]", len(words)); j >= 0 {
				if tail := words[j][strings.Index(words[j], "]")+1:]; tail != "" {
					out = append(out, tail)
				}
				i = j
				continue
			}
		case strings.HasPrefix(w, "("):
			if j := closingWord(words, i, ")", i+4); j >= 0 && soundTag(words[i:j+1]) {
				i = j
				continue
			}
		}
		out = append(out, w)
	}
	if len(out) == 0 {
		return words
	}
	return out
}

// closingWord returns the first word from i on, before limit, that holds
// closer, or -1.
func closingWord(words []string, i int, closer string, limit int) int {
	for j := i; j < len(words) && j < limit; j++ {
		if strings.Contains(words[j], closer) {
			return j
		}
	}
	return -1
}

// soundTag reports whether a parenthesized run of words names a sound,
// such as "(laughter)" or "(audience laughs)".
func soundTag(words []string) bool {
	found := false
	for _, w := range words {
		w = strings.ToLower(strings.Trim(w, "().,;!? "))
		if _, ok := soundTags[w]; ok {
			found = true
			continue
		}
		if _, ok := tagFillers[w]; !ok {
			return false
		}
	}
	return found
}

var tagFillers = makeSet(`audience crowd both speaker speakers all background soft loud playing in the`)

var soundTags = makeSet(`laughter laughs laughing laugh chuckles chuckling applause music inaudible crosstalk silence coughs cough sighs sigh
unintelligible indiscernible noise pause beep cheering clapping`)

// textShape reports whether the text has enough sentence ends to be cut
// at them rather than at pauses, and whether it is written without
// capitals (fewer than one word in 200 has one), as automatic captions
// often are.
func textShape(units []recap.Unit) (punctuated, uncased bool) {
	words, ends, upper := 0, 0, 0
	for _, u := range units {
		fields := strings.Fields(u.Text)
		words += len(fields)
		for i, w := range fields {
			if endsSentence(w, fields, i) {
				ends++
			}
			if strings.IndexFunc(w, unicode.IsUpper) >= 0 {
				upper++
			}
		}
	}
	return words > 0 && float64(ends) >= punctuatedRatio*float64(words), words > 0 && upper*200 < words
}

// casedForm is how w is written when text without capitals gets them
// back: the form of trueCase (edges.go's fit), also before "'s"; ok is
// false for a word trueCase does not hold.
func casedForm(w string) (string, bool) {
	if f, ok := trueCase[w]; ok {
		return f, true
	}
	if stem, ok := strings.CutSuffix(w, "'s"); ok {
		if f, ok := trueCase[stem]; ok {
			return f + "'s", true
		}
	}
	return "", false
}

// endsSentence reports whether word i of words ends a sentence: it ends
// in '.', '?' or '!' (possibly before closing quotes or brackets), is not
// a common abbreviation or an initial, and an ellipsis counts only before
// a capital letter.
func endsSentence(w string, words []string, i int) bool {
	core := strings.TrimRightFunc(w, func(r rune) bool {
		return r == '"' || r == '\'' || r == ')' || r == ']' || r == '”' || r == '’' || r == '»'
	})
	if core == "" {
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(core)
	switch r {
	case '?', '!', '。', '？', '！':
		return true
	case '…':
		return nextCapital(words, i)
	case '.':
	default:
		return false
	}
	return periodEnds(core, words, i)
}

// periodEnds reports whether a word core ending in a full stop ends a
// sentence: not an abbreviation, an initial or a dotted short form
// followed by lower case.
func periodEnds(core string, words []string, i int) bool {
	if strings.HasSuffix(core, "..") {
		return nextCapital(words, i)
	}
	body := strings.ToLower(strings.TrimSuffix(core, "."))
	body = strings.TrimLeftFunc(body, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if body == "" {
		// A lone "." (as in tokenized text) ends the sentence before it.
		return true
	}
	if _, ok := abbreviations[body]; ok {
		return false
	}
	if utf8.RuneCountInString(body) == 1 && unicode.IsLetter([]rune(body)[0]) {
		return false // an initial such as "J."
	}
	if strings.Contains(body, ".") && !strings.Contains(body, "..") {
		return nextCapital(words, i) && len(body) > 4 // "U.S." mid-sentence, "e.g."
	}
	return true
}

func nextCapital(words []string, i int) bool {
	if i+1 >= len(words) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(strings.TrimLeft(words[i+1], "\"'“‘([¿¡"))
	return unicode.IsUpper(r) || unicode.IsDigit(r)
}

var abbreviations = makeSet(`mr mrs ms dr prof st sr jr vs etc inc ltd co corp no fig approx dept est gen gov lt col sgt capt cmdr rev hon jan feb mar apr jun jul aug sep sept oct nov dec e.g i.e cf al`)

// fillers are hesitation sounds that carry nothing in a written recap.
var fillers = map[string]bool{"um": true, "umm": true, "uh": true, "uhh": true, "uhm": true, "erm": true, "er": true, "hmm": true, "mm": true}

// dropFillers removes hesitation sounds ("um,", "Uh.") and re-attaches
// punctuation that captions leave standing alone ("one , two"), so units
// read as written text. A unit that is nothing but fillers is kept as is.
// The result is still what the transcript says, only tidied, and the
// document's transcript holds it, so key points stay verbatim.
func dropFillers(words []string) []string {
	out := make([]string, 0, len(words))
	capitalize := false
	for i, w := range words {
		core := strings.ToLower(strings.Trim(w, ",.;…!?-"))
		switch {
		case fillers[core]:
			if len(out) == 0 {
				capitalize = i == 0 || endsWithStop(words[i-1])
			} else if endsWithStop(out[len(out)-1]) {
				capitalize = true
			} else if strings.HasSuffix(w, ".") {
				out[len(out)-1] = strings.TrimRight(out[len(out)-1], ",;") + "."
				capitalize = true
			}
			continue
		case strings.Trim(w, ",;") == "":
			if len(out) > 0 && !strings.ContainsAny(out[len(out)-1][len(out[len(out)-1])-1:], ",;.!?") {
				out[len(out)-1] += w[:1]
			}
			continue
		}
		if capitalize {
			w = capitalizeFirst(w)
			capitalize = false
		}
		out = append(out, w)
	}
	if len(out) == 0 {
		return words
	}
	return out
}

func endsWithStop(w string) bool {
	return strings.HasSuffix(w, ".") || strings.HasSuffix(w, "!") || strings.HasSuffix(w, "?")
}

func capitalizeFirst(w string) string {
	for i, r := range w {
		if unicode.IsLetter(r) {
			return w[:i] + string(unicode.ToUpper(r)) + w[i+utf8.RuneLen(r):]
		}
	}
	return w
}
