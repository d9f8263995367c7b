package summarize

import (
	"fmt"
	"go/format"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// Fitting the sentence-edge table.
//
// RECAP_FIT_EDGES=1 go test -run FitSentenceEdges -v ./pkg/summarize/
//
// reads the punctuated human transcripts of the development set and, for
// every word said at least edgeMinCount times, how often a sentence ends
// after it and how often one starts with it, as smoothed log-odds, and
// writes them to edges.go (sentenceEdges). Text without punctuation is
// cut where those odds say a sentence most likely ends (units.go). The
// test also prints, for text cut by the odds alone, how many cuts fall on
// a true sentence end and how many true ends are found, with the table
// fitted on four fifths of the talks and measured on the fifth, and the
// same for the cutter as built (with the table it was built with), on
// every talk turned into automatic captions.

// edgeMinCount is how often a word must be said to get its own odds.
const edgeMinCount = 100

// edgeSmoothing is the weight, in occurrences, of the overall rate that a
// word's own rate is pulled towards.
const edgeSmoothing = 10

// talkWords is a talk's words, lower case without punctuation, and which
// of them end a sentence in the human transcript.
type talkWords struct {
	words []string
	ends  map[int]bool
	// forms are the words as written, where a sentence does not start
	// with them (a capital there says nothing of the word).
	forms map[string]map[string]int
}

func readTalkWords(path string) (talkWords, error) {
	ref, err := LoadTalk(path)
	if err != nil {
		return talkWords{}, err
	}
	tw := talkWords{ends: map[int]bool{}, forms: map[string]map[string]int{}}
	for _, u := range ref.Transcript.Units {
		for _, w := range strings.Fields(u.Text) {
			nw := edgeWord(w)
			if nw == "" {
				continue
			}
			if n := len(tw.words); n > 0 && !tw.ends[n-1] {
				if core := strings.Trim(w, ".,;:!?\"()[]—–-…'’“”*_`"); edgeWord(core) == nw {
					if tw.forms[nw] == nil {
						tw.forms[nw] = map[string]int{}
					}
					tw.forms[nw][core]++
				}
			}
			tw.words = append(tw.words, nw)
			core := strings.TrimRight(w, "\"')]”’")
			if strings.HasSuffix(core, ".") || strings.HasSuffix(core, "?") || strings.HasSuffix(core, "!") {
				tw.ends[len(tw.words)-1] = true
			}
		}
	}
	return tw, nil
}

// edgeCounts are, per word, sentence ends after it and starts with it
// among its occurrences.
type edgeCounts struct {
	end, start, seen map[string]int
	edges, pairs     int
}

func countEdges(talks []talkWords) *edgeCounts {
	c := &edgeCounts{end: map[string]int{}, start: map[string]int{}, seen: map[string]int{}}
	for _, tw := range talks {
		for i := 0; i+1 < len(tw.words); i++ {
			c.seen[tw.words[i]]++
			c.pairs++
			if tw.ends[i] {
				c.end[tw.words[i]]++
				c.start[tw.words[i+1]]++
				c.edges++
			}
		}
	}
	return c
}

// table turns the counts into smoothed log-odds for the words said often
// enough, and the overall log-odds of a sentence edge.
func (c *edgeCounts) table() (map[string][2]float32, float64) {
	p := float64(c.edges) / float64(c.pairs)
	logit := func(k, n int) float64 {
		q := (float64(k) + edgeSmoothing*p) / (float64(n) + edgeSmoothing)
		return math.Log(q / (1 - q))
	}
	t := map[string][2]float32{}
	for w, n := range c.seen {
		if n >= edgeMinCount {
			t[w] = [2]float32{float32(logit(c.end[w], n)), float32(logit(c.start[w], n))}
		}
	}
	return t, math.Log(p / (1 - p))
}

func TestFitSentenceEdges(t *testing.T) {
	if os.Getenv("RECAP_FIT_EDGES") == "" {
		t.Skip("set RECAP_FIT_EDGES=1 to fit the sentence-edge table")
	}
	paths, err := filepath.Glob(filepath.Join(devDir, "*.md"))
	if err != nil || len(paths) == 0 {
		t.Skip("the development set is not available")
	}
	sort.Strings(paths)
	var talks []talkWords
	for _, p := range paths {
		if filepath.Base(p) == "SOURCES.md" {
			continue
		}
		tw, err := readTalkWords(p)
		if err != nil {
			t.Fatal(err)
		}
		talks = append(talks, tw)
	}
	const folds = 5
	hits, cuts, ends := 0, 0, 0
	for k := range folds {
		var train []talkWords
		for i, tw := range talks {
			if i%folds != k {
				train = append(train, tw)
			}
		}
		table, prior := countEdges(train).table()
		odds := func(a, b string) float64 { return edgeOddsIn(table, prior, a, b) }
		for i, tw := range talks {
			if i%folds != k {
				continue
			}
			ends += len(tw.ends)
			for _, at := range cutByOdds(tw.words, odds) {
				cuts++
				if tw.ends[at] {
					hits++
				}
			}
		}
	}
	t.Logf("held out: %d cuts, %.1f %% on a sentence end; %.1f %% of %d sentence ends found",
		cuts, 100*float64(hits)/float64(cuts), 100*float64(hits)/float64(ends), ends)
	hits, cuts, ends, err = captionCuts(paths)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the cutter as built, all talks as captions: %d unit ends, %.1f %% on a sentence end; %.1f %% of %d sentence ends found",
		cuts, 100*float64(hits)/float64(cuts), 100*float64(hits)/float64(ends), ends)

	table, prior := countEdges(talks).table()
	words := make([]string, 0, len(table))
	for w := range table {
		words = append(words, w)
	}
	sort.Strings(words)
	var b strings.Builder
	b.WriteString("// Code generated by RECAP_FIT_EDGES=1 go test -run FitSentenceEdges ./pkg/summarize/; DO NOT EDIT.\n\n")
	b.WriteString("package summarize\n\n")
	fmt.Fprintf(&b, "// sentenceEdgePrior is the log-odds that a sentence ends between two\n// words, over the development set's %d talks.\n", len(talks))
	fmt.Fprintf(&b, "const sentenceEdgePrior = %.3f\n\n", prior)
	fmt.Fprintf(&b, "// sentenceEdges holds, for the %d words said at least %d times there,\n", len(words), edgeMinCount)
	b.WriteString("// the smoothed log-odds that a sentence ends after the word and that\n// one starts with it.\n")
	b.WriteString("var sentenceEdges = map[string][2]float32{\n")
	for _, w := range words {
		fmt.Fprintf(&b, "\t%q: {%.2f, %.2f},\n", w, table[w][0], table[w][1])
	}
	b.WriteString("}\n")
	src, err := format.Source([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("edges.go", src, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote edges.go: %d words", len(words))

	cased := fitCasing(talks)
	b.Reset()
	b.WriteString("// Code generated by RECAP_FIT_EDGES=1 go test -run FitSentenceEdges ./pkg/summarize/; DO NOT EDIT.\n\n")
	b.WriteString("package summarize\n\n")
	fmt.Fprintf(&b, "// trueCase gives the written form of %d words that, inside a sentence,\n", len(cased))
	fmt.Fprintf(&b, "// are written with capitals at least %d times in %d of the development set's\n", casingMinCount, casingMinTalks)
	fmt.Fprintf(&b, "// talks, one form at least %.0f %% of the time: names and acronyms.\n", 100*casingShare)
	b.WriteString("var trueCase = map[string]string{\n")
	keys := make([]string, 0, len(cased))
	for k := range cased {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "\t%q: %q,\n", k, cased[k])
	}
	b.WriteString("}\n")
	if src, err = format.Source([]byte(b.String())); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("casing.go", src, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote casing.go: %d words: %s", len(keys), strings.Join(keys, " "))
}

// Which words text without capitals gets them back (trueCase).
const (
	casingMinCount = 20   // occurrences inside sentences, over the set
	casingMinTalks = 5    // talks that write the word
	casingShare    = 0.95 // share of its most common form
)

// fitCasing returns, for the words of talks written in one form with
// capitals nearly always, that form; single letters are left out.
func fitCasing(talks []talkWords) map[string]string {
	forms := map[string]map[string]int{}
	in := map[string]int{}
	for _, tw := range talks {
		for w, fs := range tw.forms {
			in[w]++
			if forms[w] == nil {
				forms[w] = map[string]int{}
			}
			for f, n := range fs {
				forms[w][f] += n
			}
		}
	}
	out := map[string]string{}
	for w, fs := range forms {
		total, best, form := 0, 0, ""
		for f, n := range fs {
			total += n
			if n > best || n == best && f < form {
				best, form = n, f
			}
		}
		if len(w) > 1 && form != w && total >= casingMinCount && in[w] >= casingMinTalks && float64(best) >= casingShare*float64(total) {
			out[w] = form
		}
	}
	return out
}

// cutByOdds cuts a run of words as the cutter cuts text without
// punctuation or pauses, and returns the index of each unit's last word.
func cutByOdds(words []string, odds func(a, b string) float64) []int {
	var out []int
	last := -1
	for i := 0; i+1 < len(words); i++ {
		n := i - last
		if n >= maxCaptionWords || (n >= minEdgeWords && edgeCut(words, i, odds)) {
			out = append(out, i)
			last = i
		}
	}
	return out
}
