package transcript

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/recap-startos/recap/pkg/recap"
)

// Limits for merging the segments of a Podcasting 2.0 JSON transcript,
// which are often single words, into readable units.
const (
	// jsonMergeGap is the silence between two segments (seconds) that
	// ends a unit.
	jsonMergeGap = 2.0
	// jsonMergeSpan is the length (seconds) after which a unit ends at
	// the next segment boundary even without a sentence end.
	jsonMergeSpan = 15.0
)

// podcastJSON is the Podcasting 2.0 JSON transcript format
// (application/json, "version": "1.0.0").
type podcastJSON struct {
	Version  string           `json:"version"`
	Segments []podcastSegment `json:"segments"`
	// Chapters is present when the file is a chapters file instead.
	Chapters json.RawMessage `json:"chapters"`
}

type podcastSegment struct {
	Speaker   string      `json:"speaker"`
	StartTime jsonSeconds `json:"startTime"`
	EndTime   jsonSeconds `json:"endTime"`
	Body      string      `json:"body"`
}

// jsonSeconds is a time in seconds written as a JSON number, as the spec
// says, or as a string holding a number or a clock time, as some
// generators do. Set reports whether the field was present.
type jsonSeconds struct {
	V   float64
	Set bool
}

func (s *jsonSeconds) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		str = strings.TrimSpace(str)
		if str == "" {
			return nil
		}
		if v, err := strconv.ParseFloat(str, 64); err == nil && !math.IsNaN(v) && !math.IsInf(v, 0) {
			s.V, s.Set = v, true
			return nil
		}
		if v, ok := parseClock(str); ok {
			s.V, s.Set = v, true
			return nil
		}
		return fmt.Errorf("bad time %q", str)
	}
	if err := json.Unmarshal(b, &s.V); err != nil {
		return err
	}
	s.Set = true
	return nil
}

// parsePodcastJSON reads a Podcasting 2.0 JSON transcript. Consecutive
// segments of one speaker are merged into a unit until a sentence ends,
// the speaker pauses for jsonMergeGap or the unit spans jsonMergeSpan.
func parsePodcastJSON(text string) (*recap.Transcript, error) {
	var doc podcastJSON
	dec := json.NewDecoder(strings.NewReader(text))
	if err := dec.Decode(&doc); err != nil {
		return nil, jsonError(text, dec, err)
	}
	if doc.Segments == nil {
		if len(doc.Chapters) > 0 {
			return nil, errors.New("this is a chapters file, not a transcript")
		}
		return nil, errors.New(`not a Podcasting 2.0 transcript (no "segments" list)`)
	}
	m := &segmentMerger{t: &recap.Transcript{}}
	for k, seg := range doc.Segments {
		if !seg.StartTime.Set {
			return nil, fmt.Errorf("segment %d has no startTime", k+1)
		}
		body := recap.CollapseSpace(cleanText(seg.Body))
		if body == "" {
			continue
		}
		start := seg.StartTime.V
		end := start
		if seg.EndTime.Set && seg.EndTime.V > start {
			end = seg.EndTime.V
		}
		m.add(recap.CollapseSpace(seg.Speaker), body, start, end)
	}
	m.flush()
	return m.t, nil
}

// segmentMerger merges consecutive segments of a JSON transcript into
// units.
type segmentMerger struct {
	t      *recap.Transcript
	cur    *recap.Unit // the unit being merged, nil between units
	curEnd float64     // the latest end of its segments, in seconds
}

// add merges a segment (its speaker, text and times in seconds) into the
// current unit, or starts a new unit when the speaker changes, a
// sentence ended, the speaker paused for jsonMergeGap or the unit would
// span more than jsonMergeSpan.
func (m *segmentMerger) add(speaker, body string, start, end float64) {
	if m.cur != nil && (speaker != m.cur.Speaker || endsSentence(m.cur.Text) ||
		start-m.curEnd > jsonMergeGap || end-*m.cur.Start > jsonMergeSpan) {
		m.flush()
	}
	if m.cur == nil {
		m.cur = &recap.Unit{Start: recap.Secs(start), End: recap.Secs(end), Speaker: speaker, Text: body}
		m.curEnd = end
		return
	}
	m.cur.Text += " " + body
	m.curEnd = max(m.curEnd, end)
	m.cur.End = recap.Secs(m.curEnd)
}

func (m *segmentMerger) flush() {
	if m.cur != nil && m.cur.Text != "" {
		m.t.Units = append(m.t.Units, *m.cur)
	}
	m.cur = nil
}

// jsonError turns a decoding error into one that names the line.
func jsonError(text string, dec *json.Decoder, err error) error {
	var off int64 = -1
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		off = syn.Offset
	case errors.As(err, &typ):
		off = typ.Offset
	default:
		off = dec.InputOffset()
	}
	if off < 0 || off > int64(len(text)) {
		off = int64(len(text))
	}
	line := 1 + bytes.Count([]byte(text[:off]), []byte("\n"))
	return &lineError{line: line, msg: "bad JSON: " + strings.TrimPrefix(err.Error(), "json: ")}
}

// endsSentence reports whether text ends with sentence punctuation,
// allowing for closing quotes and brackets after it.
func endsSentence(text string) bool {
	text = strings.TrimRight(text, `"'”’)]»`)
	return strings.HasSuffix(text, ".") || strings.HasSuffix(text, "?") ||
		strings.HasSuffix(text, "!") || strings.HasSuffix(text, "…")
}
