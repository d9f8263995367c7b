package transcript

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestPublicAddr(t *testing.T) {
	t.Parallel()
	cases := map[string]bool{
		"93.184.216.34": true, "2606:4700::1111": true,
		"127.0.0.1": false, "::1": false, "10.1.2.3": false, "172.16.0.9": false, "192.168.1.10": false,
		"169.254.169.254": false, "fe80::1": false, "fd00::5": false, "100.64.3.4": false,
		"0.0.0.0": false, "::": false, "224.0.0.1": false, "::ffff:192.168.1.10": false, "::ffff:93.184.216.34": true,
		// NAT64 and 6to4 reach the IPv4 address they embed.
		"64:ff9b::7f00:1": false, "64:ff9b::a00:1": false, "64:ff9b::a9fe:a9fe": false, "64:ff9b::5db8:d822": true,
		"2002:7f00:1::1": false, "2002:c0a8:10a::1": false, "2002:a9fe:a9fe::": false, "2002:5db8:d822::1": true,
		"64:ff9b:1::a00:1": false, "2001:0:4136:e378:8000:63bf:3fff:fdd2": false, "::7f00:1": false,
	}
	for addr, want := range cases {
		if got := publicAddr(netip.MustParseAddr(addr)); got != want {
			t.Errorf("publicAddr(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestPublicOnlyRefusesLocalDownloads(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/vtt")
		w.Write([]byte("WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nHello from the local network.\n\n00:00:05.000 --> 00:00:08.000\nThis should stay private.\n\n" +
			"00:00:09.000 --> 00:00:30.000\n" + strings.Repeat("The server on this network keeps its documents to itself. ", 6) + "\n"))
	}))
	defer srv.Close()
	src := srv.URL + "/talk.vtt"

	if _, err := Fetch(context.Background(), src, Options{}); err != nil {
		t.Fatalf("without PublicOnly: %v", err)
	}
	_, err := Fetch(context.Background(), src, Options{PublicOnly: true})
	if KindOf(err) != KindBadInput || !strings.Contains(err.Error(), "private network") {
		t.Fatalf("with PublicOnly: %v (kind %v)", err, KindOf(err))
	}
	// A typed URL on the YouTube base's host is not the base: refused too.
	_, err = Fetch(context.Background(), src, Options{PublicOnly: true, YouTubeBaseURL: srv.URL})
	if KindOf(err) != KindBadInput || !strings.Contains(err.Error(), "private network") {
		t.Fatalf("typed URL on the YouTube base host with PublicOnly: %v", err)
	}
}

// TestYouTubeBaseExemptionIsNarrow: with PublicOnly, the YouTube fetcher
// still reaches a base on the local network, but only the base's own
// paths: a base that redirects elsewhere on the local network is refused
// at the redirect, and a base with a path does not exempt the rest of
// its host.
func TestYouTubeBaseExemptionIsNarrow(t *testing.T) {
	t.Parallel()
	f := okFake(t)
	_, opt := f.start()
	opt.PublicOnly = true
	if _, err := fetchYT(t, opt, okVideo); err != nil {
		t.Fatalf("fetch through a local base: %v", err)
	}

	// Another local server the base redirects to.
	inner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("secret of the local network"))
	}))
	defer inner.Close()
	redirecting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, inner.URL+"/admin", http.StatusFound)
	}))
	defer redirecting.Close()
	_, err := fetchYT(t, Options{PublicOnly: true, YouTubeBaseURL: redirecting.URL}, okVideo)
	if err == nil || !strings.Contains(err.Error(), "private network") {
		t.Fatalf("base redirecting to another local host: %v", err)
	}

	// A base with a path exempts that path only: a redirect to the same
	// host outside it is refused.
	mux := http.NewServeMux()
	mux.Handle("/yt/", http.StripPrefix("/yt", f))
	mux.HandleFunc("/watch", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/admin", http.StatusFound)
	})
	pathed := httptest.NewServer(mux)
	defer pathed.Close()
	if _, err := fetchYT(t, Options{PublicOnly: true, YouTubeBaseURL: pathed.URL + "/yt"}, okVideo); err != nil {
		t.Fatalf("base with a path: %v", err)
	}
	_, err = do(context.Background(), Options{PublicOnly: true, YouTubeBaseURL: pathed.URL + "/yt"}, request{URL: pathed.URL + "/admin", ToBase: true, Subject: "a page"})
	if err == nil || !strings.Contains(err.Error(), "private network") {
		t.Fatalf("the base's host outside the base's path: %v", err)
	}
}
