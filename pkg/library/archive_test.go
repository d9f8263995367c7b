package library

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/recap"
)

// pagedSource serves docs a page at a time and counts what the archive
// writer has written by each Get.
type pagedSource struct {
	docs    []*recap.Document
	broken  string // id whose Get fails
	written *int
	seen    []int // bytes written when each Get came
}

func (p *pagedSource) Find(_ context.Context, q Query) (Page, error) {
	off := 0
	fmt.Sscan(q.Cursor, &off)
	var page Page
	page.Total = len(p.docs)
	for i := off; i < len(p.docs) && i < off+q.Limit; i++ {
		d := p.docs[i]
		page.Hits = append(page.Hits, Hit{Entry: &Entry{ID: d.ID, Title: d.Title, CreatedAt: d.CreatedAt}})
	}
	if off+q.Limit < len(p.docs) {
		page.Next = fmt.Sprint(off + q.Limit)
	}
	return page, nil
}

func (p *pagedSource) Get(_ context.Context, id string) (*recap.Document, error) {
	p.seen = append(p.seen, *p.written)
	if id == p.broken {
		return nil, errors.New("file unreadable")
	}
	for _, d := range p.docs {
		if d.ID == id {
			return d, nil
		}
	}
	return nil, ErrNotFound
}

type countingWriter struct {
	buf bytes.Buffer
	n   *int
}

func (c *countingWriter) Write(b []byte) (int, error) {
	*c.n += len(b)
	return c.buf.Write(b)
}

func archiveDoc(i int) *recap.Document {
	text := strings.Repeat(fmt.Sprintf("Point %d of a long talk about batteries. ", i), 200)
	return &recap.Document{Version: recap.Version, ID: fmt.Sprintf("r%03d", i), CreatedAt: time.Unix(int64(1700000000+i*86400), 0).UTC(),
		Title: "Same title", Summary: "About batteries.", Keywords: []string{},
		Source: recap.Source{Type: recap.SourceText}, Engine: recap.Engine{Name: recap.EngineBuiltin},
		Topics:     []recap.Topic{{Title: "Batteries", Segments: []recap.Segment{{Text: "Batteries store power."}}}},
		Transcript: []recap.Unit{{I: 0, Text: text}}}
}

func TestWriteArchive(t *testing.T) {
	t.Parallel()
	var written int
	src := &pagedSource{written: &written, broken: "r150"}
	for i := range 230 { // three pages
		src.docs = append(src.docs, archiveDoc(i))
	}
	src.docs = append(src.docs, &recap.Document{Version: recap.Version, ID: "yt:odd id?", Title: "Same title", Keywords: []string{},
		Topics: []recap.Topic{}, Transcript: []recap.Unit{}})
	w := &countingWriter{n: &written}
	idx, err := WriteArchive(context.Background(), w, src, time.Unix(1800000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(idx.Recaps) != 230 || len(idx.Problems) != 1 || idx.Problems[0].ID != "r150" {
		t.Fatalf("index: %d recaps, problems %+v", len(idx.Recaps), idx.Problems)
	}
	// Streamed: by the last recap most of the archive had already gone
	// out to the writer.
	if last := src.seen[len(src.seen)-1]; last < written/2 {
		t.Errorf("only %d of %d bytes were written before the last recap was read", last, written)
	}

	zr, err := zip.NewReader(bytes.NewReader(w.buf.Bytes()), int64(w.buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		if files[f.Name] != nil {
			t.Fatalf("%s twice", f.Name)
		}
		files[f.Name] = f
	}
	if len(files) != 230*2+2 {
		t.Errorf("%d files", len(files))
	}
	read := func(name string) []byte {
		t.Helper()
		f := files[name]
		if f == nil {
			t.Fatalf("no %s in the archive", name)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		b, _ := io.ReadAll(rc)
		return b
	}
	var index ArchiveIndex
	if err := json.Unmarshal(read("index.json"), &index); err != nil || len(index.Recaps) != 230 {
		t.Fatalf("index.json: %v", err)
	}
	for _, e := range index.Recaps {
		var doc recap.Document
		if err := json.Unmarshal(read(e.JSON), &doc); err != nil || doc.ID != e.ID {
			t.Fatalf("%s: %v", e.JSON, err)
		}
		if !strings.HasPrefix(string(read(e.Markdown)), "# Same title") {
			t.Fatalf("%s is not the Markdown", e.Markdown)
		}
	}
	odd := index.Recaps[len(index.Recaps)-1]
	if odd.ID != "yt:odd id?" || strings.ContainsAny(odd.Markdown[len("recaps/"):], ":? /") {
		t.Errorf("odd id's file name: %+v", odd)
	}
	if md := string(read("index.md")); !strings.Contains(md, "230 recaps") || !strings.Contains(md, "r150") {
		t.Errorf("index.md:\n%s", md[:200])
	}
}

func TestWriteArchiveStopsWhenTheClientGoes(t *testing.T) {
	t.Parallel()
	var written int
	src := &pagedSource{written: &written}
	for i := range 20 {
		src.docs = append(src.docs, archiveDoc(i))
	}
	_, err := WriteArchive(context.Background(), failingWriter{}, src, time.Now())
	if err == nil {
		t.Fatal("no error from a writer that fails")
	}
	if len(src.seen) == 20 {
		t.Error("kept reading every recap after the writer failed")
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("connection reset") }

// BenchmarkWriteArchive exports 1,000 recaps of about 9 KB of transcript
// each (the size of an hour's talk) to a writer that discards, and
// reports the archive's size and the memory allocated per export.
func BenchmarkWriteArchive(b *testing.B) {
	var written int
	src := &pagedSource{written: &written}
	for i := range 1000 {
		src.docs = append(src.docs, archiveDoc(i))
	}
	w := &discardCounter{}
	b.ReportAllocs()
	for b.Loop() {
		w.n = 0
		if _, err := WriteArchive(context.Background(), w, src, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(w.n)/1e6, "MB/archive")
}

type discardCounter struct{ n int }

func (d *discardCounter) Write(p []byte) (int, error) { d.n += len(p); return len(p), nil }
