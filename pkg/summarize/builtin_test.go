package summarize

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/recap-startos/recap/pkg/recap"
)

// summarizeValid runs the builtin engine on a copy of t after Normalize,
// fills in what the caller would, and fails the test unless the document
// validates.
func summarizeValid(t testing.TB, tr recap.Transcript) *recap.Document {
	t.Helper()
	tr.Units = append([]recap.Unit(nil), tr.Units...)
	tr.Chapters = append([]recap.Chapter(nil), tr.Chapters...)
	if err := tr.Normalize(); err != nil {
		t.Fatalf("normalize: %v", err)
	}
	doc, err := NewBuiltin().Summarize(context.Background(), &tr, nil)
	if err != nil {
		t.Fatalf("summarize: %v", err)
	}
	doc.Version, doc.ID, doc.Source = recap.Version, "test", tr.Source
	if doc.Source.Type == "" {
		doc.Source.Type = recap.SourceText
	}
	if err := doc.Validate(); err != nil {
		t.Fatalf("validate: %v", err)
	}
	if doc.Engine.Name != recap.EngineBuiltin || doc.Stats.Units != len(doc.Transcript) {
		t.Fatalf("engine %q, stats %+v", doc.Engine.Name, doc.Stats)
	}
	if len(doc.Keywords) > 8 {
		t.Fatalf("%d keywords", len(doc.Keywords))
	}
	for k, topic := range doc.Topics {
		if len(topic.Segments) > 5 {
			t.Fatalf("topic %d has %d key points", k, len(topic.Segments))
		}
	}
	return doc
}

var vocabulary = strings.Fields(`network node peer address relay table wallet coin fee transaction block
miner privacy lightning channel payment tower storage server client protocol signature key script
compiler release port version upgrade test review paper attack spam simulation graph model data
um uh yeah okay so like right you know I mean the a of to and is it that`)

type randomShape struct {
	units     int
	timed     bool
	shuffle   bool // starts out of order before Normalize
	zero      bool // many zero-length and overlapping cues
	punct     bool
	chapters  int
	pastEnd   bool // chapters after the last unit
	duration  bool // a source duration shorter than the last time
	speakers  bool
	emptyText bool // some units empty or white space only
}

func randomTranscript(rng *rand.Rand, s randomShape) recap.Transcript {
	var tr recap.Transcript
	tr.Source = recap.Source{Type: recap.SourceYouTube, Title: ""}
	clock := 0.0
	for i := 0; i < s.units; i++ {
		n := 1 + rng.IntN(14)
		words := make([]string, n)
		for w := range words {
			words[w] = vocabulary[rng.IntN(len(vocabulary))]
		}
		if s.punct && rng.IntN(3) == 0 {
			words[n-1] += [...]string{".", "?", "!", "..."}[rng.IntN(4)]
		}
		if rng.IntN(50) == 0 {
			words = []string{"[Music]"}
		}
		u := recap.Unit{Text: strings.Join(words, " ")}
		if s.emptyText && rng.IntN(10) == 0 {
			u.Text = " \t "
		}
		if s.speakers {
			u.Speaker = fmt.Sprintf("S%d", rng.IntN(3))
		}
		if s.timed {
			d := rng.Float64() * 5
			if s.zero && rng.IntN(3) == 0 {
				d = 0
			}
			start := clock
			if s.zero && rng.IntN(4) == 0 {
				start = max(0, clock-rng.Float64()*3)
			}
			u.Start, u.End = recap.Secs(start), recap.Secs(start+d)
			clock += rng.Float64() * 4
		}
		tr.Units = append(tr.Units, u)
	}
	if s.shuffle {
		rng.Shuffle(len(tr.Units), func(i, j int) { tr.Units[i], tr.Units[j] = tr.Units[j], tr.Units[i] })
	}
	if s.duration && clock > 10 {
		tr.Source.Duration = clock * 0.8
	}
	for c := 0; c < s.chapters; c++ {
		at := rng.Float64() * clock
		if s.pastEnd && c%2 == 1 {
			at = clock + 100*float64(c)
		}
		tr.Chapters = append(tr.Chapters, recap.Chapter{Title: fmt.Sprintf("Chapter %d", c), Start: at})
	}
	if len(tr.Units) > 0 && strings.TrimSpace(tr.Units[0].Text) == "" {
		tr.Units[0].Text = "hello there"
	}
	return tr
}

func TestBuiltinValidForRandomTranscripts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		shape randomShape
	}{
		{"one unit timed", randomShape{units: 1, timed: true}},
		{"one unit untimed", randomShape{units: 1}},
		{"untimed punctuated", randomShape{units: 300, punct: true}},
		{"untimed unpunctuated", randomShape{units: 300}},
		{"timed sorted", randomShape{units: 400, timed: true, punct: true}},
		{"timed auto captions", randomShape{units: 800, timed: true}},
		{"unsorted with overlaps and zero lengths", randomShape{units: 500, timed: true, shuffle: true, zero: true}},
		{"duration shorter than the times", randomShape{units: 300, timed: true, duration: true, punct: true}},
		{"speakers", randomShape{units: 300, timed: true, speakers: true, punct: true}},
		{"empty units", randomShape{units: 200, timed: true, emptyText: true}},
		{"chapters", randomShape{units: 600, timed: true, punct: true, chapters: 6}},
		{"chapters past the end", randomShape{units: 300, timed: true, chapters: 5, pastEnd: true}},
		{"chapters without times", randomShape{units: 200, chapters: 3}},
		{"chapters on a shuffled transcript with a short duration", randomShape{units: 400, timed: true, shuffle: true, zero: true, chapters: 8, duration: true}},
		{"5000 units", randomShape{units: 5000, timed: true, punct: true}},
		{"5000 units untimed", randomShape{units: 5000}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for seed := uint64(1); seed <= 3; seed++ {
				rng := rand.New(rand.NewPCG(seed, 7))
				summarizeValid(t, randomTranscript(rng, c.shape))
			}
		})
	}
}

func TestBuiltinValidForTalks(t *testing.T) {
	t.Parallel()
	for _, r := range loadTalks(t) {
		t.Run(r.Name, func(t *testing.T) {
			doc := summarizeValid(t, r.Transcript)
			if len(doc.Keywords) < 5 {
				t.Errorf("%d keywords, want 5–8", len(doc.Keywords))
			}
			sentences := strings.Count(doc.Summary, ". ") + 1
			if sentences < 2 || len(doc.Topics) < 2 {
				t.Errorf("summary of about %d sentences over %d topics", sentences, len(doc.Topics))
			}
			for k, topic := range doc.Topics {
				if len(topic.Segments) == 0 {
					t.Errorf("topic %d %q has no key points", k, topic.Title)
				}
			}
		})
	}
}

func TestBuiltinKeepsCreatorChapters(t *testing.T) {
	t.Parallel()
	tr := talkTranscript(t)
	tr.Chapters = []recap.Chapter{
		{Title: "Welcome", Start: 0},
		{Title: "Ports", Start: 280},
		{Title: "Fee estimation", Start: 760},
		{Title: "Never reached", Start: 99999},
	}
	tr.Source.Duration = 0
	doc := summarizeValid(t, tr)
	var titles []string
	for _, topic := range doc.Topics {
		titles = append(titles, topic.Title)
	}
	if got, want := strings.Join(titles, "|"), "Welcome|Ports|Fee estimation"; got != want {
		t.Errorf("topic titles %q, want %q", got, want)
	}
	if *doc.Topics[1].Start < 280 || *doc.Topics[2].Start < 760 {
		t.Errorf("chapters start at %v and %v", *doc.Topics[1].Start, *doc.Topics[2].Start)
	}
	if len(doc.Chapters) != 4 {
		t.Errorf("document keeps %d chapters, want 4", len(doc.Chapters))
	}
}

// talkTranscript is the Bitcoin Core 23.0 episode of testdata/talks.
func talkTranscript(t *testing.T) recap.Transcript {
	t.Helper()
	for _, r := range loadTalks(t) {
		if strings.Contains(r.Name, "core-v23") {
			return r.Transcript
		}
	}
	t.Fatal("the Bitcoin Core 23.0 talk is missing")
	return recap.Transcript{}
}

func TestBuiltinDeterministic(t *testing.T) {
	t.Parallel()
	tr := talkTranscript(t)
	render := func() []byte {
		doc := summarizeValid(t, tr)
		doc.Stats.ElapsedMS = 0
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	first := render()
	for range 3 {
		if !bytes.Equal(first, render()) {
			t.Fatal("two runs on the same transcript differ")
		}
	}
}

func TestBuiltinKeepsSponsorsAndFillersOut(t *testing.T) {
	t.Parallel()
	var tr recap.Transcript
	tr.Source = recap.Source{Type: recap.SourcePodcast}
	lines := []string{
		"[Music]",
		"Welcome back to the show, today we talk about compost and soil health in small gardens.",
		"Keep up with the show and listen to years of past episodes at gardentalk dot fm.",
		"We have started streaming our compost episodes live on YouTube.",
		"Um.", "Yeah.", "Right.",
		"This episode is brought to you by Acme Shovels.",
		"Use code GARDEN for twenty percent off your first order at acme dot com.",
		"Acme shovels are forged from one piece of steel and come with a lifetime warranty.",
		"Compost feeds the soil life that keeps garden soil loose and rich.",
		"A good compost pile mixes green kitchen scraps with brown leaves and straw.",
		"Turning the compost pile every week keeps it warm and stops the smell.",
		"Mhm.",
		"Soil health also depends on not digging too much, since digging breaks the fungal threads.",
		"Mulch on top of the soil keeps moisture in and feeds worms over the winter.",
		"If you like this episode, like and subscribe and leave a review.",
		"Worms pull the mulch down and leave castings that plants love in spring.",
	}
	for i, l := range lines {
		tr.Units = append(tr.Units, recap.Unit{Start: recap.Secs(float64(i) * 6), End: recap.Secs(float64(i)*6 + 5), Text: l})
	}
	doc := summarizeValid(t, tr)
	banned := []string{"Acme", "acme", "GARDEN", "subscribe", "past episodes", "streaming", "[Music]", "Um.", "Yeah.", "Mhm."}
	check := func(where, text string) {
		for _, b := range banned {
			if strings.Contains(text, b) {
				t.Errorf("%s contains %q: %q", where, b, text)
			}
		}
	}
	check("summary", doc.Summary)
	check("title", doc.Title)
	check("keywords", strings.Join(doc.Keywords, ", "))
	for _, topic := range doc.Topics {
		check("topic title", topic.Title)
		check("topic summary", topic.Summary)
		for _, s := range topic.Segments {
			check("key point", s.Text)
		}
	}
}

func TestBuiltinHonoursCancellation(t *testing.T) {
	t.Parallel()
	tr := talkTranscript(t)
	if err := tr.Normalize(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := NewBuiltin().Summarize(ctx, &tr, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestBuiltinReportsProgress(t *testing.T) {
	t.Parallel()
	tr := talkTranscript(t)
	if err := tr.Normalize(); err != nil {
		t.Fatal(err)
	}
	var stages []string
	last := -1.0
	_, err := NewBuiltin().Summarize(context.Background(), &tr, func(stage string, f float64, msg string) {
		if f < last || f < 0 || f > 1 {
			t.Errorf("fraction %v after %v", f, last)
		}
		last = f
		if len(stages) == 0 || stages[len(stages)-1] != stage {
			stages = append(stages, stage)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(stages, ","); got != "segmenting,summarizing" || last != 1 {
		t.Errorf("stages %q ending at %v", got, last)
	}
}

func TestBuiltinRejectsEmptyTranscript(t *testing.T) {
	t.Parallel()
	_, err := NewBuiltin().Summarize(context.Background(), &recap.Transcript{}, nil)
	if !errors.Is(err, recap.ErrEmptyTranscript) {
		t.Fatalf("err = %v, want ErrEmptyTranscript", err)
	}
}

func FuzzBuiltin(f *testing.F) {
	f.Add("Hello world. This is a test.\nSecond line about gardens", uint8(0))
	f.Add("um\nuh\n[Music]\n", uint8(1))
	f.Add("no punctuation at all just words flowing on and on", uint8(2))
	f.Add("Mr. Smith went to Washington... And then? Yes!\n\n\n", uint8(3))
	f.Fuzz(func(t *testing.T, text string, mode uint8) {
		var tr recap.Transcript
		tr.Source = recap.Source{Type: recap.SourceText}
		for i, line := range strings.Split(text, "\n") {
			u := recap.Unit{Text: line}
			if mode%2 == 1 {
				u.Start = recap.Secs(float64(i) * float64(mode%7))
				u.End = recap.Secs(float64(i)*float64(mode%7) + float64(mode%3))
			}
			tr.Units = append(tr.Units, u)
		}
		if mode%5 == 0 {
			tr.Chapters = []recap.Chapter{{Title: "A", Start: 0}, {Title: "B", Start: float64(mode)}}
		}
		if err := tr.Normalize(); err != nil {
			return
		}
		doc, err := NewBuiltin().Summarize(context.Background(), &tr, nil)
		if err != nil {
			t.Fatalf("summarize: %v", err)
		}
		doc.Version, doc.ID, doc.Source = recap.Version, "fuzz", tr.Source
		if err := doc.Validate(); err != nil {
			t.Fatalf("validate: %v", err)
		}
	})
}

// A short chapter of a few sentences still gets a key point that is not
// a sentence of its summary.
func TestBuiltinShortChapterKeyPointIsNotItsSummary(t *testing.T) {
	t.Parallel()
	lines := []string{
		"Welcome back to the garden show, where we talk about soil every week.",
		"Last week we covered compost piles and how warm they get in summer.",
		"This week we talk about mulch and why worms love it so much.",
		"Mulch keeps moisture in the soil and feeds the worms over the winter.",
		"Straw and leaves make the best mulch for a vegetable garden.",
		"Wood chips work better around trees and shrubs than in beds.",
	}
	var tr recap.Transcript
	for i, l := range lines {
		tr.Units = append(tr.Units, recap.Unit{Start: recap.Secs(float64(i) * 8), End: recap.Secs(float64(i)*8 + 7), Text: l})
	}
	tr.Chapters = []recap.Chapter{{Title: "Last week", Start: 0}, {Title: "Mulch", Start: 16}}
	doc := summarizeValid(t, tr)
	for _, topic := range doc.Topics {
		for _, s := range topic.Segments {
			if strings.Contains(topic.Summary, s.Text) {
				t.Errorf("%s: key point %q repeats its summary %q", topic.Title, s.Text, topic.Summary)
			}
		}
	}
}
