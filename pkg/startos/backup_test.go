package startos

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var ctx = context.Background()

func TestSnapshotRoundTrip(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	saveRecap(t, data, "20260102-030405-aaaaaaaa", "youtube")
	saveRecap(t, data, "20260102-030405-bbbbbbbb", "podcast")
	writeFile(t, filepath.Join(data, "start9", "config.yaml"), "mode:\n  type: single\n")
	writeFile(t, filepath.Join(data, "cache", "library-index"), "re-creatable")
	writeFile(t, filepath.Join(data, "history", ".x.json.tmp-123"), "half written")

	snap, err := CreateSnapshot(ctx, data, SnapshotOptions{Keep: 5, Version: "0.3.0"})
	if err != nil {
		t.Fatal(err)
	}
	if !snapshotName.MatchString(snap.Name) || snap.Size == 0 || snap.Files != 3 {
		t.Fatalf("snapshot = %+v", snap)
	}
	names := archiveNames(t, filepath.Join(BackupsDir(data), snap.Name))
	for _, n := range names {
		if strings.HasPrefix(n, "cache") || strings.HasPrefix(n, "backups") || strings.Contains(n, ".tmp-") {
			t.Errorf("snapshot holds %s", n)
		}
	}
	if names[len(names)-1] != snapshotIndex {
		t.Errorf("last entry %s, want %s", names[len(names)-1], snapshotIndex)
	}

	// Change the data: delete a recap, add one, edit the config.
	os.Remove(filepath.Join(data, "history", "20260102-030405-aaaaaaaa.json"))
	saveRecap(t, data, "20260102-030405-cccccccc", "text")
	writeFile(t, filepath.Join(data, "start9", "config.yaml"), "mode:\n  type: single\nadvanced:\n  job-concurrency: 3\n")

	restored, safety, err := RestoreSnapshot(ctx, data, snap.Name, SnapshotOptions{Version: "0.3.0"})
	if err != nil {
		t.Fatal(err)
	}
	if restored.Name != snap.Name || !strings.Contains(safety, "-before-restore") {
		t.Fatalf("restored %+v, safety %q", restored, safety)
	}
	for id, want := range map[string]bool{"20260102-030405-aaaaaaaa": true, "20260102-030405-bbbbbbbb": true, "20260102-030405-cccccccc": false} {
		if got := exists(filepath.Join(data, "history", id+".json")); got != want {
			t.Errorf("%s present = %v, want %v", id, got, want)
		}
	}
	if got := readFile(t, filepath.Join(data, "start9", "config.yaml")); got != "mode:\n  type: single\n" {
		t.Errorf("config = %q", got)
	}
	for _, leftover := range []string{stagingDir, oldDir, journalFile, "cache"} {
		if exists(filepath.Join(data, leftover)) {
			t.Errorf("%s left behind", leftover)
		}
	}
	// The safety snapshot holds the state just before the restore.
	names = archiveNames(t, filepath.Join(BackupsDir(data), safety))
	if !contains(names, "history/20260102-030405-cccccccc.json") || contains(names, "history/20260102-030405-aaaaaaaa.json") {
		t.Errorf("safety snapshot holds %v", names)
	}
}

func TestRestoreRefusesBadSnapshots(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	saveRecap(t, data, "20260102-030405-aaaaaaaa", "youtube")
	snap, err := CreateSnapshot(ctx, data, SnapshotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	good := readFile(t, filepath.Join(BackupsDir(data), snap.Name))

	put := func(name string, entries map[string]string, order ...string) {
		f, err := os.Create(filepath.Join(BackupsDir(data), name))
		if err != nil {
			t.Fatal(err)
		}
		gz := gzip.NewWriter(f)
		tw := tar.NewWriter(gz)
		for _, n := range order {
			tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: n, Size: int64(len(entries[n])), Mode: 0o600})
			tw.Write([]byte(entries[n]))
		}
		tw.Close()
		gz.Close()
		f.Close()
	}
	cases := []struct {
		name, file, want string
		make             func(name string)
		wantErr          error
	}{
		{"not our name", "../etc/passwd", "", nil, ErrSnapshotName},
		{"missing", "recap-20990101T000000Z.tar.gz", "", nil, ErrNoSnapshot},
		{"truncated", "recap-20200101T000000Z.tar.gz", "", func(n string) {
			writeFile(t, filepath.Join(BackupsDir(data), n), good[:len(good)/2])
		}, ErrBadSnapshot},
		{"not gzip", "recap-20200101T000001Z.tar.gz", "", func(n string) {
			writeFile(t, filepath.Join(BackupsDir(data), n), "hello")
		}, ErrBadSnapshot},
		{"no index", "recap-20200101T000002Z.tar.gz", "", func(n string) {
			put(n, map[string]string{"history/x.json": "{}"}, "history/x.json")
		}, ErrBadSnapshot},
		{"path escape", "recap-20200101T000003Z.tar.gz", "", func(n string) {
			put(n, map[string]string{"../evil": "x", snapshotIndex: `{"format":1,"files":[]}`}, "../evil", snapshotIndex)
		}, ErrBadSnapshot},
		{"checksum", "recap-20200101T000004Z.tar.gz", "", func(n string) {
			put(n, map[string]string{"a.txt": "abc", snapshotIndex: `{"format":1,"files":[{"path":"a.txt","size":3,"sha256":"00"}]}`}, "a.txt", snapshotIndex)
		}, ErrBadSnapshot},
		{"unlisted file", "recap-20200101T000005Z.tar.gz", "", func(n string) {
			put(n, map[string]string{"a.txt": "abc", snapshotIndex: `{"format":1,"files":[]}`}, "a.txt", snapshotIndex)
		}, ErrBadSnapshot},
	}
	before := readFile(t, filepath.Join(data, "history", "20260102-030405-aaaaaaaa.json"))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.make != nil {
				c.make(c.file)
			}
			_, _, err := RestoreSnapshot(ctx, data, c.file, SnapshotOptions{})
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("error = %v, want %v", err, c.wantErr)
			}
			if got := readFile(t, filepath.Join(data, "history", "20260102-030405-aaaaaaaa.json")); got != before {
				t.Fatal("data changed by a refused restore")
			}
			if exists(filepath.Join(data, stagingDir)) || exists(filepath.Join(data, journalFile)) {
				t.Fatal("refused restore left staging behind")
			}
		})
	}
	snaps, _ := ListSnapshots(data)
	for _, s := range snaps {
		if strings.Contains(s.Name, "before-restore") {
			t.Errorf("refused restore made a safety snapshot %s", s.Name)
		}
	}
}

func TestSnapshotsAreRotated(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	saveRecap(t, data, "20260102-030405-aaaaaaaa", "youtube")
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range 4 {
		if _, err := CreateSnapshot(ctx, data, SnapshotOptions{Keep: 2, Now: base.Add(time.Duration(i) * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	// Same second twice: a second name, not an overwrite.
	s, err := CreateSnapshot(ctx, data, SnapshotOptions{Keep: 3, Now: base.Add(3 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "recap-20260301T030000Z-2.tar.gz" {
		t.Errorf("name = %s", s.Name)
	}
	snaps, _ := ListSnapshots(data)
	var names []string
	for _, s := range snaps {
		names = append(names, s.Name)
	}
	want := []string{"recap-20260301T030000Z-2.tar.gz", "recap-20260301T030000Z.tar.gz", "recap-20260301T020000Z.tar.gz"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("kept %v, want %v", names, want)
	}
}

func TestSnapshotUsesDatabaseSnapshotter(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	writeFile(t, filepath.Join(data, "recap.db"), "live database")
	writeFile(t, filepath.Join(data, "recap.db-wal"), "wal frames")
	called := false
	snap, err := CreateSnapshot(ctx, data, SnapshotOptions{SnapshotDB: func(_ context.Context, src, dst string) error {
		called = src == filepath.Join(data, "recap.db")
		return os.WriteFile(dst, []byte("consistent copy"), 0o600)
	}})
	if err != nil || !called {
		t.Fatalf("err %v, called %v", err, called)
	}
	names := archiveNames(t, filepath.Join(BackupsDir(data), snap.Name))
	if contains(names, "recap.db-wal") || !contains(names, "recap.db") {
		t.Fatalf("entries %v", names)
	}
	if _, _, err := RestoreSnapshot(ctx, data, snap.Name, SnapshotOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(data, "recap.db")); got != "consistent copy" || exists(filepath.Join(data, "recap.db-wal")) {
		t.Fatalf("restored db %q, wal present %v", got, exists(filepath.Join(data, "recap.db-wal")))
	}
}

func TestInterruptedRestoreIsFinished(t *testing.T) {
	t.Parallel()
	for _, phase := range []string{phaseAside, phaseIn} {
		t.Run(phase, func(t *testing.T) {
			data := t.TempDir()
			writeFile(t, filepath.Join(data, stagingDir, "history", "new.json"), "new")
			writeFile(t, filepath.Join(data, stagingDir, "start9", "config.yaml"), "restored")
			writeFile(t, filepath.Join(data, "start9", "config.yaml"), "current")
			writeFile(t, filepath.Join(data, "backups", "keep.txt"), "kept")
			if phase == phaseIn {
				// Crashed after moving everything aside and one entry in.
				writeFile(t, filepath.Join(data, oldDir, "history", "old.json"), "old")
				os.Rename(filepath.Join(data, "start9"), filepath.Join(data, oldDir, "start9"))
				os.Rename(filepath.Join(data, stagingDir, "history"), filepath.Join(data, "history"))
			} else {
				writeFile(t, filepath.Join(data, "history", "old.json"), "old")
			}
			writeFile(t, filepath.Join(data, journalFile), "recap-20260101T000000Z.tar.gz\n"+phase+"\n")
			if err := FinishRestore(data); err != nil {
				t.Fatal(err)
			}
			if readFile(t, filepath.Join(data, "history", "new.json")) != "new" || readFile(t, filepath.Join(data, "start9", "config.yaml")) != "restored" {
				t.Fatal("restore not rolled forward")
			}
			if exists(filepath.Join(data, "history", "old.json")) || !exists(filepath.Join(data, "backups", "keep.txt")) {
				t.Fatal("wrong entries after finishing")
			}
			for _, leftover := range []string{stagingDir, oldDir, journalFile} {
				if exists(filepath.Join(data, leftover)) {
					t.Errorf("%s left behind", leftover)
				}
			}
		})
	}
}

func archiveNames(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			names = append(names, h.Name)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
