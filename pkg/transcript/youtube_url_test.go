package transcript

import (
	"math"
	"strings"
	"testing"
)

func TestParseYouTubeURL(t *testing.T) {
	t.Parallel()
	const id = "dQw4w9WgXcQ"
	cases := []struct {
		name  string
		in    string
		start float64
	}{
		{"watch", "https://www.youtube.com/watch?v=" + id, 0},
		{"watch without www", "https://youtube.com/watch?v=" + id, 0},
		{"watch over http", "http://www.youtube.com/watch?v=" + id, 0},
		{"mobile", "https://m.youtube.com/watch?v=" + id + "&feature=share", 0},
		{"music", "https://music.youtube.com/watch?v=" + id + "&si=AbCdEf", 0},
		{"param order", "https://www.youtube.com/watch?feature=youtu.be&v=" + id + "&list=PL123&index=4", 0},
		{"t seconds", "https://www.youtube.com/watch?v=" + id + "&t=93", 93},
		{"t with s", "https://www.youtube.com/watch?v=" + id + "&t=93s", 93},
		{"t h m s", "https://www.youtube.com/watch?v=" + id + "&t=1h2m3s", 3723},
		{"t m s", "https://youtu.be/" + id + "?t=1m30s", 90},
		{"start", "https://www.youtube.com/embed/" + id + "?start=42", 42},
		{"fragment t", "https://www.youtube.com/watch?v=" + id + "#t=15", 15},
		{"bad t ignored", "https://www.youtube.com/watch?v=" + id + "&t=soon", 0},
		{"short link", "https://youtu.be/" + id, 0},
		{"short link with si", "https://youtu.be/" + id + "?si=xyz123", 0},
		{"shorts", "https://www.youtube.com/shorts/" + id, 0},
		{"shorts with query", "https://youtube.com/shorts/" + id + "?feature=share", 0},
		{"embed", "https://www.youtube.com/embed/" + id, 0},
		{"nocookie embed", "https://www.youtube-nocookie.com/embed/" + id + "?rel=0", 0},
		{"nocookie without www", "https://youtube-nocookie.com/embed/" + id, 0},
		{"live", "https://www.youtube.com/live/" + id + "?si=abc", 0},
		{"v", "https://www.youtube.com/v/" + id, 0},
		{"e", "https://www.youtube.com/e/" + id, 0},
		{"hashbang", "https://www.youtube.com/#!v=" + id, 0},
		{"attribution link", "https://www.youtube.com/attribution_link?a=x&u=%2Fwatch%3Fv%3D" + id + "%26feature%3Dshare", 0},
		{"no scheme", "www.youtube.com/watch?v=" + id, 0},
		{"no scheme short", "youtu.be/" + id, 0},
		{"escaped ampersand", "https://www.youtube.com/watch?v=" + id + "&amp;t=10", 10},
		{"upper-case host", "https://WWW.YouTube.com/watch?v=" + id, 0},
		{"surrounding space", "  https://youtu.be/" + id + " \n", 0},
		{"bare id", id, 0},
		{"bare id with dash and underscore", "a-b_c-d_e-f", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, start, err := ParseYouTubeURL(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			want := id
			if tc.name == "bare id with dash and underscore" {
				want = "a-b_c-d_e-f"
			}
			if got != want || start != tc.start {
				t.Errorf("got %q at %v, want %q at %v", got, start, want, tc.start)
			}
		})
	}
}

func TestParseYouTubeURLErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   string
		msg  string
	}{
		{"empty", "  ", "empty"},
		{"other host", "https://vimeo.com/12345", "not a YouTube link"},
		{"lookalike host", "https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ", "not a YouTube link"},
		{"other scheme", "ftp://www.youtube.com/watch?v=dQw4w9WgXcQ", "not a web link"},
		{"short id", "https://youtu.be/abc", "not a valid YouTube video ID"},
		{"long id", "https://www.youtube.com/watch?v=dQw4w9WgXcQQ", "not a valid YouTube video ID"},
		{"bad characters", "https://www.youtube.com/watch?v=dQw4w9WgX.Q", "not a valid YouTube video ID"},
		{"no v", "https://www.youtube.com/watch?feature=share", "no v= video ID"},
		{"playlist", "https://www.youtube.com/playlist?list=PL590L5WQmH8fJ54F369BLDSqIwcs-TCfs", "playlist"},
		{"watch with list only", "https://www.youtube.com/watch?list=PL590L5WQmH8fJ54F369BLDSqIwcs-TCfs", "playlist"},
		{"channel", "https://www.youtube.com/channel/UCVYamHliCI9rw1tHR1xbkfw", "channel"},
		{"handle", "https://www.youtube.com/@Dave2D", "channel"},
		{"clip", "https://www.youtube.com/clip/UgkxAbCdEf", "clip"},
		{"empty short link", "https://youtu.be/", "no video ID"},
		{"shorts without id", "https://www.youtube.com/shorts/", "no video ID"},
		{"unknown path", "https://www.youtube.com/feed/subscriptions", "not a YouTube video link"},
		{"bare word", "hello", "not a YouTube link"},
		{"newline in id", "https://youtu.be/abc\ndef", "not a"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id, _, err := ParseYouTubeURL(tc.in)
			if err == nil {
				t.Fatalf("parsed as %q", id)
			}
			checkError(t, err, KindBadInput, tc.msg)
		})
	}
}

func TestParseYouTubeTime(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want float64
		ok   bool
	}{
		{"93", 93, true},
		{"93s", 93, true},
		{"1m", 60, true},
		{"1h", 3600, true},
		{"1h2m3s", 3723, true},
		{"2m3s", 123, true},
		{"12.5", 12.5, true},
		{"", 0, false},
		{"-5", 0, false},
		{"3s2m", 0, false},
		{"1h1h", 0, false},
		{"1x", 0, false},
		{"m", 0, false},
		{"NaN", 0, false},
		{"1e400", 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := parseYouTubeTime(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Errorf("got %v %v, want %v %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func FuzzParseYouTubeURL(f *testing.F) {
	for _, s := range []string{
		"https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=1h2m3s",
		"https://youtu.be/dQw4w9WgXcQ?si=x",
		"youtube.com/shorts/dQw4w9WgXcQ",
		"https://www.youtube.com/attribution_link?u=/watch%3Fv%3DdQw4w9WgXcQ",
		"https://www.youtube.com/#!v=dQw4w9WgXcQ",
		"dQw4w9WgXcQ",
		"https://www.youtube.com/@handle",
		"http://[::1]:80/watch?v=x",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		id, start, err := ParseYouTubeURL(in)
		if err != nil {
			if KindOf(err) != KindBadInput {
				t.Fatalf("error kind %s for %q", KindOf(err), in)
			}
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("multi-line message %q", err.Error())
			}
			return
		}
		if !videoIDPattern.MatchString(id) {
			t.Fatalf("invalid id %q from %q", id, in)
		}
		if start < 0 || math.IsNaN(start) || math.IsInf(start, 0) {
			t.Fatalf("bad start %v from %q", start, in)
		}
	})
}

func TestIsYouTubeLink(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]bool{
		"https://www.youtube.com/watch?v=bMMG91sJXpM": true,
		"https://www.youtube.com/@somechannel":        true,
		"youtu.be/bMMG91sJXpM":                        true,
		"https://music.youtube.com/playlist?list=PL1": true,
		"https://example.org/feed.xml":                false,
		"https://youtube.com.example.org/feed.xml":    false,
		"not a link": false,
	} {
		if got := IsYouTubeLink(raw); got != want {
			t.Errorf("IsYouTubeLink(%q) = %v, want %v", raw, got, want)
		}
	}
}
