package server

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// concurrently sends n requests at once and counts the answers by status.
func concurrently(n int, send func() int) map[int]int {
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			c := send()
			mu.Lock()
			codes[c]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	return codes
}

// TestSimultaneousWrongPasswordsAreLimited: 60 wrong passwords sent at
// once from one client are limited like 60 in a row: five are checked,
// the rest refused with 429 before any hashing.
func TestSimultaneousWrongPasswordsAreLimited(t *testing.T) {
	e := newEnv(t)
	codes := concurrently(60, func() int {
		return e.do(t, request{method: "POST", path: "/login", ctype: formType,
			body: strings.NewReader(url.Values{"password": {"wrong"}}.Encode())}).Code
	})
	if codes[http.StatusUnauthorized] > 5 || codes[http.StatusUnauthorized]+codes[http.StatusTooManyRequests] != 60 {
		t.Fatalf("answers to 60 simultaneous wrong passwords: %v (at most 5 may be checked)", codes)
	}
}

// TestSimultaneousWrongLinksAreLimited: the same for unusable sign-in
// links posted at once.
func TestSimultaneousWrongLinksAreLimited(t *testing.T) {
	e := newMultiEnv(t, true)
	codes := concurrently(60, func() int {
		return e.do(t, mreq{method: "POST", path: "/auth/verify", ctype: formType, peer: "198.51.100.20", body: form("token", strings.Repeat("B", 43))}).Code
	})
	if codes[http.StatusTooManyRequests] < 55 {
		t.Fatalf("answers to 60 simultaneous wrong links: %v (at most 5 may be looked up)", codes)
	}
}

// TestPasswordChangeEndsOtherSessionsAndIsLimited: changing the owner
// password signs out every other browser (keeping the one that changed
// it), and guessing the current password is rate limited.
func TestPasswordChangeEndsOtherSessionsAndIsLimited(t *testing.T) {
	e := newEnv(t)
	mine, other := e.login(t), e.login(t)
	change := func(tok, current string) int {
		return e.do(t, request{method: "POST", path: "/api/owner/password", ctype: "application/json", cookie: tok,
			body: strings.NewReader(`{"current":"` + current + `","new":"a much better password"}`)}).Code
	}
	if c := change(mine, testPassword); c != http.StatusNoContent {
		t.Fatalf("change: %d", c)
	}
	if c := e.do(t, request{method: "GET", path: "/api/me", cookie: other}).Code; c != http.StatusUnauthorized {
		t.Fatalf("the other browser after the change: %d, want 401", c)
	}
	if c := e.do(t, request{method: "GET", path: "/api/me", cookie: mine}).Code; c != http.StatusOK {
		t.Fatalf("the browser that changed it: %d", c)
	}
	var codes []int
	for range 7 {
		codes = append(codes, change(mine, "guess"))
	}
	if codes[0] != http.StatusForbidden || codes[6] != http.StatusTooManyRequests {
		t.Fatalf("wrong current passwords: %v", codes)
	}
}
