// Package relay owns the relay: a small service, run with `recap relay
// serve`, that is the tier and expiry authority for the users of many
// Recap instances and pays for their model calls out of credit pools; and
// the instance's side of it: the HTTP client, the persistent outbox of
// tier updates, the tier cache sync and the tier authority the rest of
// Recap asks.
//
// Trust model. The relay operator issues each instance a license (a
// random key shown once; the relay keeps only its SHA-256). An instance
// presents it as a bearer token; the relay finds the license by hash and
// compares in constant time, and every request names the install id it
// acts for, which must be the license's: one instance's license can never
// read or change another instance's users or spend another pool. Users
// are keyed by (install id, user id), so two instances may use the same
// user ids. Everything the relay changes is written to an append-only
// ledger (triggers refuse UPDATE and DELETE) in the same transaction as
// the change.
//
// The relay's state lives in its own SQLite file, DATA/relay.db, with its
// own numbered migrations (relaydb.go); it never opens an instance's
// recap.db, and instances keep their outbox and tier cache in theirs.
package relay

import (
	"errors"
	"time"
)

// Tiers a user can have; the same names as the instance's users.tier.
const (
	TierCore = "core"
	TierPro  = "pro"
	TierMax  = "max"
)

// ValidTier reports whether s is one of the tiers.
func ValidTier(s string) bool { return s == TierCore || s == TierPro || s == TierMax }

// Errors of the relay's store and API.
var (
	// ErrNotFound means no such instance, license, user or order.
	ErrNotFound = errors.New("relay: not found")
	// ErrUnauthorized means the bearer token is missing, unknown or revoked.
	ErrUnauthorized = errors.New("relay: unknown or revoked license")
	// ErrForbidden means the license belongs to another install id.
	ErrForbidden = errors.New("relay: this license does not belong to that install id")
	// ErrPoolEmpty means the instance's credit pool cannot pay for a recap.
	ErrPoolEmpty = errors.New("relay: the credit pool is empty")
	// ErrInvalid means a request or command argument is malformed.
	ErrInvalid = errors.New("relay: invalid request")
	// ErrTooNew means relay.db was migrated by a newer Recap.
	ErrTooNew = errors.New("relay: the relay database was written by a newer version of Recap")
	// ErrNotSold means the relay sells no plans, or not that plan by
	// that provider (its payments config).
	ErrNotSold = errors.New("relay: this relay does not sell that")
)

// RecapCost is the credits one recap made by the relay's model takes
// from the pool. A recap the model could not make is refunded.
const RecapCost = 1

// ms converts a time to epoch milliseconds, the unit of every time column.
func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }
