package recap

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

func timedUnits(texts ...string) []Unit {
	us := make([]Unit, len(texts))
	for i, t := range texts {
		us[i] = Unit{I: i, Start: Secs(float64(i) * 5), End: Secs(float64(i)*5 + 4), Text: t}
	}
	return us
}

// sample is a small valid document: three units, two topics.
func sample() *Document {
	units := timedUnits("Hello and welcome.", "Bitcoin fees rose this week.", "Thanks, bye.")
	s0, e0 := TopicTimes(units, 0, 1)
	s1, e1 := TopicTimes(units, 2, 2)
	return &Document{
		Version: Version, ID: "20261126-120000-abcdefgh",
		CreatedAt: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC),
		Source: Source{Type: SourceYouTube, URL: "https://www.youtube.com/watch?v=dQw4w9WgXcQ", VideoID: "dQw4w9WgXcQ",
			Title: "Fees *this* week", Channel: "Node Talk", UploadDate: "2026-11-20", Duration: 15, Captions: CaptionsManual},
		Engine:   Engine{Name: EngineBuiltin},
		Title:    "Fees *this* week",
		Summary:  "Bitcoin fees rose this week.",
		Keywords: []string{"bitcoin", "fees"},
		Topics: []Topic{
			{Title: "Fees", Start: s0, End: e0, StartUnit: 0, EndUnit: 1, Summary: "Fees rose.",
				Segments: []Segment{{Start: units[1].Start, Unit: 1, Text: "Bitcoin fees rose this week."}}},
			{Title: "Goodbye", Start: s1, End: e1, StartUnit: 2, EndUnit: 2, Summary: "Bye.",
				Segments: []Segment{{Start: units[2].Start, Unit: 2, Text: "Thanks"}}},
		},
		Transcript: units,
		Stats:      Stats{Words: 10, Units: 3},
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		break_ func(d *Document)
		want   string // substring of the error; "" means valid
	}{
		{"valid", func(d *Document) {}, ""},
		{"untimed valid", func(d *Document) {
			for i := range d.Transcript {
				d.Transcript[i].Start, d.Transcript[i].End = nil, nil
			}
			for i := range d.Topics {
				d.Topics[i].Start, d.Topics[i].End = nil, nil
				for j := range d.Topics[i].Segments {
					d.Topics[i].Segments[j].Start = nil
				}
			}
		}, ""},
		{"wrong version", func(d *Document) { d.Version = 2 }, "version"},
		{"path in id", func(d *Document) { d.ID = "../x" }, "id"},
		{"unknown source", func(d *Document) { d.Source.Type = "vimeo" }, "source.type"},
		{"unknown engine", func(d *Document) { d.Engine.Name = "magic" }, "engine.name"},
		{"no title", func(d *Document) { d.Title = " " }, "title"},
		{"empty transcript", func(d *Document) { d.Transcript = nil }, "transcript is empty"},
		{"bad index", func(d *Document) { d.Transcript[1].I = 5 }, "transcript[1].i"},
		{"times go back", func(d *Document) { d.Transcript[2].Start = Secs(1) }, "before"},
		{"end before start", func(d *Document) { d.Transcript[1].End = Secs(4) }, "end_s"},
		{"past duration", func(d *Document) { d.Source.Duration = 8 }, "after the duration"},
		{"mixed timing", func(d *Document) { d.Transcript[1].Start = nil }, "timed differently"},
		{"gap between topics", func(d *Document) { d.Topics[1].StartUnit = 3 }, "start_unit"},
		{"overlap", func(d *Document) { d.Topics[0].EndUnit, d.Topics[0].End = 2, d.Transcript[2].End }, "start_unit"},
		{"uncovered tail", func(d *Document) { d.Topics = d.Topics[:1] }, "topics end"},
		{"no topics", func(d *Document) { d.Topics = nil }, "no topics"},
		{"topic start time wrong", func(d *Document) { d.Topics[0].Start = Secs(3) }, "topics[0].start_s"},
		{"topic end time wrong", func(d *Document) { d.Topics[1].End = Secs(99) }, "topics[1].end_s"},
		{"segment outside topic", func(d *Document) { d.Topics[0].Segments[0].Unit = 2 }, "outside the topic"},
		{"segment time wrong", func(d *Document) { d.Topics[0].Segments[0].Start = Secs(0) }, "segments[0].start_s"},
		{"segment not grounded", func(d *Document) { d.Topics[0].Segments[0].Text = "Fees fell." }, "not taken from"},
		{"llm may paraphrase", func(d *Document) {
			d.Engine.Name = EngineOpenAI
			d.Topics[0].Segments[0].Text = "Fees went up."
		}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := sample()
			c.break_(d)
			err := d.Validate()
			if c.want == "" {
				if err != nil {
					t.Fatalf("want valid, got %v", err)
				}
				return
			}
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want error containing %q, got %v", c.want, err)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	t.Run("sorts, trims, drops empty, clamps", func(t *testing.T) {
		tr := Transcript{Source: Source{Duration: 20}, Units: []Unit{
			{Start: Secs(10), End: Secs(12), Text: "  second\n line "},
			{Start: Secs(2), End: Secs(1), Text: "first"},
			{Start: Secs(15), End: Secs(30), Text: "third"},
			{Start: Secs(16), Text: "   "},
		}}
		if err := tr.Normalize(); err != nil {
			t.Fatal(err)
		}
		if len(tr.Units) != 3 || tr.Units[0].Text != "first" || tr.Units[1].Text != "second line" {
			t.Fatalf("units = %+v", tr.Units)
		}
		if *tr.Units[0].End != 2 || *tr.Units[2].End != 20 || tr.Units[2].I != 2 {
			t.Fatalf("times not repaired: %v %v", *tr.Units[0].End, *tr.Units[2].End)
		}
	})
	t.Run("sparse times are filled", func(t *testing.T) {
		// A unit before the first time comes a word's length before it.
		tr := Transcript{Units: []Unit{{Text: "a"}, {Start: Secs(5), Text: "b"}, {Text: "c"}}}
		if err := tr.Normalize(); err != nil {
			t.Fatal(err)
		}
		if !tr.Timed() || *tr.Units[0].Start != 4.6 || *tr.Units[2].Start != 5 {
			t.Fatalf("units = %+v", tr.Units)
		}
	})
	t.Run("empty", func(t *testing.T) {
		tr := Transcript{Units: []Unit{{Text: " "}}}
		if err := tr.Normalize(); !errors.Is(err, ErrEmptyTranscript) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("chapters", func(t *testing.T) {
		tr := Transcript{Source: Source{Duration: 100}, Units: timedUnits("x"),
			Chapters: []Chapter{{"B", 50}, {"A", -1}, {"dup", 50}, {"late", 100}}}
		if err := tr.Normalize(); err != nil {
			t.Fatal(err)
		}
		if len(tr.Chapters) != 2 || tr.Chapters[0].Title != "A" || tr.Chapters[0].Start != 0 {
			t.Fatalf("chapters = %+v", tr.Chapters)
		}
	})
}

func TestMarkdownGolden(t *testing.T) {
	t.Parallel()
	got := sample().Markdown()
	golden := filepath.Join("testdata", "sample.md.golden")
	if *update {
		os.MkdirAll("testdata", 0o755)
		os.WriteFile(golden, []byte(got), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if got != string(want) {
		t.Fatalf("markdown differs from %s:\n%s", golden, got)
	}
	if !strings.Contains(got, "[0:05](https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=5s)") {
		t.Fatal("timestamp links do not carry t=")
	}
}

func TestLinkAt(t *testing.T) {
	t.Parallel()
	d := sample()
	cases := []struct {
		name string
		src  Source
		want string
	}{
		{"youtube", Source{Type: SourceYouTube, VideoID: "abcdefghijk"}, "https://www.youtube.com/watch?v=abcdefghijk&t=75s"},
		{"podcast media", Source{Type: SourcePodcast, URL: "https://f.example/feed", MediaURL: "https://m.example/ep.mp3"}, "https://m.example/ep.mp3#t=75"},
		{"file url", Source{Type: SourceFile, URL: "https://x.example/a.vtt#old"}, "https://x.example/a.vtt#t=75"},
		{"local file", Source{Type: SourceFile, FileName: "a.vtt"}, ""},
		{"javascript url", Source{Type: SourceFile, URL: "javascript:alert(1)"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d.Source = c.src
			if got := d.LinkAt(75.9); got != c.want {
				t.Fatalf("LinkAt = %q, want %q", got, c.want)
			}
		})
	}
}

func TestFormatClock(t *testing.T) {
	t.Parallel()
	for in, want := range map[float64]string{0: "0:00", 59.9: "0:59", 61: "1:01", 3600: "1:00:00", 7325: "2:02:05"} {
		if got := FormatClock(in); got != want {
			t.Errorf("FormatClock(%v) = %q, want %q", in, got, want)
		}
	}
}

// TestMarkdownLinksCannotInject: a feed or media URL made to close the
// link target, open HTML or run script stays one inert http(s) link (or
// plain text) in the exported Markdown.
func TestMarkdownLinksCannotInject(t *testing.T) {
	t.Parallel()
	cases := []Source{
		{Type: SourcePodcast, URL: "https://f.example/feed", MediaURL: `https://m.example/ep.mp3)<img src=x onerror=alert(1)>`},
		{Type: SourcePodcast, URL: `https://f.example/feed>"<script>alert(1)</script>`, MediaURL: "javascript:alert(1)//.mp3"},
		{Type: SourceFile, URL: "https://x.example/a b.vtt?q=[1](javascript:alert(1))"},
		{Type: SourceFile, URL: "javascript:alert(1)"},
		{Type: SourceFile, URL: "data:text/html,<img src=x onerror=alert(1)>"},
	}
	for _, src := range cases {
		d := sample()
		d.Source = src
		md := d.Markdown()
		live := strings.ReplaceAll(md, `\<`, "") // an escaped < is text
		for _, bad := range []string{"<img", "<script", "](javascript:", "<javascript:", "(data:", "<data:"} {
			if strings.Contains(live, bad) {
				t.Errorf("source %+v: Markdown contains %q:\n%s", src, bad, md)
			}
		}
		// Every link target is a plain http(s) URL.
		for _, target := range regexp.MustCompile(`\]\(([^)]*)\)`).FindAllStringSubmatch(md, -1) {
			if !strings.HasPrefix(target[1], "https://") || strings.ContainsAny(target[1], "<>\"' ") {
				t.Errorf("source %+v: link target %q", src, target[1])
			}
		}
	}
	if got := SafeURL(`https://m.example/a(b)<c>"d"`); got != "https://m.example/a%28b%29%3Cc%3E%22d%22" {
		t.Errorf("SafeURL = %q", got)
	}
}

func TestDocumentLength(t *testing.T) {
	t.Parallel()
	timed := []Unit{{I: 0, Start: Secs(0), End: Secs(4), Text: "a"}, {I: 1, Start: Secs(4), End: Secs(61.5), Text: "b"}}
	untimed := []Unit{{I: 0, Text: "a"}}
	cases := []struct {
		name     string
		duration float64
		units    []Unit
		want     float64
	}{
		{"the source's duration wins", 90, timed, 90},
		{"else the timed transcript's end", 0, timed, 61.5},
		{"an untimed transcript has none", 0, untimed, 0},
		{"a negative duration is unknown", -5, timed, 61.5},
		{"no transcript", 0, nil, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := &Document{Source: Source{Duration: c.duration}, Transcript: c.units}
			if got := d.Length(); got != c.want {
				t.Fatalf("Length = %v, want %v", got, c.want)
			}
		})
	}
}
