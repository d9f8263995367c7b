package transcript

import (
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"
)

// errPrivateAddress is returned by the guarded dialer for an address that
// is not on the public internet.
var errPrivateAddress = errors.New("transcript: refusing a non-public address")

// sharedAddressSpace is 100.64.0.0/10 (carrier-grade NAT), which Go's
// IsPrivate does not include.
var sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")

// publicAddr reports whether ip is a public unicast address: not loopback,
// private, link-local, multicast, unspecified or shared address space.
func publicAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsValid() && ip.IsGlobalUnicast() && !ip.IsPrivate() && !ip.IsLoopback() &&
		!ip.IsLinkLocalUnicast() && !sharedAddressSpace.Contains(ip)
}

// guardedClient returns a client like base whose connections may only go
// to public addresses. The check runs on the address actually dialled,
// after name resolution and on every redirect, so a name that resolves to
// a LAN host (or changes its answer between lookups) is refused too.
func guardedClient(base *http.Client) *http.Client {
	dialer := &net.Dialer{
		Timeout: 10 * time.Second,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || !publicAddr(ap.Addr()) {
				return errPrivateAddress
			}
			return nil
		},
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.DialContext = dialer.DialContext
	c := *base
	c.Transport = tr
	return &c
}

// clientFor picks the client for a request to u: the YouTube base URL is
// the owner's setting and always allowed; anything else a user typed goes
// through the guarded client when opt.PublicOnly is set.
func (o Options) clientFor(u *url.URL) *http.Client {
	c := o.client()
	if !o.PublicOnly {
		return c
	}
	if yt, err := url.Parse(o.youTubeBase()); err == nil && yt.Host == u.Host {
		return c
	}
	return guardedClient(c)
}

// privateAddressError explains a refused download.
func privateAddressError(host, subject string, err error) error {
	return errorf(KindBadInput, err, "%s at %s is on a private network; this Recap only fetches public addresses for accounts (upload the file instead)", subject, host)
}

func isPrivateAddressErr(err error) bool { return errors.Is(err, errPrivateAddress) }
