// Package follow keeps up with shows: podcast feeds, YouTube channels and
// playlists that a person follows. A Checker polls each followed feed on
// a schedule and turns the items that appear after the follow began into
// ordinary recap jobs in the follower's library, marked with the follow's
// id.
//
// How an item is recapped exactly once, whatever stops in between:
//
//  1. A poll records every entry it has not seen as an Item (state new,
//     or old for the back catalogue) before anything else happens; an
//     item is never recorded twice (its key is unique within the follow).
//  2. A new item is submitted to the job queue with a Ref made of the
//     follow, the item and the attempt number; the queue writes the job
//     to disk before Submit returns and answers a second Submit with the
//     same Ref with the job it already has.
//  3. The item is then marked queued with the job's id. A crash between
//     2 and 3 leaves it new: the next pass submits it again with the same
//     Ref and gets the same job back. So nothing is lost (the item exists
//     before its job) and nothing is recapped twice (one Ref, one job).
//  4. Each pass looks at the queued items' jobs: done makes the item done
//     and counts it as unread on its follow; no captions yet makes it
//     wait and try again (with the next attempt number) until
//     CaptionWait has passed since it appeared, then it is reported once
//     as missing; any other failure is recorded on the item.
//
// Follows are private: every read and change of one is scoped to its
// owner ("" is the owner in single mode). Single mode keeps follows in a
// file (FileStore), multi mode in the database (SQLStore).
package follow

import (
	"context"
	"errors"
	"time"

	"github.com/recap-startos/recap/pkg/transcript"
)

// Item states.
const (
	ItemOld     = "old"     // in the feed before the follow began: never recapped
	ItemNew     = "new"     // to be recapped
	ItemQueued  = "queued"  // a job is making its recap (JobID)
	ItemDone    = "done"    // recapped (RecapID)
	ItemWaiting = "waiting" // no captions or transcript yet; tried again at RetryAt
	ItemMissing = "missing" // still no captions after CaptionWait: reported, given up
	ItemFailed  = "failed"  // its job failed for another reason (Error)
)

// Errors of follows.
var (
	// ErrNotFound means the caller has no follow with that id.
	ErrNotFound = errors.New("follow: no such follow")
	// ErrExists means the caller follows that source already.
	ErrExists = errors.New("follow: you follow this already")
	// ErrTooMany means the caller has as many follows as allowed.
	ErrTooMany = errors.New("follow: too many follows")
	// ErrBackfill means "recap the last N" asked for too many.
	ErrBackfill = errors.New("follow: the number of past items to recap is out of range")
)

// Follow is one followed source of one owner.
type Follow struct {
	ID        string
	Owner     string // user id in multi mode, "" in single mode
	Kind      string // transcript.FollowPodcast, FollowChannel or FollowPlaylist
	Ref       string // feed URL, channel id or playlist id
	Link      string // the link as it was given
	Title     string // the show's name, from its feed
	Backfill  int    // recap this many of the newest items already out at the first check
	CreatedAt time.Time
	Paused    bool

	LastCheck time.Time // last poll, successful or not
	LastOK    time.Time // last successful poll; zero until the first
	NextCheck time.Time // when the next poll is due
	LastError string    // of the last poll, "" when it succeeded
	Failures  int       // polls failed in a row
	Broken    bool      // failed MaxFailures times in a row: not polled until resumed or checked by hand
	ETag      string    // validators of the last answer
	Modified  string    // Last-Modified of the last answer
	Unread    int       // recaps made since the owner last looked
	Notice    string    // something the owner should know once (credits, daily limit, missing captions)
}

// Source is the followed source as transcript reads it.
func (f Follow) Source() transcript.Followable {
	return transcript.Followable{Kind: f.Kind, Ref: f.Ref, Title: f.Title}
}

// Item is one entry of a followed feed.
type Item struct {
	FollowID  string
	Owner     string
	Key       string // GUID or video id: unique within the follow
	Title     string
	URL       string // what the job reads
	Episode   string // the podcast episode selector
	Published time.Time
	State     string // one of the Item* constants
	Attempts  int    // jobs submitted for it so far
	JobID     string
	RecapID   string
	Error     string
	FirstSeen time.Time // when a poll first saw it
	Started   time.Time // when its first job was submitted; zero before
	RetryAt   time.Time // when a waiting item is tried again
	UpdatedAt time.Time
}

// Store keeps follows and their items. FileStore (single mode) and
// SQLStore (multi mode) are the two.
type Store interface {
	// Add records a new follow unless its owner follows the same source
	// (ErrExists) or has limit follows already (ErrTooMany; 0 means no
	// limit).
	Add(ctx context.Context, f Follow, limit int) error
	// List returns owner's follows, oldest first.
	List(ctx context.Context, owner string) ([]Follow, error)
	// All returns every follow of every owner whose account is enabled
	// (for the scheduler).
	All(ctx context.Context) ([]Follow, error)
	// Get returns one of owner's follows, or ErrNotFound.
	Get(ctx context.Context, owner, id string) (Follow, error)
	// SaveCheck writes what a poll learned: the title, the check times,
	// error, failures, broken and validators. Paused, Unread and Notice
	// are left as they are.
	SaveCheck(ctx context.Context, f Follow) error
	// SetPaused pauses or resumes one of owner's follows; resuming also
	// clears Broken and makes the follow due now.
	SetPaused(ctx context.Context, owner, id string, paused bool, now time.Time) error
	// SetNotice replaces the notice of a follow (any owner's: the
	// checker's own bookkeeping).
	SetNotice(ctx context.Context, id, notice string) error
	// MarkRead sets Unread to 0 on one of owner's follows, or all of
	// them when id is "".
	MarkRead(ctx context.Context, owner, id string) error
	// Remove deletes one of owner's follows and its items (ErrNotFound).
	Remove(ctx context.Context, owner, id string) error
	// AddItems records items not yet known by (FollowID, Key) and
	// returns how many were added; known ones are left as they are.
	AddItems(ctx context.Context, items []Item) (int, error)
	// Items returns a follow's items, newest first by Published.
	Items(ctx context.Context, followID string) ([]Item, error)
	// Active returns the items of every follow in state new, queued or
	// waiting.
	Active(ctx context.Context) ([]Item, error)
	// SaveItem writes an item's state; a done item adds one to its
	// follow's Unread in the same write.
	SaveItem(ctx context.Context, it Item) error
	// Started counts owner's items whose first job was submitted at or
	// after since.
	Started(ctx context.Context, owner string, since time.Time) (int, error)
}
