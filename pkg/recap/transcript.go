package recap

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode"
)

// Unit is one piece of transcript text: a caption cue as parsed, or a
// sentence-like unit after an engine has re-cut the text.
type Unit struct {
	I       int      `json:"i"`       // index in the transcript, from 0
	Start   *float64 `json:"start_s"` // seconds; nil when the source has no times
	End     *float64 `json:"end_s"`   // seconds; nil when unknown
	Text    string   `json:"text"`
	Speaker string   `json:"speaker,omitempty"`
}

// Transcript is what every source produces: units in time order, the
// metadata of the source, and creator chapters when there are any.
type Transcript struct {
	Source   Source
	Units    []Unit
	Chapters []Chapter // ordered by Start; empty when the creator gave none
}

// ErrEmptyTranscript is returned when a source yields no text at all.
var ErrEmptyTranscript = errors.New("transcript: no text found")

// Timed reports whether the transcript's units carry times. A transcript
// is either timed throughout or not at all after Normalize.
func (t *Transcript) Timed() bool {
	return len(t.Units) > 0 && t.Units[0].Start != nil
}

// Words counts the whitespace-separated words of all units.
func (t *Transcript) Words() int {
	n := 0
	for _, u := range t.Units {
		n += CountWords(u.Text)
	}
	return n
}

// LastTime is the latest time in the transcript, 0 without times.
func (t *Transcript) LastTime() float64 {
	last := 0.0
	for _, u := range t.Units {
		if u.End != nil && *u.End > last {
			last = *u.End
		}
		if u.Start != nil && *u.Start > last {
			last = *u.Start
		}
	}
	return last
}

// Normalize puts a transcript into the shape engines rely on: text with
// collapsed white space, empty units dropped, units sorted by start time,
// indexes renumbered from 0, ends never before starts nor (when known)
// after the next start's end, every time inside the source duration, and
// either all units timed or none. Chapters are sorted, de-duplicated and
// kept inside the duration. It returns ErrEmptyTranscript when no text
// remains.
func (t *Transcript) Normalize() error {
	units := t.Units[:0]
	timed := 0
	for _, u := range t.Units {
		u.Text = CollapseSpace(u.Text)
		if u.Text == "" {
			continue
		}
		if u.Start != nil {
			timed++
		}
		units = append(units, u)
	}
	if len(units) == 0 {
		t.Units = nil
		return ErrEmptyTranscript
	}
	if timed < len(units) {
		fillTimes(units, timed)
	}
	if units[0].Start != nil {
		sort.SliceStable(units, func(a, b int) bool { return *units[a].Start < *units[b].Start })
		dur := t.Source.Duration
		for i := range units {
			u := &units[i]
			s := max(*u.Start, 0)
			if dur > 0 && s > dur {
				s = dur
			}
			e := s
			if u.End != nil {
				e = *u.End
			}
			if e < s {
				e = s
			}
			if dur > 0 && e > dur {
				e = dur
			}
			u.Start, u.End = Secs(s), Secs(e)
		}
	}
	for i := range units {
		units[i].I = i
	}
	t.Units = units
	t.normalizeChapters()
	return nil
}

// secondsPerWord is how long a word takes to say at about 150 words a
// minute, for times a transcript does not give.
const secondsPerWord = 0.4

// fillTimes makes a partly timed transcript consistent. With no times at
// all, nothing is done. With some, each untimed unit takes the time of the
// nearest timed unit before it, so a transcript with sparse timestamps
// keeps them. Units before the first timed one (transcripts that stamp
// only every few minutes often start without a stamp) are placed back
// from it at speaking pace, never before 0: eight minutes of opening
// before a first "[08:31]" start near 0:00, not all at 8:31, and a title
// line before "1:00:00" does not pull the talk back to 0:00.
func fillTimes(units []Unit, timed int) {
	if timed == 0 {
		for i := range units {
			units[i].End = nil
		}
		return
	}
	first := 0
	for units[first].Start == nil {
		first++
	}
	at := *units[first].Start
	for i := first - 1; i >= 0; i-- {
		at = max(math.Round((at-secondsPerWord*float64(CountWords(units[i].Text)))*1000)/1000, 0)
		units[i].Start = Secs(at)
		units[i].End = nil
	}
	prev := units[first].Start
	for i := first + 1; i < len(units); i++ {
		if units[i].Start != nil {
			prev = units[i].Start
			continue
		}
		units[i].Start = Secs(*prev)
		units[i].End = nil
	}
}

func (t *Transcript) normalizeChapters() {
	if len(t.Chapters) == 0 {
		return
	}
	sort.SliceStable(t.Chapters, func(a, b int) bool { return t.Chapters[a].Start < t.Chapters[b].Start })
	out := t.Chapters[:0]
	for _, c := range t.Chapters {
		c.Title = CollapseSpace(c.Title)
		if c.Start < 0 {
			c.Start = 0
		}
		if t.Source.Duration > 0 && c.Start >= t.Source.Duration {
			continue
		}
		if len(out) > 0 && c.Start <= out[len(out)-1].Start {
			continue
		}
		out = append(out, c)
	}
	t.Chapters = out
}

// CollapseSpace trims s and turns every run of white space into one space.
func CollapseSpace(s string) string {
	if s == "" {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// CountWords counts the white-space separated words of s.
func CountWords(s string) int {
	n := 0
	in := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			in = false
			continue
		}
		if !in {
			n++
			in = true
		}
	}
	return n
}

// FormatClock renders seconds as H:MM:SS, or M:SS under an hour.
func FormatClock(s float64) string {
	total := int(s)
	h, m, sec := total/3600, total/60%60, total%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, sec)
	}
	return fmt.Sprintf("%d:%02d", m, sec)
}
