package summarize

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/recap-startos/recap/pkg/recap"
)

// Recap quality.
//
// EvaluateQuality recaps a reference talk with the builtin engine, the
// same path as `recap summarize` without creator chapters, and measures
// how its text reads and where its topics fall:
//
//   - fragments: key points and summary sentences that are not whole
//     sentences: under four words, starting with a lower-case letter
//     (mid-sentence), without a final '.', '?' or '!', or ending on a word
//     that cannot end an English sentence ("and", "the", "very", "I");
//   - weak titles: topic titles of one word, or two single words joined
//     by "and" ("Mistakes and pull");
//   - title ROUGE-1: F1 of the content-word stems of each topic title
//     against the human heading of the reference section it overlaps
//     most;
//   - repeated times: key points whose timestamp equals that of another
//     key point of the same topic;
//   - Pk and WindowDiff of the topics against the reference sections.

// Quality is what EvaluateQuality measured on one talk, or the sum over
// several (see Total).
type Quality struct {
	Name string
	Seg  Score // segmentation against the reference sections
	// Sentences are the key points and summary sentences examined;
	// Fragments those of them that are not whole sentences.
	Sentences, Fragments int
	// Titles are the topic titles; WeakTitles those that are one word or
	// two single words joined by "and".
	Titles, WeakTitles int
	// RougeSum is the sum of title ROUGE-1 F1 over the RougeTitles topics
	// whose best-overlapping reference section has a heading.
	RougeSum    float64
	RougeTitles int
	// KeyPoints are all key points; RepeatedTimes those sharing their
	// timestamp with another key point of the same topic.
	KeyPoints, RepeatedTimes int
	// Examples holds a few fragments and weak titles, for people.
	Examples []string
}

// FragmentRate is Fragments / Sentences.
func (q Quality) FragmentRate() float64 { return ratio(q.Fragments, q.Sentences) }

// WeakTitleRate is WeakTitles / Titles.
func (q Quality) WeakTitleRate() float64 { return ratio(q.WeakTitles, q.Titles) }

// TitleRouge is the mean title ROUGE-1 F1.
func (q Quality) TitleRouge() float64 {
	if q.RougeTitles == 0 {
		return 0
	}
	return q.RougeSum / float64(q.RougeTitles)
}

// RepeatedTimeRate is RepeatedTimes / KeyPoints.
func (q Quality) RepeatedTimeRate() float64 { return ratio(q.RepeatedTimes, q.KeyPoints) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Total adds up qualities (counts are pooled, so long talks weigh more)
// and averages their segmentation scores (each talk counts once).
func Total(name string, qs []Quality) Quality {
	t := Quality{Name: name}
	segs := make([]Score, 0, len(qs))
	for _, q := range qs {
		t.Sentences += q.Sentences
		t.Fragments += q.Fragments
		t.Titles += q.Titles
		t.WeakTitles += q.WeakTitles
		t.RougeSum += q.RougeSum
		t.RougeTitles += q.RougeTitles
		t.KeyPoints += q.KeyPoints
		t.RepeatedTimes += q.RepeatedTimes
		segs = append(segs, q.Seg)
	}
	t.Seg = Mean(name, segs)
	return t
}

// EvaluateQuality recaps tr, a talk as Recap's own parser reads it with
// its headings removed, with the builtin engine, and measures the result
// (see Quality) against ref, the same talk loaded by LoadTalk: its
// sections' start times are the reference boundaries and its headings
// the titles' references. Creator chapters are ignored.
func EvaluateQuality(ctx context.Context, ref *Reference, tr *recap.Transcript) (Quality, error) {
	in := *tr
	in.Units = append([]recap.Unit(nil), tr.Units...)
	in.Chapters = nil
	doc, err := NewBuiltin().Summarize(ctx, &in, nil)
	if err != nil {
		return Quality{}, fmt.Errorf("quality %s: %w", ref.Name, err)
	}
	q := Quality{Name: ref.Name}
	refStarts := ref.startsIn(doc.Transcript)
	q.Seg = scoreTopics(ref.Name, doc, refStarts)
	for _, t := range doc.Topics {
		q.Titles++
		if weakTitle(t.Title) {
			q.WeakTitles++
			q.example("weak title: " + t.Title)
		}
		if h := bestSection(refStarts, len(doc.Transcript), t.StartUnit, t.EndUnit); h >= 0 && h < len(ref.Titles) && strings.TrimSpace(ref.Titles[h]) != "" {
			q.RougeSum += Rouge1(t.Title, ref.Titles[h])
			q.RougeTitles++
		}
		times := make(map[float64]int)
		for _, s := range t.Segments {
			q.KeyPoints++
			if s.Start != nil {
				times[*s.Start]++
			}
			q.count(s.Text)
		}
		for _, s := range t.Segments {
			if s.Start != nil && times[*s.Start] > 1 {
				q.RepeatedTimes++
			}
		}
		for _, s := range SplitSentences(t.Summary) {
			q.count(s)
		}
	}
	for _, s := range SplitSentences(doc.Summary) {
		q.count(s)
	}
	return q, nil
}

// startsIn maps the reference's section starts onto units by time: a
// section starts at the first unit that starts at or after the section's
// first cue, less a second of slack.
func (ref *Reference) startsIn(units []recap.Unit) []int {
	var starts []int
	for _, s := range ref.Starts {
		if s >= len(ref.Transcript.Units) || ref.Transcript.Units[s].Start == nil || len(units) == 0 || units[0].Start == nil {
			continue
		}
		at := *ref.Transcript.Units[s].Start - 1
		i := sort.Search(len(units), func(i int) bool { return *units[i].Start >= at })
		starts = append(starts, min(i, len(units)-1))
	}
	return normalizeStarts(starts, len(units))
}

// scoreTopics scores the topics of doc against reference starts over its
// units, as Evaluate does.
func scoreTopics(name string, doc *recap.Document, refStarts []int) Score {
	hyp := make([]int, len(doc.Topics))
	for k, t := range doc.Topics {
		hyp[k] = t.StartUnit
	}
	a := &analysis{units: doc.Transcript, timed: len(doc.Transcript) > 0 && doc.Transcript[0].Start != nil}
	return scoreStarts(name, a, refStarts, hyp)
}

func (q *Quality) count(sentence string) {
	q.Sentences++
	if Fragment(sentence) {
		q.Fragments++
		q.example("fragment: " + sentence)
	}
}

func (q *Quality) example(s string) {
	if len(q.Examples) < 12 {
		q.Examples = append(q.Examples, s)
	}
}

// bestSection is the reference section (index into starts) that shares
// the most units with [from, to].
func bestSection(starts []int, n, from, to int) int {
	best, bestN := -1, 0
	for k, s := range starts {
		e := n - 1
		if k+1 < len(starts) {
			e = starts[k+1] - 1
		}
		overlap := min(e, to) - max(s, from) + 1
		if overlap > bestN {
			best, bestN = k, overlap
		}
	}
	return best
}

// danglingEnds are words on which no English sentence ends.
var danglingEnds = makeSet(`a an the and or but nor very
i we they he she my your our their its because if whose than`)

// Fragment reports whether s is not a whole sentence: under four words,
// starting with a lower-case letter, without a final '.', '?' or '!', or
// ending on a word no sentence ends on.
func Fragment(s string) bool {
	words := strings.Fields(s)
	if len(words) < 4 {
		return true
	}
	first := strings.TrimLeftFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if r, _ := utf8.DecodeRuneInString(first); unicode.IsLower(r) {
		return true
	}
	end := strings.TrimRight(s, "\"')]”’» ")
	last, _ := utf8.DecodeLastRuneInString(end)
	if !strings.ContainsRune(".?!…", last) {
		return true
	}
	lastWord := strings.ToLower(strings.TrimRightFunc(words[len(words)-1], func(r rune) bool { return !unicode.IsLetter(r) }))
	_, dangling := danglingEnds[lastWord]
	return dangling
}

var andPair = regexp.MustCompile(`^\S+ and \S+$`)

// weakTitle reports whether a title is one word or two single keywords
// joined by "and" ("Mistakes and pull").
func weakTitle(t string) bool {
	return len(strings.Fields(t)) < 2 || andPair.MatchString(strings.ToLower(t))
}

// Rouge1 is the ROUGE-1 F1 of the content-word stems of a against b.
func Rouge1(a, b string) float64 {
	return rougeStems(contentStems(a), contentStems(b))
}

// rougeStems is the ROUGE-1 F1 of stems x against stems y.
func rougeStems(x, y []string) float64 {
	if len(x) == 0 || len(y) == 0 {
		return 0
	}
	// Each stem of y matches at most one of x. Titles and headings are
	// short, so pairs are compared directly; a heading of more than 64
	// stems matches only on its first 64.
	var used uint64
	match := 0
	for _, s := range x {
		for j, t := range y[:min(len(y), 64)] {
			if used&(1<<j) == 0 && s == t {
				used |= 1 << j
				match++
				break
			}
		}
	}
	if match == 0 {
		return 0
	}
	p := float64(match) / float64(len(x))
	r := float64(match) / float64(len(y))
	return 2 * p * r / (p + r)
}

func contentStems(s string) []string {
	var out []string
	for _, t := range tokenize(s, nil) {
		if !t.stop {
			out = append(out, t.stem)
		}
	}
	return out
}

// SplitSentences cuts text at sentence ends as the engine does when it
// cuts units.
func SplitSentences(text string) []string {
	words := strings.Fields(text)
	var out []string
	start := 0
	for i, w := range words {
		if endsSentence(w, words, i) {
			out = append(out, strings.Join(words[start:i+1], " "))
			start = i + 1
		}
	}
	if start < len(words) {
		out = append(out, strings.Join(words[start:], " "))
	}
	return out
}
