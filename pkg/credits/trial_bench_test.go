package credits

import (
	"context"
	"database/sql"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/store"
)

// The trial benchmarks run on a database holding 100,000 trials of the
// last week (a busy public instance), spread over 20,000 client buckets.
const benchTrials = 100_000

var (
	trialBenchOnce    sync.Once
	trialBenchStore   *store.Store
	trialBenchCookies []string
	trialBenchErr     error
)

func trialBenchFixture(b *testing.B) (*Ledger, []string) {
	b.Helper()
	trialBenchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "recap-trial-bench-")
		if err != nil {
			trialBenchErr = err
			return
		}
		ctx := context.Background()
		st, err := store.Open(ctx, dir, store.Options{})
		if err != nil {
			trialBenchErr = err
			return
		}
		now := time.Now()
		trialBenchErr = st.Update(ctx, func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
				INSERT INTO anon_trials (cookie_id, ip_address, created_at, credits_total, credits_used, ip_bucket)
				SELECT printf('%064x', i), '10.' || (i % 20000 / 256) || '.' || (i % 256) || '.1',
					? - (i * 6048), 3, i % 4, '10.' || (i % 20000 / 256) || '.' || (i % 256) || '.1' FROM n`,
				benchTrials, now.UnixMilli())
			return err
		})
		trialBenchStore = st
		// A few live trials whose cookies the read benchmark looks up.
		l := New(st, Policy{TrialCredits: 3, TrialsPerBucket: 1 << 30}, Options{})
		for i := range 1000 {
			c, _, err := l.MintTrial(ctx, TrialClient{Addr: netip.AddrFrom4([4]byte{192, 0, 2, byte(i)})})
			if err != nil {
				trialBenchErr = err
				return
			}
			trialBenchCookies = append(trialBenchCookies, c)
		}
	})
	if trialBenchErr != nil {
		b.Fatal(trialBenchErr)
	}
	return New(trialBenchStore, Policy{TrialCredits: 3, TrialsPerBucket: 3}, Options{}), trialBenchCookies
}

// BenchmarkTrialByCookie: the lookup every request of a trial holder
// makes.
func BenchmarkTrialByCookie(b *testing.B) {
	l, cookies := trialBenchFixture(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := l.TrialByCookie(ctx, cookies[i%len(cookies)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMintTrial: starting a trial, the capped count and the insert
// in one write, each from a new IPv6 /64 of one /48 that is not full.
func BenchmarkMintTrial(b *testing.B) {
	l, _ := trialBenchFixture(b)
	l.pol.TrialsPerBucket = 1 << 20 // the /48's looser cap must not stop the loop
	ctx := context.Background()
	base := netip.MustParseAddr("2001:db8:77::").As16()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		a := base
		a[6], a[7] = byte(i>>8), byte(i)
		if _, _, err := l.MintTrial(ctx, TrialClient{Addr: netip.AddrFrom16(a)}); err != nil {
			b.Fatal(err)
		}
	}
}
