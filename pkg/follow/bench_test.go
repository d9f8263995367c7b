package follow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/store"
	"github.com/recap-startos/recap/pkg/transcript"
)

// benchFeeds serves /feed/N.xml: N's own feed of 15 episodes (as many as
// a YouTube channel feed shows), with an ETag, and 304 to a request that
// sends it back. It counts the requests and the 304 answers.
type benchFeeds struct {
	requests, notModified atomic.Int64
}

func (f *benchFeeds) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	n := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/feed/"), ".xml")
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0"?><rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel><title>Show %s</title>`, n)
	for i := 0; i < 15; i++ {
		fmt.Fprintf(&b, `<item><title>Show %s, episode %d</title><guid>%s-%d</guid><pubDate>%s</pubDate><enclosure url="https://media.example.org/%s/%d.mp3" type="audio/mpeg"/><podcast:transcript url="https://media.example.org/%s/%d.vtt" type="text/vtt"/></item>`,
			n, i, n, i, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -i).Format(time.RFC1123Z), n, i, n, i)
	}
	b.WriteString(`</channel></rss>`)
	sum := sha256.Sum256([]byte(b.String()))
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		f.notModified.Add(1)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/rss+xml")
	w.Write([]byte(b.String()))
}

// benchFollows makes a multi-mode database in dir with 1,000 follows of
// ten users, each of its own feed on srv.
func benchFollows(b *testing.B, dir, srv string) (*store.Store, *SQLStore) {
	b.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dir, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	fs := &SQLStore{DB: st}
	for u := 0; u < 10; u++ {
		user, _, err := st.EnsureUser(ctx, store.NewUser{Email: fmt.Sprintf("user%d@example.org", u)})
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < 100; i++ {
			n := u*100 + i
			f := Follow{ID: fmt.Sprintf("follow%04d", n), Owner: user.ID, Kind: transcript.FollowPodcast,
				Ref: fmt.Sprintf("%s/feed/%d.xml", srv, n), Link: "x", Title: "x", CreatedAt: day0, NextCheck: day0}
			if err := fs.Add(ctx, f, 0); err != nil {
				b.Fatal(err)
			}
		}
	}
	return st, fs
}

// BenchmarkPass1000 is one pass over 1,000 follows, each its own feed on
// a local server: "first" is the first check of every follow (1,000 feeds
// downloaded and parsed, 15,000 entries recorded as back catalogue),
// "unchanged" a later check where every feed answers 304. No recap is
// made (nothing is new), so this is the cost of the checking itself.
// requests/op counts the HTTP requests of one pass.
func BenchmarkPass1000(b *testing.B) {
	feeds := &benchFeeds{}
	srv := httptest.NewServer(feeds)
	defer srv.Close()
	ctx := context.Background()
	for _, phase := range []string{"first", "unchanged"} {
		b.Run(phase, func(b *testing.B) {
			var checked int
			var requests int64
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				st, fs := benchFollows(b, b.TempDir(), srv.URL)
				c := &Checker{Store: fs, Log: quiet, Now: func() time.Time { return day0 }}
				if phase == "unchanged" {
					if _, err := c.Pass(ctx, true); err != nil {
						b.Fatal(err)
					}
				}
				before := feeds.requests.Load()
				b.StartTimer()
				rep, err := c.Pass(ctx, true)
				b.StopTimer()
				if err != nil || rep.Checked != 1000 || rep.Failed != 0 || (phase == "unchanged" && rep.Unchanged != 1000) {
					b.Fatalf("pass: %+v, %v", rep, err)
				}
				checked += rep.Checked
				requests += feeds.requests.Load() - before
				st.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
			b.ReportMetric(float64(checked)/float64(b.N), "feeds/op")
		})
	}
}
