package credits

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/store"
)

func trialPolicy() Policy {
	p := testPolicy()
	p.TrialCredits, p.TrialsPerBucket = 3, 3
	return p
}

func client(addr string) TrialClient {
	if addr == "" {
		return TrialClient{}
	}
	return TrialClient{Addr: netip.MustParseAddr(addr), UserAgent: "test"}
}

func TestTrialBuckets(t *testing.T) {
	for _, tc := range []struct {
		name         string
		c            TrialClient
		bucket, wide string
	}{
		{"ipv4", client("192.0.2.7"), "192.0.2.7", ""},
		{"ipv4 mapped", client("::ffff:192.0.2.7"), "192.0.2.7", ""},
		{"ipv6", client("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64", "2001:db8:1::/48"},
		{"unknown", TrialClient{}, TorBucket, ""},
		{"tor", TrialClient{Addr: netip.MustParseAddr("127.0.0.1"), Tor: true}, TorBucket, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if b, w := tc.c.Buckets(); b != tc.bucket || w != tc.wide {
				t.Fatalf("buckets %q %q, want %q %q", b, w, tc.bucket, tc.wide)
			}
		})
	}
}

// TestTrialCaps: three trials per bucket per 24 hours, even when 16
// requests arrive at once; the addresses of one IPv6 /64 share a bucket;
// other /64s of the same /48 may start trials up to four times the cap;
// Tor and unknown addresses share one bucket; the next day it starts over.
func TestTrialCaps(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	st := openStore(t, t.TempDir(), clk)
	l := New(st, trialPolicy(), Options{Now: clk.now})

	var ok, capped atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, _, err := l.MintTrial(ctx, client("198.51.100.9"))
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, ErrTrialCap):
				capped.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if ok.Load() != 3 || capped.Load() != 13 {
		t.Fatalf("%d started, %d refused", ok.Load(), capped.Load())
	}
	mint := func(c TrialClient) error {
		_, _, err := l.MintTrial(ctx, c)
		return err
	}
	// One /64: three, whatever the host part.
	for i := range 3 {
		if err := mint(client(fmt.Sprintf("2001:db8:5:1::%x", i+1))); err != nil {
			t.Fatal(err)
		}
	}
	if err := mint(client("2001:db8:5:1:ffff::9")); !errors.Is(err, ErrTrialCap) {
		t.Fatalf("fourth in a /64: %v", err)
	}
	// Other /64s of the /48: up to 12 in the /48 in all.
	for i := range 9 {
		if err := mint(client(fmt.Sprintf("2001:db8:5:%x::1", i+2))); err != nil {
			t.Fatalf("/64 number %d of the /48: %v", i+2, err)
		}
	}
	if err := mint(client("2001:db8:5:ff::1")); !errors.Is(err, ErrTrialCap) {
		t.Fatalf("13th in a /48: %v", err)
	}
	if err := mint(client("2001:db8:6::1")); err != nil {
		t.Fatalf("another /48: %v", err)
	}
	// Tor and unknown share one bucket.
	for range 2 {
		if err := mint(TrialClient{Tor: true}); err != nil {
			t.Fatal(err)
		}
	}
	if err := mint(TrialClient{}); err != nil {
		t.Fatal(err)
	}
	if err := mint(TrialClient{Tor: true, Addr: netip.MustParseAddr("10.0.3.1")}); !errors.Is(err, ErrTrialCap) {
		t.Fatalf("fourth in the Tor bucket: %v", err)
	}
	act, err := l.TrialActivity(ctx, 10)
	if err != nil || len(act) == 0 || act[0].Trials != 3 {
		t.Fatalf("activity %+v %v", act, err)
	}
	clk.add(TrialWindow + time.Second)
	if err := mint(client("198.51.100.9")); err != nil {
		t.Fatalf("the next day: %v", err)
	}
	off := New(st, testPolicy(), Options{Now: clk.now})
	if err := func() error { _, _, err := off.MintTrial(ctx, client("203.0.113.1")); return err }(); !errors.Is(err, ErrTrialsOff) {
		t.Fatalf("trials off: %v", err)
	}
}

// TestTrialSpendAndClaim: a trial spends through reservations; it is
// claimed once however many sign-ins race for it; a new account gets its
// unused credits, an existing one does not; a claimed or week-old trial
// cannot be used.
func TestTrialSpendAndClaim(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	st := openStore(t, t.TempDir(), clk)
	l := New(st, trialPolicy(), Options{Now: clk.now})
	cookie, tr, err := l.MintTrial(ctx, client("192.0.2.1"))
	if err != nil {
		t.Fatal(err)
	}
	if tr.ID != store.HashToken(cookie) || len(cookie) < 43 {
		t.Fatalf("cookie %q, id %q", cookie, tr.ID)
	}
	var stored int
	st.View(ctx, func(tx *sql.Tx) error {
		return tx.QueryRow(`SELECT count(*) FROM anon_trials WHERE cookie_id = ?`, cookie).Scan(&stored)
	})
	if stored != 0 {
		t.Fatal("the cookie value itself is stored")
	}
	if err := l.ReserveTrial(ctx, tr.ID, "t1", 1); err != nil {
		t.Fatal(err)
	}
	if err := l.Commit(ctx, "t1"); err != nil {
		t.Fatal(err)
	}
	if err := l.ReserveTrial(ctx, tr.ID, "t2", 1); err != nil {
		t.Fatal(err)
	}
	if err := l.Extend(ctx, "t2", 3); !errors.Is(err, ErrNotEnough) {
		t.Fatalf("extend past the trial: %v", err)
	}
	if err := l.Release(ctx, "t2"); err != nil {
		t.Fatal(err)
	}
	if got, err := l.TrialByCookie(ctx, cookie); err != nil || got.Left() != 2 {
		t.Fatalf("trial after one recap: %+v %v", got, err)
	}

	ann, _ := st.CreateUser(ctx, store.NewUser{Email: "ann@example.org"})
	old, _ := st.CreateUser(ctx, store.NewUser{Email: "old@example.org"})
	var claims atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			who := ann.ID
			if i%2 == 1 {
				who = old.ID
			}
			c, err := l.ClaimTrial(ctx, tr.ID, who, who == ann.ID)
			if err != nil {
				t.Error(err)
			}
			if c.Claimed {
				claims.Add(1)
			}
		}()
	}
	wg.Wait()
	if claims.Load() != 1 {
		t.Fatalf("%d claims", claims.Load())
	}
	var owner string
	st.View(ctx, func(tx *sql.Tx) error {
		return tx.QueryRow(`SELECT converted_to_user_id FROM anon_trials WHERE cookie_id = ?`, tr.ID).Scan(&owner)
	})
	bAnn, _ := l.Balance(ctx, ann.ID)
	bOld, _ := l.Balance(ctx, old.ID)
	switch owner {
	case ann.ID:
		if bAnn.Purchased != 2 || bOld.Purchased != 0 {
			t.Fatalf("new account claimed: %+v %+v", bAnn, bOld)
		}
	case old.ID:
		if bAnn.Purchased != 0 || bOld.Purchased != 0 {
			t.Fatalf("existing account claimed: %+v %+v", bAnn, bOld)
		}
	default:
		t.Fatalf("claimed by %q", owner)
	}
	if _, err := l.TrialByCookie(ctx, cookie); !errors.Is(err, ErrNoTrial) {
		t.Fatalf("claimed trial still usable: %v", err)
	}
	if err := l.ReserveTrial(ctx, tr.ID, "t3", 1); !errors.Is(err, ErrNotEnough) {
		t.Fatalf("claimed trial spent: %v", err)
	}
	checkSums(t, st)

	cookie2, tr2, _ := l.MintTrial(ctx, client("192.0.2.2"))
	clk.add(TrialLife)
	if _, err := l.TrialByCookie(ctx, cookie2); !errors.Is(err, ErrNoTrial) {
		t.Fatalf("week-old trial: %v", err)
	}
	if c, err := l.ClaimTrial(ctx, tr2.ID, ann.ID, true); err != nil || c.Claimed {
		t.Fatalf("week-old claim: %+v %v", c, err)
	}
}
