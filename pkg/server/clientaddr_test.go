package server

import (
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/recap-startos/recap/pkg/auth"
	"github.com/recap-startos/recap/pkg/jobs"
)

// TestForgedAddressHeadersDoNotResetLimits: a client that writes a new
// X-Forwarded-For or X-Real-IP on every request still spends one budget,
// for wrong passwords (single mode), wrong links and link requests
// (multi mode), unless its peer is a configured proxy.
func TestForgedAddressHeadersDoNotResetLimits(t *testing.T) {
	t.Parallel()
	t.Run("owner password", func(t *testing.T) {
		e := newEnv(t)
		var last int
		for i := range 8 {
			last = e.do(t, request{method: "POST", path: "/login", ctype: "application/json", body: strings.NewReader(`{"password":"nope"}`),
				header: map[string]string{"X-Real-IP": "198.51.100." + strconv.Itoa(i), "X-Forwarded-For": "203.0.113." + strconv.Itoa(i)}}).Code
		}
		if last != http.StatusTooManyRequests {
			t.Fatalf("eighth wrong password with a new forged address: %d, want 429", last)
		}
	})
	t.Run("wrong links", func(t *testing.T) {
		e := newMultiEnv(t, true)
		var last int
		for i := range 8 {
			last = e.do(t, mreq{method: "POST", path: "/auth/verify", ctype: formType, body: form("token", strings.Repeat("A", 43)),
				header: map[string]string{"X-Forwarded-For": "203.0.113." + strconv.Itoa(i)}}).Code
		}
		if last != http.StatusTooManyRequests {
			t.Fatalf("eighth wrong link with a new forged address: %d, want 429", last)
		}
	})
	t.Run("link requests", func(t *testing.T) {
		e := newMultiEnv(t, true)
		limit := auth.DefaultSignInLimits.PerBucket
		for i := range limit + 4 {
			e.do(t, mreq{method: "POST", path: "/auth/request-link", ctype: formType, body: form("email", "u"+strconv.Itoa(i)+"@example.org"),
				header: map[string]string{"X-Forwarded-For": "203.0.113." + strconv.Itoa(i), "X-Real-IP": "198.51.100." + strconv.Itoa(i)}})
		}
		e.accounts.Wait()
		if n := len(e.mail.Messages()); n != limit {
			t.Fatalf("%d mails sent to a client forging its address, want the bucket's %d", n, limit)
		}
	})
}

// TestTrustedProxyNamesTheClient: behind a configured proxy, each client
// it names has its own budget, and an IPv6 client's budget is its /64.
func TestTrustedProxyNamesTheClient(t *testing.T) {
	t.Parallel()
	e := buildEnv(t, t.TempDir(), newEnv(t).lib, func(_ *jobs.Config, o *Options) {
		o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	})
	try := func(client string) int {
		return e.do(t, request{method: "POST", path: "/login", ctype: formType,
			body:   strings.NewReader(url.Values{"password": {"nope"}}.Encode()),
			header: map[string]string{"X-Forwarded-For": "1.1.1.1, " + client}}).Code
	}
	for range 5 {
		try("2001:db8:5:6::1")
	}
	if c := try("2001:db8:5:6:ffff::2"); c != http.StatusTooManyRequests {
		t.Fatalf("another address in the same /64: %d, want 429", c)
	}
	if c := try("2001:db8:5:7::1"); c != http.StatusUnauthorized {
		t.Fatalf("the next /64: %d, want 401", c)
	}
	if c := try("203.0.113.20"); c != http.StatusUnauthorized {
		t.Fatalf("an IPv4 client: %d, want 401", c)
	}
}

// TestHealthSaysWhenDataFolderIsUnwritable: /healthz turns 503 with a
// message when jobs cannot be written, and a submit is refused plainly
// instead of being accepted and lost.
func TestHealthSaysWhenDataFolderIsUnwritable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if w := e.do(t, request{method: "GET", path: "/healthz"}); w.Code != http.StatusOK {
		t.Fatalf("healthy: %d", w.Code)
	}
	tok := e.login(t)
	os.RemoveAll(filepath.Join(e.dir, "jobs"))
	w := e.do(t, request{method: "POST", path: "/api/recaps", ctype: "application/json", cookie: tok, body: strings.NewReader(`{"text":"Some words to recap, pasted into the box. It has sentences about gardens and about the weather this spring. Tomatoes need sun and water every day. Beans climb whatever stands near them. The talk ends with thanks."}`)})
	if w.Code != http.StatusServiceUnavailable || errorCode(t, w) != "storage" {
		t.Fatalf("submit: %d %s", w.Code, w.Body)
	}
	w = e.do(t, request{method: "GET", path: "/healthz"})
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), `"unhealthy"`) || !strings.Contains(w.Body.String(), "data folder") {
		t.Fatalf("unhealthy: %d %s", w.Code, w.Body)
	}
}
