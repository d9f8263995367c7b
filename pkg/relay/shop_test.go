package relay

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/store"
)

// TestShopTellsReachability: the instance learns that its relay is down
// from a failed checkout call, not only from the next poll, and learns
// it is back from any answer, a refusal included.
func TestShopTellsReachability(t *testing.T) {
	ctx := context.Background()
	r := newE2ERelay(t)
	key := r.license(t, "inst-a").license
	c, err := NewClient(r.url, key, &http.Client{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	// No sync loop runs: only the shop's calls tell the state.
	sy := NewSync(SyncOptions{Client: c, Log: quiet})
	shop := &Shop{Client: c, Sync: sy}
	if !sy.Status().Reachable {
		t.Fatal("unreachable before any call")
	}

	r.sw.down.Store(true)
	if _, err := shop.Offers(ctx); !errors.Is(err, ErrUnreachable) {
		t.Fatalf("offers with the relay down: %v", err)
	}
	st := sy.Status()
	if st.Reachable || st.DownSince.IsZero() || st.Error == "" {
		t.Fatalf("after a failed call: %+v", st)
	}
	since := st.DownSince
	if _, err := shop.Checkout(ctx, "ro_missing"); !errors.Is(err, ErrUnreachable) {
		t.Fatalf("checkout with the relay down: %v", err)
	}
	if st := sy.Status(); st.Reachable || !st.DownSince.Equal(since) {
		t.Fatalf("a second failure moved the outage's start: %+v, was %v", st, since)
	}

	r.sw.down.Store(false)
	if _, err := shop.Checkout(ctx, "ro_missing"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("checkout of an unknown order: %v", err)
	}
	if st := sy.Status(); !st.Reachable || st.LastOK.IsZero() || st.Error != "" {
		t.Fatalf("after the relay refused a call: %+v", st)
	}

	// A cancelled call says nothing about the relay.
	r.sw.down.Store(true)
	shop.Offers(ctx)
	r.sw.down.Store(false)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := shop.Offers(cctx); err == nil {
		t.Fatal("a cancelled call succeeded")
	}
	if sy.Status().Reachable {
		t.Fatal("a cancelled call marked the relay reachable")
	}
}

// TestEffectiveHeldUntil: while the relay cannot be reached, a paid tier
// with an expiry says until when it is held; otherwise nothing is held.
func TestEffectiveHeldUntil(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	grace := 72 * time.Hour
	for _, tc := range []struct {
		name      string
		tier      string
		expiry    time.Time
		down      bool
		want      string
		held      bool
		heldUntil time.Time
	}{
		{"pro ahead, relay up", TierPro, now.Add(48 * time.Hour), false, TierPro, false, time.Time{}},
		{"pro ahead, relay down", TierPro, now.Add(48 * time.Hour), true, TierPro, false, now.Add(120 * time.Hour)},
		{"pro ended, relay down", TierPro, now.Add(-time.Hour), true, TierPro, true, now.Add(71 * time.Hour)},
		{"pro ended past grace, relay down", TierPro, now.Add(-73 * time.Hour), true, TierCore, false, now.Add(-time.Hour)},
		{"pro ended, relay up", TierPro, now.Add(-time.Hour), false, TierCore, false, time.Time{}},
		{"max without expiry, relay down", TierMax, time.Time{}, true, TierMax, false, time.Time{}},
		{"core, relay down", TierCore, now.Add(-time.Hour), true, TierCore, false, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := effective(store.TierState{Tier: tc.tier, Expiry: tc.expiry}, now, tc.down, grace)
			if e.Tier != tc.want || e.Held != tc.held || !e.HeldUntil.Equal(tc.heldUntil) {
				t.Fatalf("got %+v, want tier %s held %v until %v", e, tc.want, tc.held, tc.heldUntil)
			}
		})
	}
}
