package startos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Health check exit codes, as StartOS reads them.
const (
	HealthOK       = 0
	HealthStarting = 60 // not listening yet, early after start
	HealthLoading  = 61 // up but busy (e.g. migrating); the message is shown
	HealthFailure  = 1  // anything else: the message is shown as the error
)

// StartupGrace is how long after start a closed port still counts as
// starting rather than failing.
const StartupGrace = 45 * time.Second

// HealthStatus is the outcome of one check: an exit code and, except for
// success, the one line StartOS shows.
type HealthStatus struct {
	Code    int
	Message string
}

// ReadUptime decodes the health check's input: the milliseconds since
// the service started, as a JSON number. Empty input (a person running
// the check by hand) means the uptime is unknown and is reported as
// StartupGrace, so a closed port is a failure rather than "starting".
func ReadUptime(r io.Reader) (time.Duration, error) {
	raw, err := io.ReadAll(io.LimitReader(r, 4096))
	if err != nil {
		return 0, fmt.Errorf("read input: %w", err)
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return StartupGrace, nil
	}
	ms, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || ms < 0 {
		return 0, fmt.Errorf("input %q is not the uptime in milliseconds", raw)
	}
	return time.Duration(ms * float64(time.Millisecond)), nil
}

// healthz is what GET /healthz answers.
type healthz struct {
	Status  string `json:"status"` // "ok" when ready; "starting", "loading" or "migrating" while busy
	Message string `json:"message,omitempty"`
	Mode    string `json:"mode"`
	Version string `json:"version"`
}

// CheckHealth asks url (the service's /healthz on the loopback address)
// whether Recap is ready.
func CheckHealth(ctx context.Context, client *http.Client, url string, uptime time.Duration) HealthStatus {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return HealthStatus{HealthFailure, fmt.Sprintf("bad health URL %q: %v", url, err)}
	}
	resp, err := client.Do(req)
	if err != nil {
		return unreachable(err, req.URL.Host, uptime)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return readHealthz(resp.StatusCode, body)
}

// unreachable is the status when /healthz could not be asked at all: a
// refused connection during StartupGrace is a service still starting.
func unreachable(err error, host string, uptime time.Duration) HealthStatus {
	if errors.Is(err, syscall.ECONNREFUSED) {
		if uptime < StartupGrace {
			return HealthStatus{HealthStarting, "Recap is starting"}
		}
		return HealthStatus{HealthFailure, fmt.Sprintf("Recap is not listening (%s refused the connection); see the service logs", host)}
	}
	if errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "Timeout") {
		return HealthStatus{HealthFailure, "Recap did not answer its health check in time; it may be overloaded"}
	}
	return HealthStatus{HealthFailure, fmt.Sprintf("health check failed: %v", err)}
}

// readHealthz maps /healthz's answer to a status.
func readHealthz(status int, body []byte) HealthStatus {
	var h healthz
	jsonErr := json.Unmarshal(body, &h)
	switch {
	case status == http.StatusOK && jsonErr == nil && h.Status == "ok":
		return HealthStatus{HealthOK, ""}
	case jsonErr == nil && (h.Status == "starting" || h.Status == "loading" || h.Status == "migrating"):
		msg := h.Message
		if msg == "" {
			msg = "Recap is " + h.Status
		}
		return HealthStatus{HealthLoading, oneLine(msg)}
	case jsonErr == nil && h.Message != "":
		return HealthStatus{HealthFailure, oneLine(h.Message)}
	}
	return HealthStatus{HealthFailure, fmt.Sprintf("unexpected health answer: HTTP %d %s", status, oneLine(string(body)))}
}

// oneLine keeps the first line of s, at most 200 bytes.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
