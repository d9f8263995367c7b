package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"
)

// Refused sign-in requests cost no write of their own. A flood of link
// requests would otherwise queue one write transaction per request in
// front of everyone else's writes (a real request waited over a second
// behind them). So:
//
//   - the counts that decide a refusal are read on the read pool: admitted
//     requests never leave the window early, so a count read outside the
//     writer can only be too low, and a refusal it justifies is right;
//     only an admission goes through the writer, which checks again;
//   - once the overall limit is used up, the store knows until when (the
//     moment enough admitted requests have left the window) and refuses
//     without reading anything;
//   - each refusal adds one to its bucket's hour in memory; the counts are
//     written together (signin_refusals) every RefusalFlush, when many
//     buckets are waiting, before anything reads them, and at Close. A
//     crash loses at most the counts of the last RefusalFlush.

// RefusalFlush is how often batched refusal counts are written.
const RefusalFlush = 5 * time.Second

// refusalFlushAt is how many buckets may wait in memory before a flush is
// asked for ahead of the timer.
const refusalFlushAt = 1000

type refusalKey struct {
	bucket string
	window int64 // start of the hour, epoch ms
}

type refusalCount struct {
	n    int64
	last int64 // latest refusal, epoch ms
}

// refusalBatch holds refusal counts not yet written and what is known of
// the overall limit.
type refusalBatch struct {
	mu      sync.Mutex
	pending map[refusalKey]refusalCount
	flush   chan struct{} // asks the flush loop for an early flush

	// The overall limit of fullFor is used up until fullUntil (epoch ms).
	fullFor   SignInLimits
	fullUntil int64
}

func (b *refusalBatch) init() {
	b.pending = map[refusalKey]refusalCount{}
	b.flush = make(chan struct{}, 1)
}

// add counts one refusal.
func (b *refusalBatch) add(bucket string, at time.Time) {
	k := refusalKey{bucket: bucket, window: ms(at.Truncate(refusalWindow))}
	b.mu.Lock()
	c := b.pending[k]
	c.n++
	c.last = max(c.last, ms(at))
	b.pending[k] = c
	many := len(b.pending) >= refusalFlushAt
	b.mu.Unlock()
	if many {
		select {
		case b.flush <- struct{}{}:
		default:
		}
	}
}

// full reports whether the overall limit of lim is known to be used up
// at the time at.
func (b *refusalBatch) full(lim SignInLimits, at time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return lim.Total > 0 && lim == b.fullFor && ms(at) < b.fullUntil
}

// setFull records that the overall limit of lim is used up until the
// time until.
func (b *refusalBatch) setFull(lim SignInLimits, until time.Time) {
	b.mu.Lock()
	b.fullFor, b.fullUntil = lim, ms(until)
	b.mu.Unlock()
}

// forgetFull drops what is known of the overall limit (rows in the
// window were deleted).
func (b *refusalBatch) forgetFull() {
	b.mu.Lock()
	b.fullFor, b.fullUntil = SignInLimits{}, 0
	b.mu.Unlock()
}

// FlushRefusals writes the batched refusal counts now, in one
// transaction, and keeps their table within MaxRefusalRows.
func (s *Store) FlushRefusals(ctx context.Context) error {
	s.refusals.mu.Lock()
	batch := s.refusals.pending
	if len(batch) == 0 {
		s.refusals.mu.Unlock()
		return nil
	}
	s.refusals.pending = make(map[refusalKey]refusalCount, len(batch))
	s.refusals.mu.Unlock()
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO signin_refusals (ip_bucket, window_start, count, last_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (ip_bucket, window_start) DO UPDATE SET count = count + excluded.count, last_at = max(last_at, excluded.last_at)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for k, c := range batch {
			if _, err := stmt.ExecContext(ctx, k.bucket, k.window, c.n, c.last); err != nil {
				return err
			}
		}
		return trimRefusals(ctx, tx)
	})
	if err != nil {
		// Put them back for the next try.
		s.refusals.mu.Lock()
		for k, c := range batch {
			cur := s.refusals.pending[k]
			s.refusals.pending[k] = refusalCount{n: cur.n + c.n, last: max(cur.last, c.last)}
		}
		s.refusals.mu.Unlock()
		return fmt.Errorf("store: write sign-in refusals: %w", err)
	}
	return nil
}

// trimRefusals deletes the oldest refusal counts beyond MaxRefusalRows.
func trimRefusals(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM signin_refusals WHERE rowid IN (
		SELECT rowid FROM signin_refusals ORDER BY window_start DESC, last_at DESC LIMIT -1 OFFSET ?)`, MaxRefusalRows)
	return err
}

// flushLoop writes batched session uses every Options.TouchFlush and
// batched refusal counts every RefusalFlush (sooner when many wait),
// until Close.
func (s *Store) flushLoop() {
	defer close(s.flushDone)
	touches := time.NewTicker(s.opt.TouchFlush)
	defer touches.Stop()
	refusals := time.NewTicker(RefusalFlush)
	defer refusals.Stop()
	for {
		var flush func(context.Context) error
		select {
		case <-s.flushStop:
			return
		case <-touches.C:
			flush = s.FlushTouches
		case <-refusals.C:
			flush = s.FlushRefusals
		case <-s.refusals.flush:
			flush = s.FlushRefusals
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		flush(ctx) // on failure what was batched stays for the next turn
		cancel()
	}
}
