package server

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// Slow request bodies. A body must arrive at MinBodyRate or faster, on
// top of bodyGrace: a 64 KB form gets about 32 s, a 21 MB upload about
// 11 minutes (enough for Tor). The whole request is then cut off.
const (
	// MinBodyRate is the slowest accepted body upload, in bytes per second.
	MinBodyRate = 32 << 10
	// maxUploadsPerClient bounds the uploads (bodies over the form limit,
	// or of unknown length) one client bucket may send at the same time.
	maxUploadsPerClient = 4
)

// bodyGrace is the time every request body gets besides its size; tests
// shorten it.
var bodyGrace = 30 * time.Second

// BodyTimeout is how long a request with a body of at most limit bytes
// may take to arrive (a request's declared length, else its route's
// limit); serve sets http.Server.ReadTimeout to that of the largest body.
func BodyTimeout(limit int64) time.Duration {
	return bodyGrace + time.Duration(limit)*time.Second/MinBodyRate
}

// uploads counts the uploads in progress per client bucket.
type uploads struct {
	mu     sync.Mutex
	active map[string]int // guarded by mu
}

// start reserves an upload slot for bucket; done gives it back. ok is
// false when the client has maxUploadsPerClient in progress already.
func (u *uploads) start(bucket string) (done func(), ok bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.active == nil {
		u.active = map[string]int{}
	}
	if u.active[bucket] >= maxUploadsPerClient {
		return nil, false
	}
	u.active[bucket]++
	return func() {
		u.mu.Lock()
		defer u.mu.Unlock()
		if u.active[bucket]--; u.active[bucket] <= 0 {
			delete(u.active, bucket)
		}
	}, true
}

// LimitListener wraps l so that at most perPeer connections from one
// peer address and at most total connections overall are open at once.
// A connection over the per-peer cap is closed at once; over the total
// cap, Accept waits for one to close. Peers in exempt (trusted proxies,
// which carry many clients) have only the total cap.
func LimitListener(l net.Listener, perPeer, total int, exempt []netip.Prefix) net.Listener {
	return &limitListener{Listener: l, perPeer: perPeer, slots: make(chan struct{}, total), exempt: exempt, open: map[netip.Addr]int{}}
}

type limitListener struct {
	net.Listener
	perPeer int
	slots   chan struct{}
	exempt  []netip.Prefix

	mu   sync.Mutex
	open map[netip.Addr]int // guarded by mu
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		l.slots <- struct{}{}
		c, err := l.Listener.Accept()
		if err != nil {
			<-l.slots
			return nil, err
		}
		peer := peerAddr(c.RemoteAddr())
		if !l.admit(peer) {
			c.Close()
			<-l.slots
			continue
		}
		return &limitedConn{Conn: c, release: func() { l.release(peer) }}, nil
	}
}

func peerAddr(a net.Addr) netip.Addr {
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

func (l *limitListener) admit(peer netip.Addr) bool {
	for _, p := range l.exempt {
		if p.Contains(peer) {
			peer = netip.Addr{} // counted together, under the total only
			break
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if peer.IsValid() && l.open[peer] >= l.perPeer {
		return false
	}
	l.open[peer]++
	return true
}

func (l *limitListener) release(peer netip.Addr) {
	for _, p := range l.exempt {
		if p.Contains(peer) {
			peer = netip.Addr{}
			break
		}
	}
	l.mu.Lock()
	if l.open[peer]--; l.open[peer] <= 0 {
		delete(l.open, peer)
	}
	l.mu.Unlock()
	<-l.slots
}

type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
