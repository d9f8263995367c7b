package transcript

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// errPrivateAddress is returned by the guarded dialer for an address that
// is not on the public internet.
var errPrivateAddress = errors.New("transcript: refusing a non-public address")

// Address blocks the public check treats specially.
var (
	// sharedAddressSpace is 100.64.0.0/10 (carrier-grade NAT), which Go's
	// IsPrivate does not include.
	sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")
	// nat64 (RFC 6052) and sixToFour (RFC 3056) carry an IPv4 address
	// inside an IPv6 one; the embedded address is what is reached.
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
	// Never public: local-use NAT64 (RFC 8215), Teredo (its IPv4 is
	// obfuscated), and IPv4-compatible addresses (deprecated).
	nonPublic6 = []netip.Prefix{
		netip.MustParsePrefix("64:ff9b:1::/48"),
		netip.MustParsePrefix("2001::/32"),
		netip.MustParsePrefix("::/96"),
	}
)

// publicAddr reports whether ip is a public unicast address: not loopback,
// private, link-local, multicast, unspecified or shared address space,
// and, for an IPv6 address that embeds an IPv4 one (NAT64, 6to4), an
// embedded address that is public too.
func publicAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || !ip.IsGlobalUnicast() || ip.IsPrivate() || ip.IsLoopback() ||
		ip.IsLinkLocalUnicast() || sharedAddressSpace.Contains(ip) {
		return false
	}
	if ip.Is4() {
		return true
	}
	b := ip.As16()
	switch {
	case nat64.Contains(ip):
		return publicAddr(netip.AddrFrom4([4]byte(b[12:16])))
	case sixToFour.Contains(ip):
		return publicAddr(netip.AddrFrom4([4]byte(b[2:6])))
	}
	for _, p := range nonPublic6 {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// guardedClient returns a client like base whose connections may only go
// to public addresses. The check runs on the address actually dialled,
// after name resolution and on every redirect, so a name that resolves to
// a LAN host (or changes its answer between lookups) is refused too.
func guardedClient(base *http.Client) *http.Client {
	dialer := guardedDialer()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.DialContext = dialer.DialContext
	c := *base
	c.Transport = tr
	return &c
}

// guardedDialer dials only public addresses, checked on the address
// actually dialled.
func guardedDialer() *net.Dialer {
	return &net.Dialer{
		Timeout: 10 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || !publicAddr(ap.Addr()) {
				return errPrivateAddress
			}
			return nil
		},
	}
}

// clientFor picks the client for a request to u. Without
// opt.PublicOnly, any client. With it, a request the YouTube fetcher
// makes to the configured base (toBase, and u under the base's scheme,
// host and path) may reach the base's host wherever it is (the owner's
// setting); every other request, and every redirect away from the base,
// goes through the public-address guard. A URL someone typed never counts
// as the base, even on the base's host.
func (o Options) clientFor(u *url.URL, toBase bool) *http.Client {
	c := o.client()
	if !o.PublicOnly {
		return c
	}
	if base, err := url.Parse(o.youTubeBase()); err == nil && toBase && underBase(base, u) {
		return baseClient(c, base)
	}
	return guardedClient(c)
}

// underBase reports whether u is one of base's own URLs: same scheme and
// host, and a path at or below base's.
func underBase(base, u *url.URL) bool {
	if !strings.EqualFold(u.Scheme, base.Scheme) || !strings.EqualFold(u.Host, base.Host) {
		return false
	}
	p := strings.TrimRight(base.Path, "/")
	return p == "" || u.Path == p || strings.HasPrefix(u.Path, p+"/")
}

// hostPort is u's host with the scheme's port when it has none.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if strings.EqualFold(u.Scheme, "https") {
			port = "443"
		}
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// baseClient returns a client like c that dials the base's host as it is
// and every other host through the guard, and refuses redirects to the
// base's host outside the base's path. So a redirect from the base to
// anywhere else is checked like any typed URL.
func baseClient(c *http.Client, base *url.URL) *http.Client {
	baseAddr := hostPort(base)
	plain := &net.Dialer{Timeout: 10 * time.Second}
	guarded := guardedDialer()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if strings.EqualFold(addr, baseAddr) {
			return plain.DialContext(ctx, network, addr)
		}
		return guarded.DialContext(ctx, network, addr)
	}
	out := *c
	out.Transport = tr
	out.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		if strings.EqualFold(hostPort(req.URL), baseAddr) && !underBase(base, req.URL) {
			return errPrivateAddress
		}
		return nil
	}
	return &out
}

// privateAddressError explains a refused download.
func privateAddressError(host, subject string, err error) error {
	return errorf(KindBadInput, err, "%s at %s is on a private network; this Recap only fetches public addresses for accounts (upload the file instead)", subject, host)
}

func isPrivateAddressErr(err error) bool { return errors.Is(err, errPrivateAddress) }
