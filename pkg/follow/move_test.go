package follow

import (
	"context"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/recap-startos/recap/pkg/transcript"
)

// itemStates lists a follow's items as key=state, sorted.
func itemStates(t *testing.T, st Store, followID string) string {
	t.Helper()
	items, err := st.Items(context.Background(), followID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, it := range items {
		out = append(out, it.Key+"="+it.State)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// Follows move from the single-mode file to an account and back, with
// their items; a source the account follows already under another id
// takes the items it had not seen; running a move again changes nothing.
func TestMoveFollowsBetweenModes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	w, admin := newMultiWorld(t, dir, transcript.Options{}, &testClock{now: day0}, 0)
	path := filepath.Join(dir, "follows.json")
	file, err := OpenFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	item := func(follow, key, state string) Item {
		return Item{FollowID: follow, Key: key, Title: key, URL: "https://feeds.example.org/" + key, State: state, FirstSeen: day0, UpdatedAt: day0}
	}
	for _, f := range []Follow{
		{ID: "onlyinfileaaaaaa", Kind: "podcast", Ref: "https://feeds.example.org/a.xml", Title: "A", CreatedAt: day0, NextCheck: day0, Unread: 2, ETag: `"a1"`},
		{ID: "bothfilebbbbbbbb", Kind: "podcast", Ref: "https://feeds.example.org/b.xml", Title: "B", CreatedAt: day0, NextCheck: day0, Unread: 1},
	} {
		if err := file.Add(ctx, f, 0); err != nil {
			t.Fatal(err)
		}
	}
	file.AddItems(ctx, []Item{item("onlyinfileaaaaaa", "a0", ItemOld), item("onlyinfileaaaaaa", "a1", ItemDone),
		item("bothfilebbbbbbbb", "b0", ItemOld), item("bothfilebbbbbbbb", "b1", ItemNew)})
	// The admin already follows b.xml (from an earlier time in multi mode).
	if err := w.store.Add(ctx, Follow{ID: "bothdbbbbbbbbbbb", Owner: admin, Kind: "podcast", Ref: "https://feeds.example.org/b.xml",
		Title: "B", CreatedAt: day0, NextCheck: day0}, 0); err != nil {
		t.Fatal(err)
	}
	w.store.AddItems(ctx, []Item{{FollowID: "bothdbbbbbbbbbbb", Owner: admin, Key: "b0", State: ItemOld, FirstSeen: day0, UpdatedAt: day0}})

	for i := range 2 {
		n, err := MoveToAccount(ctx, path, w.db, admin)
		if err != nil || n != 2-2*i {
			t.Fatalf("move %d into the account: %d, %v", i+1, n, err)
		}
		fs, _ := w.store.List(ctx, admin)
		if len(fs) != 2 {
			t.Fatalf("the account's follows: %+v", fs)
		}
		a, _ := w.store.Get(ctx, admin, "onlyinfileaaaaaa")
		b, _ := w.store.Get(ctx, admin, "bothdbbbbbbbbbbb")
		if a.Unread != 2 || a.ETag != `"a1"` || b.Unread != 1 {
			t.Fatalf("moved follows: %+v %+v", a, b)
		}
		if got := itemStates(t, w.store, "onlyinfileaaaaaa") + " " + itemStates(t, w.store, "bothdbbbbbbbbbbb"); got != "a0=old,a1=done b0=old,b1=new" {
			t.Fatalf("items in the database: %s", got)
		}
		if left, _ := file.All(ctx); len(left) != 0 {
			t.Fatalf("follows left in the file: %+v", left)
		}
	}
	for i := range 2 {
		n, err := MoveToOwner(ctx, w.db, admin, path)
		if err != nil || n != 2-2*i {
			t.Fatalf("move %d back to the owner: %d, %v", i+1, n, err)
		}
		fs, _ := file.List(ctx, "")
		if len(fs) != 2 {
			t.Fatalf("the owner's follows: %+v", fs)
		}
		if got := itemStates(t, file, "onlyinfileaaaaaa") + " " + itemStates(t, file, "bothdbbbbbbbbbbb"); got != "a0=old,a1=done b0=old,b1=new" {
			t.Fatalf("items in the file: %s", got)
		}
		if left, _ := w.store.List(ctx, admin); len(left) != 0 {
			t.Fatalf("follows left in the database: %+v", left)
		}
	}
	// The checker of single mode takes them up: b1 is still to recap.
	active, _ := file.Active(ctx)
	if len(active) != 1 || active[0].Key != "b1" || active[0].Owner != "" {
		t.Fatalf("active items in the file: %+v", active)
	}
}
