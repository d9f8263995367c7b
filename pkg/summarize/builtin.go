package summarize

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/recap-startos/recap/pkg/recap"
)

// The builtin engine.
//
// Summarize runs five steps, each in its own file:
//
//  1. units.go: the transcript is re-cut into sentence-like units;
//  2. analysis.go: units are tokenized, fillers and sponsor reads flagged,
//     terms interned and weighted;
//  3. segment.go: units are grouped into topics, or creator chapters are
//     mapped onto them;
//  4. keyphrase.go: keywords for the recap and a title per topic;
//  5. extract.go: a summary and key points per topic and for the recap.
//
// Everything is a pure function of the transcript: the same input gives
// byte-identical output (apart from Stats.ElapsedMS).

// builtin is the engine that needs nothing but the transcript.
type builtin struct{}

var _ Engine = builtin{}

// NewBuiltin returns the builtin engine: pure Go, deterministic and
// offline.
func NewBuiltin() Engine { return builtin{} }

// Name returns "builtin".
func (builtin) Name() string { return recap.EngineBuiltin }

// Summarize makes a recap document from a normalized transcript. It
// returns recap.ErrEmptyTranscript (wrapped) when there is no text.
func (builtin) Summarize(ctx context.Context, t *recap.Transcript, p Progress) (*recap.Document, error) {
	began := time.Now()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("builtin: %w", err)
	}
	p.report("segmenting", 0, "cutting the transcript into sentences")
	cu := cutUnits(t)
	units := cu.units
	if len(units) == 0 {
		return nil, fmt.Errorf("builtin: %w", recap.ErrEmptyTranscript)
	}
	a := analyze(units)
	a.markPartial(cu.partial)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("builtin: %w", err)
	}
	p.report("segmenting", 0.1, "finding topics")
	starts, titles, err := findTopics(ctx, a, t.Chapters, p)
	if err != nil {
		return nil, fmt.Errorf("builtin: %w", err)
	}
	p.report("summarizing", 0.5, fmt.Sprintf("summarizing %d topics", len(starts)))

	doc := &recap.Document{
		Engine:     recap.Engine{Name: recap.EngineBuiltin},
		Transcript: units,
		Chapters:   append([]recap.Chapter(nil), t.Chapters...),
	}
	x := collectPhrases(a)
	x.subject = subjectStems(t.Source.Title)
	x.starts = starts
	totalTerms := 0
	for _, terms := range a.terms {
		totalTerms += len(terms)
	}
	taken := make(map[string]bool)
	topicUnits := make([][]int, len(starts)) // best units of each topic
	topicScores := make([][]float64, len(starts))
	for k, s := range starts {
		if k%8 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("builtin: %w", err)
			}
		}
		e := len(units) - 1
		if k+1 < len(starts) {
			e = starts[k+1] - 1
		}
		title := titles[k]
		if title == "" {
			title = capitalize(introTitle(a, s, e, x.topicTitle(a, s, e, totalTerms, taken)))
		}
		if title == "" {
			title = fallbackTitle(a, s, e, k)
		}
		var topic recap.Topic
		topic, topicUnits[k], topicScores[k] = a.summarizeTopic(s, e, title)
		doc.Topics = append(doc.Topics, topic)
		p.report("summarizing", 0.5+0.45*float64(k+1)/float64(len(starts)), fmt.Sprintf("summarized topic %d of %d", k+1, len(starts)))
	}
	doc.Keywords = x.keywords(starts, len(units), 8)
	if doc.Keywords == nil {
		doc.Keywords = []string{}
	}
	doc.Summary = a.recapSummary(starts, topicUnits, topicScores)
	doc.Title = t.Source.Title
	if strings.TrimSpace(doc.Title) == "" {
		doc.Title = recapTitle(doc.Keywords, doc.Topics)
	}
	if doc.Title == "" {
		doc.Title = fallbackTitle(a, 0, len(units)-1, 0)
	}
	doc.Stats = recap.Stats{Words: t.Words(), Units: len(units), ElapsedMS: time.Since(began).Milliseconds()}
	p.report("summarizing", 1, "recap ready")
	return doc, nil
}

// findTopics returns the first unit of every topic: the creator's
// chapters with their titles when the transcript has them, else the
// segmenter's topics with empty titles.
func findTopics(ctx context.Context, a *analysis, chapters []recap.Chapter, p Progress) ([]int, []string, error) {
	if starts, titles := chapterStarts(a.units, chapters); starts != nil {
		return starts, titles, nil
	}
	starts, err := segmentAnalysis(ctx, a, func(f float64) {
		p.report("segmenting", 0.1+0.4*f, "finding topics")
	})
	if err != nil {
		return nil, nil, err
	}
	return starts, make([]string, len(starts)), nil
}

// summarizeTopic writes the topic of units [s, e] titled title: its
// times, its summary and its key points, never the same sentence twice.
// It also returns the topic's candidate units and their scores, from
// which the recap's own summary is chosen.
func (a *analysis) summarizeTopic(s, e int, title string) (recap.Topic, []int, []float64) {
	topic := recap.Topic{StartUnit: s, EndUnit: e, Title: title, Segments: []recap.Segment{}}
	topic.Start, topic.End = recap.TopicTimes(a.units, s, e)
	cands := a.candidates(s, e)
	scores := a.rank(cands, s, e)
	words := 0
	for i := s; i <= e; i++ {
		words += a.words[i]
	}
	n := summaryLength(words)
	if len(cands) >= 2 && n >= len(cands) {
		n = len(cands) - 1 // a short topic (a creator's chapter) keeps a key point of its own
	}
	summary := a.mmr(cands, scores, n, nil)
	topic.Summary = a.joinSentences(summary)
	exclude := make(map[int]bool, len(summary))
	for _, i := range summary {
		exclude[i] = true
	}
	keys := a.mmr(cands, scores, keyPointCount(words), exclude)
	if len(keys) == 0 {
		keys = summary
	}
	for _, i := range keys {
		text := a.keyPoint(i, e, exclude)
		topic.Segments = append(topic.Segments, recap.Segment{Start: a.units[i].Start, Unit: i, Text: text})
	}
	return topic, cands, scores
}

// summaryLength is how many sentences summarize a topic of so many words:
// two, or three from 700 words on.
func summaryLength(words int) int {
	if words < 700 {
		return 2
	}
	return 3
}

// keyPointCount is how many key points a topic of so many words gets:
// one, plus one per 300 words, at most five.
func keyPointCount(words int) int {
	return min(5, 1+words/300)
}

// recapSummary picks two sentences for the whole recap, three from 800
// words on, from the best units of different topics.
func (a *analysis) recapSummary(starts []int, topicUnits [][]int, topicScores [][]float64) string {
	words := 0
	for _, w := range a.words {
		words += w
	}
	want := 2
	if words >= 800 {
		want = 3
	}
	// Each topic offers its two best units; the topic's share of the
	// transcript and the unit's similarity to the whole transcript weigh
	// them, so long topics and the main thread speak first.
	whole := a.centroid(0, len(a.units)-1)
	var cands []int
	var scores []float64
	for k, units := range topicUnits {
		order := make([]int, len(units))
		for x := range order {
			order[x] = x
		}
		sc := topicScores[k]
		sort.SliceStable(order, func(x, y int) bool { return sc[order[x]] > sc[order[y]] })
		e := len(a.units) - 1
		if k+1 < len(starts) {
			e = starts[k+1] - 1
		}
		share := float64(e-starts[k]+1) / float64(len(a.units))
		for _, x := range order[:min(2, len(order))] {
			cands = append(cands, units[x])
			scores = append(scores, sc[x]*(0.5+share)*(0.2+dot(whole, a.vecs[units[x]])))
		}
	}
	picked := a.mmr(cands, scores, want, nil)
	if len(picked) == 0 {
		return ""
	}
	return a.joinSentences(picked)
}

// chapterStarts maps creator chapters onto units: each chapter starts at
// the first unit at or after its time. Chapters past the end are dropped;
// of chapters that land on the same unit the last wins; a lead-in before
// the first chapter joins it unless it lasts 30 seconds or more, when it
// becomes a topic of its own (with an empty title). It returns nil
// without chapters or times.
func chapterStarts(units []recap.Unit, chapters []recap.Chapter) ([]int, []string) {
	if len(units) == 0 || units[0].Start == nil || len(chapters) == 0 {
		return nil, nil
	}
	n := len(units)
	var starts []int
	var titles []string
	for _, c := range chapters {
		i := sort.Search(n, func(i int) bool { return *units[i].Start >= c.Start })
		if i == n {
			continue
		}
		if len(starts) > 0 && starts[len(starts)-1] == i {
			titles[len(titles)-1] = c.Title
			continue
		}
		starts = append(starts, i)
		titles = append(titles, c.Title)
	}
	if len(starts) == 0 {
		return nil, nil
	}
	if starts[0] > 0 {
		if *units[starts[0]].Start-*units[0].Start >= 30 {
			starts = append([]int{0}, starts...)
			titles = append([]string{""}, titles...)
		} else {
			starts[0] = 0
		}
	}
	for k := range titles {
		titles[k] = strings.TrimSpace(titles[k])
	}
	return starts, titles
}

// fallbackTitle names a topic that has no keyphrase: the first words of
// its first content unit, or "Part N".
func fallbackTitle(a *analysis, from, to, k int) string {
	for i := from; i <= to; i++ {
		if !a.content(i) {
			continue
		}
		words := strings.Fields(a.units[i].Text[leadingFiller(a.units[i].Text):])
		if len(words) > 6 {
			words = append(words[:6], "…")
		}
		title := strings.TrimRight(strings.Join(words, " "), " ,.;:!?")
		if strings.TrimSpace(title) != "" {
			return capitalize(title)
		}
	}
	return fmt.Sprintf("Part %d", k+1)
}

// subjectStems are the content stems of a source's title.
func subjectStems(title string) map[string]bool {
	out := make(map[string]bool)
	for _, t := range tokenize(title, nil) {
		if !t.stop {
			out[t.stem] = true
		}
	}
	return out
}
