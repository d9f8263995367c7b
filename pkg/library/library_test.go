package library

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/atomicfile"
	"github.com/recap-startos/recap/pkg/recap"
)

// testDoc builds a small valid document by hand: two topics over four
// units, one key point each.
func testDoc(id, title, typ string, created time.Time, transcript ...string) *recap.Document {
	if len(transcript) == 0 {
		transcript = []string{"Welcome to the show.", "Today we talk about gardens.", "Tomatoes need sun.", "Thanks for listening."}
	}
	units := make([]recap.Unit, len(transcript))
	for i, t := range transcript {
		units[i] = recap.Unit{I: i, Start: recap.Secs(float64(i * 10)), End: recap.Secs(float64(i*10 + 9)), Text: t}
	}
	mid := len(units) / 2
	topic := func(a, b int) recap.Topic {
		s, e := recap.TopicTimes(units, a, b)
		return recap.Topic{Title: "Part", Start: s, End: e, StartUnit: a, EndUnit: b, Summary: units[a].Text,
			Segments: []recap.Segment{{Start: units[a].Start, Unit: a, Text: units[a].Text}}}
	}
	topics := []recap.Topic{topic(0, mid-1), topic(mid, len(units)-1)}
	if mid == 0 {
		topics = []recap.Topic{topic(0, len(units)-1)}
	}
	return &recap.Document{
		Version: recap.Version, ID: id, CreatedAt: created,
		Source: recap.Source{Type: typ, Title: title, Duration: float64(len(units) * 10)},
		Engine: recap.Engine{Name: recap.EngineBuiltin},
		Title:  title, Summary: "A talk about " + title + ".", Keywords: []string{"garden"},
		Topics: topics, Transcript: units,
		Stats: recap.Stats{Words: 12, Units: len(units)},
	}
}

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func open(t *testing.T, dir string) *Library {
	t.Helper()
	l, err := Open(filepath.Join(dir, "history"), filepath.Join(dir, "cache", "index"))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestSaveGetDelete(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	l := open(t, dir)
	doc := testDoc("r1", "Gardening basics", recap.SourceText, t0)
	if err := l.Save(doc); err != nil {
		t.Fatal(err)
	}
	got, err := l.Get("r1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != doc.Title || len(got.Transcript) != 4 || got.Transcript[2].Text != "Tomatoes need sun." {
		t.Fatalf("round trip changed the document: %+v", got)
	}
	if e, ok := l.Entry("r1"); !ok || e.Topics != 2 || e.Segments != 2 {
		t.Fatalf("entry = %+v, %v", e, ok)
	}
	if err := l.Delete("r1"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Get("r1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after delete: %v", err)
	}
	if err := l.Delete("r1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, "history", ".*"))
	if len(leftovers) > 0 {
		t.Fatalf("temporary files left behind: %v", leftovers)
	}
}

func TestIDsCannotEscape(t *testing.T) {
	t.Parallel()
	l := open(t, t.TempDir())
	for _, id := range []string{"../x", "a/b", "..", "", "x.json", `a\b`, "x\x00", strings.Repeat("a", 129)} {
		if _, err := l.Get(id); !errors.Is(err, ErrInvalidID) {
			t.Errorf("Get(%q) = %v, want ErrInvalidID", id, err)
		}
		if err := l.Delete(id); !errors.Is(err, ErrInvalidID) {
			t.Errorf("Delete(%q) = %v, want ErrInvalidID", id, err)
		}
	}
	doc := testDoc("../evil", "Evil", recap.SourceText, t0)
	if err := l.Save(doc); err == nil {
		t.Fatal("saved a document with a path in its id")
	}
}

func TestInvalidDocumentIsNotWritten(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	l := open(t, dir)
	doc := testDoc("bad", "Bad", recap.SourceText, t0)
	doc.Topics[1].StartUnit = 3 // leaves a gap
	if err := l.Save(doc); !errors.Is(err, recap.ErrInvalid) {
		t.Fatalf("Save = %v, want ErrInvalid", err)
	}
	files, _ := os.ReadDir(filepath.Join(dir, "history"))
	if len(files) != 0 {
		t.Fatalf("files written for an invalid document: %v", files)
	}
}

func TestCorruptAndForeignFilesAreSkipped(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	l := open(t, dir)
	if err := l.Save(testDoc("good", "Good one", recap.SourceText, t0)); err != nil {
		t.Fatal(err)
	}
	hist := filepath.Join(dir, "history")
	os.WriteFile(filepath.Join(hist, "broken.json"), []byte(`{"version":1,"id":"bro`), 0o600)
	os.WriteFile(filepath.Join(hist, "foreign.json"), []byte(`{"sessionId":"abc","title":"old"}`), 0o600)
	os.WriteFile(filepath.Join(hist, "bad name!.json"), []byte(`{}`), 0o600)
	os.WriteFile(filepath.Join(hist, "notes.txt"), []byte(`hello`), 0o600)

	l2 := open(t, dir)
	if l2.Len() != 1 {
		t.Fatalf("Len = %d, want 1", l2.Len())
	}
	probs := l2.Problems()
	if len(probs) != 3 {
		t.Fatalf("problems = %v, want 3", probs)
	}
	if _, err := l2.Get("broken"); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Get(broken) = %v", err)
	}
}

func TestListPagingAndSorts(t *testing.T) {
	t.Parallel()
	l := open(t, t.TempDir())
	for i := range 45 {
		typ := recap.SourceYouTube
		if i%3 == 0 {
			typ = recap.SourcePodcast
		}
		doc := testDoc(fmt.Sprintf("r%02d", i), fmt.Sprintf("Title %02d", 44-i), typ, t0.Add(time.Duration(i)*time.Minute))
		if err := l.Save(doc); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	cursor := ""
	for {
		p := l.Find(Query{Limit: 20, Cursor: cursor})
		if p.Total != 45 {
			t.Fatalf("Total = %d", p.Total)
		}
		for _, h := range p.Hits {
			ids = append(ids, h.ID)
		}
		if p.Next == "" {
			break
		}
		cursor = p.Next
	}
	if len(ids) != 45 || ids[0] != "r44" || ids[44] != "r00" {
		t.Fatalf("newest-first paging gave %d ids: %v…", len(ids), ids[:3])
	}
	if p := l.Find(Query{Sort: SortOldest, Limit: 1}); p.Hits[0].ID != "r00" {
		t.Errorf("oldest first = %s", p.Hits[0].ID)
	}
	if p := l.Find(Query{Sort: SortTitle, Limit: 1}); p.Hits[0].Title != "Title 00" {
		t.Errorf("title sort first = %s", p.Hits[0].Title)
	}
	if p := l.Find(Query{Type: recap.SourcePodcast}); p.Total != 15 {
		t.Errorf("podcast filter total = %d, want 15", p.Total)
	}
}

func TestSearchRanking(t *testing.T) {
	t.Parallel()
	l := open(t, t.TempDir())
	docs := []*recap.Document{
		testDoc("title", "Kubernetes operators explained", recap.SourceYouTube, t0),
		testDoc("transcript", "Cooking pasta", recap.SourceYouTube, t0.Add(time.Minute),
			"We start the water.", "Someone mentioned kubernetes once.", "Salt it well.", "Serve hot."),
		testDoc("none", "Bird watching", recap.SourcePodcast, t0.Add(2*time.Minute)),
	}
	for _, d := range docs {
		if err := l.Save(d); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name, q string
		want    []string
	}{
		{"title beats transcript", "kubernetes", []string{"title", "transcript"}},
		{"prefix of last word", "kube", []string{"title", "transcript"}},
		{"all words must match", "kubernetes pasta", []string{"transcript"}},
		{"plural folds", "operator", []string{"title"}},
		{"no match", "zebra", nil},
		{"case insensitive", "BIRD", []string{"none"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := l.Find(Query{Text: c.q})
			var got []string
			for _, h := range p.Hits {
				got = append(got, h.ID)
				if len(h.Matched) == 0 {
					t.Errorf("hit %s has no matched terms", h.ID)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Fatalf("search %q = %v, want %v", c.q, got, c.want)
			}
		})
	}
}

func TestCacheIsReusedAndRefreshed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	l := open(t, dir)
	for i := range 3 {
		if err := l.Save(testDoc(fmt.Sprintf("c%d", i), "Cached", recap.SourceText, t0)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "cache", "index")); err != nil {
		t.Fatalf("cache not written: %v", err)
	}
	// Change one file behind the library's back and delete another.
	changed := testDoc("c1", "Renamed outside", recap.SourceText, t0)
	l2 := open(t, dir)
	if err := l2.Save(changed); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, "history", "c2.json"))
	l3 := open(t, dir)
	if l3.Len() != 2 {
		t.Fatalf("Len = %d, want 2", l3.Len())
	}
	if e, _ := l3.Entry("c1"); e.Title != "Renamed outside" {
		t.Fatalf("stale entry title %q", e.Title)
	}
	if p := l3.Find(Query{Text: "renamed"}); p.Total != 1 {
		t.Fatalf("search after refresh found %d", p.Total)
	}
}

func TestExport(t *testing.T) {
	t.Parallel()
	l := open(t, t.TempDir())
	doc := testDoc("x1", "Gardening: the basics!", recap.SourceYouTube, t0)
	doc.Source.VideoID = "dQw4w9WgXcQ"
	if err := l.Save(doc); err != nil {
		t.Fatal(err)
	}
	md, err := l.Export("x1", "md")
	if err != nil {
		t.Fatal(err)
	}
	if md.FileName != "gardening-the-basics.md" || !strings.Contains(string(md.Data), "&t=20s") {
		t.Fatalf("markdown export %s:\n%s", md.FileName, md.Data)
	}
	js, err := l.Export("x1", "json")
	if err != nil || js.ContentType != "application/json" {
		t.Fatal(err)
	}
	if _, err := l.Export("x1", "pdf"); !errors.Is(err, ErrBadFormat) {
		t.Fatalf("pdf export: %v", err)
	}
}

func TestNewIDIsValidAndSortable(t *testing.T) {
	t.Parallel()
	a := NewID(t0)
	b := NewID(t0.Add(time.Second))
	if !recap.ValidID(a) || !recap.ValidID(b) || !(a < b) {
		t.Fatalf("ids %q %q", a, b)
	}
}

// TestOpenRemovesStaleTemporaryFiles: the temporary files of writes a
// kill -9 interrupted (of recaps and of the index cache) are removed at
// start; recaps are kept. One written a moment ago may be another
// process's write in progress, and is left alone.
func TestOpenRemovesStaleTemporaryFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	hist, cache := filepath.Join(dir, "history"), filepath.Join(dir, "cache", "library-index")
	if _, err := Open(hist, cache); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Dir(cache), 0o700)
	stale := []string{filepath.Join(dir, "cache", ".library-index.tmp-123456"), filepath.Join(hist, ".20250101T000000Z-abcd.json.tmp-99")}
	for _, p := range stale {
		if err := os.WriteFile(p, make([]byte, 1<<20), 0o600); err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-2 * atomicfile.StaleAfter)
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	writing := filepath.Join(hist, ".20250101T000000Z-efgh.json.tmp-7")
	if err := os.WriteFile(writing, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(hist, cache); err != nil {
		t.Fatal(err)
	}
	for _, p := range stale {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is still there (%v)", filepath.Base(p), err)
		}
	}
	if _, err := os.Stat(writing); err != nil {
		t.Errorf("a write in progress lost its temporary file: %v", err)
	}
}
