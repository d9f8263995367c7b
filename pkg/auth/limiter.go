package auth

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Failed sign-in budget per client address: a burst of 5, then one more
// attempt every 12 seconds (5 a minute).
const (
	loginBurst    = 5
	loginInterval = 12 * time.Second
	// limiterCap bounds the number of addresses remembered.
	limiterCap = 10000
)

// Limiter rate-limits failed sign-ins per client address. Only failures
// spend the budget; a success leaves it as it is. It is safe for
// concurrent use.
type Limiter struct {
	mu    sync.Mutex
	byKey map[string]*rate.Limiter // guarded by mu
}

// NewLimiter returns an empty limiter.
func NewLimiter() *Limiter {
	return &Limiter{byKey: map[string]*rate.Limiter{}}
}

func (l *Limiter) get(key string) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim, ok := l.byKey[key]
	if !ok {
		if len(l.byKey) >= limiterCap {
			// Forget addresses whose budget is full again, then anyone.
			for k, v := range l.byKey {
				if v.Tokens() >= loginBurst {
					delete(l.byKey, k)
				}
			}
			if len(l.byKey) >= limiterCap {
				clear(l.byKey)
			}
		}
		lim = rate.NewLimiter(rate.Every(loginInterval), loginBurst)
		l.byKey[key] = lim
	}
	return lim
}

// Allowed reports whether key may try to sign in now, and if not, how
// long until it may.
func (l *Limiter) Allowed(key string) (bool, time.Duration) {
	lim := l.get(key)
	if lim.Tokens() >= 1 {
		return true, 0
	}
	r := lim.Reserve()
	d := r.Delay()
	r.Cancel()
	return false, d
}

// Failed records a failed attempt by key.
func (l *Limiter) Failed(key string) {
	l.get(key).Allow()
}
