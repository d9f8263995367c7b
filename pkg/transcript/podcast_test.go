package transcript

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/recap-startos/recap/pkg/recap"
)

// needParsers skips a test that reads transcript documents when the
// format parsers cannot read a minimal document of each timed kind.
func needParsers(t *testing.T) {
	t.Helper()
	samples := map[string]string{
		"a.srt": "1\n00:00:01,000 --> 00:00:02,000\nhello\n",
		"a.vtt": "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhello\n",
	}
	for name, doc := range samples {
		if _, err := Parse(name, []byte(doc), Options{}); err != nil {
			t.Skipf("transcript parsers not available yet: %v", err)
		}
	}
}

// feedLinkPattern finds the URL of a transcript or chapters element.
var feedLinkPattern = regexp.MustCompile(`(<podcast:(?:transcript|chapters)[^>]*?url=")https?://([^"]+)"`)

// podcastHost serves feeds from testdata/feeds with every transcript and
// chapters URL moved onto itself under /files/<original host and path>,
// where the podcast-namespace examples stand in for the real files.
type podcastHost struct {
	t    *testing.T
	srv  *httptest.Server
	hits []string
}

func newPodcastHost(t *testing.T) *podcastHost {
	h := &podcastHost{t: t}
	h.srv = httptest.NewServer(h)
	t.Cleanup(h.srv.Close)
	return h
}

func (h *podcastHost) feedURL(name string) string { return h.srv.URL + "/feeds/" + name }

func (h *podcastHost) opt() Options { return Options{HTTPClient: h.srv.Client()} }

// feed returns a testdata feed with its links rewritten to the host.
func (h *podcastHost) feed(name string) []byte {
	data := readTestdata(h.t, "feeds", name)
	return feedLinkPattern.ReplaceAll(data, []byte(`${1}`+h.srv.URL+`/files/${2}"`))
}

func (h *podcastHost) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	h.hits = append(h.hits, p)
	switch {
	case strings.HasPrefix(p, "/feeds/"):
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		w.Write(h.feed(strings.TrimPrefix(p, "/feeds/")))
	case strings.HasPrefix(p, "/files/"):
		f := strings.ToLower(p)
		var file, ct string
		switch {
		case strings.Contains(f, "missing"):
			http.NotFound(w, r)
			return
		case strings.Contains(f, "chapters") || strings.HasPrefix(f, "/files/34.117.70.159/"):
			file, ct = "chapters-exampleComplex.json", "application/json+chapters"
		case strings.HasSuffix(f, ".srt"):
			file, ct = "transcripts-example.srt", "application/x-subrip"
		case strings.HasSuffix(f, ".vtt"):
			file, ct = "transcripts-example.vtt", "text/vtt"
		case strings.HasSuffix(f, ".json"):
			file, ct = "transcripts-example.json", "application/json"
		case strings.HasSuffix(f, ".html"):
			file, ct = "transcripts-example.html", "text/html"
		case strings.HasSuffix(f, ".txt"):
			w.Header().Set("Content-Type", "text/plain")
			w.Write([]byte("Welcome to the show. Today we talk about feeds.\n\nThen we answer letters from listeners.\n\n" +
				"The first letter asks how a feed tells apps where the transcript of each episode lives, and the answer is one tag per file.\n"))
			return
		default:
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", ct)
		w.Write(readTestdata(h.t, "podcast", file))
	default:
		http.NotFound(w, r)
	}
}

func (h *podcastHost) fetch(name string, opt Options) (*recap.Transcript, error) {
	return fetchPodcast(context.Background(), h.feedURL(name), h.feed(name), opt)
}

func TestPodcastEpisodeSelection(t *testing.T) {
	t.Parallel()
	needParsers(t)
	cases := []struct {
		name      string
		episode   string
		wantGUID  string
		wantTitle string
	}{
		{"default is the newest", "", "PC2057", "Episode 57: Rebel Rubes"},
		{"by guid", "PC2054", "PC2054", "Episode 54: Power to the People"},
		{"by index", "3", "PC2055", "Episode 55: All Jacked Up"},
		{"by title substring", "rocket IN your", "PC2056", "Episode 56: Rocket in your Pocket"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newPodcastHost(t)
			opt := h.opt()
			opt.Episode = tc.episode
			tr, err := h.fetch("pc20rss.xml", opt)
			if err != nil {
				t.Fatal(err)
			}
			if tr.Source.EpisodeID != tc.wantGUID || tr.Source.Title != tc.wantTitle {
				t.Errorf("got %s %q", tr.Source.EpisodeID, tr.Source.Title)
			}
		})
	}
}

func TestPodcastSource(t *testing.T) {
	t.Parallel()
	needParsers(t)
	h := newPodcastHost(t)
	tr, err := h.fetch("pc20rss.xml", h.opt())
	if err != nil {
		t.Fatal(err)
	}
	s := tr.Source
	if s.Type != recap.SourcePodcast || s.Channel != "Podcasting 2.0" || s.UploadDate != "2021-10-08" ||
		s.FeedURL != h.feedURL("pc20rss.xml") || s.MediaURL != "https://mp3s.nashownotes.com/PC20-57-2021-10-08-Final.mp3" ||
		s.Language != "en" || s.Captions != recap.CaptionsFile {
		t.Errorf("source = %+v", s)
	}
	if s.Duration != 0 {
		t.Errorf("duration = %v, but the feed has no itunes:duration", s.Duration)
	}
	if len(tr.Units) == 0 || !tr.Timed() {
		t.Errorf("units = %d, timed %v", len(tr.Units), tr.Timed())
	}
	// The complex chapters file has toc:false entries, which are left out.
	want, err := parseChaptersJSON(readTestdata(t, "podcast", "chapters-exampleComplex.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Chapters) == 0 || len(tr.Chapters) != len(want) {
		t.Errorf("chapters = %v, want %v", tr.Chapters, want)
	}
}

func TestPodcastTranscriptTypes(t *testing.T) {
	t.Parallel()
	needParsers(t)
	cases := []struct {
		name     string
		feed     string
		edit     func(string) string // applied to the rewritten feed
		opt      Options
		wantFile string // the /files/ path fetched for the transcript
		wantLang string
		timed    bool
	}{
		{"srt with rel captions", "themnshow.xml", nil, Options{}, "themnshow054-20240914-DRAFT-transcript.srt", "EN", true},
		{"vtt", "themnshow.xml", nil, Options{Episode: "fe49b65b-9026-4f0d-9758-8b4b746bbb88"}, "themnshow050-20240622-DRAFT-transcript.vtt", "EN", true},
		{"plain text in the feed language beats Spanish vtt", "example.xml", nil, Options{}, "ep3/transcript.txt", "en-US", false},
		{"wanted language", "example.xml", nil, Options{Lang: "es"}, "episode1/transcript.vtt", "es", true},
		{"json first", "example.xml", func(s string) string {
			return strings.Replace(s, `<podcast:transcript url="`, `<podcast:transcript url="HOST/files/ep3/transcript.html" type="text/html"/><podcast:transcript url="HOST/files/ep3/transcript.json" type="application/json"/><podcast:transcript url="`, 1)
		}, Options{}, "ep3/transcript.json", "en-US", true},
		{"html before text", "example.xml", func(s string) string {
			return strings.Replace(s, `<podcast:transcript url="`, `<podcast:transcript url="HOST/files/ep3/transcript.html" type="text/html"/><podcast:transcript url="`, 1)
		}, Options{}, "ep3/transcript.html", "en-US", true},
		{"a broken file falls through to the next", "example.xml", func(s string) string {
			return strings.Replace(s, `<podcast:transcript url="`, `<podcast:transcript url="HOST/files/missing.json" type="application/json"/><podcast:transcript url="`, 1)
		}, Options{}, "ep3/transcript.txt", "en-US", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newPodcastHost(t)
			data := string(h.feed(tc.feed))
			if tc.edit != nil {
				data = strings.ReplaceAll(tc.edit(data), "HOST", h.srv.URL)
			}
			opt := tc.opt
			opt.HTTPClient = h.srv.Client()
			tr, err := fetchPodcast(context.Background(), h.feedURL(tc.feed), []byte(data), opt)
			if err != nil {
				t.Fatal(err)
			}
			fetched := false
			for _, hit := range h.hits {
				if strings.HasSuffix(hit, "/"+tc.wantFile) {
					fetched = true
				}
			}
			if !fetched {
				t.Errorf("requests %v, want %s", h.hits, tc.wantFile)
			}
			if tr.Source.Language != tc.wantLang || tr.Timed() != tc.timed {
				t.Errorf("language %q timed %v", tr.Source.Language, tr.Timed())
			}
		})
	}
}

func TestPodcastErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		feed    string
		episode string
		kind    Kind
		msg     string
	}{
		{"no transcript", "homegrown-hits.xml", "", KindNoCaptions, "has no transcript in its feed; upload a subtitle file or paste the transcript"},
		{"no matching title", "pc20rss.xml", "no such show", KindBadInput, `"Episode 57: Rebel Rubes"`},
		{"index out of range", "pc20rss.xml", "99", KindBadInput, "no episode 99"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newPodcastHost(t)
			opt := h.opt()
			opt.Episode = tc.episode
			_, err := h.fetch(tc.feed, opt)
			checkError(t, err, tc.kind, tc.msg)
		})
	}
}

func TestParseFeed(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		file     string
		episodes int
		first    string
		links    int // transcript links of the newest episode
		chapters int
	}{
		{"pc20rss, older namespace address", "pc20rss.xml", 56, "Episode 57: Rebel Rubes", 1, 1},
		{"themnshow", "themnshow.xml", 54, "", 1, 1},
		{"homegrown hits, chapters over several lines", "homegrown-hits.xml", 4, "Homegrown Hits - Episode 03", 0, 1},
		{"namespace example", "example.xml", 3, "Episode 3 - The Future", 2, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := parseFeed(readTestdata(t, "feeds", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Episodes) != tc.episodes {
				t.Fatalf("episodes = %d", len(f.Episodes))
			}
			ep := f.Episodes[0]
			if tc.first != "" && ep.Title != tc.first {
				t.Errorf("newest = %q", ep.Title)
			}
			if len(ep.Transcripts) != tc.links || len(ep.Chapters) != tc.chapters {
				t.Errorf("transcripts %d chapters %d", len(ep.Transcripts), len(ep.Chapters))
			}
			if tc.file == "themnshow.xml" {
				// The first itunes:duration in the file is 4209 seconds.
				found := false
				for _, e := range f.Episodes {
					found = found || e.Duration == 4209
				}
				if !found {
					t.Error("no episode took its duration from itunes:duration")
				}
			}
			for i := 1; i < len(f.Episodes); i++ {
				if f.Episodes[i].Published.After(f.Episodes[i-1].Published) {
					t.Errorf("episode %d is newer than episode %d", i, i-1)
				}
			}
		})
	}
}

func TestParseFeedDocumentOrderWithoutDates(t *testing.T) {
	t.Parallel()
	doc := `<rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel><title>Show</title>
<item><title>First listed</title><itunes:title xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">Other title</itunes:title></item>
<item><title>Second listed</title><pubDate>Mon, 01 Jan 2024 10:00:00 +0000</pubDate></item>
</channel></rss>`
	f, err := parseFeed([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if f.Episodes[0].Title != "First listed" || f.Episodes[1].Title != "Second listed" {
		t.Errorf("episodes = %+v", f.Episodes)
	}
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want float64
	}{
		{"3600", 3600},
		{"1:02:03", 3723},
		{"45:10", 2710},
		{" 90 ", 90},
		{"", 0},
		{"about an hour", 0},
		{"1:2:3:4", 0},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			if got := parseDuration(tc.in); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseChaptersJSON(t *testing.T) {
	t.Parallel()
	simple, err := parseChaptersJSON(readTestdata(t, "podcast", "chapters-example.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(simple) != 9 || simple[0].Start != 0 || simple[0].Title == "" {
		t.Errorf("simple chapters = %v", simple)
	}
	complex, err := parseChaptersJSON(readTestdata(t, "podcast", "chapters-exampleComplex.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range complex {
		if c.Title == "" {
			t.Errorf("untitled chapter %v", c)
		}
	}
	if _, err := parseChaptersJSON([]byte("<html>")); KindOf(err) != KindBadInput {
		t.Errorf("err = %v", err)
	}
}
