package transcript

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/recap-startos/recap/pkg/recap"
)

// ytdlpTimeout bounds one yt-dlp run.
const ytdlpTimeout = 2 * time.Minute

// fetchYTDLP asks a user-installed yt-dlp for the video's subtitles in
// WebVTT and parses them. It is the fallback when YouTube refuses the
// built-in client: yt-dlp follows YouTube's changes more closely.
func fetchYTDLP(ctx context.Context, id string, opt Options) (*recap.Transcript, error) {
	ctx, cancel := context.WithTimeout(ctx, ytdlpTimeout)
	defer cancel()
	dir, err := os.MkdirTemp("", "recap-ytdlp-")
	if err != nil {
		return nil, errorf(KindUnknown, err, "could not make a temporary folder for yt-dlp")
	}
	defer os.RemoveAll(dir)

	videoURL := "https://www.youtube.com/watch?v=" + id
	cmd := exec.CommandContext(ctx, opt.YTDLPPath,
		"--skip-download", "--write-subs", "--write-auto-subs",
		"--sub-langs", ytdlpLangs(opt.Lang),
		"--sub-format", "vtt",
		"--no-playlist",
		"-o", filepath.Join(dir, "%(id)s.%(ext)s"),
		videoURL)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, errorf(KindNetwork, err, "yt-dlp took longer than %s", ytdlpTimeout)
		}
		return nil, errorf(KindUnknown, err, "%s", lastLine(stderr.String(), err))
	}
	// yt-dlp exits 0 when no subtitles matched, so the files are the answer.
	files, _ := filepath.Glob(filepath.Join(dir, "*.vtt"))
	file, lang, ok := pickSubtitleFile(files, id, opt.Lang)
	if !ok {
		return nil, errorf(KindNoCaptions, nil, "yt-dlp found no subtitles for %s", id)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, errorf(KindUnknown, err, "could not read the subtitles yt-dlp wrote")
	}
	t, err := Parse(filepath.Base(file), data, opt)
	if err != nil {
		return nil, err
	}
	t.Source = recap.Source{
		Type:     recap.SourceYouTube,
		URL:      videoURL,
		VideoID:  id,
		Title:    t.Source.Title,
		Duration: t.Source.Duration,
		Language: strings.TrimSuffix(lang, "-orig"),
		Captions: recap.CaptionsManual,
	}
	if strings.HasSuffix(lang, "-orig") {
		t.Source.Captions = recap.CaptionsAuto
	}
	return t, nil
}

// ytdlpLangs is the --sub-langs value: the wanted language and its
// variants, English, and the original-language automatic track (which
// yt-dlp names "<lang>-orig"); never every translation.
func ytdlpLangs(lang string) string {
	langs := []string{}
	if lang != "" {
		langs = append(langs, lang, baseLang(lang)+".*")
	}
	langs = append(langs, "en", "en-orig", ".*-orig")
	return strings.Join(langs, ",")
}

// pickSubtitleFile chooses among files named ID.LANG.vtt: the wanted
// language, then its base language, then an original-language track, then
// English, then the first by name.
func pickSubtitleFile(files []string, id, want string) (file, lang string, ok bool) {
	if len(files) == 0 {
		return "", "", false
	}
	sort.Strings(files)
	langOf := func(f string) string {
		name := strings.TrimSuffix(filepath.Base(f), ".vtt")
		name = strings.TrimPrefix(name, id)
		return strings.TrimPrefix(name, ".")
	}
	tests := []func(string) bool{}
	if want != "" {
		tests = append(tests,
			func(l string) bool { return strings.EqualFold(l, want) },
			func(l string) bool { return baseLang(strings.TrimSuffix(l, "-orig")) == baseLang(want) })
	}
	tests = append(tests,
		func(l string) bool { return strings.HasSuffix(l, "-orig") },
		func(l string) bool { return baseLang(l) == "en" },
		func(string) bool { return true })
	for _, test := range tests {
		for _, f := range files {
			if l := langOf(f); test(l) {
				return f, l, true
			}
		}
	}
	return "", "", false
}

// lastLine returns the last non-empty line of a program's error output,
// or the error itself.
func lastLine(out string, err error) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return oneLine(l)
		}
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.String()
	}
	return err.Error()
}
