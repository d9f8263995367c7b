package summarize

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/recap-startos/recap/pkg/recap"
)

type cue struct {
	start, end float64
	text       string
	speaker    string
}

func cues(timed bool, cs ...cue) *recap.Transcript {
	t := &recap.Transcript{}
	for i, c := range cs {
		u := recap.Unit{I: i, Text: c.text, Speaker: c.speaker}
		if timed {
			u.Start, u.End = recap.Secs(c.start), recap.Secs(c.end)
		}
		t.Units = append(t.Units, u)
	}
	return t
}

// render shows units as "start-end text" lines, or "text" without times.
func render(units []recap.Unit) string {
	var b strings.Builder
	for _, u := range units {
		if u.Start != nil {
			b.WriteString(recap.FormatClock(*u.Start) + "-" + recap.FormatClock(*u.End) + " ")
		}
		b.WriteString(u.Text + "\n")
	}
	return b.String()
}

func TestUnits(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("word ", 130)
	cases := []struct {
		name string
		in   *recap.Transcript
		want string
	}{
		{
			"punctuated cues are joined and cut at sentence ends",
			cues(true, cue{0, 2, "Hello there. This is", ""}, cue{2, 4, "a test of units.", ""}, cue{4, 6, "Another one", ""}, cue{6, 7, "here.", ""}),
			"0:00-0:02 Hello there.\n0:01-0:04 This is a test of units.\n0:04-0:07 Another one here.\n",
		},
		{
			"automatic captions are cut at pauses",
			cues(true, cue{0, 2, "so today we talk", ""}, cue{2, 3.5, "about compost", ""}, cue{5, 6, "and then soil", ""}),
			"0:00-0:03 So today we talk about compost.\n0:05-0:06 And then soil.\n",
		},
		{
			"a long stretch of text without punctuation is cut at about 32 words",
			cues(false, cue{text: long}),
			strings.Repeat("Word "+strings.Repeat("word ", 26)+"word.\n", 4) + "Word " + strings.Repeat("word ", 16) + "word.\n",
		},
		{
			"a long punctuated sentence is capped at 60 words",
			cues(false, cue{text: strings.Repeat("One two three. ", 5) + long + "end."}),
			strings.Repeat("One two three.\n", 5) + strings.Repeat("word ", 59) + "word\n" + strings.Repeat("word ", 59) + "word\n" + strings.Repeat("word ", 10) + "end.\n",
		},
		{
			"a long stretch without pauses is capped at 30 seconds",
			cues(true, cue{0, 10, "one two three", ""}, cue{10, 20, "four five six", ""}, cue{20, 30, "seven eight", ""}, cue{30, 40, "nine ten", ""}),
			"0:00-0:30 one two three four five six seven eight\n0:30-0:40 Nine ten.\n",
		},
		{
			"untimed text is cut into sentences, not at abbreviations",
			cues(false, cue{text: "Mr. Smith arrived at 5 p.m. today. He sat down! Did he?"}),
			"Mr. Smith arrived at 5 p.m. today.\nHe sat down!\nDid he?\n",
		},
		{
			"a speaker change ends a unit",
			cues(true, cue{0, 2, "so what do you think", "A"}, cue{2, 4, "i think it works", "B"}),
			"0:00-0:02 So what do you think.\n0:02-0:04 I think it works.\n",
		},
		{
			"tags are units of their own",
			cues(true, cue{0, 2, "[Music]", ""}, cue{2, 4, "welcome to the show", ""}),
			"0:00-0:02 [Music]\n0:02-0:04 Welcome to the show.\n",
		},
		{
			"sentences sharing a turn's time are spread over the turn",
			cues(true, cue{10, 10, "We start here.", "A"}, cue{10, 10, "Then we go on for a while.", "A"}, cue{40, 40, "Next turn.", "B"}),
			"0:10-0:11 We start here.\n0:11-0:16 Then we go on for a while.\n0:40-0:40 Next turn.\n",
		},
		{
			"captions are not cut at a pause after a dangling word",
			cues(true, cue{0, 2, "we went to the", ""}, cue{3, 4, "market and", ""}, cue{5, 6, "bought bread", ""}),
			"0:00-0:06 We went to the market and bought bread.\n",
		},
		{
			// No pause at all, as in automatic captions whose cues abut:
			// cut where a sentence most likely ends (edges.go).
			"captions without pauses are cut at a likely sentence edge",
			cues(true, cue{0, 2, "i think that is the main point of the", ""}, cue{2, 4, "proposal so the next question is how", ""}, cue{4, 6, "we deploy it safely", ""}),
			"0:00-0:02 I think that is the main point of the proposal.\n0:02-0:06 So the next question is how we deploy it safely.\n",
		},
		{
			// Text without capitals gets those of names and acronyms
			// (casing.go), as well as "I" and the sentence's first.
			"captions without capitals get names and acronyms back",
			cues(true, cue{0, 2, "so i think bitcoin's mempool", ""}, cue{2, 4, "uses rbf for fees", ""}),
			"0:00-0:04 So I think Bitcoin's mempool uses RBF for fees.\n",
		},
		{
			"nor after a relative pronoun or an auxiliary",
			cues(true, cue{0, 2, "an orphan is a transaction that", ""}, cue{3, 4, "spends inputs we have not", ""}, cue{4, 5, "seen yet", ""}, cue{6, 7, "so we ask for them", ""}),
			"0:00-0:05 An orphan is a transaction that spends inputs we have not seen yet.\n0:06-0:07 So we ask for them.\n",
		},
		{
			"sound tags and turn marks leave the text",
			cues(true, cue{0, 4, ">> That is funny (laughter) and [inaudible] true.", ""}, cue{4, 6, "(Audience laughs)", ""}),
			"0:00-0:04 That is funny and true.\n0:04-0:06 (Audience laughs)\n",
		},
		{
			"a punctuated turn without a final stop gets one, unless it dangles",
			cues(true, cue{0, 2, "It is so convenient isn't it", "A"}, cue{2, 4, "Yes. And the", "B"}, cue{4, 6, "Right.", "A"}),
			"0:00-0:02 It is so convenient isn't it.\n0:02-0:04 Yes.\n0:02-0:04 And the\n0:04-0:06 Right.\n",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			units := Units(c.in)
			if got := render(units); got != c.want {
				t.Errorf("units:\n%s\nwant:\n%s", got, c.want)
			}
			for i, u := range units {
				if u.I != i {
					t.Errorf("unit %d has index %d", i, u.I)
				}
			}
		})
	}
}

func TestUnitsPartial(t *testing.T) {
	t.Parallel()
	long := "This sentence runs on, " + strings.Repeat("and on ", 40) + "until it stops."
	c := cutUnits(cues(false, cue{text: "A whole sentence here. " + long + " Another whole one."}))
	var got []bool
	for _, p := range c.partial {
		got = append(got, p)
	}
	if len(got) < 4 || got[0] || !got[1] || !got[2] || got[len(got)-1] {
		t.Errorf("partial = %v for units\n%s", got, render(c.units))
	}
}

func TestFragment(t *testing.T) {
	t.Parallel()
	cases := []struct {
		s    string
		want bool
	}{
		{"The goal is to have a good variety of peers.", false},
		{"What do you think about that?", false},
		{"Then there are other podcasts that do just fine and are very.", true},
		{"order for you to create that episode.", true},
		{"Back through the archives of the show, and five", true},
		{"Too short.", true},
		{"I went there and I", true},
	}
	for _, c := range cases {
		if got := Fragment(c.s); got != c.want {
			t.Errorf("Fragment(%q) = %v, want %v", c.s, got, c.want)
		}
	}
}

func TestTidySentence(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"So, you know, the fee market is, you know, broken.", "The fee market is broken."},
		{"And then we sort of moved on.", "We moved on."},
		{"I mean, it works.", "It works."},
	}
	for _, c := range cases {
		if got := capitalize(tidySentence(c.in)); got != c.want {
			t.Errorf("tidySentence(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestDropFillers(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"video like this one , um , wherever you can", "video like this one, wherever you can"},
		{"Um, so we went there.", "So we went there."},
		{"We went there. Uh, then we left.", "We went there. Then we left."},
		{"it was, uh, fine", "it was, fine"},
		{"and that was it um.", "and that was it."},
		{"Um.", "Um."},
		{"the umbrella is here", "the umbrella is here"},
	}
	for _, c := range cases {
		if got := strings.Join(dropFillers(strings.Fields(c.in)), " "); got != c.want {
			t.Errorf("dropFillers(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestLeadingFiller(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"Um, so we went there.", "we went there."},
		{"No, just to point out that it works.", "just to point out that it works."},
		{"No one knows why.", "No one knows why."},
		{"Exactly, and the problem is this.", "the problem is this."},
		{"Anyways this episode is not about that.", "this episode is not about that."},
		{"So.", "So."},
	}
	for _, c := range cases {
		if got := c.in[leadingFiller(c.in):]; got != c.want {
			t.Errorf("after leadingFiller(%q): %q, want %q", c.in, got, c.want)
		}
	}
}

// TestCaptionCutsFindSentences turns the reference talks into automatic
// captions (no punctuation, case, speakers or pauses) and checks where
// the cutter ends units: 47 % or more on a sentence end of the human
// transcript, and 40 % or more of those ends found (49.9 % and 42.6 %
// when written). The sentence-edge table was fitted on other talks
// (edgefit_test.go); cutting only at the 32-word cap, even at the edge
// odds' best place, gives 44.8 % and 34.3 %.
func TestCaptionCutsFindSentences(t *testing.T) {
	t.Parallel()
	cut, err := captionCuts(talkFiles(t, filepath.Join("..", "..", "testdata", "talks")))
	if err != nil {
		t.Fatal(err)
	}
	precision, recall := cut.Precision(), cut.Recall()
	t.Logf("%d unit ends, %.1f %% on a sentence end; %.1f %% of %d sentence ends found", cut.Cuts, 100*precision, 100*recall, cut.Ends)
	if precision < 0.47 || recall < 0.40 {
		t.Errorf("captions cut badly: precision %.3f (want ≥ 0.47), recall %.3f (want ≥ 0.40)", precision, recall)
	}
}

// captionCuts sums CaptionCuts over the talks at paths.
func captionCuts(paths []string) (CutScore, error) {
	var sum CutScore
	for _, p := range paths {
		ref, err := LoadTalk(p)
		if err != nil {
			return CutScore{}, err
		}
		c, err := CaptionCuts(ref)
		if err != nil {
			return CutScore{}, err
		}
		sum = sum.Add(c)
	}
	return sum, nil
}
