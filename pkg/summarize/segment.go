package summarize

import (
	"context"
	"math"
	"slices"
	"strings"

	"github.com/recap-startos/recap/pkg/recap"
)

// Topic segmentation.
//
// A transcript is cut into topics by exact dynamic programming over unit
// boundaries. A candidate topic costs the description length of its
// content words under its own smoothed unigram model: a topic whose words
// repeat each other (lexical cohesion) is cheap, a topic that mixes two
// vocabularies is dear. Each topic also pays a fixed price, which is what
// lets the segmenter choose the number of topics itself, and a soft length
// prior around a target topic length: several minutes for timed talks, a
// number of units for untimed text. Pauses and discourse markers ("moving
// on", "let's talk about") at a unit's start lower the price of a topic
// starting there. Topics are bounded in length, so the work is linear in
// the number of units times the longest topic, never quadratic in the
// whole transcript.

// segParams tune the segmenter.
type segParams struct {
	penalty float64 // price of one topic, in multiples of ln(total terms)
	prior   float64 // weight of the squared log-ratio of topic length to target
	bonus   float64 // reduction of a topic's price for a boundary cue
}

var defaultSegParams = segParams{penalty: 1.0, prior: 0.3, bonus: 3.0}

// segLimits are the length bounds of a topic, in seconds for timed
// transcripts and in units otherwise.
type segLimits struct {
	target, min, max float64
}

// SegmentUnits splits units into topics and returns the index of the first
// unit of each topic; the first is always 0. It uses the units as they
// are (no re-cutting) and ignores chapters.
func SegmentUnits(units []recap.Unit) []int {
	if len(units) == 0 {
		return nil
	}
	starts, _ := segmentAnalysis(context.Background(), analyze(units), nil)
	return starts
}

// limitsFor picks topic lengths. Timed: about 1.5·√minutes topics, so a
// 30-minute talk gets about 8 and a 2-hour talk about 16, with topics of
// one to twelve minutes on target and never longer than 30 minutes, which
// keeps the work linear in the length of the talk. Untimed text applies
// the same rule counting a unit as about five seconds of speech.
func limitsFor(a *analysis) segLimits {
	n := len(a.units)
	if a.timed {
		total := a.span(0, n-1)
		k := math.Max(1, 1.5*math.Sqrt(total/60))
		target := min(max(total/k, 60), 720)
		return segLimits{target: target, min: math.Min(target/4, 90), max: max(min(target*3, 1800), 600)}
	}
	k := math.Max(1, 1.5*math.Sqrt(float64(n)/12))
	target := math.Max(5, float64(n)/k)
	return segLimits{target: target, min: 2, max: math.Max(target*6, 30)}
}

// span is the length of units [i, j]: seconds from the first start to the
// next unit's start (or the last end), or the unit count without times.
func (a *analysis) span(i, j int) float64 {
	if !a.timed {
		return float64(j - i + 1)
	}
	var end float64
	if j+1 < len(a.units) {
		end = *a.units[j+1].Start
	} else {
		end = *a.units[j].End
	}
	return math.Max(end-*a.units[i].Start, 0)
}

// boundaryCues scores how much each unit looks like the start of a new
// topic: a long pause before it, or a discourse marker at its start.
func boundaryCues(a *analysis) []float64 {
	cues := make([]float64, len(a.units))
	for i := 1; i < len(a.units); i++ {
		if hasPrefixAny(lowerPrefix(a.units[i].Text, longestCue), discourseCues) {
			cues[i] += 1
		}
		if a.timed {
			gap := *a.units[i].Start - *a.units[i-1].End
			if gap >= 2 {
				cues[i] += math.Min(gap/4, 1)
			}
		}
	}
	return cues
}

// longestCue is the length in bytes of the longest discourse cue.
var longestCue = func() int {
	n := 0
	for _, c := range discourseCues {
		n = max(n, len(c))
	}
	return n
}()

// lowerPrefix lower-cases the first n bytes of text, enough to match
// prefixes of up to n bytes of ASCII.
func lowerPrefix(text string, n int) string {
	if len(text) > n {
		text = text[:n]
	}
	return strings.ToLower(text)
}

// turnBonus is the boundary cue of a unit that starts a speaker's turn
// (see turnStarts), in the units of boundaryCues.
const turnBonus = 0.3

// turnStarts returns, for a transcript that names its speakers and
// changes speaker often enough, which units start a speaker's turn, where
// topics of interviews and panels usually start (with a question). It
// returns nil for a monologue or a transcript without speakers. A turn
// start is a soft cue (turnBonus), not a rule: on the development set a
// rule that topics start only at turns helped interviews and hurt the
// reference talks and meetings.
func turnStarts(a *analysis, lim segLimits) []bool {
	n := len(a.units)
	if n == 0 || a.units[0].Speaker == "" {
		return nil
	}
	turns := make([]bool, n)
	turns[0] = true
	count := 0
	for i := 1; i < n; i++ {
		if a.units[i].Speaker != a.units[i-1].Speaker {
			turns[i] = true
			count++
		}
	}
	// Enough turns that every topic of the target length has a few.
	topics := a.span(0, n-1) / lim.target
	if float64(count) < 4*topics {
		return nil
	}
	return turns
}

// segmentAnalysis returns topic starts for an analysed transcript, and
// ctx.Err() when cancelled. progress, when set, receives the fraction done.
func segmentAnalysis(ctx context.Context, a *analysis, progress func(float64)) ([]int, error) {
	return segmentWith(ctx, a, limitsFor(a), defaultSegParams, progress)
}

func segmentWith(ctx context.Context, a *analysis, lim segLimits, p segParams, progress func(float64)) ([]int, error) {
	n := len(a.units)
	if n <= 1 {
		return []int{0}, nil
	}
	cues := boundaryCues(a)
	if turns := turnStarts(a, lim); turns != nil {
		for i, t := range turns {
			if t {
				cues[i] += turnBonus
			}
		}
	}
	return segmentCues(ctx, a, lim, p, cues, progress)
}

// segmentCues is the dynamic programme of segmentWith over given boundary
// cues.
func segmentCues(ctx context.Context, a *analysis, lim segLimits, p segParams, cues []float64, progress func(float64)) ([]int, error) {
	n := len(a.units)
	dp := newTopicDP(a, lim, p, cues)
	for i := 0; i < n; i++ {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if progress != nil {
				progress(float64(i) / float64(n))
			}
		}
		if !math.IsInf(dp.best[i], 1) {
			dp.extend(i)
		}
	}
	if math.IsInf(dp.best[n], 1) {
		if lim.min == 0 && math.IsInf(lim.max, 1) {
			return []int{0}, nil
		}
		// The bounds admit no segmentation (a few very long units):
		// relax them.
		return segmentCues(ctx, a, segLimits{target: lim.target, min: 0, max: math.Inf(1)}, p, cues, progress)
	}
	return dp.starts(), nil
}

// topicDP is the state of segmentCues: best[j] is the least cost of
// units [0, j) cut into topics, back[j] the start of the last of them.
type topicDP struct {
	a          *analysis
	lim        segLimits
	p          segParams
	cues       []float64
	vocab      float64
	topicPrice float64
	best       []float64
	back       []int
	counts     []int32   // term counts of the topic being extended
	logs       []float64 // logs[w] = ln(w + vocab + 1)
	// bounds[k] is where unit k starts (seconds, or k untimed) and
	// bounds[n] where the last ends, so a.span(i, j) is
	// max(bounds[j+1]-bounds[i], 0) without a branch per candidate.
	bounds []float64
}

func newTopicDP(a *analysis, lim segLimits, p segParams, cues []float64) *topicDP {
	n := len(a.units)
	total := 0
	for _, t := range a.terms {
		total += len(t)
	}
	dp := &topicDP{
		a: a, lim: lim, p: p, cues: cues,
		vocab:      float64(len(a.stems)),
		topicPrice: p.penalty * math.Log(float64(total)+2),
		best:       make([]float64, n+1),
		back:       make([]int, n+1),
		counts:     make([]int32, len(a.stems)),
		logs:       make([]float64, 0, 4096),
	}
	for i := range dp.best {
		dp.best[i] = math.Inf(1)
	}
	dp.best[0] = 0
	dp.bounds = make([]float64, n+1)
	for k := range n {
		dp.bounds[k] = float64(k)
		if a.timed {
			dp.bounds[k] = *a.units[k].Start
		}
	}
	dp.bounds[n] = float64(n)
	if a.timed && n > 0 {
		dp.bounds[n] = *a.units[n-1].End
	}
	return dp
}

// extend prices every topic that starts at unit i, up to the longest
// allowed, and keeps the cheaper ways to reach its end.
func (dp *topicDP) extend(i int) {
	a, lim, n := dp.a, dp.lim, len(dp.a.units)
	start := dp.best[i] + dp.topicPrice - dp.p.bonus*dp.cues[i]
	s, words := 0.0, 0
	j := i
	for ; j < n; j++ {
		for _, id := range a.terms[j] {
			c := dp.counts[id]
			s += xlog(c+1) - xlog(c)
			dp.counts[id] = c + 1
		}
		words += len(a.terms[j])
		length := max(dp.bounds[j+1]-dp.bounds[i], 0)
		if length > lim.max && j > i {
			j++
			break
		}
		if length < lim.min && !(i == 0 && j == n-1) {
			continue
		}
		for len(dp.logs) <= words {
			dp.logs = append(dp.logs, math.Log(float64(len(dp.logs))+dp.vocab+1))
		}
		cost := start - s + float64(words)*dp.logs[words]
		if cost >= dp.best[j+1] {
			continue // the length prior only adds: this cannot be cheaper
		}
		if lim.target > 0 && length > 0 {
			r := math.Log(length / lim.target)
			cost += dp.p.prior * r * r
		}
		if cost < dp.best[j+1] {
			dp.best[j+1] = cost
			dp.back[j+1] = i
		}
	}
	for k := i; k < j && k < n; k++ {
		for _, id := range a.terms[k] {
			dp.counts[id] = 0
		}
	}
}

// starts follows back from the end: the first unit of every topic.
func (dp *topicDP) starts() []int {
	var starts []int
	for j := len(dp.a.units); j > 0; j = dp.back[j] {
		starts = append(starts, dp.back[j])
	}
	slices.Reverse(starts)
	return starts
}

// xlog is c·ln(c+1), the count term of a smoothed unigram description
// length, from a table for small counts.
func xlog(c int32) float64 {
	if int(c) < len(xlogTable) {
		return xlogTable[c]
	}
	return float64(c) * math.Log(float64(c)+1)
}

var xlogTable = func() []float64 {
	t := make([]float64, 4096)
	for c := range t {
		t[c] = float64(c) * math.Log(float64(c)+1)
	}
	return t
}()
