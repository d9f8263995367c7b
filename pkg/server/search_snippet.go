package server

import (
	"context"
	"fmt"
	"html/template"
	"net/url"
	"strings"

	"github.com/recap-startos/recap/pkg/library"
	"github.com/recap-startos/recap/pkg/recap"
)

// A search result shows why it matched: the passage of the recap where
// the matched words weigh most (a key point, a topic title, the summary
// or a transcript line, in the order the index weighs them), cut around
// the first match, with the words marked and, for a passage with a time,
// a link to that moment of the recap. A word that matched as the start of
// a longer one ("fee" finding "feed") is said so.

// snippetRadius is how many characters of context a snippet keeps on
// each side of its first match.
const snippetRadius = 90

// hitRow is a search result on the library page.
type hitRow struct {
	library.Hit
	Snippet *snippet
	// Prefixes explains words that matched as the start of a longer word.
	Prefixes []prefixMatch
}

type snippet struct {
	Where string        // "Key point", "Topic", "Summary", "Transcript"
	Clock string        // the passage's time, "" when it has none
	Link  string        // the recap at that moment, "" without a time
	HTML  template.HTML // the passage, escaped, matches marked
}

type prefixMatch struct{ Typed, Found string }

// passage is a piece of a recap that a snippet can come from.
type passage struct {
	where  string
	weight int
	text   string
	at     *float64
}

// hitRows explains each hit of a search for text: it reads each recap
// (a page holds at most library.MaxLimit), and a recap that cannot be
// read is shown without a snippet.
func (s *Server) hitRows(ctx context.Context, userID, text string, hits []library.Hit) []hitRow {
	words := library.Tokenize(text)
	rows := make([]hitRow, len(hits))
	for i, h := range hits {
		rows[i] = hitRow{Hit: h}
		if len(h.Matched) == 0 {
			continue
		}
		rows[i].Prefixes = prefixesOf(words, h.Matched)
		if doc, err := s.lib.Get(ctx, userID, h.ID); err == nil {
			rows[i].Snippet = bestSnippet(doc, h.Matched)
		}
	}
	return rows
}

// prefixesOf pairs each query word with the term it matched, when that
// term is longer than the word (only the last word matches as a prefix).
func prefixesOf(words, matched []string) []prefixMatch {
	if len(words) != len(matched) {
		return nil
	}
	var out []prefixMatch
	for i, w := range words {
		if matched[i] != w {
			out = append(out, prefixMatch{Typed: w, Found: matched[i]})
		}
	}
	return out
}

// passagesOf lists the recap's passages that can explain a match.
func passagesOf(doc *recap.Document) []passage {
	ps := []passage{{where: "Summary", weight: 4, text: doc.Summary}}
	for _, t := range doc.Topics {
		ps = append(ps, passage{where: "Topic", weight: 6, text: t.Title, at: t.Start})
		for _, seg := range t.Segments {
			ps = append(ps, passage{where: "Key point", weight: 2, text: seg.Text, at: seg.Start})
		}
	}
	for _, u := range doc.Transcript {
		ps = append(ps, passage{where: "Transcript", weight: 1, text: u.Text, at: u.Start})
	}
	return ps
}

// bestSnippet picks the passage whose matched terms weigh most (the
// first of equals), or nil when only the title matched.
func bestSnippet(doc *recap.Document, matched []string) *snippet {
	want := map[string]bool{}
	for _, m := range matched {
		want[m] = true
	}
	var best *passage
	bestScore := 0
	ps := passagesOf(doc)
	for i := range ps {
		found := map[string]bool{}
		for _, t := range library.Tokenize(ps[i].text) {
			if want[t] {
				found[t] = true
			}
		}
		if score := len(found) * ps[i].weight; score > bestScore {
			best, bestScore = &ps[i], score
		}
	}
	if best == nil {
		return nil
	}
	sn := &snippet{Where: best.where, HTML: highlight(around(best.text, want), matched)}
	if best.at != nil {
		sn.Clock = recap.FormatClock(*best.at)
		sn.Link = fmt.Sprintf("/recaps/%s#t=%d", url.PathEscape(doc.ID), transcriptSecond(doc, *best.at))
	}
	return sn
}

// transcriptSecond is the start second of the transcript line at or
// before at, which the recap page anchors as t=N.
func transcriptSecond(doc *recap.Document, at float64) int {
	secs := int(at)
	for _, u := range doc.Transcript {
		if u.Start == nil || *u.Start > at {
			break
		}
		secs = int(*u.Start)
	}
	return secs
}

// around cuts text to snippetRadius characters either side of the first
// word whose term is wanted, at word boundaries, with ellipses.
func around(text string, want map[string]bool) string {
	first := -1
	for i := 0; i < len(text) && first < 0; {
		j := strings.IndexAny(text[i:], " \t\n")
		end := len(text)
		if j >= 0 {
			end = i + j
		}
		for _, t := range library.Tokenize(text[i:end]) {
			if want[t] {
				first = i
				break
			}
		}
		i = end + 1
	}
	if first < 0 {
		first = 0
	}
	start, stop := max(first-snippetRadius, 0), min(first+snippetRadius, len(text))
	for start > 0 && text[start-1] != ' ' {
		start--
	}
	for stop < len(text) && text[stop] != ' ' {
		stop++
	}
	out := strings.TrimSpace(text[start:stop])
	if start > 0 {
		out = "…" + out
	}
	if stop < len(text) {
		out += "…"
	}
	return out
}
