package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/library"
	"github.com/recap-startos/recap/pkg/recap"
)

// sourced is testDoc with a source: the SHA-256 of its bytes and a video.
func sourced(id string, created time.Time, sha, video string) *recap.Document {
	d := testDoc(id, "Recap "+id, created, "words", "of", id)
	d.Source.ContentSHA256, d.Source.VideoID = sha, video
	return d
}

func ids(es []*library.Entry) string {
	var out []string
	for _, e := range es {
		out = append(out, e.ID+fmt.Sprint(e.SourceKeys))
	}
	return fmt.Sprint(out)
}

// TestBySource: a user finds their own recaps of a source, newest first,
// and never another user's recap of the same source; deleting a recap
// or removing an account takes its keys along.
func TestBySource(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, dir := openTest(t, Options{})
	lib := st.Library(filepath.Join(dir, "history"))
	a, err := st.CreateUser(ctx, NewUser{Email: "a@example.org"})
	must(t, err)
	b, err := st.CreateUser(ctx, NewUser{Email: "b@example.org"})
	must(t, err)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	must(t, lib.Save(ctx, a.ID, sourced("r1", t0, "aa", "v1")))
	must(t, lib.Save(ctx, a.ID, sourced("r2", t0.Add(time.Hour), "aa", "")))
	must(t, lib.Save(ctx, b.ID, sourced("r3", t0, "aa", "v1")))
	must(t, lib.Save(ctx, b.ID, sourced("r4", t0, "bb", "")))

	find := func(user string, keys ...string) string {
		t.Helper()
		found, err := lib.BySource(ctx, user, keys)
		if err != nil {
			t.Fatal(err)
		}
		return ids(found)
	}
	for _, c := range []struct {
		name, user string
		keys       []string
		want       string
	}{
		{"same bytes, newest first", a.ID, []string{"sha256:aa"}, "[r2[sha256:aa] r1[sha256:aa]]"},
		{"the video", a.ID, []string{"youtube:v1"}, "[r1[youtube:v1]]"},
		{"two keys of one recap", a.ID, []string{"youtube:v1", "sha256:aa"}, "[r2[sha256:aa] r1[sha256:aa youtube:v1]]"},
		{"the other user's own", b.ID, []string{"sha256:aa"}, "[r3[sha256:aa]]"},
		{"only another user has it", a.ID, []string{"sha256:bb"}, "[]"},
		{"nobody", "", []string{"sha256:aa"}, "[]"},
		{"no keys", a.ID, nil, "[]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := find(c.user, c.keys...); got != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
		})
	}

	must(t, lib.Delete(ctx, a.ID, "r2"))
	if got := find(a.ID, "sha256:aa"); got != "[r1[sha256:aa]]" {
		t.Errorf("after deleting r2: %s", got)
	}
	if _, err := lib.RemoveAccount(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	var left int
	must(t, st.rdb.QueryRowContext(ctx, `SELECT count(*) FROM library_sources WHERE user_id = ?`, b.ID).Scan(&left))
	if left != 0 {
		t.Errorf("%d source keys of a removed account left", left)
	}
	if got := find(a.ID, "sha256:aa"); got != "[r1[sha256:aa]]" {
		t.Errorf("after removing b: %s", got)
	}
}

// TestSourcesMigration opens a database of version 14 with recaps
// indexed: migration 15 gives each row its video's key at once, and the
// next reconcile reads the files for the rest.
func TestSourcesMigration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, dir := openTest(t, Options{})
	lib := st.Library(filepath.Join(dir, "history"))
	a, err := st.CreateUser(ctx, NewUser{Email: "a@example.org"})
	must(t, err)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	must(t, lib.Save(ctx, a.ID, sourced("r1", t0, "aa", "v1")))
	must(t, lib.Save(ctx, a.ID, sourced("r2", t0, "bb", "")))
	// Back to version 14, as a database written before migration 15.
	for _, q := range []string{`DROP TABLE library_sources`, `DELETE FROM schema_migrations WHERE version = 15`} {
		if _, err := st.wdb.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	must(t, st.Close())

	st, err = Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	lib = st.Library(filepath.Join(dir, "history"))
	found, err := lib.BySource(ctx, a.ID, []string{"youtube:v1", "sha256:aa", "sha256:bb"})
	if got := ids(found); err != nil || got != "[r1[youtube:v1]]" {
		t.Fatalf("after the migration: %s %v", got, err)
	}
	rep, err := lib.Reconcile(ctx)
	if err != nil || rep.Indexed != 2 {
		t.Fatalf("reconcile %+v %v", rep, err)
	}
	found, err = lib.BySource(ctx, a.ID, []string{"youtube:v1", "sha256:aa", "sha256:bb"})
	if got := ids(found); err != nil || got != "[r2[sha256:bb] r1[sha256:aa youtube:v1]]" {
		t.Fatalf("after reconcile: %s %v", got, err)
	}
}
