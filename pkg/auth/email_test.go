package auth

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCanonicalEmail(t *testing.T) {
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
		if strings.Count(out, "@") != 1 || strings.ContainsAny(out, ",;\"<>()\\ \r\n\t") || len(out) > maxEmail {
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
	if got := MaskEmail("ada@example.org"); got != "a•••@example.org" {
		t.Fatal(got)
	}
}

func TestClientAddrAndBucket(t *testing.T) {
	cases := []struct {
		name, peer, xff, xrealip string
		bucket                   string
	}{
		{"public IPv4 peer", "203.0.113.5:1234", "", "", "203.0.113.5"},
		{"public peer's header is ignored", "203.0.113.5:1234", "1.2.3.4", "1.2.3.4", "203.0.113.5"},
		{"proxy on loopback reports the client", "127.0.0.1:1234", "9.9.9.9, 203.0.113.6", "", "203.0.113.6"},
		{"private proxy, X-Real-IP", "10.0.3.1:1234", "", "203.0.113.7", "203.0.113.7"},
		{"IPv6 /64 shared", "[2001:db8:1:2::1]:1", "", "", "2001:db8:1:2::/64"},
		{"IPv6 /64 other host same net", "[2001:db8:1:2:ffff::9]:1", "", "", "2001:db8:1:2::/64"},
		{"IPv6 next /64", "[2001:db8:1:3::1]:1", "", "", "2001:db8:1:3::/64"},
		{"IPv4-mapped peer", "[::ffff:203.0.113.5]:1", "", "", "203.0.113.5"},
		{"IPv4-mapped in header", "127.0.0.1:1", "::ffff:203.0.113.8", "", "203.0.113.8"},
		{"garbage header keeps the peer", "127.0.0.1:1", "not an address", "", "127.0.0.1"},
		{"no address", "@", "", "", NoIPBucket},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.peer
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if c.xrealip != "" {
			r.Header.Set("X-Real-IP", c.xrealip)
		}
		if got := Bucket(ClientAddr(r)); got != c.bucket {
			t.Errorf("%s: bucket %q, want %q", c.name, got, c.bucket)
		}
	}
}

func TestTokens(t *testing.T) {
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
