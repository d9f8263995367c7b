package store

// Merging and removing accounts: rows and files together.
//
// An account's rows live in the database and its recaps in its folder,
// DATA/history/<userId>. A merge or a removal changes both, and a crash
// may come at any point, so it goes in two steps:
//
//  1. One transaction changes every row (moves them to the other account,
//     or deletes them) and records what is left to do to the files in
//     folder_ops. Before it commits nothing has changed; after it, the
//     journal row says what the files still need.
//  2. The files are moved (merge) or deleted (remove), each step safe to
//     repeat, and the journal row is deleted last.
//
// finishFolderOps runs every recorded step 2 again; Reconcile calls it
// first, so a serve that starts after a crash completes the operation
// before it looks at the files. A merge's moved recaps are re-indexed
// under their new owner (their full-text terms carry the owner's key).

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/recap-startos/recap/pkg/recap"
)

// Folder operation kinds in folder_ops.kind.
const (
	opMerge  = "merge"
	opRemove = "remove"
)

// Errors of MergeAccounts and RemoveAccount.
var (
	// ErrNotDuplicate means two accounts do not share a canonical address
	// and may not be merged.
	ErrNotDuplicate = errors.New("store: the accounts do not share an address")
	// ErrSameAccount means an account was to be merged into itself.
	ErrSameAccount = errors.New("store: an account cannot be merged into itself")
)

// Merged says what MergeAccounts moved.
type Merged struct {
	Recaps   int64
	Sessions int64
	Credits  int64 // purchased and allowance credits added to the kept account
}

// afterRowsHook, when set (tests), runs between the transaction and the
// file step; an error from it stops there, as a crash would.
var afterRowsHook func(kind string) error

// userTables lists the tables with a user_id column besides the ones the
// merge treats itself; rows of these move with the account (or go with
// it on removal), whatever feature added them. The relay's outbox is not
// among them: its updates are about the user id they name and must not
// be sent for another account; they stay on a merge and go on removal.
func userTables(ctx context.Context, tx *sql.Tx) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT m.name FROM sqlite_schema m, pragma_table_info(m.name) c
		WHERE m.type = 'table' AND c.name = 'user_id' AND m.name NOT IN ('users', 'library_meta', 'tenant_credits', 'relay_outbox')
		ORDER BY m.name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		out = append(out, name)
	}
	return out, rows.Err()
}

// MergeAccounts moves everything of the account fromID into intoID and
// deletes fromID: recaps (rows and files), credits (both buckets added
// up, with the lifetime figures), the rows of every other table that
// belong to a user (sessions, ledger, subscriptions, reminders), trials
// and purchases it made, and admin rights. Both accounts must share a
// canonical address (ErrNotDuplicate). The rows move in one transaction;
// the files follow, and a crash in between is completed by the next
// Reconcile. The kept account's address becomes the canonical one.
func (l *UserLibrary) MergeAccounts(ctx context.Context, intoID, fromID string) (Merged, error) {
	var m Merged
	if intoID == fromID {
		return m, ErrSameAccount
	}
	err := l.st.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		m = Merged{}
		return mergeRows(ctx, tx, intoID, fromID, &m, ms(l.st.now()))
	})
	switch {
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrNotDuplicate):
		return m, err
	case err != nil:
		return m, fmt.Errorf("store: merge accounts: %w", err)
	}
	if afterRowsHook != nil {
		if err := afterRowsHook(opMerge); err != nil {
			return m, err
		}
	}
	if err := l.finishFolderOps(ctx); err != nil {
		return m, fmt.Errorf("store: merge accounts: %w", err)
	}
	return m, nil
}

func mergeRows(ctx context.Context, tx *sql.Tx, intoID, fromID string, m *Merged, now int64) error {
	var intoKey, fromKey string
	if err := tx.QueryRowContext(ctx, `SELECT email_key FROM users WHERE id = ?`, intoID).Scan(&intoKey); err != nil {
		return notFound(err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT email_key FROM users WHERE id = ?`, fromID).Scan(&fromKey); err != nil {
		return notFound(err)
	}
	if intoKey != fromKey {
		return ErrNotDuplicate
	}
	// Recaps: the rows move; their full-text entries (keyed by owner) are
	// dropped and the stamps cleared, so the file step re-indexes them.
	if _, err := tx.ExecContext(ctx, `DELETE FROM library_fts WHERE rowid IN
		(SELECT fts_rowid FROM library_meta WHERE user_id = ? AND fts_rowid IS NOT NULL)`, fromID); err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE library_meta SET user_id = ?, file_size = NULL, file_mtime = NULL WHERE user_id = ?`, intoID, fromID)
	if err != nil {
		return err
	}
	m.Recaps, _ = res.RowsAffected()
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sessions WHERE user_id = ?`, fromID).Scan(&m.Sessions); err != nil {
		return err
	}
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(sum(purchased_balance + replenish_balance), 0) FROM tenant_credits WHERE user_id = ?`,
		fromID).Scan(&m.Credits); err != nil {
		return err
	}
	stmts := []string{
		`INSERT INTO tenant_credits (user_id, purchased_balance, replenish_balance, last_replenish_at, lifetime_granted, lifetime_consumed)
			SELECT ?1, purchased_balance, replenish_balance, last_replenish_at, lifetime_granted, lifetime_consumed
			FROM tenant_credits WHERE user_id = ?2 AND true
		ON CONFLICT (user_id) DO UPDATE SET
			purchased_balance = purchased_balance + excluded.purchased_balance,
			replenish_balance = replenish_balance + excluded.replenish_balance,
			last_replenish_at = coalesce(last_replenish_at, excluded.last_replenish_at),
			lifetime_granted = lifetime_granted + excluded.lifetime_granted,
			lifetime_consumed = lifetime_consumed + excluded.lifetime_consumed`,
		`DELETE FROM tenant_credits WHERE user_id = ?2`,
		`UPDATE anon_trials SET converted_to_user_id = ?1 WHERE converted_to_user_id = ?2`,
		`UPDATE pending_purchases SET buyer_id = ?1 WHERE buyer_type = 'user' AND buyer_id = ?2`,
		`UPDATE users SET
			is_admin = max(is_admin, (SELECT is_admin FROM users WHERE id = ?2)),
			last_signin_at = max(coalesce(last_signin_at, 0), coalesce((SELECT last_signin_at FROM users WHERE id = ?2), 0)),
			keysat_license = coalesce(keysat_license, (SELECT keysat_license FROM users WHERE id = ?2)),
			display_name = coalesce(display_name, (SELECT display_name FROM users WHERE id = ?2))
		WHERE id = ?1`,
	}
	stmts = append(stmts, mergeFollows...)
	tables, err := userTables(ctx, tx)
	if err != nil {
		return err
	}
	for _, t := range tables {
		// OR IGNORE: a row the kept account already has under the same key
		// (a reminder for the same period) stays as it is; the duplicate
		// goes with the merged account.
		stmts = append(stmts, fmt.Sprintf(`UPDATE OR IGNORE %q SET user_id = ?1 WHERE user_id = ?2`, t),
			fmt.Sprintf(`DELETE FROM %q WHERE user_id = ?2`, t))
	}
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q, intoID, fromID); err != nil {
			return fmt.Errorf("%s: %w", firstLine(q), err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO folder_ops (kind, from_user, into_user, created_at) VALUES (?, ?, ?, ?)`,
		opMerge, fromID, intoID, now); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, fromID); err != nil {
		return err
	}
	// The kept account takes the canonical spelling of the address.
	if _, err := tx.ExecContext(ctx, `UPDATE users SET email = email_key WHERE id = ? AND email_key LIKE '%_@_%'`, intoID); err != nil {
		return err
	}
	return nil
}

// mergeFollows folds the merged account's follows (?2) into the kept
// one's (?1) where both follow the same source: the duplicate's items
// the kept follow has not seen join it (so nothing is recapped again)
// and its unread count is added. The generic move that follows then
// moves the other follows and drops the duplicates with their items.
var mergeFollows = []string{
	`INSERT OR IGNORE INTO follow_items (follow_id, key, user_id, title, url, episode, published, state, attempts, job_id,
			recap_id, error, first_seen, started, retry_at, updated_at)
		SELECT k.id, i.key, ?1, i.title, i.url, i.episode, i.published, i.state, i.attempts, i.job_id,
			i.recap_id, i.error, i.first_seen, i.started, i.retry_at, i.updated_at
		FROM follow_items i JOIN follows d ON d.id = i.follow_id
			JOIN follows k ON k.user_id = ?1 AND k.kind = d.kind AND k.ref = d.ref
		WHERE d.user_id = ?2`,
	`UPDATE follows SET unread = unread + coalesce((SELECT d.unread FROM follows d
			WHERE d.user_id = ?2 AND d.kind = follows.kind AND d.ref = follows.ref), 0)
		WHERE user_id = ?1`,
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// Removed says what RemoveAccount deleted.
type Removed struct {
	Recaps   int64
	Sessions int64
}

// RemoveAccount deletes an account with everything that is its: its
// recaps (rows, full-text entries and files), sessions, sign-in links,
// credits, the trials it claimed, its rows in every other per-user
// table, and its folder. The rows go in one transaction; the folder
// follows, and a crash in between is completed by the next Reconcile.
// ErrNotFound if there is no such account.
func (l *UserLibrary) RemoveAccount(ctx context.Context, id string) (Removed, error) {
	var r Removed
	err := l.st.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		r = Removed{}
		return removeRows(ctx, tx, id, &r, ms(l.st.now()))
	})
	if errors.Is(err, ErrNotFound) {
		return r, err
	}
	if err != nil {
		return r, fmt.Errorf("store: remove account %s: %w", id, err)
	}
	if afterRowsHook != nil {
		if err := afterRowsHook(opRemove); err != nil {
			return r, err
		}
	}
	if err := l.finishFolderOps(ctx); err != nil {
		return r, fmt.Errorf("store: remove account %s: %w", id, err)
	}
	return r, nil
}

func removeRows(ctx context.Context, tx *sql.Tx, id string, r *Removed, now int64) error {
	var key string
	if err := tx.QueryRowContext(ctx, `SELECT email_key FROM users WHERE id = ?`, id).Scan(&key); err != nil {
		return notFound(err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM library_meta WHERE user_id = ?1),
		(SELECT count(*) FROM sessions WHERE user_id = ?1)`, id).Scan(&r.Recaps, &r.Sessions); err != nil {
		return err
	}
	stmts := []string{
		`DELETE FROM library_fts WHERE rowid IN (SELECT fts_rowid FROM library_meta WHERE user_id = ?1 AND fts_rowid IS NOT NULL)`,
		`DELETE FROM library_meta WHERE user_id = ?1`,
		`DELETE FROM tenant_credits WHERE user_id = ?1`,
		`DELETE FROM anon_trials WHERE converted_to_user_id = ?1`,
		`DELETE FROM pending_purchases WHERE buyer_type = 'user' AND buyer_id = ?1`,
	}
	tables, err := userTables(ctx, tx)
	if err != nil {
		return err
	}
	if ok, err := tableExists(ctx, tx, "relay_outbox"); err != nil {
		return err
	} else if ok {
		tables = append(tables, "relay_outbox")
	}
	for _, t := range tables {
		stmts = append(stmts, fmt.Sprintf(`DELETE FROM %q WHERE user_id = ?1`, t))
	}
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return fmt.Errorf("%s: %w", firstLine(q), err)
		}
	}
	// Its invitation, and sign-in links for the address, only if no
	// other account shares it.
	if _, err := tx.ExecContext(ctx, `DELETE FROM invites WHERE email_key = ?1
		AND NOT EXISTS (SELECT 1 FROM users WHERE email_key = ?1 AND id != ?2)`, key, id); err != nil {
		return err
	}
	// Sign-in links for the address: only if no other account shares it.
	if _, err := tx.ExecContext(ctx, `DELETE FROM magic_link_tokens WHERE lower(trim(email)) = ?1
		AND NOT EXISTS (SELECT 1 FROM users WHERE email_key = ?1 AND id != ?2)`, key, id); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO folder_ops (kind, from_user, created_at) VALUES (?, ?, ?)`, opRemove, id, now); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, id)
	return err
}

type folderOp struct {
	id         int64
	kind       string
	from, into string
}

// finishFolderOps does the file step of every recorded merge and removal,
// oldest first, and deletes each journal row once its files are done.
func (l *UserLibrary) finishFolderOps(ctx context.Context) error {
	rows, err := l.st.rdb.QueryContext(ctx, `SELECT id, kind, from_user, coalesce(into_user, '') FROM folder_ops ORDER BY id`)
	if err != nil {
		return err
	}
	var ops []folderOp
	for rows.Next() {
		var op folderOp
		if err := rows.Scan(&op.id, &op.kind, &op.from, &op.into); err != nil {
			rows.Close()
			return err
		}
		ops = append(ops, op)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, op := range ops {
		if err := l.finishOp(ctx, op); err != nil {
			return err
		}
		if err := l.st.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `DELETE FROM folder_ops WHERE id = ?`, op.id)
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

func (l *UserLibrary) finishOp(ctx context.Context, op folderOp) error {
	if !recap.ValidStoredID(op.from) || (op.kind == opMerge && !recap.ValidStoredID(op.into)) {
		return fmt.Errorf("folder operation %d names a folder that is not an account id", op.id)
	}
	src := l.Dir(op.from)
	switch op.kind {
	case opRemove:
		if err := os.RemoveAll(src); err != nil {
			return fmt.Errorf("remove %s: %w", op.from, err)
		}
		return nil
	case opMerge:
		if err := moveFiles(src, l.Dir(op.into)); err != nil {
			return fmt.Errorf("merge %s into %s: %w", op.from, op.into, err)
		}
		var rep ReconcileReport
		return l.reconcileUser(ctx, op.into, &rep)
	default:
		return fmt.Errorf("folder operation %d: unknown kind %q", op.id, op.kind)
	}
}

// moveFiles renames every recap file of src into dst and removes src
// when it is empty. A file dst already has is left in src (and src with
// it), never overwritten; the reconciler then reports src's folder.
func moveFiles(src, dst string) error {
	entries, err := os.ReadDir(src)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return err
	}
	for _, de := range entries {
		if !de.Type().IsRegular() {
			continue
		}
		to := filepath.Join(dst, de.Name())
		if _, err := os.Lstat(to); err == nil {
			continue
		}
		if err := os.Rename(filepath.Join(src, de.Name()), to); err != nil {
			return err
		}
	}
	// Not empty when something was left; the reconciler then reports it.
	os.Remove(src)
	return nil
}
