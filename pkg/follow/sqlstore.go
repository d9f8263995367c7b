package follow

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/recap-startos/recap/pkg/store"
)

// SQLStore keeps follows in the multi-mode database (the follows and
// follow_items tables of store's migrations), through the store's one
// writer.
type SQLStore struct {
	DB *store.Store
}

var _ Store = (*SQLStore)(nil)

const followColumns = `id, user_id, kind, ref, link, title, backfill, created_at, paused, last_check, last_ok,
	next_check, last_error, failures, broken, etag, modified, unread, notice`

const itemColumns = `follow_id, key, user_id, title, url, episode, published, state, attempts, job_id, recap_id,
	error, first_seen, started, retry_at, updated_at`

func scanFollow(row interface{ Scan(...any) error }) (Follow, error) {
	var f Follow
	var created, next int64
	var lastCheck, lastOK sql.NullInt64
	err := row.Scan(&f.ID, &f.Owner, &f.Kind, &f.Ref, &f.Link, &f.Title, &f.Backfill, &created, &f.Paused,
		&lastCheck, &lastOK, &next, &f.LastError, &f.Failures, &f.Broken, &f.ETag, &f.Modified, &f.Unread, &f.Notice)
	f.CreatedAt, f.NextCheck = time.UnixMilli(created).UTC(), time.UnixMilli(next).UTC()
	f.LastCheck, f.LastOK = fromMS(lastCheck), fromMS(lastOK)
	return f, err
}

func scanItem(row interface{ Scan(...any) error }) (Item, error) {
	var it Item
	var first, updated int64
	var published, started, retry sql.NullInt64
	err := row.Scan(&it.FollowID, &it.Key, &it.Owner, &it.Title, &it.URL, &it.Episode, &published, &it.State,
		&it.Attempts, &it.JobID, &it.RecapID, &it.Error, &first, &started, &retry, &updated)
	it.FirstSeen, it.UpdatedAt = time.UnixMilli(first).UTC(), time.UnixMilli(updated).UTC()
	it.Published, it.Started, it.RetryAt = fromMS(published), fromMS(started), fromMS(retry)
	return it, err
}

func fromMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64).UTC()
}

func nullMS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// Add implements Store.
func (s *SQLStore) Add(ctx context.Context, f Follow, limit int) error {
	err := s.DB.Update(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var n, same int
		if err := tx.QueryRowContext(ctx, `SELECT count(*), count(CASE WHEN kind = ? AND ref = ? THEN 1 END) FROM follows WHERE user_id = ?`,
			f.Kind, f.Ref, f.Owner).Scan(&n, &same); err != nil {
			return err
		}
		if same > 0 {
			return ErrExists
		}
		if limit > 0 && n >= limit {
			return fmt.Errorf("%w: you may follow up to %d sources", ErrTooMany, limit)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO follows (id, user_id, kind, ref, link, title, backfill, created_at, next_check)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			f.ID, f.Owner, f.Kind, f.Ref, f.Link, f.Title, f.Backfill, f.CreatedAt.UnixMilli(), f.NextCheck.UnixMilli())
		return err
	})
	if err != nil && !errors.Is(err, ErrExists) && !errors.Is(err, ErrTooMany) {
		return fmt.Errorf("follow: add: %w", err)
	}
	return err
}

func (s *SQLStore) follows(ctx context.Context, where string, args ...any) ([]Follow, error) {
	var out []Follow
	err := s.DB.View(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+followColumns+` FROM follows `+where+` ORDER BY created_at, id`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			f, err := scanFollow(rows)
			if err != nil {
				return err
			}
			out = append(out, f)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("follow: list: %w", err)
	}
	return out, nil
}

// List implements Store.
func (s *SQLStore) List(ctx context.Context, owner string) ([]Follow, error) {
	return s.follows(ctx, `WHERE user_id = ?`, owner)
}

// All implements Store: the follows of disabled accounts are left out,
// so nothing reads their feeds or submits their items until the account
// is enabled again.
func (s *SQLStore) All(ctx context.Context) ([]Follow, error) {
	return s.follows(ctx, `WHERE user_id IN (SELECT id FROM users WHERE disabled_at IS NULL)`)
}

// Get implements Store.
func (s *SQLStore) Get(ctx context.Context, owner, id string) (Follow, error) {
	fs, err := s.follows(ctx, `WHERE user_id = ? AND id = ?`, owner, id)
	if err != nil {
		return Follow{}, err
	}
	if len(fs) == 0 {
		return Follow{}, ErrNotFound
	}
	return fs[0], nil
}

// exec runs one statement that must change a row of owner's (else
// ErrNotFound).
func (s *SQLStore) exec(ctx context.Context, what, query string, args ...any) error {
	err := s.DB.Update(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("follow: %s: %w", what, err)
	}
	return err
}

// SaveCheck implements Store.
func (s *SQLStore) SaveCheck(ctx context.Context, f Follow) error {
	return s.exec(ctx, "save check", `UPDATE follows SET title = ?, last_check = ?, last_ok = ?, next_check = ?, last_error = ?,
		failures = ?, broken = ?, etag = ?, modified = ? WHERE id = ?`,
		f.Title, nullMS(f.LastCheck), nullMS(f.LastOK), f.NextCheck.UnixMilli(), f.LastError,
		f.Failures, f.Broken, f.ETag, f.Modified, f.ID)
}

// SetNotice implements Store.
func (s *SQLStore) SetNotice(ctx context.Context, id, notice string) error {
	return s.exec(ctx, "set notice", `UPDATE follows SET notice = ? WHERE id = ?`, notice, id)
}

// SetPaused implements Store.
func (s *SQLStore) SetPaused(ctx context.Context, owner, id string, paused bool, now time.Time) error {
	if paused {
		return s.exec(ctx, "pause", `UPDATE follows SET paused = 1 WHERE user_id = ? AND id = ?`, owner, id)
	}
	return s.exec(ctx, "resume", `UPDATE follows SET paused = 0, broken = 0, failures = 0, next_check = ? WHERE user_id = ? AND id = ?`,
		now.UnixMilli(), owner, id)
}

// MarkRead implements Store.
func (s *SQLStore) MarkRead(ctx context.Context, owner, id string) error {
	if id == "" {
		err := s.DB.Update(ctx, func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE follows SET unread = 0 WHERE user_id = ? AND unread > 0`, owner)
			return err
		})
		if err != nil {
			return fmt.Errorf("follow: mark read: %w", err)
		}
		return nil
	}
	return s.exec(ctx, "mark read", `UPDATE follows SET unread = 0 WHERE user_id = ? AND id = ?`, owner, id)
}

// Remove implements Store; the items go with the follow (ON DELETE
// CASCADE).
func (s *SQLStore) Remove(ctx context.Context, owner, id string) error {
	return s.exec(ctx, "remove", `DELETE FROM follows WHERE user_id = ? AND id = ?`, owner, id)
}

// AddItems implements Store.
func (s *SQLStore) AddItems(ctx context.Context, items []Item) (int, error) {
	added := 0
	err := s.DB.Update(ctx, func(ctx context.Context, tx *sql.Tx) error {
		added = 0
		for _, it := range items {
			res, err := tx.ExecContext(ctx, `INSERT INTO follow_items (`+itemColumns+`)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (follow_id, key) DO NOTHING`,
				it.FollowID, it.Key, it.Owner, it.Title, it.URL, it.Episode, nullMS(it.Published), it.State, it.Attempts,
				it.JobID, it.RecapID, it.Error, it.FirstSeen.UnixMilli(), nullMS(it.Started), nullMS(it.RetryAt), it.UpdatedAt.UnixMilli())
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			added += int(n)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("follow: add items: %w", err)
	}
	return added, nil
}

func (s *SQLStore) items(ctx context.Context, where string, args ...any) ([]Item, error) {
	var out []Item
	err := s.DB.View(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+itemColumns+` FROM follow_items `+where, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			it, err := scanItem(rows)
			if err != nil {
				return err
			}
			out = append(out, it)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("follow: items: %w", err)
	}
	return out, nil
}

// Items implements Store.
func (s *SQLStore) Items(ctx context.Context, followID string) ([]Item, error) {
	return s.items(ctx, `WHERE follow_id = ? ORDER BY published DESC, first_seen DESC, key`, followID)
}

// Active implements Store.
func (s *SQLStore) Active(ctx context.Context) ([]Item, error) {
	return s.items(ctx, `WHERE state IN ('new', 'queued', 'waiting') ORDER BY published, first_seen, key`)
}

// SaveItem implements Store.
func (s *SQLStore) SaveItem(ctx context.Context, it Item) error {
	err := s.DB.Update(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var was string
		if err := tx.QueryRowContext(ctx, `SELECT state FROM follow_items WHERE follow_id = ? AND key = ?`, it.FollowID, it.Key).Scan(&was); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound // the follow was removed meanwhile
			}
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE follow_items SET title = ?, url = ?, episode = ?, state = ?, attempts = ?, job_id = ?,
			recap_id = ?, error = ?, started = ?, retry_at = ?, updated_at = ? WHERE follow_id = ? AND key = ?`,
			it.Title, it.URL, it.Episode, it.State, it.Attempts, it.JobID, it.RecapID, it.Error,
			nullMS(it.Started), nullMS(it.RetryAt), it.UpdatedAt.UnixMilli(), it.FollowID, it.Key); err != nil {
			return err
		}
		if it.State == ItemDone && was != ItemDone {
			_, err := tx.ExecContext(ctx, `UPDATE follows SET unread = unread + 1 WHERE id = ?`, it.FollowID)
			return err
		}
		return nil
	})
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("follow: save item: %w", err)
	}
	return nil
}

// Started implements Store.
func (s *SQLStore) Started(ctx context.Context, owner string, since time.Time) (int, error) {
	var n int
	err := s.DB.View(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT count(*) FROM follow_items WHERE user_id = ? AND started >= ?`, owner, since.UnixMilli()).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("follow: count started: %w", err)
	}
	return n, nil
}
