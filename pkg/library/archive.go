package library

// The export archive: a whole library as one zip file, written as it is
// read, one recap at a time, so neither the archive nor the library is
// ever held in memory. Each recap gives two files, recaps/<name>.md and
// recaps/<name>.json (the version 1 document), where <name> is the date,
// a slug of the title and the id made safe for every file system. At
// the end come index.json (one object per recap: id, title, source, date
// and its two files; and the recaps that could not be read) and index.md,
// the same as a readable list.

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/recap-startos/recap/pkg/recap"
)

// ArchiveSource is the library an archive is made from.
type ArchiveSource interface {
	// Find lists the recaps, a page at a time (as Library.Find).
	Find(ctx context.Context, q Query) (Page, error)
	// Get reads one recap.
	Get(ctx context.Context, id string) (*recap.Document, error)
}

// ArchiveEntry is one recap in index.json.
type ArchiveEntry struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Type      string    `json:"type,omitempty"`
	URL       string    `json:"url,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	Markdown  string    `json:"markdown"` // path inside the archive
	JSON      string    `json:"json"`
}

// ArchiveProblem is a recap that is listed but could not be read.
type ArchiveProblem struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Error string `json:"error"`
}

// ArchiveIndex is index.json.
type ArchiveIndex struct {
	Version  int              `json:"version"` // 1
	Made     time.Time        `json:"made"`
	Recaps   []ArchiveEntry   `json:"recaps"`
	Problems []ArchiveProblem `json:"problems"`
}

// WriteArchive writes the library of src as a zip archive to w, oldest
// recap first, and returns its index. A recap that cannot be read is
// listed under problems and the archive goes on; an error of w (the
// client went away) or of listing stops it.
func WriteArchive(ctx context.Context, w io.Writer, src ArchiveSource, now time.Time) (*ArchiveIndex, error) {
	zw := zip.NewWriter(w)
	idx := &ArchiveIndex{Version: 1, Made: now.UTC(), Recaps: []ArchiveEntry{}, Problems: []ArchiveProblem{}}
	names := map[string]bool{}
	cursor := ""
	for {
		page, err := src.Find(ctx, Query{Sort: SortOldest, Limit: MaxLimit, Cursor: cursor})
		if err != nil {
			return idx, fmt.Errorf("library: archive: %w", err)
		}
		for _, h := range page.Hits {
			if err := ctx.Err(); err != nil {
				return idx, err
			}
			if err := addRecap(ctx, zw, src, h.Entry, names, idx); err != nil {
				return idx, err
			}
		}
		if page.Next == "" || len(page.Hits) == 0 {
			break
		}
		cursor = page.Next
	}
	if err := addIndex(zw, idx); err != nil {
		return idx, err
	}
	if err := zw.Close(); err != nil {
		return idx, fmt.Errorf("library: archive: %w", err)
	}
	return idx, nil
}

func addRecap(ctx context.Context, zw *zip.Writer, src ArchiveSource, e *Entry, names map[string]bool, idx *ArchiveIndex) error {
	doc, err := src.Get(ctx, e.ID)
	if err != nil {
		idx.Problems = append(idx.Problems, ArchiveProblem{ID: e.ID, Title: e.Title, Error: err.Error()})
		return nil
	}
	md, err := Render(doc, "md")
	if err != nil {
		return err
	}
	js, err := Render(doc, "json")
	if err != nil {
		return err
	}
	name := archiveName(doc, names)
	entry := ArchiveEntry{ID: doc.ID, Title: doc.Title, Type: doc.Source.Type, URL: doc.Source.URL, CreatedAt: doc.CreatedAt.UTC(),
		Markdown: "recaps/" + name + ".md", JSON: "recaps/" + name + ".json"}
	for _, f := range []struct {
		path string
		data []byte
	}{{entry.Markdown, md.Data}, {entry.JSON, js.Data}} {
		if err := addFile(zw, f.path, doc.CreatedAt, f.data); err != nil {
			return err
		}
	}
	idx.Recaps = append(idx.Recaps, entry)
	return nil
}

func addFile(zw *zip.Writer, path string, mod time.Time, data []byte) error {
	if mod.IsZero() {
		mod = time.Now()
	}
	fw, err := zw.CreateHeader(&zip.FileHeader{Name: path, Method: zip.Deflate, Modified: mod.UTC()})
	if err != nil {
		return fmt.Errorf("library: archive %s: %w", path, err)
	}
	if _, err := fw.Write(data); err != nil {
		return fmt.Errorf("library: archive %s: %w", path, err)
	}
	return nil
}

// archiveName is a file name for a recap that every file system takes
// and no other recap of the archive has: date, title slug, safe id.
func archiveName(doc *recap.Document, taken map[string]bool) string {
	var b strings.Builder
	if !doc.CreatedAt.IsZero() {
		b.WriteString(doc.CreatedAt.UTC().Format("2006-01-02") + "-")
	}
	if s := fileSlug(doc.Title); s != "" {
		b.WriteString(s + "-")
	}
	for _, r := range doc.ID {
		if r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	name := b.String()
	for i := 2; taken[strings.ToLower(name)]; i++ {
		name = fmt.Sprintf("%s-%d", b.String(), i)
	}
	taken[strings.ToLower(name)] = true
	return name
}

func addIndex(zw *zip.Writer, idx *ArchiveIndex) error {
	data, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return err
	}
	if err := addFile(zw, "index.json", idx.Made, append(data, '\n')); err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Recap library\n\nExported %s: %d recaps, each as Markdown and as JSON.\n\n", idx.Made.Format("2006-01-02 15:04 UTC"), len(idx.Recaps))
	for _, e := range idx.Recaps {
		fmt.Fprintf(&b, "- %s [%s](%s) ([JSON](%s))\n", e.CreatedAt.Format("2006-01-02"), mdEscape(e.Title), e.Markdown, e.JSON)
	}
	if len(idx.Problems) > 0 {
		fmt.Fprintf(&b, "\n## Could not be read\n\n")
		for _, p := range idx.Problems {
			fmt.Fprintf(&b, "- %s (%s): %s\n", mdEscape(p.Title), p.ID, p.Error)
		}
	}
	return addFile(zw, "index.md", idx.Made, []byte(b.String()))
}

// mdEscape keeps a title from breaking the Markdown link around it.
func mdEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `[`, `\[`, `]`, `\]`, "\n", " ").Replace(s)
}
