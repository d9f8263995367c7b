package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/jobs"
	"github.com/recap-startos/recap/pkg/library"
	"github.com/recap-startos/recap/pkg/recap"
	"github.com/recap-startos/recap/pkg/summarize"
	"github.com/recap-startos/recap/pkg/transcript"
)

func summarizeCommand() *cli.Command {
	return &cli.Command{
		Name:      "summarize",
		Aliases:   []string{"s"},
		Usage:     "recap a video, podcast episode or transcript",
		ArgsUsage: "SOURCE",
		Description: `SOURCE is one of:
  a YouTube link        (watch, youtu.be, shorts, embed, live, music. …)
  a podcast feed        (RSS or Atom with <podcast:transcript>, as a URL or a
                        saved file; --episode picks, else the newest episode
                        that has a transcript)
  a transcript file     (WebVTT .vtt, SRT .srt, Podcasting 2.0 .json, .html, .txt/.md)
  a URL of such a file
  -                     (read a transcript from standard input)

The recap goes to standard output: as Markdown when standard output is a
terminal, as the JSON recap document when it is piped or redirected to a file
(--format md or --format json chooses either way); progress and errors go to
standard error. Exit code 2 means the source or the
command line must be changed, 1 that something failed along the way.

Examples:
  recap summarize --format md "https://youtu.be/VIDEO_ID?t=90"
  recap summarize --lang de https://www.youtube.com/watch?v=VIDEO_ID
  recap summarize --episode 3 https://example.org/feed.xml
  recap summarize --episode "The Present" testdata/feeds/example.xml
  recap summarize --episodes https://example.org/feed.xml   (which episodes, newest first)
  recap summarize --save --data ./data talk.srt
  recap summarize --save --again --data ./data talk.srt   (file a second recap of it)
  recap summarize --engine openai --data ./data talk.vtt   (engine settings from ./data/start9/config.yaml)
  pbpaste | recap summarize --format md -`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "output format: md or json (default: md on a terminal, json when piped or redirected)"},
			&cli.StringFlag{Name: "engine", Value: "builtin", Usage: "summarizing engine: builtin, or openai, gemini or relay as configured under --data"},
			&cli.StringFlag{Name: "lang", Usage: "preferred caption language, e.g. en, de, pt-BR (default: the video's own)"},
			&cli.StringFlag{Name: "episode", Usage: "podcast episode: GUID, part of the title, or number (1 = newest; default: the newest with a transcript)"},
			&cli.BoolFlag{Name: "episodes", Usage: "list the episodes of a podcast feed (link or file), newest first, instead of recapping; pick one with --episode"},
			&cli.BoolFlag{Name: "save", Usage: "also file the recap in the library under --data; a source the library has a recap of already prints that recap instead"},
			&cli.BoolFlag{Name: "again", Usage: "with --save: recap and file a source even when the library has a recap of it already"},
			dataFlag(),
			&cli.IntFlag{Name: "max-size", Value: transcript.DefaultMaxBytes >> 20, EnvVars: []string{"RECAP_MAX_UPLOAD_MB"}, Usage: "largest file or download accepted, in MB"},
			&cli.DurationFlag{Name: "max-duration", Value: transcript.DefaultMaxDuration, EnvVars: []string{"RECAP_MAX_DURATION"}, Usage: "longest transcript accepted"},
			&cli.IntFlag{Name: "max-words", Value: transcript.DefaultMaxWords, Usage: "most words accepted in a transcript"},
			&cli.StringFlag{Name: "youtube-base-url", EnvVars: []string{"RECAP_YOUTUBE_BASE_URL"}, Value: transcript.DefaultYouTubeBaseURL, Usage: "where to reach YouTube (a proxy or a local stand-in)"},
			&cli.StringFlag{Name: "yt-dlp", EnvVars: []string{"RECAP_YTDLP_PATH"}, Usage: "path of a yt-dlp program to try when the built-in YouTube fetch fails"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print no progress"},
		},
		Action: runSummarize,
	}
}

func runSummarize(c *cli.Context) error {
	a, err := readSummarizeArgs(c)
	if err != nil {
		return err
	}
	if c.Bool("episodes") {
		return listEpisodes(c, a)
	}
	sourceKeys := func() []string { return []string{sourceKeyOf(a.source, a.opt.MaxBytes)} }
	if doc := a.filed(sourceKeys, c.App.ErrWriter); doc != nil {
		return printRecap(c.App.Writer, doc, a.format)
	}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	var progress summarize.Progress
	if !c.Bool("quiet") {
		progress = stageReporter(c.App.ErrWriter)
	}
	doc, err := jobs.Process(ctx, jobs.Input{Source: a.source}, a.opt, a.engine, progress)
	if err != nil {
		return processError(err)
	}
	if had := a.filed(doc.Source.Keys, c.App.ErrWriter); had != nil {
		return printRecap(c.App.Writer, had, a.format)
	}
	if a.lib != nil {
		if err := a.lib.Save(doc); err != nil {
			return err
		}
		if progress != nil {
			fmt.Fprintf(c.App.ErrWriter, "saved as %s in %s\n", doc.ID, a.lib.Dir())
		}
	}
	return printRecap(c.App.Writer, doc, a.format)
}

// summarizeArgs is what recap summarize was asked for, checked.
type summarizeArgs struct {
	source string
	format string // json or md
	engine summarize.Engine
	opt    transcript.Options
	lib    *library.Library // with --save; nil otherwise
	again  bool             // --again: recap even what the library has
}

// readSummarizeArgs reads and checks summarize's argument and flags.
func readSummarizeArgs(c *cli.Context) (*summarizeArgs, error) {
	if c.NArg() != 1 {
		return nil, badInput("summarize needs exactly one SOURCE (see recap summarize --help)")
	}
	a := &summarizeArgs{source: c.Args().First(), format: strings.ToLower(c.String("format")), again: c.Bool("again")}
	if a.format == "" {
		a.format = defaultFormat(c.App.Writer)
	}
	if a.format != "json" && a.format != "md" {
		return nil, badInput("--format must be json or md, not %q", c.String("format"))
	}
	var err error
	if a.engine, err = engineByName(c.String("engine"), c.String("data")); err != nil {
		return nil, err
	}
	if c.Int("max-size") <= 0 {
		return nil, badInput("--max-size must be a positive number of MB")
	}
	if c.Duration("max-duration") <= 0 {
		return nil, badInput("--max-duration must be positive, e.g. 6h")
	}
	a.opt = transcript.Options{
		Lang:           c.String("lang"),
		Episode:        c.String("episode"),
		MaxBytes:       int64(c.Int("max-size")) << 20,
		MaxDuration:    c.Duration("max-duration"),
		YouTubeBaseURL: strings.TrimRight(c.String("youtube-base-url"), "/"),
		YTDLPPath:      c.String("yt-dlp"),
		Stdin:          c.App.Reader,
		LocalFiles:     true,
		MaxWords:       c.Int("max-words"),
	}
	if c.Bool("save") {
		if a.lib, err = openLibrary(c.String("data")); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// filed returns the library's recap of a source with one of keys, when
// --save without --again should print it instead of making another.
// keys is called only then: it may read the source file.
func (a *summarizeArgs) filed(keys func() []string, warn io.Writer) *recap.Document {
	if a.lib == nil || a.again {
		return nil
	}
	return alreadyFiled(a.lib, keys(), warn)
}

// processError is the command's answer to a failed recap: a usage
// error for bad input, exit status 130 when interrupted.
func processError(err error) error {
	if transcript.IsBadInput(err) {
		return usageError{err}
	}
	if errors.Is(err, context.Canceled) {
		return cli.Exit("interrupted", 130)
	}
	return err
}

// printRecap writes doc to w as Markdown ("md") or as the JSON document.
func printRecap(w io.Writer, doc *recap.Document, format string) error {
	if format == "md" {
		_, err := io.WriteString(w, doc.Markdown())
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// defaultFormat is the output format when --format is not given:
// Markdown for a person at a terminal (w is a character device), the JSON
// document for a program or a file (a pipe, a regular file, a buffer).
func defaultFormat(w io.Writer) string {
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			return "md"
		}
	}
	return "json"
}

// engineByName returns the engine a command asked for. The LLM engines
// take their settings (server, key, model) from the config file under the
// data folder, as the server does.
func engineByName(name, data string) (summarize.Engine, error) {
	switch name {
	case "", config.EngineBuiltin:
		return summarize.NewBuiltin(), nil
	case config.EngineOpenAI, config.EngineGemini, config.EngineRelay:
	default:
		return nil, badInput("unknown engine %q; available: builtin, openai, gemini, relay", name)
	}
	cfg, err := config.Load(data)
	if err != nil {
		return nil, usageError{err}
	}
	if cfg.Engine.Type != name {
		return nil, badInput("--engine %s needs engine.type %s in %s (it is %s); set it on the Config page or in the file", name, name, config.Path(data), cfg.Engine.Type)
	}
	return serveEngine(cfg, &wiring{}, slog.Default())
}

// openLibrary opens the single-mode library under the data folder.
func openLibrary(data string) (*library.Library, error) {
	lib, err := library.Open(filepath.Join(data, "history"), filepath.Join(data, "cache", "library-index"))
	if err != nil {
		return nil, fmt.Errorf("%w (choose another folder with --data or RECAP_DATA_DIR)", err)
	}
	return lib, nil
}

// stageReporter prints one line to w each time the stage changes, and
// the engine's own messages as they come.
func stageReporter(w io.Writer) summarize.Progress {
	last := ""
	start := time.Now()
	return func(stage string, fraction float64, msg string) {
		if stage == last && msg == "" {
			return
		}
		last = stage
		fmt.Fprintf(w, "%5.1fs %3.0f%% %-11s %s\n", time.Since(start).Seconds(), fraction*100, stage, msg)
	}
}

// listEpisodes prints the episodes of the podcast feed a.source names (a
// link or a saved file): a table for people, or with --format json one
// object per episode.
func listEpisodes(c *cli.Context, a *summarizeArgs) error {
	name, data, err := transcript.ReadFeed(c.Context, a.source, a.opt)
	if err != nil {
		return processError(err)
	}
	feed, err := transcript.FeedEpisodes(name, data)
	if err != nil {
		return processError(err)
	}
	w := c.App.Writer
	if a.format == "json" {
		out := make([]episodeJSON, 0, len(feed.Episodes))
		for i, ep := range feed.Episodes {
			out = append(out, episodeJSON{Number: ep.Number, Selector: ep.Selector, Title: ep.Title, GUID: ep.GUID,
				Published: ep.Published, Duration: ep.Duration, HasTranscript: ep.HasTranscript, Default: i == feed.Default})
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"show": feed.Title, "episodes": out})
	}
	fmt.Fprintf(w, "%s: %d episodes, newest first (* is what summarize reads without --episode)\n\n", feed.Title, len(feed.Episodes))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tDATE\tLENGTH\tTRANSCRIPT\tTITLE")
	for i, ep := range feed.Episodes {
		mark, date, length, has := " ", "-", "-", "no"
		if i == feed.Default {
			mark = "*"
		}
		if !ep.Published.IsZero() {
			date = ep.Published.Format(time.DateOnly)
		}
		if ep.Duration > 0 {
			length = recap.FormatClock(ep.Duration)
		}
		if ep.HasTranscript {
			has = "yes"
		}
		fmt.Fprintf(tw, "%s%d\t%s\t%s\t%s\t%s\n", mark, ep.Number, date, length, has, ep.Title)
	}
	return tw.Flush()
}

// episodeJSON is one episode as --episodes --format json prints it.
type episodeJSON struct {
	Number        int       `json:"number"`
	Selector      string    `json:"selector"` // what --episode takes to pick it
	Title         string    `json:"title"`
	GUID          string    `json:"guid,omitempty"`
	Published     time.Time `json:"published,omitzero"`
	Duration      float64   `json:"duration_s,omitempty"`
	HasTranscript bool      `json:"has_transcript"`
	Default       bool      `json:"default,omitempty"` // read without --episode
}
