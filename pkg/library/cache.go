package library

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/recap-startos/recap/pkg/atomicfile"
)

// cacheVersion changes whenever Entry, the weighting or this format
// changes, so an old cache is ignored and the files are read again.
const cacheVersion = 3

// cacheData is the persisted index: the vocabulary once, and per entry
// its listing fields and its terms as delta-coded varint ids into the
// vocabulary, so loading it decodes a few byte slices per entry rather
// than one string per term.
type cacheData struct {
	Version int
	Vocab   []string
	Entries []cachedEntry
}

type cachedEntry struct {
	Entry   *Entry // listing fields only; terms travel below
	Terms   []byte // ascending term ids, each a uvarint of the gap to the previous
	Weights []byte
}

// loadCache reads the persisted index. Any error means "no cache". The
// entries carry their terms still packed; index.bulk unpacks them.
func loadCache(path string) (*cacheData, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var c cacheData
	if err := gob.NewDecoder(bufio.NewReader(f)).Decode(&c); err != nil {
		return nil, fmt.Errorf("library: read index cache: %w", err)
	}
	if c.Version != cacheVersion {
		return nil, fmt.Errorf("library: index cache version %d, want %d", c.Version, cacheVersion)
	}
	for i := range c.Entries {
		ce := &c.Entries[i]
		if ce.Entry == nil {
			return nil, errors.New("library: index cache: empty entry")
		}
		n, prev := 0, uint64(0)
		for b := ce.Terms; len(b) > 0; n++ {
			gap, k := binary.Uvarint(b)
			if k <= 0 || prev+gap >= uint64(len(c.Vocab)) {
				return nil, errors.New("library: index cache: bad term id")
			}
			prev += gap
			b = b[k:]
		}
		if n != len(ce.Weights) {
			return nil, errors.New("library: index cache: terms and weights differ")
		}
		ce.Entry.packed, ce.Entry.weights = ce.Terms, ce.Weights
	}
	return &c, nil
}

// saveCache writes the index atomically; the cache is only ever a copy of
// what the recap files say.
func saveCache(path string, x *index) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	terms, weights := x.entryTerms()
	c := cacheData{Version: cacheVersion, Vocab: x.vocab}
	for _, e := range x.sorted() {
		var buf []byte
		prev := uint32(0)
		for _, t := range terms[e.slot] { // ascending: postings are walked in term order
			buf = binary.AppendUvarint(buf, uint64(t-prev))
			prev = t
		}
		c.Entries = append(c.Entries, cachedEntry{Entry: e, Terms: buf, Weights: weights[e.slot]})
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(c); err != nil {
		return err
	}
	return atomicfile.Write(path, buf.Bytes(), 0o600)
}
