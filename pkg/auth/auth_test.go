package auth

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	SetCostForTests()
	os.Exit(m.Run())
}

func TestPasswordHash(t *testing.T) {
	t.Parallel()
	h := HashPassword("correct horse battery")
	if !strings.HasPrefix(h, "$argon2id$v=19$") {
		t.Fatalf("hash %q is not an argon2id hash", h)
	}
	cases := []struct {
		name, hash, pw string
		want           bool
	}{
		{"right", h, "correct horse battery", true},
		{"wrong", h, "correct horse batterY", false},
		{"empty", h, "", false},
		{"malformed hash", "$argon2id$nope", "x", false},
		{"empty hash", "", "x", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := CheckPassword(c.hash, c.pw); got != c.want {
				t.Fatalf("CheckPassword = %v, want %v", got, c.want)
			}
		})
	}
}

func TestGeneratePassword(t *testing.T) {
	t.Parallel()
	a, b := GeneratePassword(), GeneratePassword()
	if len(a) < 20 || a == b {
		t.Fatalf("generated %q and %q", a, b)
	}
}

func TestOwner(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "auth", "owner.json")
	o := NewOwner(path)
	if _, err := o.Record(); !errors.Is(err, ErrNoOwner) {
		t.Fatalf("Record on empty = %v", err)
	}
	pw, err := o.Ensure("")
	if err != nil || len(pw) < 20 {
		t.Fatalf("Ensure = %q, %v", pw, err)
	}
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), pw) {
		t.Fatal("owner file holds the password in clear")
	}
	if again, _ := o.Ensure(""); again != "" {
		t.Fatal("Ensure generated a second password")
	}
	if !o.Check(pw) || o.Check("nope") {
		t.Fatal("Check disagrees with the generated password")
	}
	if rec, _ := o.Record(); !rec.Generated {
		t.Fatal("generated password not marked as such")
	}
	if err := o.Change("wrong", "a brand new password"); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("Change with wrong current = %v", err)
	}
	if err := o.Change(pw, "short"); !errors.Is(err, ErrWeakPassword) {
		t.Fatalf("Change to short = %v", err)
	}
	if err := o.Change(pw, "a brand new password"); err != nil {
		t.Fatal(err)
	}
	if rec, _ := o.Record(); rec.Generated || !o.Check("a brand new password") {
		t.Fatal("changed password not in effect")
	}
	if _, err := o.Ensure("from the environment"); err != nil || !o.Check("from the environment") {
		t.Fatalf("Ensure with env: %v", err)
	}
}

func TestSessions(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sessions.json")
	s, err := OpenSessions(path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	tok, err := s.Create()
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), tok) {
		t.Fatal("session file holds the token")
	}
	if err := s.Check(tok); err != nil {
		t.Fatalf("Check = %v", err)
	}
	for _, bad := range []string{"", "x", tok + "A", strings.Repeat("A", 43)} {
		if err := s.Check(bad); !errors.Is(err, ErrNoSession) {
			t.Fatalf("Check(%q) = %v", bad, err)
		}
	}

	// Survives a restart.
	s2, _ := OpenSessions(path)
	s2.now = s.now
	if err := s2.Check(tok); err != nil {
		t.Fatalf("after reopen: %v", err)
	}

	// Sliding expiry: used after 20 days, still alive 20 days later.
	now = now.Add(20 * 24 * time.Hour)
	if err := s2.Check(tok); err != nil {
		t.Fatal(err)
	}
	now = now.Add(20 * 24 * time.Hour)
	if err := s2.Check(tok); err != nil {
		t.Fatalf("sliding expiry: %v", err)
	}
	now = now.Add(31 * 24 * time.Hour)
	if err := s2.Check(tok); !errors.Is(err, ErrNoSession) {
		t.Fatalf("expired session accepted: %v", err)
	}

	// Logout, and DeleteAll from another handle.
	tok2, _ := s2.Create()
	if err := s2.Delete(tok2); err != nil || s2.Check(tok2) == nil {
		t.Fatalf("Delete: %v", err)
	}
	tok3, _ := s2.Create()
	other, _ := OpenSessions(path)
	if err := other.DeleteAll(); err != nil {
		t.Fatal(err)
	}
	// Make sure the modification is visible even on coarse clocks.
	os.Chtimes(path, time.Now().Add(time.Minute), time.Now().Add(time.Minute))
	if err := s2.Check(tok3); !errors.Is(err, ErrNoSession) {
		t.Fatalf("session survived DeleteAll from another process: %v", err)
	}
}

func TestLimiter(t *testing.T) {
	t.Parallel()
	l := NewLimiter()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l.now = func() time.Time { return now }
	for i := 0; i < loginBurst; i++ {
		if ok, _ := l.Take("192.0.2.1"); !ok {
			t.Fatalf("attempt %d refused", i)
		}
	}
	ok, wait := l.Take("192.0.2.1")
	if ok || wait != loginInterval {
		t.Fatalf("after %d failures: allowed=%v wait=%v", loginBurst, ok, wait)
	}
	if ok, _ := l.Take("192.0.2.2"); !ok {
		t.Fatal("another address was limited")
	}
	now = now.Add(loginInterval)
	if ok, _ := l.Take("192.0.2.1"); !ok {
		t.Fatal("no attempt back after the interval")
	}
	if ok, _ := l.Take("192.0.2.1"); ok {
		t.Fatal("two attempts back after one interval")
	}
	// A refunded attempt (a success) costs nothing.
	for range 20 {
		if ok, _ := l.Take("192.0.2.3"); !ok {
			t.Fatal("successes spent the budget")
		}
		l.Refund("192.0.2.3")
	}
}

// TestLimiterUnderConcurrency: 60 attempts at once from one client pass
// exactly the burst, however they interleave (the attempt is taken
// before the work, not checked before and recorded after).
func TestLimiterUnderConcurrency(t *testing.T) {
	t.Parallel()
	l := NewLimiter()
	var passed atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 60 {
		wg.Go(func() {
			<-start
			if ok, _ := l.Take("198.51.100.1"); ok {
				passed.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if passed.Load() != loginBurst {
		t.Fatalf("%d of 60 passed, want %d", passed.Load(), loginBurst)
	}
}

// TestLimiterMemoryIsBounded: a flood of distinct clients does not grow
// the limiter past its cap, and a client mid-budget is kept when others'
// full budgets can be forgotten instead.
func TestLimiterMemoryIsBounded(t *testing.T) {
	t.Parallel()
	l := NewLimiter()
	now := time.Now()
	l.now = func() time.Time { return now }
	for range loginBurst {
		l.Take("victim")
	}
	for i := range limiterCap + 5000 {
		l.Take(fmt.Sprint("flood-", i))
		l.Refund(fmt.Sprint("flood-", i))
	}
	if n := l.Len(); n > limiterCap {
		t.Fatalf("%d buckets kept, cap %d", n, limiterCap)
	}
	if ok, _ := l.Take("victim"); ok {
		t.Fatal("a spent budget was forgotten while full ones could go")
	}
}

// TestHashingIsBounded: a burst of password checks runs at most
// cap(hashSlots) hashes at a time, so memory stays flat; callers that
// cannot get a slot in time get ErrBusy, and nothing is hashed for them.
func TestHashingIsBounded(t *testing.T) {
	o := NewOwner(filepath.Join(t.TempDir(), "owner.json"))
	if _, err := o.Ensure("the right password here"); err != nil {
		t.Fatal(err)
	}
	var running, peak atomic.Int32
	slots := cap(hashSlots)
	var wg sync.WaitGroup
	start := make(chan struct{})
	var busy atomic.Int32
	for range 40 {
		wg.Go(func() {
			<-start
			ran := withHashSlot(time.Minute, func() {
				n := running.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				time.Sleep(2 * time.Millisecond)
				running.Add(-1)
			})
			if !ran {
				busy.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if int(peak.Load()) > slots || busy.Load() != 0 {
		t.Fatalf("peak %d hashes at once (slots %d), %d refused", peak.Load(), slots, busy.Load())
	}
	// With every slot held, a check gives up with ErrBusy.
	for range slots {
		hashSlots <- struct{}{}
	}
	defer func() {
		for range slots {
			<-hashSlots
		}
	}()
	defer func(w time.Duration) { hashWait = w }(hashWait)
	hashWait = 10 * time.Millisecond
	if err := o.Verify("the right password here"); !errors.Is(err, ErrBusy) {
		t.Fatalf("Verify with every slot taken = %v", err)
	}
}
