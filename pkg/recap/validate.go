package recap

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrInvalid wraps every invariant violation reported by Validate.
var ErrInvalid = errors.New("recap: invalid document")

// timeSlack is how far (seconds) a time may pass the source duration
// before Validate calls it outside: durations are often whole seconds.
const timeSlack = 1.0

// Validate checks every invariant of the recap document contract:
//   - version, id, source type and engine name are set and known;
//   - the transcript is non-empty, indexed 0..n-1, timed throughout or not
//     at all, with starts non-decreasing, ends not before starts, and
//     every time inside the source duration (when known);
//   - topics are in order and cover the transcript without gap or
//     overlap, start_unit ≤ end_unit, and topic times equal the times of
//     their first and last units (or are null without times);
//   - every segment points at a unit inside its topic, carries that unit's
//     start time, has text, and for the builtin engine the text is taken
//     from the transcript at that unit (see Grounded).
//
// The first violation is returned, wrapped in ErrInvalid.
func (d *Document) Validate() error {
	if err := d.validate(); err != nil {
		return fmt.Errorf("%w: %s", ErrInvalid, err.Error())
	}
	return nil
}

func (d *Document) validate() error {
	if d.Version != Version {
		return fmt.Errorf("version is %d, want %d", d.Version, Version)
	}
	if !ValidID(d.ID) {
		return fmt.Errorf("id %q is not a valid recap id", d.ID)
	}
	switch d.Source.Type {
	case SourceYouTube, SourcePodcast, SourceFile, SourceText:
	default:
		return fmt.Errorf("source.type %q is unknown", d.Source.Type)
	}
	switch d.Engine.Name {
	case EngineBuiltin, EngineOpenAI, EngineGemini, EngineRelay:
	default:
		return fmt.Errorf("engine.name %q is unknown", d.Engine.Name)
	}
	if strings.TrimSpace(d.Title) == "" {
		return errors.New("title is empty")
	}
	if err := d.validateTranscript(); err != nil {
		return err
	}
	return d.validateTopics()
}

func (d *Document) validateTranscript() error {
	units := d.Transcript
	if len(units) == 0 {
		return errors.New("transcript is empty")
	}
	timed := units[0].Start != nil
	prev := 0.0
	for i, u := range units {
		if u.I != i {
			return fmt.Errorf("transcript[%d].i is %d", i, u.I)
		}
		if strings.TrimSpace(u.Text) == "" {
			return fmt.Errorf("transcript[%d] has no text", i)
		}
		if (u.Start != nil) != timed {
			return fmt.Errorf("transcript[%d] timed differently from transcript[0]", i)
		}
		if !timed {
			if u.End != nil {
				return fmt.Errorf("transcript[%d] has an end but no start", i)
			}
			continue
		}
		if err := checkUnitTimes(i, u, prev, d.Source.Duration); err != nil {
			return err
		}
		prev = *u.Start
	}
	return nil
}

// checkUnitTimes checks a timed unit: it starts no earlier than the unit
// before (prev), ends no earlier than it starts, and neither time is
// past the duration (when known).
func checkUnitTimes(i int, u Unit, prev, dur float64) error {
	s := *u.Start
	if s < 0 || s < prev {
		return fmt.Errorf("transcript[%d].start_s %.3f is before %.3f", i, s, prev)
	}
	if dur > 0 && s > dur+timeSlack {
		return fmt.Errorf("transcript[%d].start_s %.3f is after the duration %.3f", i, s, dur)
	}
	if u.End == nil {
		return nil
	}
	if *u.End < s {
		return fmt.Errorf("transcript[%d].end_s %.3f is before its start %.3f", i, *u.End, s)
	}
	if dur > 0 && *u.End > dur+timeSlack {
		return fmt.Errorf("transcript[%d].end_s %.3f is after the duration %.3f", i, *u.End, dur)
	}
	return nil
}

func (d *Document) validateTopics() error {
	units := d.Transcript
	if len(d.Topics) == 0 {
		return errors.New("no topics")
	}
	next := 0
	for k, t := range d.Topics {
		if strings.TrimSpace(t.Title) == "" {
			return fmt.Errorf("topics[%d] has no title", k)
		}
		if t.StartUnit != next {
			return fmt.Errorf("topics[%d].start_unit is %d, want %d (topics must cover the transcript in order)", k, t.StartUnit, next)
		}
		if t.EndUnit < t.StartUnit || t.EndUnit >= len(units) {
			return fmt.Errorf("topics[%d] spans units %d..%d of %d", k, t.StartUnit, t.EndUnit, len(units))
		}
		next = t.EndUnit + 1
		if err := checkTopicTimes(k, t, units); err != nil {
			return err
		}
		if err := d.checkSegments(k, t); err != nil {
			return err
		}
	}
	if next != len(units) {
		return fmt.Errorf("topics end at unit %d, transcript has %d units", next-1, len(units))
	}
	return nil
}

// checkSegments checks the key points of topic k: each lies within the
// topic, in order, with its unit's start and some text, which the
// builtin engine must have taken from the transcript.
func (d *Document) checkSegments(k int, t Topic) error {
	units := d.Transcript
	for j, s := range t.Segments {
		if s.Unit < t.StartUnit || s.Unit > t.EndUnit {
			return fmt.Errorf("topics[%d].segments[%d].unit %d is outside the topic (%d..%d)", k, j, s.Unit, t.StartUnit, t.EndUnit)
		}
		if j > 0 && s.Unit < t.Segments[j-1].Unit {
			return fmt.Errorf("topics[%d].segments[%d] is out of order", k, j)
		}
		if !sameTime(s.Start, units[s.Unit].Start) {
			return fmt.Errorf("topics[%d].segments[%d].start_s does not match unit %d", k, j, s.Unit)
		}
		if strings.TrimSpace(s.Text) == "" {
			return fmt.Errorf("topics[%d].segments[%d] has no text", k, j)
		}
		if d.Engine.Name == EngineBuiltin && !Grounded(units, s) {
			return fmt.Errorf("topics[%d].segments[%d] text is not taken from unit %d", k, j, s.Unit)
		}
	}
	return nil
}

// Grounded reports whether a key point's text is taken word for word from
// the transcript at its unit: found in the unit's text, or in the unit's
// text followed by the next unit's (a key point may be two adjacent
// sentences), where the key point may capitalize its first letter.
func Grounded(units []Unit, s Segment) bool {
	if s.Unit < 0 || s.Unit >= len(units) || s.Text == "" {
		return false
	}
	text := units[s.Unit].Text
	if s.Unit+1 < len(units) {
		text += " " + units[s.Unit+1].Text
	}
	if strings.Contains(text, s.Text) {
		return true
	}
	r, size := utf8.DecodeRuneInString(s.Text)
	return strings.Contains(text, string(unicode.ToLower(r))+s.Text[size:])
}

func checkTopicTimes(k int, t Topic, units []Unit) error {
	if !sameTime(t.Start, units[t.StartUnit].Start) {
		return fmt.Errorf("topics[%d].start_s does not match unit %d", k, t.StartUnit)
	}
	want := units[t.EndUnit].End
	if want == nil {
		want = units[t.EndUnit].Start
	}
	if !sameTime(t.End, want) {
		return fmt.Errorf("topics[%d].end_s does not match unit %d", k, t.EndUnit)
	}
	if t.Start != nil && t.End != nil && *t.End < *t.Start {
		return fmt.Errorf("topics[%d] ends before it starts", k)
	}
	return nil
}

func sameTime(a, b *float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	diff := *a - *b
	return diff < 1e-6 && diff > -1e-6
}

// TopicTimes returns the start and end a topic over units[start..end]
// must carry: the first unit's start and the last unit's end (or its
// start when the end is unknown); both nil without times.
func TopicTimes(units []Unit, start, end int) (*float64, *float64) {
	s := units[start].Start
	e := units[end].End
	if e == nil {
		e = units[end].Start
	}
	if s == nil {
		return nil, nil
	}
	return Secs(*s), Secs(*e)
}
