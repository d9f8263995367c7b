package store

import (
	"context"
	"database/sql"
	"time"
)

// Update runs fn as one atomic write through the store's single writer,
// like every write of the store itself: fn's statements and the rows it
// reads see no other write between them. It is for packages that own
// tables of their own in this database (pkg/credits); fn must not keep tx
// after it returns and must not call back into the store.
func (s *Store) Update(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return s.write(ctx, fn)
}

// View runs fn inside one read-only transaction on a reader connection.
func (s *Store) View(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.read(ctx, fn)
}

// Now is the store's clock (time.Now unless Options.Now replaced it).
func (s *Store) Now() time.Time { return s.now() }
