package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// writeFunc is one write: it runs inside an IMMEDIATE transaction on the
// writer connection. Its context does not carry the caller's cancellation:
// interrupting a statement in a shared transaction would roll back the
// whole group, so a write that has started runs to its end.
type writeFunc func(ctx context.Context, tx *sql.Tx) error

type writeReq struct {
	ctx  context.Context
	fn   writeFunc
	done chan error
}

// write runs fn as one atomic write and returns its error (or the
// commit's). It waits for its turn while ctx allows; once fn has started,
// ctx no longer interrupts it.
func (s *Store) write(ctx context.Context, fn writeFunc) error {
	select {
	case <-s.stop:
		return ErrClosed
	default:
	}
	req := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case s.reqs <- req:
	case <-s.stop:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.done:
		return err
	case <-s.loopDone:
		// The loop drains what was queued before it stopped; a write
		// queued after that never ran.
		select {
		case err := <-req.done:
			return err
		default:
			return ErrClosed
		}
	}
}

// writeLoop takes queued writes and commits them in groups: it starts a
// transaction with the first waiting write, adds every write already
// queued behind it (up to DefaultMaxGroup), each in its own savepoint, and
// commits once. Under load this turns many small commits into one, which
// is where SQLite spends its time; with a single writer nothing waits on
// a lock, so SQLITE_BUSY cannot reach callers from inside this process.
func (s *Store) writeLoop() {
	defer close(s.loopDone)
	group := make([]*writeReq, 0, DefaultMaxGroup)
	for {
		group = group[:0]
		select {
		case req := <-s.reqs:
			group = append(group, req)
		case <-s.stop:
			// Drain writes queued before Close.
			for {
				select {
				case req := <-s.reqs:
					s.runGroup([]*writeReq{req})
				default:
					return
				}
			}
		}
	fill:
		for len(group) < DefaultMaxGroup {
			select {
			case req := <-s.reqs:
				group = append(group, req)
			default:
				break fill
			}
		}
		s.runGroup(group)
	}
}

// runGroup runs a group of writes in one transaction and answers each.
// Each write of a group runs in its own savepoint, so that one failing
// write leaves the others; a write alone needs none.
func (s *Store) runGroup(group []*writeReq) {
	ctx := context.Background()
	live := dropCancelled(group)
	if len(live) == 0 {
		return
	}
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		for _, r := range live {
			r.done <- fmt.Errorf("store: begin: %w", err)
		}
		return
	}
	if len(live) == 1 {
		runAlone(tx, live[0])
		return
	}
	results, broken := runSavepoints(ctx, tx, live)
	if broken != nil {
		tx.Rollback()
		fillUnset(results, broken)
	} else if err := tx.Commit(); err != nil {
		fillUnset(results, fmt.Errorf("store: commit: %w", err))
	}
	for i, r := range live {
		r.done <- results[i]
	}
}

// dropCancelled answers the writes whose context is already done and
// returns the others.
func dropCancelled(group []*writeReq) []*writeReq {
	live := group[:0:0]
	for _, r := range group {
		if err := r.ctx.Err(); err != nil {
			r.done <- err
			continue
		}
		live = append(live, r)
	}
	return live
}

// runAlone runs a single write in tx and commits it.
func runAlone(tx *sql.Tx, r *writeReq) {
	if err := r.fn(context.WithoutCancel(r.ctx), tx); err != nil {
		tx.Rollback()
		r.done <- err
		return
	}
	if err := tx.Commit(); err != nil {
		r.done <- fmt.Errorf("store: commit: %w", err)
		return
	}
	r.done <- nil
}

// runSavepoints runs each write in a savepoint of tx, rolling a failed
// one back to its savepoint. It returns each write's error and, when the
// transaction itself failed, broken: then no write may be committed.
func runSavepoints(ctx context.Context, tx *sql.Tx, live []*writeReq) (results []error, broken error) {
	results = make([]error, len(live))
	for i, r := range live {
		if broken != nil {
			results[i] = broken
			continue
		}
		results[i], broken = runSavepoint(ctx, tx, r)
	}
	return results, broken
}

// runSavepoint runs one write of a group; see runSavepoints.
func runSavepoint(ctx context.Context, tx *sql.Tx, r *writeReq) (result, broken error) {
	if _, err := tx.ExecContext(ctx, `SAVEPOINT w`); err != nil {
		broken = fmt.Errorf("store: savepoint: %w", err)
		return broken, broken
	}
	if err := r.fn(context.WithoutCancel(r.ctx), tx); err != nil {
		if _, rerr := tx.ExecContext(ctx, `ROLLBACK TO w; RELEASE w`); rerr != nil {
			broken = fmt.Errorf("store: roll back a failed write: %w", rerr)
		}
		return err, broken
	}
	if _, err := tx.ExecContext(ctx, `RELEASE w`); err != nil {
		broken = fmt.Errorf("store: release savepoint: %w", err)
		return broken, broken
	}
	return nil, nil
}

// fillUnset sets each nil result to err.
func fillUnset(results []error, err error) {
	for i := range results {
		if results[i] == nil {
			results[i] = err
		}
	}
}

// read runs fn on a read-only connection inside one transaction, so that
// everything fn reads comes from the same snapshot.
func (s *Store) read(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		if errors.Is(err, sql.ErrConnDone) {
			return ErrClosed
		}
		return fmt.Errorf("store: begin read: %w", err)
	}
	defer tx.Rollback()
	return fn(tx)
}
