package credits

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ActorSystem is the actor of changes nobody asked for: refills, forfeits,
// sweeps.
const ActorSystem = "system"

// open loads and settles userID's account inside a write. The settling
// rows are saved under ActorSystem; later moves go under actor.
func (l *Ledger) open(ctx context.Context, tx *sql.Tx, userID, actor string) (*change, error) {
	a, err := loadAccount(ctx, tx, userID)
	if err != nil {
		return nil, err
	}
	if err := l.resolveTier(ctx, a); err != nil {
		return nil, err
	}
	c := &change{a: a, now: l.now(), actor: ActorSystem}
	if l.due(a, c.now) {
		l.settle(c)
		if err := c.save(ctx, tx); err != nil {
			return nil, err
		}
	}
	c.actor = actor
	return c, nil
}

// Balance returns a user's account, settling it first when a refill or a
// tier's end is due.
func (l *Ledger) Balance(ctx context.Context, userID string) (Balance, error) {
	var a *account
	err := l.st.View(ctx, func(tx *sql.Tx) error {
		var err error
		a, err = loadAccount(ctx, tx, userID)
		return err
	})
	if err == nil {
		err = l.resolveTier(ctx, a)
	}
	if err != nil {
		return Balance{}, l.fail("balance of", userID, err)
	}
	if !l.due(a, l.now()) {
		return l.balanceOf(a), nil
	}
	var b Balance
	err = l.st.Update(ctx, func(ctx context.Context, tx *sql.Tx) error {
		c, err := l.open(ctx, tx, userID, ActorSystem)
		if err != nil {
			return err
		}
		b = l.balanceOf(c.a)
		return nil
	})
	return b, l.fail("balance of", userID, err)
}

// fail wraps an error once, leaving the package's sentinels findable.
func (l *Ledger) fail(what, id string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("credits: %s %s: %w", what, id, err)
}

// Reserve holds n credits of userID's for a job that is being submitted,
// taking the replenish bucket first. With too few credits it returns a
// *ShortError and holds nothing. Reserving again for the same job holds
// nothing more.
func (l *Ledger) Reserve(ctx context.Context, userID, jobID string, n int) (Balance, error) {
	if n <= 0 {
		return Balance{}, fmt.Errorf("%w: reserve %d", ErrBadAmount, n)
	}
	var b Balance
	err := l.st.Update(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var owner sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT user_id FROM credit_reservations WHERE job_id = ?`, jobID).Scan(&owner)
		switch {
		case err == nil && owner.String == userID:
			c, err := l.open(ctx, tx, userID, userID)
			if err == nil {
				b = l.balanceOf(c.a)
			}
			return err
		case err == nil:
			return fmt.Errorf("job %s is held by someone else", jobID)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		c, err := l.open(ctx, tx, userID, userID)
		if err != nil {
			return err
		}
		fromR, fromP, err := c.take(jobID, int64(n))
		if err != nil {
			var short *ShortError
			if errors.As(err, &short) {
				short.NextRefill = l.balanceOf(c.a).NextRefill
			}
			return err
		}
		now := c.now.UnixMilli()
		if _, err := tx.ExecContext(ctx, `INSERT INTO credit_reservations
			(job_id, user_id, replenish, purchased, period_start, state, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, 'held', ?, ?)`, jobID, userID, fromR, fromP, c.a.lastRefill, now, now); err != nil {
			return err
		}
		if err := c.save(ctx, tx); err != nil {
			return err
		}
		b = l.balanceOf(c.a)
		return nil
	})
	return b, l.fail("reserve for", jobID, err)
}

// take moves n credits out of the buckets for a job, replenish first.
func (c *change) take(jobID string, n int64) (fromR, fromP int64, err error) {
	if have := c.a.replenish + c.a.purchased; have < n {
		return 0, 0, &ShortError{Need: int(n), Have: int(have)}
	}
	fromR = min(c.a.replenish, n)
	fromP = n - fromR
	if fromR > 0 {
		c.move(KindReserve, BucketReplenish, -fromR, jobID, "", "")
	}
	if fromP > 0 {
		c.move(KindReserve, BucketPurchased, -fromP, jobID, "", "")
	}
	return fromR, fromP, nil
}

// reservation is a credit_reservations row.
type reservation struct {
	jobID       string
	userID      sql.NullString
	trialID     sql.NullString
	replenish   int64
	purchased   int64
	trial       int64
	periodStart sql.NullInt64
	state       string
}

func (r reservation) held() int64 { return r.replenish + r.purchased + r.trial }

func loadReservation(ctx context.Context, q queryer, jobID string) (reservation, error) {
	r := reservation{jobID: jobID}
	err := q.QueryRowContext(ctx, `SELECT user_id, trial_id, replenish, purchased, trial, period_start, state
		FROM credit_reservations WHERE job_id = ?`, jobID).Scan(
		&r.userID, &r.trialID, &r.replenish, &r.purchased, &r.trial, &r.periodStart, &r.state)
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNoReservation
	}
	return r, err
}

// Extend makes a job's held reservation total credits, holding the
// difference (nothing if it holds that many already). With too few
// credits it returns a *ShortError and the reservation stays as it was.
func (l *Ledger) Extend(ctx context.Context, jobID string, total int) error {
	err := l.st.Update(ctx, func(ctx context.Context, tx *sql.Tx) error {
		r, err := loadReservation(ctx, tx, jobID)
		if err != nil {
			return err
		}
		need := int64(total) - r.held()
		if r.state != "held" || need <= 0 {
			return nil
		}
		if r.trialID.Valid {
			return l.extendTrial(ctx, tx, r, need)
		}
		c, err := l.open(ctx, tx, r.userID.String, r.userID.String)
		if err != nil {
			return err
		}
		fromR, fromP, err := c.take(jobID, need)
		if err != nil {
			var short *ShortError
			if errors.As(err, &short) {
				short.Need, short.Have = total, short.Have+int(r.held())
			}
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE credit_reservations SET replenish = replenish + ?, purchased = purchased + ?,
			period_start = ?, updated_at = ? WHERE job_id = ?`, fromR, fromP, c.a.lastRefill, c.now.UnixMilli(), jobID); err != nil {
			return err
		}
		return c.save(ctx, tx)
	})
	return l.fail("extend the reservation of", jobID, err)
}

// end moves a held reservation to state and returns it; ok is false when
// it had ended already.
func (l *Ledger) end(ctx context.Context, tx *sql.Tx, jobID, state string) (r reservation, ok bool, err error) {
	r, err = loadReservation(ctx, tx, jobID)
	if err != nil || r.state != "held" {
		return r, false, err
	}
	_, err = tx.ExecContext(ctx, `UPDATE credit_reservations SET state = ?, updated_at = ? WHERE job_id = ? AND state = 'held'`,
		state, l.now().UnixMilli(), jobID)
	return r, err == nil, err
}

// Commit spends the credits a job holds, once its recap is saved. A
// reservation that has ended already is left as it is.
func (l *Ledger) Commit(ctx context.Context, jobID string) error {
	err := l.st.Update(ctx, func(ctx context.Context, tx *sql.Tx) error {
		r, ok, err := l.end(ctx, tx, jobID, "committed")
		if err != nil || !ok {
			return err
		}
		if r.trialID.Valid {
			_, err := tx.ExecContext(ctx, `UPDATE anon_trials SET last_used_at = ? WHERE cookie_id = ?`, l.now().UnixMilli(), r.trialID.String)
			return err
		}
		c, err := l.open(ctx, tx, r.userID.String, r.userID.String)
		if err != nil {
			return err
		}
		c.a.consumed += r.replenish + r.purchased
		spent := fmt.Sprintf("%d spent", r.replenish+r.purchased)
		if r.replenish > 0 {
			c.note(KindCommit, BucketReplenish, jobID, spent)
		} else {
			c.note(KindCommit, BucketPurchased, jobID, spent)
		}
		return c.save(ctx, tx)
	})
	return l.fail("commit the reservation of", jobID, err)
}

// Release gives back the credits a job holds, when it failed, was
// cancelled or was cut short. Purchased credits always come back; the
// allowance comes back only while its period lasts (a refill since then
// replaced it). A reservation that has ended already is left as it is.
func (l *Ledger) Release(ctx context.Context, jobID string) error {
	err := l.st.Update(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return l.release(ctx, tx, jobID)
	})
	return l.fail("release the reservation of", jobID, err)
}

func (l *Ledger) release(ctx context.Context, tx *sql.Tx, jobID string) error {
	r, ok, err := l.end(ctx, tx, jobID, "released")
	if err != nil || !ok {
		return err
	}
	if r.trialID.Valid {
		_, err := tx.ExecContext(ctx, `UPDATE anon_trials SET credits_used = max(credits_used - ?, 0) WHERE cookie_id = ?`,
			r.trial, r.trialID.String)
		return err
	}
	c, err := l.open(ctx, tx, r.userID.String, ActorSystem)
	if err != nil {
		return err
	}
	if r.purchased > 0 {
		c.move(KindRelease, BucketPurchased, r.purchased, jobID, "", "")
	}
	if r.replenish > 0 {
		if r.periodStart == c.a.lastRefill {
			c.move(KindRelease, BucketReplenish, r.replenish, jobID, "", "")
		} else {
			c.note(KindRelease, BucketReplenish, jobID, fmt.Sprintf("%d forfeited: their period ended while the job ran", r.replenish))
		}
	}
	return c.save(ctx, tx)
}

// ReleaseOlder releases every held reservation made before t and returns
// how many it released. serve calls it at start with the current time
// (no job runs yet, so every held reservation is left from a previous
// run); Sweep calls it with now minus the longest possible job.
func (l *Ledger) ReleaseOlder(ctx context.Context, t time.Time) (int, error) {
	var jobs []string
	err := l.st.View(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT job_id FROM credit_reservations WHERE state = 'held' AND created_at < ?`, t.UnixMilli())
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			jobs = append(jobs, id)
		}
		return rows.Err()
	})
	if err != nil {
		return 0, fmt.Errorf("credits: find stale reservations: %w", err)
	}
	for _, id := range jobs {
		if err := l.Release(ctx, id); err != nil {
			return 0, err
		}
	}
	return len(jobs), nil
}

// Grant says where credits given to a user come from.
type Grant struct {
	Kind    string // KindGrant (default), KindPurchase, KindTrial or KindAdjust
	Actor   string // who gave them: admin:<email>, system, …
	OrderID string // the purchase, for KindPurchase
	Note    string
}

// Add puts n credits in userID's purchased bucket. Only KindAdjust may
// take credits away (n < 0), and never below zero.
func (l *Ledger) Add(ctx context.Context, userID string, n int, g Grant) (Balance, error) {
	if g.Kind == "" {
		g.Kind = KindGrant
	}
	if g.Actor == "" {
		g.Actor = ActorSystem
	}
	if n == 0 || (n < 0 && g.Kind != KindAdjust) || n > 1_000_000_000 || n < -1_000_000_000 {
		return Balance{}, fmt.Errorf("%w: %d credits", ErrBadAmount, n)
	}
	var b Balance
	err := l.st.Update(ctx, func(ctx context.Context, tx *sql.Tx) error {
		c, err := l.open(ctx, tx, userID, g.Actor)
		if err != nil {
			return err
		}
		if err := c.add(int64(n), g); err != nil {
			return err
		}
		if err := c.save(ctx, tx); err != nil {
			return err
		}
		b = l.balanceOf(c.a)
		return nil
	})
	return b, l.fail("add credits to", userID, err)
}

func (c *change) add(n int64, g Grant) error {
	if c.a.purchased+n < 0 {
		return &ShortError{Need: int(-n), Have: int(c.a.purchased)}
	}
	if n > 0 {
		c.a.granted += n
	}
	c.move(g.Kind, BucketPurchased, n, "", g.OrderID, g.Note)
	return nil
}

// Entry is one ledger row.
type Entry struct {
	ID           int64     `json:"id"`
	Kind         string    `json:"kind"`
	Bucket       string    `json:"bucket"`
	Amount       int       `json:"amount"`        // signed change of the bucket
	BalanceAfter int       `json:"balance_after"` // the bucket's balance after it
	JobID        string    `json:"job_id,omitempty"`
	OrderID      string    `json:"order_id,omitempty"`
	Actor        string    `json:"actor"`
	Note         string    `json:"note,omitempty"`
	At           time.Time `json:"at"`
}

// History returns up to limit of a user's ledger rows, newest first,
// older than the row before (all if before is 0).
func (l *Ledger) History(ctx context.Context, userID string, limit int, before int64) ([]Entry, error) {
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	if before <= 0 {
		before = 1 << 62
	}
	var out []Entry
	err := l.st.View(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, kind, bucket, amount, balance_after, job_id, order_id, actor, note, created_at
			FROM credit_ledger WHERE user_id = ? AND id < ? ORDER BY id DESC LIMIT ?`, userID, before, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e Entry
			var job, order, note sql.NullString
			var at int64
			if err := rows.Scan(&e.ID, &e.Kind, &e.Bucket, &e.Amount, &e.BalanceAfter, &job, &order, &e.Actor, &note, &at); err != nil {
				return err
			}
			e.JobID, e.OrderID, e.Note, e.At = job.String, order.String, note.String, time.UnixMilli(at).UTC()
			out = append(out, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("credits: history of %s: %w", userID, err)
	}
	return out, nil
}
