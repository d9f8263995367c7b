package transcript

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/recap-startos/recap/pkg/recap"
)

// MinWords is the fewest words a transcript file or pasted text must
// have to be recapped: two or three sentences, about twelve seconds of
// speech. A recap's summary alone is that long, so shorter text has
// nothing to condense and gives a "recap" of a word or two.
const MinWords = 30

// accepted ends every message that refuses the content of a file or of
// pasted text.
var accepted = fmt.Sprintf("Recap accepts WebVTT or SRT subtitles, Podcasting 2.0 JSON, HTML or plain-text transcripts (at least %d words), and podcast RSS or Atom feeds", MinWords)

// refuse builds the bad-input error for content that is not a transcript:
// what was received (name is the file name, "-" for stdin or "pasted
// text"), then what is accepted.
func refuse(name, received string) *Error {
	return errorf(KindBadInput, nil, "%s %s, not a transcript; %s", subject(name), received, accepted)
}

// subject names the input at the start of a message.
func subject(name string) string {
	switch name {
	case "", "-":
		return "The input"
	case "pasted text":
		return "The pasted text"
	}
	return name
}

// magic maps the first bytes of common binary formats to what they are.
var magic = []struct {
	prefix string
	what   string
}{
	{"\x89PNG\r\n\x1a\n", "is a PNG image"},
	{"\xff\xd8\xff", "is a JPEG image"},
	{"GIF87a", "is a GIF image"},
	{"GIF89a", "is a GIF image"},
	{"%PDF-", "is a PDF document"},
	{"PK\x03\x04", "is a zip archive (or a document stored as one: docx, odt, epub)"},
	{"\x1f\x8b", "is gzip-compressed data"},
	{"7z\xbc\xaf\x27\x1c", "is a 7-Zip archive"},
	{"Rar!\x1a\x07", "is a RAR archive"},
	{"\x7fELF", "is an executable program (ELF)"},
	{"\xcf\xfa\xed\xfe", "is an executable program (Mach-O)"},
	{"\xce\xfa\xed\xfe", "is an executable program (Mach-O)"},
	{"\xca\xfe\xba\xbe", "is an executable program or Java class"},
	{"\x00asm", "is a WebAssembly module"},
	{"SQLite format 3\x00", "is an SQLite database"},
	{"ID3", "is an MP3 audio file"},
	{"OggS", "is an Ogg audio or video file"},
	{"fLaC", "is a FLAC audio file"},
	{"\x1a\x45\xdf\xa3", "is a Matroska or WebM video"},
	{"wOFF", "is a web font"},
	{"wOF2", "is a web font"},
}

// sniffBinary says what data is when it is binary rather than text
// (images, PDFs, archives, executables, audio, video, anything with NUL
// bytes that is not UTF-16, or mostly bytes that are not text), or ""
// when it may be text.
func sniffBinary(data []byte) string {
	head := data[:min(len(data), 8192)]
	for _, m := range magic {
		if bytes.HasPrefix(head, []byte(m.prefix)) {
			return m.what
		}
	}
	if bytes.HasPrefix(head, []byte("MZ")) && bytes.IndexByte(head, 0) >= 0 {
		return "is an executable program (Windows)"
	}
	if len(head) >= 12 && string(head[4:8]) == "ftyp" {
		return "is an MP4 or QuickTime video or audio file"
	}
	if len(head) >= 12 && string(head[:4]) == "RIFF" {
		return "is a RIFF media file (WAV, AVI or WebP)"
	}
	if _, isUTF16 := looksUTF16(head); isUTF16 || utf16BOM(head) {
		return ""
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return describeSniffed(head, "is binary data (it contains NUL bytes)")
	}
	if n := nonText(head); n*10 > len(head)*3 {
		return describeSniffed(head, "is binary data (mostly bytes that are not text)")
	}
	return ""
}

// describeSniffed names binary head by the standard library's sniffer
// when it knows the type, else returns fallback.
func describeSniffed(head []byte, fallback string) string {
	switch ct := http.DetectContentType(head); {
	case strings.HasPrefix(ct, "image/"), strings.HasPrefix(ct, "audio/"), strings.HasPrefix(ct, "video/"), strings.HasPrefix(ct, "font/"):
		return "is binary data (" + ct + ")"
	}
	return fallback
}

// nonText counts the bytes of b that text does not have: control
// characters other than tab, line feed, form feed and carriage return,
// and bytes that are not part of valid UTF-8 when b is mostly UTF-8. A
// sequence cut off at the end of b does not count.
func nonText(b []byte) int {
	n := 0
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\f' && c != '\r' || c == 0x7f {
				n++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			if len(b)-i < utf8.UTFMax {
				break
			}
			// Windows-1252 text has high bytes too, but only a few of
			// them, between letters; count them, and let the threshold
			// tell text from noise.
			n++
		}
		i += size
	}
	return n
}

// refuseMarkup refuses decoded text that parses as plain text but is
// something else: a single line that is a link (valid or not), XML that
// is not a feed, a style sheet or source code.
func refuseMarkup(name, text string) error {
	trimmed := strings.TrimSpace(text)
	if !strings.ContainsAny(trimmed, " \t\n") && looksLikeLink(trimmed) {
		if err := CheckLink(trimmed); err != nil {
			return refuse(name, "is a single line that looks like a link but is not a valid one ("+err.(*Error).Message+")")
		}
		return refuse(name, "is only a link ("+clip(trimmed)+"); give the link itself as the source to fetch what it points to")
	}
	if what := markupKind(trimmed); what != "" {
		return refuse(name, what)
	}
	return nil
}

// looksLikeLink reports whether s (one word) is written like a web
// address: a scheme, a leading "www.", or a dotted host name followed by
// a path.
func looksLikeLink(s string) bool {
	if strings.Contains(s, "://") || strings.HasPrefix(strings.ToLower(s), "www.") {
		return true
	}
	host, rest, hasPath := strings.Cut(s, "/")
	if !hasPath || rest == "" || !strings.Contains(host, ".") {
		return false
	}
	for _, r := range host {
		if !(r == '.' || r == '-' || r == ':' || isASCIIAlnum(r)) {
			return false
		}
	}
	return true
}

// isASCIIAlnum reports whether r is an ASCII letter or digit.
func isASCIIAlnum(r rune) bool {
	return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}

// CheckLink reports whether raw is a web link Recap can fetch: http or
// https, with a host name whose dot-separated labels are not empty and
// hold only letters, digits and hyphens (or an IP address). The error is
// an *Error of KindBadInput saying what is wrong.
func CheckLink(raw string) error {
	scheme, _, ok := strings.Cut(raw, "://")
	if !ok {
		return errorf(KindBadInput, nil, "%s has no http:// or https:// at the start", clip(raw))
	}
	if s := strings.ToLower(scheme); s != "http" && s != "https" {
		return errorf(KindBadInput, nil, "%q is not http or https", scheme)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return errorf(KindBadInput, err, "%s has no host name", clip(raw))
	}
	if problem := hostProblem(u.Hostname()); problem != "" {
		return errorf(KindBadInput, nil, "the host name %q %s", u.Hostname(), problem)
	}
	return nil
}

// hostProblem says what is wrong with a host name, or returns "".
func hostProblem(host string) string {
	if strings.HasPrefix(host, "[") || strings.Count(host, ":") >= 2 {
		return "" // an IPv6 address; url.Parse checked its brackets
	}
	host = strings.TrimSuffix(host, ".")
	if host == "" {
		return "is empty"
	}
	for _, label := range strings.Split(host, ".") {
		if problem := labelProblem(label); problem != "" {
			return problem
		}
	}
	return ""
}

// labelProblem says what is wrong with one dot-separated part of a host
// name, or returns "". Letters beyond ASCII are left to IDNA.
func labelProblem(label string) string {
	switch {
	case label == "":
		return "has an empty part (two dots in a row, or a dot at the start)"
	case len(label) > 63:
		return "has a part longer than 63 characters"
	case strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-"):
		return "has a part that starts or ends with a hyphen"
	}
	for _, r := range label {
		if !(r == '-' || isASCIIAlnum(r) || r >= utf8.RuneSelf) {
			return fmt.Sprintf("has the character %q, which host names cannot have", r)
		}
	}
	return ""
}

// markupKind says what text is when it is a style sheet, source code or
// XML rather than prose, or returns "". It looks at up to 200 lines
// that are not blank: when at least half of them read as code, the text
// is code, and a style sheet when most of those are CSS rules.
func markupKind(text string) string {
	if strings.HasPrefix(text, "<?xml") || strings.HasPrefix(text, "<svg") {
		return "is XML (not a podcast feed)"
	}
	var seen, code, css int
	for _, line := range lines(text) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if seen++; seen > 200 {
			break
		}
		switch {
		case cssLine(line):
			css++
			code++
		case codeLine(line):
			code++
		}
	}
	if seen < 2 || code*2 < seen {
		return ""
	}
	if css*2 >= code {
		return "is a CSS style sheet"
	}
	return "looks like source code"
}

// cssLine reports whether line reads as part of a CSS rule: a selector
// opening a block, a rule on one line, "property: value;" declarations,
// or an at-rule.
func cssLine(line string) bool {
	for _, p := range []string{"@media", "@import", "@font-face", "@keyframes", "@supports", ":root"} {
		if strings.HasPrefix(line, p) {
			return true
		}
	}
	if strings.HasSuffix(line, "{") && !strings.ContainsAny(line, "();=") {
		return true
	}
	if open := strings.Index(line, "{"); open > 0 && strings.HasSuffix(line, "}") {
		line = strings.TrimSpace(line[open+1:])
	}
	decl := strings.TrimSpace(strings.TrimSuffix(line, "}"))
	if !strings.HasSuffix(decl, ";") {
		return false
	}
	name, value, ok := strings.Cut(decl, ":")
	if !ok || strings.TrimSpace(value) == "" {
		return false
	}
	for _, r := range name {
		if !(r == '-' || r >= 'a' && r <= 'z') {
			return false
		}
	}
	return name != ""
}

// codePrefixes open lines of source code in common languages.
var codePrefixes = []string{
	"//", "/*", "*/", "#include", "#define", "#!", "<?php", "import ", "package ", "func ", "def ",
	"class ", "public ", "private ", "protected ", "return ", "return;", "const ", "let ", "var ",
	"fn ", "use ", "using ", "namespace ", "if (", "for (", "while (", "} else", "from ", "export ",
	"module.exports", "require(", "#[", "@Override", "struct ", "enum ", "typedef ", "static ",
}

// codeLine reports whether line reads as source code: it opens with a
// keyword or comment marker of a programming language, or ends with the
// punctuation that ends statements and blocks.
func codeLine(line string) bool {
	for _, p := range codePrefixes {
		if strings.HasPrefix(line, p) {
			return true
		}
	}
	for _, s := range []string{"{", "}", ";", "};", "});", ")", "*/", "=>", "):"} {
		if strings.HasSuffix(line, s) {
			return !strings.HasSuffix(line, ":)") && !strings.HasSuffix(line, ";)")
		}
	}
	return line == "}" || line == "{"
}

// refuseThin refuses a parsed transcript with fewer than MinWords words.
// For HTML without any transcript structure (no <time> or <cite> turns,
// no timestamps, no speakers) the message says it is a web page rather
// than a transcript.
func refuseThin(name string, f format, t *recap.Transcript) error {
	words := t.Words()
	if f == formatHTML && !t.Timed() && !hasSpeakers(t) {
		if prose := proseWords(t); prose < MinWords {
			return refuse(name, fmt.Sprintf("is an HTML page without a transcript in it (no <time> or <cite> turns, no timestamps, and %s in sentences)", countWords(prose)))
		}
	}
	if words >= MinWords {
		return nil
	}
	return errorf(KindBadInput, nil, "%s has %s; that is too short to recap: a transcript needs at least %d words. %s",
		subject(name), countWords(words), MinWords, accepted)
}

// proseWords counts the words of t in units of at least six words:
// sentences, not the menu items, buttons and labels of a web page.
func proseWords(t *recap.Transcript) int {
	n := 0
	for _, u := range t.Units {
		if w := recap.CountWords(u.Text); w >= 6 {
			n += w
		}
	}
	return n
}

func hasSpeakers(t *recap.Transcript) bool {
	for _, u := range t.Units {
		if u.Speaker != "" {
			return true
		}
	}
	return false
}

func countWords(n int) string {
	if n == 1 {
		return "only 1 word"
	}
	return fmt.Sprintf("only %d words", n)
}
