package summarize

import (
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
	long := strings.Repeat("word ", 130)
	cases := []struct {
		name string
		in   *recap.Transcript
		want string
	}{
		{
			"punctuated cues are joined and cut at sentence ends",
			cues(true, cue{0, 2, "Hello there. This is", ""}, cue{2, 4, "a test of units.", ""}, cue{4, 6, "Another one", ""}, cue{6, 7, "here.", ""}),
			"0:00-0:02 Hello there.\n0:00-0:04 This is a test of units.\n0:04-0:07 Another one here.\n",
		},
		{
			"automatic captions are cut at pauses",
			cues(true, cue{0, 2, "so today we talk", ""}, cue{2, 3.5, "about compost", ""}, cue{5, 6, "and then soil", ""}),
			"0:00-0:03 so today we talk about compost\n0:05-0:06 and then soil\n",
		},
		{
			"a long unit is capped at 60 words",
			cues(false, cue{text: long}),
			strings.Repeat("word ", 59) + "word\n" + strings.Repeat("word ", 59) + "word\n" + strings.Repeat("word ", 9) + "word\n",
		},
		{
			"a long stretch without pauses is capped at 30 seconds",
			cues(true, cue{0, 10, "one two three", ""}, cue{10, 20, "four five six", ""}, cue{20, 30, "seven eight", ""}, cue{30, 40, "nine ten", ""}),
			"0:00-0:30 one two three four five six seven eight\n0:30-0:40 nine ten\n",
		},
		{
			"untimed text is cut into sentences, not at abbreviations",
			cues(false, cue{text: "Mr. Smith arrived at 5 p.m. today. He sat down! Did he?"}),
			"Mr. Smith arrived at 5 p.m. today.\nHe sat down!\nDid he?\n",
		},
		{
			"a speaker change ends a unit",
			cues(true, cue{0, 2, "so what do you think", "A"}, cue{2, 4, "i think it works", "B"}),
			"0:00-0:02 so what do you think\n0:02-0:04 i think it works\n",
		},
		{
			"tags are units of their own",
			cues(true, cue{0, 2, "[Music]", ""}, cue{2, 4, "welcome to the show", ""}),
			"0:00-0:02 [Music]\n0:02-0:04 welcome to the show\n",
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

func TestDropFillers(t *testing.T) {
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
