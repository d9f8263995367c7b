package credits

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/store"
)

// clock is a settable time source for tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

const day = 24 * time.Hour

func openStore(t testing.TB, dir string, clk *clock) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), dir, store.Options{Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func testPolicy() Policy {
	return Policy{Tiers: map[string]Plan{
		TierCore: {Credits: 10, MaxHours: 2, MaxWaiting: 3},
		TierPro:  {Credits: 100, MaxHours: 6, LLM: true, MaxWaiting: 10},
		TierMax:  {Credits: 500, MaxHours: 6, LLM: true, MaxWaiting: 20},
	}, Period: 30 * day}
}

func newUser(t testing.TB, st *store.Store, email string) string {
	t.Helper()
	u, err := st.CreateUser(context.Background(), store.NewUser{Email: email})
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// checkSums fails unless every user's ledger rows sum to their buckets
// and no balance is negative.
func checkSums(t interface{ Fatal(...any) }, st *store.Store) {
	err := st.View(context.Background(), func(tx *sql.Tx) error {
		rows, err := tx.Query(`SELECT c.user_id, c.replenish_balance, c.purchased_balance,
			coalesce((SELECT sum(amount) FROM credit_ledger l WHERE l.user_id = c.user_id AND bucket = 'replenish'), 0),
			coalesce((SELECT sum(amount) FROM credit_ledger l WHERE l.user_id = c.user_id AND bucket = 'purchased'), 0)
			FROM tenant_credits c`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var r, p, sr, sp int64
			if err := rows.Scan(&id, &r, &p, &sr, &sp); err != nil {
				return err
			}
			if r != sr || p != sp || r < 0 || p < 0 {
				return fmt.Errorf("user %s: buckets %d/%d, ledger sums %d/%d", id, r, p, sr, sp)
			}
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSignupAllowanceAndSpendOrder(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	st := openStore(t, t.TempDir(), clk)
	l := New(st, testPolicy(), Options{Now: clk.now})
	u := newUser(t, st, "a@example.org")
	b, err := l.Balance(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if b.Replenish != 10 || b.Purchased != 0 || b.Tier != TierCore || !b.NextRefill.Equal(clk.now().Add(30*day)) {
		t.Fatalf("new account: %+v", b)
	}
	if _, err := l.Add(ctx, u, 5, Grant{Actor: "admin:o@example.org", Note: "welcome"}); err != nil {
		t.Fatal(err)
	}
	b, err = l.Reserve(ctx, u, "job1", 12)
	if err != nil {
		t.Fatal(err)
	}
	if b.Replenish != 0 || b.Purchased != 3 {
		t.Fatalf("replenish is spent first: %+v", b)
	}
	if _, err := l.Reserve(ctx, u, "job2", 4); !errors.Is(err, ErrNotEnough) {
		t.Fatalf("reserve beyond the balance: %v", err)
	} else if short := new(ShortError); !errors.As(err, &short) || short.Need != 4 || short.Have != 3 {
		t.Fatalf("short error: %v", err)
	}
	if err := l.Release(ctx, "job1"); err != nil {
		t.Fatal(err)
	}
	if err := l.Commit(ctx, "job1"); err != nil { // after release: nothing
		t.Fatal(err)
	}
	b, _ = l.Balance(ctx, u)
	if b.Replenish != 10 || b.Purchased != 5 || b.LifetimeConsumed != 0 || b.LifetimeGranted != 15 {
		t.Fatalf("after release: %+v", b)
	}
	if _, err := l.Reserve(ctx, u, "job3", 2); err != nil {
		t.Fatal(err)
	}
	if err := l.Commit(ctx, "job3"); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(ctx, "job3"); err != nil { // after commit: nothing
		t.Fatal(err)
	}
	b, _ = l.Balance(ctx, u)
	if b.Total() != 13 || b.LifetimeConsumed != 2 {
		t.Fatalf("after commit: %+v", b)
	}
	if users, spent, err := l.Usage(ctx); err != nil || users != 1 || spent != 2 {
		t.Fatalf("usage: %d users, %d spent, %v", users, spent, err)
	}
	h, err := l.History(ctx, u, 50, 0)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range h {
		kinds = append(kinds, e.Kind)
	}
	want := "[commit reserve release release reserve reserve grant signup]"
	if fmt.Sprint(kinds) != want {
		t.Fatalf("history kinds %v, want %s", kinds, want)
	}
	checkSums(t, st)
}

func TestRefillBoundaries(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	st := openStore(t, t.TempDir(), clk)
	l := New(st, testPolicy(), Options{Now: clk.now})
	u := newUser(t, st, "a@example.org")
	start := clk.now()
	if _, err := l.Reserve(ctx, u, "j", 7); err != nil {
		t.Fatal(err)
	}
	if err := l.Commit(ctx, "j"); err != nil {
		t.Fatal(err)
	}
	clk.add(30*day - time.Millisecond)
	if b, _ := l.Balance(ctx, u); b.Replenish != 3 {
		t.Fatalf("a millisecond before the boundary: %+v", b)
	}
	clk.add(time.Millisecond)
	b, _ := l.Balance(ctx, u)
	if b.Replenish != 10 || !b.LastRefill.Equal(start.Add(30*day)) {
		t.Fatalf("at the boundary: %+v", b)
	}
	// Idle for five periods and a bit: one refill, anchored at the last boundary.
	clk.add(5*30*day + 3*day)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := l.Balance(ctx, u); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	b, _ = l.Balance(ctx, u)
	if b.Replenish != 10 || !b.LastRefill.Equal(start.Add(6*30*day)) {
		t.Fatalf("after five idle periods: %+v", b)
	}
	h, _ := l.History(ctx, u, 100, 0)
	refills := 0
	for _, e := range h {
		if e.Kind == KindRefill {
			refills++
		}
	}
	if refills != 2 {
		t.Fatalf("%d refills, want 2: %+v", refills, h)
	}
	checkSums(t, st)
}

func TestReleaseAfterPeriodEndedForfeitsAllowance(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	st := openStore(t, t.TempDir(), clk)
	l := New(st, testPolicy(), Options{Now: clk.now})
	u := newUser(t, st, "a@example.org")
	l.Add(ctx, u, 5, Grant{})
	if _, err := l.Reserve(ctx, u, "j", 12); err != nil {
		t.Fatal(err)
	}
	clk.add(31 * day)
	if err := l.Release(ctx, "j"); err != nil {
		t.Fatal(err)
	}
	b, _ := l.Balance(ctx, u)
	if b.Replenish != 10 || b.Purchased != 5 {
		t.Fatalf("allowance never exceeds the plan, purchased comes back: %+v", b)
	}
	checkSums(t, st)
}

func TestTierExpiryFallsBackAtRead(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	st := openStore(t, t.TempDir(), clk)
	l := New(st, testPolicy(), Options{Now: clk.now})
	u := newUser(t, st, "a@example.org")
	l.Balance(ctx, u)
	b, err := l.SetTier(ctx, u, TierPro, clk.now().Add(10*day), "admin:o@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if b.Tier != TierPro || b.Replenish != 100 || !b.NextRefill.Equal(clk.now().Add(30*day)) {
		t.Fatalf("upgrade refills at once: %+v", b)
	}
	if _, err := l.SetTier(ctx, u, "gold", time.Time{}, ""); !errors.Is(err, ErrUnknownTier) {
		t.Fatalf("unknown tier: %v", err)
	}
	clk.add(10 * day)
	tier, exp, err := l.Tier(ctx, u)
	if err != nil || tier != TierCore || !exp.IsZero() {
		t.Fatalf("after expiry: %s %v %v", tier, exp, err)
	}
	// users.tier belongs to the tier authority; the ledger only reads it.
	if usr, _ := st.UserByID(ctx, u); usr.Tier != TierPro {
		t.Fatalf("users.tier is %q", usr.Tier)
	}
	b, _ = l.Balance(ctx, u)
	if b.Replenish != 10 {
		t.Fatalf("allowance capped to core's: %+v", b)
	}
	var subs int
	st.View(ctx, func(tx *sql.Tx) error {
		return tx.QueryRow(`SELECT count(*) FROM subscriptions WHERE user_id = ? AND tier = 'pro'`, u).Scan(&subs)
	})
	if subs != 1 {
		t.Fatalf("%d subscription rows", subs)
	}
	checkSums(t, st)
}

func TestSweepReleasesStaleAndRefills(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	st := openStore(t, t.TempDir(), clk)
	l := New(st, testPolicy(), Options{Now: clk.now})
	a, b := newUser(t, st, "a@example.org"), newUser(t, st, "b@example.org")
	l.Reserve(ctx, a, "stale", 3)
	l.Reserve(ctx, b, "x", 1)
	l.Commit(ctx, "x")
	clk.add(7 * time.Hour)
	res, err := l.Sweep(ctx)
	if err != nil || res.Released != 1 || res.Settled != 0 {
		t.Fatalf("sweep: %+v %v", res, err)
	}
	clk.add(30 * day)
	res, err = l.Sweep(ctx)
	if err != nil || res.Released != 0 || res.Settled != 2 {
		t.Fatalf("sweep: %+v %v", res, err)
	}
	var last int64
	st.View(ctx, func(tx *sql.Tx) error {
		return tx.QueryRow(`SELECT replenish_balance FROM tenant_credits WHERE user_id = ?`, b).Scan(&last)
	})
	if last != 10 {
		t.Fatalf("the sweep refilled to %d", last)
	}
	checkSums(t, st)
}

// TestConcurrentReservations is 64 submissions at once against a
// balance of 10: exactly 10 hold credits, and no reader ever sees a
// negative balance.
func TestConcurrentReservations(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	st := openStore(t, t.TempDir(), clk)
	l := New(st, testPolicy(), Options{Now: clk.now})
	u := newUser(t, st, "a@example.org")
	if b, _ := l.Balance(ctx, u); b.Total() != 10 {
		t.Fatal(b)
	}
	stop := make(chan struct{})
	var negative atomic.Bool
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			st.View(ctx, func(tx *sql.Tx) error {
				var r, p int64
				tx.QueryRow(`SELECT replenish_balance, purchased_balance FROM tenant_credits WHERE user_id = ?`, u).Scan(&r, &p)
				if r < 0 || p < 0 {
					negative.Store(true)
				}
				return nil
			})
		}
	}()
	var ok, short atomic.Int32
	var wg sync.WaitGroup
	gate := make(chan struct{})
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			_, err := l.Reserve(ctx, u, fmt.Sprintf("job%d", i), 1)
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, ErrNotEnough):
				short.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	close(gate)
	wg.Wait()
	close(stop)
	if ok.Load() != 10 || short.Load() != 54 || negative.Load() {
		t.Fatalf("%d reserved, %d refused, negative seen: %v", ok.Load(), short.Load(), negative.Load())
	}
	checkSums(t, st)
}

func TestOpeningBalanceOfOlderDatabases(t *testing.T) {
	// A balance written before the ledger existed gets an opening row.
	ctx := context.Background()
	clk := newClock()
	dir := t.TempDir()
	st := openStore(t, dir, clk)
	u := newUser(t, st, "a@example.org")
	err := st.Update(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO credit_ledger (user_id, kind, bucket, amount, balance_after, actor, created_at)
			VALUES (?, 'opening', 'purchased', 17, 17, 'system', 0)`, u)
		if err == nil {
			_, err = tx.Exec(`INSERT INTO tenant_credits (user_id, purchased_balance, replenish_balance, last_replenish_at, lifetime_granted)
			VALUES (?, 17, 0, ?, 17)`, u, clk.now().UnixMilli())
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	l := New(st, testPolicy(), Options{Now: clk.now})
	b, err := l.Balance(ctx, u)
	if err != nil || b.Purchased != 17 {
		t.Fatalf("%+v %v", b, err)
	}
	checkSums(t, st)
}
