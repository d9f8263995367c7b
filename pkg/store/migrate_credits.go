package store

import (
	"context"
	"database/sql"
)

// migrateCredits adds what pkg/credits needs beside the earlier Recap's
// tenant_credits and anon_trials, leaving their rows as they are:
//
//   - credit_ledger, an append-only record of every change to a user's
//     two buckets. Each row's amount is the signed change of one bucket
//     and balance_after that bucket's balance afterwards, so the sum of a
//     user's rows for a bucket equals the bucket. Balances that predate
//     the ledger get one "opening" row per non-zero bucket here.
//   - credit_reservations, the credits held by a job from its submission
//     until it is saved (committed) or ends otherwise (released). A
//     reservation belongs to a user or to an anonymous trial.
//   - tenant_credits.allowance_tier, the tier whose allowance the
//     replenish bucket holds, so that a change of tier (a purchase, a
//     grant, the end of a paid period) adjusts the allowance once.
//
// users.tier_expires_at, which pkg/credits reads and writes too, came
// with the relay's migration before this one.
func migrateCredits(ctx context.Context, tx *sql.Tx) error {
	return execAll(ctx, tx,
		`CREATE TABLE credit_ledger (
	id            INTEGER PRIMARY KEY,
	user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	kind          TEXT NOT NULL,    -- signup, refill, forfeit, grant, purchase, trial, reserve, commit, release, adjust, opening
	bucket        TEXT NOT NULL CHECK (bucket IN ('replenish', 'purchased')),
	amount        INTEGER NOT NULL, -- signed change of the bucket, in credits
	balance_after INTEGER NOT NULL, -- the bucket's balance after this row
	job_id        TEXT,             -- the job of a reserve, commit or release
	order_id      TEXT,             -- the purchase of a purchase
	actor         TEXT NOT NULL,    -- who made the change: system, the user's id, or admin:<email>
	note          TEXT,
	created_at    INTEGER NOT NULL
)`,
		`CREATE INDEX idx_credit_ledger_user ON credit_ledger(user_id, id)`,
		`CREATE TABLE credit_reservations (
	job_id       TEXT PRIMARY KEY,
	user_id      TEXT REFERENCES users(id) ON DELETE CASCADE, -- NULL for a trial's job
	trial_id     TEXT,                       -- anon_trials.cookie_id of a trial's job
	replenish    INTEGER NOT NULL DEFAULT 0 CHECK (replenish >= 0), -- credits held from each bucket
	purchased    INTEGER NOT NULL DEFAULT 0 CHECK (purchased >= 0),
	trial        INTEGER NOT NULL DEFAULT 0 CHECK (trial >= 0),
	period_start INTEGER,                    -- tenant_credits.last_replenish_at when held
	state        TEXT NOT NULL DEFAULT 'held' CHECK (state IN ('held', 'committed', 'released')),
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL,
	CHECK ((user_id IS NULL) <> (trial_id IS NULL))
)`,
		`CREATE INDEX idx_credit_reservations_held ON credit_reservations(created_at) WHERE state = 'held'`,
		`CREATE INDEX idx_credit_reservations_user ON credit_reservations(user_id, created_at)`,
		`ALTER TABLE tenant_credits ADD COLUMN allowance_tier TEXT`,
		`INSERT INTO credit_ledger (user_id, kind, bucket, amount, balance_after, actor, note, created_at)
	SELECT user_id, 'opening', 'purchased', purchased_balance, purchased_balance, 'system', 'balance before the ledger',
		CAST(unixepoch('subsec') * 1000 AS INTEGER)
	FROM tenant_credits WHERE purchased_balance <> 0`,
		`INSERT INTO credit_ledger (user_id, kind, bucket, amount, balance_after, actor, note, created_at)
	SELECT user_id, 'opening', 'replenish', replenish_balance, replenish_balance, 'system', 'balance before the ledger',
		CAST(unixepoch('subsec') * 1000 AS INTEGER)
	FROM tenant_credits WHERE replenish_balance <> 0`,
	)
}

// migrateTrialBuckets adds the client buckets a trial was started from,
// which its caps count by: ip_bucket (an IPv4 address, an IPv6 /64, or
// the shared bucket of Tor and unknown addresses) and ip_wide (the /48
// of an IPv6 address). Trials of the earlier Recap keep NULL in both and
// count for nothing (they are days old). New trials keep the SHA-256 of
// their cookie in cookie_id; the earlier Recap's rows keep theirs.
func migrateTrialBuckets(ctx context.Context, tx *sql.Tx) error {
	return execAll(ctx, tx,
		`ALTER TABLE anon_trials ADD COLUMN ip_bucket TEXT`,
		`ALTER TABLE anon_trials ADD COLUMN ip_wide TEXT`,
		`CREATE INDEX idx_anon_trials_bucket ON anon_trials(ip_bucket, created_at)`,
		`CREATE INDEX idx_anon_trials_wide ON anon_trials(ip_wide, created_at) WHERE ip_wide IS NOT NULL`,
	)
}
