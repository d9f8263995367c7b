// Package atomicfile writes files so that a reader, or the next start
// after a crash, sees either the old content or the whole new one, never
// a part. Every file Recap keeps under its data folder is written this way.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write writes data to path: a temporary file beside it, fsynced, renamed
// over path, and the folder fsynced so the rename itself survives a power
// loss. The folder must exist. perm applies to the new file.
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
	SyncDir(dir)
	return nil
}

// SyncDir fsyncs a folder so that renames and removals in it are durable.
// Errors are ignored: not every file system can sync a folder.
func SyncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
