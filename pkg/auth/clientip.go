package auth

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// NoIPBucket is the bucket of requests whose client address is unknown
// (such as Tor traffic through a local proxy that adds no header).
const NoIPBucket = "noip"

// ClientAddr returns the client's address for a request, normalized
// (IPv4-mapped IPv6 unmapped, no zone). It is the TCP peer, unless the
// peer is inside one of the trusted proxy networks: then the forwarding
// headers are read, X-Forwarded-For first (every line, comma-separated,
// walked from the right: the first hop that is not itself a trusted
// proxy is the client), else X-Real-IP. A header from any other peer is
// ignored, so a client that reaches the port directly cannot choose its
// own address. The result is invalid when no address can be read: a
// peer that is not an address, or a trusted proxy that forwarded
// something that is not one.
func ClientAddr(r *http.Request, trusted []netip.Prefix) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	peer = normalAddr(peer)
	if !inAny(trusted, peer) {
		return peer
	}
	if lines := r.Header.Values("X-Forwarded-For"); len(lines) > 0 {
		hops := strings.Split(strings.Join(lines, ","), ",")
		client := peer
		for i := len(hops) - 1; i >= 0; i-- {
			hop := strings.TrimSpace(hops[i])
			if hop == "" {
				continue
			}
			a, err := netip.ParseAddr(hop)
			if err != nil {
				return netip.Addr{}
			}
			client = normalAddr(a)
			if !inAny(trusted, client) {
				return client
			}
		}
		return client // every hop is a trusted proxy: the farthest one
	}
	if xr := strings.TrimSpace(r.Header.Get("X-Real-IP")); xr != "" {
		a, err := netip.ParseAddr(xr)
		if err != nil {
			return netip.Addr{}
		}
		return normalAddr(a)
	}
	return peer
}

func normalAddr(a netip.Addr) netip.Addr {
	return a.Unmap().WithZone("")
}

func inAny(nets []netip.Prefix, a netip.Addr) bool {
	for _, p := range nets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Bucket names the rate-limit bucket of a client address: the IPv4
// address itself, the /64 network of an IPv6 address (one household or
// host usually has a whole /64), or NoIPBucket for an unknown address,
// which all such clients share. Every limiter keys on it.
func Bucket(a netip.Addr) string {
	if !a.IsValid() {
		return NoIPBucket
	}
	a = normalAddr(a)
	if a.Is4() {
		return a.String()
	}
	p, err := a.Prefix(64)
	if err != nil {
		return NoIPBucket
	}
	return p.String()
}
