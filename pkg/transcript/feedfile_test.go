package transcript

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/recap-startos/recap/pkg/recap"
)

// TestFeedFile reads a podcast feed saved as a file, on disk and as an
// upload would give it: the episode is chosen as for a feed URL, and its
// transcript comes from where the feed says.
func TestFeedFile(t *testing.T) {
	t.Parallel()
	h := newPodcastHost(t)
	data := h.feed("example.xml")
	path := filepath.Join(t.TempDir(), "example.xml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	opt := h.opt()
	for _, tc := range []struct {
		name, episode, title string
		read                 func(Options) (*recap.Transcript, error)
	}{
		{"file, newest", "", "Episode 3 - The Future", func(o Options) (*recap.Transcript, error) {
			o.LocalFiles = true
			return Fetch(context.Background(), path, o)
		}},
		{"file, --episode 2", "2", "Episode 2 - The Present", func(o Options) (*recap.Transcript, error) {
			o.LocalFiles = true
			return Fetch(context.Background(), path, o)
		}},
		{"file, by title", "past", "Episode 1 - The Past", func(o Options) (*recap.Transcript, error) {
			o.LocalFiles = true
			return Fetch(context.Background(), path, o)
		}},
		{"upload", "", "Episode 3 - The Future", func(o Options) (*recap.Transcript, error) {
			return Read(context.Background(), "example.xml", data, o)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := opt
			o.Episode = tc.episode
			tr, err := tc.read(o)
			if err != nil {
				t.Fatal(err)
			}
			if tr.Source.Type != recap.SourcePodcast || tr.Source.Title != tc.title || tr.Source.Channel != "Podcasting 2.0 Namespace Example" {
				t.Fatalf("source %+v", tr.Source)
			}
			if tr.Words() < MinWords || strings.Contains(tr.Units[0].Text, "<") {
				t.Fatalf("transcript of %d words: %q", tr.Words(), tr.Units[0].Text)
			}
		})
	}
	if err := Check("example.xml", data); err != nil {
		t.Fatalf("Check: %v", err)
	}
	// Parse cannot download; it says what the file is instead of reading
	// XML as words.
	if _, err := Parse("example.xml", data, opt); KindOf(err) != KindBadInput || !strings.Contains(err.Error(), "is a podcast feed") {
		t.Fatalf("Parse: %v", err)
	}
	// A feed without episodes is refused by Check.
	empty := []byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title></channel></rss>`)
	if err := Check("quiet.xml", empty); KindOf(err) != KindBadInput || !strings.Contains(err.Error(), "has no episodes") {
		t.Fatalf("Check of an empty feed: %v", err)
	}
}

// TestDefaultEpisodeHasATranscript: without --episode, the newest episode
// that has a transcript is read, not a newer one without.
func TestDefaultEpisodeHasATranscript(t *testing.T) {
	t.Parallel()
	f := &podcastFeed{Episodes: []episode{
		{Title: "Trailer"},
		{Title: "Episode 9", Transcripts: []feedLink{{URL: "https://example.org/9.vtt"}}},
	}}
	ep, err := selectEpisode(f, "")
	if err != nil || ep.Title != "Episode 9" {
		t.Fatalf("%q %v", ep.Title, err)
	}
	if ep, _ := selectEpisode(f, "1"); ep.Title != "Trailer" {
		t.Fatalf("--episode 1 gave %q", ep.Title)
	}
}

// TestFeedAt: a linked feed comes back whole with its final address; a
// document of another kind comes back as nothing, unread past its head
// (a large one is not refused as too large); failures are *Error.
func TestFeedAt(t *testing.T) {
	t.Parallel()
	feed, err := os.ReadFile("../../testdata/feeds/example.xml")
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("WEBVTT is not a feed, and this line says so again. ", 60_000) // about 3 MB
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/old":
			http.Redirect(w, r, "/feed.xml", http.StatusMovedPermanently)
		case "/feed.xml":
			w.Header().Set("Content-Type", "application/rss+xml")
			w.Write(feed)
		case "/big.vtt":
			w.Header().Set("Content-Type", "text/vtt")
			for i := 0; i < len(big); i += 64 << 10 { // chunked: no length to refuse early
				w.Write([]byte(big[i:min(i+64<<10, len(big))]))
				w.(http.Flusher).Flush()
			}
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	ctx := context.Background()

	data, final, err := FeedAt(ctx, srv.URL+"/old", Options{})
	if err != nil || !bytes.Equal(data, feed) || final != srv.URL+"/feed.xml" {
		t.Fatalf("feed: %d bytes, %q, %v", len(data), final, err)
	}
	data, _, err = FeedAt(ctx, srv.URL+"/big.vtt", Options{MaxBytes: 1 << 20})
	if err != nil || data != nil {
		t.Fatalf("a large document that is not a feed: %d bytes, %v", len(data), err)
	}
	if _, _, err := FeedAt(ctx, srv.URL+"/feed.xml", Options{MaxBytes: 1 << 10}); KindOf(err) != KindTooLarge {
		t.Fatalf("a feed over the limit: %v", err)
	}
	if _, _, err := FeedAt(ctx, srv.URL+"/gone.xml", Options{}); KindOf(err) == KindUnknown || !strings.Contains(err.Error(), "404") {
		t.Fatalf("missing: %v (kind %v)", err, KindOf(err))
	}
	if _, _, err := FeedAt(ctx, srv.URL+"/feed.xml", Options{PublicOnly: true}); !strings.Contains(fmt.Sprint(err), "private network") {
		t.Fatalf("with PublicOnly: %v", err)
	}
	// A YouTube link (a channel here) is no feed, and is not downloaded.
	refuse := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		t.Errorf("FeedAt requested %s", r.URL)
		return nil, fmt.Errorf("no requests in this test")
	})}
	if data, _, err := FeedAt(ctx, "https://www.youtube.com/@somechannel", Options{HTTPClient: refuse}); data != nil || err != nil {
		t.Fatalf("a YouTube link: %d bytes, %v", len(data), err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestReadFeed reads a saved feed within the size limit and refuses one
// over it, a file that is not a feed is read (FeedEpisodes then says what
// it is), and a source that is neither a file nor a link is bad input.
func TestReadFeed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join("..", "..", "testdata", "feeds", "example.xml")
	name, data, err := ReadFeed(ctx, path, Options{LocalFiles: true})
	if err != nil || name != "example.xml" || !IsFeed(data) {
		t.Fatalf("saved feed: %q, %d bytes, %v", name, len(data), err)
	}
	if _, _, err := ReadFeed(ctx, path, Options{LocalFiles: true, MaxBytes: 100}); KindOf(err) != KindTooLarge {
		t.Fatalf("over the limit: %v", err)
	}
	if _, _, err := ReadFeed(ctx, path, Options{}); KindOf(err) != KindBadInput {
		t.Fatalf("a local file without LocalFiles: %v", err)
	}
	if _, _, err := ReadFeed(ctx, "nowhere", Options{LocalFiles: true}); KindOf(err) != KindBadInput {
		t.Fatalf("neither: %v", err)
	}
}
