package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/recap-startos/recap/pkg/recap"
	"github.com/recap-startos/recap/pkg/summarize"
	"github.com/recap-startos/recap/pkg/transcript"
)

// Default locations of the evaluation sets, relative to the working
// directory. Choi's set is not redistributable, so it lives beside the
// repository rather than in it.
const (
	defaultChoiDir  = "../shared/external/segmentation/choi-2000/1/3-11"
	defaultTalksDir = "testdata/talks"
	defaultDevDir   = "../shared/external/subtitles/bitcointranscripts-dev"
)

func evalCommand() *cli.Command {
	return &cli.Command{
		Name:  "eval",
		Usage: "measure the quality of the builtin engine",
		Subcommands: []*cli.Command{
			{
				Name:  "segmentation",
				Usage: "score topic segmentation (Pk, WindowDiff) against reference sets",
				Description: `Runs the builtin segmenter, choosing the number of topics itself and
ignoring creator chapters, on Choi's 3-11 set (one sentence per unit) and
on long talks and meetings with human section boundaries, and prints a
Markdown table beside the equal-split baselines. Lower is better.`,
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "choi", Value: defaultChoiDir, Usage: "folder of Choi's .ref files (empty to skip)"},
					&cli.StringFlag{Name: "talks", Value: defaultTalksDir, Usage: "folder of Markdown talks and QMSum meetings (empty to skip)"},
				},
				Action: runEvalSegmentation,
			},
			{
				Name:  "quality",
				Usage: "score how recaps read: fragments, titles, repeated times, topics",
				Description: `Recaps each talk of the given folders with the builtin engine (human
headings removed, creator chapters ignored) and prints, per folder, the
share of key points and summary sentences that are not whole sentences,
the share of topic titles that are one word or two keyphrases joined by
"and", the ROUGE-1 F1 of topic titles against the human heading of the
section they overlap most, the share of key points whose timestamp repeats
another key point of their topic, and Pk and WindowDiff of the topics.
The default folders are testdata/talks and, when it exists beside the
repository, the development set of 67 bitcointranscripts talks. With
--as-captions each talk is first turned into what automatic captions
give (lower case, no punctuation, no speakers, abutting cues of six to
nine words), so the engine must find the sentences itself, and the
output ends with how many of its unit ends fall on a sentence end of
the human transcript and how many of those it found.`,
				Flags: []cli.Flag{
					&cli.StringSliceFlag{Name: "talks", Usage: "folder of Markdown talks (repeatable; default testdata/talks and the development set)"},
					&cli.BoolFlag{Name: "each", Usage: "also print one row per talk"},
					&cli.BoolFlag{Name: "examples", Usage: "print a few fragments and weak titles of each talk"},
					&cli.BoolFlag{Name: "as-captions", Usage: "recap each talk as automatic captions would give it: no punctuation, case or speakers"},
				},
				Action: runEvalQuality,
			},
		},
	}
}

func runEvalSegmentation(c *cli.Context) error {
	if c.NArg() > 0 {
		return badInput("eval segmentation takes no arguments")
	}
	w := c.App.Writer
	var rows []summarize.Score
	if dir := c.String("choi"); dir != "" {
		refs, err := summarize.LoadChoi(dir)
		if err != nil {
			return fmt.Errorf("eval: %w", err)
		}
		scores, err := evaluateAll(c, refs)
		if err != nil {
			return err
		}
		rows = append(rows, summarize.Mean(fmt.Sprintf("Choi %s (mean of %d)", filepath.Base(dir), len(scores)), scores))
	}
	if dir := c.String("talks"); dir != "" {
		talks, meetings, err := loadTalkDir(dir)
		if err != nil {
			return err
		}
		for _, set := range []struct {
			name string
			refs []*summarize.Reference
		}{{"talks", talks}, {"meetings", meetings}} {
			if len(set.refs) == 0 {
				continue
			}
			scores, err := evaluateAll(c, set.refs)
			if err != nil {
				return err
			}
			rows = append(rows, scores...)
			rows = append(rows, summarize.Mean(fmt.Sprintf("%s (mean of %d)", set.name, len(scores)), scores))
		}
	}
	if len(rows) == 0 {
		return badInput("nothing to evaluate: give --choi or --talks")
	}
	writeScoreTable(w, rows)
	return nil
}

func evaluateAll(c *cli.Context, refs []*summarize.Reference) ([]summarize.Score, error) {
	scores := make([]summarize.Score, 0, len(refs))
	for _, r := range refs {
		s, err := summarize.Evaluate(c.Context, r)
		if err != nil {
			return nil, fmt.Errorf("eval: %w", err)
		}
		scores = append(scores, s)
	}
	return scores, nil
}

// loadTalkDir reads every Markdown talk (speaker turns with "## "
// sections) and every QMSum meeting (.json) under dir.
func loadTalkDir(dir string) (talks, meetings []*summarize.Reference, err error) {
	var paths []string
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("eval: %w", err)
	}
	sort.Strings(paths)
	for _, p := range paths {
		base := filepath.Base(p)
		switch {
		case strings.HasSuffix(base, ".md") && base != "SOURCES.md" && base != "README.md":
			r, err := summarize.LoadTalk(p)
			if err != nil {
				return nil, nil, fmt.Errorf("eval: %w", err)
			}
			talks = append(talks, r)
		case strings.HasSuffix(base, ".json"):
			r, err := summarize.LoadQMSum(p)
			if err != nil {
				return nil, nil, fmt.Errorf("eval: %w", err)
			}
			meetings = append(meetings, r)
		}
	}
	if len(talks)+len(meetings) == 0 {
		return nil, nil, badInput("no talks or meetings in %s", dir)
	}
	return talks, meetings, nil
}

func writeScoreTable(w io.Writer, rows []summarize.Score) {
	fmt.Fprintln(w, "| Set | Units | Ref topics | Builtin topics | k | Pk | WindowDiff | Equal split, ref K: Pk | WD | Equal split, builtin K: Pk | WD |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, s := range rows {
		name := s.Name
		if strings.Contains(name, "(mean") {
			name = "**" + name + "**"
		}
		fmt.Fprintf(w, "| %s | %d | %d | %d | %d | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |\n",
			name, s.Units, s.RefTopics, s.HypTopics, s.K, s.Pk, s.WD, s.EqPk, s.EqWD, s.OwnPk, s.OwnWD)
	}
}

func runEvalQuality(c *cli.Context) error {
	if c.NArg() > 0 {
		return badInput("eval quality takes no arguments")
	}
	dirs := c.StringSlice("talks")
	if len(dirs) == 0 {
		dirs = []string{defaultTalksDir}
		if _, err := os.Stat(defaultDevDir); err == nil {
			dirs = append(dirs, defaultDevDir)
		}
	}
	w := c.App.Writer
	fmt.Fprintln(w, "| Set | Talks | Fragments | Weak titles | Title ROUGE-1 | Repeated times | Topics (ref) | Pk | WindowDiff | Equal split, ref K: Pk |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	var examples, cutLines []string
	for _, dir := range dirs {
		talks, _, err := loadTalkDir(dir)
		if err != nil {
			return err
		}
		if len(talks) == 0 {
			return badInput("no Markdown talks in %s", dir)
		}
		qs := make([]summarize.Quality, 0, len(talks))
		var cuts summarize.CutScore
		for _, r := range talks {
			tr, err := parseWithoutHeadings(r.Path)
			if err != nil {
				return err
			}
			if c.Bool("as-captions") {
				if tr = summarize.AutoCaptions(r); tr.Normalize() != nil {
					return badInput("%s has no words", r.Path)
				}
				cut, err := summarize.CaptionCuts(r)
				if err != nil {
					return fmt.Errorf("eval: %w", err)
				}
				cuts = cuts.Add(cut)
			}
			q, err := summarize.EvaluateQuality(c.Context, r, tr)
			if err != nil {
				return fmt.Errorf("eval: %w", err)
			}
			qs = append(qs, q)
			if c.Bool("each") {
				writeQualityRow(w, q, 1)
			}
			for _, e := range q.Examples {
				examples = append(examples, q.Name+": "+e)
			}
		}
		name := filepath.Base(dir)
		if c.Bool("as-captions") {
			name += " as captions"
			cutLines = append(cutLines, fmt.Sprintf("- %s: %.1f %% of %d unit ends on a sentence end of the human transcript; %.1f %% of its %d sentence ends found",
				name, 100*cuts.Precision(), cuts.Cuts, 100*cuts.Recall(), cuts.Ends))
		}
		writeQualityRow(w, summarize.Total("**"+name+"**", qs), len(qs))
	}
	if len(cutLines) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Where the units of the captions end:")
		fmt.Fprintln(w)
		for _, l := range cutLines {
			fmt.Fprintln(w, l)
		}
	}
	if c.Bool("examples") {
		fmt.Fprintln(w)
		for _, e := range examples {
			fmt.Fprintln(w, "- "+e)
		}
	}
	return nil
}

// parseWithoutHeadings reads a Markdown talk as `recap summarize` would,
// after removing its heading lines, so neither the engine nor the parser
// sees the human section titles.
func parseWithoutHeadings(path string) (*recap.Transcript, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("eval: %w", err)
	}
	var b strings.Builder
	for line := range strings.Lines(string(data)) {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		b.WriteString(line)
	}
	tr, err := transcript.Parse(filepath.Base(path), []byte(b.String()), transcript.Options{})
	if err != nil {
		return nil, fmt.Errorf("eval: %w", err)
	}
	return tr, nil
}

func writeQualityRow(w io.Writer, q summarize.Quality, talks int) {
	fmt.Fprintf(w, "| %s | %d | %.1f %% (%d/%d) | %.1f %% (%d/%d) | %.3f | %.1f %% (%d/%d) | %d (%d) | %.3f | %.3f | %.3f |\n",
		q.Name, talks,
		100*q.FragmentRate(), q.Fragments, q.Sentences,
		100*q.WeakTitleRate(), q.WeakTitles, q.Titles,
		q.TitleRouge(),
		100*q.RepeatedTimeRate(), q.RepeatedTimes, q.KeyPoints,
		q.Seg.HypTopics, q.Seg.RefTopics, q.Seg.Pk, q.Seg.WD, q.Seg.EqPk)
}
