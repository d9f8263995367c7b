package auth

import (
	"log/slog"
	"sync"
	"time"
)

// limitLogEvery is how often, at most, refusals by a limit are logged.
const limitLogEvery = 10 * time.Second

// limitLog logs refusals by a limit without letting a flood write a
// line per request: the first refusal is logged at once, later ones are
// counted and logged together at most every limitLogEvery, with the
// last client bucket seen. Refusals still waiting when a flood stops come
// out with the next one; the store counts every refusal per client bucket
// (SignInActivity, the admin's abuse view).
type limitLog struct {
	msg string
	now func() time.Time

	mu      sync.Mutex
	last    time.Time // when a line was last written
	waiting int       // refusals since then, not logged yet
}

// refused counts one refusal from bucket, and logs when it is time.
func (l *limitLog) refused(log *slog.Logger, bucket string) {
	now := l.now()
	l.mu.Lock()
	l.waiting++
	if !l.last.IsZero() && now.Sub(l.last) < limitLogEvery {
		l.mu.Unlock()
		return
	}
	n := l.waiting
	l.waiting, l.last = 0, now
	l.mu.Unlock()
	log.Warn(l.msg, "refused", n, "ip_bucket", bucket)
}
