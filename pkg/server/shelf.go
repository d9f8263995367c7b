package server

import (
	"context"

	"github.com/recap-startos/recap/pkg/library"
	"github.com/recap-startos/recap/pkg/recap"
	"github.com/recap-startos/recap/pkg/store"
)

// shelf is the caller's library: every call names the user, and a recap
// of anyone else is library.ErrNotFound. Single mode's folder ignores the
// user (there is one); multi mode's store scopes every query by it.
type shelf interface {
	Find(ctx context.Context, userID string, q library.Query) (library.Page, error)
	Get(ctx context.Context, userID, id string) (*recap.Document, error)
	Entry(ctx context.Context, userID, id string) (*library.Entry, error)
	Delete(ctx context.Context, userID, id string) error
	Export(ctx context.Context, userID, id, format string) (*library.Export, error)
	Count(ctx context.Context, userID string) (int, error)
}

var (
	_ shelf = folderShelf{}
	_ shelf = (*store.UserLibrary)(nil)
)

// folderShelf is single mode's library, DATA/history, which belongs to
// the owner alone.
type folderShelf struct{ lib *library.Library }

func (f folderShelf) Find(_ context.Context, _ string, q library.Query) (library.Page, error) {
	return f.lib.Find(q), nil
}

func (f folderShelf) Get(_ context.Context, _, id string) (*recap.Document, error) {
	return f.lib.Get(id)
}

func (f folderShelf) Entry(_ context.Context, _, id string) (*library.Entry, error) {
	if !recap.ValidID(id) {
		return nil, library.ErrInvalidID
	}
	e, ok := f.lib.Entry(id)
	if !ok {
		return nil, library.ErrNotFound
	}
	return e, nil
}

func (f folderShelf) Delete(_ context.Context, _, id string) error { return f.lib.Delete(id) }

func (f folderShelf) Export(_ context.Context, _, id, format string) (*library.Export, error) {
	return f.lib.Export(id, format)
}

func (f folderShelf) Count(context.Context, string) (int, error) { return f.lib.Len(), nil }
