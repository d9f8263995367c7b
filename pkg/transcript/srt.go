package transcript

import (
	"strings"
	"unicode"

	"github.com/recap-startos/recap/pkg/recap"
)

// parseSRT reads a SubRip document, or a WebVTT document that lost its
// header. Cues are found by their timing lines rather than by their
// sequence numbers, which are often missing, duplicated or wrong; a cue's
// text runs to the next timing line, so blank lines inside a cue do no
// harm, and a number just before a timing line is taken as that cue's
// sequence number. A timing line that does not parse is an error.
func parseSRT(text string) (*recap.Transcript, error) {
	ls := lines(text)
	var timings []int // indexes of timing lines
	for i, line := range ls {
		if strings.Contains(line, "-->") {
			timings = append(timings, i)
		}
	}
	cues := make([]cue, 0, len(timings))
	for k, ti := range timings {
		start, end, _, ok := parseTiming(ls[ti])
		if !ok {
			return nil, badLine(ti+1, "bad timing", ls[ti])
		}
		next := len(ls)
		if k+1 < len(timings) {
			next = timings[k+1]
		}
		body := ls[ti+1 : next]
		if next < len(ls) && len(body) > 0 && isSequenceNumber(body[len(body)-1]) {
			body = body[:len(body)-1]
		}
		for len(body) > 0 && strings.TrimSpace(body[len(body)-1]) == "" {
			body = body[:len(body)-1]
		}
		cues = append(cues, cue{start: start, end: end, text: body})
	}
	if len(cues) == 0 {
		return nil, &lineError{line: 1, msg: "no subtitle cues found"}
	}
	return &recap.Transcript{Units: assembleCues(cues, false, true)}, nil
}

// isSequenceNumber reports whether line is an SRT cue number.
func isSequenceNumber(line string) bool {
	_, ok := digits(strings.TrimSpace(line))
	return ok
}

// speakerLabels finds the "Name:" labels that name speakers in a
// subtitle file: a label counts when it opens a line at least twice, or
// when it is written in capitals ("MAN:"). Other words before a colon
// ("Note: …") are left in the text.
func speakerLabels(cues []cue) map[string]bool {
	counts := map[string]int{}
	var voice string
	for _, c := range cues {
		for _, line := range c.text {
			text := recap.CollapseSpace(cleanText(stripTags(line, &voice)))
			if name, _, ok := cutLabel(text); ok {
				counts[name]++
			}
		}
	}
	known := map[string]bool{}
	for name, n := range counts {
		if n >= 2 || isCapitals(name) {
			known[name] = true
		}
	}
	return known
}

// cutLabel splits a speaker label such as "Travis:" or "Dr. Jane Doe:"
// from the start of a line. A label is one to three capitalised words
// followed by a colon and a space or the end of the line.
func cutLabel(text string) (name, rest string, ok bool) {
	i := strings.IndexByte(text, ':')
	if i <= 0 || i > 40 || i+1 < len(text) && text[i+1] != ' ' {
		return "", text, false
	}
	name = text[:i]
	words := strings.Fields(name)
	if len(words) == 0 || len(words) > 3 || len(strings.Join(words, " ")) != len(name) {
		return "", text, false
	}
	for _, w := range words {
		for k, r := range w {
			switch {
			case k == 0 && !unicode.IsUpper(r):
				return "", text, false
			case !unicode.IsLetter(r) && !strings.ContainsRune("'’.-", r):
				return "", text, false
			}
		}
	}
	return name, strings.TrimSpace(text[i+1:]), true
}

// isCapitals reports whether s has two or more letters and no lower-case
// ones.
func isCapitals(s string) bool {
	letters := 0
	for _, r := range s {
		if unicode.IsLower(r) {
			return false
		}
		if unicode.IsLetter(r) {
			letters++
		}
	}
	return letters >= 2
}
