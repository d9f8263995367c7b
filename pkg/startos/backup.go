package startos

// Snapshots made by the create-backup action and loaded by restore-backup.
//
// A snapshot is DATA/backups/recap-<UTC time>.tar.gz holding everything
// in DATA except backups/ (other snapshots), cache/ (re-creatable) and
// temporary files, followed by a last entry, SNAPSHOT.json, that lists
// every file with its size and SHA-256. Library files are written
// atomically by rename, so each file copied is whole; the multi-mode
// database is copied through SQLite (VACUUM INTO) when a snapshotter is
// given, and as plain files otherwise (single mode never opens it, so
// nothing writes it while it is read).
//
// Restoring is careful in this order:
//  1. the archive is read in full into DATA/.restore-staging, every file
//     checked against SNAPSHOT.json (paths, sizes, hashes, nothing extra,
//     nothing missing); a bad archive stops here with the data untouched;
//  2. a safety snapshot of the current state is made
//     (recap-<time>-before-restore.tar.gz);
//  3. a journal (DATA/.restore-journal) is written, then each top-level
//     entry of DATA (cache/ included: it describes the files being
//     replaced) is renamed into DATA/.restore-old and each staged entry
//     renamed into DATA; the journal is removed, then the old entries.
//
// A crash during step 3 leaves the journal: the next restore or snapshot
// (and serve, through FinishRestore) rolls the swap forward, since the
// staged files were already verified. Every rename stays inside DATA, one
// file system, so each is atomic.

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/recap-startos/recap/pkg/atomicfile"
)

// Backup errors.
var (
	// ErrSnapshotName means the name is not one of our snapshot names.
	ErrSnapshotName = errors.New("backup: not a snapshot name (they look like recap-20260101T120000Z.tar.gz)")
	// ErrNoSnapshot means no snapshot has that name.
	ErrNoSnapshot = errors.New("backup: no such snapshot")
	// ErrBadSnapshot means the archive failed verification.
	ErrBadSnapshot = errors.New("backup: snapshot failed verification")
)

// DefaultKeep is how many snapshots create-backup keeps by default.
const DefaultKeep = 5

const (
	backupsDir     = "backups"
	cacheDir       = "cache"
	stagingDir     = ".restore-staging"
	oldDir         = ".restore-old"
	journalFile    = ".restore-journal"
	snapshotIndex  = "SNAPSHOT.json"
	snapshotFormat = 1
	dbFile         = "recap.db"
)

var snapshotName = regexp.MustCompile(`^recap-\d{8}T\d{6}Z(-before-restore)?(-\d+)?\.tar\.gz$`)

// DBSnapshotter copies the SQLite database at src into the new file dst
// consistently while it may be in use (VACUUM INTO or the backup API).
type DBSnapshotter func(ctx context.Context, src, dst string) error

// SnapshotOptions tune CreateSnapshot.
type SnapshotOptions struct {
	Keep       int           // snapshots to keep, newest first; 0 keeps all
	Version    string        // Recap version, recorded in the snapshot
	Now        time.Time     // the snapshot's time; zero means now
	SnapshotDB DBSnapshotter // nil: copy recap.db and its WAL as files
	suffix     string        // "-before-restore" for safety snapshots
}

// Snapshot describes one snapshot file.
type Snapshot struct {
	Name    string
	Size    int64 // bytes of the .tar.gz
	Files   int   // files inside
	Created time.Time
	seq     int // 1, or the n of a "-n" name made in the same second
}

// snapshotManifest is SNAPSHOT.json.
type snapshotManifest struct {
	Format  int            `json:"format"`
	Version string         `json:"version"`
	Created time.Time      `json:"created"`
	Files   []snapshotFile `json:"files"`
}

type snapshotFile struct {
	Path   string `json:"path"` // slash-separated, relative to DATA
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// BackupsDir returns the folder snapshots live in.
func BackupsDir(dataDir string) string { return filepath.Join(dataDir, backupsDir) }

// skipped reports whether a top-level entry of DATA stays out of
// snapshots and out of the restore swap.
func skipped(name string) bool {
	switch name {
	case backupsDir, cacheDir, stagingDir, oldDir, journalFile:
		return true
	}
	return false
}

// CreateSnapshot writes a new snapshot of dataDir and removes the oldest
// ones beyond opt.Keep.
func CreateSnapshot(ctx context.Context, dataDir string, opt SnapshotOptions) (Snapshot, error) {
	if err := finishRestore(dataDir, false); err != nil {
		return Snapshot{}, err
	}
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	dir := BackupsDir(dataDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Snapshot{}, fmt.Errorf("backup: %w", err)
	}
	name := newSnapshotName(dir, now, opt.suffix)
	final := filepath.Join(dir, name)
	w, err := newSnapshotWriter(dir, snapshotManifest{Format: snapshotFormat, Version: opt.Version, Created: now.UTC(), Files: []snapshotFile{}})
	if err != nil {
		return Snapshot{}, fmt.Errorf("backup: %w", err)
	}
	defer w.discard()
	dbPath := filepath.Join(dataDir, dbFile)
	viaSQLite := opt.SnapshotDB != nil && exists(dbPath)
	err = w.addTree(ctx, dataDir, viaSQLite)
	if err == nil && viaSQLite {
		err = w.addDatabase(ctx, dir, dbPath, opt.SnapshotDB)
	}
	if err == nil {
		err = w.finish(final)
	}
	if err != nil {
		return Snapshot{}, fmt.Errorf("backup: %w", err)
	}
	_ = atomicfile.SyncDir(dir) // best effort: the renames are done either way
	st, err := os.Stat(final)
	if err != nil {
		return Snapshot{}, fmt.Errorf("backup: %w", err)
	}
	if opt.Keep > 0 {
		if err := prune(dir, opt.Keep); err != nil {
			return Snapshot{}, err
		}
	}
	return Snapshot{Name: name, Size: st.Size(), Files: len(w.man.Files), Created: now.UTC()}, nil
}

// newSnapshotName is a new snapshot's file name in dir: its UTC time, the
// suffix, and a number when that name is taken.
func newSnapshotName(dir string, now time.Time, suffix string) string {
	base := "recap-" + now.UTC().Format("20060102T150405Z") + suffix
	name := base + ".tar.gz"
	for i := 2; exists(filepath.Join(dir, name)); i++ {
		name = fmt.Sprintf("%s-%d.tar.gz", base, i)
	}
	return name
}

// snapshotWriter writes a snapshot into a temporary file beside the
// others, noting each file's size and hash for the manifest, which goes
// last.
type snapshotWriter struct {
	tmp *os.File
	gz  *gzip.Writer
	tw  *tar.Writer
	man snapshotManifest
}

func newSnapshotWriter(dir string, man snapshotManifest) (*snapshotWriter, error) {
	tmp, err := os.CreateTemp(dir, ".partial-*")
	if err != nil {
		return nil, err
	}
	gz := gzip.NewWriter(tmp)
	return &snapshotWriter{tmp: tmp, gz: gz, tw: tar.NewWriter(gz), man: man}, nil
}

// discard removes the temporary file; after finish there is none.
func (w *snapshotWriter) discard() {
	w.tmp.Close()
	os.Remove(w.tmp.Name())
}

// addFile copies the file src into the snapshot as rel. A file deleted
// since it was listed is left out; one that shrinks while copied is an
// error.
func (w *snapshotWriter) addFile(rel, src string, info fs.FileInfo) error {
	f, err := os.Open(src)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: rel, Size: st.Size(), Mode: int64(info.Mode().Perm()), ModTime: st.ModTime()}
	if err := w.tw.WriteHeader(hdr); err != nil {
		return err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w.tw, h), io.LimitReader(f, st.Size()))
	if err != nil {
		return err
	}
	if n != st.Size() {
		return fmt.Errorf("%s shrank while being copied", rel)
	}
	w.man.Files = append(w.man.Files, snapshotFile{Path: rel, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))})
	return nil
}

// addTree adds everything in dataDir except what snapshots skip, and
// the database files when the database goes in through SQLite.
func (w *snapshotWriter) addTree(ctx context.Context, dataDir string, viaSQLite bool) error {
	return filepath.WalkDir(dataDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == dataDir {
			return nil
		}
		rel, _ := filepath.Rel(dataDir, p)
		rel = filepath.ToSlash(rel)
		if top, _, _ := strings.Cut(rel, "/"); skipped(top) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if viaSQLite && (rel == dbFile || rel == dbFile+"-wal" || rel == dbFile+"-shm") {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil // gone since listed
		}
		if d.IsDir() {
			return w.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: rel + "/", Mode: int64(info.Mode().Perm()), ModTime: info.ModTime()})
		}
		if !d.Type().IsRegular() || strings.Contains(path.Base(rel), ".tmp-") {
			return nil // sockets, links, half-written temporary files
		}
		return w.addFile(rel, p, info)
	})
}

// addDatabase adds a consistent copy of the database made by snap.
func (w *snapshotWriter) addDatabase(ctx context.Context, dir, dbPath string, snap DBSnapshotter) error {
	f, err := os.CreateTemp(dir, ".db-*")
	if err != nil {
		return err
	}
	f.Close()
	os.Remove(f.Name()) // VACUUM INTO wants to create the file itself
	defer os.Remove(f.Name())
	if err := snap(ctx, dbPath, f.Name()); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	info, err := os.Stat(f.Name())
	if err != nil {
		return err
	}
	return w.addFile(dbFile, f.Name(), info)
}

// finish writes the manifest, closes the archive durably and puts it in
// place as final.
func (w *snapshotWriter) finish(final string) error {
	for _, step := range []func() error{
		func() error { return writeManifest(w.tw, w.man) },
		w.tw.Close, w.gz.Close, w.tmp.Sync, w.tmp.Close,
		func() error { return os.Rename(w.tmp.Name(), final) },
	} {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}

func writeManifest(tw *tar.Writer, man snapshotManifest) error {
	raw, err := json.MarshalIndent(man, "", " ")
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: snapshotIndex, Size: int64(len(raw)), Mode: 0o600, ModTime: man.Created}); err != nil {
		return err
	}
	_, err = tw.Write(raw)
	return err
}

// ListSnapshots returns the snapshots in DATA/backups, newest first.
func ListSnapshots(dataDir string) ([]Snapshot, error) {
	des, err := os.ReadDir(BackupsDir(dataDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	var out []Snapshot
	for _, de := range des {
		if !snapshotName.MatchString(de.Name()) || !de.Type().IsRegular() {
			continue
		}
		info, err := de.Info()
		if err != nil {
			continue
		}
		created, _ := time.Parse("20060102T150405Z", de.Name()[len("recap-"):len("recap-")+16])
		seq := 1
		if m := snapshotName.FindStringSubmatch(de.Name()); m[2] != "" {
			seq, _ = strconv.Atoi(m[2][1:])
		}
		out = append(out, Snapshot{Name: de.Name(), Size: info.Size(), Created: created, seq: seq})
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.After(out[j].Created)
		}
		if out[i].seq != out[j].seq {
			return out[i].seq > out[j].seq
		}
		return out[i].Name > out[j].Name
	})
	return out, nil
}

// prune removes the oldest snapshots beyond keep.
func prune(dir string, keep int) error {
	snaps, err := ListSnapshots(filepath.Dir(dir))
	if err != nil {
		return err
	}
	for _, s := range snaps[min(keep, len(snaps)):] {
		if err := os.Remove(filepath.Join(dir, s.Name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("backup: remove old snapshot %s: %w", s.Name, err)
		}
	}
	return nil
}

// VerifySnapshot reads a whole snapshot and checks it against its
// SNAPSHOT.json without extracting anything.
func VerifySnapshot(dataDir, name string) (Snapshot, error) {
	return readSnapshot(dataDir, name, "")
}

// readSnapshot reads and verifies a snapshot; when into is not empty the
// files are also written under into.
func readSnapshot(dataDir, name, into string) (Snapshot, error) {
	if !snapshotName.MatchString(name) {
		return Snapshot{}, ErrSnapshotName
	}
	p := filepath.Join(BackupsDir(dataDir), name)
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return Snapshot{}, fmt.Errorf("%w: %s", ErrNoSnapshot, name)
	}
	if err != nil {
		return Snapshot{}, fmt.Errorf("backup: %w", err)
	}
	defer f.Close()
	st, _ := f.Stat()
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrBadSnapshot, name, fmt.Sprintf(format, args...))
	}
	gz, err := gzip.NewReader(f)
	if err != nil {
		return Snapshot{}, bad("not a gzip file (%v)", err)
	}
	tr := tar.NewReader(gz)
	seen := map[string]snapshotFile{}
	var man *snapshotManifest
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return Snapshot{}, bad("damaged archive (%v)", err)
		}
		if man != nil {
			return Snapshot{}, bad("entries after %s", snapshotIndex)
		}
		rel, err := snapshotEntry(hdr, bad)
		if err != nil {
			return Snapshot{}, err
		}
		switch {
		case hdr.Typeflag == tar.TypeDir:
			err = makeDir(into, rel)
		case rel == snapshotIndex:
			man, err = readManifest(tr, bad)
		default:
			if _, dup := seen[rel]; dup {
				return Snapshot{}, bad("%q appears twice", rel)
			}
			seen[rel], err = extractFile(tr, hdr, into, rel, bad)
		}
		if err != nil {
			return Snapshot{}, err
		}
	}
	if err := checkManifest(man, seen, bad); err != nil {
		return Snapshot{}, err
	}
	return Snapshot{Name: name, Size: st.Size(), Files: len(man.Files), Created: man.Created}, nil
}

// snapshotEntry checks an archive entry's path and type: a folder or a
// file, at a relative path inside DATA that snapshots do not skip. It
// returns the path without a trailing slash.
func snapshotEntry(hdr *tar.Header, bad func(string, ...any) error) (string, error) {
	rel := strings.TrimSuffix(hdr.Name, "/")
	if !filepath.IsLocal(filepath.FromSlash(rel)) || strings.Contains(rel, "\\") {
		return "", bad("unsafe path %q", hdr.Name)
	}
	if top, _, _ := strings.Cut(rel, "/"); skipped(top) {
		return "", bad("unexpected path %q", hdr.Name)
	}
	if hdr.Typeflag != tar.TypeDir && hdr.Typeflag != tar.TypeReg {
		return "", bad("%q is not a file or folder", hdr.Name)
	}
	return rel, nil
}

// makeDir makes a folder of the snapshot under into ("" only checks).
func makeDir(into, rel string) error {
	if into == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Join(into, filepath.FromSlash(rel)), 0o700); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

func readManifest(r io.Reader, bad func(string, ...any) error) (*snapshotManifest, error) {
	var m snapshotManifest
	if err := json.NewDecoder(io.LimitReader(r, 64<<20)).Decode(&m); err != nil {
		return nil, bad("unreadable %s (%v)", snapshotIndex, err)
	}
	return &m, nil
}

// extractFile reads a file of the snapshot, hashing it, and writes it
// under into unless into is "" (then it only checks).
func extractFile(r io.Reader, hdr *tar.Header, into, rel string, bad func(string, ...any) error) (snapshotFile, error) {
	h := sha256.New()
	var w io.Writer = h
	var out *os.File
	if into != "" {
		dst := filepath.Join(into, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return snapshotFile{}, fmt.Errorf("backup: %w", err)
		}
		var err error
		if out, err = os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, fs.FileMode(hdr.Mode).Perm()|0o600); err != nil {
			return snapshotFile{}, fmt.Errorf("backup: %w", err)
		}
		w = io.MultiWriter(h, out)
	}
	n, err := io.Copy(w, r)
	if out != nil {
		if err == nil {
			err = out.Sync()
		}
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Chtimes(out.Name(), hdr.ModTime, hdr.ModTime)
		}
	}
	if err != nil {
		return snapshotFile{}, bad("damaged archive at %q (%v)", rel, err)
	}
	return snapshotFile{Path: rel, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// checkManifest holds the files read to the manifest: the same set,
// each with its size and checksum.
func checkManifest(man *snapshotManifest, seen map[string]snapshotFile, bad func(string, ...any) error) error {
	if man == nil {
		return bad("%s is missing (not a Recap snapshot, or cut short)", snapshotIndex)
	}
	if man.Format != snapshotFormat {
		return bad("format %d, this version reads %d", man.Format, snapshotFormat)
	}
	if len(man.Files) != len(seen) {
		return bad("%d files listed, %d present", len(man.Files), len(seen))
	}
	for _, want := range man.Files {
		got, ok := seen[want.Path]
		if !ok {
			return bad("%q is listed but missing", want.Path)
		}
		if got != want {
			return bad("%q does not match its checksum", want.Path)
		}
	}
	return nil
}

// RestoreSnapshot replaces the contents of dataDir (except backups/) with
// the snapshot's, verifying it first and keeping a safety snapshot of the
// current state. Run it only while the service is stopped. It returns the
// restored snapshot and the safety snapshot's name.
func RestoreSnapshot(ctx context.Context, dataDir, name string, opt SnapshotOptions) (restored Snapshot, safety string, err error) {
	if err := FinishRestore(dataDir); err != nil {
		return Snapshot{}, "", err
	}
	staging := filepath.Join(dataDir, stagingDir)
	if err := os.RemoveAll(staging); err != nil {
		return Snapshot{}, "", fmt.Errorf("backup: clear %s: %w", stagingDir, err)
	}
	if err := os.Mkdir(staging, 0o700); err != nil {
		return Snapshot{}, "", fmt.Errorf("backup: %w", err)
	}
	restored, err = readSnapshot(dataDir, name, staging)
	if err != nil {
		os.RemoveAll(staging)
		return Snapshot{}, "", err
	}
	opt.Keep = 0
	opt.suffix = "-before-restore"
	opt.Now = time.Time{}
	safe, err := CreateSnapshot(ctx, dataDir, opt)
	if err != nil {
		os.RemoveAll(staging)
		return Snapshot{}, "", fmt.Errorf("backup: safety snapshot of the current data: %w", err)
	}
	if err := atomicfile.Write(filepath.Join(dataDir, journalFile), []byte(name+"\n"+phaseAside+"\n"), 0o600); err != nil {
		os.RemoveAll(staging)
		return Snapshot{}, "", fmt.Errorf("backup: %w", err)
	}
	if err := FinishRestore(dataDir); err != nil {
		return Snapshot{}, "", err
	}
	return restored, safe.Name, nil
}

// Phases of the swap, as written in the journal's second line.
const (
	phaseAside = "aside" // moving the current entries into .restore-old
	phaseIn    = "in"    // moving the staged entries into DATA
)

// FinishRestore completes a restore that was interrupted during its swap
// (its journal is present), and does nothing otherwise. It is safe to
// call at any start, and to call again after a crash inside it.
func FinishRestore(dataDir string) error { return finishRestore(dataDir, true) }

// finishRestore is FinishRestore; tidy also removes the leftovers of a
// restore that failed before its swap (not wanted while a restore is
// making its safety snapshot, with its staging folder full).
func finishRestore(dataDir string, tidy bool) error {
	sw := restoreSwap{
		dataDir: dataDir, journal: filepath.Join(dataDir, journalFile),
		staging: filepath.Join(dataDir, stagingDir), old: filepath.Join(dataDir, oldDir),
	}
	raw, err := os.ReadFile(sw.journal)
	if errors.Is(err, fs.ErrNotExist) {
		// No swap in progress: leftovers of a restore that failed before
		// its swap, or finished it, are only clutter.
		if tidy {
			os.RemoveAll(sw.staging)
			os.RemoveAll(sw.old)
		}
		return nil
	}
	if err == nil {
		err = sw.finish(strings.TrimSpace(string(raw)))
	}
	if err != nil {
		return fmt.Errorf("backup: finish restore: %w", err)
	}
	return nil
}

// restoreSwap is the swap of DATA's top-level entries for the staged
// ones of a restore, driven by its journal: "out" moves the live entries
// aside into .restore-old, "in" moves the staged ones into place.
type restoreSwap struct {
	dataDir, journal, staging, old string
}

// finish completes the swap from the phase in the journal, whatever of
// it was done before a crash, then drops the journal and the leftovers.
func (sw restoreSwap) finish(journal string) error {
	name, phase, _ := strings.Cut(journal, "\n")
	if err := os.MkdirAll(sw.old, 0o700); err != nil {
		return err
	}
	if phase != phaseIn {
		if err := sw.moveOut(); err != nil {
			return err
		}
		if err := atomicfile.Write(sw.journal, []byte(name+"\n"+phaseIn+"\n"), 0o600); err != nil {
			return err
		}
	}
	if err := sw.moveIn(); err != nil {
		return err
	}
	if err := os.Remove(sw.journal); err != nil {
		return err
	}
	_ = atomicfile.SyncDir(sw.dataDir) // best effort: the renames are done either way
	os.RemoveAll(sw.staging)
	os.RemoveAll(sw.old)
	return nil
}

// moveAside moves DATA/n into .restore-old, replacing a leftover.
func (sw restoreSwap) moveAside(n string) error {
	if err := os.RemoveAll(filepath.Join(sw.old, n)); err != nil {
		return err
	}
	return os.Rename(filepath.Join(sw.dataDir, n), filepath.Join(sw.old, n))
}

// moveOut moves every live entry aside but what snapshots skip; the
// cache goes too: it describes the files being replaced.
func (sw restoreSwap) moveOut() error {
	live, err := os.ReadDir(sw.dataDir)
	if err != nil {
		return err
	}
	for _, de := range live {
		if skipped(de.Name()) && de.Name() != cacheDir {
			continue
		}
		if err := sw.moveAside(de.Name()); err != nil {
			return err
		}
	}
	_ = atomicfile.SyncDir(sw.dataDir) // best effort: the renames are done either way
	return nil
}

// moveIn moves the staged entries into DATA. One written after the swap
// began (nothing should run during a restore, but a start script might)
// is moved aside: the snapshot wins.
func (sw restoreSwap) moveIn() error {
	staged, err := os.ReadDir(sw.staging)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, de := range staged {
		n := de.Name()
		if exists(filepath.Join(sw.dataDir, n)) {
			if err := sw.moveAside(n); err != nil {
				return err
			}
		}
		if err := os.Rename(filepath.Join(sw.staging, n), filepath.Join(sw.dataDir, n)); err != nil {
			return err
		}
	}
	_ = atomicfile.SyncDir(sw.dataDir) // best effort: the renames are done either way
	return nil
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}
