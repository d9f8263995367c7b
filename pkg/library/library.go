// Package library stores recap documents as JSON files in one folder and
// keeps an in-memory index over them for listing and ranked search. In
// single mode the folder is DATA/history; multi mode opens one library per
// user folder. Writes are atomic (temporary file, fsync, rename), ids are
// checked so no path can leave the folder, and a corrupt or foreign file
// is reported and skipped, never fatal.
package library

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/recap-startos/recap/pkg/atomicfile"
	"github.com/recap-startos/recap/pkg/recap"
)

// Errors returned by the library.
var (
	// ErrNotFound means no recap has that id in this library.
	ErrNotFound = errors.New("library: recap not found")
	// ErrInvalidID means the id has characters a recap id cannot have.
	ErrInvalidID = errors.New("library: invalid recap id")
	// ErrCorrupt means the recap file exists but cannot be read as a
	// recap document.
	ErrCorrupt = errors.New("library: recap file is unreadable")
)

// Problem is a file the library skipped and why.
type Problem struct {
	File string // base name inside the library folder
	Err  error
}

// Library is a folder of recap documents with an index over them.
// It is safe for concurrent use.
type Library struct {
	dir       string
	cacheFile string // "" disables the persisted index

	mu       sync.RWMutex
	idx      *index
	problems []Problem
	dirty    bool      // index changed since the cache file was written
	seenMod  time.Time // the folder's modification time the index matches (see refresh)

	scanMu sync.Mutex // one rescan at a time
}

// Open opens (creating if needed) the library in dir. When cacheFile is
// not empty the index is loaded from it and kept there, so opening a large
// library does not re-read every recap; files changed since (by size or
// modification time) are re-read. Unreadable files are listed by Problems.
func Open(dir, cacheFile string) (*Library, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("library: create %s: %w", dir, err)
	}
	// Temporary files of writes a kill -9 interrupted are never finished;
	// young ones may be another process's write in progress.
	atomicfile.CleanOlder(dir, atomicfile.StaleAfter)
	l := &Library{dir: dir, cacheFile: cacheFile, idx: newIndex()}
	if info, err := os.Stat(dir); err == nil && time.Since(info.ModTime()) > racyWindow {
		l.seenMod = info.ModTime() // the scan below reads the folder as it is now, or later
	}
	var cache *cacheData
	if cacheFile != "" {
		atomicfile.CleanOlder(filepath.Dir(cacheFile), atomicfile.StaleAfter)
		cache, _ = loadCache(cacheFile) // a missing or stale cache means reading the files
	}
	if err := l.scan(cache); err != nil {
		return nil, err
	}
	if l.dirty {
		l.flushCache()
	}
	return l, nil
}

// Dir returns the folder the library keeps its files in.
func (l *Library) Dir() string { return l.dir }

// Problems lists the files skipped when the library was opened.
func (l *Library) Problems() []Problem {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return append([]Problem(nil), l.problems...)
}

// Len returns the number of recaps in the library.
func (l *Library) Len() int {
	l.refresh()
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.idx.len()
}

// scan indexes the folder: entries from the cache whose file has not
// changed (same size and modification time) in bulk, the other files by
// reading them.
func (l *Library) scan(cache *cacheData) error {
	dirents, err := os.ReadDir(l.dir)
	if err != nil {
		return fmt.Errorf("library: read %s: %w", l.dir, err)
	}
	cached := map[string]*Entry{}
	var vocab []string
	if cache != nil {
		vocab = cache.Vocab
		for _, ce := range cache.Entries {
			cached[ce.Entry.ID] = ce.Entry
		}
	}
	fresh, toRead := l.sortOut(dirents, cached)
	l.idx.bulk(vocab, fresh)
	if len(fresh) != len(cached) {
		l.dirty = true
	}
	for _, de := range toRead {
		l.readEntry(de)
	}
	return nil
}

// sortOut splits the recap files of the folder into those whose cached
// entry is fresh and those to read.
func (l *Library) sortOut(dirents []fs.DirEntry, cached map[string]*Entry) (fresh []*Entry, toRead []fs.DirEntry) {
	for _, de := range dirents {
		id, ok, err := RecapFile(de)
		if err != nil {
			l.problems = append(l.problems, Problem{File: de.Name(), Err: err})
		}
		if !ok {
			continue
		}
		info, err := de.Info()
		if err != nil {
			continue // removed while scanning
		}
		if e, ok := cached[id]; ok && e.Size == info.Size() && e.ModTime == info.ModTime().UnixNano() {
			fresh = append(fresh, e)
			continue
		}
		toRead = append(toRead, de)
	}
	return fresh, toRead
}

// readEntry reads one recap file and indexes it; a file that cannot be read,
// or whose id is not its name, is a problem.
func (l *Library) readEntry(de fs.DirEntry) {
	name := de.Name()
	info, err := de.Info()
	if err != nil {
		return
	}
	doc, err := readDoc(filepath.Join(l.dir, name))
	if err != nil {
		l.problems = append(l.problems, Problem{File: name, Err: err})
		return
	}
	if id := strings.TrimSuffix(name, ".json"); doc.ID != id {
		l.problems = append(l.problems, Problem{File: name, Err: fmt.Errorf("%w: id %q does not match the file name", ErrCorrupt, doc.ID)})
		return
	}
	l.idx.put(entryOf(doc, info))
	l.dirty = true
}

func readDoc(path string) (*recap.Document, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("library: read %s: %w", filepath.Base(path), err)
	}
	var doc recap.Document
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if doc.Version != recap.Version {
		return nil, fmt.Errorf("%w: not a version %d recap document", ErrCorrupt, recap.Version)
	}
	return &doc, nil
}

func (l *Library) path(id string) (string, error) {
	if !recap.ValidID(id) {
		return "", ErrInvalidID
	}
	return filepath.Join(l.dir, id+".json"), nil
}

// Get reads the recap with the given id.
func (l *Library) Get(id string) (*recap.Document, error) {
	p, err := l.path(id)
	if err != nil {
		return nil, err
	}
	return readDoc(p)
}

// Entry returns the index entry of a recap without reading its file.
func (l *Library) Entry(id string) (*Entry, bool) {
	l.refresh()
	l.mu.RLock()
	defer l.mu.RUnlock()
	e, ok := l.idx.byID[id]
	return e, ok
}

// Save validates doc and writes it atomically: a temporary file in the
// same folder, fsynced, renamed over the final name, and the folder
// fsynced. A document that fails validation is not written at all.
func (l *Library) Save(doc *recap.Document) error {
	if err := doc.Validate(); err != nil {
		return fmt.Errorf("library: save: %w", err)
	}
	p, err := l.path(doc.ID)
	if err != nil {
		return err
	}
	_, statErr := os.Stat(p)
	info, err := WriteDocument(p, doc)
	if err != nil {
		// The write may have got as far as the rename (a folder that
		// cannot be synced): a failed save leaves no new recap behind.
		if errors.Is(statErr, fs.ErrNotExist) {
			os.Remove(p)
		}
		return fmt.Errorf("library: save %s: %w", doc.ID, err)
	}
	l.mu.Lock()
	l.idx.put(entryOf(doc, info))
	l.dirty = true
	l.mu.Unlock()
	l.flushCache()
	return nil
}

// Delete removes a recap. Deleting a recap that does not exist returns
// ErrNotFound.
func (l *Library) Delete(id string) error {
	p, err := l.path(id)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return ErrNotFound
		}
		return fmt.Errorf("library: delete %s: %w", id, err)
	}
	atomicfile.SyncDir(l.dir)
	l.mu.Lock()
	l.idx.remove(id)
	l.dirty = true
	l.mu.Unlock()
	l.flushCache()
	return nil
}

// flushCache writes the index to the cache file when it changed. A cache
// that cannot be written is not an error: the next Open re-reads files.
func (l *Library) flushCache() {
	if l.cacheFile == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.dirty {
		return
	}
	if err := saveCache(l.cacheFile, l.idx); err == nil {
		l.dirty = false
	}
}

// NewID returns a new recap id: the UTC creation time (so ids sort by
// age) and 8 random base-32 characters, e.g. "20261126-143005-k3j9x2ab".
func NewID(now time.Time) string {
	const alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
	var b [8]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return now.UTC().Format("20060102-150405") + "-" + string(b[:])
}

// newer is the default order: newest first, ties by id.
func newer(a, b *Entry) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.After(b.CreatedAt)
	}
	return a.ID > b.ID
}

// lessFunc returns the order of a sort.
func lessFunc(by Sort) func(a, b *Entry) bool {
	switch by {
	case SortOldest:
		return func(a, b *Entry) bool { return newer(b, a) }
	case SortTitle:
		return func(a, b *Entry) bool {
			ta, tb := strings.ToLower(a.Title), strings.ToLower(b.Title)
			if ta != tb {
				return ta < tb
			}
			return newer(a, b)
		}
	case SortLongest:
		return func(a, b *Entry) bool {
			if a.Duration != b.Duration {
				return a.Duration > b.Duration
			}
			return newer(a, b)
		}
	}
	return newer
}

// sortEntries orders entries in place by the given sort.
func sortEntries(es []*Entry, by Sort) {
	less := lessFunc(by)
	sort.SliceStable(es, func(i, j int) bool { return less(es[i], es[j]) })
}
