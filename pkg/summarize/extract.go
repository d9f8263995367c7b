package summarize

import (
	"math"
	"sort"
	"strings"
	"unicode/utf8"
)

// Extractive selection.
//
// Units are ranked by LexRank-style centrality: a graph whose edges are
// the TF-IDF cosine similarities between units of the same topic (only
// between units at most centralityWindow candidates apart, so long topics
// stay linear), scored by power iteration with damping 0.85. The score is
// shaped by a mild position prior (a topic's opening states its subject),
// a preference for sentences of 8 to 40 words, and a discount for
// questions. Sentences are then picked by maximal marginal relevance so
// that they do not repeat each other, and kept verbatim in transcript
// order. Fillers, backchannels and sponsor reads are never candidates.

const (
	centralityWindow = 120  // neighbours on each side in the similarity graph
	damping          = 0.85 // LexRank damping factor
	mmrLambda        = 0.7  // weight of relevance against redundancy
	minEdge          = 0.05 // similarities below this are no edge
)

// candidates returns the units of [from, to] that may be quoted.
func (a *analysis) candidates(from, to int) []int {
	var c []int
	for i := from; i <= to; i++ {
		if a.content(i) && len(a.terms[i]) > 0 && a.flags[i]&flagPartial == 0 {
			c = append(c, i)
		}
	}
	if len(c) > 0 {
		return c
	}
	// A topic of nothing but cut sentences still gets its best pieces.
	for i := from; i <= to; i++ {
		if a.content(i) && len(a.terms[i]) > 0 {
			c = append(c, i)
		}
	}
	return c
}

// keyPoint is the text of the key point at unit i of a topic ending at
// unit end: the unit without its leading fillers and with a capital, and,
// when it is short, the next unit too if that is a whole sentence of the
// same speaker inside the topic and not in exclude. The text stays
// verbatim: it is found in the transcript from unit i on, but for the
// case of its first letter (see recap.Grounded).
func (a *analysis) keyPoint(i, end int, exclude map[int]bool) string {
	text := capitalize(a.units[i].Text[leadingFiller(a.units[i].Text):])
	j := i + 1
	if a.words[i] < shortPoint && j <= end && !exclude[j] && a.content(j) &&
		a.flags[j]&(flagPartial|flagQuestion) == 0 && a.units[j].Speaker == a.units[i].Speaker && a.words[j] <= 30 {
		text += " " + a.units[j].Text
	}
	return text
}

// shortPoint is the number of words under which a key point takes the
// next sentence too.
const shortPoint = 9

// simEdge is an edge of the similarity graph of candidate sentences.
type simEdge struct {
	to int
	w  float64
}

// similarityGraph links candidates within centralityWindow of each other
// whose TF-IDF vectors are at least minEdge alike.
func (a *analysis) similarityGraph(cands []int) [][]simEdge {
	n := len(cands)
	adj := make([][]simEdge, n)
	for x := 0; x < n; x++ {
		for y := x + 1; y < n && y <= x+centralityWindow; y++ {
			w := dot(a.vecs[cands[x]], a.vecs[cands[y]])
			if w < minEdge {
				continue
			}
			adj[x] = append(adj[x], simEdge{y, w})
			adj[y] = append(adj[y], simEdge{x, w})
		}
	}
	return adj
}

// pageRank is the stationary distribution of a damped random walk on
// the weighted graph adj, after at most 50 steps.
func pageRank(adj [][]simEdge) []float64 {
	n := len(adj)
	deg := make([]float64, n)
	for x, edges := range adj {
		for _, e := range edges {
			deg[x] += e.w
		}
	}
	cur := make([]float64, n)
	next := make([]float64, n)
	for i := range cur {
		cur[i] = 1 / float64(n)
	}
	for iter := 0; iter < 50; iter++ {
		for i := range next {
			next[i] = (1 - damping) / float64(n)
		}
		dangling := 0.0
		for x := 0; x < n; x++ {
			if deg[x] == 0 {
				dangling += cur[x]
				continue
			}
			for _, e := range adj[x] {
				next[e.to] += damping * cur[x] * e.w / deg[x]
			}
		}
		delta := 0.0
		for i := range next {
			next[i] += damping * dangling / float64(n)
			delta += math.Abs(next[i] - cur[i])
		}
		cur, next = next, cur
		if delta < 1e-4 {
			break
		}
	}
	return cur
}

// rank scores the candidate units (indexes into a.units) of one topic.
func (a *analysis) rank(cands []int, from, to int) []float64 {
	n := len(cands)
	scores := make([]float64, n)
	if n == 0 {
		return scores
	}
	cur := pageRank(a.similarityGraph(cands))
	span := float64(to - from + 1)
	for k, i := range cands {
		pos := float64(i-from) / span
		prior := 1 + 0.25*(1-pos) + 0.1*pos*pos
		s := cur[k] * float64(n) * prior * lengthPreference(a.words[i])
		if a.flags[i]&flagQuestion != 0 {
			s *= 0.6
		}
		scores[k] = s
	}
	return scores
}

func lengthPreference(words int) float64 {
	switch {
	case words < 5:
		return 0.3
	case words < 8:
		return 0.7
	case words <= 40:
		return 1
	default:
		return math.Max(0.5, 40/float64(words))
	}
}

// mmr picks up to k of the candidates by maximal marginal relevance,
// skipping units in exclude, and returns them in transcript order.
func (a *analysis) mmr(cands []int, scores []float64, k int, exclude map[int]bool) []int {
	top := 0.0
	for _, s := range scores {
		top = math.Max(top, s)
	}
	if top == 0 {
		top = 1
	}
	var picked []int
	used := make([]bool, len(cands))
	for len(picked) < k {
		best, bestScore := -1, math.Inf(-1)
		for x, i := range cands {
			if used[x] || exclude[i] {
				continue
			}
			red := 0.0
			for _, j := range picked {
				red = math.Max(red, dot(a.vecs[i], a.vecs[j]))
			}
			s := mmrLambda*scores[x]/top - (1-mmrLambda)*red
			if s > bestScore {
				best, bestScore = x, s
			}
		}
		if best < 0 {
			break
		}
		used[best] = true
		picked = append(picked, cands[best])
	}
	sort.Ints(picked)
	return picked
}

// joinSentences joins unit texts into a summary, ending each with
// punctuation and starting each with a capital.
func (a *analysis) joinSentences(units []int) string {
	var b strings.Builder
	for _, i := range units {
		text := tidySentence(a.units[i].Text)
		if text == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(capitalize(text))
		if last, _ := utf8.DecodeLastRuneInString(text); !strings.ContainsRune(".?!…\"'”’)]", last) {
			b.WriteByte('.')
		}
	}
	return b.String()
}

// tidySentence makes a spoken sentence read as a written one for a
// summary: leading fillers and conjunctions ("So, um, and then") and
// spoken fillers ("you know", "I mean", "sort of") are dropped. Summaries
// are not quoted, so they may leave out these words; key points keep
// them.
func tidySentence(text string) string {
	text = strings.TrimSpace(text)
	for {
		cut := leadingFiller(text)
		rest := text[cut:]
		for _, lead := range leadPhrases {
			if len(rest) > len(lead) && strings.EqualFold(rest[:len(lead)], lead) {
				rest = strings.TrimLeft(rest[len(lead):], " ,")
			}
		}
		if rest == text {
			break
		}
		text = rest
	}
	for _, f := range inlineFillers {
		text = strings.ReplaceAll(text, f, " ")
	}
	text = strings.Join(strings.Fields(text), " ")
	return strings.TrimRight(text, " ,;:-–—")
}

// leadPhrases open spoken sentences without adding to them.
var leadPhrases = []string{"you know", "i mean", "i think that", "then", "and then", "so then", "because", "anyway"}

// inlineFillers are spoken fillers between commas, dropped from summary
// sentences.
var inlineFillers = []string{", you know,", ", I mean,", " you know,", " sort of", " kind of like", ", like,", ", basically,", ", actually,"}
