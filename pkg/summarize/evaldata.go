package summarize

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/recap-startos/recap/pkg/recap"
	"github.com/recap-startos/recap/pkg/transcript"
)

// Reference is a transcript with known section boundaries, for measuring
// the segmenter.
type Reference struct {
	Name       string
	Path       string // the file it was loaded from, when there is one
	Transcript recap.Transcript
	// Starts are the indexes into Transcript.Units at which a reference
	// section starts.
	Starts []int
	// Titles are the human headings of the sections, one per start
	// ("" where a section has none); nil when the set has no headings.
	Titles []string
	// Presegmented means the units are sentences already (one per line,
	// as in Choi's set): the segmenter runs on them without re-cutting.
	Presegmented bool
}

// Score is how one segmentation of a reference compares with it.
type Score struct {
	Name       string
	Units      int // units the metrics count over
	RefTopics  int
	HypTopics  int
	K          int     // window of Pk and WindowDiff
	Pk, WD     float64 // the builtin segmenter
	EqPk, EqWD float64 // equal split into the reference number of topics
	// OwnPk and OwnWD are an equal split into the builtin's number of
	// topics.
	OwnPk, OwnWD float64
}

// Evaluate segments ref with the builtin engine (without creator chapters,
// with the engine's own choice of the number of topics) and scores it
// against the reference and the equal-split baselines.
func Evaluate(ctx context.Context, ref *Reference) (Score, error) {
	var units []recap.Unit
	var refStarts []int
	if ref.Presegmented {
		units = ref.Transcript.Units
		refStarts = ref.Starts
	} else {
		var from []int
		cu := cutUnits(&ref.Transcript)
		units, from = cu.units, cu.from
		for _, s := range ref.Starts {
			refStarts = append(refStarts, sort.SearchInts(from, s))
		}
	}
	n := len(units)
	if n == 0 {
		return Score{}, fmt.Errorf("evaluate %s: %w", ref.Name, recap.ErrEmptyTranscript)
	}
	a := analyze(units)
	hyp, err := segmentAnalysis(ctx, a, nil)
	if err != nil {
		return Score{}, fmt.Errorf("evaluate %s: %w", ref.Name, err)
	}
	return scoreStarts(ref.Name, a, normalizeStarts(refStarts, n), hyp), nil
}

// scoreStarts scores topic starts hyp against reference starts over the
// units of a, beside the two equal-split baselines.
func scoreStarts(name string, a *analysis, refStarts, hyp []int) Score {
	n := len(a.units)
	k := WindowK(refStarts, n)
	weights := make([]float64, n)
	for i := range weights {
		weights[i] = a.span(i, i)
	}
	eq := EqualSplitWeighted(weights, len(refStarts))
	own := EqualSplitWeighted(weights, len(hyp))
	return Score{
		Name: name, Units: n, RefTopics: len(refStarts), HypTopics: len(hyp), K: k,
		Pk: Pk(refStarts, hyp, n, k), WD: WindowDiff(refStarts, hyp, n, k),
		EqPk: Pk(refStarts, eq, n, k), EqWD: WindowDiff(refStarts, eq, n, k),
		OwnPk: Pk(refStarts, own, n, k), OwnWD: WindowDiff(refStarts, own, n, k),
	}
}

// Mean averages scores (each document counts once) under the given name.
func Mean(name string, scores []Score) Score {
	m := Score{Name: name}
	if len(scores) == 0 {
		return m
	}
	for _, s := range scores {
		m.Units += s.Units
		m.RefTopics += s.RefTopics
		m.HypTopics += s.HypTopics
		m.K += s.K
		m.Pk += s.Pk
		m.WD += s.WD
		m.EqPk += s.EqPk
		m.EqWD += s.EqWD
		m.OwnPk += s.OwnPk
		m.OwnWD += s.OwnWD
	}
	n := len(scores)
	f := float64(n)
	m.Units, m.RefTopics, m.HypTopics, m.K = m.Units/n, m.RefTopics/n, m.HypTopics/n, m.K/n
	m.Pk, m.WD, m.EqPk, m.EqWD, m.OwnPk, m.OwnWD = m.Pk/f, m.WD/f, m.EqPk/f, m.EqWD/f, m.OwnPk/f, m.OwnWD/f
	return m
}

// LoadChoi reads every "*.ref" file of dir in Choi's format: one sentence
// per line, segments separated by lines of ten '='.
func LoadChoi(dir string) ([]*Reference, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.ref"))
	if err != nil {
		return nil, fmt.Errorf("load choi %s: %w", dir, err)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("load choi %s: no .ref files", dir)
	}
	sort.Slice(paths, func(i, j int) bool { return numericName(paths[i]) < numericName(paths[j]) })
	var refs []*Reference
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("load choi: %w", err)
		}
		ref := &Reference{Name: filepath.Base(p), Presegmented: true}
		pending := false
		for line := range strings.Lines(string(data)) {
			line = strings.TrimSpace(line)
			if line == "==========" {
				pending = true
				continue
			}
			if line == "" {
				continue
			}
			if pending && len(ref.Transcript.Units) > 0 {
				ref.Starts = append(ref.Starts, len(ref.Transcript.Units))
			}
			pending = false
			ref.Transcript.Units = append(ref.Transcript.Units, recap.Unit{I: len(ref.Transcript.Units), Text: line})
		}
		ref.Starts = append([]int{0}, ref.Starts...)
		refs = append(refs, ref)
	}
	return refs, nil
}

func numericName(p string) int {
	n, err := strconv.Atoi(strings.TrimSuffix(filepath.Base(p), filepath.Ext(p)))
	if err != nil {
		return 1 << 30
	}
	return n
}

var turnLine = regexp.MustCompile(`^(.{1,80}?):\s+(\d{1,2}):(\d{2}):(\d{2})\s*$`)

// cueWords is how many words each synthetic caption cue of a loaded talk
// holds, about what YouTube shows at once.
const cueWords = 10

// LoadTalk reads a Markdown talk transcript made of "Speaker: HH:MM:SS"
// turns, with "## " headings marking sections, after optional YAML front
// matter whose "title" becomes the source title. Each turn is cut into
// caption-like cues of about ten words with times spread evenly up to the
// next turn; the sections' first cues are the reference starts.
func LoadTalk(path string) (*Reference, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load talk: %w", err)
	}
	title, body := talkFrontMatter(string(data))
	turns := talkTurns(body)
	if len(turns) == 0 {
		return nil, fmt.Errorf("load talk %s: no speaker turns", filepath.Base(path))
	}
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	ref := &Reference{Name: name, Path: path, Transcript: recap.Transcript{Source: recap.Source{Type: recap.SourceFile, Title: title}}}
	for ti, tu := range turns {
		end := tu.start + 0.4*float64(len(tu.text)) // about 150 words a minute
		if ti+1 < len(turns) {
			end = max(turns[ti+1].start, tu.start)
		}
		base := len(ref.Transcript.Units)
		if (tu.heading || ti == 0) && len(tu.text) > 0 {
			ref.Starts = append(ref.Starts, base)
			ref.Titles = append(ref.Titles, tu.title)
		}
		ref.Transcript.Units = tu.cues(ref.Transcript.Units, end)
		for _, m := range tu.marks {
			// The cue nearest the heading's word starts its section.
			at := min(base+(m.word+cueWords/2)/cueWords, len(ref.Transcript.Units)-1)
			if n := len(ref.Starts); n > 0 && ref.Starts[n-1] >= at {
				ref.Titles[n-1] = m.title // two headings on one cue: the later names it
				continue
			}
			ref.Starts = append(ref.Starts, at)
			ref.Titles = append(ref.Titles, m.title)
		}
	}
	if len(ref.Transcript.Units) == 0 {
		return nil, fmt.Errorf("load talk %s: %w", name, recap.ErrEmptyTranscript)
	}
	ref.Transcript.Source.Duration = *ref.Transcript.Units[len(ref.Transcript.Units)-1].End
	return ref, nil
}

// AutoCaptions is ref's talk as automatic captions would give it: lower
// case, no punctuation, no speakers, cues of six to nine words that abut
// (no pause between them), each word at its time in ref. It is the
// hardest input the unit cutter meets: nothing but the words says where
// sentences end.
func AutoCaptions(ref *Reference) *recap.Transcript {
	var words []string
	var times []float64
	for _, u := range ref.Transcript.Units {
		ws := strings.Fields(u.Text)
		for k, w := range ws {
			w = edgeWord(w)
			if w == "" {
				continue
			}
			words = append(words, w)
			times = append(times, *u.Start+(*u.End-*u.Start)*float64(k)/float64(len(ws)))
		}
	}
	tr := &recap.Transcript{Source: ref.Transcript.Source}
	for i := 0; i < len(words); {
		j := min(i+6+i%4, len(words))
		end := times[j-1] + 0.4
		if j < len(words) {
			end = times[j]
		}
		tr.Units = append(tr.Units, recap.Unit{Start: recap.Secs(times[i]), End: recap.Secs(end), Text: strings.Join(words[i:j], " ")})
		i = j
	}
	return tr
}

// CutScore is how the unit cutter found the sentences of a talk given
// as automatic captions (see CaptionCuts).
type CutScore struct {
	Hits int // unit ends on a sentence end of the human transcript
	Cuts int // unit ends (the last unit of each talk aside)
	Ends int // sentence ends of the human transcript
}

// Precision is the share of unit ends on a sentence end.
func (c CutScore) Precision() float64 { return ratio(c.Hits, c.Cuts) }

// Recall is the share of sentence ends found.
func (c CutScore) Recall() float64 { return ratio(c.Hits, c.Ends) }

// Add sums two scores.
func (c CutScore) Add(d CutScore) CutScore {
	return CutScore{Hits: c.Hits + d.Hits, Cuts: c.Cuts + d.Cuts, Ends: c.Ends + d.Ends}
}

// CaptionCuts turns ref into automatic captions (AutoCaptions), cuts
// them into units as the engine does, and scores each unit end against
// the sentence ends of ref's punctuated text.
func CaptionCuts(ref *Reference) (CutScore, error) {
	words, _, ends := refWords(ref)
	tr := AutoCaptions(ref)
	if err := tr.Normalize(); err != nil {
		return CutScore{}, fmt.Errorf("caption cuts %s: %w", ref.Name, err)
	}
	score := CutScore{Ends: len(ends)}
	at, lost := 0, 0 // the next word of the talk to match; units not found
	units := cutUnits(tr).units
	for k, u := range units[:len(units)-1] {
		last := -1
		for _, w := range strings.Fields(u.Text) {
			w = edgeWord(w)
			for j := at; j < min(at+8, len(words)); j++ { // the cutter drops fillers such as "um"
				if words[j] == w {
					last, at = j, j+1
					break
				}
			}
		}
		if last < 0 {
			// A word the talk writes differently (a tag the cutter
			// drops): at most a few such units.
			if lost++; lost > 20 {
				return CutScore{}, fmt.Errorf("caption cuts %s: unit %d (%q) not found in the talk", ref.Name, k, u.Text)
			}
			continue
		}
		score.Cuts++
		if ends[last] {
			score.Hits++
		}
	}
	return score, nil
}

// refWords returns ref's words as edgeWord gives them, the same words as
// written, and which of them end a sentence in its punctuated text.
func refWords(ref *Reference) (words, written []string, ends map[int]bool) {
	ends = map[int]bool{}
	for _, u := range ref.Transcript.Units {
		for _, w := range strings.Fields(u.Text) {
			nw := edgeWord(w)
			if nw == "" {
				continue
			}
			words, written = append(words, nw), append(written, w)
			if endsWithStop(strings.TrimRight(w, "\"')]”’")) {
				ends[len(words)-1] = true
			}
		}
	}
	return words, written, ends
}

// talkTurn is one speaker turn of a reference talk.
type talkTurn struct {
	speaker string
	start   float64
	text    []string
	heading bool   // a section heading came before this turn
	title   string // that heading's text
	marks   []turnMark
}

// turnMark is a section heading inside a turn: reviewers often start a
// section in the middle of a long answer, before a paragraph that has no
// time of its own.
type turnMark struct {
	word  int // index into the turn's text of the section's first word
	title string
}

// cues appends the turn, ending at end, to units as caption-like cues
// of cueWords words with times spread evenly.
func (tu talkTurn) cues(units []recap.Unit, end float64) []recap.Unit {
	for w := 0; w < len(tu.text); w += cueWords {
		e := min(w+cueWords, len(tu.text))
		s := tu.start + (end-tu.start)*float64(w)/float64(len(tu.text))
		f := tu.start + (end-tu.start)*float64(e)/float64(len(tu.text))
		units = append(units, recap.Unit{
			I: len(units), Start: recap.Secs(s), End: recap.Secs(f),
			Text: strings.Join(tu.text[w:e], " "), Speaker: tu.speaker,
		})
	}
	return units
}

// talkFrontMatter returns the title of a talk's YAML front matter and
// the text after it.
func talkFrontMatter(body string) (title, rest string) {
	after, ok := strings.CutPrefix(body, "---\n")
	if !ok {
		return "", body
	}
	front, text, ok := strings.Cut(after, "\n---\n")
	if !ok {
		return "", body
	}
	for line := range strings.Lines(front) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "title:"); ok {
			title = strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	return title, text
}

// talkTurns reads the speaker turns of a talk's body, marking those
// that follow a "## " heading.
func talkTurns(body string) []talkTurn {
	var turns []talkTurn
	heading, headingText := false, ""
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "## ") {
			heading, headingText = true, strings.TrimSpace(strings.TrimLeft(line, "#"))
			continue
		}
		if m := turnLine.FindStringSubmatch(line); m != nil {
			h, _ := strconv.Atoi(m[2])
			mi, _ := strconv.Atoi(m[3])
			s, _ := strconv.Atoi(m[4])
			turns = append(turns, talkTurn{speaker: m[1], start: float64(h*3600 + mi*60 + s), heading: heading, title: headingText})
			heading, headingText = false, ""
			continue
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if len(turns) == 0 {
			// Text before the first timed turn (an untimed opening):
			// its time is set below, as the parser sets it.
			turns = append(turns, talkTurn{start: -1})
		}
		tu := &turns[len(turns)-1]
		if heading {
			if len(tu.text) == 0 {
				tu.heading, tu.title = true, headingText
			} else {
				tu.marks = append(tu.marks, turnMark{word: len(tu.text), title: headingText})
			}
			heading, headingText = false, ""
		}
		tu.text = append(tu.text, strings.Fields(transcript.LinkText(line))...)
	}
	if len(turns) > 1 && turns[0].start < 0 {
		// At speaking pace before the first timed turn, never before 0,
		// as recap.Transcript.Normalize places an untimed opening.
		turns[0].start = max(turns[1].start-0.4*float64(len(turns[0].text)), 0)
	} else if len(turns) == 1 && turns[0].start < 0 {
		turns[0].start = 0
	}
	return turns
}

// LoadQMSum reads a meeting of the QMSum set: utterances with speakers
// and no times, and topics given as inclusive utterance spans. Every span
// start is a reference boundary.
func LoadQMSum(path string) (*Reference, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load qmsum: %w", err)
	}
	var m struct {
		Topics []struct {
			Topic string      `json:"topic"`
			Spans [][2]string `json:"relevant_text_span"`
		} `json:"topic_list"`
		Utterances []struct {
			Speaker string `json:"speaker"`
			Content string `json:"content"`
		} `json:"meeting_transcripts"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("load qmsum %s: %w", filepath.Base(path), err)
	}
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	ref := &Reference{Name: name, Transcript: recap.Transcript{Source: recap.Source{Type: recap.SourceText}}}
	index := make([]int, len(m.Utterances)) // utterance → first unit at or after it
	for i, u := range m.Utterances {
		index[i] = len(ref.Transcript.Units)
		text := recap.CollapseSpace(u.Content)
		if text == "" {
			continue
		}
		ref.Transcript.Units = append(ref.Transcript.Units, recap.Unit{I: len(ref.Transcript.Units), Text: text, Speaker: u.Speaker})
	}
	for _, t := range m.Topics {
		for _, span := range t.Spans {
			s, err := strconv.Atoi(span[0])
			if err != nil || s < 0 || s >= len(index) {
				return nil, fmt.Errorf("load qmsum %s: bad span start %q", name, span[0])
			}
			ref.Starts = append(ref.Starts, index[s])
		}
	}
	if len(ref.Transcript.Units) == 0 {
		return nil, fmt.Errorf("load qmsum %s: %w", name, recap.ErrEmptyTranscript)
	}
	return ref, nil
}
