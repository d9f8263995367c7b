package follow

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/credits"
	"github.com/recap-startos/recap/pkg/jobs"
	"github.com/recap-startos/recap/pkg/store"
	"github.com/recap-startos/recap/pkg/summarize"
	"github.com/recap-startos/recap/pkg/transcript"
)

const followerEmail = "follower@example.org"

// newMultiWorld opens a multi-mode world in dir: the database, the
// follower's account (created the first time, with allowance credits of
// allowance a period when it is not 0), the credit meter, and a queue
// filing in the follower's library.
func newMultiWorld(t testing.TB, dir string, opt transcript.Options, clock *testClock, allowance int) (*world, string) {
	t.Helper()
	return newMultiWorldStore(t, dir, opt, clock, allowance, store.Options{})
}

// newMultiWorldStore is newMultiWorld with the store's options.
func newMultiWorldStore(t testing.TB, dir string, opt transcript.Options, clock *testClock, allowance int, so store.Options) (*world, string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dir, so)
	if err != nil {
		t.Fatal(err)
	}
	u, _, err := st.EnsureUser(ctx, store.NewUser{Email: followerEmail})
	if err != nil {
		t.Fatal(err)
	}
	pol := credits.Policy{}
	if allowance > 0 {
		pol.Tiers = credits.DefaultPlans()
		core := pol.Tiers[credits.TierCore]
		core.Credits = allowance
		pol.Tiers[credits.TierCore] = core
	}
	ledger := credits.New(st, pol, credits.Options{})
	if _, err := ledger.Balance(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	q, err := jobs.Open(jobs.Config{Dir: filepath.Join(dir, "jobs"), Engine: summarize.NewBuiltin(), Options: opt,
		Library: st.Library(filepath.Join(dir, "history")), Meter: &credits.Meter{Ledger: ledger}, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, dir: dir, opt: opt, queue: q, store: &SQLStore{DB: st}, clock: clock, db: st, ledger: ledger}
	t.Cleanup(func() {
		q.Shutdown(context.Background())
		st.Close()
	})
	return w, u.ID
}

// close closes what the world opened that outlives its queue.
func (w *world) close() {
	if w.db != nil {
		w.db.Close()
	}
}

// An empty balance stops the follow's recaps with one notice; the items
// wait, and are recapped once credits are added.
func TestEmptyBalance(t *testing.T) {
	t.Parallel()
	clock := &testClock{now: day0}
	host := newPodcastHost(t)
	dir := t.TempDir()
	w, owner := newMultiWorld(t, dir, transcript.Options{}, clock, 1)
	c := w.checker(Limits{})
	ctx := context.Background()
	f, err := c.Add(ctx, owner, host.feedURL(), 0)
	if err != nil {
		t.Fatal(err)
	}
	pass(t, c, false)
	for _, g := range []string{"a", "b", "c"} {
		host.publish(episodeFixture{GUID: g, Title: "Episode " + g, Published: clock.Now().Add(time.Minute), Transcript: true})
		clock.advance(time.Minute)
	}
	clock.advance(4 * time.Hour)
	if rep := pass(t, c, false); rep.Found != 3 || rep.Submitted != 1 {
		t.Fatalf("with one credit: %+v", rep)
	}
	w.settle(c)
	got, _ := w.store.Get(ctx, owner, f.ID)
	if !strings.Contains(got.Notice, "credits ran out") {
		t.Fatalf("notice = %q", got.Notice)
	}
	items := itemsByKey(t, w.store, f.ID)
	if items["a"].State != ItemDone || items["b"].State != ItemNew || items["c"].State != ItemNew {
		t.Fatalf("items: a %s, b %s, c %s", items["a"].State, items["b"].State, items["c"].State)
	}
	// Another pass changes nothing and says nothing new.
	clock.advance(4 * time.Hour)
	if rep := pass(t, c, false); rep.Submitted != 0 {
		t.Fatalf("submitted without credits: %+v", rep)
	}
	if _, err := w.ledger.Add(ctx, owner, 5, credits.Grant{Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	if rep := pass(t, c, false); rep.Submitted != 2 {
		t.Fatalf("after credits were added: %+v", rep)
	}
	w.settle(c)
	if got, _ := w.store.Get(ctx, owner, f.ID); got.Notice != "" || got.Unread != 3 {
		t.Fatalf("follow after the refill: %+v", got)
	}
	keys := recappedKeys(recaps(t, dir))
	if len(keys) != 3 || keys["a"] != 1 || keys["b"] != 1 || keys["c"] != 1 {
		t.Fatalf("recaps: %v", keys)
	}
	b, _ := w.ledger.Balance(ctx, owner)
	if b.LifetimeConsumed != 3 {
		t.Fatalf("credits spent = %d, want 3", b.LifetimeConsumed)
	}
}

// The daily limit holds new items back until a day has passed.
func TestDailyLimit(t *testing.T) {
	t.Parallel()
	clock := &testClock{now: day0}
	host := newPodcastHost(t)
	w := newSingleWorld(t, t.TempDir(), transcript.Options{}, clock)
	c := w.checker(Limits{PerDay: 2})
	ctx := context.Background()
	f, err := c.Add(ctx, "", host.feedURL(), 0)
	if err != nil {
		t.Fatal(err)
	}
	pass(t, c, false)
	for _, g := range []string{"a", "b", "c"} {
		host.publish(episodeFixture{GUID: g, Title: g, Published: clock.Now().Add(time.Minute), Transcript: true})
		clock.advance(time.Minute)
	}
	clock.advance(4 * time.Hour)
	if rep := pass(t, c, false); rep.Submitted != 2 {
		t.Fatalf("first day: %+v", rep)
	}
	w.settle(c)
	if got, _ := w.store.Get(ctx, "", f.ID); !strings.Contains(got.Notice, "2 automatic recaps a day") {
		t.Fatalf("notice = %q", got.Notice)
	}
	clock.advance(25 * time.Hour)
	if rep := pass(t, c, false); rep.Submitted != 1 {
		t.Fatalf("next day: %+v", rep)
	}
}

// Both stores keep follows private to their owner and items unique.
func TestStores(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"single", "multi"} {
		t.Run(mode, func(t *testing.T) {
			ctx := context.Background()
			clock := &testClock{now: day0}
			var st Store
			alice, bob := "", "someone-else"
			if mode == "single" {
				fs, err := OpenFileStore(filepath.Join(t.TempDir(), "follows.json"))
				if err != nil {
					t.Fatal(err)
				}
				st = fs
			} else {
				w, owner := newMultiWorld(t, t.TempDir(), transcript.Options{}, clock, 0)
				st, alice = w.store, owner
				u, _, err := w.db.EnsureUser(ctx, store.NewUser{Email: "bob@example.org"})
				if err != nil {
					t.Fatal(err)
				}
				bob = u.ID
			}
			f := Follow{ID: "f1", Owner: alice, Kind: transcript.FollowPodcast, Ref: "https://example.org/feed.xml", Link: "x", Title: "T", CreatedAt: day0, NextCheck: day0}
			if err := st.Add(ctx, f, 1); err != nil {
				t.Fatal(err)
			}
			g := f
			g.ID, g.Ref = "f2", "https://example.org/other.xml"
			if err := st.Add(ctx, g, 1); !errors.Is(err, ErrTooMany) {
				t.Fatalf("over the limit: %v", err)
			}
			if err := st.Add(ctx, f, 0); err == nil {
				t.Fatal("the same id twice")
			}
			b := g
			b.Owner = bob
			if err := st.Add(ctx, b, 1); err != nil {
				t.Fatal(err)
			}
			if _, err := st.Get(ctx, bob, "f1"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("bob reads alice's follow: %v", err)
			}
			if err := st.Remove(ctx, bob, "f1"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("bob removes alice's follow: %v", err)
			}
			if err := st.SetPaused(ctx, bob, "f1", true, day0); !errors.Is(err, ErrNotFound) {
				t.Fatalf("bob pauses alice's follow: %v", err)
			}
			if l, _ := st.List(ctx, bob); len(l) != 1 || l[0].ID != "f2" {
				t.Fatalf("bob's list: %+v", l)
			}
			it := Item{FollowID: "f1", Owner: alice, Key: "k", Title: "t", URL: "u", State: ItemNew, FirstSeen: day0, UpdatedAt: day0}
			if n, err := st.AddItems(ctx, []Item{it, it}); err != nil || n != 1 {
				t.Fatalf("AddItems twice = %d, %v", n, err)
			}
			it.State, it.Started = ItemDone, day0
			for range 2 {
				if err := st.SaveItem(ctx, it); err != nil {
					t.Fatal(err)
				}
			}
			if got, _ := st.Get(ctx, alice, "f1"); got.Unread != 1 {
				t.Fatalf("unread after one item done (saved twice) = %d", got.Unread)
			}
			if n, _ := st.Started(ctx, alice, day0); n != 1 {
				t.Fatalf("started = %d", n)
			}
			if err := st.Remove(ctx, alice, "f1"); err != nil {
				t.Fatal(err)
			}
			if items, _ := st.Items(ctx, "f1"); len(items) != 0 {
				t.Fatalf("items outlive their follow: %+v", items)
			}
		})
	}
	// The file store keeps everything across a reopen.
	path := filepath.Join(t.TempDir(), "follows.json")
	fs, _ := OpenFileStore(path)
	ctx := context.Background()
	fs.Add(ctx, Follow{ID: "f1", Kind: transcript.FollowChannel, Ref: capturedChannel, CreatedAt: day0, NextCheck: day0}, 0)
	fs.AddItems(ctx, []Item{{FollowID: "f1", Key: "v", State: ItemQueued, JobID: "j", FirstSeen: day0, UpdatedAt: day0}})
	again, err := OpenFileStore(path)
	if err != nil {
		t.Fatal(err)
	}
	if items, _ := again.Active(ctx); len(items) != 1 || items[0].JobID != "j" {
		t.Fatalf("after reopening: %+v", items)
	}
	// Two stores on one file (the command line beside the service) see
	// each other's changes and lose none.
	if err := again.SetPaused(ctx, "", "f1", true, day0); err != nil {
		t.Fatal(err)
	}
	if err := fs.MarkRead(ctx, "", "f1"); err != nil {
		t.Fatal(err)
	}
	if f, _ := fs.Get(ctx, "", "f1"); !f.Paused {
		t.Fatal("the first store did not see the pause made through the second")
	}
	fs.Add(ctx, Follow{ID: "f2", Kind: transcript.FollowPodcast, Ref: "https://example.org/f.xml", CreatedAt: day0}, 0)
	if l, _ := again.List(ctx, ""); len(l) != 2 || !l[0].Paused {
		t.Fatalf("the second store's list: %+v", l)
	}
}

// A disabled account's follows are not read; merging duplicate accounts
// moves the follows to the kept one, one follow per source, with the
// duplicate's items and unread count; removing the account removes its
// follows and their items.
func TestFollowsOfDisabledMergedAndRemovedAccounts(t *testing.T) {
	t.Parallel()
	clock := &testClock{now: day0}
	shared, other := newPodcastHost(t), newPodcastHost(t)
	dir := t.TempDir()
	w, keep := newMultiWorld(t, dir, transcript.Options{}, clock, 0)
	c := w.checker(Limits{})
	ctx := context.Background()
	// A second account of the same person (the earlier Recap kept
	// addresses as typed).
	dup, err := w.db.CreateUser(ctx, store.NewUser{Email: "Follower+old@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.db.Update(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE users SET email_key = (SELECT email_key FROM users WHERE id = ?) WHERE id = ?`, keep, dup.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	kept, err := c.Add(ctx, keep, shared.feedURL(), 0)
	if err != nil {
		t.Fatal(err)
	}
	twin, err := c.Add(ctx, dup.ID, shared.feedURL(), 0)
	if err != nil {
		t.Fatal(err)
	}
	only, err := c.Add(ctx, dup.ID, other.feedURL(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if rep := pass(t, c, false); rep.Checked != 3 {
		t.Fatalf("first pass: %+v", rep)
	}
	shared.publish(episodeFixture{GUID: "x", Title: "Episode x", Published: clock.Now().Add(time.Minute), Transcript: true})
	clock.advance(4 * time.Hour)
	if rep := pass(t, c, false); rep.Checked != 3 || rep.Submitted != 2 {
		t.Fatalf("second pass: %+v", rep)
	}
	w.settle(c)

	// Disabled: its two follows are neither read nor fed.
	if err := w.db.SetUserDisabled(ctx, dup.ID, true); err != nil {
		t.Fatal(err)
	}
	shared.publish(episodeFixture{GUID: "y", Title: "Episode y", Published: clock.Now().Add(time.Minute), Transcript: true})
	other.publish(episodeFixture{GUID: "z", Title: "Episode z", Published: clock.Now().Add(time.Minute), Transcript: true})
	clock.advance(4 * time.Hour)
	before, _ := w.store.Get(ctx, dup.ID, only.ID)
	if rep := pass(t, c, true); rep.Checked != 1 || rep.Submitted != 1 {
		t.Fatalf("pass with one account disabled: %+v", rep)
	}
	w.settle(c)
	if after, _ := w.store.Get(ctx, dup.ID, only.ID); !after.LastCheck.Equal(before.LastCheck) {
		t.Fatalf("a disabled account's follow was read at %v", after.LastCheck)
	}
	if items := itemsByKey(t, w.store, twin.ID); len(items) != 1 {
		t.Fatalf("a disabled account's follow recorded %d items", len(items))
	}
	if err := w.db.SetUserDisabled(ctx, dup.ID, false); err != nil {
		t.Fatal(err)
	}

	// Merged: one follow per source, the duplicate's history kept.
	lib := w.db.Library(filepath.Join(dir, "history"))
	if _, err := lib.MergeAccounts(ctx, keep, dup.ID); err != nil {
		t.Fatal(err)
	}
	fs, err := w.store.List(ctx, keep)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]Follow{}
	for _, f := range fs {
		byID[f.ID] = f
	}
	if _, ok := byID[only.ID]; len(fs) != 2 || !ok {
		t.Fatalf("follows after the merge: %+v", fs)
	}
	if n := byID[kept.ID].Unread; n != 3 {
		t.Fatalf("unread of the kept follow = %d, want its 2 and the duplicate's 1", n)
	}
	if _, err := w.store.Get(ctx, keep, twin.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the duplicate follow: %v", err)
	}
	if left, _ := w.store.List(ctx, dup.ID); len(left) != 0 {
		t.Fatalf("follows left with the merged account: %+v", left)
	}
	// The moved follow picks up where the disabled account left it: the
	// episode that came meanwhile is recapped for the kept account, once.
	clock.advance(4 * time.Hour)
	if rep := pass(t, c, false); rep.Submitted != 1 {
		t.Fatalf("pass after the merge: %+v", rep)
	}
	w.settle(c)
	if items := itemsByKey(t, w.store, only.ID); items["z"].State != ItemDone || items["z"].Owner != keep {
		t.Fatalf("item z after the merge: %+v", items["z"])
	}
	keys := recappedKeys(recaps(t, dir))
	if keys["x"] != 2 || keys["y"] != 1 || keys["z"] != 1 {
		t.Fatalf("recaps: %v", keys)
	}

	// Removed: its follows and their items go with it.
	if _, err := lib.RemoveAccount(ctx, keep); err != nil {
		t.Fatal(err)
	}
	var follows, items int
	if err := w.db.View(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM follows), (SELECT count(*) FROM follow_items)`).Scan(&follows, &items)
	}); err != nil {
		t.Fatal(err)
	}
	if follows != 0 || items != 0 {
		t.Fatalf("after removing the account: %d follows, %d items", follows, items)
	}
}
