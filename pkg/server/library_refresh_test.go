package server

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/recap-startos/recap/pkg/library"
)

// TestLibraryChangedByAnotherProcess: recaps the command line deletes or
// adds in the data folder while the server runs are gone from, or shown
// on, Home and the Library at once.
func TestLibraryChangedByAnotherProcess(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.login(t)
	res := e.submitFile(t, tok)
	e.waitJob(t, res.JobID)
	doc, err := e.lib.Get(res.RecapID)
	if err != nil {
		t.Fatal(err)
	}
	cli, err := library.Open(filepath.Join(e.dir, "history"), filepath.Join(e.dir, "cache", "library-index"))
	if err != nil {
		t.Fatal(err)
	}
	shows := func(id string) (home, lib bool) {
		t.Helper()
		for _, path := range []string{"/", "/library"} {
			w := e.do(t, request{method: "GET", path: path, cookie: tok})
			if w.Code != http.StatusOK {
				t.Fatalf("GET %s: %d", path, w.Code)
			}
			has := strings.Contains(w.Body.String(), "/recaps/"+id)
			if path == "/" {
				home = has
			} else {
				lib = has
			}
		}
		return home, lib
	}
	if home, lib := shows(doc.ID); !home || !lib {
		t.Fatalf("the new recap is not listed: home %v, library %v", home, lib)
	}

	if err := cli.Delete(doc.ID); err != nil {
		t.Fatal(err)
	}
	if home, lib := shows(doc.ID); home || lib {
		t.Fatalf("a recap deleted by another process is still listed: home %v, library %v", home, lib)
	}

	doc.ID = library.NewID(doc.CreatedAt)
	if err := cli.Save(doc); err != nil {
		t.Fatal(err)
	}
	if home, lib := shows(doc.ID); !home || !lib {
		t.Fatalf("a recap added by another process is missing: home %v, library %v", home, lib)
	}
}
