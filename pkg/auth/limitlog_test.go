package auth

import (
	"bytes"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestLimitLogIsBounded: a flood of refusals writes a line at the first
// one and then at most one per limitLogEvery, and the lines add up to
// every refusal.
func TestLimitLogIsBounded(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	l := limitLog{msg: "sign-in requests limited", now: func() time.Time { return now }}
	for i := range 10_000 {
		l.refused(log, "198.18.0."+strconv.Itoa(i%250))
		now = now.Add(5 * time.Millisecond) // 50 s in all
	}
	l.refused(log, "last") // after the flood, the rest comes out
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) < 5 || len(lines) > 7 {
		t.Fatalf("%d lines for 10,001 refusals over 50 s:\n%s", len(lines), buf.String())
	}
	total := 0
	for _, line := range lines {
		m := regexp.MustCompile(`refused=(\d+)`).FindStringSubmatch(line)
		if m == nil || !strings.Contains(line, "sign-in requests limited") {
			t.Fatalf("line %q", line)
		}
		n, _ := strconv.Atoi(m[1])
		total += n
	}
	if total != 10_001 {
		t.Fatalf("lines count %d refusals, want 10001", total)
	}
}
