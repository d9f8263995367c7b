package transcript

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/recap-startos/recap/pkg/recap"
)

// fakeYTDLP writes a shell script that behaves like yt-dlp for the flags
// Recap passes: it records its arguments and, unless told to fail, writes
// a WebVTT file for the video next to the -o template.
func fakeYTDLP(t *testing.T, fail bool) (path, argsFile string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the fake yt-dlp is a shell script")
	}
	dir := t.TempDir()
	argsFile = filepath.Join(dir, "args")
	body := `#!/bin/sh
printf '%s\n' "$@" > "` + argsFile + `"
`
	if fail {
		body += `echo "WARNING: something odd" >&2
echo "ERROR: [youtube] Sign in to confirm you are not a bot" >&2
exit 1
`
	} else {
		body += `out=""
while [ $# -gt 0 ]; do
  if [ "$1" = "-o" ]; then out="$2"; shift; fi
  shift
done
dir=$(dirname "$out")
cat > "$dir/` + okVideo + `.en-orig.vtt" <<'VTT'
WEBVTT

00:00:00.000 --> 00:00:03.000
Captions from the helper tool.

00:00:03.000 --> 00:00:06.500
A second line of them.
VTT
`
	}
	path = filepath.Join(dir, "yt-dlp")
	if err := os.WriteFile(path, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}
	return path, argsFile
}

func TestYTDLPFallback(t *testing.T) {
	t.Parallel()
	needParsers(t)
	blocked := func(t *testing.T) Options {
		f := okFake(t)
		f.players[okVideo] = readTestdata(t, "youtube", "jdepoix", "youtube_request_blocked.innertube.json.static")
		_, opt := f.start()
		return opt
	}
	t.Run("success after a bot wall", func(t *testing.T) {
		opt := blocked(t)
		var args string
		opt.YTDLPPath, args = fakeYTDLP(t, false)
		tr, err := fetchYT(t, opt, okVideo)
		if err != nil {
			t.Fatal(err)
		}
		if tr.Source.Type != recap.SourceYouTube || tr.Source.VideoID != okVideo || tr.Source.Captions != recap.CaptionsAuto || tr.Source.Language != "en" {
			t.Errorf("source = %+v", tr.Source)
		}
		if len(tr.Units) != 2 || tr.Units[0].Text != "Captions from the helper tool." {
			t.Errorf("units = %q", unitTexts(tr))
		}
		got, err := os.ReadFile(args)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"--skip-download", "--write-subs", "--write-auto-subs", "--sub-langs", "--sub-format\nvtt", "https://www.youtube.com/watch?v=" + okVideo} {
			if !strings.Contains(string(got), want) {
				t.Errorf("yt-dlp arguments lack %q:\n%s", want, got)
			}
		}
	})
	t.Run("both fail", func(t *testing.T) {
		opt := blocked(t)
		opt.YTDLPPath, _ = fakeYTDLP(t, true)
		_, err := fetchYT(t, opt, okVideo)
		checkError(t, err, KindBotWall, "(yt-dlp also failed: ERROR: [youtube] Sign in to confirm you are not a bot)")
	})
	t.Run("not run for bad input", func(t *testing.T) {
		opt := Options{}
		var args string
		opt.YTDLPPath, args = fakeYTDLP(t, false)
		_, err := Fetch(context.Background(), "https://www.youtube.com/playlist?list=PL123", opt)
		checkError(t, err, KindBadInput, "playlist")
		if _, err := os.Stat(args); err == nil {
			t.Error("yt-dlp ran for a bad link")
		}
	})
}

func TestPickSubtitleFile(t *testing.T) {
	t.Parallel()
	files := []string{"/d/ID.de.vtt", "/d/ID.en.vtt", "/d/ID.fr-orig.vtt", "/d/ID.pt-BR.vtt"}
	cases := []struct {
		name string
		want string
		lang string
	}{
		{"wanted", "pt-BR", "pt-BR"},
		{"base language", "pt", "pt-BR"},
		{"original before English", "", "fr-orig"},
		{"missing language falls back", "ja", "fr-orig"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, lang, ok := pickSubtitleFile(files, "ID", tc.want)
			if !ok || lang != tc.lang {
				t.Errorf("got %q %v, want %q", lang, ok, tc.lang)
			}
		})
	}
}
