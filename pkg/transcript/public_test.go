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
	cases := map[string]bool{
		"93.184.216.34": true, "2606:4700::1111": true,
		"127.0.0.1": false, "::1": false, "10.1.2.3": false, "172.16.0.9": false, "192.168.1.10": false,
		"169.254.169.254": false, "fe80::1": false, "fd00::5": false, "100.64.3.4": false,
		"0.0.0.0": false, "::": false, "224.0.0.1": false, "::ffff:192.168.1.10": false, "::ffff:93.184.216.34": true,
	}
	for addr, want := range cases {
		if got := publicAddr(netip.MustParseAddr(addr)); got != want {
			t.Errorf("publicAddr(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestPublicOnlyRefusesLocalDownloads(t *testing.T) {
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
	// The YouTube base URL is the owner's setting and stays reachable.
	if _, err := Fetch(context.Background(), src, Options{PublicOnly: true, YouTubeBaseURL: srv.URL}); err != nil {
		t.Fatalf("YouTube base host with PublicOnly: %v", err)
	}
}
