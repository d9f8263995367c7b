package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// migrateBilling adds billing_orders, one row per checkout of a plan or
// a credit pack (pkg/billing), and links each paid period in
// subscriptions to the order that bought it. The earlier Recap's
// pending_purchases and pending_signups rows are still written, keyed by
// the provider's invoice id, and marked applied in the same transaction
// as billing_orders.applied_at, the idempotency guard.
func migrateBilling(ctx context.Context, tx *sql.Tx) error {
	return execAll(ctx, tx,
		`CREATE TABLE billing_orders (
	id              TEXT PRIMARY KEY, -- ours: BTCPay metadata.orderId, Zaprite externalUniqId
	offer_id        TEXT NOT NULL,    -- pro, max or a credit pack's id
	kind            TEXT NOT NULL CHECK (kind IN ('plan', 'pack')),
	tier            TEXT,             -- plan: the tier bought
	days            INTEGER NOT NULL DEFAULT 0,  -- plan: the period bought
	credits         INTEGER NOT NULL DEFAULT 0,  -- pack: credits; plan: the allowance
	method          TEXT NOT NULL CHECK (method IN ('lightning', 'card')),
	provider        TEXT NOT NULL,    -- btcpay or zaprite
	provider_ref    TEXT,             -- the provider's invoice or order id; NULL until created
	amount          INTEGER NOT NULL CHECK (amount > 0), -- sats, or the fiat's smallest unit
	currency        TEXT NOT NULL,    -- SATS or an ISO code
	buyer_key       TEXT NOT NULL,    -- user:<id>, email:<address> or trial:<id>: finds a buyer's open order
	buyer_user_id   TEXT,             -- the signed-in buyer
	buyer_email     TEXT,             -- the anonymous buyer of a plan
	buyer_trial_id  TEXT,             -- the trial that bought a pack (anon_trials.cookie_id)
	status          TEXT NOT NULL,    -- open, processing, paid, underpaid, expired, invalid, failed
	provider_status TEXT,             -- as the provider last said it
	bolt11          TEXT,             -- Lightning
	checkout_url    TEXT,
	expires_at      INTEGER,          -- the provider's invoice expiry, epoch ms
	note            TEXT,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	checked_at      INTEGER,          -- last re-read from the provider
	applied_at      INTEGER,          -- set once, when applied: the idempotency guard
	user_id         TEXT,             -- the account it was applied to
	applied_tier    TEXT,             -- plan: the tier the period is of
	period_start    INTEGER,
	period_end      INTEGER
)`,
		`CREATE UNIQUE INDEX idx_billing_orders_ref ON billing_orders(provider, provider_ref)`,
		`CREATE INDEX idx_billing_orders_buyer ON billing_orders(buyer_key, created_at)`,
		`CREATE INDEX idx_billing_orders_user ON billing_orders(user_id, created_at)`,
		`CREATE INDEX idx_billing_orders_watch ON billing_orders(created_at) WHERE applied_at IS NULL`,
		`ALTER TABLE subscriptions ADD COLUMN order_id TEXT`, // the billing order that bought the period
		`CREATE UNIQUE INDEX idx_subscriptions_order ON subscriptions(order_id) WHERE order_id IS NOT NULL`,
	)
}

// EnsureUserTx is EnsureUser inside the caller's write transaction (a
// purchase that makes the buyer's account in the transaction that
// applies it).
func EnsureUserTx(ctx context.Context, tx *sql.Tx, nu NewUser, now time.Time) (u *User, created bool, err error) {
	u, err = scanUser(tx.QueryRowContext(ctx, pickAccount, EmailKey(nu.Email)))
	if err == nil {
		return u, false, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, false, fmt.Errorf("store: ensure user: %w", err)
	}
	u, err = insertUser(ctx, tx, nu, now)
	if err != nil {
		return nil, false, fmt.Errorf("store: ensure user: %w", err)
	}
	return u, true, nil
}

// QueueMailTx records a mail to send inside the caller's write
// transaction, so it is queued exactly when the change that decided it
// commits. A sign-in mail queued without a token hash gets its link when
// it is sent.
func QueueMailTx(ctx context.Context, tx *sql.Tx, m OutboxMail) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO mail_outbox (email, kind, token_hash, request_ip, created_at)
		VALUES (?, ?, ?, ?, ?) RETURNING id`, m.Email, m.Kind, nullStr(m.TokenHash), nullStr(m.RequestIP), ms(m.CreatedAt)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: queue mail: %w", err)
	}
	return id, nil
}
