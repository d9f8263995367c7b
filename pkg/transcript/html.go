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
	r := &htmlReader{t: &recap.Transcript{}, z: html.NewTokenizer(strings.NewReader(text))}
	for {
		switch tt := r.z.Next(); tt {
		case html.ErrorToken:
			if err := r.z.Err(); !errors.Is(err, io.EOF) {
				return nil, err
			}
			r.closeCapture()
			r.flush()
			return r.t, nil
		case html.TextToken:
			r.text()
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			r.tag(tt)
		}
	}
}

// htmlReader is parseHTML's state between tokens.
type htmlReader struct {
	t             *recap.Transcript
	z             *html.Tokenizer
	para, capture strings.Builder
	capturing     atom.Atom // cite, time, title or a heading while inside one
	skip          int       // depth inside script, style and the like
	speaker       string
	pending       *float64 // a <time> not yet given to a sentence
	chapter       string   // a heading waiting for the next <time>
	h1Seen        bool
}

// flush turns the paragraph read so far into units, one per sentence.
func (r *htmlReader) flush() {
	s := recap.CollapseSpace(dropInvisible(r.para.String()))
	r.para.Reset()
	if s == "" {
		return
	}
	for _, sentence := range splitSentences(s) {
		u := recap.Unit{Text: sentence, Speaker: r.speaker, Start: r.pending}
		r.pending = nil
		r.t.Units = append(r.t.Units, u)
	}
}

// closeCapture treats the text of an element left open ("<cite>Ann:
// <p>…") as ordinary text after all.
func (r *htmlReader) closeCapture() {
	if r.capturing != 0 {
		r.para.WriteString(r.capture.String())
		r.capturing = 0
	}
}

func (r *htmlReader) text() {
	switch {
	case r.skip > 0:
	case r.capturing != 0:
		r.capture.Write(r.z.Text())
	default:
		r.para.Write(r.z.Text())
	}
}

// tag handles a start, end or self-closing tag.
func (r *htmlReader) tag(tt html.TokenType) {
	name, _ := r.z.TagName()
	a := atom.Lookup(name)
	switch a {
	case atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Svg:
		if tt == html.StartTagToken {
			r.skip++
		} else if tt == html.EndTagToken && r.skip > 0 {
			r.skip--
		}
		return
	}
	if r.skip > 0 {
		return
	}
	switch a {
	case atom.Cite, atom.Time, atom.Title, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		if tt != html.EndTagToken {
			r.flush()
			r.capturing = a
			r.capture.Reset()
			return
		}
		if r.capturing == a {
			r.capturing = 0
			r.captured(a, recap.CollapseSpace(dropInvisible(r.capture.String())))
		}
	case atom.P, atom.Div, atom.Li, atom.Br, atom.Tr, atom.Blockquote, atom.Section,
		atom.Article, atom.Dd, atom.Dt, atom.Hr, atom.Body, atom.Td, atom.Th:
		r.closeCapture()
		r.flush()
	}
}

// captured uses the text of a closed cite, time, title or heading: a
// speaker, a time, the source's title or a chapter.
func (r *htmlReader) captured(a atom.Atom, got string) {
	switch a {
	case atom.Cite:
		r.speaker = strings.TrimSpace(strings.TrimSuffix(got, ":"))
	case atom.Time:
		if v, ok := parseClock(got); ok {
			r.pending = recap.Secs(v)
			if r.chapter != "" {
				r.t.Chapters = append(r.t.Chapters, recap.Chapter{Title: r.chapter, Start: v})
				r.chapter = ""
			}
		}
	case atom.Title:
		if r.t.Source.Title == "" {
			r.t.Source.Title = got
		}
	case atom.H1:
		if !r.h1Seen && r.t.Source.Title == "" {
			r.t.Source.Title = got
		}
		r.h1Seen = true
	default:
		r.chapter = got
	}
}
