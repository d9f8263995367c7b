package transcript

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/recap-startos/recap/pkg/recap"
	"gopkg.in/yaml.v3"
)

// parseText reads a plain-text or Markdown transcript. Untimed text is
// split into paragraphs and sentences. Text with timestamps at line starts
// keeps them: "Speaker Name: 00:12:34" lines over a paragraph (the form
// of many human-reviewed podcast transcripts), "[00:12] text",
// "(12:34) text", "00:12:34 text", and a time alone on its line before
// the text (as copied from YouTube's transcript panel). Each sentence is
// a unit; the first sentence after a timestamp takes its time and the
// rest share it when the transcript is normalized. Markdown headings in a
// timed transcript become chapters at the next timestamp. YAML front
// matter is read as the source's metadata (see frontMatter) and skipped.
func parseText(text string) (*recap.Transcript, error) {
	t := &recap.Transcript{}
	ls := lines(text)
	ls = frontMatter(ls, &t.Source)
	stamps := 0
	for i, line := range ls {
		ls[i] = unmarkdown(line)
		if _, _, _, ok := lineStamp(ls[i]); ok {
			stamps++
		}
	}
	r := &textReader{t: t, labels: textLabels(ls), timed: stamps >= 2}
	for _, line := range ls {
		r.line(strings.TrimSpace(line))
	}
	r.flush()
	return t, nil
}

// textReader is parseText's state between lines.
type textReader struct {
	t       *recap.Transcript
	labels  map[string]bool // the speaker labels the text uses
	timed   bool            // the text has timestamps
	para    strings.Builder
	pending *float64 // a timestamp not yet given to a sentence
	speaker string
	chapter string // a heading waiting for the next timestamp
}

// flush turns the paragraph read so far into units, one per sentence.
func (r *textReader) flush() {
	s := recap.CollapseSpace(cleanText(r.para.String()))
	r.para.Reset()
	if s == "" {
		return
	}
	for _, sentence := range splitSentences(s) {
		r.t.Units = append(r.t.Units, recap.Unit{Text: sentence, Speaker: r.speaker, Start: r.pending})
		r.pending = nil
	}
}

// line reads one trimmed line: a blank ends a paragraph, a heading is a
// title or chapter, and a timestamp or a speaker label before the text
// starts a new paragraph.
func (r *textReader) line(trimmed string) {
	if trimmed == "" {
		r.flush()
		return
	}
	if level, title, ok := cutHeading(trimmed); ok {
		r.heading(level, title)
		return
	}
	if r.timed {
		trimmed = r.stamp(trimmed)
	}
	if name, rest, ok := cutLabel(trimmed); ok && r.labels[name] {
		r.flush()
		r.speaker = name
		trimmed = rest
	}
	r.para.WriteString(trimmed)
	r.para.WriteByte(' ')
}

// heading makes the first level-1 heading the title; in timed text the
// others become chapters at the next timestamp, and untimed text keeps
// them as text of their own.
func (r *textReader) heading(level int, title string) {
	r.flush()
	switch {
	case level == 1 && r.t.Source.Title == "":
		r.t.Source.Title = title
	case r.timed:
		r.chapter = title
	default:
		r.para.WriteString(title)
		r.flush()
	}
}

// stamp takes the timestamp (and the speaker after it) off the start of
// a line, if it has one, and returns the rest.
func (r *textReader) stamp(trimmed string) string {
	at, who, rest, ok := lineStamp(trimmed)
	if !ok {
		return trimmed
	}
	r.flush()
	r.pending = recap.Secs(at)
	if who != "" {
		r.speaker = who
	}
	if r.chapter != "" {
		r.t.Chapters = append(r.t.Chapters, recap.Chapter{Title: r.chapter, Start: at})
		r.chapter = ""
	}
	return rest
}

// frontMatter returns ls without a leading YAML front matter block
// ("---" lines around it) and stores what it says of the source in src:
// title, date (as the upload date), speakers (as the channel, "Ann Lee,
// Bo Chen"), and media: a YouTube link gives the video's id and address,
// so the recap's timestamps open the video, and any other web address
// is kept as the media address. Front matter that is not valid YAML
// still gives its title: line.
func frontMatter(ls []string, src *recap.Source) []string {
	if len(ls) == 0 || strings.TrimSpace(ls[0]) != "---" {
		return ls
	}
	for i := 1; i < len(ls) && i < 500; i++ {
		line := strings.TrimRight(ls[i], " \t")
		if line == "---" || line == "..." {
			readFrontMatter(ls[1:i], src)
			return ls[i+1:]
		}
	}
	return ls
}

// readFrontMatter stores what the lines of a front matter block say of
// the source in src (see frontMatter).
func readFrontMatter(block []string, src *recap.Source) {
	var meta struct {
		Title    string `yaml:"title"`
		Date     string `yaml:"date"`
		Media    string `yaml:"media"`
		Speakers any    `yaml:"speakers"`
	}
	if err := yaml.Unmarshal([]byte(strings.Join(block, "\n")), &meta); err != nil {
		meta.Title = ""
		for _, l := range block {
			if v, ok := strings.CutPrefix(l, "title:"); ok {
				meta.Title = yamlScalar(v)
			}
		}
		src.Title = metaValue(meta.Title)
		return
	}
	src.Title = metaValue(meta.Title)
	if d, ok := frontDate(meta.Date); ok {
		src.UploadDate = d
	}
	src.Channel = speakerList(meta.Speakers)
	frontMedia(strings.TrimSpace(meta.Media), src)
}

// frontMedia stores front matter's media address: a YouTube link as the
// video's id and address, any other web address as the media address.
func frontMedia(media string, src *recap.Source) {
	if media == "" {
		return
	}
	if id, _, err := ParseYouTubeURL(media); err == nil {
		src.VideoID = id
		src.URL = "https://www.youtube.com/watch?v=" + id
		return
	}
	if u, err := url.Parse(media); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
		src.MediaURL = u.String()
	}
}

// frontDate reads a front matter date ("2022-04-24", or a timestamp that
// starts with one) as YYYY-MM-DD.
func frontDate(v string) (string, bool) {
	v = strings.TrimSpace(v)
	if len(v) < 10 {
		return "", false
	}
	if _, err := time.Parse("2006-01-02", v[:10]); err != nil {
		return "", false
	}
	return v[:10], true
}

// speakerList joins the speakers of front matter (a list or one string)
// for display: at most three names, then "and others".
func speakerList(v any) string {
	var names []string
	switch s := v.(type) {
	case string:
		names = append(names, s)
	case []any:
		for _, n := range s {
			if name, ok := n.(string); ok {
				names = append(names, name)
			}
		}
	}
	var out []string
	for _, n := range names {
		if n = metaValue(n); n != "" {
			out = append(out, n)
		}
	}
	if len(out) > 3 {
		return strings.Join(out[:3], ", ") + " and others"
	}
	return strings.Join(out, ", ")
}

// metaValue is a front matter value fit for one line of a page: white
// space collapsed, at most 300 bytes.
func metaValue(s string) string {
	s = oneLine(s)
	if len(s) > 300 {
		s = strings.ToValidUTF8(s[:300], "")
	}
	return s
}

// yamlScalar reads a one-line YAML scalar: plain, 'single' or "double"
// quoted.
func yamlScalar(v string) string {
	v = strings.TrimSpace(v)
	switch {
	case len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'':
		return strings.ReplaceAll(v[1:len(v)-1], "''", "'")
	case len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"':
		if s, err := strconv.Unquote(v); err == nil {
			return s
		}
		return v[1 : len(v)-1]
	}
	if i := strings.Index(v, " #"); i >= 0 {
		v = strings.TrimSpace(v[:i])
	}
	return v
}

// cutHeading recognises a Markdown ATX heading ("## Title").
func cutHeading(line string) (level int, title string, ok bool) {
	for level < len(line) && line[level] == '#' {
		level++
	}
	if level == 0 || level > 6 || level == len(line) || line[level] != ' ' && line[level] != '\t' {
		return 0, "", false
	}
	title = strings.TrimSpace(strings.TrimRight(strings.TrimSpace(line[level:]), "#"))
	return level, title, title != ""
}

// lineStamp recognises a timestamp at the start of a line, or just after
// a speaker label ("Ann Lee: [08:31] text").
func lineStamp(line string) (at float64, speaker, rest string, ok bool) {
	if at, speaker, rest, ok = cutStamp(line); ok {
		return at, speaker, rest, ok
	}
	if name, after, found := cutLabel(strings.TrimSpace(line)); found {
		if at, _, rest, ok = cutStamp(after); ok {
			return at, name, rest, true
		}
	}
	return 0, "", "", false
}

// unmarkdown undoes the Markdown that transcripts put around their
// structure and words: links ("[the proposal](https://…)" reads "the
// proposal"; images go), emphasis and code ("**really**", "_who_",
// "`submitpackage`" read without their marks), escaped brackets
// ("\[08:31\]") and bold speaker labels ("**Ann Lee:**" or
// "**Ann Lee**:").
func unmarkdown(line string) string {
	line = LinkText(line)
	if strings.ContainsAny(line, "*_`") {
		line = plainInline(line)
	}
	if strings.Contains(line, "\\") {
		line = strings.NewReplacer("\\[", "[", "\\]", "]", "\\*", "*", "\\_", "_").Replace(line)
	}
	rest, ok := strings.CutPrefix(strings.TrimSpace(line), "**")
	if !ok {
		return line
	}
	for _, closer := range []string{":**", "**:"} {
		if i := strings.Index(rest, closer); i > 0 && i <= 60 {
			return rest[:i] + ":" + rest[i+len(closer):]
		}
	}
	return line
}

// LinkText replaces each inline Markdown link of s by its text
// ("[the proposal](https://…)" reads "the proposal") and drops images.
func LinkText(s string) string {
	if !strings.Contains(s, "](") {
		return s
	}
	return markdownLink.ReplaceAllString(s, "$1")
}

// plainInline removes the marks of inline code, strong text and
// emphasis, keeping their text. Emphasis marks count only around a word
// or words (an underscore inside snake_case, or "2 * 3 * 4", stays).
func plainInline(s string) string {
	s = inlineCode.ReplaceAllString(s, "$1")
	s = strongText.ReplaceAllString(s, "$1$2")
	for range 3 { // a boundary one match used cannot start the next
		t := emphasis.ReplaceAllString(s, "$1$2$3$4$5$6")
		if t == s {
			break
		}
		s = t
	}
	return s
}

var (
	inlineCode = regexp.MustCompile("`([^`]+)`")
	strongText = regexp.MustCompile(`\*\*([^*\s](?:[^*]*[^*\s])?)\*\*|__([^_\s](?:[^_]*[^_\s])?)__`)
	emphasis   = regexp.MustCompile(`(^|[\s(“"])\*([^*\s](?:[^*]*[^*\s])?)\*($|[\s.,;:!?)”"'’])|(^|[\s(“"])_([^_\s](?:[^_]*[^_\s])?)_($|[\s.,;:!?)”"'’])`)
)

// markdownLink matches an inline Markdown link or image, keeping a
// link's text ($1) and an image's nothing; the address may hold one
// level of parentheses, as Wikipedia's do.
var markdownLink = regexp.MustCompile(`!\[[^\[\]]*\]\([^()\s]*(?:\([^()\s]*\)[^()\s]*)*\)|\[([^\[\]]+)\]\([^()\s]*(?:\([^()\s]*\)[^()\s]*)*\)`)

// cutStamp recognises a timestamp at the start of a transcript line and
// returns the time, a speaker named with it, and the text after it. The
// forms are "Speaker Name: 00:12:34" (alone on the line), "[00:12] text",
// "(12:34) text", "00:12:34 text" and "00:12" alone.
func cutStamp(line string) (at float64, speaker, rest string, ok bool) {
	line = strings.TrimSpace(line)
	if line == "" {
		return 0, "", "", false
	}
	switch line[0] {
	case '[', '(':
		closer := "]"
		if line[0] == '(' {
			closer = ")"
		}
		j := strings.Index(line, closer)
		if j < 0 {
			return 0, "", "", false
		}
		if at, ok = parseClock(strings.TrimSpace(line[1:j])); !ok {
			return 0, "", "", false
		}
		rest = strings.TrimLeft(line[j+1:], " \t-–—:")
		return at, "", rest, true
	}
	if c := line[0]; c >= '0' && c <= '9' {
		field, after, _ := strings.Cut(line, " ")
		if at, ok = parseClock(strings.TrimSuffix(field, ":")); ok && strings.Count(field, ":") >= 1 {
			return at, "", strings.TrimLeft(after, " \t-–—:"), true
		}
	}
	// "Speaker Name: 00:12:34", possibly with Markdown emphasis.
	i := strings.LastIndex(line, ": ")
	if i <= 0 {
		return 0, "", "", false
	}
	clock := strings.TrimSpace(strings.Trim(line[i+1:], "*_ "))
	if at, ok = parseClock(clock); !ok {
		return 0, "", "", false
	}
	name := strings.TrimSpace(strings.Trim(strings.TrimSpace(line[:i]), "*_"))
	if name == "" || utf8.RuneCountInString(name) > 60 || !unicode.IsLetter([]rune(name)[0]) {
		return 0, "", "", false
	}
	return at, name, "", true
}

// textLabels finds the "Name:" speaker labels of a text transcript: a
// label counts when at least two lines open with it.
func textLabels(ls []string) map[string]bool {
	counts := map[string]int{}
	for _, line := range ls {
		if name, rest, ok := cutLabel(strings.TrimSpace(line)); ok && rest != "" {
			counts[name]++
		}
	}
	known := map[string]bool{}
	for name, n := range counts {
		if n >= 2 {
			known[name] = true
		}
	}
	return known
}

// abbreviations end with a full stop that does not end a sentence. They
// are compared in lower case without the stop; single letters (initials)
// and dotted forms such as "e.g." and "U.S." are recognised separately.
var abbreviations = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "dr": true, "prof": true, "sr": true, "jr": true,
	"st": true, "vs": true, "inc": true, "ltd": true, "co": true, "corp": true, "mt": true,
	"no": true, "nos": true, "fig": true, "figs": true, "approx": true, "gen": true, "col": true,
	"sgt": true, "lt": true, "capt": true, "rev": true, "hon": true, "cf": true, "al": true,
	"ca": true, "dept": true, "est": true, "govt": true, "ave": true, "blvd": true, "vol": true,
	"pp": true, "ed": true, "eds": true, "jan": true, "feb": true, "aug": true, "sept": true,
	"oct": true, "nov": true, "dec": true, "gov": true, "sen": true, "rep": true, "pres": true,
}

// splitSentences splits text with collapsed white space into sentences.
// A sentence ends at ".", "?", "!" or "…" (closing quotes and brackets
// may follow) before a space and a word that does not start in lower
// case. A full stop after an abbreviation, an initial or a dotted
// abbreviation ("e.g.", "U.S.") ends nothing; decimals and ellipses
// inside a sentence never have a space after the stop, or are followed
// by lower case.
func splitSentences(s string) []string {
	var out []string
	start, word := 0, 0 // where the sentence and the current word begin
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' || i+1 >= len(s) {
			continue
		}
		prev := s[word:i]
		word = i + 1
		next, _ := utf8.DecodeRuneInString(s[i+1:])
		if unicode.IsLower(next) || !endsSentence(prev) || isAbbreviation(prev) {
			continue
		}
		out = append(out, s[start:i])
		start = i + 1
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// isAbbreviation reports whether word (ending in a full stop) is an
// abbreviation rather than a sentence end.
func isAbbreviation(word string) bool {
	word = strings.TrimRight(word, `"'”’)]»`)
	w, ok := strings.CutSuffix(word, ".")
	if !ok || strings.HasSuffix(w, ".") {
		return false // "?", "!" or an ellipsis
	}
	w = strings.TrimLeft(w, `"'“‘([«`)
	if utf8.RuneCountInString(w) == 1 {
		r, _ := utf8.DecodeRuneInString(w)
		return unicode.IsUpper(r)
	}
	if strings.Contains(w, ".") {
		for _, part := range strings.Split(w, ".") {
			if n := utf8.RuneCountInString(part); n == 0 || n > 2 {
				return false
			}
		}
		return true
	}
	return abbreviations[strings.ToLower(w)]
}
