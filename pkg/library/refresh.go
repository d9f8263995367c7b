package library

import (
	"os"
	"path/filepath"
	"time"
)

// Another process may change the folder while a library is open: the
// command line saves and deletes recaps in the folder a running server
// serves. The library checks on read rather than watching: before
// listing or searching it compares the folder's modification time (one
// stat) with the one it last indexed, and only when it differs reads the
// folder again, re-reading just the files whose size or time changed and
// dropping the ones that are gone. Every writer replaces whole files by
// renaming (atomicfile), which always changes the folder's time. Checking
// on read needs no goroutine, no inotify watch (a limited resource, and
// absent on some network file systems) and cannot miss events while a
// watcher is restarting; a page view after a change costs one folder
// read. A file edited in place without a rename is noticed at the next
// change of the folder or the next start.

// racyWindow is how recent a modification time may be before it is not
// trusted: a file system keeps times in coarse ticks, so a second change
// right after a read can leave the same time. A folder changed this
// recently is read again at every check, and a file changed this recently
// is read again at every rescan, until their times are older.
const racyWindow = 2 * time.Second

// refresh brings the index up to date with the folder when the folder has
// changed since it was last indexed.
func (l *Library) refresh() {
	info, err := os.Stat(l.dir)
	if err != nil {
		return
	}
	mod := info.ModTime()
	l.mu.RLock()
	seen := l.seenMod
	l.mu.RUnlock()
	if !seen.IsZero() && seen.Equal(mod) {
		return
	}
	l.scanMu.Lock()
	defer l.scanMu.Unlock()
	l.rescan()
	if time.Since(mod) > racyWindow {
		l.mu.Lock()
		l.seenMod = mod
		l.mu.Unlock()
	}
	l.flushCache()
}

// rescan reads the folder and updates the index: new and changed files
// are read (and files changed in the last racyWindow, which may have
// changed again unseen), entries whose file is gone are dropped.
// Unreadable files are skipped. Files are read without holding the index
// lock.
func (l *Library) rescan() {
	dirents, err := os.ReadDir(l.dir)
	if err != nil {
		return
	}
	l.mu.RLock()
	known := make(map[string][2]int64, len(l.idx.byID))
	for id, e := range l.idx.byID {
		known[id] = [2]int64{e.Size, e.ModTime}
	}
	l.mu.RUnlock()

	var changed []*Entry
	present := make(map[string]bool, len(dirents))
	for _, de := range dirents {
		id, ok, _ := RecapFile(de)
		if !ok {
			continue
		}
		info, err := de.Info()
		if err != nil {
			continue // removed while reading
		}
		present[id] = true
		// A file replaced within the same time tick may keep its size and
		// time, so a recent one is read again whatever they say.
		recent := time.Since(info.ModTime()) < racyWindow
		if k, ok := known[id]; ok && !recent && k == [2]int64{info.Size(), info.ModTime().UnixNano()} {
			continue
		}
		doc, err := readDoc(filepath.Join(l.dir, de.Name()))
		if err != nil || doc.ID != id {
			continue
		}
		changed = append(changed, entryOf(doc, info))
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	for id := range known {
		if !present[id] {
			l.idx.remove(id)
			l.dirty = true
		}
	}
	for _, e := range changed {
		l.idx.put(e)
		l.dirty = true
	}
}
