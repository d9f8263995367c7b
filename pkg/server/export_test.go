package server

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/recap-startos/recap/pkg/library"
)

// unzipIndex reads index.json of an export and checks every file it names.
func unzipIndex(t *testing.T, body []byte) library.ArchiveIndex {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	var idx library.ArchiveIndex
	if err := json.Unmarshal(files["index.json"], &idx); err != nil {
		t.Fatalf("index.json: %v", err)
	}
	for _, e := range idx.Recaps {
		if len(files[e.Markdown]) == 0 || len(files[e.JSON]) == 0 {
			t.Errorf("%s: files missing", e.ID)
		}
		var doc struct{ ID string }
		if json.Unmarshal(files[e.JSON], &doc) != nil || doc.ID != e.ID {
			t.Errorf("%s: JSON is not the recap", e.JSON)
		}
	}
	return idx
}

func TestExportMyLibraryMulti(t *testing.T) {
	t.Parallel()
	e := newMultiEnv(t, true)
	ann := e.signIn(t, "ann@example.org", 1)
	bob := e.signIn(t, "bob@example.org", 2)
	_, a1 := e.addRecap(t, ann)
	_, a2 := e.addRecap(t, ann)
	_, b1 := e.addRecap(t, bob)

	w := e.do(t, mreq{method: "GET", path: "/library/export", cookie: ann})
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/zip" ||
		!strings.HasPrefix(w.Header().Get("Content-Disposition"), `attachment; filename="recap-library-`) {
		t.Fatalf("export: %d %v", w.Code, w.Header())
	}
	idx := unzipIndex(t, w.Body.Bytes())
	ids := map[string]bool{}
	for _, r := range idx.Recaps {
		ids[r.ID] = true
	}
	if len(ids) != 2 || !ids[a1] || !ids[a2] || ids[b1] {
		t.Errorf("ann's export holds %v; want %s and %s only", ids, a1, a2)
	}
	if w := e.do(t, mreq{method: "GET", path: "/library/export"}); w.Code == http.StatusOK {
		t.Errorf("export without signing in: %d", w.Code)
	}
}

func TestExportMyLibrarySingle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cookie := e.login(t)
	sub := e.submitFile(t, cookie)
	e.waitJob(t, sub.JobID)
	id := sub.RecapID
	w := e.do(t, request{method: "GET", path: "/library/export", cookie: cookie})
	if w.Code != http.StatusOK {
		t.Fatalf("export: %d", w.Code)
	}
	idx := unzipIndex(t, w.Body.Bytes())
	if len(idx.Recaps) != 1 || idx.Recaps[0].ID != id {
		t.Errorf("owner's export: %+v", idx.Recaps)
	}
}
