package auth

import (
	"sync"
	"time"
)

// Failed sign-in budget per client bucket: a burst of 5, then one more
// attempt every 12 seconds (5 a minute).
const (
	loginBurst    = 5
	loginInterval = 12 * time.Second
	// limiterCap bounds the number of buckets remembered. At the cap,
	// buckets whose budget is full again are forgotten first (they are
	// the same as new ones); only if that is not enough are others
	// forgotten, at random, down to nine tenths of the cap.
	limiterCap = 100_000
)

// Limiter rate-limits failed attempts per key (a client bucket, see
// Bucket). An attempt is taken from the budget before the work it guards
// (hashing a password, consuming a link) and given back when it turned
// out to succeed, so that concurrent attempts cannot all pass a check
// made before any of them failed. It is safe for concurrent use; its
// memory is bounded by limiterCap.
type Limiter struct {
	burst    float64
	interval time.Duration
	now      func() time.Time // time.Now; tests replace it

	mu    sync.Mutex
	byKey map[string]*bucket // guarded by mu
}

type bucket struct {
	tokens float64   // attempts left at last
	last   time.Time // when tokens was computed
}

// NewLimiter returns an empty limiter with the sign-in budget.
func NewLimiter() *Limiter {
	return &Limiter{burst: loginBurst, interval: loginInterval, now: time.Now, byKey: map[string]*bucket{}}
}

// refill brings b up to now; the caller holds mu.
func (l *Limiter) refill(b *bucket, now time.Time) {
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = min(l.burst, b.tokens+float64(elapsed)/float64(l.interval))
	}
	b.last = now
}

// Take spends one attempt of key's budget. When none is left it spends
// nothing and says how long until one is.
func (l *Limiter) Take(key string) (ok bool, wait time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, found := l.byKey[key]
	if !found {
		l.makeRoomLocked(now)
		b = &bucket{tokens: l.burst, last: now}
		l.byKey[key] = b
	}
	l.refill(b, now)
	if b.tokens < 1 {
		return false, time.Duration((1 - b.tokens) * float64(l.interval))
	}
	b.tokens--
	return true, 0
}

// Refund gives back an attempt taken by Take that succeeded.
func (l *Limiter) Refund(key string) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if b, ok := l.byKey[key]; ok {
		l.refill(b, now)
		b.tokens = min(l.burst, b.tokens+1)
	}
}

// makeRoomLocked forgets buckets when the limiter is at its cap; the
// caller holds mu. The work is amortized: one sweep frees at least a
// tenth of the cap.
func (l *Limiter) makeRoomLocked(now time.Time) {
	if len(l.byKey) < limiterCap {
		return
	}
	for k, b := range l.byKey {
		l.refill(b, now)
		if b.tokens >= l.burst {
			delete(l.byKey, k)
		}
	}
	for k := range l.byKey { // map order is random
		if len(l.byKey) < limiterCap*9/10 {
			break
		}
		delete(l.byKey, k)
	}
}

// Len returns the number of buckets remembered.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.byKey)
}
