package summarize

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/recap-startos/recap/pkg/recap"
	"github.com/recap-startos/recap/pkg/transcript"
)

func TestGreets(t *testing.T) {
	t.Parallel()
	for text, want := range map[string]bool{
		"Live from Utrecht, this is Bitcoin Explained.": true,
		"Hey Sjors.":                                   true,
		"Hi, everyone, and welcome back.":              true,
		"I’m your host, and today we talk about fees.": true,
		"Today I'm joined by two guests.":              true,
		"The hidden service listens on a port.":        false, // "hi" only inside a word
		"They argued about the hash function.":         false,
		"So what is a light client?":                   false,
	} {
		if got := greets(tokenize(text, nil)); got != want {
			t.Errorf("greets(%q) = %v, want %v", text, got, want)
		}
	}
}

// A talk's speakers are who talks, not what about: their names never
// title a topic, however often they are said.
func TestTitlesLeaveSpeakerNamesOut(t *testing.T) {
	t.Parallel()
	var units []recap.Unit
	at := 0.0
	say := func(speaker, text string) {
		start, end := at, at+6
		units = append(units, recap.Unit{I: len(units), Start: &start, End: &end, Speaker: speaker, Text: text})
		at = end
	}
	for range 30 {
		say("Aaron van Wirdum", "Sjors, what do the mining pools do with the block template?")
		say("Sjors Provoost", "Aaron, a mining pool builds the block template for its hashers.")
	}
	from := len(units)
	words := []string{"filters", "wallets", "peers", "headers", "servers", "privacy", "bandwidth", "phones", "nodes", "scripts"}
	for i := range 20 {
		say("Aaron van Wirdum", "Sjors Provoost, tell me more about "+words[i%len(words)]+".")
		say("Sjors Provoost", "Sure Aaron van Wirdum, light clients use block filters with "+words[(i+3)%len(words)]+".")
	}
	x := collectPhrases(analyze(units))
	a := analyze(units)
	total := 0
	for _, terms := range a.terms {
		total += len(terms)
	}
	title := x.topicTitle(a, from, len(units)-1, total, map[string]bool{})
	t.Logf("title: %s", title)
	if title == "" {
		t.Fatal("no title")
	}
	for _, name := range []string{"aaron", "sjors", "wirdum", "provoost"} {
		if strings.Contains(strings.ToLower(title), name) {
			t.Errorf("title %q names a speaker", title)
		}
	}
}

// timedUnits builds units of six seconds each, without speakers.
func timedUnits(texts ...string) []recap.Unit {
	units := make([]recap.Unit, len(texts))
	for i, text := range texts {
		start, end := float64(6*i), float64(6*i+6)
		units[i] = recap.Unit{I: i, Start: &start, End: &end, Text: text}
	}
	return units
}

// titleOf titles units [from, len-1] of units as the engine does.
func titleOf(units []recap.Unit, from int) string {
	a := analyze(units)
	x := collectPhrases(a)
	total := 0
	for _, terms := range a.terms {
		total += len(terms)
	}
	return x.topicTitle(a, from, len(units)-1, total, map[string]bool{})
}

// A host who names himself ("This is your host, Michael Kennedy") is
// who talks, as a speaker label would say, and never a title, even in
// captions that carry no speaker labels.
func TestTitlesLeaveIntroducedNamesOut(t *testing.T) {
	t.Parallel()
	texts := []string{"Welcome to the show.", "This is your host, Michael Kennedy."}
	for range 12 {
		texts = append(texts, "Our guest grew up near the coast and studied music first.")
	}
	from := len(texts)
	subjects := []string{"type hints", "code formatters", "test suites", "data classes"}
	for i := range 24 {
		texts = append(texts,
			"Michael Kennedy asks how "+subjects[i%4]+" help beginners.",
			"Our guest thinks "+subjects[(i+1)%4]+" matter as much as Michael Kennedy says.")
	}
	title := titleOf(timedUnits(texts...), from)
	t.Logf("title: %s", title)
	if title == "" || strings.Contains(strings.ToLower(title), "kennedy") || strings.Contains(strings.ToLower(title), "michael") {
		t.Errorf("title %q names the host", title)
	}
}

func TestNamesAfterCue(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		text, phrase string
		want         bool
	}{
		{"so let's talk about eclipse attacks.", "eclipse attacks", true},
		{"what is a cve number?", "cve", true},
		{"it's called the package relay proposal.", "package relay", true},
		{"can you explain miniscript?", "miniscript", true},
		{"eclipse attacks are old news.", "eclipse attacks", false},
		{"we talked with aaron about it, and eclipse attacks came up.", "eclipse attacks", false},
		{"the cve came first; what is the cve number?", "cve", true}, // the second occurrence
	} {
		if got := namesAfterCue(c.text, c.phrase); got != c.want {
			t.Errorf("namesAfterCue(%q, %q) = %v, want %v", c.text, c.phrase, got, c.want)
		}
	}
}

// A source's subject may head two topics, never three, and only beside
// a phrase of the topic's own; titles stay distinct. On this episode the
// subject ("Watchtowers") would head three topics without the limit.
func TestSubjectTitlesAtMostTwoTopics(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "talks", "chaincode-podcast_watchtowers-lightning-privacy.md"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for line := range strings.Lines(string(data)) {
		if !strings.HasPrefix(line, "#") {
			b.WriteString(line)
		}
	}
	tr, err := transcript.Parse("watchtowers.md", []byte(b.String()), transcript.Options{})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := NewBuiltin().Summarize(context.Background(), tr, nil)
	if err != nil {
		t.Fatal(err)
	}
	titles := map[string]bool{}
	parts := map[string]int{}
	for _, topic := range doc.Topics {
		t.Log(topic.Title)
		if titles[topic.Title] {
			t.Errorf("title %q repeats", topic.Title)
		}
		titles[topic.Title] = true
		for p := range strings.SplitSeq(strings.ToLower(topic.Title), " and ") {
			parts[p]++
		}
	}
	for p, n := range parts {
		if n > 2 {
			t.Errorf("%q heads %d topics, want at most 2", p, n)
		}
	}
}

func TestReadsAsNoun(t *testing.T) {
	t.Parallel()
	for surface, want := range map[string]bool{
		"address relay":              true,
		"silent payments":            true, // "payments" is a noun, though "pay" is a verb
		"settlement":                 true,
		"Python Packaging Authority": true,
		"proof of work":              true,
		"payments meet block":        false, // a clause
		"amazing":                    false,
		"switching":                  false,
		"discussed":                  false,
		"really fast":                false,
		"explain":                    false,
	} {
		if got := readsAsNoun(surface); got != want {
			t.Errorf("readsAsNoun(%q) = %v, want %v", surface, got, want)
		}
	}
}

func TestIntroducedNames(t *testing.T) {
	t.Parallel()
	a := analyze(timedUnits(
		"This is your host, Michael Kennedy.",
		"I’m Sydney Runkle, and I study computer science.",
		"I'm Glad you asked.", // one capitalized word after "I'm" is not a name
		"My name is Gloria.",
	))
	stems := map[string]bool{}
	introducedNames(a, stems)
	for _, name := range []string{"Michael", "Kennedy", "Sydney", "Runkle", "Gloria"} {
		if !stems[stem(strings.ToLower(name))] {
			t.Errorf("%s is not taken for a name: %v", name, stems)
		}
	}
	if stems[stem("glad")] {
		t.Errorf("glad is taken for a name: %v", stems)
	}
}
