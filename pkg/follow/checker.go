package follow

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/recap-startos/recap/pkg/credits"
	"github.com/recap-startos/recap/pkg/jobs"
	"github.com/recap-startos/recap/pkg/transcript"
)

// Defaults of Limits fields left zero.
const (
	// DefaultInterval is how often a followed feed is read (3 hours).
	DefaultInterval = 3 * time.Hour
	// DefaultCaptionWait is how long an item without captions or a
	// transcript is tried again before it is reported (48 hours).
	DefaultCaptionWait = 48 * time.Hour
	// DefaultMaxFailures is how many polls in a row may fail before a
	// follow is marked broken and left alone.
	DefaultMaxFailures = 8
	// DefaultConcurrency is how many feeds are read at the same time.
	DefaultConcurrency = 8
	// firstRetry is the wait after the first failed poll; it doubles with
	// each failure, up to maxRetry.
	firstRetry = 15 * time.Minute
	maxRetry   = 24 * time.Hour
	// captionRetry is the first wait before an item without captions is
	// tried again; it doubles with each attempt, up to the interval.
	captionRetry = 30 * time.Minute
	// backdated is how far before the follow began an item that appears
	// later may be dated and still count as new (an episode published
	// with the date it was recorded); an older one (a video that comes
	// back into a feed that shows only the newest) is back catalogue.
	backdated = 7 * 24 * time.Hour
	// MaxBackfill bounds "recap the last N".
	MaxBackfill = 50
)

// Limits bound what follows may do. Zero fields take the defaults; a
// zero PerUser or PerDay means no limit.
type Limits struct {
	Interval    time.Duration // between polls of one feed
	CaptionWait time.Duration // how long to wait for captions
	MaxFailures int           // failed polls in a row before a follow is broken
	PerUser     int           // follows per owner
	PerDay      int           // new recaps per owner per 24 hours
}

func (l Limits) interval() time.Duration {
	if l.Interval > 0 {
		return l.Interval
	}
	return DefaultInterval
}

func (l Limits) captionWait() time.Duration {
	if l.CaptionWait > 0 {
		return l.CaptionWait
	}
	return DefaultCaptionWait
}

func (l Limits) maxFailures() int {
	if l.MaxFailures > 0 {
		return l.MaxFailures
	}
	return DefaultMaxFailures
}

// Jobs is the job queue as the checker uses it; *jobs.Queue is one.
type Jobs interface {
	Submit(in jobs.Input) (jobs.State, bool, error)
	Get(id string) (jobs.State, error)
}

var _ Jobs = (*jobs.Queue)(nil)

// Checker polls followed feeds and submits their new items as jobs.
type Checker struct {
	Store   Store
	Jobs    Jobs
	Options transcript.Options // how feeds and YouTube pages are read
	Limits  Limits
	// Concurrency is how many feeds are read at once
	// (DefaultConcurrency if 0).
	Concurrency int
	Now         func() time.Time // time.Now if nil
	Log         *slog.Logger     // slog.Default() if nil

	pass    sync.Mutex        // one pass at a time; held for the whole pass
	follows map[string]Follow // the pass's follows by id; guarded by pass

	lastMu sync.Mutex
	last   time.Time // end of the last pass that read a feed; guarded by lastMu
}

// Report counts what one pass did.
type Report struct {
	Checked   int // feeds read
	Unchanged int // of which answered "not modified"
	Failed    int // of which failed
	Found     int // new items found
	Submitted int // jobs submitted
	Recapped  int // items whose recap was filed since the last pass
}

func (c *Checker) now() time.Time {
	if c.Now != nil {
		return c.Now().UTC()
	}
	return time.Now().UTC()
}

func (c *Checker) log() *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.Default()
}

// Add follows link for owner. backfill asks for that many of the newest
// items already out to be recapped too (0: only what comes next). The
// follow is due at once.
func (c *Checker) Add(ctx context.Context, owner, link string, backfill int) (Follow, error) {
	if backfill < 0 || backfill > MaxBackfill {
		return Follow{}, fmt.Errorf("%w (0 to %d)", ErrBackfill, MaxBackfill)
	}
	src, err := transcript.ResolveFollow(ctx, link, c.Options)
	if err != nil {
		return Follow{}, err
	}
	now := c.now()
	f := Follow{
		ID: newID(), Owner: owner, Kind: src.Kind, Ref: src.Ref, Link: strings.TrimSpace(link),
		Title: src.Title, Backfill: backfill, CreatedAt: now, NextCheck: now,
	}
	if f.Title == "" {
		f.Title = f.Link
	}
	if err := c.Store.Add(ctx, f, c.Limits.PerUser); err != nil {
		return Follow{}, err
	}
	c.log().Info("follow added", "follow_id", f.ID, "kind", f.Kind)
	return f, nil
}

// Pass runs one round: it settles the items whose jobs ended, reads every
// follow that is due (every follow that is not paused, broken ones too,
// when all is set), records new items and submits what may be recapped
// now. Passes never overlap; a second caller waits for the first.
func (c *Checker) Pass(ctx context.Context, all bool) (Report, error) {
	c.pass.Lock()
	defer c.pass.Unlock()
	var rep Report
	follows, err := c.Store.All(ctx)
	if err != nil {
		return rep, err
	}
	byID := make(map[string]Follow, len(follows))
	for _, f := range follows {
		byID[f.ID] = f
	}
	c.follows = byID
	if rep.Recapped, err = c.settle(ctx, byID); err != nil {
		return rep, err
	}
	now := c.now()
	var due []Follow
	for _, f := range follows {
		if !f.Paused && (all || (!f.Broken && !f.NextCheck.After(now))) {
			due = append(due, f)
		}
	}
	c.pollAll(ctx, due, &rep)
	if ctx.Err() != nil {
		return rep, ctx.Err()
	}
	if rep.Checked > 0 {
		c.lastMu.Lock()
		c.last = c.now()
		c.lastMu.Unlock()
	}
	follows, err = c.Store.All(ctx)
	if err != nil {
		return rep, err
	}
	for _, f := range follows {
		byID[f.ID] = f // fresh from the polls, keeping the notices
	}
	rep.Submitted, err = c.submit(ctx, byID)
	return rep, err
}

// pollAll reads the due feeds, Concurrency at a time. Each result is
// written as soon as it is known.
func (c *Checker) pollAll(ctx context.Context, due []Follow, rep *Report) {
	n := c.Concurrency
	if n <= 0 {
		n = DefaultConcurrency
	}
	var mu sync.Mutex
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, f := range due {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(f Follow) {
			defer wg.Done()
			defer func() { <-sem }()
			r := c.poll(ctx, f)
			mu.Lock()
			rep.Checked++
			rep.Unchanged += r.Unchanged
			rep.Failed += r.Failed
			rep.Found += r.Found
			mu.Unlock()
		}(f)
	}
	wg.Wait()
}

// poll reads one feed and records what it says.
func (c *Checker) poll(ctx context.Context, f Follow) Report {
	var rep Report
	p, err := transcript.PollFeed(ctx, f.Source(), f.ETag, f.Modified, c.Options)
	now := c.now()
	f.LastCheck = now
	if err != nil {
		if ctx.Err() != nil {
			return rep // stopping: nothing was learned about the feed
		}
		rep.Failed = 1
		c.failed(ctx, f, err, now)
		return rep
	}
	if p.NotModified {
		rep.Unchanged = 1
	} else {
		n, err := c.record(ctx, f, p, now)
		if err != nil {
			rep.Failed = 1
			c.log().Error("follow: cannot record items", "follow_id", f.ID, "error", err)
			return rep
		}
		rep.Found = n
		if p.Title != "" {
			f.Title = p.Title
		}
		f.ETag, f.Modified = p.ETag, p.LastModified
	}
	f.LastOK, f.LastError, f.Failures, f.Broken = now, "", 0, false
	f.NextCheck = now.Add(jitter(c.Limits.interval()))
	if err := c.Store.SaveCheck(ctx, f); err != nil {
		c.log().Error("follow: cannot save the check", "follow_id", f.ID, "error", err)
	}
	return rep
}

// failed records a failed poll: the next one waits longer each time, and
// after MaxFailures in a row the follow is broken until its owner resumes
// or checks it.
func (c *Checker) failed(ctx context.Context, f Follow, err error, now time.Time) {
	f.Failures++
	f.LastError = err.Error()
	wait := firstRetry << min(f.Failures-1, 16)
	if wait > maxRetry || wait <= 0 {
		wait = maxRetry
	}
	f.NextCheck = now.Add(jitter(wait))
	if f.Failures >= c.Limits.maxFailures() && !f.Broken {
		f.Broken = true
		c.log().Warn("follow: feed keeps failing; no longer checked until resumed", "follow_id", f.ID, "failures", f.Failures)
	}
	if serr := c.Store.SaveCheck(ctx, f); serr != nil {
		c.log().Error("follow: cannot save the check", "follow_id", f.ID, "error", serr)
	}
	c.log().Info("follow check failed", "follow_id", f.ID, "failures", f.Failures, "kind", transcript.KindOf(err).String())
}

// record adds the entries not seen before: the back catalogue (every
// item of the first check beyond the newest Backfill, and later items
// dated over a week before the follow began) as old, the rest as new. A podcast item whose feed names
// no transcript waits; one that waited gets another try once the feed
// names one.
func (c *Checker) record(ctx context.Context, f Follow, p *transcript.FeedPoll, now time.Time) (int, error) {
	known, err := c.Store.Items(ctx, f.ID)
	if err != nil {
		return 0, err
	}
	byKey := make(map[string]Item, len(known))
	for _, it := range known {
		byKey[it.Key] = it
	}
	first := f.LastOK.IsZero()
	var add []Item
	found := 0
	for i, e := range p.Entries {
		if old, ok := byKey[e.Key]; ok {
			if err := c.retryWaiting(ctx, f, old, e, now); err != nil {
				return found, err
			}
			continue
		}
		it := newItem(f, e, first && i < f.Backfill, first, now)
		byKey[e.Key] = it
		add = append(add, it)
		if it.State != ItemOld {
			found++
		}
	}
	if _, err := c.Store.AddItems(ctx, add); err != nil {
		return 0, err
	}
	return found, nil
}

// retryWaiting makes new again a podcast item that waited for a
// transcript, once the feed's entry e names one.
func (c *Checker) retryWaiting(ctx context.Context, f Follow, old Item, e transcript.FeedEntry, now time.Time) error {
	if old.State != ItemWaiting || f.Kind != transcript.FollowPodcast || !e.Transcript {
		return nil
	}
	old.State, old.RetryAt, old.UpdatedAt = ItemNew, time.Time{}, now
	return c.Store.SaveItem(ctx, old)
}

// newItem is the item of an entry not seen before: new when it is one of
// the first check's newest Backfill; else old on the first check, or
// when dated over a week before the follow began; else new. A new
// podcast item whose feed names no transcript waits.
func newItem(f Follow, e transcript.FeedEntry, backfill, first bool, now time.Time) Item {
	it := Item{FollowID: f.ID, Owner: f.Owner, Key: e.Key, Title: e.Title, URL: e.URL, Episode: e.Episode,
		Published: e.Published, State: ItemNew, FirstSeen: now, UpdatedAt: now}
	before := !e.Published.IsZero() && e.Published.Before(f.CreatedAt.Add(-backdated))
	if !backfill && (first || before) {
		it.State = ItemOld
	}
	if it.State == ItemNew && f.Kind == transcript.FollowPodcast && !e.Transcript {
		it.State, it.RetryAt = ItemWaiting, now
	}
	return it
}

// settle looks at the jobs of queued items and records how they ended;
// it also gives up on items that waited too long for captions.
func (c *Checker) settle(ctx context.Context, byID map[string]Follow) (int, error) {
	items, err := c.Store.Active(ctx)
	if err != nil {
		return 0, err
	}
	done := 0
	now := c.now()
	for _, it := range items {
		f, ok := byID[it.FollowID]
		if !ok {
			continue
		}
		var changed bool
		switch it.State {
		case ItemQueued:
			changed = c.settleJob(ctx, f, &it, now)
		case ItemWaiting:
			if now.Sub(it.FirstSeen) >= c.Limits.captionWait() {
				c.giveUp(ctx, f, &it, now)
				changed = true
			}
		}
		if !changed {
			continue
		}
		it.UpdatedAt = now
		if err := c.Store.SaveItem(ctx, it); err != nil {
			return done, err
		}
		if it.State == ItemDone {
			done++
		}
	}
	return done, nil
}

// settleJob updates a queued item from its job; it reports whether the
// item changed.
func (c *Checker) settleJob(ctx context.Context, f Follow, it *Item, now time.Time) bool {
	st, err := c.Jobs.Get(it.JobID)
	if errors.Is(err, jobs.ErrNotFound) {
		it.State, it.Error = ItemFailed, "Its job was lost (Recap forgot it); recap the link by hand."
		return true
	}
	if err != nil || !st.Finished() {
		return false
	}
	switch {
	case st.Status == jobs.StatusDone:
		it.State, it.RecapID, it.Error = ItemDone, st.RecapID, ""
		c.log().Info("follow item recapped", "follow_id", f.ID, "recap_id", st.RecapID)
	case st.Error != nil && st.Error.Code == transcript.KindNoCaptions.String():
		it.Error = st.Error.Message
		if now.Sub(it.FirstSeen) >= c.Limits.captionWait() {
			c.giveUp(ctx, f, it, now)
			break
		}
		it.State = ItemWaiting
		wait := captionRetry << min(max(it.Attempts-1, 0), 16)
		it.RetryAt = now.Add(min(wait, c.Limits.interval()))
	case st.Error != nil && st.Error.Code == "not_enough_credits":
		it.State, it.Error = ItemFailed, st.Error.Message
		c.notice(ctx, f, "Recaps of new items stopped: "+st.Error.Message)
	default:
		it.State = ItemFailed
		it.Error = "The job ended " + st.Status
		if st.Error != nil {
			it.Error = st.Error.Message
		}
	}
	return true
}

// giveUp reports, once, an item that still has no captions.
func (c *Checker) giveUp(ctx context.Context, f Follow, it *Item, now time.Time) {
	it.State = ItemMissing
	it.Error = fmt.Sprintf("Still no captions or transcript %s after it appeared; it was not recapped.", roundDuration(now.Sub(it.FirstSeen)))
	c.notice(ctx, f, fmt.Sprintf("%q had no captions or transcript after %s and was not recapped.", it.Title, roundDuration(c.Limits.captionWait())))
	c.log().Info("follow item has no captions; given up", "follow_id", f.ID)
}

// notice sets a follow's notice when it says something new, and reports
// whether it did. Callers hold c.pass.
func (c *Checker) notice(ctx context.Context, f Follow, msg string) bool {
	cur, ok := c.follows[f.ID]
	if !ok || cur.Notice == msg {
		return false
	}
	if err := c.Store.SetNotice(ctx, f.ID, msg); err != nil {
		c.log().Error("follow: cannot save a notice", "follow_id", f.ID, "error", err)
		return false
	}
	cur.Notice = msg
	c.follows[f.ID] = cur
	return true
}

// submit queues the items that may be recapped now, oldest first, within
// each owner's daily limit and credits.
func (c *Checker) submit(ctx context.Context, byID map[string]Follow) (int, error) {
	items, err := c.Store.Active(ctx)
	if err != nil {
		return 0, err
	}
	sort.SliceStable(items, func(a, b int) bool { return items[a].Published.Before(items[b].Published) })
	now := c.now()
	stopped := map[string]bool{} // owners who may not submit more in this pass
	started := map[string]int{}  // owners' jobs in the last 24 hours
	submitted := 0
	for _, it := range items {
		f, ok := byID[it.FollowID]
		if !ok || f.Paused || stopped[f.Owner] || !c.ready(f, it, now) {
			continue
		}
		if c.Limits.PerDay > 0 {
			n, seen := started[f.Owner]
			if !seen {
				if n, err = c.Store.Started(ctx, f.Owner, now.Add(-24*time.Hour)); err != nil {
					return submitted, err
				}
			}
			if n >= c.Limits.PerDay {
				stopped[f.Owner] = true
				c.notice(ctx, f, fmt.Sprintf("New items wait: the limit of %d automatic recaps a day was reached.", c.Limits.PerDay))
				continue
			}
			started[f.Owner] = n
		}
		ok, stop, err := c.submitOne(ctx, f, it, now)
		if err != nil {
			return submitted, err
		}
		if stop {
			stopped[f.Owner] = true
		}
		if ok {
			submitted++
			started[f.Owner]++
		}
	}
	return submitted, nil
}

// ready reports whether an item may be submitted now: a new one, or a
// YouTube one whose wait for captions is over. Podcast items wait for
// their feed to name a transcript (record).
func (c *Checker) ready(f Follow, it Item, now time.Time) bool {
	switch it.State {
	case ItemNew:
		return true
	case ItemWaiting:
		return f.Kind != transcript.FollowPodcast && !it.RetryAt.After(now)
	}
	return false
}

// submitOne submits one item. ok: a job has it now; stop: its owner may
// not submit more in this pass (no credits, queue full).
func (c *Checker) submitOne(ctx context.Context, f Follow, it Item, now time.Time) (ok, stop bool, err error) {
	st, _, serr := c.Jobs.Submit(jobs.Input{
		Source: it.URL, Episode: it.Episode, Owner: f.Owner, Follow: f.ID, Ref: itemRef(it),
	})
	switch {
	case errors.Is(serr, credits.ErrNotEnough):
		if c.notice(ctx, f, "Recaps of new items stopped: the credits ran out. They start again when credits are added.") {
			c.log().Info("follow: no credits; new items wait", "follow_id", f.ID)
		}
		return false, true, nil
	case errors.Is(serr, jobs.ErrBusy), errors.Is(serr, jobs.ErrOwnerBusy), errors.Is(serr, jobs.ErrClosed):
		return false, true, nil
	case serr != nil:
		it.State, it.Error, it.UpdatedAt = ItemFailed, jobs.Explain(serr).Message, now
		return false, false, c.Store.SaveItem(ctx, it)
	}
	it.Attempts++
	it.State, it.JobID, it.RecapID, it.UpdatedAt = ItemQueued, st.ID, st.RecapID, now
	if it.Started.IsZero() {
		it.Started = now
	}
	if strings.HasPrefix(c.follows[f.ID].Notice, "Recaps of new items stopped") {
		c.notice(ctx, f, "")
	}
	return true, false, c.Store.SaveItem(ctx, it)
}

// itemRef names an item's next job for the queue's idempotence: the same
// item and attempt always get the same Ref.
func itemRef(it Item) string {
	h := sha256.Sum256([]byte(it.Key))
	return fmt.Sprintf("follow/%s/%s/%d", it.FollowID, hex.EncodeToString(h[:8]), it.Attempts+1)
}

// jitter spreads d by up to a tenth either way, so that many follows
// added together are not read together.
func jitter(d time.Duration) time.Duration {
	spread := int64(d / 5)
	if spread <= 0 {
		return d
	}
	n, err := rand.Int(rand.Reader, big.NewInt(spread))
	if err != nil {
		return d
	}
	return d - time.Duration(spread/2) + time.Duration(n.Int64())
}

// roundDuration says a duration in hours or minutes.
func roundDuration(d time.Duration) string {
	if d >= 2*time.Hour {
		return fmt.Sprintf("%d hours", int(d.Hours()+0.5))
	}
	return fmt.Sprintf("%d minutes", int(d.Minutes()+0.5))
}

// newID returns 16 random base-32 characters.
func newID() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
	var b [16]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:])
}

// Tick is how often Run looks for due follows; settleEvery how often it
// looks for finished jobs in between.
const (
	Tick        = 30 * time.Second
	settleEvery = 5 * time.Second
)

// Run makes a pass every tick until ctx ends; the first starts at once.
// A file at trigger (when not "") asks for a pass over every follow, due
// or not: the command line and the StartOS action write it for a running
// service. Run looks for it every second and removes it.
func (c *Checker) Run(ctx context.Context, tick time.Duration, trigger string) {
	look := time.NewTicker(time.Second)
	defer look.Stop()
	var next, settled time.Time
	for {
		all := false
		if trigger != "" {
			if err := os.Remove(trigger); err == nil {
				all = true
			}
		}
		switch now := time.Now(); {
		case all || !now.Before(next):
			next, settled = now.Add(tick), now
			c.runPass(ctx, all)
		case now.Sub(settled) >= settleEvery:
			// Record finished jobs soon after they end, between passes.
			settled = now
			if _, err := c.Settle(ctx); err != nil && ctx.Err() == nil {
				c.log().Error("follow: settling jobs failed", "error", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-look.C:
		}
	}
}

// runPass makes one pass and logs what it did.
func (c *Checker) runPass(ctx context.Context, all bool) {
	rep, err := c.Pass(ctx, all)
	if err != nil && ctx.Err() == nil {
		c.log().Error("follow: check failed", "error", err)
	}
	if rep.Checked > 0 || rep.Submitted > 0 || rep.Recapped > 0 {
		c.log().Info("follows checked", "feeds", rep.Checked, "unchanged", rep.Unchanged, "failed", rep.Failed,
			"found", rep.Found, "submitted", rep.Submitted, "recapped", rep.Recapped)
	}
}

// RequestCheck asks a running Run to check every follow at its next
// tick, by writing its trigger file.
func RequestCheck(trigger string) error {
	if err := os.MkdirAll(filepath.Dir(trigger), 0o700); err != nil {
		return fmt.Errorf("follow: %w", err)
	}
	if err := os.WriteFile(trigger, []byte("check\n"), 0o600); err != nil {
		return fmt.Errorf("follow: ask for a check: %w", err)
	}
	return nil
}

// LastPass is when the last pass that read at least one feed ended; zero
// before the first.
func (c *Checker) LastPass() time.Time {
	c.lastMu.Lock()
	defer c.lastMu.Unlock()
	return c.last
}

// Settle records how the jobs of queued items ended, without reading any
// feed, and returns how many items were recapped.
func (c *Checker) Settle(ctx context.Context) (int, error) {
	c.pass.Lock()
	defer c.pass.Unlock()
	follows, err := c.Store.All(ctx)
	if err != nil {
		return 0, err
	}
	c.follows = make(map[string]Follow, len(follows))
	for _, f := range follows {
		c.follows[f.ID] = f
	}
	return c.settle(ctx, c.follows)
}

// Wait settles queued items until none waits for a job, or ctx ends, and
// returns how many were recapped meanwhile (recap follow check without a
// running service).
func (c *Checker) Wait(ctx context.Context) (int, error) {
	recapped := 0
	for {
		n, err := c.Settle(ctx)
		recapped += n
		if err != nil {
			return recapped, err
		}
		items, err := c.Store.Active(ctx)
		if err != nil {
			return recapped, err
		}
		queued := 0
		for _, it := range items {
			if it.State == ItemQueued {
				queued++
			}
		}
		if queued == 0 {
			return recapped, nil
		}
		select {
		case <-ctx.Done():
			return recapped, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
