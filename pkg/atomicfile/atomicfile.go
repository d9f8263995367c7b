// Package atomicfile writes files so that a reader, or the next start
// after a crash, sees either the old content or the whole new one, never
// a part. Every file Recap keeps under its data folder is written this way.
package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Write writes data to path: a temporary file beside it, fsynced, renamed
// over path, and the folder fsynced so the rename itself survives a power
// loss. The folder must exist. perm applies to the new file. An error
// syncing the folder is returned too: the file is in place, but may not
// survive a power loss.
func Write(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if _, err := f.Write(data); err != nil {
		return fail(err)
	}
	if err := f.Chmod(perm); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return SyncDir(dir)
}

// SyncDir fsyncs a folder so that renames and removals in it are
// durable. A file system that cannot sync folders (EINVAL, ENOTSUP) is
// not an error; any other failure is.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
		return err
	}
	return nil
}

// StaleAfter is the age after which CleanOlder takes a temporary file for
// one a killed process left: a write takes milliseconds, so a younger one
// may be another process's write in progress (the command line and the
// server write in the same folders).
const StaleAfter = time.Minute

// CleanOlder is Clean for a folder other processes may be writing to: it
// removes only temporary files last modified more than age ago.
func CleanOlder(dir string, age time.Duration) int {
	return clean(dir, time.Now().Add(-age))
}

// Clean removes the temporary files Write leaves behind when the process
// is killed mid-write (".NAME.tmp-*" in dir). Call it at start, before
// anything writes to dir. It returns how many it removed.
func Clean(dir string) int {
	return clean(dir, time.Time{})
}

// clean removes the temporary files in dir last modified before cutoff
// (all of them for the zero time).
func clean(dir string, cutoff time.Time) int {
	des, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	n := 0
	for _, de := range des {
		name := de.Name()
		if de.IsDir() || !strings.HasPrefix(name, ".") || !strings.Contains(name, ".tmp-") {
			continue
		}
		if !cutoff.IsZero() {
			if info, err := de.Info(); err != nil || info.ModTime().After(cutoff) {
				continue
			}
		}
		if os.Remove(filepath.Join(dir, name)) == nil {
			n++
		}
	}
	return n
}
