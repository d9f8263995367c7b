package server

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/recap-startos/recap/pkg/library"
	"github.com/recap-startos/recap/pkg/recap"
)

// shelfSource is the caller's library as an archive source.
type shelfSource struct {
	lib shelf
	uid string
}

func (s shelfSource) Find(ctx context.Context, q library.Query) (library.Page, error) {
	return s.lib.Find(ctx, s.uid, q)
}

func (s shelfSource) Get(ctx context.Context, id string) (*recap.Document, error) {
	return s.lib.Get(ctx, s.uid, id)
}

// handleExportLibrary streams the caller's whole library as a zip
// archive (library.WriteArchive): Markdown and JSON per recap and an
// index. Nothing is held in memory; a client that goes away stops it.
func (s *Server) handleExportLibrary(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	now := time.Now()
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="recap-library-%s.zip"`, now.UTC().Format("2006-01-02")))
	w.Header().Set("Cache-Control", "no-store")
	idx, err := library.WriteArchive(r.Context(), w, shelfSource{lib: s.lib, uid: callerOf(r).ID}, now)
	if err != nil {
		// The headers are gone; all that can be done is to stop and say so
		// in the log (the truncated zip does not open).
		s.log.Warn("library export stopped", "error", err)
		return nil
	}
	s.log.Info("library exported", "recaps", len(idx.Recaps), "problems", len(idx.Problems))
	return nil
}
