package transcript

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/recap-startos/recap/pkg/recap"
)

// format is a transcript document format that Parse understands.
type format int

const (
	formatText format = iota
	formatVTT
	formatSRT
	formatJSON
	formatHTML
)

var formatNames = map[format]string{
	formatText: "plain text",
	formatVTT:  "WebVTT",
	formatSRT:  "SRT",
	formatJSON: "Podcasting 2.0 JSON",
	formatHTML: "HTML",
}

// Parse reads a subtitle or transcript document (WebVTT, SRT, Podcasting
// 2.0 JSON, HTML or plain text) into a normalized transcript whose
// Source.Type is "file". The format is recognised by content; name's
// extension only breaks ties and makes a file that claims to be WebVTT or
// SRT fail loudly when it is not. Documents over opt's size limit and
// transcripts over its duration limit are refused, and so is whatever is
// not a transcript, whatever its name: binary data (images, PDFs,
// archives, executables), style sheets, source code, XML that is not a
// feed, a lone link, an HTML page without transcript text, and text of
// fewer than MinWords words. Every failure is an *Error; a malformed
// document gives KindBadInput with the line at fault.
func Parse(name string, data []byte, opt Options) (*recap.Transcript, error) {
	t, f, err := parseDocument(name, data, opt)
	if err != nil {
		return nil, err
	}
	if err := checkLimits(t, opt); err != nil {
		return nil, err
	}
	if err := refuseThin(baseName(name), f, t); err != nil {
		return nil, err
	}
	return t, nil
}

// Check reports whether data, named name, is a transcript Recap can
// recap, without applying the size and length limits: it refuses what
// Parse refuses for its content (empty, binary, markup or a link, too
// short, unparsable) with the same *Error. A podcast feed passes when it
// has an episode; Read fetches the transcript.
func Check(name string, data []byte) error {
	if isFeed(data) {
		return checkFeed(baseName(name), data)
	}
	t, f, err := parseDocument(name, data, Options{MaxBytes: int64(len(data))})
	if err != nil {
		return err
	}
	return refuseThin(baseName(name), f, t)
}

// parseDocument is Parse without the minimum length and the duration
// limit: it refuses documents over the size limit and content that is not
// text or not a transcript, and parses the rest in the format it detects.
func parseDocument(name string, data []byte, opt Options) (*recap.Transcript, format, error) {
	base := baseName(name)
	if limit := opt.maxBytes(); int64(len(data)) > limit {
		return nil, 0, errorf(KindTooLarge, nil, "%s is %s; the limit is %s (advanced.max-upload-mb, RECAP_MAX_UPLOAD_MB)",
			base, formatMB(int64(len(data))), formatMB(limit))
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, 0, errorf(KindBadInput, recap.ErrEmptyTranscript, "%s: the file is empty", base)
	}
	if what := sniffBinary(data); what != "" {
		return nil, 0, refuse(base, what)
	}
	if isFeed(data) {
		return nil, 0, errorf(KindBadInput, nil, "%s is a podcast feed, whose episodes' transcripts must be downloaded; give it to recap summarize (with --episode) or upload it in the web app", base)
	}
	text := decodeText(data)
	if strings.TrimSpace(text) == "" {
		return nil, 0, errorf(KindBadInput, recap.ErrEmptyTranscript, "%s: the file is empty", base)
	}
	if err := checkRawSize(base, text, opt); err != nil {
		return nil, 0, err
	}
	f, err := detectFormat(base, text)
	if err != nil {
		return nil, 0, err
	}
	if f == formatText {
		if err := refuseMarkup(base, text); err != nil {
			return nil, 0, err
		}
	}
	t, err := parseFormat(f, text)
	if err != nil {
		var le *lineError
		if errors.As(err, &le) {
			return nil, 0, errorf(KindBadInput, err, "%s: line %d: %s", base, le.line, le.msg)
		}
		return nil, 0, errorf(KindBadInput, err, "%s: %v", base, err)
	}
	t.Source.Type = recap.SourceFile
	if t.Source.VideoID != "" {
		// A transcript of a YouTube video (front matter media:) is filed
		// as the video, so its timestamps open it.
		t.Source.Type = recap.SourceYouTube
	}
	t.Source.FileName = base
	if err := t.Normalize(); err != nil {
		return nil, 0, errorf(KindBadInput, err, "%s: no transcript text found in this %s file", base, formatNames[f])
	}
	t.Source.Captions = recap.CaptionsNone
	if t.Timed() {
		t.Source.Captions = recap.CaptionsFile
	}
	return t, f, nil
}

// parseFormat parses decoded text in format f.
func parseFormat(f format, text string) (*recap.Transcript, error) {
	switch f {
	case formatVTT:
		return parseVTT(text)
	case formatSRT:
		return parseSRT(text)
	case formatJSON:
		return parsePodcastJSON(text)
	case formatHTML:
		return parseHTML(text)
	}
	return parseText(text)
}

// checkLimits refuses a transcript longer than the duration limit of
// opt, or with more words than its word limits allow (an absurd input
// would cost minutes of work and gigabytes of memory). Every source
// calls it once its transcript is normalized.
func checkLimits(t *recap.Transcript, opt Options) error {
	limit := opt.maxDuration()
	length := max(t.LastTime(), t.Source.Duration)
	if length > limit.Seconds() {
		return errorf(KindTooLong, nil, "transcript is %s long; the limit is %s (advanced.max-duration-hours, RECAP_MAX_DURATION)",
			formatHM(time.Duration(length*float64(time.Second))), formatHM(limit))
	}
	words := t.Words()
	if words > opt.maxWords() {
		return errorf(KindTooLong, nil, "transcript has %d words; the limit is %d (advanced.max-words)", words, opt.maxWords())
	}
	hours := max(1, length/3600)
	if perHour := opt.maxWordsPerHour(); float64(words) > float64(perHour)*hours {
		return errorf(KindTooLong, nil, "transcript has %d words in %s, more than %d words an hour (advanced.max-words-per-hour)",
			words, formatHM(time.Duration(length*float64(time.Second))), perHour)
	}
	return nil
}

// checkRawSize refuses, before any parsing, a text with more than four
// times as many whitespace-separated tokens as the word limit allows:
// cue numbers and timestamps take at most three tokens per cue, so no
// transcript within the limits comes near it, and parsing an absurd one
// would cost far more than counting.
func checkRawSize(base, text string, opt Options) error {
	limit := 4 * opt.maxWords()
	tokens, inToken := 0, false
	for i := 0; i < len(text); i++ {
		c := text[i]
		space := c == ' ' || c == '\n' || c == '\t' || c == '\r'
		if !space && !inToken {
			tokens++
			if tokens > limit {
				return errorf(KindTooLong, nil, "%s has far more than the %d words allowed (advanced.max-words)", base, opt.maxWords())
			}
		}
		inToken = !space
	}
	return nil
}

// formatHM renders d as hours and minutes ("7h12m"), or minutes and
// seconds under an hour ("45m0s").
func formatHM(d time.Duration) string {
	if d < time.Hour {
		d = d.Truncate(time.Second)
		return fmt.Sprintf("%dm%ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	}
	d = d.Truncate(time.Minute)
	return fmt.Sprintf("%dh%dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// formatMB renders a byte count in megabytes (2^20 bytes).
func formatMB(n int64) string {
	mb := float64(n) / (1 << 20)
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%.1f MB", mb)
}

// baseName returns the last element of a file name written with either
// kind of slash; "-" and "" (stdin, pasted text) stay as they are.
func baseName(name string) string {
	if name == "" || name == "-" {
		return name
	}
	b := path.Base(strings.ReplaceAll(name, "\\", "/"))
	if b == "." || b == "/" {
		return name
	}
	return b
}

// detectFormat recognises the format of text. Content decides; the
// extension of name is believed only when the content is ambiguous, and
// a .vtt or .srt file without any cue is an error rather than plain text.
func detectFormat(name, text string) (format, error) {
	ext := strings.ToLower(filepath.Ext(name))
	head := strings.TrimLeft(text, " \t\n")
	switch {
	case strings.HasPrefix(head, "WEBVTT"):
		return formatVTT, nil
	case strings.HasPrefix(head, "{"):
		return formatJSON, nil
	case looksHTML(head):
		return formatHTML, nil
	}
	if ext == ".json" {
		return formatJSON, nil
	}
	if opensWithCue(text) {
		// SRT, or a WebVTT file without its header, whose cues read the
		// same way.
		return formatSRT, nil
	}
	switch ext {
	case ".vtt":
		return 0, errorf(KindBadInput, nil, "%s: line 1: missing the WEBVTT header", name)
	case ".srt":
		return 0, errorf(KindBadInput, nil, "%s: no subtitle cues found (no \"00:00:01,000 --> 00:00:02,000\" timing lines)", name)
	case ".html", ".htm":
		return formatHTML, nil
	}
	return formatText, nil
}

// opensWithCue reports whether one of the first three lines of text that
// are not blank is a subtitle timing line ("00:00:01,000 --> …").
func opensWithCue(text string) bool {
	seen := 0
	for _, line := range lines(text[:min(len(text), 4096)]) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if strings.Contains(line, "-->") && line[0] >= '0' && line[0] <= '9' {
			return true
		}
		if seen++; seen >= 3 {
			return false
		}
	}
	return false
}

// looksHTML reports whether a document (with leading space trimmed)
// starts like HTML markup.
func looksHTML(head string) bool {
	if !strings.HasPrefix(head, "<") {
		return false
	}
	lower := strings.ToLower(head[:min(len(head), 512)])
	for _, p := range []string{"<!doctype html", "<html", "<head", "<body", "<!--", "<p", "<cite", "<time", "<div", "<section", "<article", "<h1", "<h2", "<span", "<meta"} {
		if strings.HasPrefix(lower, p) {
			return true
		}
	}
	return false
}

// lineError is a parse failure at one line of the decoded document.
type lineError struct {
	line int // 1-based
	msg  string
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

// badLine builds a lineError that quotes the offending line, shortened.
func badLine(n int, what, line string) *lineError {
	line = strings.TrimSpace(line)
	if r := []rune(line); len(r) > 60 {
		line = string(r[:59]) + "…"
	}
	return &lineError{line: n, msg: fmt.Sprintf("%s %q", what, line)}
}

// lines splits decoded text (LF endings) into lines.
func lines(text string) []string {
	return strings.Split(text, "\n")
}
