package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/recap-startos/recap/pkg/atomicfile"
	"github.com/recap-startos/recap/pkg/library"
	"github.com/recap-startos/recap/pkg/recap"
)

// File formats recorded in library_meta.file_format.
const (
	formatRecap  = "recap-v1" // a version 1 recap document
	formatLegacy = "legacy"   // written by the earlier Recap
)

// UserLibrary keeps every user's recaps: the files
// DATA/history/<userId>/<id>.json and their rows in library_meta and the
// full-text index. Every method takes the user id and touches nothing of
// any other user; a recap id of another user is ErrNotFound. It is safe
// for concurrent use.
type UserLibrary struct {
	st   *Store
	root string // DATA/history
}

// Library returns the per-user library whose folders are under
// historyDir (DATA/history).
func (s *Store) Library(historyDir string) *UserLibrary {
	return &UserLibrary{st: s, root: historyDir}
}

// Dir returns a user's folder.
func (l *UserLibrary) Dir(userID string) string { return filepath.Join(l.root, userID) }

func (l *UserLibrary) path(userID, id string) (string, error) {
	if !recap.ValidStoredID(userID) || !recap.ValidStoredID(id) {
		return "", library.ErrInvalidID
	}
	return filepath.Join(l.root, userID, id+".json"), nil
}

// ownerKey is the prefix of every full-text term of a user: 12 hex
// digits of the SHA-256 of the user id. Two users sharing a key would only
// cost speed, not privacy: results are joined back to library_meta on the
// user id.
func ownerKey(userID string) string {
	sum := sha256.Sum256([]byte(userID))
	return hex.EncodeToString(sum[:6])
}

// ftsText turns text into the user's full-text terms: the terms of
// library.Tokenize (lower case, plural endings folded, stop words out, as
// single mode searches), each prefixed by the owner's key.
func ftsText(key, text string) string {
	terms := library.Tokenize(text)
	var b strings.Builder
	b.Grow(len(text) + len(terms)*len(key))
	for _, t := range terms {
		b.WriteString(key)
		b.WriteString(t)
		b.WriteByte(' ')
	}
	return b.String()
}

// indexRow is what library_meta and the full-text index hold of a recap.
type indexRow struct {
	library.Entry
	Format string
	// Text for the full-text index.
	KeywordText, SummaryText, Body string
}

func rowOf(doc *recap.Document, info fs.FileInfo) *indexRow {
	r := &indexRow{Entry: library.NewEntry(doc, info), Format: formatRecap}
	r.KeywordText = strings.Join(doc.Keywords, " ")
	r.SummaryText = doc.Summary + " " + doc.Source.Channel
	var b strings.Builder
	for _, t := range doc.Topics {
		b.WriteString(t.Title)
		b.WriteByte('\n')
		b.WriteString(t.Summary)
		b.WriteByte('\n')
		for _, s := range t.Segments {
			b.WriteString(s.Text)
			b.WriteByte('\n')
		}
	}
	for _, u := range doc.Transcript {
		b.WriteString(u.Text)
		b.WriteByte('\n')
	}
	r.Body = b.String()
	return r
}

// putRow inserts or replaces a recap's row and full-text entry. A recap
// id held by another user gives ErrIDTaken.
func putRow(ctx context.Context, tx *sql.Tx, userID string, r *indexRow) error {
	kw, _ := json.Marshal(r.Keywords)
	if r.Keywords == nil {
		kw = []byte("[]")
	}
	var ftsRow int64
	err := tx.QueryRowContext(ctx, `INSERT INTO library_meta (session_id, user_id, video_id, url, title, type,
			topic_count, segment_count, created_at, upload_date, channel, duration_s, summary, keywords, engine, words,
			file_format, file_size, file_mtime, fts_rowid)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
			(SELECT coalesce(max(fts_rowid), 0) + 1 FROM library_meta))
		ON CONFLICT (session_id) DO UPDATE SET video_id = ?3, url = ?4, title = ?5, type = ?6,
			topic_count = ?7, segment_count = ?8, created_at = ?9, upload_date = ?10, channel = ?11, duration_s = ?12,
			summary = ?13, keywords = ?14, engine = ?15, words = ?16, file_format = ?17, file_size = ?18, file_mtime = ?19
			WHERE library_meta.user_id = ?2
		RETURNING fts_rowid`,
		r.ID, userID, nullStr(r.VideoID), nullStr(r.URL), r.Title, nullStr(r.Type),
		r.Topics, r.Segments, ms(r.CreatedAt), nullStr(r.UploadDate), nullStr(r.Channel), nullFloat(r.Duration),
		nullStr(r.Summary), string(kw), nullStr(r.Engine), r.Words, r.Format, r.Size, r.ModTime).Scan(&ftsRow)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrIDTaken
	}
	if err != nil {
		return err
	}
	if err := putSources(ctx, tx, userID, r); err != nil {
		return err
	}
	return putText(ctx, tx, ftsRow, userID, r)
}

// putSources replaces a recap's source keys.
func putSources(ctx context.Context, tx *sql.Tx, userID string, r *indexRow) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM library_sources WHERE session_id = ? AND user_id = ?`, r.ID, userID); err != nil {
		return err
	}
	for _, k := range r.SourceKeys {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO library_sources (user_id, session_id, source_key) VALUES (?, ?, ?)`,
			userID, r.ID, k); err != nil {
			return err
		}
	}
	return nil
}

func putText(ctx context.Context, tx *sql.Tx, ftsRow int64, userID string, r *indexRow) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM library_fts WHERE rowid = ?`, ftsRow); err != nil {
		return err
	}
	key := ownerKey(userID)
	_, err := tx.ExecContext(ctx, `INSERT INTO library_fts (rowid, title, keywords, summary, body) VALUES (?, ?, ?, ?, ?)`,
		ftsRow, ftsText(key, r.Title), ftsText(key, r.KeywordText), ftsText(key, r.SummaryText), ftsText(key, r.Body))
	return err
}

func nullFloat(f float64) any {
	if f == 0 {
		return nil
	}
	return f
}

// deleteRow removes a recap's row and full-text entry; false if the user
// has no such row.
func deleteRow(ctx context.Context, tx *sql.Tx, userID, id string) (bool, error) {
	var ftsRow sql.NullInt64
	err := tx.QueryRowContext(ctx, `DELETE FROM library_meta WHERE session_id = ? AND user_id = ? RETURNING fts_rowid`, id, userID).Scan(&ftsRow)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if ftsRow.Valid {
		if _, err := tx.ExecContext(ctx, `DELETE FROM library_fts WHERE rowid = ?`, ftsRow.Int64); err != nil {
			return false, err
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM library_sources WHERE session_id = ? AND user_id = ?`, id, userID); err != nil {
		return false, err
	}
	return true, nil
}

// Save validates doc, writes it atomically to the user's folder and
// indexes it. A document that fails validation is not written. The
// recap of a trial's job (userID made by TrialOwner) goes to the trial
// recaps instead (TrialLibrary).
func (l *UserLibrary) Save(ctx context.Context, userID string, doc *recap.Document) error {
	if IsTrialOwner(userID) {
		return l.Trials().Save(ctx, userID, doc)
	}
	if err := doc.Validate(); err != nil {
		return fmt.Errorf("store: save recap: %w", err)
	}
	p, err := l.path(userID, doc.ID)
	if err != nil {
		return err
	}
	// The file goes first: a crash before the row is written leaves a
	// file the reconciler indexes at the next start.
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("store: save recap %s: %w", doc.ID, err)
	}
	var owner string
	if err := l.st.rdb.QueryRowContext(ctx, `SELECT user_id FROM library_meta WHERE session_id = ?`, doc.ID).Scan(&owner); err == nil && owner != userID {
		return fmt.Errorf("store: save recap %s: %w", doc.ID, ErrIDTaken)
	}
	// A save that fails leaves no new file behind: the job reports the
	// failure, so the recap must not appear at the next start either.
	_, statErr := os.Stat(p)
	undo := func() {
		if errors.Is(statErr, fs.ErrNotExist) {
			os.Remove(p)
			atomicfile.SyncDir(filepath.Dir(p))
		}
	}
	info, err := library.WriteDocument(p, doc)
	if err != nil {
		undo()
		return fmt.Errorf("store: save recap %s: %w", doc.ID, err)
	}
	row := rowOf(doc, info)
	err = l.st.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return putRow(ctx, tx, userID, row)
	})
	if err != nil {
		// A job that ends after its account was removed finds no user: its
		// file goes too, so no folder of a removed account comes back.
		if _, uerr := l.st.UserByID(ctx, userID); errors.Is(uerr, ErrNotFound) {
			undo()
			os.Remove(filepath.Dir(p))
			return fmt.Errorf("store: save recap %s: the account was removed: %w", doc.ID, ErrNotFound)
		}
		undo()
		return fmt.Errorf("store: index recap %s: %w", doc.ID, err)
	}
	return nil
}

// Delete removes a recap of the user: its file, then its row. Another
// user's recap, or none, is library.ErrNotFound.
func (l *UserLibrary) Delete(ctx context.Context, userID, id string) error {
	p, err := l.path(userID, id)
	if err != nil {
		return err
	}
	if _, err := l.Entry(ctx, userID, id); err != nil {
		return err
	}
	// The file goes first: a crash before the row is deleted leaves a row
	// the reconciler drops, never a deleted recap coming back.
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("store: delete recap %s: %w", id, err)
	}
	var found bool
	err = l.st.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		found, err = deleteRow(ctx, tx, userID, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: delete recap %s: %w", id, err)
	}
	if !found {
		return library.ErrNotFound
	}
	return nil
}

// entryColumns are the listing's columns, on the alias m of library_meta.
const entryColumns = `m.session_id, coalesce(m.title, ''), coalesce(m.type, ''), coalesce(m.url, ''),
	coalesce(m.video_id, ''), coalesce(m.channel, ''), coalesce(m.upload_date, ''), m.created_at,
	coalesce(m.duration_s, 0), coalesce(m.topic_count, 0), coalesce(m.segment_count, 0), coalesce(m.words, 0),
	coalesce(m.summary, ''), coalesce(m.keywords, '[]'), coalesce(m.engine, ''), coalesce(m.file_size, 0),
	coalesce(m.file_mtime, 0), coalesce(m.file_format, '')`

// scanEntry reads entryColumns (plus extra destinations after them).
func scanEntry(sc interface{ Scan(...any) error }, extra ...any) (*library.Entry, string, error) {
	var e library.Entry
	var created int64
	var kw, format string
	dest := append([]any{&e.ID, &e.Title, &e.Type, &e.URL, &e.VideoID, &e.Channel, &e.UploadDate, &created,
		&e.Duration, &e.Topics, &e.Segments, &e.Words, &e.Summary, &kw, &e.Engine, &e.Size, &e.ModTime, &format}, extra...)
	if err := sc.Scan(dest...); err != nil {
		return nil, "", err
	}
	e.CreatedAt = time.UnixMilli(created).UTC()
	if err := json.Unmarshal([]byte(kw), &e.Keywords); err != nil || e.Keywords == nil {
		e.Keywords = []string{}
	}
	return &e, format, nil
}

// Entry returns what the index knows of one of the user's recaps.
func (l *UserLibrary) Entry(ctx context.Context, userID, id string) (*library.Entry, error) {
	e, _, err := l.entry(ctx, userID, id)
	return e, err
}

func (l *UserLibrary) entry(ctx context.Context, userID, id string) (*library.Entry, string, error) {
	if !recap.ValidStoredID(id) {
		return nil, "", library.ErrInvalidID
	}
	e, format, err := scanEntry(l.st.rdb.QueryRowContext(ctx, `SELECT `+entryColumns+` FROM library_meta m
		WHERE m.session_id = ? AND m.user_id = ?`, id, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", library.ErrNotFound
	}
	if err != nil {
		return nil, "", fmt.Errorf("store: get recap %s: %w", id, err)
	}
	return e, format, nil
}

// Get reads one of the user's recaps. A file the earlier Recap wrote is
// converted as far as it can be read, and filled in from its row; such a
// document carries a note in Engine.Note and may not pass Validate. A
// file that cannot be read at all yields what the row knows, also with a
// note. Only a recap the user does not have (or whose file is gone) is an
// error: library.ErrNotFound.
func (l *UserLibrary) Get(ctx context.Context, userID, id string) (*recap.Document, error) {
	e, format, err := l.entry(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	p, _ := l.path(userID, id)
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, library.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: read recap %s: %w", id, err)
	}
	if format != formatLegacy {
		if doc, ok := parseRecap(data, id); ok {
			return doc, nil
		}
	}
	return legacyDocument(data, e), nil
}

// Export reads one of the user's recaps and renders it as "md" or "json".
func (l *UserLibrary) Export(ctx context.Context, userID, id, format string) (*library.Export, error) {
	doc, err := l.Get(ctx, userID, id)
	if err != nil {
		return nil, err
	}
	return library.Render(doc, format)
}

// parseRecap reads a version 1 recap document whose id is id.
func parseRecap(data []byte, id string) (*recap.Document, bool) {
	var doc recap.Document
	if err := json.Unmarshal(data, &doc); err != nil || doc.Version != recap.Version || doc.ID != id {
		return nil, false
	}
	return &doc, true
}

// BySource returns the user's recaps made from a source with one of
// keys (recap.Source.Keys), newest first, each with those of its keys
// that matched in SourceKeys. Other users' recaps are never looked at.
func (l *UserLibrary) BySource(ctx context.Context, userID string, keys []string) ([]*library.Entry, error) {
	if IsTrialOwner(userID) {
		return l.Trials().BySource(ctx, userID, keys)
	}
	if len(keys) == 0 {
		return nil, nil
	}
	in := strings.TrimSuffix(strings.Repeat("?,", len(keys)), ",")
	args := []any{userID}
	for _, k := range keys {
		args = append(args, k)
	}
	var out []*library.Entry
	err := l.st.read(ctx, func(tx *sql.Tx) error {
		out = nil
		rows, err := tx.QueryContext(ctx, `SELECT `+entryColumns+`, s.source_key FROM library_sources s
			JOIN library_meta m ON m.session_id = s.session_id AND m.user_id = s.user_id
			WHERE s.user_id = ? AND s.source_key IN (`+in+`)
			ORDER BY m.created_at DESC, m.session_id DESC, s.source_key`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		byID := map[string]*library.Entry{}
		for rows.Next() {
			var key string
			e, _, err := scanEntry(rows, &key)
			if err != nil {
				return err
			}
			if have := byID[e.ID]; have != nil {
				have.SourceKeys = append(have.SourceKeys, key)
				continue
			}
			e.SourceKeys = []string{key}
			byID[e.ID] = e
			out = append(out, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("store: recaps by source: %w", err)
	}
	return out, nil
}

// Count returns the number of recaps of a user.
func (l *UserLibrary) Count(ctx context.Context, userID string) (int, error) {
	var n int
	if err := l.st.rdb.QueryRowContext(ctx, `SELECT count(*) FROM library_meta WHERE user_id = ?`, userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count recaps: %w", err)
	}
	return n, nil
}

// Find lists or searches the user's recaps, with the same Query and Page
// as the single-mode library: every search word must match (the last
// also as a prefix), ranked by BM25 over title, keywords, summary and the
// rest of the text unless another sort is asked for. Cursors are offsets.
func (l *UserLibrary) Find(ctx context.Context, userID string, q library.Query) (library.Page, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = library.DefaultLimit
	}
	limit = min(limit, library.MaxLimit)
	offset, _ := strconv.Atoi(strings.TrimPrefix(q.Cursor, "o"))
	offset = max(offset, 0)
	words := library.Tokenize(q.Text)
	from, args := findFrom(userID, words, q.Type)
	order := findOrder(q.Sort, len(words) > 0)
	page := library.Page{}
	err := l.st.read(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM `+from, args...).Scan(&page.Total); err != nil {
			return err
		}
		if offset >= page.Total {
			return nil
		}
		rank, rankArgs := "0.0", []any(nil)
		if len(words) > 0 {
			rank, rankArgs = ownRank(words)
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+entryColumns+`, `+rank+` AS rank FROM `+from+`
			ORDER BY `+order+` LIMIT ? OFFSET ?`, append(append(rankArgs, args...), limit, offset)...)
		if err != nil {
			return err
		}
		if page.Hits, err = scanHits(rows); err != nil {
			return err
		}
		if end := offset + len(page.Hits); end < page.Total {
			page.Next = "o" + strconv.Itoa(end)
		}
		return nil
	})
	if err != nil {
		return library.Page{}, fmt.Errorf("store: find recaps: %w", err)
	}
	return page, nil
}

// findFrom is Find's FROM and WHERE clause and its arguments: the user's
// rows matching every word (all of them when there are none), of the
// type asked for, if any.
func findFrom(userID string, words []string, typ string) (string, []any) {
	from := `library_meta m WHERE m.user_id = ?`
	args := []any{userID}
	if len(words) > 0 {
		from = `library_fts JOIN library_meta m ON m.fts_rowid = library_fts.rowid
				WHERE library_fts MATCH ? AND m.user_id = ?`
		args = []any{matchExpr(userID, words), userID}
	}
	if typ != "" {
		from += ` AND m.type = ?`
		args = append(args, typ)
	}
	return from, args
}

// findOrders is Find's ORDER BY for each sort; newest first is the rest,
// and relevance when searching.
var findOrders = map[library.Sort]string{
	library.SortOldest:  "m.created_at, m.session_id",
	library.SortTitle:   "lower(m.title), m.created_at DESC, m.session_id DESC",
	library.SortLongest: "coalesce(m.duration_s, 0) DESC, m.created_at DESC, m.session_id DESC",
}

func findOrder(sort library.Sort, searching bool) string {
	if order, ok := findOrders[sort]; ok {
		return order
	}
	if searching && (sort == library.SortRelevance || sort == "") {
		return "rank, m.created_at DESC, m.session_id DESC"
	}
	return "m.created_at DESC, m.session_id DESC"
}

// scanHits reads Find's rows, each an entry and its rank, and closes
// them.
func scanHits(rows *sql.Rows) ([]library.Hit, error) {
	defer rows.Close()
	var hits []library.Hit
	for rows.Next() {
		var rank float64
		e, _, err := scanEntry(rows, &rank)
		if err != nil {
			return nil, err
		}
		hits = append(hits, library.Hit{Entry: e, Score: -rank})
	}
	return hits, rows.Err()
}

// ownRank is the SQL expression (and its arguments) that ranks a match
// by the caller's own document only: for each search word, 10 when the
// title holds it, 6 the keywords, 3 the summary, 1 for the rest of the
// text, negated so that the best sorts first like bm25. FTS5's bm25 is
// not used: its statistics (the number of documents, their mean length)
// span every user's library, so one user's ranking would move with
// another's activity.
func ownRank(words []string) (string, []any) {
	var b strings.Builder
	args := make([]any, 0, 3*len(words))
	b.WriteString("-(0")
	for _, w := range words {
		b.WriteString(" + 1 + 10*(instr(lower(coalesce(m.title, '')), ?) > 0) + 6*(instr(lower(coalesce(m.keywords, '')), ?) > 0)" +
			" + 3*(instr(lower(coalesce(m.summary, '')), ?) > 0)")
		args = append(args, w, w, w)
	}
	b.WriteString(")")
	return b.String(), args
}

// matchExpr builds the FTS5 query: every word, as the user's term (the
// last also as a prefix). Words come from library.Tokenize, so they hold
// letters and digits only and need no escaping inside quotes.
func matchExpr(userID string, words []string) string {
	key := ownerKey(userID)
	parts := make([]string, len(words))
	for i, w := range words {
		parts[i] = `"` + key + w + `"`
		if i == len(words)-1 && len([]rune(w)) >= 2 {
			parts[i] += `*`
		}
	}
	return strings.Join(parts, " AND ")
}
