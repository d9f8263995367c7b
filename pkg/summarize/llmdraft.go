package summarize

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/recap-startos/recap/pkg/recap"
)

// Assembly of a model's answers into a recap document.
const (
	// groundThreshold is the share of a key point's content words that
	// its unit must contain (after light stemming) for the point to count
	// as grounded.
	groundThreshold = 0.5
	// maxPointsPerTopic caps the key points kept for one topic.
	maxPointsPerTopic = 6
	// minTopicSeconds is the shortest topic the model may start; closer
	// starts merge into the topic before.
	minTopicSeconds = 30.0
	maxKeywords     = 10
)

// answer is what the model returns: for a whole transcript, for one
// window (title and summary of the window, candidate topics), or for the
// merge (no key points).
type answer struct {
	Title     string        `json:"title"`
	Summary   string        `json:"summary"`
	Keywords  stringList    `json:"keywords"`
	Topics    []answerTopic `json:"topics"`
	KeyPoints []answerPoint `json:"key_points"` // some models put them at the top
}

type answerTopic struct {
	StartUnit unitRef       `json:"start_unit"`
	Title     string        `json:"title"`
	Summary   string        `json:"summary"`
	KeyPoints []answerPoint `json:"key_points"`
}

type answerPoint struct {
	Unit unitRef `json:"unit"`
	Text string  `json:"text"`
}

// unitRef is a unit number as models write it: 12, 12.0, "12", "U12" or
// "[12 3:41]". Anything unreadable is -1.
type unitRef int

func (u *unitRef) UnmarshalJSON(b []byte) error {
	*u = -1
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var s string
		if json.Unmarshal(b, &s) != nil {
			return nil
		}
		i := strings.IndexFunc(s, func(r rune) bool { return r >= '0' && r <= '9' })
		if i < 0 {
			return nil
		}
		j := i
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		b = []byte(s[i:j])
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err == nil && f >= 0 && f < 1e9 && f == float64(int(f)) {
		*u = unitRef(int(f))
	}
	return nil
}

// stringList accepts ["a","b"] or "a, b".
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var list []any
	if err := json.Unmarshal(b, &list); err == nil {
		for _, v := range list {
			if s, ok := v.(string); ok {
				*l = append(*l, s)
			}
		}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		for part := range strings.SplitSeq(s, ",") {
			*l = append(*l, part)
		}
	}
	return nil
}

// parseAnswer reads a model's answer leniently (see extractJSON).
func parseAnswer(text string) (*answer, error) {
	raw, err := extractJSON(text)
	if err != nil {
		return nil, err
	}
	var a answer
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, fmt.Errorf("the JSON does not have the asked shape: %v", err)
	}
	if len(a.Topics) == 0 {
		return nil, errors.New(`the answer has no "topics"`)
	}
	if len(a.KeyPoints) > 0 {
		// Points outside the topics still name their units.
		a.Topics[0].KeyPoints = append(a.Topics[0].KeyPoints, a.KeyPoints...)
	}
	return &a, nil
}

// draft is the model's recap before assembly.
type draft struct {
	title, summary string
	keywords       []string
	topics         []answerTopic // start units, titles and summaries
	points         []answerPoint // every key point, wherever it came from
}

// groundedPoint is a key point found in its unit.
type groundedPoint struct {
	unit int
	text string
}

// groundPoints keeps the key points grounded in their units, one per
// unit, in order, and counts those that are not.
func (r *run) groundPoints(drafted []answerPoint) ([]groundedPoint, int) {
	var points []groundedPoint
	ungrounded := 0
	seen := make(map[int]bool)
	for _, p := range drafted {
		text := oneLine(p.Text)
		if text == "" {
			continue
		}
		u := r.ground(text, int(p.Unit))
		if u < 0 {
			ungrounded++
			continue
		}
		if seen[u] {
			continue
		}
		seen[u] = true
		points = append(points, groundedPoint{u, text})
	}
	sort.SliceStable(points, func(a, b int) bool { return points[a].unit < points[b].unit })
	return points, ungrounded
}

// topic builds the topic tm ending at unit e with the key points from
// points[next] that fall in it (at most maxPointsPerTopic), and returns
// it with the index of the first point after it.
func (r *run) topic(tm topicMeta, e int, points []groundedPoint, next int) (recap.Topic, int) {
	t := recap.Topic{StartUnit: tm.start, EndUnit: e, Title: tm.title, Summary: tm.summary, Segments: []recap.Segment{}}
	t.Start, t.End = recap.TopicTimes(r.units, tm.start, e)
	if t.Title == "" {
		t.Title = firstWords(r.units[tm.start].Text, 8)
	}
	for next < len(points) && points[next].unit <= e {
		if len(t.Segments) < maxPointsPerTopic {
			p := points[next]
			t.Segments = append(t.Segments, recap.Segment{Start: r.units[p.unit].Start, Unit: p.unit, Text: p.text})
		}
		next++
	}
	return t, next
}

// assemble turns a draft into a document that passes Validate, or says
// why it cannot: no usable topic start, no grounded key point, no
// summary.
func (r *run) assemble(dr *draft) (*recap.Document, error) {
	n := len(r.units)
	tops, err := r.topicStarts(dr.topics)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(dr.summary) == "" {
		return nil, errors.New(`"summary" is empty`)
	}
	points, ungrounded := r.groundPoints(dr.points)
	if len(points) == 0 {
		return nil, fmt.Errorf("none of the %d key points matches the unit it names; each key point must repeat what its unit says", len(dr.points))
	}

	doc := &recap.Document{
		Engine:     recap.Engine{Name: r.e.name, Model: r.e.model},
		Title:      oneLine(r.t.Source.Title),
		Summary:    oneLine(dr.summary),
		Keywords:   cleanKeywords(dr.keywords),
		Transcript: r.units,
		Chapters:   append([]recap.Chapter(nil), r.t.Chapters...),
		Stats: recap.Stats{
			Units: n, Ungrounded: ungrounded,
			PromptTokens: r.use.prompt, CompletionTokens: r.use.completion,
		},
	}
	if doc.Title == "" {
		doc.Title = oneLine(dr.title)
	}
	next := 0
	for k, tm := range tops {
		e := n - 1
		if k+1 < len(tops) {
			e = tops[k+1].start - 1
		}
		var t recap.Topic
		t, next = r.topic(tm, e, points, next)
		doc.Topics = append(doc.Topics, t)
	}
	if doc.Title == "" && len(doc.Topics) > 0 {
		doc.Title = doc.Topics[0].Title
	}
	if r.failed > 0 {
		doc.Engine.Note = fmt.Sprintf("%d of %d parts of the transcript got no usable answer from the model; their key points are missing.", r.failed, r.windows)
	}
	check := *doc
	check.Version, check.ID, check.Source = recap.Version, "check", r.t.Source
	if check.Source.Type == "" {
		check.Source.Type = recap.SourceText
	}
	if err := check.Validate(); err != nil {
		return nil, err
	}
	return doc, nil
}

type topicMeta struct {
	start          int
	title, summary string
}

// fixedTopics are the topics of a run whose starts are fixed (creator
// chapters): each takes the summary, and a title when it has none, of
// the first answered topic that starts inside it.
func (r *run) fixedTopics(valid []answerTopic) []topicMeta {
	tops := make([]topicMeta, len(r.fixed))
	for k, s := range r.fixed {
		tops[k] = topicMeta{start: s, title: r.fixedTitles[k]}
	}
	for _, t := range valid {
		k := max(sort.SearchInts(r.fixed, int(t.StartUnit)+1)-1, 0)
		if tops[k].summary == "" {
			tops[k].summary = oneLine(t.Summary)
		}
		if tops[k].title == "" {
			tops[k].title = oneLine(t.Title)
		}
	}
	return tops
}

// topicStarts orders the model's topics and makes them cover the
// transcript. With creator chapters, the chapters are the topics and the
// model only supplies their summaries (and titles for untitled ones).
func (r *run) topicStarts(topics []answerTopic) ([]topicMeta, error) {
	n := len(r.units)
	var valid []answerTopic
	for _, t := range topics {
		if t.StartUnit >= 0 && int(t.StartUnit) < n {
			valid = append(valid, t)
		}
	}
	sort.SliceStable(valid, func(a, b int) bool { return valid[a].StartUnit < valid[b].StartUnit })
	if r.fixed != nil {
		return r.fixedTopics(valid), nil
	}
	if len(valid) == 0 {
		return nil, fmt.Errorf("no topic has a start_unit between 0 and %d", n-1)
	}
	var tops []topicMeta
	for _, t := range valid {
		s := int(t.StartUnit)
		if len(tops) > 0 && r.tooClose(tops[len(tops)-1].start, s) {
			continue
		}
		tops = append(tops, topicMeta{start: s, title: oneLine(t.Title), summary: oneLine(t.Summary)})
	}
	tops[0].start = 0
	// The first topic may now swallow starts that were close to it.
	for len(tops) > 1 && r.tooClose(0, tops[1].start) {
		tops = slices.Delete(tops, 1, 2)
	}
	return tops, nil
}

// tooClose reports whether a topic starting at unit b is too short a
// step after one starting at unit a.
func (r *run) tooClose(a, b int) bool {
	if b <= a {
		return true
	}
	if r.units[a].Start != nil {
		return *r.units[b].Start-*r.units[a].Start < minTopicSeconds
	}
	return b-a < 2
}

// ground returns the unit a key point is grounded in: the unit it names
// when enough of the point's words are in it, else a neighbouring unit
// that matches (models are often one off), else -1.
func (r *run) ground(text string, u int) int {
	n := len(r.units)
	if u < 0 || u >= n {
		return -1
	}
	words := r.pointStems(text)
	if len(words) == 0 {
		return -1
	}
	best, bestScore := -1, 0.0
	for _, c := range [3]int{u, u - 1, u + 1} {
		if c < 0 || c >= n {
			continue
		}
		s := overlap(words, r.unitStems(c))
		if c == u && s >= groundThreshold {
			return u
		}
		if s > bestScore {
			best, bestScore = c, s
		}
	}
	if bestScore >= groundThreshold {
		return best
	}
	return -1
}

// pointStems are the stems of a text's content words; a text of stop
// words only gives all its stems.
func (r *run) pointStems(text string) []string {
	r.toks = tokenize(text, r.toks[:0])
	var out, all []string
	for _, t := range r.toks {
		all = append(all, t.stem)
		if !t.stop {
			out = append(out, t.stem)
		}
	}
	if len(out) == 0 {
		return all
	}
	return out
}

// unitStems is the set of a unit's stems and their five-letter
// prefixes, computed once per unit.
func (r *run) unitStems(i int) map[string]bool {
	if r.stems == nil {
		r.stems = make(map[int]map[string]bool)
	}
	if s, ok := r.stems[i]; ok {
		return s
	}
	r.toks = tokenize(r.units[i].Text, r.toks[:0])
	s := make(map[string]bool, 2*len(r.toks))
	for _, t := range r.toks {
		s[t.stem] = true
		if p := prefix5(t.stem); p != "" {
			s["~"+p] = true
		}
	}
	r.stems[i] = s
	return s
}

// overlap is the share of words found in set, by stem or by a shared
// five-letter prefix ("blockchain" meets "blocks" only by stem).
func overlap(words []string, set map[string]bool) float64 {
	hit := 0
	for _, w := range words {
		if set[w] {
			hit++
			continue
		}
		if p := prefix5(w); p != "" && set["~"+p] {
			hit++
		}
	}
	return float64(hit) / float64(len(words))
}

func prefix5(s string) string {
	if len(s) < 6 || !isASCII(s) {
		return ""
	}
	return s[:5]
}

// cleanKeywords trims, de-duplicates (ignoring case) and caps keywords.
func cleanKeywords(in []string) []string {
	out := []string{}
	seen := make(map[string]bool)
	for _, k := range in {
		k = strings.Trim(oneLine(k), " .,;:\"'")
		key := strings.ToLower(k)
		if k == "" || len(k) > 60 || seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, k)
		if len(out) == maxKeywords {
			break
		}
	}
	return out
}

// firstWords returns up to n words of s, with an ellipsis when cut.
func firstWords(s string, n int) string {
	f := strings.Fields(s)
	if len(f) <= n {
		return strings.Join(f, " ")
	}
	return strings.Join(f[:n], " ") + "…"
}
