package llmtest

import (
	"encoding/json"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// The fake model reads the prompt the way a model would have to: the
// numbered unit lines of a transcript (or the sections of a merge
// request) and the creator's chapters, and writes a recap that refers to
// real unit numbers. Its key points keep the words of their units
// (lightly trimmed), and every answer also carries one invented point,
// so grounding has something to drop.

var (
	unitLine    = regexp.MustCompile(`(?m)^\[(\d+)(?: [\d:]+)?\] (.+)$`)
	chapterLine = regexp.MustCompile(`(?m)^- unit (\d+): (.+)$`)
	sectionLine = regexp.MustCompile(`(?m)^- section at unit (\d+)(?: \([\d:]+\))?: (.+)$`)
	partLine    = regexp.MustCompile(`(?m)^Part \d+(?: \([^)]*\))?: (.+)$`)
)

// Invented is the key point the fake model makes up in every answer.
const Invented = "The hosts announce a chocolate factory on the Moon opening next spring."

type point struct {
	Unit int    `json:"unit"`
	Text string `json:"text"`
}

type topic struct {
	StartUnit int     `json:"start_unit"`
	Title     string  `json:"title"`
	Summary   string  `json:"summary"`
	KeyPoints []point `json:"key_points,omitempty"`
}

type recapAnswer struct {
	Title    string   `json:"title"`
	Summary  string   `json:"summary"`
	Keywords []string `json:"keywords"`
	Topics   []topic  `json:"topics"`
}

type unit struct {
	i    int
	text string
}

// answerFor writes the model's JSON answer to a prompt. With invent,
// every key point is made up.
func answerFor(prompt string, invent bool) string {
	var chapters []int
	for _, m := range chapterLine.FindAllStringSubmatch(prompt, -1) {
		n, _ := strconv.Atoi(m[1])
		chapters = append(chapters, n)
	}
	var a recapAnswer
	if units := parseUnits(prompt); len(units) > 0 {
		a = recapUnits(units, chapters, strings.Contains(prompt, "This is part "), invent)
	} else {
		a = merge(prompt, chapters)
	}
	data, _ := json.Marshal(a)
	return string(data)
}

func parseUnits(prompt string) []unit {
	var out []unit
	for _, m := range unitLine.FindAllStringSubmatch(prompt, -1) {
		n, _ := strconv.Atoi(m[1])
		out = append(out, unit{n, m[2]})
	}
	return out
}

// recapUnits recaps numbered units: topics at even steps (or at the
// chapters), two key points per topic from its longest units.
func recapUnits(units []unit, chapters []int, part, invent bool) recapAnswer {
	starts := fakeStarts(units, chapters, part)
	var a recapAnswer
	for k, s := range starts {
		var in []unit
		for _, u := range units {
			if u.i >= s && (k+1 == len(starts) || u.i < starts[k+1]) {
				in = append(in, u)
			}
		}
		if len(in) > 0 {
			a.Topics = append(a.Topics, fakeTopic(s, in, invent))
		}
	}
	a.Topics[0].KeyPoints = append(a.Topics[0].KeyPoints, point{a.Topics[0].StartUnit, Invented})
	a.Title = titleOf(longest(units, 1)[0].text)
	var sum []string
	for _, t := range a.Topics[:min(3, len(a.Topics))] {
		sum = append(sum, t.Summary)
	}
	a.Summary = strings.Join(sum, " ")
	a.Keywords = keywords(units)
	return a
}

// fakeStarts are the topic starts the fake model answers: the chapters
// inside units, else (and always for a part of a long transcript) an
// equal split.
func fakeStarts(units []unit, chapters []int, part bool) []int {
	first, last := units[0].i, units[len(units)-1].i
	var starts []int
	for _, c := range chapters {
		if c >= first && c <= last {
			starts = append(starts, c)
		}
	}
	if len(starts) > 0 && !part {
		return starts
	}
	k := max(1, min(8, len(units)/30))
	if part {
		k = min(2, len(units))
	}
	starts = starts[:0]
	for j := range k {
		starts = append(starts, units[j*len(units)/k].i)
	}
	return starts
}

// fakeTopic is the fake model's topic of units in starting at s: its
// two longest units paraphrased as key points, or invented ones.
func fakeTopic(s int, in []unit, invent bool) topic {
	best := longest(in, 2)
	t := topic{StartUnit: s, Title: titleOf(best[0].text), Summary: paraphrase(best[0].text, 24)}
	for _, u := range best {
		text := paraphrase(u.text, 14)
		if invent {
			text = Invented
		}
		t.KeyPoints = append(t.KeyPoints, point{u.i, text})
	}
	return t
}

// merge answers a merge request: every other section becomes a topic
// (neighbours merged), or one topic per chapter.
func merge(prompt string, chapters []int) recapAnswer {
	var a recapAnswer
	sections := sectionLine.FindAllStringSubmatch(prompt, -1)
	if len(chapters) > 0 {
		for k, c := range chapters {
			a.Topics = append(a.Topics, topic{StartUnit: c, Title: "Chapter " + strconv.Itoa(k+1), Summary: "What chapter " + strconv.Itoa(k+1) + " covers."})
		}
	} else {
		for k, m := range sections {
			if k%2 == 1 {
				continue
			}
			n, _ := strconv.Atoi(m[1])
			title, summary, _ := strings.Cut(m[2], " — ")
			a.Topics = append(a.Topics, topic{StartUnit: n, Title: title, Summary: summary})
		}
	}
	var sum []string
	for _, m := range partLine.FindAllStringSubmatch(prompt, 3) {
		sum = append(sum, m[1])
	}
	a.Title = "A merged recap"
	a.Summary = strings.Join(sum, " ")
	a.Keywords = []string{"merged", "recap"}
	return a
}

// longest returns the n units with the most words, in transcript order.
func longest(units []unit, n int) []unit {
	idx := make([]int, len(units))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		return len(strings.Fields(units[idx[a]].text)) > len(strings.Fields(units[idx[b]].text))
	})
	idx = idx[:min(n, len(idx))]
	sort.Ints(idx)
	out := make([]unit, len(idx))
	for k, i := range idx {
		out[k] = units[i]
	}
	return out
}

var fillers = map[string]bool{"so": true, "and": true, "but": true, "yeah": true, "well": true, "um": true, "uh": true, "okay": true, "right": true, "like": true}

// paraphrase trims a unit the way a model restates it: leading fillers
// dropped, at most n words, a capital first letter and a full stop.
func paraphrase(text string, n int) string {
	f := strings.Fields(text)
	for len(f) > 1 && fillers[strings.ToLower(strings.Trim(f[0], ",.!?"))] {
		f = f[1:]
	}
	if len(f) > n {
		f = f[:n]
	}
	s := strings.TrimRight(strings.Join(f, " "), ",;:-")
	r := []rune(s)
	if len(r) > 0 {
		r[0] = unicode.ToUpper(r[0])
	}
	s = string(r)
	if !strings.HasSuffix(s, ".") && !strings.HasSuffix(s, "?") && !strings.HasSuffix(s, "!") {
		s += "."
	}
	return s
}

func titleOf(text string) string {
	return strings.TrimSuffix(paraphrase(text, 6), ".")
}

// keywords are the three most frequent long words.
func keywords(units []unit) []string {
	count := map[string]int{}
	for _, u := range units {
		for _, w := range strings.Fields(strings.ToLower(u.text)) {
			w = strings.Trim(w, ".,;:!?\"'()")
			if len(w) >= 7 {
				count[w]++
			}
		}
	}
	var ws []string
	for w := range count {
		ws = append(ws, w)
	}
	sort.Slice(ws, func(a, b int) bool {
		if count[ws[a]] != count[ws[b]] {
			return count[ws[a]] > count[ws[b]]
		}
		return ws[a] < ws[b]
	})
	return ws[:min(3, len(ws))]
}

// Answer is the fake model's answer to a prompt, for tests that call an
// engine's backend in process.
func Answer(prompt string) string { return answerFor(prompt, false) }
