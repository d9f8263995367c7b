package transcript

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/recap-startos/recap/pkg/recap"
)

func TestFetchLocalAndStdin(t *testing.T) {
	t.Parallel()
	needParsers(t)
	dir := t.TempDir()
	vtt := filepath.Join(dir, "talk.vtt")
	if err := os.WriteFile(vtt, readTestdata(t, "podcast", "transcripts-example.vtt"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Run("file", func(t *testing.T) {
		tr, err := Fetch(context.Background(), vtt, Options{LocalFiles: true})
		if err != nil {
			t.Fatal(err)
		}
		if tr.Source.Type != recap.SourceFile || tr.Source.FileName != "talk.vtt" || !tr.Timed() {
			t.Errorf("source = %+v", tr.Source)
		}
	})
	t.Run("stdin", func(t *testing.T) {
		srt := readTestdata(t, "podcast", "transcripts-example.srt")
		tr, err := Fetch(context.Background(), "-", Options{LocalFiles: true, Stdin: strings.NewReader(string(srt))})
		if err != nil {
			t.Fatal(err)
		}
		if len(tr.Units) == 0 || !tr.Timed() {
			t.Errorf("units = %d", len(tr.Units))
		}
	})
}

func TestFetchRefusals(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	big := filepath.Join(dir, "big.srt")
	if err := os.WriteFile(big, []byte(strings.Repeat("x", 2048)), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		src  string
		opt  Options
		kind Kind
		msg  string
	}{
		{"empty", " ", Options{}, KindBadInput, "supported: YouTube links"},
		{"bare word", "hello", Options{}, KindBadInput, "supported: YouTube links, podcast RSS feed URLs"},
		{"missing file", filepath.Join(dir, "nope.vtt"), Options{LocalFiles: true}, KindBadInput, "neither a file nor a link"},
		{"folder", dir, Options{LocalFiles: true}, KindBadInput, "is a folder"},
		{"local file from the web", big, Options{}, KindBadInput, "neither a file nor a link"},
		{"stdin from the web", "-", Options{Stdin: strings.NewReader("WEBVTT")}, KindBadInput, "neither a file nor a link"},
		{"other scheme", "ftp://example.org/talk.srt", Options{}, KindBadInput, "ftp links are not supported; supported:"},
		{"file scheme", "file:///etc/hosts", Options{}, KindBadInput, "file links are not supported"},
		{"stdin without reader", "-", Options{LocalFiles: true}, KindBadInput, "nothing to read on stdin"},
		{"stdin too large", "-", Options{LocalFiles: true, MaxBytes: 10, Stdin: strings.NewReader(strings.Repeat("a", 11))}, KindTooLarge, "limit"},
		{"file too large", big, Options{LocalFiles: true, MaxBytes: 1024}, KindTooLarge, "1 KB limit"},
		{"YouTube channel", "https://www.youtube.com/@Dave2D", Options{}, KindBadInput, "channel"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Fetch(context.Background(), tc.src, tc.opt)
			checkError(t, err, tc.kind, tc.msg)
		})
	}
}

// documentHost serves fixed documents by path.
func documentHost(t *testing.T, docs map[string][2]string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, ok := docs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if d[0] != "" {
			w.Header().Set("Content-Type", d[0])
		}
		w.Write([]byte(d[1]))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestFetchURL(t *testing.T) {
	t.Parallel()
	needParsers(t)
	feeds := newPodcastHost(t)
	srt := string(readTestdata(t, "podcast", "transcripts-example.srt"))
	srv := documentHost(t, map[string][2]string{
		"/episode.srt":  {"application/x-subrip", srt},
		"/captions":     {"text/vtt; charset=utf-8", string(readTestdata(t, "podcast", "transcripts-example.vtt"))},
		"/sniffed":      {"application/octet-stream", srt},
		"/audio.mp3":    {"audio/mpeg", "ID3\x03\x00\x00\x00"},
		"/binary":       {"", "\x00\x01\x02\x03PK\x00\x00binary"},
		"/nonsense.bin": {"application/octet-stream", "{\"not\": \"a transcript\"}"},
	})
	opt := Options{HTTPClient: srv.Client()}
	t.Run("feed", func(t *testing.T) {
		tr, err := Fetch(context.Background(), feeds.feedURL("pc20rss.xml"), Options{HTTPClient: feeds.srv.Client(), Episode: "2"})
		if err != nil {
			t.Fatal(err)
		}
		if tr.Source.Type != recap.SourcePodcast || tr.Source.EpisodeID != "PC2056" {
			t.Errorf("source = %+v", tr.Source)
		}
	})
	for _, path := range []string{"/episode.srt", "/captions", "/sniffed"} {
		t.Run("transcript "+path, func(t *testing.T) {
			tr, err := Fetch(context.Background(), srv.URL+path, opt)
			if err != nil {
				t.Fatal(err)
			}
			if tr.Source.URL != srv.URL+path || !tr.Timed() {
				t.Errorf("source = %+v", tr.Source)
			}
		})
	}
	refusals := []struct {
		name string
		path string
		opt  Options
		kind Kind
		msg  string
	}{
		{"audio", "/audio.mp3", opt, KindBadInput, "serves audio (audio/mpeg), not a transcript or a podcast feed; supported:"},
		{"binary", "/binary", opt, KindBadInput, "binary data"},
		{"unreadable document", "/nonsense.bin", opt, KindBadInput, "; supported: YouTube links"},
		{"not found", "/missing", opt, KindUnavailable, "HTTP 404"},
		{"oversize", "/episode.srt", Options{HTTPClient: srv.Client(), MaxBytes: 1000}, KindTooLarge, "1000 bytes limit"},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Fetch(context.Background(), srv.URL+tc.path, tc.opt)
			checkError(t, err, tc.kind, tc.msg)
		})
	}
	t.Run("closed server", func(t *testing.T) {
		closed := httptest.NewServer(http.NotFoundHandler())
		u, client := closed.URL, closed.Client()
		closed.Close()
		_, err := Fetch(context.Background(), u+"/talk.srt", Options{HTTPClient: client})
		checkError(t, err, KindNetwork, "could not reach "+strings.TrimPrefix(u, "http://"))
	})
}

func TestFetchYouTubeDispatch(t *testing.T) {
	t.Parallel()
	f := okFake(t)
	_, opt := f.start()
	for _, src := range []string{
		"https://youtu.be/" + okVideo + "?t=42",
		"www.youtube.com/watch?v=" + okVideo,
	} {
		t.Run(src, func(t *testing.T) {
			tr, err := Fetch(context.Background(), src, opt)
			if err != nil {
				t.Fatal(err)
			}
			if tr.Source.Type != recap.SourceYouTube || tr.Source.VideoID != okVideo || len(tr.Units) != 4 {
				t.Errorf("source = %+v, %d units", tr.Source, len(tr.Units))
			}
		})
	}
	t.Run("duration limit", func(t *testing.T) {
		o := opt
		o.MaxDuration = 60e9 // one minute; the video is 316 s
		_, err := Fetch(context.Background(), "https://youtu.be/"+okVideo, o)
		checkError(t, err, KindTooLong, "limit")
	})
}
