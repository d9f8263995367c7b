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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
	if codes[0] != http.StatusUnauthorized || codes[6] != http.StatusTooManyRequests {
		t.Fatalf("wrong current passwords: %v", codes)
	}
}

// TestConfirmingAnotherAccountNeedsAChoice: a browser signed in as one
// account that opens another account's link is told which account the
// link signs in and which one it is signed in to, and keeps its session
// until it explicitly chooses to switch.
func TestConfirmingAnotherAccountNeedsAChoice(t *testing.T) {
	t.Parallel()
	e := newMultiEnv(t, true)
	mine := e.signIn(t, "victim@example.org", 1)
	theirs := e.requestLink(t, "attacker@example.org", 2)

	w := e.do(t, mreq{method: "GET", path: "/auth/verify?token=" + theirs, cookie: mine})
	body := w.Body.String()
	if w.Code != http.StatusOK || !strings.Contains(body, "a•••@example.org") || !strings.Contains(body, "v•••@example.org") ||
		!strings.Contains(body, `name="switch"`) {
		t.Fatalf("confirm page: %d %s", w.Code, body)
	}
	// Without the choice: refused, the session and the link both live.
	w = e.do(t, mreq{method: "POST", path: "/auth/verify", ctype: formType, cookie: mine, body: form("token", theirs)})
	if w.Code != http.StatusConflict || len(w.Result().Cookies()) != 0 {
		t.Fatalf("confirm without the choice: %d %s", w.Code, w.Body)
	}
	if c := e.do(t, mreq{method: "GET", path: "/api/me", cookie: mine}).Code; c != http.StatusOK {
		t.Fatalf("the session after a refused switch: %d", c)
	}
	// The explicit choice switches.
	w = e.do(t, mreq{method: "POST", path: "/auth/verify", ctype: formType, cookie: mine, body: form("token", theirs, "switch", "1")})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("confirm with the choice: %d %s", w.Code, w.Body)
	}
	if c := e.do(t, mreq{method: "GET", path: "/api/me", cookie: mine}).Code; c != http.StatusUnauthorized {
		t.Fatalf("the old session after switching: %d", c)
	}
	// A browser without a session sees the account too.
	other := e.requestLink(t, "third@example.org", 3)
	if w := e.do(t, mreq{method: "GET", path: "/auth/verify?token=" + other}); !strings.Contains(w.Body.String(), "t•••@example.org") {
		t.Fatalf("confirm page without a session: %s", w.Body)
	}
}
