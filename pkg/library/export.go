package library

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/recap-startos/recap/pkg/recap"
)

// ErrBadFormat means an export format other than md or json was asked for.
var ErrBadFormat = errors.New("library: export format must be md or json")

// Export is a recap rendered for download.
type Export struct {
	Data        []byte
	ContentType string
	FileName    string // a safe download name such as "my-talk.md"
}

// Render renders a document as "md" (Markdown) or "json".
func Render(doc *recap.Document, format string) (*Export, error) {
	base := fileSlug(doc.Title)
	if base == "" {
		base = doc.ID
	}
	switch strings.ToLower(format) {
	case "md", "markdown":
		return &Export{Data: []byte(doc.Markdown()), ContentType: "text/markdown; charset=utf-8", FileName: base + ".md"}, nil
	case "json":
		data, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("library: export %s: %w", doc.ID, err)
		}
		return &Export{Data: append(data, '\n'), ContentType: "application/json", FileName: base + ".json"}, nil
	}
	return nil, ErrBadFormat
}

// Export reads a recap and renders it as "md" or "json".
func (l *Library) Export(id, format string) (*Export, error) {
	doc, err := l.Get(id)
	if err != nil {
		return nil, err
	}
	return Render(doc, format)
}

// fileSlug makes a short lower-case file name from a title: letters and
// digits kept, everything else collapsed into single dashes.
func fileSlug(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		ok := (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9')
		if !ok {
			dash = b.Len() > 0
			continue
		}
		if dash {
			b.WriteByte('-')
			dash = false
		}
		b.WriteRune(r)
		if b.Len() >= 60 {
			break
		}
	}
	return b.String()
}
