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

// ClientAddr returns the client's address for a request: the TCP peer,
// or, when the peer is this machine or the private network (the StartOS
// proxy in front of the container), the address that proxy reports in
// X-Real-IP or as the last X-Forwarded-For entry. A header from any other
// peer is ignored. IPv4-mapped IPv6 addresses are unmapped. The result
// is invalid when no address can be read.
func ClientAddr(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	peer = peer.Unmap().WithZone("")
	if !peer.IsLoopback() && !peer.IsPrivate() {
		return peer
	}
	if xr := strings.TrimSpace(r.Header.Get("X-Real-IP")); xr != "" {
		if a, err := netip.ParseAddr(xr); err == nil {
			return a.Unmap().WithZone("")
		}
	}
	if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
		parts := strings.Split(xff[len(xff)-1], ",")
		if a, err := netip.ParseAddr(strings.TrimSpace(parts[len(parts)-1])); err == nil {
			return a.Unmap().WithZone("")
		}
	}
	return peer
}

// Bucket names the rate-limit bucket of a client address: the IPv4
// address itself, the /64 network of an IPv6 address (one household or
// host usually has a whole /64), or NoIPBucket.
func Bucket(a netip.Addr) string {
	if !a.IsValid() {
		return NoIPBucket
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	p, err := a.Prefix(64)
	if err != nil {
		return NoIPBucket
	}
	return p.String()
}
