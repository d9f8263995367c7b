package follow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/credits"
	"github.com/recap-startos/recap/pkg/jobs"
	"github.com/recap-startos/recap/pkg/library"
	"github.com/recap-startos/recap/pkg/recap"
	"github.com/recap-startos/recap/pkg/store"
	"github.com/recap-startos/recap/pkg/summarize"
	"github.com/recap-startos/recap/pkg/transcript"
)

// Stand-ins for the outside world: a podcast host whose feed changes
// during a test, and YouTube (a channel page, watch pages, the channel's
// Atom feed, the player endpoint and timedtext) built from the captured
// responses in testdata/youtube.

var quiet = slog.New(slog.DiscardHandler)

func readTestdata(t testing.TB, parts ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{"..", "..", "testdata"}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type episodeFixture struct {
	GUID, Title string
	Published   time.Time
	Transcript  bool
}

// podcastHost serves /feed.xml (RSS with Podcasting 2.0 transcripts)
// with an ETag and Last-Modified, answering 304 to a request that
// carries them, and /t/GUID.srt, the transcript of each episode.
type podcastHost struct {
	t   testing.TB
	srt []byte

	mu          sync.Mutex
	episodes    []episodeFixture // newest last
	failStatus  int              // when set, the feed answers this
	modified    time.Time
	feedGets    int
	notModified int
	srv         *httptest.Server
}

func newPodcastHost(t testing.TB, eps ...episodeFixture) *podcastHost {
	h := &podcastHost{t: t, srt: readTestdata(t, "podcast", "transcripts-example.srt"), episodes: eps, modified: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	h.srv = httptest.NewServer(h)
	t.Cleanup(h.srv.Close)
	return h
}

func (h *podcastHost) feedURL() string { return h.srv.URL + "/feed.xml" }

// publish adds an episode, as a podcast host does when one comes out.
func (h *podcastHost) publish(ep episodeFixture) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.episodes = append(h.episodes, ep)
	h.modified = h.modified.Add(time.Hour)
}

// addTranscript gives an episode its transcript.
func (h *podcastHost) addTranscript(guid string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := range h.episodes {
		if h.episodes[i].GUID == guid {
			h.episodes[i].Transcript = true
		}
	}
	h.modified = h.modified.Add(time.Hour)
}

func (h *podcastHost) fail(status int) {
	h.mu.Lock()
	h.failStatus = status
	h.mu.Unlock()
}

func (h *podcastHost) counts() (gets, notModified int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.feedGets, h.notModified
}

func (h *podcastHost) feed() []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
<channel><title>Stand-in Show</title><language>en</language>
`)
	for i := len(h.episodes) - 1; i >= 0; i-- {
		ep := h.episodes[i]
		fmt.Fprintf(&b, "<item><title>%s</title><guid isPermaLink=\"false\">%s</guid><pubDate>%s</pubDate>\n",
			html.EscapeString(ep.Title), ep.GUID, ep.Published.Format(time.RFC1123Z))
		fmt.Fprintf(&b, "<enclosure url=\"%s/media/%s.mp3\" type=\"audio/mpeg\" length=\"1\"/>\n", h.srv.URL, ep.GUID)
		if ep.Transcript {
			fmt.Fprintf(&b, "<podcast:transcript url=\"%s/t/%s.srt\" type=\"application/srt\"/>\n", h.srv.URL, ep.GUID)
		}
		b.WriteString("</item>\n")
	}
	b.WriteString("</channel></rss>\n")
	return []byte(b.String())
}

func (h *podcastHost) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case r.URL.Path == "/feed.xml":
		h.feedGets++
		if h.failStatus != 0 {
			http.Error(w, "the host is down", h.failStatus)
			return
		}
		body := h.feed()
		sum := sha256.Sum256(body)
		etag := `"` + hex.EncodeToString(sum[:8]) + `"`
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", h.modified.Format(http.TimeFormat))
		if r.Header.Get("If-None-Match") == etag {
			h.notModified++
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write(body)
	case strings.HasPrefix(r.URL.Path, "/t/"):
		w.Header().Set("Content-Type", "application/srt")
		w.Write(h.srt)
	default:
		http.NotFound(w, r)
	}
}

// The captured videos: GJLlxj_dtq8 (watch page and player response, of
// the channel UCVYamHliCI9rw1tHR1xbkfw) and F1xioXWb8CY (player response).
const (
	capturedVideo   = "GJLlxj_dtq8"
	capturedVideo2  = "F1xioXWb8CY"
	capturedChannel = "UCVYamHliCI9rw1tHR1xbkfw"
)

type videoFixture struct {
	ID, Title string
	Published time.Time
}

// fakeYouTube stands in for www.youtube.com.
type fakeYouTube struct {
	t        testing.TB
	srv      *httptest.Server
	page     []byte            // the captured watch page
	players  map[string][]byte // video id → player response
	captions []byte            // json3 served for every English track

	mu          sync.Mutex
	videos      []videoFixture // the channel's uploads, newest last
	noCaptions  map[string]bool
	feedGets    int
	notModified int
}

func newFakeYouTube(t testing.TB, videos ...videoFixture) *fakeYouTube {
	f := &fakeYouTube{
		t:    t,
		page: readTestdata(t, "youtube", "jdepoix", "youtube.html.static"),
		players: map[string][]byte{
			capturedVideo:  readTestdata(t, "youtube", "jdepoix", "youtube.innertube.json.static"),
			capturedVideo2: readTestdata(t, "youtube", "jdepoix", "youtube_ww1_nl_en.innertube.json.static"),
		},
		captions:   readTestdata(t, "youtube", "own", "manual.en.json3"),
		videos:     videos,
		noCaptions: map[string]bool{},
	}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeYouTube) upload(v videoFixture) {
	f.mu.Lock()
	f.videos = append(f.videos, v)
	f.mu.Unlock()
}

func (f *fakeYouTube) setCaptions(id string, has bool) {
	f.mu.Lock()
	f.noCaptions[id] = !has
	f.mu.Unlock()
}

func (f *fakeYouTube) atom() []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" xmlns:media="http://search.yahoo.com/mrss/" xmlns="http://www.w3.org/2005/Atom">
<id>yt:channel:` + capturedChannel + `</id><title>Dave2D</title>
`)
	for i := len(f.videos) - 1; i >= 0; i-- {
		v := f.videos[i]
		fmt.Fprintf(&b, "<entry><id>yt:video:%s</id><yt:videoId>%s</yt:videoId><yt:channelId>%s</yt:channelId><title>%s</title>"+
			"<link rel=\"alternate\" href=\"https://www.youtube.com/watch?v=%s\"/><published>%s</published></entry>\n",
			v.ID, v.ID, capturedChannel, html.EscapeString(v.Title), v.ID, v.Published.Format(time.RFC3339))
	}
	b.WriteString("</feed>\n")
	return []byte(b.String())
}

func (f *fakeYouTube) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := r.URL.Query()
	switch {
	case r.URL.Path == "/@dave2d":
		fmt.Fprintf(w, `<html><head><link rel="canonical" href="https://www.youtube.com/channel/%s"></head><body>Dave2D</body></html>`, capturedChannel)
	case r.URL.Path == "/feeds/videos.xml":
		if q.Get("channel_id") != capturedChannel {
			http.NotFound(w, r)
			return
		}
		f.feedGets++
		body := f.atom()
		sum := sha256.Sum256(body)
		etag := `"` + hex.EncodeToString(sum[:8]) + `"`
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			f.notModified++
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/atom+xml")
		w.Write(body)
	case r.URL.Path == "/watch":
		if q.Get("v") == capturedVideo {
			w.Write(f.page)
			return
		}
		fmt.Fprintf(w, `<html><script>ytcfg.set({"INNERTUBE_API_KEY":"AIzaStandIn","VISITOR_DATA":"Cgt2aXNpdG9y"});</script>"channelId":"%s"</html>`, capturedChannel)
	case r.URL.Path == "/youtubei/v1/player":
		var body struct {
			VideoID string `json:"videoId"`
		}
		json.NewDecoder(r.Body).Decode(&body)
		p, ok := f.players[body.VideoID]
		if !ok || f.noCaptions[body.VideoID] {
			p = readTestdata(f.t, "youtube", "jdepoix", "youtube_transcripts_disabled.innertube.json.static")
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(p)
	case r.URL.Path == "/api/timedtext":
		if q.Get("fmt") == "json3" && q.Get("lang") == "en" {
			w.Write(f.captions)
		}
	default:
		http.NotFound(w, r)
	}
}

// world is a Recap of one mode's parts, on real files: a job queue with
// the builtin engine and a library, and a follow store.
type world struct {
	t     testing.TB
	dir   string
	opt   transcript.Options
	queue *jobs.Queue
	lib   *library.Library
	store Store
	clock *testClock

	db     *store.Store    // multi mode
	ledger *credits.Ledger // multi mode
}

type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// newSingleWorld opens a single-mode world in dir (again, after a
// restart, when dir holds one).
func newSingleWorld(t testing.TB, dir string, opt transcript.Options, clock *testClock) *world {
	t.Helper()
	lib, err := library.Open(filepath.Join(dir, "history"), "")
	if err != nil {
		t.Fatal(err)
	}
	q, err := jobs.Open(jobs.Config{Dir: filepath.Join(dir, "jobs"), Engine: summarize.NewBuiltin(), Options: opt, Library: jobs.OwnerFolder(lib), Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	st, err := OpenFileStore(filepath.Join(dir, "follows.json"))
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, dir: dir, opt: opt, queue: q, lib: lib, store: st, clock: clock}
	t.Cleanup(func() { q.Shutdown(context.Background()) })
	return w
}

func (w *world) checker(l Limits) *Checker {
	return &Checker{Store: w.store, Jobs: w.queue, Options: w.opt, Limits: l, Now: w.clock.Now, Log: quiet}
}

// settle runs passes until no item of the store waits for a job, so that
// every job submitted has ended and been recorded.
func (w *world) settle(c *Checker) {
	w.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		items, err := w.store.Active(context.Background())
		if err != nil {
			w.t.Fatal(err)
		}
		queued := 0
		for _, it := range items {
			if it.State == ItemQueued {
				queued++
				if st, err := w.queue.Get(it.JobID); err == nil && !st.Finished() {
					time.Sleep(20 * time.Millisecond)
				}
			}
		}
		if queued == 0 {
			return
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("%d items still queued", queued)
		}
		c.follows = w.followsByID()
		if _, err := c.settle(context.Background(), c.follows); err != nil {
			w.t.Fatal(err)
		}
	}
}

func (w *world) followsByID() map[string]Follow {
	fs, err := w.store.All(context.Background())
	if err != nil {
		w.t.Fatal(err)
	}
	m := map[string]Follow{}
	for _, f := range fs {
		m[f.ID] = f
	}
	return m
}

// recaps reads the recaps filed under dir/history (and its users'
// folders) straight from their files.
func recaps(t testing.TB, dir string) []*recap.Document {
	t.Helper()
	var out []*recap.Document
	filepath.WalkDir(filepath.Join(dir, "history"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var doc recap.Document
		if json.Unmarshal(data, &doc) == nil && doc.ID != "" {
			out = append(out, &doc)
		}
		return nil
	})
	return out
}

// recappedKeys counts the recaps of each episode or video.
func recappedKeys(docs []*recap.Document) map[string]int {
	m := map[string]int{}
	for _, d := range docs {
		m[d.Source.EpisodeID+d.Source.VideoID]++
	}
	return m
}
