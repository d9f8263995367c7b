package auth

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestCanonicalEmail(t *testing.T) {
	t.Parallel()
	ok := []struct{ in, want string }{
		{"ada@example.org", "ada@example.org"},
		{" User@Example.COM ", "user@example.com"},
		{"\tada.lovelace+recap@mail.example.org\n", "ada.lovelace+recap@mail.example.org"},
		{"ada@example.org.", "ada@example.org"},
		{"o'brien@example.ie", "o'brien@example.ie"},
		{"ada@bücher.example", "ada@xn--bcher-kva.example"},
		// Full-width @ and letters are normalised before any check.
		{"ada＠example.org", "ada@example.org"},
		{"ＡＤＡ@example.org", "ada@example.org"},
	}
	for _, c := range ok {
		got, err := CanonicalEmail(c.in)
		if err != nil || got != c.want {
			t.Errorf("CanonicalEmail(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	bad := map[string]string{
		"empty":                           "",
		"no at":                           "ada.example.org",
		"comma list (GHSA-xv97)":          "a@x.test,b@evil.test",
		"comma list spaced":               "a@x.test, b@evil.test",
		"semicolon list":                  "a@x.test;b@evil.test",
		"quoted local part (GHSA-5jpx)":   `"e@evil.test"@victim.test`,
		"quoted local part plain":         `"ada"@example.org`,
		"full-width at twice (GHSA-7rqj)": "attacker＠evil.test@victim.test",
		"small full-width at twice":       "a﹫evil.test@victim.test",
		"two ats":                         "a@b@example.org",
		"display name":                    "Ada <ada@example.org>",
		"angle brackets":                  "<ada@example.org>",
		"CRLF header":                     "ada@example.org\r\nBcc: b@evil.test",
		"LF inside":                       "ada@exa\nmple.org",
		"space inside":                    "ada lovelace@example.org",
		"NUL":                             "ada\x00@example.org",
		"backslash":                       `a\@evil.test@example.org`,
		"comment":                         "ada(x)@example.org",
		"leading dot":                     ".ada@example.org",
		"double dot":                      "a..da@example.org",
		"no domain dot":                   "ada@localhost",
		"domain literal":                  "ada@[127.0.0.1]",
		"underscore domain":               "ada@exa_mple.org",
		"hyphen label":                    "ada@-example.org",
		"non-ascii local part":            "ädä@example.org",
		"long local part":                 strings.Repeat("a", 65) + "@example.org",
		"long address":                    "a@" + strings.Repeat("b", 250) + ".org",
		"invalid utf-8":                   "ada\xff@example.org",
		"percent routing":                 "ada%evil.test@example.org@x",
	}
	for name, in := range bad {
		if got, err := CanonicalEmail(in); err == nil {
			t.Errorf("%s: CanonicalEmail(%q) = %q, want refusal", name, in, got)
		}
	}
}

// FuzzCanonicalEmail checks that whatever is accepted is one plain ASCII
// address that canonicalises to itself.
func FuzzCanonicalEmail(f *testing.F) {
	for _, s := range []string{"ada@example.org", "a@x.test,b@evil.test", `"e@evil.test"@victim.test`, "a＠b@c.d", " U@E.COM ", "ada@bücher.example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := CanonicalEmail(in)
		if err != nil {
			return
		}
		if strings.Count(out, "@") != 1 || strings.ContainsAny(out, ",;\"<>()\\ \r\n\t") || len(out) > 254 {
			t.Fatalf("%q became %q", in, out)
		}
		for i := 0; i < len(out); i++ {
			if out[i] >= 0x80 || out[i] < 0x21 {
				t.Fatalf("%q became non-ASCII %q", in, out)
			}
		}
		if again, err := CanonicalEmail(out); err != nil || again != out {
			t.Fatalf("not idempotent: %q → %q → %q, %v", in, out, again, err)
		}
	})
}

func TestMaskEmail(t *testing.T) {
	t.Parallel()
	if got := MaskEmail("ada@example.org"); got != "a•••@example.org" {
		t.Fatal(got)
	}
}

func TestClientAddrAndBucket(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, peer string
		bucket     string
	}{
		{"public IPv4 peer", "203.0.113.5:1234", "203.0.113.5"},
		{"IPv6 /64 shared", "[2001:db8:1:2::1]:1", "2001:db8:1:2::/64"},
		{"IPv6 /64 other host same net", "[2001:db8:1:2:ffff::9]:1", "2001:db8:1:2::/64"},
		{"IPv6 next /64", "[2001:db8:1:3::1]:1", "2001:db8:1:3::/64"},
		{"IPv6 written long", "[2001:0db8:0001:0002:0000:0000:0000:0001]:1", "2001:db8:1:2::/64"},
		{"IPv4-mapped peer", "[::ffff:203.0.113.5]:1", "203.0.113.5"},
		{"no address", "@", NoIPBucket},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.peer
		if got := Bucket(ClientAddr(r, nil)); got != c.bucket {
			t.Errorf("%s: bucket %q, want %q", c.name, got, c.bucket)
		}
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 1000 {
		tok := NewToken()
		if len(tok) != 43 || !WellFormedToken(tok) || seen[tok] {
			t.Fatalf("token %q", tok)
		}
		seen[tok] = true
	}
	for _, s := range []string{"", "short", strings.Repeat("A", 42), strings.Repeat("*", 43), strings.Repeat("A", 44)} {
		if WellFormedToken(s) {
			t.Errorf("%q accepted", s)
		}
	}
}

// TestAccountCookie: over HTTPS (and .onion) the session cookie is
// __Host-recap_session, Secure, HttpOnly, Lax, Path=/ and no Domain; it is
// read from that cookie only, never from the URL or another header.
func TestAccountCookie(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	SetAccountCookie(w, "TOKEN", true)
	c := w.Result().Cookies()[0]
	if c.Name != HostCookieName || !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" {
		t.Fatalf("cookie %+v", c)
	}
	r := httptest.NewRequest("GET", "/?session=URL&"+HostCookieName+"=URL", nil)
	r.Header.Set("Authorization", "Bearer HEADER")
	r.Header.Set("X-Session", "HEADER")
	if got := AccountTokenFrom(r, true); got != "" {
		t.Fatalf("token from %q", got)
	}
	r.AddCookie(&http.Cookie{Name: CookieName, Value: "PLAIN"})
	if got := AccountTokenFrom(r, false); got != "" {
		t.Fatalf("the unprefixed cookie was read outside development: %q", got)
	}
	r.AddCookie(&http.Cookie{Name: HostCookieName, Value: "TOKEN"})
	if got := AccountTokenFrom(r, false); got != "TOKEN" {
		t.Fatalf("token %q", got)
	}
}

// TestClientAddrTrustsOnlyConfiguredProxies: forwarding headers count
// only from a peer inside the trusted networks, and then the right-most
// hop that is not itself a trusted proxy is the client.
func TestClientAddrTrustsOnlyConfiguredProxies(t *testing.T) {
	t.Parallel()
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.3.0/24"), netip.MustParsePrefix("fd00::/8")}
	cases := []struct {
		name, peer, xrealip string
		xff                 []string
		trusted             []netip.Prefix
		want                string
	}{
		{"loopback peer, nothing trusted: header ignored", "127.0.0.1:1", "", []string{"203.0.113.6"}, nil, "127.0.0.1"},
		{"private peer, nothing trusted: X-Real-IP ignored", "10.0.3.1:1", "203.0.113.7", nil, nil, "10.0.3.1"},
		{"untrusted private peer: header ignored", "10.9.9.9:1", "", []string{"203.0.113.6"}, trusted, "10.9.9.9"},
		{"trusted proxy names the client", "10.0.3.1:1", "", []string{"203.0.113.6"}, trusted, "203.0.113.6"},
		{"client-written hops left of the real one are ignored", "10.0.3.1:1", "", []string{"1.1.1.1, 2.2.2.2, 203.0.113.6"}, trusted, "203.0.113.6"},
		{"chained trusted proxies are skipped", "10.0.3.1:1", "", []string{"1.1.1.1, 203.0.113.6, 10.0.3.9"}, trusted, "203.0.113.6"},
		{"every header line counts", "10.0.3.1:1", "", []string{"1.1.1.1", "203.0.113.6, 10.0.3.2"}, trusted, "203.0.113.6"},
		{"X-Real-IP when there is no X-Forwarded-For", "10.0.3.1:1", "203.0.113.7", nil, trusted, "203.0.113.7"},
		{"X-Forwarded-For wins over X-Real-IP", "10.0.3.1:1", "1.1.1.1", []string{"203.0.113.6"}, trusted, "203.0.113.6"},
		{"trusted peer, no header: the peer", "10.0.3.1:1", "", nil, trusted, "10.0.3.1"},
		{"garbage from a trusted proxy: unknown", "10.0.3.1:1", "", []string{"not an address"}, trusted, NoIPBucket},
		{"IPv6 client through an IPv6 proxy, /64", "[fd00::1]:1", "", []string{"2001:db8:7:8::1"}, trusted, "2001:db8:7:8::/64"},
		{"IPv4-mapped hop unmapped", "10.0.3.1:1", "", []string{"::ffff:203.0.113.8"}, trusted, "203.0.113.8"},
		{"IPv6 zone dropped", "[fe80::1%eth0]:1", "", nil, nil, "fe80::/64"},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.peer
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if c.xrealip != "" {
			r.Header.Set("X-Real-IP", c.xrealip)
		}
		if got := Bucket(ClientAddr(r, c.trusted)); got != c.want {
			t.Errorf("%s: bucket %q, want %q", c.name, got, c.want)
		}
	}
}
