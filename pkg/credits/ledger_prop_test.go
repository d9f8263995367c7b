package credits

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// TestLedgerProperties runs random sequences of grants, reservations,
// extensions, commits, releases, tier changes, sweeps and clock jumps on
// a real database and checks after every step that the ledger sums to
// the balances, that nothing is negative, that each step moved exactly
// what it should, and that lifetime_consumed is what committed jobs held.
func TestLedgerProperties(t *testing.T) {
	// Each run has a database of its own (a sweep sees every account), so
	// runs are few unless -rapid.checks asks for more.
	if f := flag.Lookup("rapid.checks"); f != nil && f.Value.String() == f.DefValue {
		flag.Set("rapid.checks", "25")
		defer flag.Set("rapid.checks", f.DefValue)
	}
	runs := 0
	rapid.Check(t, func(rt *rapid.T) {
		ctx := context.Background()
		clk := newClock()
		runs++
		dir := filepath.Join(t.TempDir(), fmt.Sprint(runs))
		st := openStore(t, dir, clk)
		defer st.Close()
		l := New(st, testPolicy(), Options{Now: clk.now})
		user := newUser(t, st, "p@example.org")
		var jobs []string
		committed := 0

		total := func() Balance {
			b, err := l.Balance(ctx, user)
			if err != nil {
				rt.Fatal(err)
			}
			return b
		}
		held := func(job string) (int, string) {
			var n int
			var state string
			st.View(ctx, func(tx *sql.Tx) error {
				return tx.QueryRow(`SELECT replenish + purchased, state FROM credit_reservations WHERE job_id = ?`, job).Scan(&n, &state)
			})
			return n, state
		}
		pick := func(rt *rapid.T) string {
			return rapid.SampledFrom(jobs).Draw(rt, "job")
		}
		rt.Repeat(map[string]func(*rapid.T){
			"grant": func(rt *rapid.T) {
				n := rapid.IntRange(1, 30).Draw(rt, "n")
				before := total()
				after, err := l.Add(ctx, user, n, Grant{Actor: "admin:o@example.org"})
				if err != nil || after.Purchased != before.Purchased+n || after.Replenish != before.Replenish {
					rt.Fatalf("grant %d: %+v -> %+v, %v", n, before, after, err)
				}
			},
			"adjust": func(rt *rapid.T) {
				n := rapid.IntRange(-30, -1).Draw(rt, "n")
				before := total()
				after, err := l.Add(ctx, user, n, Grant{Kind: KindAdjust})
				if before.Purchased+n < 0 {
					if !errors.Is(err, ErrNotEnough) {
						rt.Fatalf("adjust below zero: %v", err)
					}
					return
				}
				if err != nil || after.Purchased != before.Purchased+n {
					rt.Fatalf("adjust %d: %+v -> %+v, %v", n, before, after, err)
				}
			},
			"reserve": func(rt *rapid.T) {
				n := rapid.IntRange(1, 15).Draw(rt, "n")
				job := fmt.Sprintf("r%dj%d", runs, len(jobs))
				before := total()
				after, err := l.Reserve(ctx, user, job, n)
				if before.Total() < n {
					if !errors.Is(err, ErrNotEnough) {
						rt.Fatalf("reserve %d of %d: %v", n, before.Total(), err)
					}
					return
				}
				if err != nil || after.Total() != before.Total()-n ||
					after.Replenish != max(before.Replenish-n, 0) {
					rt.Fatalf("reserve %d: %+v -> %+v, %v", n, before, after, err)
				}
				jobs = append(jobs, job)
			},
			"extend": func(rt *rapid.T) {
				if len(jobs) == 0 {
					rt.Skip("no jobs")
				}
				job := pick(rt)
				h, state := held(job)
				want := h + rapid.IntRange(0, 10).Draw(rt, "more")
				before := total()
				err := l.Extend(ctx, job, want)
				after := total()
				switch {
				case state != "held" || want == h:
					if err != nil || after != before {
						rt.Fatalf("extend of an ended or full job changed things: %v", err)
					}
				case before.Total() < want-h:
					if !errors.Is(err, ErrNotEnough) || after != before {
						rt.Fatalf("extend beyond the balance: %v", err)
					}
				default:
					if h2, _ := held(job); err != nil || h2 != want || after.Total() != before.Total()-(want-h) {
						rt.Fatalf("extend to %d: held %d, %+v -> %+v, %v", want, h2, before, after, err)
					}
				}
			},
			"commit": func(rt *rapid.T) {
				if len(jobs) == 0 {
					rt.Skip("no jobs")
				}
				job := pick(rt)
				h, state := held(job)
				before := total()
				if err := l.Commit(ctx, job); err != nil {
					rt.Fatal(err)
				}
				after := total()
				if state == "held" {
					committed += h
				}
				if after.Total() != before.Total() || after.LifetimeConsumed != committed {
					rt.Fatalf("commit: %+v -> %+v, committed %d", before, after, committed)
				}
			},
			"release": func(rt *rapid.T) {
				if len(jobs) == 0 {
					rt.Skip("no jobs")
				}
				job := pick(rt)
				h, state := held(job)
				before := total()
				if err := l.Release(ctx, job); err != nil {
					rt.Fatal(err)
				}
				after := total()
				if state != "held" && after != before {
					rt.Fatalf("a second end changed the balance: %+v -> %+v", before, after)
				}
				if state == "held" && (after.Total() < before.Total() || after.Total() > before.Total()+h) {
					rt.Fatalf("release of %d: %+v -> %+v", h, before, after)
				}
				if _, s := held(job); s == "held" {
					rt.Fatalf("still held after release")
				}
			},
			"tier": func(rt *rapid.T) {
				tier := rapid.SampledFrom([]string{TierCore, TierPro, TierMax}).Draw(rt, "tier")
				var until time.Time
				if rapid.Bool().Draw(rt, "ends") {
					until = clk.now().Add(time.Duration(rapid.IntRange(1, 60).Draw(rt, "days")) * day)
				}
				before := total()
				after, err := l.SetTier(ctx, user, tier, until, "admin:o@example.org")
				if err != nil || after.Tier != tier || after.Purchased != before.Purchased {
					rt.Fatalf("set tier %s: %+v -> %+v, %v", tier, before, after, err)
				}
			},
			"time": func(rt *rapid.T) {
				clk.add(time.Duration(rapid.IntRange(0, 45*24).Draw(rt, "hours")) * time.Hour)
				b := total()
				if b.Tier != TierCore && !b.TierExpiresAt.IsZero() && !clk.now().Before(b.TierExpiresAt) {
					rt.Fatalf("an ended tier is still in force: %+v", b)
				}
				if !clk.now().Before(b.NextRefill) || clk.now().Before(b.LastRefill) {
					rt.Fatalf("the period does not hold now: %+v at %v", b, clk.now())
				}
			},
			"sweep": func(rt *rapid.T) {
				if _, err := l.Sweep(ctx); err != nil {
					rt.Fatal(err)
				}
			},
			"": func(rt *rapid.T) {
				checkSums(rt, st)
			},
		})
	})
}
