package summarize

import (
	"strings"
	"testing"

	"github.com/recap-startos/recap/pkg/recap"
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
