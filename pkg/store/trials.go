package store

// Trial recaps: the recaps of anonymous trials (anon_trials), kept apart
// from every account's library.
//
// A trial's recaps are files DATA/trials/<trial id>/<recap id>.json,
// where the trial id is anon_trials.cookie_id (the SHA-256 of the cookie,
// never the cookie itself). They have no rows in library_meta: a trial
// has a few recaps at most, listed by reading its folder. A job of a
// trial has the owner TrialOwner(trial id), so that the job queue files
// its recap here through UserLibrary.Save.
//
// When a trial is claimed (anon_trials.converted_to_user_id is set), its
// files move to the account's folder and are indexed there (Adopt). The
// claim itself is the journal: a crash between the claim and the move,
// or a recap saved while the claim ran, is finished by SweepTrials,
// which the hourly prune runs (and serve at start). SweepTrials also
// deletes the recaps of trials older than TrialLife that nobody claimed.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/recap-startos/recap/pkg/atomicfile"
	"github.com/recap-startos/recap/pkg/library"
	"github.com/recap-startos/recap/pkg/recap"
)

// TrialLife is how long an unclaimed trial and its recaps are kept.
const TrialLife = 7 * 24 * time.Hour

// trialOwnerPrefix starts the job owner of a trial's jobs.
const trialOwnerPrefix = "trial:"

// TrialOwner is the job owner of a trial's jobs.
func TrialOwner(trialID string) string { return trialOwnerPrefix + trialID }

// TrialOf returns the trial id of a job owner made by TrialOwner.
func TrialOf(owner string) (string, bool) {
	id, ok := strings.CutPrefix(owner, trialOwnerPrefix)
	if !ok || !validTrialID(id) {
		return "", false
	}
	return id, true
}

// IsTrialOwner reports whether a job owner is a trial.
func IsTrialOwner(owner string) bool {
	_, ok := TrialOf(owner)
	return ok
}

// validTrialID: 64 lower-case hex digits, as HashToken makes.
func validTrialID(id string) bool {
	if len(id) != 64 {
		return false
	}
	for _, c := range id {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// TrialLibrary keeps the recaps of anonymous trials. Its methods take the
// job owner (TrialOwner) where the account library takes a user id, so
// that it can stand in for it; an owner that is not a trial finds
// nothing. It is safe for concurrent use.
type TrialLibrary struct {
	users *UserLibrary
	root  string // DATA/trials
}

// Trials returns the library of trial recaps beside the accounts'
// folders (DATA/trials beside DATA/history).
func (l *UserLibrary) Trials() *TrialLibrary {
	return &TrialLibrary{users: l, root: filepath.Join(filepath.Dir(l.root), "trials")}
}

// Dir returns a trial's folder.
func (t *TrialLibrary) Dir(trialID string) string { return filepath.Join(t.root, trialID) }

func (t *TrialLibrary) path(owner, id string) (string, error) {
	tid, ok := TrialOf(owner)
	if !ok || !recap.ValidID(id) {
		return "", library.ErrInvalidID
	}
	return filepath.Join(t.root, tid, id+".json"), nil
}

// claimedBy returns the account that claimed a trial, "" if none.
func (t *TrialLibrary) claimedBy(ctx context.Context, trialID string) (string, error) {
	var user sql.NullString
	err := t.users.st.rdb.QueryRowContext(ctx, `SELECT converted_to_user_id FROM anon_trials WHERE cookie_id = ?`, trialID).Scan(&user)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return user.String, err
}

// Save writes a trial's recap. A trial claimed while its job ran files
// the recap in the account's library instead.
func (t *TrialLibrary) Save(ctx context.Context, owner string, doc *recap.Document) error {
	if err := doc.Validate(); err != nil {
		return fmt.Errorf("store: save trial recap: %w", err)
	}
	p, err := t.path(owner, doc.ID)
	if err != nil {
		return err
	}
	tid, _ := TrialOf(owner)
	user, err := t.claimedBy(ctx, tid)
	if err != nil {
		return fmt.Errorf("store: save trial recap %s: %w", doc.ID, err)
	}
	if user != "" {
		return t.users.Save(ctx, user, doc)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("store: save trial recap %s: %w", doc.ID, err)
	}
	if _, err := library.WriteDocument(p, doc); err != nil {
		return fmt.Errorf("store: save trial recap %s: %w", doc.ID, err)
	}
	return nil
}

// Get reads one of a trial's recaps.
func (t *TrialLibrary) Get(_ context.Context, owner, id string) (*recap.Document, error) {
	p, err := t.path(owner, id)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, library.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: read trial recap %s: %w", id, err)
	}
	doc, ok := parseRecap(data, id)
	if !ok {
		return nil, fmt.Errorf("store: trial recap %s is not a recap document", id)
	}
	return doc, nil
}

// Entry returns the listing entry of one of a trial's recaps.
func (t *TrialLibrary) Entry(ctx context.Context, owner, id string) (*library.Entry, error) {
	doc, err := t.Get(ctx, owner, id)
	if err != nil {
		return nil, err
	}
	e := rowOf(doc, nil).Entry
	return &e, nil
}

// Export renders one of a trial's recaps as "md" or "json".
func (t *TrialLibrary) Export(ctx context.Context, owner, id, format string) (*library.Export, error) {
	doc, err := t.Get(ctx, owner, id)
	if err != nil {
		return nil, err
	}
	return library.Render(doc, format)
}

// Delete removes one of a trial's recaps.
func (t *TrialLibrary) Delete(_ context.Context, owner, id string) error {
	p, err := t.path(owner, id)
	if err != nil {
		return err
	}
	if err := os.Remove(p); errors.Is(err, fs.ErrNotExist) {
		return library.ErrNotFound
	} else if err != nil {
		return fmt.Errorf("store: delete trial recap %s: %w", id, err)
	}
	atomicfile.SyncDir(filepath.Dir(p))
	return nil
}

// BySource returns the trial's recaps made from a source with one of
// keys, newest first (as UserLibrary.BySource).
func (t *TrialLibrary) BySource(_ context.Context, owner string, keys []string) ([]*library.Entry, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	all, err := t.list(owner)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, k := range keys {
		want[k] = true
	}
	var out []*library.Entry
	for _, e := range all {
		var matched []string
		for _, k := range e.SourceKeys {
			if want[k] {
				matched = append(matched, k)
			}
		}
		if len(matched) > 0 {
			e.SourceKeys = matched
			out = append(out, e)
		}
	}
	return out, nil
}

// list reads a trial's recaps, newest first.
func (t *TrialLibrary) list(owner string) ([]*library.Entry, error) {
	tid, ok := TrialOf(owner)
	if !ok {
		return nil, nil
	}
	des, err := os.ReadDir(t.Dir(tid))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: list trial recaps: %w", err)
	}
	var out []*library.Entry
	for _, de := range des {
		id, ok := strings.CutSuffix(de.Name(), ".json")
		if !ok || !de.Type().IsRegular() || !recap.ValidID(id) {
			continue // a temporary file of a write in progress, or a stranger
		}
		data, err := os.ReadFile(filepath.Join(t.Dir(tid), de.Name()))
		if err != nil {
			continue // deleted meanwhile
		}
		if doc, ok := parseRecap(data, id); ok {
			e := rowOf(doc, nil).Entry
			out = append(out, &e)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.After(out[j].CreatedAt)
		}
		return out[i].ID > out[j].ID
	})
	return out, nil
}

// Find lists a trial's recaps, newest first. A trial has a few, so a
// search matches words of the title only, and there is one page.
func (t *TrialLibrary) Find(_ context.Context, owner string, q library.Query) (library.Page, error) {
	all, err := t.list(owner)
	if err != nil {
		return library.Page{}, err
	}
	words := library.Tokenize(q.Text)
	var page library.Page
	for _, e := range all {
		if q.Type != "" && e.Type != q.Type {
			continue
		}
		if len(words) > 0 && !hasAll(library.Tokenize(e.Title), words) {
			continue
		}
		page.Total++
		if q.Limit <= 0 || len(page.Hits) < q.Limit {
			page.Hits = append(page.Hits, library.Hit{Entry: e})
		}
	}
	return page, nil
}

func hasAll(have, want []string) bool {
	set := map[string]bool{}
	for _, h := range have {
		set[h] = true
	}
	for _, w := range want {
		if !set[w] {
			return false
		}
	}
	return true
}

// Count returns the number of a trial's recaps.
func (t *TrialLibrary) Count(_ context.Context, owner string) (int, error) {
	all, err := t.list(owner)
	return len(all), err
}

// Adopt moves a claimed trial's recaps into the account's folder and
// indexes them there. It is safe to repeat; a recap id the account has
// already stays in the trial's folder (recap ids are random, so this
// does not happen by chance).
func (t *TrialLibrary) Adopt(ctx context.Context, trialID, userID string) (int, error) {
	if !validTrialID(trialID) || !recap.ValidStoredID(userID) {
		return 0, library.ErrInvalidID
	}
	before, err := t.users.Count(ctx, userID)
	if err != nil {
		return 0, err
	}
	if err := moveFiles(t.Dir(trialID), t.users.Dir(userID)); err != nil {
		return 0, fmt.Errorf("store: move trial recaps to %s: %w", userID, err)
	}
	var rep ReconcileReport
	if err := t.users.reconcileUser(ctx, userID, &rep); err != nil {
		return 0, err
	}
	after, err := t.users.Count(ctx, userID)
	if err != nil {
		return 0, err
	}
	return after - before, nil
}

// TrialSweep says what SweepTrials did.
type TrialSweep struct {
	Expired int // trials whose recaps were deleted
	Adopted int // recaps moved to the accounts that claimed their trials
}

// SweepTrials finishes the moves of claimed trials and deletes the
// recaps of trials that nobody claimed within TrialLife (and of trials
// the database does not know).
func (t *TrialLibrary) SweepTrials(ctx context.Context) (TrialSweep, error) {
	var out TrialSweep
	des, err := os.ReadDir(t.root)
	if errors.Is(err, fs.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return out, fmt.Errorf("store: sweep trial recaps: %w", err)
	}
	cutoff := ms(t.users.st.now().Add(-TrialLife))
	for _, de := range des {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		id := de.Name()
		if !de.IsDir() || !validTrialID(id) {
			continue
		}
		var created int64
		var user sql.NullString
		err := t.users.st.rdb.QueryRowContext(ctx, `SELECT a.created_at, u.id FROM anon_trials a
			LEFT JOIN users u ON u.id = a.converted_to_user_id WHERE a.cookie_id = ?`, id).Scan(&created, &user)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			created = 0 // unknown: gone
		case err != nil:
			return out, fmt.Errorf("store: sweep trial recaps: %w", err)
		}
		if user.Valid {
			n, err := t.Adopt(ctx, id, user.String)
			if err != nil {
				return out, err
			}
			out.Adopted += n
			continue
		}
		if created > cutoff {
			continue
		}
		if err := os.RemoveAll(t.Dir(id)); err != nil {
			return out, fmt.Errorf("store: delete expired trial recaps: %w", err)
		}
		out.Expired++
	}
	return out, nil
}

// MoveTrial moves the recaps of one trial to another (a used-up trial's
// holder who started a new one keeps them).
func (t *TrialLibrary) MoveTrial(fromID, toID string) error {
	if !validTrialID(fromID) || !validTrialID(toID) {
		return library.ErrInvalidID
	}
	if err := moveFiles(t.Dir(fromID), t.Dir(toID)); err != nil {
		return fmt.Errorf("store: move trial recaps: %w", err)
	}
	return nil
}
