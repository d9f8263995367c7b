package store

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkSignInFlood measures the store's side of a flood of link
// requests from ever-new addresses once the overall limit is used up:
// one refused request, with every core refusing.
//
//	go test -run '^$' -bench SignInFlood -benchmem ./pkg/store/
func BenchmarkSignInFlood(b *testing.B) {
	ctx := context.Background()
	full := SignInLimits{Window: 15 * time.Minute, PerEmail: 5, PerBucket: 20, Total: 300}
	open := func(b *testing.B) *Store {
		st, err := Open(ctx, b.TempDir(), Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		for i := range full.Total {
			if ok, err := st.AdmitSignInRequest(ctx, SignInRequest{Email: fmt.Sprintf("a%d@example.org", i), IPBucket: fmt.Sprintf("b%d", i)}, full); err != nil || !ok {
				b.Fatalf("fill: %v %v", ok, err)
			}
		}
		return st
	}
	var n atomic.Int64
	flood := func(st *Store) error {
		i := n.Add(1)
		ok, err := st.AdmitSignInRequest(ctx, SignInRequest{Email: fmt.Sprintf("f%d@example.org", i), IPBucket: fmt.Sprintf("198.18.%d.%d", i/256%256, i%256)}, full)
		if ok {
			return fmt.Errorf("flood request %d admitted", i)
		}
		return err
	}
	b.Run("refused", func(b *testing.B) {
		st := open(b)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := flood(st); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
