package summarize

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/recap-startos/recap/pkg/recap"
)

var updatePrompts = flag.Bool("update", false, "rewrite the prompt golden files")

// TestPromptGolden renders every prompt for a small transcript and
// compares it with testdata/llm/prompts/NAME.golden.
func TestPromptGolden(t *testing.T) {
	t.Parallel()
	tr := &recap.Transcript{
		Source: recap.Source{Type: recap.SourceYouTube, Title: "Watchtowers and privacy", Channel: "A Podcast", Duration: 95},
		Units: []recap.Unit{
			{Start: recap.Secs(0), End: recap.Secs(4), Text: "Welcome back to the show."},
			{Start: recap.Secs(4), End: recap.Secs(31), Text: "Today we talk about watchtowers."},
			{Start: recap.Secs(31), End: recap.Secs(60), Text: "A watchtower watches the chain while you are offline."},
			{Start: recap.Secs(60), End: recap.Secs(95), Text: "Then privacy: what the tower learns about you."},
		},
		Chapters: []recap.Chapter{{Title: "Intro", Start: 0}, {Title: "Privacy", Start: 60}},
	}
	if err := tr.Normalize(); err != nil {
		t.Fatal(err)
	}
	r := &run{e: &llmEngine{name: recap.EngineOpenAI, backend: &instant{ctx: 8192}}, t: tr, units: Units(tr)}
	r.fixed, r.fixedTitles = chapterStarts(r.units, tr.Chapters)
	pl, err := r.plan()
	if err != nil {
		t.Fatal(err)
	}
	single := r.baseData()
	single.TopicHint, single.Last, single.Span = topicHint(tr.Words()), len(r.units)-1, r.span(0, len(r.units)-1)
	single.Transcript = pl.lines[0] + pl.lines[1] + pl.lines[2] + pl.lines[3]
	bare := single
	bare.Chapters = nil
	if len(single.Chapters) != 2 {
		t.Fatalf("chapters %v", single.Chapters)
	}
	part := single
	part.Part, part.Parts, part.First, part.Last, part.Span = 2, 3, 2, 3, r.span(2, 3)
	part.Transcript = pl.lines[2] + pl.lines[3]
	merge := bare
	merge.Parts = 2
	merge.Windows = []promptWindow{
		{Part: 1, Span: r.span(0, 1), Summary: "The hosts open the show.", Sections: []promptSection{{Unit: 0, Clock: "0:00", Title: "Welcome", Summary: "A greeting."}}},
		{Part: 2, Span: r.span(2, 3), Summary: "Watchtowers and privacy.", Sections: []promptSection{{Unit: 2, Clock: "0:31", Title: "Watchtowers"}, {Unit: 3, Clock: "1:00", Title: "Privacy", Summary: "What the tower learns."}}},
	}
	cases := map[string]string{
		"system":          systemPrompt(),
		"single":          renderPrompt("single.tmpl", bare),
		"single-chapters": renderPrompt("single.tmpl", single),
		"map":             renderPrompt("map.tmpl", part),
		"reduce":          renderPrompt("reduce.tmpl", merge),
		"repair":          repairPrompt("no JSON object found"),
	}
	for name, got := range cases {
		path := filepath.Join("testdata", "llm", "prompts", name+".golden")
		if *updatePrompts {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if got != string(want) {
			t.Errorf("prompt %s differs from %s:\n%s", name, path, got)
		}
	}
}
