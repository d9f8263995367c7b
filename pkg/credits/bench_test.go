package credits

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/store"
)

// The benchmarks run on a database of 10,000 users with 100 ledger rows
// each (1,000,000 rows), built once per run in a temporary folder.

const (
	benchUsers         = 10_000
	benchRowsPerUser   = 100
	benchWriters       = 32
	benchStartingFunds = 1_000_000
)

var (
	benchOnce  sync.Once
	benchStore *store.Store
	benchIDs   []string
	benchErr   error
)

func benchFixture(b *testing.B) (*store.Store, []string) {
	b.Helper()
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "recap-credits-bench-")
		if err != nil {
			benchErr = err
			return
		}
		benchStore, benchIDs, benchErr = buildBenchStore(dir)
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchStore, benchIDs
}

func buildBenchStore(dir string) (*store.Store, []string, error) {
	ctx := context.Background()
	st, err := store.Open(ctx, dir, store.Options{})
	if err != nil {
		return nil, nil, err
	}
	ids := make([]string, benchUsers)
	var wg sync.WaitGroup
	var failed atomic.Value
	for w := range benchWriters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < benchUsers; i += benchWriters {
				u, err := st.CreateUser(ctx, store.NewUser{Email: fmt.Sprintf("u%05d@example.org", i)})
				if err != nil {
					failed.Store(err)
					return
				}
				ids[i] = u.ID
			}
		}()
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		return nil, nil, err
	}
	now := time.Now().UnixMilli()
	err = st.Update(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
			INSERT INTO credit_ledger (user_id, kind, bucket, amount, balance_after, actor, created_at)
			SELECT u.id, 'grant', 'purchased', 1, n.i, 'system', ? FROM users u, n`, benchRowsPerUser, now); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO tenant_credits
			(user_id, purchased_balance, replenish_balance, last_replenish_at, lifetime_granted, allowance_tier)
			SELECT id, ?, 0, ?, ?, 'core' FROM users`, benchRowsPerUser, now, benchRowsPerUser)
		return err
	})
	return st, ids, err
}

func reportPercentiles(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	b.ReportMetric(float64(d[len(d)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(d[len(d)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkBalanceRead reads the balance of a random user.
func BenchmarkBalanceRead(b *testing.B) {
	st, ids := benchFixture(b)
	l := New(st, Policy{}, Options{})
	ctx := context.Background()
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		id := ids[rand.IntN(len(ids))]
		start := time.Now()
		if _, err := l.Balance(ctx, id); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
	}
	b.StopTimer()
	reportPercentiles(b, times)
}

// BenchmarkReserveCommit has 32 users, one goroutine each, reserving a
// credit and committing it as fast as they can; b.N is the total of
// reserve+commit pairs.
func BenchmarkReserveCommit(b *testing.B) {
	st, ids := benchFixture(b)
	l := New(st, Policy{}, Options{})
	ctx := context.Background()
	users := ids[:benchWriters]
	for _, id := range users {
		if _, err := l.Add(ctx, id, benchStartingFunds, Grant{}); err != nil {
			b.Fatal(err)
		}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for w, id := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; next.Add(1) <= int64(b.N); i++ {
				job := fmt.Sprintf("bench-%d-%d-%d", b.N, w, i)
				if _, err := l.Reserve(ctx, id, job, 1); err != nil {
					b.Error(err)
					return
				}
				if err := l.Commit(ctx, job); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "pairs/s")
}
