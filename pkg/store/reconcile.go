package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/recap-startos/recap/pkg/library"
	"github.com/recap-startos/recap/pkg/recap"
)

// ReconcileReport says what Reconcile changed and what it skipped.
type ReconcileReport struct {
	Indexed   int // files that had no row, or whose row was out of date
	Dropped   int // rows whose file is gone (checked by its exact name)
	Unchanged int
	Problems  []library.Problem // File is "<userId>/<name>"
}

// Reconcile brings the index in line with the files, as serve does at
// start: a file without a row (or changed since it was indexed, by size
// or modification time) is read and indexed; a row whose file is gone is
// dropped. Files of the earlier Recap keep the facts of their existing
// row and get the rest (full-text entry, summary) from the file. Folders
// of unknown users, unreadable files and rows whose id cannot be a file
// name are reported and left alone: a row is dropped only when the file
// it names does not exist. Merges and removals a crash interrupted are
// completed first (see folders.go).
func (l *UserLibrary) Reconcile(ctx context.Context) (ReconcileReport, error) {
	var rep ReconcileReport
	if err := l.finishFolderOps(ctx); err != nil {
		return rep, fmt.Errorf("store: reconcile: %w", err)
	}
	users, err := l.userFolders(ctx, &rep)
	if err != nil {
		return rep, err
	}
	seen := map[string]bool{}
	for _, userID := range users {
		seen[userID] = true
		if err := l.reconcileUser(ctx, userID, &rep); err != nil {
			return rep, err
		}
	}
	// Rows of users whose folder is gone altogether.
	orphans, err := l.indexedUsers(ctx, seen)
	if err != nil {
		return rep, err
	}
	for _, id := range orphans {
		if err := l.reconcileUser(ctx, id, &rep); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// userFolders lists the folders of known users under the library's
// root; folders of no known user go to rep's problems.
func (l *UserLibrary) userFolders(ctx context.Context, rep *ReconcileReport) ([]string, error) {
	dirents, err := os.ReadDir(l.root)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("store: reconcile: %w", err)
	}
	var users []string
	for _, de := range dirents {
		if !de.IsDir() || strings.HasPrefix(de.Name(), ".") {
			continue
		}
		userID := de.Name()
		if _, err := l.st.UserByID(ctx, userID); err != nil {
			if errors.Is(err, ErrNotFound) || !recap.ValidStoredID(userID) {
				rep.Problems = append(rep.Problems, library.Problem{File: userID + "/", Err: errors.New("folder of no known user")})
				continue
			}
			return nil, err
		}
		users = append(users, userID)
	}
	return users, nil
}

// indexedUsers lists the users with rows in the index, except those in
// skip.
func (l *UserLibrary) indexedUsers(ctx context.Context, skip map[string]bool) ([]string, error) {
	rows, err := l.st.rdb.QueryContext(ctx, `SELECT DISTINCT user_id FROM library_meta`)
	if err != nil {
		return nil, fmt.Errorf("store: reconcile: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: reconcile: %w", err)
		}
		if !skip[id] {
			ids = append(ids, id)
		}
	}
	return ids, nil
}

type fileStamp struct {
	size, mtime int64
	format      string
}

// reconcileUser reconciles one user's folder with that user's rows.
func (l *UserLibrary) reconcileUser(ctx context.Context, userID string, rep *ReconcileReport) error {
	indexed, err := l.indexedStamps(ctx, userID)
	if err != nil {
		return err
	}
	dirents, err := os.ReadDir(l.Dir(userID))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("store: reconcile %s: %w", userID, err)
	}
	present := map[string]bool{}
	for _, de := range dirents {
		id, err := l.reconcileFile(ctx, userID, de, indexed, rep)
		if err != nil {
			return err
		}
		if id != "" {
			present[id] = true
		}
	}
	for id := range indexed {
		if present[id] {
			continue
		}
		if err := l.dropGone(ctx, userID, id, rep); err != nil {
			return err
		}
	}
	return nil
}

// indexedStamps returns the size, time and format each of a user's
// rows recorded of its file, by recap id.
func (l *UserLibrary) indexedStamps(ctx context.Context, userID string) (map[string]fileStamp, error) {
	indexed := map[string]fileStamp{}
	rows, err := l.st.rdb.QueryContext(ctx, `SELECT session_id, coalesce(file_size, -1), coalesce(file_mtime, -1), coalesce(file_format, '')
		FROM library_meta WHERE user_id = ?`, userID)
	if err != nil {
		return nil, fmt.Errorf("store: reconcile %s: %w", userID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var st fileStamp
		if err := rows.Scan(&id, &st.size, &st.mtime, &st.format); err != nil {
			return nil, fmt.Errorf("store: reconcile %s: %w", userID, err)
		}
		indexed[id] = st
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: reconcile %s: %w", userID, err)
	}
	return indexed, nil
}

// reconcileFile indexes one entry of a user's folder when it is a recap
// with no row, or one whose row is out of date. It returns the recap's
// id, or "" when the entry is not a recap file (or vanished).
func (l *UserLibrary) reconcileFile(ctx context.Context, userID string, de fs.DirEntry, indexed map[string]fileStamp, rep *ReconcileReport) (string, error) {
	name := de.Name()
	problem := func(err error) {
		rep.Problems = append(rep.Problems, library.Problem{File: userID + "/" + name, Err: err})
	}
	id, ok, err := storedRecapFile(de)
	if err != nil {
		problem(err)
	}
	if !ok {
		return "", nil
	}
	info, err := de.Info()
	if err != nil {
		return "", nil // removed meanwhile
	}
	st, has := indexed[id]
	if has && st.size == info.Size() && st.mtime == info.ModTime().UnixNano() {
		rep.Unchanged++
		return id, nil
	}
	data, err := os.ReadFile(filepath.Join(l.Dir(userID), name))
	if err != nil {
		problem(err)
		return id, nil
	}
	err = l.st.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return indexFile(ctx, tx, userID, id, data, info, has)
	})
	if errors.Is(err, ErrIDTaken) {
		problem(err)
		return id, nil
	}
	if err != nil {
		return "", fmt.Errorf("store: reconcile %s/%s: %w", userID, name, err)
	}
	rep.Indexed++
	return id, nil
}

// indexFile writes the row of a file read from a user's folder. A file
// of the earlier Recap with a row already (has) keeps that row's facts.
func indexFile(ctx context.Context, tx *sql.Tx, userID, id string, data []byte, info fs.FileInfo, has bool) error {
	if doc, ok := parseRecap(data, id); ok {
		return putRow(ctx, tx, userID, rowOf(doc, info))
	}
	r := legacyRow(data, id)
	r.Size, r.ModTime = info.Size(), info.ModTime().UnixNano()
	if has {
		return mergeLegacy(ctx, tx, userID, r)
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = info.ModTime()
	}
	return putRow(ctx, tx, userID, r)
}

// dropGone drops the row of a recap whose file was not listed, once it
// is certain the file does not exist; otherwise it reports a problem.
func (l *UserLibrary) dropGone(ctx context.Context, userID, id string, rep *ReconcileReport) error {
	if gone, err := l.fileGone(userID, id); err != nil || !gone {
		if err == nil {
			err = errors.New("indexed, but its file could not be listed; left as it is")
		}
		rep.Problems = append(rep.Problems, library.Problem{File: userID + "/" + id + ".json", Err: err})
		return nil
	}
	err := l.st.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := deleteRow(ctx, tx, userID, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: reconcile %s/%s: %w", userID, id, err)
	}
	rep.Dropped++
	return nil
}

// storedRecapFile tells what a directory entry of a user's folder is, as
// library.RecapFile does, but accepts every id recap.ValidStoredID does,
// so that files the earlier Recap named are indexed too.
func storedRecapFile(de fs.DirEntry) (id string, ok bool, err error) {
	name := de.Name()
	if de.IsDir() || !strings.HasSuffix(name, ".json") || strings.HasPrefix(name, ".") {
		return "", false, nil
	}
	id = strings.TrimSuffix(name, ".json")
	if !recap.ValidStoredID(id) {
		return "", false, library.ErrInvalidID
	}
	return id, true, nil
}

// fileGone reports whether the file of an indexed recap certainly does
// not exist. An id that cannot name a file, or a file that cannot be
// checked, is not gone: its row is kept.
func (l *UserLibrary) fileGone(userID, id string) (bool, error) {
	p, err := l.path(userID, id)
	if err != nil {
		return false, fmt.Errorf("indexed under an id that cannot be a file name; left as it is")
	}
	_, err = os.Lstat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil
	}
	return false, err
}

// mergeLegacy updates the row of an earlier Recap's file: the facts the
// row already has stay, the empty ones are filled from the file, and the
// full-text entry is rebuilt.
func mergeLegacy(ctx context.Context, tx *sql.Tx, userID string, r *indexRow) error {
	kw, _ := json.Marshal(r.Keywords)
	var ftsRow sql.NullInt64
	var title, url, channel, summary sql.NullString
	err := tx.QueryRowContext(ctx, `UPDATE library_meta SET
			title = coalesce(title, ?), url = coalesce(url, ?), video_id = coalesce(video_id, ?), type = coalesce(type, ?),
			upload_date = coalesce(upload_date, ?), topic_count = coalesce(topic_count, ?), segment_count = coalesce(segment_count, ?),
			channel = coalesce(channel, ?), duration_s = coalesce(duration_s, ?), summary = coalesce(summary, ?),
			keywords = coalesce(keywords, ?), file_format = ?, file_size = ?, file_mtime = ?,
			fts_rowid = coalesce(fts_rowid, (SELECT coalesce(max(fts_rowid), 0) + 1 FROM library_meta))
		WHERE session_id = ? AND user_id = ?
		RETURNING fts_rowid, title, url, channel, summary`,
		nullStr(r.Title), nullStr(r.URL), nullStr(r.VideoID), nullStr(r.Type),
		nullStr(r.UploadDate), r.Topics, r.Segments,
		nullStr(r.Channel), nullFloat(r.Duration), nullStr(r.Summary),
		string(kw), formatLegacy, r.Size, r.ModTime, r.ID, userID).Scan(&ftsRow, &title, &url, &channel, &summary)
	if err != nil {
		return err
	}
	text := *r
	text.Title = title.String
	text.SummaryText = summary.String + " " + channel.String
	text.Body = r.Body + "\n" + url.String
	return putText(ctx, tx, ftsRow.Int64, userID, &text)
}
