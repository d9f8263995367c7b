package mailtest

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Ports nothing listens on, and ports for child processes.
//
// A port found free by listening on port 0 and closing comes from the
// kernel's ephemeral range, so a server another test starts a moment
// later can be given the very same port: a "dead" mail server then
// answers, or a child process meets someone else's greeting. FreeAddr
// picks ports below the ephemeral range instead, which port-0 listeners
// never get, checks each is free and never hands one out twice in a
// test binary.

var (
	handedMu sync.Mutex
	handed   = map[int]bool{}
)

// FreeAddr returns a loopback address nothing listens on, for a child
// process to listen on or for a server that must refuse connections.
func FreeAddr(t testing.TB) string {
	t.Helper()
	lo, hi := belowEphemeral()
	handedMu.Lock()
	defer handedMu.Unlock()
	for range 200 {
		p := lo + rand.IntN(hi-lo)
		if handed[p] {
			continue
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		l.Close()
		handed[p] = true
		return addr
	}
	t.Fatalf("no free port in %d-%d", lo, hi)
	return ""
}

// FreePort is FreeAddr's port.
func FreePort(t testing.TB) int {
	t.Helper()
	_, port, _ := net.SplitHostPort(FreeAddr(t))
	p, _ := strconv.Atoi(port)
	return p
}

// belowEphemeral is a range of 10,000 ports just below the kernel's
// ephemeral ports (32768 unless the system says otherwise).
func belowEphemeral() (lo, hi int) {
	hi = 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		var first, last int
		if _, err := fmt.Sscan(strings.TrimSpace(string(b)), &first, &last); err == nil && first > 11024 {
			hi = first
		}
	}
	return hi - 10000, hi
}
