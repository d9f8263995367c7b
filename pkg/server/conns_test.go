package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// slowRequest opens a raw connection, sends the headers of a POST that
// announces a body of size bytes and only the first few of them, and
// returns the connection.
func slowRequest(t *testing.T, addr, path, cookie string, size int) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n", path, addr, size)
	if cookie != "" {
		fmt.Fprintf(c, "Cookie: %s\r\n", cookie)
	}
	fmt.Fprintf(c, "\r\npassword=")
	return c
}

// TestSlowBodiesAreCutOff: a body that trickles in is cut off after the
// time its size allows, not held for minutes.
func TestSlowBodiesAreCutOff(t *testing.T) {
	defer func(g time.Duration) { bodyGrace = g }(bodyGrace)
	bodyGrace = 200 * time.Millisecond
	e := newEnv(t)
	ts := httptest.NewServer(e.srv)
	t.Cleanup(ts.Close) // after the connections are closed (cleanups run last first)
	c := slowRequest(t, ts.Listener.Addr().String(), "/login", "", 1000)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	start := time.Now()
	_, err := io.ReadAll(c)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("a trickling 1 KB form was still held after %s", time.Since(start).Round(time.Second))
	}
}

// TestUploadsPerClientAreCapped: one client may send only a few large
// bodies at once; the next is refused with 429 at once.
func TestUploadsPerClientAreCapped(t *testing.T) {
	defer func(g time.Duration) { bodyGrace = g }(bodyGrace)
	bodyGrace = time.Minute
	e := newEnv(t)
	tok := e.login(t)
	ts := httptest.NewServer(e.srv)
	t.Cleanup(ts.Close) // after the connections are closed (cleanups run last first)
	addr := ts.Listener.Addr().String()
	cookie := "recap_session=" + tok
	for range maxUploadsPerClient {
		slowRequest(t, addr, "/api/recaps", cookie, 500_000)
	}
	// Let the server take them up.
	deadline := time.Now().Add(10 * time.Second)
	for {
		e.srv.uploads.mu.Lock()
		n := e.srv.uploads.active["127.0.0.1"]
		e.srv.uploads.mu.Unlock()
		if n == maxUploadsPerClient || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	c := slowRequest(t, addr, "/api/recaps", cookie, 500_000)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("the upload over the cap got no answer: %v", err)
	}
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("upload over the cap: %d", resp.StatusCode)
	}
}

// TestLimitListener: connections from one peer over the cap are closed
// at once; a trusted proxy is not capped per peer.
func TestLimitListener(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		exempt []netip.Prefix
		closed bool
	}{
		{"capped peer", nil, true},
		{"trusted proxy", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			l := LimitListener(raw, 2, 100, tc.exempt)
			defer l.Close()
			go func() {
				for {
					c, err := l.Accept()
					if err != nil {
						return
					}
					go func() { io.Copy(io.Discard, c); c.Close() }()
				}
			}()
			var conns []net.Conn
			for range 3 {
				c, err := net.Dial("tcp", raw.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				conns = append(conns, c)
			}
			third := conns[2]
			third.SetReadDeadline(time.Now().Add(time.Second))
			_, err = third.Read(make([]byte, 1))
			gotClosed := err == io.EOF || (err != nil && strings.Contains(err.Error(), "reset"))
			if gotClosed != tc.closed {
				t.Fatalf("third connection closed = %v (%v), want %v", gotClosed, err, tc.closed)
			}
		})
	}
}
