package recap

import (
	"fmt"
	"math"
	"net/url"
	"strings"
)

// Markdown renders the document for people: title, source line, summary,
// keywords, then each topic with its summary and timestamped key points.
// Timestamps link to the source at that moment when the source has a URL
// that can be opened there (YouTube `t=`, other links `#t=`).
func (d *Document) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", mdText(d.Title))
	if line := d.sourceLine(); line != "" {
		fmt.Fprintf(&b, "%s\n\n", line)
	}
	if d.Summary != "" {
		fmt.Fprintf(&b, "%s\n\n", mdText(d.Summary))
	}
	if len(d.Keywords) > 0 {
		fmt.Fprintf(&b, "**Keywords:** %s\n\n", mdText(strings.Join(d.Keywords, ", ")))
	}
	if d.Engine.Note != "" {
		fmt.Fprintf(&b, "> %s\n\n", mdText(d.Engine.Note))
	}
	for _, t := range d.Topics {
		b.WriteString("## ")
		if t.Start != nil {
			b.WriteString(d.stamp(*t.Start))
			b.WriteString(" ")
		}
		b.WriteString(mdText(t.Title))
		b.WriteString("\n\n")
		if t.Summary != "" {
			fmt.Fprintf(&b, "%s\n\n", mdText(t.Summary))
		}
		for _, s := range t.Segments {
			b.WriteString("- ")
			if s.Start != nil {
				b.WriteString(d.stamp(*s.Start))
				b.WriteString(" ")
			}
			b.WriteString(mdText(s.Text))
			b.WriteString("\n")
		}
		if len(t.Segments) > 0 {
			b.WriteString("\n")
		}
	}
	fmt.Fprintf(&b, "---\n\n*Recap %s · %s engine", d.ID, d.Engine.Name)
	if d.Engine.Model != "" {
		fmt.Fprintf(&b, " (%s)", d.Engine.Model)
	}
	fmt.Fprintf(&b, " · %d words*\n", d.Stats.Words)
	return b.String()
}

func (d *Document) sourceLine() string {
	var parts []string
	s := d.Source
	if s.Channel != "" {
		parts = append(parts, mdText(s.Channel))
	}
	if s.UploadDate != "" {
		parts = append(parts, s.UploadDate)
	}
	if s.Duration > 0 {
		parts = append(parts, FormatClock(s.Duration))
	}
	switch {
	case s.URL != "":
		if u := SafeURL(s.URL); u != "" {
			parts = append(parts, "<"+u+">")
		} else {
			parts = append(parts, mdText(s.URL))
		}
	case s.FileName != "":
		parts = append(parts, mdText(s.FileName))
	}
	if len(parts) == 0 {
		return ""
	}
	return "*" + strings.Join(parts, " · ") + "*"
}

// stamp renders a timestamp, linked to the source at that time when the
// source is a link.
func (d *Document) stamp(sec float64) string {
	clock := FormatClock(sec)
	if link := d.LinkAt(sec); link != "" {
		return fmt.Sprintf("[%s](%s)", clock, link)
	}
	return "**" + clock + "**"
}

// LinkAt returns a URL that opens the source at sec seconds, or "" when
// the source is not a link. YouTube links carry `t=<seconds>s`; podcast
// media and other links use a media fragment `#t=<seconds>`.
func (d *Document) LinkAt(sec float64) string {
	s := d.Source
	at := int(math.Floor(sec))
	if s.Type == SourceYouTube && s.VideoID != "" {
		return fmt.Sprintf("https://www.youtube.com/watch?v=%s&t=%ds", url.QueryEscape(s.VideoID), at)
	}
	target := s.URL
	if s.Type == SourcePodcast && s.MediaURL != "" {
		target = s.MediaURL
	}
	if i := strings.IndexByte(target, '#'); i >= 0 {
		target = target[:i]
	}
	safe := SafeURL(target)
	if safe == "" {
		return ""
	}
	return fmt.Sprintf("%s#t=%d", safe, at)
}

// SafeURL returns raw as a link target that is safe to put in Markdown
// (a link's parentheses or an autolink's angle brackets) and in HTML: an
// absolute http(s) URL with a host, re-encoded, with every character
// that could end the target or start markup percent-encoded. Anything
// else (javascript:, data:, relative or malformed) gives "".
func SafeURL(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return ""
	}
	var b strings.Builder
	for _, r := range u.String() {
		switch {
		case r <= ' ' || r == 0x7f:
			fmt.Fprintf(&b, "%%%02X", r)
		case strings.ContainsRune("()<>[]\"'`\\{}|^", r):
			fmt.Fprintf(&b, "%%%02X", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdText escapes the characters that would turn plain text into Markdown
// structure, and keeps it on one line.
func mdText(s string) string {
	s = strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\\', '`', '*', '_', '[', ']', '<', '>', '#', '|':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
