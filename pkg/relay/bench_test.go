package relay

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/recap-startos/recap/pkg/recap"
	"github.com/recap-startos/recap/pkg/summarize"
)

// Benchmarks of one relay on loopback (figures in docs/relay.md and
// docs/perf.md). Each HTTP request is a real request through the API:
// bearer lookup, JSON, one IMMEDIATE transaction with its ledger row.

// BenchmarkRelayTierUpdate: POST /relay/v1/user-tier for distinct users
// from 8 concurrent clients; reports the database bytes per user.
func BenchmarkRelayTierUpdate(b *testing.B) {
	ctx := context.Background()
	r := newTestRelay(b)
	c := r.license(b, "inst-a")
	var n atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			if _, err := c.SetTier(ctx, TierUpdate{InstallID: "inst-a", UserID: fmt.Sprintf("user-%09d", i), Tier: TierPro, AddDays: 30, Key: fmt.Sprintf("k%d", i)}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.StopTimer()
	r.st.w.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	if fi, err := os.Stat(filepath.Join(filepath.Dir(r.st.Path()), DBFileName)); err == nil && n.Load() > 0 {
		b.ReportMetric(float64(fi.Size())/float64(n.Load()), "db-bytes/user")
	}
}

// BenchmarkRelayChangesPoll: an instance's poll for changes when nothing
// changed, the request every instance makes every minute.
func BenchmarkRelayChangesPoll(b *testing.B) {
	ctx := context.Background()
	r := newTestRelay(b)
	c := r.license(b, "inst-a")
	for i := range 1000 {
		if _, _, err := r.st.SetTier(ctx, "operator", TierUpdate{InstallID: "inst-a", UserID: fmt.Sprint("u", i), Tier: TierPro}); err != nil {
			b.Fatal(err)
		}
	}
	last, _ := c.Changes(ctx, "inst-a", 0)
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if l, err := c.Changes(ctx, "inst-a", 1000); err != nil || len(l.Users) != 0 {
				b.Fatal(err, last.Last)
			}
		}
	})
}

// BenchmarkRelayRecap: POST /relay/v1/recap of a 100-unit transcript with
// the fake model answering at once: the relay's own cost per recap
// (metering, validation on both ends), not a model's.
func BenchmarkRelayRecap(b *testing.B) {
	ctx := context.Background()
	r := newTestRelay(b)
	c := r.license(b, "inst-a")
	r.st.Grant(ctx, "inst-a", 1_000_000_000, "")
	tr := talk(b)
	tr.Units = tr.Units[:100]
	eng, err := summarize.NewRelay(summarize.RelayOptions{URL: r.srv.URL, LLM: summarize.LLMOptions{Log: quiet},
		Account: func(context.Context, string) (summarize.RelayAccount, error) {
			return summarize.RelayAccount{InstallID: "inst-a", License: c.license}, nil
		}})
	if err != nil {
		b.Fatal(err)
	}
	b.SetParallelism(2)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			doc, err := eng.Summarize(ctx, tr, nil)
			if err != nil || doc.Engine.Name != recap.EngineRelay {
				b.Fatal(err, doc.Engine.Note)
			}
		}
	})
}
