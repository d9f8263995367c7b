package library

import (
	"bufio"
	"bytes"
	"encoding/gob"
	"fmt"
	"os"
	"path/filepath"
)

// cacheVersion changes whenever Entry or the weighting changes, so an old
// cache is ignored and the files are read again.
const cacheVersion = 1

type cacheFile struct {
	Version int
	Entries []*Entry
}

// loadCache reads the persisted index. Any error means "no cache".
func loadCache(path string) ([]*Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var c cacheFile
	if err := gob.NewDecoder(bufio.NewReader(f)).Decode(&c); err != nil {
		return nil, fmt.Errorf("library: read index cache: %w", err)
	}
	if c.Version != cacheVersion {
		return nil, fmt.Errorf("library: index cache version %d, want %d", c.Version, cacheVersion)
	}
	return c.Entries, nil
}

// saveCache writes the index atomically; the cache is only ever a copy of
// what the recap files say.
func saveCache(path string, entries []*Entry) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(cacheFile{Version: cacheVersion, Entries: entries}); err != nil {
		return err
	}
	return WriteFileAtomic(path, buf.Bytes(), 0o600)
}
