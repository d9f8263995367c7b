package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/follow"
	"github.com/recap-startos/recap/pkg/startos"
	"github.com/recap-startos/recap/pkg/store"
)

// multiReady is a single-mode config with everything multi mode needs.
const multiReady = `mode:
  type: single
  admin-email: Owner@Example.org
  public-url: https://recap.example.org
smtp:
  type: custom
  host: 127.0.0.1
  port: 2525
  security: none
  from: recap@example.org
`

var errStop = errors.New("stopped here")

// volumeState describes a data folder after a switch: the recap files
// (the admin's folder written ADMIN), the mode, and each user's indexed
// recaps.
func volumeState(t *testing.T, data string) string {
	t.Helper()
	ctx := context.Background()
	cfg, err := config.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	lines = append(lines, "mode "+cfg.Mode.Type)
	adminID := ""
	if _, err := os.Stat(store.PathIn(data)); err == nil {
		st, err := store.Open(ctx, data, store.Options{NoMigrate: true})
		if err != nil {
			t.Fatal(err)
		}
		users, _, err := st.ListUsers(ctx, store.UserQuery{})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range users {
			if u.IsAdmin {
				adminID = u.ID
			}
			lines = append(lines, "user "+u.Email+" rows "+strconv.Itoa(u.Recaps))
			fs, err := (&follow.SQLStore{DB: st}).List(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			lines = append(lines, followLines(t, &follow.SQLStore{DB: st}, "db "+u.Email, fs)...)
		}
		st.Close()
	}
	if _, err := os.Stat(filepath.Join(data, "follows.json")); err == nil {
		file, err := follow.OpenFileStore(filepath.Join(data, "follows.json"))
		if err != nil {
			t.Fatal(err)
		}
		fs, err := file.All(ctx)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, followLines(t, file, "file owner "+strconv.Quote(fs0Owner(fs)), fs)...)
	}
	filepath.WalkDir(filepath.Join(data, "history"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".json") {
			rel, _ := filepath.Rel(data, p)
			if adminID != "" {
				rel = strings.Replace(rel, adminID, "ADMIN", 1)
			}
			lines = append(lines, "file "+filepath.ToSlash(rel))
		}
		return nil
	})
	if _, err := os.Stat(filepath.Join(data, "start9", "mode-switch.json")); err == nil {
		lines = append(lines, "journal left")
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// followLines describes follows: where they are, whose, their source,
// unread count and items with their states.
func followLines(t *testing.T, st follow.Store, where string, fs []follow.Follow) []string {
	t.Helper()
	var out []string
	for _, f := range fs {
		items, err := st.Items(context.Background(), f.ID)
		if err != nil {
			t.Fatal(err)
		}
		var states []string
		for _, it := range items {
			states = append(states, it.Key+"="+it.State+":"+it.RecapID)
		}
		sort.Strings(states)
		out = append(out, "follow "+where+" "+f.ID+" "+f.Ref+" unread "+strconv.Itoa(f.Unread)+" items "+strings.Join(states, ","))
	}
	return out
}

// fs0Owner is the owner of the first follow, "" when there is none.
func fs0Owner(fs []follow.Follow) string {
	if len(fs) == 0 {
		return ""
	}
	return fs[0].Owner
}

// addFollow records a follow with a recapped item and a back-catalogue
// one, as a check would have.
func addFollow(t *testing.T, st follow.Store, owner, id, ref string) {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	if err := st.Add(ctx, follow.Follow{ID: id, Owner: owner, Kind: "podcast", Ref: ref, Link: ref, Title: "Show " + id,
		CreatedAt: now, NextCheck: now}, 0); err != nil {
		t.Fatal(err)
	}
	items := []follow.Item{
		{FollowID: id, Owner: owner, Key: "ep0", Title: "Zero", URL: ref + "#0", State: follow.ItemOld, FirstSeen: now, UpdatedAt: now},
		{FollowID: id, Owner: owner, Key: "ep1", Title: "One", URL: ref + "#1", State: follow.ItemQueued, FirstSeen: now, UpdatedAt: now},
	}
	if _, err := st.AddItems(ctx, items); err != nil {
		t.Fatal(err)
	}
	items[1].State, items[1].RecapID = follow.ItemDone, "20260302-120000-"+id[:8]
	if err := st.SaveItem(ctx, items[1]); err != nil {
		t.Fatal(err)
	}
}

func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// interrupted runs a switch that stops after its n-th step, then runs it
// again to the end; it reports whether the n-th step was reached.
func interrupted(t *testing.T, data, to string, n int) bool {
	t.Helper()
	count := 0
	switchStep = func(string) error {
		count++
		if count == n {
			return errStop
		}
		return nil
	}
	_, err := switchMode(context.Background(), data, to)
	switchStep = nil
	if err != nil && !errors.Is(err, errStop) {
		t.Fatalf("step %d: %v", n, err)
	}
	if _, err := switchMode(context.Background(), data, to); err != nil {
		t.Fatalf("after stopping at step %d: %v", n, err)
	}
	return count >= n
}

// TestSwitchModeSurvivesInterruption switches single → multi and back,
// stopping after every step in turn and running the switch again: each
// ends in the same state as an uninterrupted switch.
func TestSwitchModeSurvivesInterruption(t *testing.T) {
	restart = func() (func() error, error) { return nil, nil }
	t.Cleanup(func() { restart = restartService })
	single := t.TempDir()
	for range 3 { // three recaps of one talk: --again files each
		if code, _, errOut := runCLI(t, "", "summarize", "--quiet", "--save", "--again", "--data", single, talk); code != 0 {
			t.Fatal(errOut)
		}
	}
	os.MkdirAll(filepath.Join(single, "start9"), 0o700)
	if err := os.WriteFile(config.Path(single), []byte(multiReady), 0o600); err != nil {
		t.Fatal(err)
	}
	// The owner follows two shows.
	file, err := follow.OpenFileStore(filepath.Join(single, "follows.json"))
	if err != nil {
		t.Fatal(err)
	}
	addFollow(t, file, "", "ownerfollowaaaaa", "https://feeds.example.org/a.xml")
	addFollow(t, file, "", "ownerfollowbbbbb", "https://feeds.example.org/b.xml")

	// Uninterrupted, single → multi.
	multi := copyDir(t, single)
	if changed, err := switchMode(context.Background(), multi, config.ModeMulti); err != nil || !changed {
		t.Fatalf("switch: %v, %v", changed, err)
	}
	want := volumeState(t, multi)
	if !strings.Contains(want, "mode multi") || strings.Count(want, "file history/ADMIN/") != 3 || !strings.Contains(want, "user owner@example.org rows 3") {
		t.Fatalf("after the switch:\n%s", want)
	}
	// The follows are the admin's now, with their items; the file has none.
	for _, id := range []string{"aaaaa", "bbbbb"} {
		if !strings.Contains(want, "follow db owner@example.org ownerfollow"+id+" https://feeds.example.org/"+id[:1]+".xml unread 1 items ep0=old:,ep1=done:20260302-120000-ownerfol") {
			t.Fatalf("follow %s after the switch:\n%s", id, want)
		}
	}
	if strings.Contains(want, "follow file") {
		t.Fatalf("follows left in the file:\n%s", want)
	}
	for n := 1; ; n++ {
		d := copyDir(t, single)
		reached := interrupted(t, d, config.ModeMulti, n)
		if got := volumeState(t, d); got != want {
			t.Fatalf("stopped after step %d, then run again:\n%s\nwant:\n%s", n, got, want)
		}
		if !reached {
			break
		}
	}

	// Another user with a recap, then multi → single: the admin's recaps
	// come back; the other user's folder and rows stay.
	ctx := context.Background()
	st, err := store.Open(ctx, multi, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	bob, err := st.CreateUser(ctx, store.NewUser{Email: "bob@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	admin, _ := st.UserByEmail(ctx, "owner@example.org")
	ids, _ := os.ReadDir(filepath.Join(multi, "history", admin.ID))
	doc, err := st.Library(filepath.Join(multi, "history")).Get(ctx, admin.ID, strings.TrimSuffix(ids[0].Name(), ".json"))
	if err != nil {
		t.Fatal(err)
	}
	doc.ID = "20250101-000000-bobbobbo"
	if err := st.Library(filepath.Join(multi, "history")).Save(ctx, bob.ID, doc); err != nil {
		t.Fatal(err)
	}
	addFollow(t, &follow.SQLStore{DB: st}, bob.ID, "bobfollowcccccc1", "https://feeds.example.org/a.xml")
	st.Close()

	back := copyDir(t, multi)
	if changed, err := switchMode(ctx, back, config.ModeSingle); err != nil || !changed {
		t.Fatalf("switch back: %v, %v", changed, err)
	}
	wantBack := volumeState(t, back)
	if !strings.Contains(wantBack, "mode single") || !strings.Contains(wantBack, "file history/"+bob.ID+"/20250101-000000-bobbobbo.json") ||
		!strings.Contains(wantBack, "user bob@example.org rows 1") || topLevel(wantBack) != 3 {
		t.Fatalf("after switching back:\n%s", wantBack)
	}
	// The admin's follows are the owner's again; bob's stay in the database.
	for _, id := range []string{"aaaaa", "bbbbb"} {
		if !strings.Contains(wantBack, `follow file owner "" ownerfollow`+id+" https://feeds.example.org/"+id[:1]+".xml unread 1 items ep0=old:,ep1=done:20260302-120000-ownerfol") {
			t.Fatalf("follow %s after switching back:\n%s", id, wantBack)
		}
	}
	if strings.Contains(wantBack, "follow db owner@example.org") || !strings.Contains(wantBack, "follow db bob@example.org bobfollowcccccc1") {
		t.Fatalf("follows in the database after switching back:\n%s", wantBack)
	}
	for n := 1; ; n++ {
		d := copyDir(t, multi)
		reached := interrupted(t, d, config.ModeSingle, n)
		if got := volumeState(t, d); got != wantBack {
			t.Fatalf("back: stopped after step %d, then run again:\n%s\nwant:\n%s", n, got, wantBack)
		}
		if !reached {
			break
		}
	}

	// The action itself, as StartOS runs it.
	d := copyDir(t, single)
	code, out, errOut := runCLI(t, `{"mode":"multi"}`, "action", "switch-mode", "--data", d)
	if code != 0 || !strings.Contains(out, "Switched to multi mode") {
		t.Fatalf("action: exit %d, %s %s", code, out, errOut)
	}
}

// TestSwitchModeResultBeforeRestart: the result is written in full
// before serve is asked to stop, since stopping serve ends the container
// the action runs in.
func TestSwitchModeResultBeforeRestart(t *testing.T) {
	data := t.TempDir()
	if code, _, errOut := runCLI(t, "", "summarize", "--quiet", "--save", "--data", data, talk); code != 0 {
		t.Fatal(errOut)
	}
	os.MkdirAll(filepath.Join(data, "start9"), 0o700)
	if err := os.WriteFile(config.Path(data), []byte(multiReady), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	var atStop string
	restart = func() (func() error, error) {
		return func() error { atStop = out.String(); return nil }, nil
	}
	t.Cleanup(func() { restart = restartService })
	code := run([]string{"recap", "action", "switch-mode", "--data", data}, strings.NewReader(`{"mode":"multi"}`), &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var res startos.ActionResult
	if err := json.Unmarshal([]byte(atStop), &res); err != nil || !strings.Contains(res.Message, "Recap is restarting") {
		t.Fatalf("when serve was asked to stop, stdout held %q (%v)", atStop, err)
	}
	if out.String() != atStop {
		t.Fatalf("more output after the restart: %q", strings.TrimPrefix(out.String(), atStop))
	}
}

// TestSwitchToMultiNeedsItsSettings: without an admin email or mail, the
// switch refuses and moves nothing.
func TestSwitchToMultiNeedsItsSettings(t *testing.T) {
	data := t.TempDir()
	if code, _, errOut := runCLI(t, "", "summarize", "--quiet", "--save", "--data", data, talk); code != 0 {
		t.Fatal(errOut)
	}
	before := volumeState(t, data)
	code, out, errOut := runCLI(t, `{"mode":"multi"}`, "action", "switch-mode", "--data", data)
	if code == 0 || out != "" || !strings.Contains(errOut, "admin") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if after := volumeState(t, data); after != before {
		t.Fatalf("changed:\n%s", after)
	}
}

// topLevel counts the recap files directly in DATA/history.
func topLevel(state string) int {
	n := 0
	for _, l := range strings.Split(state, "\n") {
		if rest, ok := strings.CutPrefix(l, "file history/"); ok && !strings.Contains(rest, "/") {
			n++
		}
	}
	return n
}

// TestConfigPageSwitchMovesFollows: a switch made on the Config page
// (no action) moves the owner's follows to the admin's account when
// multi mode starts, as it moves the owner's recaps.
func TestConfigPageSwitchMovesFollows(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	os.MkdirAll(filepath.Join(data, "start9"), 0o700)
	if err := os.WriteFile(config.Path(data), []byte(strings.Replace(multiReady, "type: single", "type: multi", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	file, err := follow.OpenFileStore(filepath.Join(data, "follows.json"))
	if err != nil {
		t.Fatal(err)
	}
	addFollow(t, file, "", "ownerfollowaaaaa", "https://feeds.example.org/a.xml")
	cfg, err := config.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // a second start finds nothing more to move
		w, err := wireMulti(ctx, data, cfg, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		w.close()
	}
	state := volumeState(t, data)
	if !strings.Contains(state, "follow db owner@example.org ownerfollowaaaaa https://feeds.example.org/a.xml unread 1 items ep0=old:,ep1=done:") ||
		strings.Count(state, "follow ") != 1 {
		t.Fatalf("after multi mode started:\n%s", state)
	}
}
