package server

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/recap-startos/recap/pkg/library"
	"github.com/recap-startos/recap/pkg/recap"
)

// gardenRecap is a recap of a file whose only mention of "feed" is one
// transcript line at 0:40.
func gardenRecap(t *testing.T) *recap.Document {
	t.Helper()
	lines := []string{"Welcome to the garden hour.", "Today we talk about tomatoes and sun.", "Water them in the morning.",
		"Compost helps the soil.", "Birds come for the feeder in winter.", "That is all for today."}
	units := make([]recap.Unit, len(lines))
	for i, l := range lines {
		units[i] = recap.Unit{I: i, Start: recap.Secs(float64(i * 10)), End: recap.Secs(float64(i*10 + 9)), Text: l}
	}
	now := time.Now().UTC().Truncate(time.Second)
	doc := &recap.Document{
		Version: recap.Version, ID: library.NewID(now), CreatedAt: now,
		Source: recap.Source{Type: recap.SourceFile, FileName: "garden.vtt", Title: "Garden hour"},
		Engine: recap.Engine{Name: recap.EngineBuiltin}, Title: "Garden hour", Summary: "Tomatoes, water and compost.",
		Topics: []recap.Topic{
			{Title: "Tomatoes", Start: units[0].Start, End: units[2].End, StartUnit: 0, EndUnit: 2, Summary: "Sun and water.",
				Segments: []recap.Segment{{Start: units[1].Start, Unit: 1, Text: lines[1]}}},
			{Title: "Soil", Start: units[3].Start, End: units[5].End, StartUnit: 3, EndUnit: 5, Summary: "Compost.",
				Segments: []recap.Segment{{Start: units[3].Start, Unit: 3, Text: lines[3]}}},
		},
		Transcript: units, Stats: recap.Stats{Words: 30, Units: len(units)},
	}
	if err := doc.Validate(); err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestSearchShowsWhy: a search result shows the passage that matched,
// marked, with a link to its moment, and says when a word matched as the
// start of a longer one.
func TestSearchShowsWhy(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.login(t)
	doc := gardenRecap(t)
	if err := e.lib.Save(doc); err != nil {
		t.Fatal(err)
	}
	w := e.do(t, request{method: "GET", path: "/library?q=" + url.QueryEscape("fee"), cookie: tok})
	body := w.Body.String()
	for _, want := range []string{
		`<a class="ts" href="/recaps/` + doc.ID + `#t=40">Transcript at 0:40</a>: Birds come for the <mark>feeder</mark> in winter.`,
		`“fee” matched “feeder”`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("search for fee lacks %q", want)
		}
	}
	// A whole word found in a key point is shown there, without a prefix note.
	body = e.do(t, request{method: "GET", path: "/library?q=helps", cookie: tok}).Body.String()
	if !strings.Contains(body, `Key point at 0:30</a>: Compost <mark>helps</mark> the soil.`) || strings.Contains(body, "prefix-note") {
		t.Errorf("search for helps:\n%s", body)
	}
}

// TestBrowserSearchSnippet searches in headless Chromium and follows the
// snippet's timestamp to the transcript line.
func TestBrowserSearchSnippet(t *testing.T) {
	needChromium(t)
	e := newEnv(t)
	doc := gardenRecap(t)
	if err := e.lib.Save(doc); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(e.srv)
	defer ts.Close()
	ctx := startBrowser(t)
	signInBrowser(t, ctx, ts.URL)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/library"),
		chromedp.WaitVisible(chromedp.ID("q")),
		chromedp.SendKeys(chromedp.ID("q"), "fee"),
		chromedp.Submit(chromedp.ID("q")),
		chromedp.WaitVisible(chromedp.CSS("#results .snippet mark")),
	); err != nil {
		t.Fatalf("search: %v", err)
	}
	marked, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#results .snippet mark")))
	if err != nil || marked != "feeder" {
		t.Fatalf("marked %q (%v)", marked, err)
	}
	note, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#results .prefix-note")))
	if err != nil || !strings.Contains(note, "“fee” matched “feeder”") {
		t.Fatalf("prefix note %q (%v)", note, err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#results .snippet a.ts")),
		chromedp.WaitVisible(chromedp.CSS("#transcript li:target")),
	); err != nil {
		t.Fatalf("follow the snippet: %v", err)
	}
	line, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#transcript li:target")))
	if err != nil || !strings.Contains(line, "feeder") {
		t.Fatalf("landed on %q (%v)", line, err)
	}
}
