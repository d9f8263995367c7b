package transcript

import (
	"strings"
	"unicode"

	"github.com/recap-startos/recap/pkg/recap"
)

// This file reads WebVTT and holds what WebVTT and SRT share: cue
// timings, cue text markup, and the assembly of cues into units.
//
// The WebVTT reader is lenient where files in the wild are sloppy
// (hour-less or short times, blank lines holding a space, cue text running
// into the next timing line, metadata headers such as YouTube's "Kind:"
// and "Style:") and strict where a wrong answer would be worse than an
// error: a timing line that does not parse fails the whole file with its
// line number.

// cue is one timed block of a subtitle file, its text lines still raw.
type cue struct {
	start, end float64 // seconds
	text       []string
}

// parseVTT reads a WebVTT document.
func parseVTT(text string) (*recap.Transcript, error) {
	r := &vttReader{ls: lines(text)}
	for r.i < len(r.ls) && strings.TrimSpace(r.ls[r.i]) == "" {
		r.i++
	}
	head := strings.TrimPrefix(r.ls[r.i], "\uFEFF")
	if !isVTTSignature(head) {
		return nil, badLine(r.i+1, "missing the WEBVTT header; found", head)
	}
	t := &recap.Transcript{}
	t.Source.Language = r.header()
	var cues []cue
	for r.i < len(r.ls) {
		line := r.ls[r.i]
		if strings.TrimSpace(line) == "" {
			r.i++
			continue
		}
		if !strings.Contains(line, "-->") && !r.cueID() {
			continue
		}
		c, err := r.cue()
		if err != nil {
			return nil, err
		}
		cues = append(cues, c)
	}
	t.Units = assembleCues(cues, r.rolling, true)
	return t, nil
}

// vttReader is parseVTT's place in the file's lines.
type vttReader struct {
	ls      []string
	i       int  // the line being read
	rolling bool // the cues roll up (YouTube's automatic captions)
}

// header reads the header lines after the signature, which run to the
// first empty line, and returns the language they name, if any. YouTube
// puts metadata here ("Kind: captions", "Language: en", a "Style:"
// block).
func (r *vttReader) header() (lang string) {
	for r.i++; r.i < len(r.ls) && r.ls[r.i] != "" && !strings.Contains(r.ls[r.i], "-->"); r.i++ {
		if k, v, ok := strings.Cut(r.ls[r.i], ":"); ok && strings.EqualFold(strings.TrimSpace(k), "language") {
			lang = strings.TrimSpace(v)
		}
	}
	return lang
}

// cueID steps over a cue identifier line and reports true. Any other
// line that is not a timing opens a block that is skipped to the next
// blank line (NOTE, STYLE and REGION blocks, old "Region:" header lines
// and stray text), and cueID reports false.
func (r *vttReader) cueID() bool {
	line := r.ls[r.i]
	if isVTTBlock(line) || r.i+1 >= len(r.ls) || !strings.Contains(r.ls[r.i+1], "-->") {
		for r.i < len(r.ls) && strings.TrimSpace(r.ls[r.i]) != "" {
			r.i++
		}
		return false
	}
	r.i++
	return true
}

// cue reads a timing line and the text lines after it.
func (r *vttReader) cue() (cue, error) {
	line := r.ls[r.i]
	start, end, settings, ok := parseTiming(line)
	if !ok {
		return cue{}, badLine(r.i+1, "bad timing", line)
	}
	if strings.Contains(settings, "position:0%") && strings.Contains(settings, "align:start") {
		r.rolling = true // the signature of YouTube's automatic captions
	}
	c := cue{start: start, end: end}
	for r.i++; r.i < len(r.ls) && r.ls[r.i] != "" && !strings.Contains(r.ls[r.i], "-->"); r.i++ {
		if strings.TrimSpace(r.ls[r.i]) == "" {
			if len(c.text) > 0 {
				break
			}
			continue // YouTube opens a cue with a line holding one space
		}
		if !r.rolling && hasInlineTime(r.ls[r.i]) {
			r.rolling = true
		}
		c.text = append(c.text, r.ls[r.i])
	}
	return c, nil
}

// isVTTSignature reports whether line is a valid WebVTT first line:
// "WEBVTT" alone or followed by a space or tab and anything.
func isVTTSignature(line string) bool {
	rest, ok := strings.CutPrefix(line, "WEBVTT")
	return ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t')
}

// isVTTBlock reports whether line opens a WebVTT block that is not a cue.
func isVTTBlock(line string) bool {
	for _, kw := range []string{"NOTE", "STYLE", "REGION"} {
		if rest, ok := strings.CutPrefix(line, kw); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t') {
			return true
		}
	}
	return false
}

// hasInlineTime reports whether a cue text line holds a karaoke-style
// timestamp tag such as <00:05:04.199>.
func hasInlineTime(line string) bool {
	for {
		i := strings.IndexByte(line, '<')
		if i < 0 || i+1 >= len(line) {
			return false
		}
		if c := line[i+1]; c >= '0' && c <= '9' {
			return true
		}
		line = line[i+1:]
	}
}

// parseTiming reads a cue timing line, "start --> end" followed by
// optional settings. Both "." and "," may separate the milliseconds.
func parseTiming(line string) (start, end float64, settings string, ok bool) {
	left, right, found := strings.Cut(line, "-->")
	if !found {
		return 0, 0, "", false
	}
	right = strings.TrimLeft(right, " \t")
	endField, settings, _ := strings.Cut(right, " ")
	if j := strings.IndexByte(endField, '\t'); j >= 0 {
		endField, settings = endField[:j], endField[j+1:]
	}
	start, ok1 := parseClock(strings.TrimSpace(left))
	end, ok2 := parseClock(endField)
	return start, end, settings, ok1 && ok2
}

// parseClock reads a subtitle timestamp: [h:]m:s with an optional
// fraction after "." or ",". Fields may be one digit or more ("0:0:0.570"
// as MS Teams writes); minutes and seconds must be under 60 when a larger
// field is present. The result is in seconds.
func parseClock(s string) (float64, bool) {
	if s == "" {
		return 0, false
	}
	whole, frac := s, ""
	if j := strings.LastIndexAny(s, ".,"); j >= 0 {
		whole, frac = s[:j], s[j+1:]
		if frac == "" {
			return 0, false
		}
	}
	parts := strings.Split(whole, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, false
	}
	total := 0.0
	for k, p := range parts {
		n, ok := digits(p)
		if !ok {
			return 0, false
		}
		if k > 0 && n >= 60 {
			return 0, false
		}
		total = total*60 + float64(n)
	}
	if frac != "" {
		n, ok := digits(frac)
		if !ok || len(frac) > 9 {
			return 0, false
		}
		scale := 1.0
		for range len(frac) {
			scale *= 10
		}
		total += float64(n) / scale
	}
	return total, true
}

// digits parses a non-empty run of ASCII digits of reasonable length.
func digits(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// cueLine is one line of cue text with its markup removed.
type cueLine struct {
	speaker string // from a <v Name> span or a "Name:" label; "" if none
	text    string
}

// assembleCues turns cues into units: markup stripped, entities decoded,
// one unit per cue and speaker. rolling collapses the lines YouTube's
// automatic captions repeat from the previous cue; labels reads "Name:"
// speaker labels at line starts (SRT's way of naming speakers). Cues of
// zero length are dropped when they repeat the previous text and merged
// into the previous unit otherwise, and a cue that repeats the unit
// just before it only extends that unit.
func assembleCues(cues []cue, rolling, labels bool) []recap.Unit {
	var known map[string]bool
	if labels {
		known = speakerLabels(cues)
	}
	units := make([]recap.Unit, 0, len(cues))
	var prevLines []string // cleaned lines of the previous cue
	speaker := ""          // carried from cue to cue: labels mark changes only
	for _, c := range cues {
		cls := cleanCue(c.text, &speaker, known)
		if rolling {
			texts := make([]string, len(cls))
			for k, cl := range cls {
				texts[k] = cl.text
			}
			skip := overlap(prevLines, texts)
			prevLines = texts
			cls = cls[skip:]
		}
		for _, g := range groupBySpeaker(cls) {
			units = addCueUnit(units, c.start, c.end, g)
		}
	}
	return units
}

// addCueUnit appends one cue's text (of one speaker) to units, or folds
// it into the last unit when it is a repeat or has no length of its own.
func addCueUnit(units []recap.Unit, start, end float64, g cueLine) []recap.Unit {
	if n := len(units); n > 0 {
		prev := &units[n-1]
		prevEnd := *prev.End
		sameSpeaker := prev.Speaker == g.speaker
		switch {
		case sameSpeaker && g.text == prev.Text && start-prevEnd < 0.05:
			*prev.End = max(prevEnd, end)
			return units
		case end <= start && (strings.HasSuffix(prev.Text, g.text)):
			return units
		case end <= start && sameSpeaker:
			prev.Text += " " + g.text
			*prev.End = max(prevEnd, end)
			return units
		}
	}
	return append(units, recap.Unit{Start: recap.Secs(start), End: recap.Secs(max(start, end)), Text: g.text, Speaker: g.speaker})
}

// overlap returns how many leading lines of cur repeat the trailing lines
// of prev: YouTube's automatic captions scroll, so each cue starts with
// the line the previous cue ended with.
func overlap(prev, cur []string) int {
	for k := min(len(prev), len(cur)); k > 0; k-- {
		match := true
		for j := range k {
			if prev[len(prev)-k+j] != cur[j] {
				match = false
				break
			}
		}
		if match {
			return k
		}
	}
	return 0
}

// groupBySpeaker joins consecutive lines into one text per speaker turn.
// A line without a speaker of its own stays with the line before it.
func groupBySpeaker(cls []cueLine) []cueLine {
	var out []cueLine
	for _, cl := range cls {
		if n := len(out); n > 0 && (cl.speaker == out[n-1].speaker || cl.speaker == "") {
			out[n-1].text += " " + cl.text
			continue
		}
		out = append(out, cl)
	}
	return out
}

// cleanCue strips the markup from the raw lines of one cue. speaker is
// the voice in effect, updated by <v> spans and known "Name:" labels.
// Lines left empty are dropped.
func cleanCue(raw []string, speaker *string, labels map[string]bool) []cueLine {
	out := make([]cueLine, 0, len(raw))
	for _, line := range raw {
		text := stripTags(line, speaker)
		text = recap.CollapseSpace(cleanText(dropSoundTags(text)))
		if labels != nil {
			if name, rest, ok := cutLabel(text); ok && labels[name] {
				*speaker = name
				text = rest
			}
		}
		if text == "" {
			continue
		}
		out = append(out, cueLine{speaker: *speaker, text: text})
	}
	return out
}

// stripTags removes WebVTT and SRT markup from one line of cue text:
// <c>, <i>, <b>, <u>, <lang>, <ruby>/<rt>, <font …> and inline
// timestamps. A <v Name> span sets *voice. A "<" that does not open a tag
// on this line is kept as text; so are ASS-style "{\an8}" overrides,
// minus the braces' content.
func stripTags(line string, voice *string) string {
	if strings.IndexByte(line, '<') < 0 && !strings.Contains(line, "{\\") {
		return line
	}
	var b strings.Builder
	for i := 0; i < len(line); {
		c := line[i]
		if c == '{' && i+1 < len(line) && line[i+1] == '\\' {
			if j := strings.IndexByte(line[i:], '}'); j > 0 {
				i += j + 1
				continue
			}
		}
		if c != '<' {
			b.WriteByte(c)
			i++
			continue
		}
		j := strings.IndexByte(line[i:], '>')
		if j < 0 || !isTag(line[i+1:i+j]) {
			b.WriteByte(c)
			i++
			continue
		}
		tag := line[i+1 : i+j]
		if name, ok := voiceName(tag); ok {
			*voice = name
		}
		// Tags sit inside words as often as between them ("don<i>'t</i>"),
		// so removing one adds no space; the source's own spaces remain.
		i += j + 1
	}
	return b.String()
}

// isTag reports whether the text between "<" and ">" is markup.
func isTag(s string) bool {
	if s == "" {
		return false
	}
	c := s[0]
	switch {
	case c == '/':
		return len(s) == 1 || unicode.IsLetter(rune(s[1]))
	case c >= '0' && c <= '9', c == ' ':
		// An inline timestamp, spaces around it tolerated.
		t := strings.TrimSpace(s)
		return t != "" && t[0] >= '0' && t[0] <= '9' && strings.Trim(t, "0123456789:.") == ""
	}
	return unicode.IsLetter(rune(c))
}

// voiceName returns the name of a voice start tag ("v Roger Bingham",
// "v.loud Esme"), if tag is one.
func voiceName(tag string) (string, bool) {
	if tag == "" || tag[0] != 'v' || len(tag) > 1 && tag[1] != ' ' && tag[1] != '\t' && tag[1] != '.' {
		return "", false
	}
	_, name, ok := strings.Cut(strings.Replace(tag, "\t", " ", -1), " ")
	if !ok {
		return "", true
	}
	return recap.CollapseSpace(cleanText(name)), true
}

// dropSoundTags removes short bracketed sound descriptions such as
// "[Music]" or "[dog barking]": they are not speech.
func dropSoundTags(s string) string {
	for {
		i := strings.IndexByte(s, '[')
		if i < 0 {
			return s
		}
		j := strings.IndexByte(s[i:], ']')
		if j < 0 {
			return s
		}
		inner := s[i+1 : i+j]
		if recap.CountWords(inner) > 4 || strings.ContainsAny(inner, "[") {
			// Not a sound tag; keep it and look after it.
			return s[:i+j+1] + dropSoundTags(s[i+j+1:])
		}
		s = s[:i] + " " + s[i+j+1:]
	}
}
