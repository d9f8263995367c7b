package server

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/library"
	"github.com/recap-startos/recap/pkg/recap"
	"github.com/recap-startos/recap/pkg/store"
)

// shelfCase is one shelf implementation under test: the shelf, how a
// recap is filed in a user's library, two users, and whether the shelf
// keeps them apart (single mode's folder has one owner).
type shelfCase struct {
	shelf  shelf
	save   func(t *testing.T, userID string, doc *recap.Document)
	users  [2]string
	scoped bool
}

// TestShelves runs the one shelf test body against both shelves: single
// mode's folder and multi mode's store.
func TestShelves(t *testing.T) {
	t.Parallel()
	for name, open := range map[string]func(t *testing.T) shelfCase{
		"folder": openFolderShelf,
		"store":  openStoreShelf,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testShelf(t, open(t))
		})
	}
}

func openFolderShelf(t *testing.T) shelfCase {
	lib, err := library.Open(filepath.Join(t.TempDir(), "history"), "")
	if err != nil {
		t.Fatal(err)
	}
	return shelfCase{
		shelf: folderShelf{lib},
		save: func(t *testing.T, _ string, doc *recap.Document) {
			if err := lib.Save(doc); err != nil {
				t.Fatal(err)
			}
		},
		users: [2]string{"", ""},
	}
}

func openStoreShelf(t *testing.T) shelfCase {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var users [2]string
	for i, email := range []string{"ann@example.org", "bo@example.org"} {
		u, err := st.CreateUser(ctx, store.NewUser{Email: email})
		if err != nil {
			t.Fatal(err)
		}
		users[i] = u.ID
	}
	lib := st.Library(filepath.Join(dir, "history"))
	return shelfCase{
		shelf: lib,
		save: func(t *testing.T, userID string, doc *recap.Document) {
			if err := lib.Save(ctx, userID, doc); err != nil {
				t.Fatal(err)
			}
		},
		users:  users,
		scoped: true,
	}
}

// testShelf is what every shelf does: a filed recap is found, read,
// listed, exported and deleted by its owner; an id of no recap is
// library.ErrNotFound and one that cannot be an id library.ErrInvalidID;
// and a scoped shelf shows nothing of one user's to the other.
func testShelf(t *testing.T, c shelfCase) {
	ctx := context.Background()
	owner, other := c.users[0], c.users[1]
	doc := gardenRecap(t)
	c.save(t, owner, doc)

	if n, err := c.shelf.Count(ctx, owner); err != nil || n != 1 {
		t.Fatalf("count: %d %v", n, err)
	}
	page, err := c.shelf.Find(ctx, owner, library.Query{Text: "compost"})
	if err != nil || page.Total != 1 || len(page.Hits) != 1 || page.Hits[0].ID != doc.ID {
		t.Fatalf("find: %+v %v", page, err)
	}
	got, err := c.shelf.Get(ctx, owner, doc.ID)
	if err != nil || got.ID != doc.ID || got.Title != doc.Title || len(got.Transcript) != len(doc.Transcript) {
		t.Fatalf("get: %+v %v", got, err)
	}
	e, err := c.shelf.Entry(ctx, owner, doc.ID)
	if err != nil || e.Title != doc.Title {
		t.Fatalf("entry: %+v %v", e, err)
	}
	ex, err := c.shelf.Export(ctx, owner, doc.ID, "md")
	if err != nil || !strings.Contains(string(ex.Data), "Garden hour") || !strings.HasSuffix(ex.FileName, ".md") {
		t.Fatalf("export: %+v %v", ex, err)
	}
	if _, err := c.shelf.Export(ctx, owner, doc.ID, "pdf"); !errors.Is(err, library.ErrBadFormat) {
		t.Fatalf("export as pdf: %v", err)
	}

	absent := library.NewID(doc.CreatedAt.Add(-time.Hour))
	if _, err := c.shelf.Get(ctx, owner, absent); !errors.Is(err, library.ErrNotFound) {
		t.Fatalf("get of no recap: %v", err)
	}
	if _, err := c.shelf.Entry(ctx, owner, "../etc/passwd"); !errors.Is(err, library.ErrInvalidID) {
		t.Fatalf("entry of a bad id: %v", err)
	}

	if c.scoped {
		if _, err := c.shelf.Get(ctx, other, doc.ID); !errors.Is(err, library.ErrNotFound) {
			t.Fatalf("another user's get: %v", err)
		}
		if _, err := c.shelf.Entry(ctx, other, doc.ID); !errors.Is(err, library.ErrNotFound) {
			t.Fatalf("another user's entry: %v", err)
		}
		if err := c.shelf.Delete(ctx, other, doc.ID); !errors.Is(err, library.ErrNotFound) {
			t.Fatalf("another user's delete: %v", err)
		}
		if page, err := c.shelf.Find(ctx, other, library.Query{}); err != nil || page.Total != 0 {
			t.Fatalf("another user's list: %+v %v", page, err)
		}
		if n, err := c.shelf.Count(ctx, other); err != nil || n != 0 {
			t.Fatalf("another user's count: %d %v", n, err)
		}
	}

	if err := c.shelf.Delete(ctx, owner, doc.ID); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if _, err := c.shelf.Get(ctx, owner, doc.ID); !errors.Is(err, library.ErrNotFound) {
		t.Fatalf("get after delete: %v", err)
	}
	if n, err := c.shelf.Count(ctx, owner); err != nil || n != 0 {
		t.Fatalf("count after delete: %d %v", n, err)
	}
}
