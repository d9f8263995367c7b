package follow

// Moving follows on a switch of mode. Single mode keeps the owner's
// follows in a file, multi mode in the database under the admin's
// account; a switch carries them across with their items (what each feed
// showed and how it was recapped), so nothing already seen is recapped
// again and nothing new is missed:
//
//   - single → multi: MoveToAccount, after the owner's recaps moved to
//     the admin's folder (the switch-mode action), and at every start of
//     multi mode (a switch made on the Config page, or one interrupted
//     before it got there).
//   - multi → single: MoveToOwner, by the switch-mode action before the
//     mode changes (single mode never opens the database).
//
// Each copies first and removes from the other side after, and both are
// idempotent: a follow already there (same id) is not copied again, one
// of the same source under another id takes the items it has not seen,
// and items are keyed by (follow, key). A crash in between is finished
// by running the move again.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"

	"github.com/recap-startos/recap/pkg/store"
)

// MoveToAccount moves the follows of the single-mode file at path into
// the database as accountID's and empties the file. It returns how many
// follows moved.
func MoveToAccount(ctx context.Context, path string, db *store.Store, accountID string) (int, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	fs, err := OpenFileStore(path)
	if err != nil {
		return 0, err
	}
	follows, items, err := readAll(ctx, fs, fs.All)
	if err != nil || len(follows) == 0 {
		return 0, err
	}
	if err := (&SQLStore{DB: db}).importFollows(ctx, accountID, follows, items); err != nil {
		return 0, err
	}
	for _, f := range follows {
		if err := fs.Remove(ctx, f.Owner, f.ID); err != nil && !errors.Is(err, ErrNotFound) {
			return 0, err
		}
	}
	return len(follows), nil
}

// MoveToOwner moves accountID's follows from the database into the
// single-mode file at path as the owner's, then deletes them from the
// database. It returns how many follows moved.
func MoveToOwner(ctx context.Context, db *store.Store, accountID, path string) (int, error) {
	sq := &SQLStore{DB: db}
	if ok, err := sq.hasTables(ctx); err != nil || !ok {
		return 0, err // a database from before follows has none
	}
	follows, items, err := readAll(ctx, sq, func(ctx context.Context) ([]Follow, error) { return sq.List(ctx, accountID) })
	if err != nil || len(follows) == 0 {
		return 0, err
	}
	fs, err := OpenFileStore(path)
	if err != nil {
		return 0, err
	}
	if err := fs.importFollows("", follows, items); err != nil {
		return 0, err
	}
	err = db.Update(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM follows WHERE user_id = ?`, accountID)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("follow: remove the moved follows: %w", err)
	}
	return len(follows), nil
}

// readAll reads follows and the items of each.
func readAll(ctx context.Context, st Store, list func(context.Context) ([]Follow, error)) ([]Follow, map[string][]Item, error) {
	follows, err := list(ctx)
	if err != nil {
		return nil, nil, err
	}
	items := make(map[string][]Item, len(follows))
	for _, f := range follows {
		if items[f.ID], err = st.Items(ctx, f.ID); err != nil {
			return nil, nil, err
		}
	}
	return follows, items, nil
}

// hasTables reports whether the database has the follows tables.
func (s *SQLStore) hasTables(ctx context.Context) (bool, error) {
	var n int
	err := s.DB.View(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'follows'`).Scan(&n)
	})
	if err != nil {
		return false, fmt.Errorf("follow: %w", err)
	}
	return n == 1, nil
}

// importFollows writes follows and their items as owner's, in one
// transaction (see the top of this file for what is skipped).
func (s *SQLStore) importFollows(ctx context.Context, owner string, follows []Follow, items map[string][]Item) error {
	err := s.DB.Update(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, f := range follows {
			target, err := importFollow(ctx, tx, owner, f)
			if err != nil {
				return err
			}
			for _, it := range items[f.ID] {
				if _, err := tx.ExecContext(ctx, `INSERT INTO follow_items (`+itemColumns+`)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (follow_id, key) DO NOTHING`,
					target, it.Key, owner, it.Title, it.URL, it.Episode, nullMS(it.Published), it.State, it.Attempts,
					it.JobID, it.RecapID, it.Error, it.FirstSeen.UnixMilli(), nullMS(it.Started), nullMS(it.RetryAt), it.UpdatedAt.UnixMilli()); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("follow: move follows into the database: %w", err)
	}
	return nil
}

// importFollow inserts one follow for owner unless it is there already,
// and returns the id its items go to.
func importFollow(ctx context.Context, tx *sql.Tx, owner string, f Follow) (string, error) {
	var id string
	err := tx.QueryRowContext(ctx, `SELECT id FROM follows WHERE id = ? OR (user_id = ? AND kind = ? AND ref = ?)
		ORDER BY id = ? DESC LIMIT 1`, f.ID, owner, f.Kind, f.Ref, f.ID).Scan(&id)
	switch {
	case err == nil:
		if id != f.ID {
			_, err = tx.ExecContext(ctx, `UPDATE follows SET unread = max(unread, ?) WHERE id = ?`, f.Unread, id)
		}
		return id, err
	case !errors.Is(err, sql.ErrNoRows):
		return "", err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO follows (`+followColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		f.ID, owner, f.Kind, f.Ref, f.Link, f.Title, f.Backfill, f.CreatedAt.UnixMilli(), f.Paused, nullMS(f.LastCheck), nullMS(f.LastOK),
		f.NextCheck.UnixMilli(), f.LastError, f.Failures, f.Broken, f.ETag, f.Modified, f.Unread, f.Notice)
	return f.ID, err
}

// importFollows adds follows and their items as owner's (see the top of
// move.go for what is skipped).
func (s *FileStore) importFollows(owner string, follows []Follow, items map[string][]Item) error {
	return s.change(func() error {
		for _, f := range follows {
			target := f.ID
			if _, ok := s.follows[f.ID]; !ok {
				for _, o := range s.follows {
					if o.Owner == owner && o.Kind == f.Kind && o.Ref == f.Ref {
						target = o.ID
						o.Unread = max(o.Unread, f.Unread)
					}
				}
			}
			if _, ok := s.follows[target]; !ok {
				nf := f
				nf.Owner = owner
				s.follows[target] = &nf
				s.items[target] = map[string]*Item{}
			}
			for _, it := range items[f.ID] {
				if _, ok := s.items[target][it.Key]; ok {
					continue
				}
				ni := it
				ni.FollowID, ni.Owner = target, owner
				s.items[target][it.Key] = &ni
			}
		}
		return nil
	})
}
