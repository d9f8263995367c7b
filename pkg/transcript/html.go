package transcript

import (
	"errors"
	"io"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/recap-startos/recap/pkg/recap"
)

// parseHTML reads an HTML transcript in the shape the Podcasting 2.0
// namespace recommends: turns of <cite>Speaker:</cite>, <time>m:ss</time>
// and one or more <p> paragraphs. Any other HTML works too, as text: each
// paragraph or other block is split into sentences; a <time> gives its
// time to the first sentence after it, and the sentences up to the next
// <time> share it. The <title> (or the first <h1>) becomes the source
// title; later headings become chapters at the next <time>.
func parseHTML(text string) (*recap.Transcript, error) {
	t := &recap.Transcript{}
	z := html.NewTokenizer(strings.NewReader(text))
	var (
		para, capture strings.Builder
		capturing     atom.Atom // cite, time, title or a heading while inside one
		skip          int       // depth inside script, style and the like
		speaker       string
		pending       *float64 // a <time> not yet given to a sentence
		chapter       string   // a heading waiting for the next <time>
		h1Seen        bool
	)
	flush := func() {
		s := recap.CollapseSpace(dropInvisible(para.String()))
		para.Reset()
		if s == "" {
			return
		}
		for _, sentence := range splitSentences(s) {
			u := recap.Unit{Text: sentence, Speaker: speaker, Start: pending}
			pending = nil
			t.Units = append(t.Units, u)
		}
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if err := z.Err(); !errors.Is(err, io.EOF) {
				return nil, err
			}
			if capturing != 0 {
				para.WriteString(capture.String())
			}
			flush()
			return t, nil
		case html.TextToken:
			if skip > 0 {
				continue
			}
			if capturing != 0 {
				capture.Write(z.Text())
			} else {
				para.Write(z.Text())
			}
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			start := tt != html.EndTagToken
			switch a {
			case atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Svg:
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
				continue
			}
			if skip > 0 {
				continue
			}
			switch a {
			case atom.Cite, atom.Time, atom.Title, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
				if start {
					flush()
					capturing = a
					capture.Reset()
					continue
				}
				if capturing != a {
					continue
				}
				got := recap.CollapseSpace(dropInvisible(capture.String()))
				capturing = 0
				switch a {
				case atom.Cite:
					speaker = strings.TrimSpace(strings.TrimSuffix(got, ":"))
				case atom.Time:
					if v, ok := parseClock(got); ok {
						pending = recap.Secs(v)
						if chapter != "" {
							t.Chapters = append(t.Chapters, recap.Chapter{Title: chapter, Start: v})
							chapter = ""
						}
					}
				case atom.Title:
					if t.Source.Title == "" {
						t.Source.Title = got
					}
				case atom.H1:
					if !h1Seen && t.Source.Title == "" {
						t.Source.Title = got
					}
					h1Seen = true
				default:
					chapter = got
				}
			case atom.P, atom.Div, atom.Li, atom.Br, atom.Tr, atom.Blockquote, atom.Section,
				atom.Article, atom.Dd, atom.Dt, atom.Hr, atom.Body, atom.Td, atom.Th:
				if capturing != 0 {
					// An element left open ("<cite>Ann: <p>…"): its text
					// is ordinary text after all.
					para.WriteString(capture.String())
					capturing = 0
				}
				flush()
			}
		}
	}
}
