package library

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestOtherProcessChanges: a library kept open (the server) sees recaps
// that another one on the same folder (the command line) saves, replaces
// and deletes, whether the folder changed a moment ago or long ago.
func TestOtherProcessChanges(t *testing.T) {
	t.Parallel()
	for _, backdate := range []bool{false, true} {
		t.Run(fmt.Sprintf("backdated=%v", backdate), func(t *testing.T) {
			dir := t.TempDir()
			server, cli := open(t, dir), open(t, dir)
			hist := filepath.Join(dir, "history")
			step := 0
			settle := func() {
				if !backdate {
					return
				}
				step++
				old := time.Now().Add(-time.Hour + time.Duration(step)*time.Second)
				if err := os.Chtimes(hist, old, old); err != nil {
					t.Fatal(err)
				}
			}
			listed := func() []string {
				var ids []string
				for _, h := range server.Find(Query{}).Hits {
					ids = append(ids, h.Entry.ID)
				}
				return ids
			}
			if got := listed(); len(got) != 0 {
				t.Fatalf("new library lists %v", got)
			}

			a := testDoc("20261101-120000-aaaaaaaa", "Gardens in winter", "file", t0)
			if err := cli.Save(a); err != nil {
				t.Fatal(err)
			}
			settle()
			if got := listed(); len(got) != 1 || got[0] != a.ID {
				t.Fatalf("after another process saved %s the list is %v", a.ID, got)
			}
			if p := server.Find(Query{Text: "winter"}); p.Total != 1 {
				t.Fatalf("search for a word of the new recap found %d", p.Total)
			}

			a = testDoc(a.ID, "Gardens in spring", "file", t0)
			if err := cli.Save(a); err != nil {
				t.Fatal(err)
			}
			settle()
			if e, ok := server.Entry(a.ID); !ok || e.Title != a.Title {
				t.Fatalf("after a replace the entry is %+v", e)
			}
			if p := server.Find(Query{Text: "winter"}); p.Total != 0 {
				t.Fatal("search still finds the replaced title")
			}

			if err := cli.Delete(a.ID); err != nil {
				t.Fatal(err)
			}
			settle()
			if got := listed(); len(got) != 0 {
				t.Fatalf("after another process deleted it the list is %v", got)
			}
			if _, ok := server.Entry(a.ID); ok || server.Len() != 0 {
				t.Fatal("the deleted recap still has an entry")
			}
		})
	}
}

// TestConcurrentWriters: two libraries on one folder save and delete at
// the same time; each ends up listing exactly the recaps on disk.
func TestConcurrentWriters(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	libs := []*Library{open(t, dir), open(t, dir)}
	var wg sync.WaitGroup
	for w, l := range libs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				d := testDoc(fmt.Sprintf("20261101-1200%02d-writer%d%s", i, w, "x"), fmt.Sprintf("Recap %d of %d", i, w), "file", t0.Add(time.Duration(i)*time.Second))
				if err := l.Save(d); err != nil {
					t.Error(err)
					return
				}
				l.Find(Query{})
				if i%2 == 1 {
					if err := l.Delete(d.ID); err != nil {
						t.Error(err)
					}
				}
			}
		}()
	}
	wg.Wait()
	files, _ := filepath.Glob(filepath.Join(dir, "history", "*.json"))
	if len(files) != 20 {
		t.Fatalf("%d files on disk, want 20", len(files))
	}
	for i, l := range libs {
		if p := l.Find(Query{Limit: 100}); p.Total != 20 {
			t.Errorf("library %d lists %d recaps, want 20", i, p.Total)
		}
	}
}

// BenchmarkFindAfterChange measures a listing right after another
// process changed a library of 1,000 recaps (a rescan: one folder read,
// one stat per file, one file read), and one when nothing changed (one
// stat of the folder).
func BenchmarkFindAfterChange(b *testing.B) {
	dir := b.TempDir()
	hist := filepath.Join(dir, "history")
	l, err := Open(hist, "")
	if err != nil {
		b.Fatal(err)
	}
	for i := range 1000 {
		if err := l.Save(testDoc(fmt.Sprintf("20261101-%06d-benchdoc", i), fmt.Sprintf("Recap number %d", i), "file", t0)); err != nil {
			b.Fatal(err)
		}
	}
	old := time.Now().Add(-time.Hour)
	files, _ := filepath.Glob(filepath.Join(hist, "*.json"))
	for _, f := range files {
		os.Chtimes(f, old, old)
	}
	other, err := Open(hist, "")
	if err != nil {
		b.Fatal(err)
	}
	doc := testDoc("20261101-999999-benchnew", "A new one", "file", t0)
	b.Run("changed", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			if i%2 == 0 {
				other.Save(doc)
			} else {
				other.Delete(doc.ID)
			}
			when := old.Add(time.Duration(i+1) * time.Millisecond)
			os.Chtimes(hist, when, when)
			b.StartTimer()
			l.Find(Query{})
		}
	})
	b.Run("unchanged", func(b *testing.B) {
		l.Find(Query{})
		for b.Loop() {
			l.Find(Query{})
		}
	})
}
