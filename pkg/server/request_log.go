package server

import (
	"log/slog"
	"sync"
	"time"
)

// Every request is logged at debug level, one line each (method, path,
// status, bytes, duration; never query strings, bodies or cookies). At
// info level the log gets one summary line per minute of traffic instead:
// how many requests, by status class, and the slowest one. Server errors
// are logged where they happen (errors.go), so the summary only counts
// them. The summary is written by the first request after the minute, or
// by Close, so an idle server writes nothing.

// summaryEvery is how often, at most, the request summary is logged.
const summaryEvery = time.Minute

// requestStats counts the requests since the last summary.
type requestStats struct {
	mu          sync.Mutex
	since       time.Time
	count       int
	byClass     [6]int // index status/100: 1xx … 5xx
	slowest     time.Duration
	slowestPath string
}

// add counts one request and, when the period is over, logs its summary.
func (st *requestStats) add(log *slog.Logger, path string, status int, took time.Duration, now time.Time) {
	st.mu.Lock()
	if st.since.IsZero() {
		st.since = now
	}
	st.count++
	if c := status / 100; c >= 1 && c <= 5 {
		st.byClass[c]++
	}
	if took > st.slowest {
		st.slowest, st.slowestPath = took, path
	}
	var summary []any
	if now.Sub(st.since) >= summaryEvery {
		summary = st.takeLocked(now)
	}
	st.mu.Unlock()
	if summary != nil {
		log.Info("requests", summary...)
	}
}

// flush logs the summary of the requests not summarized yet, if any.
func (st *requestStats) flush(log *slog.Logger, now time.Time) {
	st.mu.Lock()
	var summary []any
	if st.count > 0 {
		summary = st.takeLocked(now)
	}
	st.mu.Unlock()
	if summary != nil {
		log.Info("requests", summary...)
	}
}

// takeLocked returns the period's summary as log attributes and starts a
// new period.
func (st *requestStats) takeLocked(now time.Time) []any {
	out := []any{"count", st.count, "seconds", int(now.Sub(st.since).Seconds()),
		"ok_2xx", st.byClass[2], "redirect_3xx", st.byClass[3], "client_4xx", st.byClass[4], "server_5xx", st.byClass[5],
		"slowest_ms", st.slowest.Milliseconds(), "slowest_path", st.slowestPath}
	st.since, st.count, st.byClass, st.slowest, st.slowestPath = now, 0, [6]int{}, 0, ""
	return out
}
