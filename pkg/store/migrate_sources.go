package store

import (
	"context"
	"database/sql"
)

// migrateSources adds library_sources: the source keys of each recap
// (recap.Source.Keys: a YouTube video id, a podcast episode's GUID, the
// SHA-256 of a file's or pasted text's bytes, a transcript link), so that
// a second recap of the same source can be recognised in its owner's
// library (UserLibrary.BySource). Every row names its user, so a lookup
// never leaves the caller's library, and the rows move and go with their
// account like any table with a user_id (folders.go). Rows that exist
// already get the key of the video id they hold now; their stamps are
// cleared, so the reconciler reads each recap file once at the next
// start and fills in the rest.
func migrateSources(ctx context.Context, tx *sql.Tx) error {
	return execAll(ctx, tx,
		`CREATE TABLE library_sources (
	user_id    TEXT NOT NULL,
	session_id TEXT NOT NULL, -- the recap: library_meta.session_id
	source_key TEXT NOT NULL, -- e.g. youtube:VIDEO, episode:GUID, sha256:HEX, url:LINK
	PRIMARY KEY (user_id, source_key, session_id)
) WITHOUT ROWID`,
		`CREATE INDEX idx_library_sources_recap ON library_sources(session_id)`,
		`INSERT OR IGNORE INTO library_sources (user_id, session_id, source_key)
	SELECT user_id, session_id, 'youtube:' || video_id FROM library_meta WHERE coalesce(video_id, '') != ''`,
		`UPDATE library_meta SET file_size = NULL, file_mtime = NULL WHERE file_format = '`+formatRecap+`'`,
	)
}
