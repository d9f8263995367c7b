package store

import (
	"context"
	"database/sql"
)

// migrateFollows adds the tables of pkg/follow: follows (a user's
// followed podcast feeds, YouTube channels and playlists, with what the
// last poll of each learned) and follow_items (every entry a poll saw,
// with whether and how it was recapped). An item's key is unique within
// its follow, so a feed entry is recorded once however often it is read;
// both go with their user.
func migrateFollows(ctx context.Context, tx *sql.Tx) error {
	return execAll(ctx, tx,
		`CREATE TABLE follows (
	id         TEXT PRIMARY KEY,
	user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	kind       TEXT NOT NULL,              -- podcast, channel or playlist
	ref        TEXT NOT NULL,              -- feed URL, channel id or playlist id
	link       TEXT NOT NULL,              -- as the user gave it
	title      TEXT NOT NULL,
	backfill   INTEGER NOT NULL DEFAULT 0, -- newest items already out to recap at the first check
	created_at INTEGER NOT NULL,
	paused     INTEGER NOT NULL DEFAULT 0,
	last_check INTEGER,
	last_ok    INTEGER,
	next_check INTEGER NOT NULL,
	last_error TEXT NOT NULL DEFAULT '',
	failures   INTEGER NOT NULL DEFAULT 0, -- failed polls in a row
	broken     INTEGER NOT NULL DEFAULT 0,
	etag       TEXT NOT NULL DEFAULT '',
	modified   TEXT NOT NULL DEFAULT '',
	unread     INTEGER NOT NULL DEFAULT 0,
	notice     TEXT NOT NULL DEFAULT '',
	UNIQUE (user_id, kind, ref)
)`,
		`CREATE TABLE follow_items (
	follow_id  TEXT NOT NULL REFERENCES follows(id) ON DELETE CASCADE,
	key        TEXT NOT NULL,              -- GUID or video id
	user_id    TEXT NOT NULL,
	title      TEXT NOT NULL,
	url        TEXT NOT NULL,
	episode    TEXT NOT NULL DEFAULT '',
	published  INTEGER,
	state      TEXT NOT NULL,              -- old, new, queued, done, waiting, missing, failed
	attempts   INTEGER NOT NULL DEFAULT 0,
	job_id     TEXT NOT NULL DEFAULT '',
	recap_id   TEXT NOT NULL DEFAULT '',
	error      TEXT NOT NULL DEFAULT '',
	first_seen INTEGER NOT NULL,
	started    INTEGER,
	retry_at   INTEGER,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (follow_id, key)
)`,
		`CREATE INDEX idx_follow_items_active ON follow_items(state) WHERE state IN ('new', 'queued', 'waiting')`,
		`CREATE INDEX idx_follow_items_started ON follow_items(user_id, started) WHERE started IS NOT NULL`,
	)
}
