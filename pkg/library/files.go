package library

import (
	"encoding/json"
	"io/fs"
	"os"
	"strings"

	"github.com/recap-startos/recap/pkg/atomicfile"
	"github.com/recap-startos/recap/pkg/recap"
)

// WriteDocument encodes doc as the JSON of a recap file and writes it to
// path atomically, returning the written file's information (its size
// and time are what indexes compare to notice changes).
func WriteDocument(path string, doc *recap.Document) (fs.FileInfo, error) {
	data, err := json.MarshalIndent(doc, "", " ")
	if err != nil {
		return nil, err
	}
	if err := atomicfile.Write(path, append(data, '\n'), 0o600); err != nil {
		return nil, err
	}
	return os.Stat(path)
}

// RecapFile tells what a directory entry of a library folder is: ok is
// false for anything that is not a recap file (folders, other extensions,
// temporary files of atomic writes); err is ErrInvalidID for a .json file
// whose name cannot be a recap id.
func RecapFile(de fs.DirEntry) (id string, ok bool, err error) {
	name := de.Name()
	if de.IsDir() || !strings.HasSuffix(name, ".json") || strings.HasPrefix(name, ".") {
		return "", false, nil
	}
	id = strings.TrimSuffix(name, ".json")
	if !recap.ValidID(id) {
		return "", false, ErrInvalidID
	}
	return id, true, nil
}
