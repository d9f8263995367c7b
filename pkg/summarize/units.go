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
	// punctuatedRatio is the number of sentence ends per word above which
	// a transcript counts as punctuated (about one end per 40 words).
	punctuatedRatio = 1.0 / 40
)

// Units re-cuts the units of a normalized transcript into sentence-like
// units and returns them indexed from 0. Caption cues are joined and split
// at sentence ends; when the text has little punctuation, as automatic
// captions do, it is split at pauses between cues instead. A unit never
// lasts longer than about 30 seconds or 60 words, never splits a word, and
// ends where the speaker changes. A timed unit starts at the start of its
// first cue and ends at the end of its last; untimed units carry no times.
func Units(t *recap.Transcript) []recap.Unit {
	units, _ := cutUnits(t)
	return units
}

// cutUnits is Units that also returns, for each unit, the index of the
// source unit its first word came from.
func cutUnits(t *recap.Transcript) ([]recap.Unit, []int) {
	if len(t.Units) == 0 {
		return nil, nil
	}
	timed := t.Units[0].Start != nil
	punctuated := isPunctuated(t.Units)
	dur := t.Source.Duration
	c := cutter{timed: timed, dur: dur}
	prevStart, prevEnd := 0.0, 0.0
	for k, u := range t.Units {
		words := strings.Fields(u.Text)
		if len(words) == 0 {
			continue
		}
		start, end := prevStart, prevStart
		if timed {
			if u.Start != nil {
				start = max(*u.Start, prevStart, 0)
			}
			end = start
			if u.End != nil && *u.End > start {
				end = *u.End
			}
			if dur > 0 {
				start, end = min(start, dur), min(end, dur)
			}
		}
		if len(c.words) > 0 {
			switch {
			case u.Speaker != c.speaker:
				c.flush()
			case timed && !punctuated && start-prevEnd >= pauseSplit:
				c.flush()
			case timed && end-c.start > maxUnitSeconds:
				c.flush()
			case timed && punctuated && start-prevEnd >= 3*pauseSplit && len(c.words) >= 8:
				c.flush()
			}
		}
		if isNonSpeech(u.Text) {
			// A tag such as [Music] is a unit of its own.
			c.flush()
			c.begin(k, start, u.Speaker)
			c.words = append(c.words, words...)
			c.end = max(end, c.end)
			c.flush()
			prevStart, prevEnd = start, max(end, prevEnd)
			continue
		}
		for i, w := range words {
			if len(c.words) == 0 {
				c.begin(k, start, u.Speaker)
			}
			c.words = append(c.words, w)
			c.end = max(end, c.end)
			switch {
			case punctuated && endsSentence(w, words, i):
				c.flush()
			case len(c.words) >= maxUnitWords:
				c.flush()
			}
		}
		prevStart, prevEnd = start, max(end, prevEnd)
	}
	c.flush()
	return c.units, c.from
}

// cutter accumulates words into the unit being built.
type cutter struct {
	timed      bool
	dur        float64
	words      []string
	speaker    string
	start, end float64
	first      int // source unit of the first word
	units      []recap.Unit
	from       []int
}

func (c *cutter) begin(k int, start float64, speaker string) {
	c.first, c.start, c.end, c.speaker = k, start, start, speaker
}

func (c *cutter) flush() {
	if len(c.words) == 0 {
		return
	}
	u := recap.Unit{I: len(c.units), Text: strings.Join(dropFillers(c.words), " "), Speaker: c.speaker}
	if c.timed {
		u.Start, u.End = recap.Secs(c.start), recap.Secs(max(c.end, c.start))
	}
	c.units = append(c.units, u)
	c.from = append(c.from, c.first)
	c.words = c.words[:0]
}

// isPunctuated reports whether the text has enough sentence ends to be
// cut at them rather than at pauses.
func isPunctuated(units []recap.Unit) bool {
	words, ends := 0, 0
	for _, u := range units {
		fields := strings.Fields(u.Text)
		words += len(fields)
		for i, w := range fields {
			if endsSentence(w, fields, i) {
				ends++
			}
		}
	}
	return words > 0 && float64(ends) >= punctuatedRatio*float64(words)
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
