package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/recap-startos/recap/pkg/library"
	"github.com/recap-startos/recap/pkg/recap"
)

func libraryCommand() *cli.Command {
	listFlags := []cli.Flag{
		dataFlag(),
		&cli.IntFlag{Name: "limit", Value: library.DefaultLimit, Usage: "recaps per page (1-100)"},
		&cli.StringFlag{Name: "cursor", Usage: "continue after a previous page (printed at its end)"},
		&cli.StringFlag{Name: "type", Usage: "only recaps of this source type: youtube, podcast, file or text"},
		&cli.StringFlag{Name: "sort", Usage: "newest, oldest, title, longest (search: relevance)"},
		&cli.BoolFlag{Name: "json", Usage: "print the page as JSON"},
	}
	return &cli.Command{
		Name:  "library",
		Usage: "list, search, show, export and delete saved recaps",
		Description: `The library is the folder DATA/history; recaps get there with
"recap summarize --save" or the web app.

Examples:
  recap library list --data ./data
  recap library search --data ./data "fee market"
  recap library show --data ./data 20261126-143005-k3j9x2ab
  recap library export --data ./data --format md --output talk.md 20261126-143005-k3j9x2ab
  recap library delete --data ./data --yes 20261126-143005-k3j9x2ab`,
		Subcommands: []*cli.Command{
			{
				Name: "list", Usage: "list recaps, newest first", Flags: listFlags,
				Action: func(c *cli.Context) error { return runFind(c, "") },
			},
			{
				Name: "search", Usage: "search titles, summaries, keywords and transcripts", ArgsUsage: "WORDS…", Flags: listFlags,
				Action: func(c *cli.Context) error {
					q := strings.Join(c.Args().Slice(), " ")
					if len(library.Tokenize(q)) == 0 {
						return badInput("search needs at least one word to look for")
					}
					return runFind(c, q)
				},
			},
			{
				Name: "show", Usage: "print one recap", ArgsUsage: "ID",
				Flags: []cli.Flag{dataFlag(), &cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "md", Usage: "md or json"}},
				Action: func(c *cli.Context) error {
					exp, err := exportRecap(c)
					if err != nil {
						return err
					}
					_, err = c.App.Writer.Write(exp.Data)
					return err
				},
			},
			{
				Name: "export", Usage: "write one recap (or, with --all, the whole library as a zip) to a file or stdout", ArgsUsage: "ID",
				Flags: []cli.Flag{dataFlag(),
					&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "md", Usage: "md or json"},
					&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "file to write (default: standard output; a folder: the recap's own file name)"},
					&cli.BoolFlag{Name: "all", Usage: "every recap as one zip archive: Markdown and JSON per recap, and an index"},
					&cli.StringFlag{Name: "user", Usage: "with --all in multi mode: whose library (email address or user id)"},
				},
				Action: runExport,
			},
			{
				Name: "delete", Usage: "delete one recap", ArgsUsage: "ID",
				Flags:  []cli.Flag{dataFlag(), &cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation"}},
				Action: runDelete,
			},
		},
	}
}

// openExistingLibrary opens the library under an existing data folder
// for a command that only reads it (or deletes from it): a missing
// folder, most often a mistyped --data, is an error naming the path
// rather than a new empty folder. A data folder without a library folder
// gives a *noLibraryError, and nothing is created.
func openExistingLibrary(data string) (*library.Library, error) {
	abs, err := filepath.Abs(data)
	if err != nil {
		abs = data
	}
	st, err := os.Stat(data)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, badInput("the data folder %s does not exist; give the right one with --data or RECAP_DATA_DIR (make run uses ./data)", abs)
	case err != nil:
		return nil, fmt.Errorf("data folder %s: %w", abs, err)
	case !st.IsDir():
		return nil, badInput("the data folder %s is a file, not a folder; give the right one with --data or RECAP_DATA_DIR", abs)
	}
	history := filepath.Join(abs, "history")
	if _, err := os.Stat(history); errors.Is(err, fs.ErrNotExist) {
		return nil, &noLibraryError{dir: history}
	}
	return openLibrary(data)
}

// noLibraryError is a data folder without a library folder yet: nothing
// has been saved there.
type noLibraryError struct{ dir string }

func (e *noLibraryError) Error() string {
	return fmt.Sprintf("no recaps in %s (the folder does not exist yet)", e.dir)
}

// openLibraryWarn opens an existing library and reports skipped files on
// stderr.
func openLibraryWarn(c *cli.Context) (*library.Library, error) {
	lib, err := openExistingLibrary(c.String("data"))
	if err != nil {
		return nil, err
	}
	for _, p := range lib.Problems() {
		fmt.Fprintf(c.App.ErrWriter, "recap: skipped %s: %v\n", p.File, p.Err)
	}
	return lib, nil
}

func runFind(c *cli.Context, text string) error {
	q, err := findQuery(c, text)
	if err != nil {
		return err
	}
	lib, err := openLibraryWarn(c)
	var none *noLibraryError
	if errors.As(err, &none) {
		fmt.Fprintf(c.App.ErrWriter, "%v; add one with recap summarize --save --data %s SOURCE\n", none, c.String("data"))
		if c.Bool("json") {
			return writePageJSON(c.App.Writer, library.Page{})
		}
		return nil
	}
	if err != nil {
		return err
	}
	page := lib.Find(q)
	if c.Bool("json") {
		return writePageJSON(c.App.Writer, page)
	}
	printPage(c, page, libraryPlace(lib), q)
	return nil
}

// findQuery reads and checks the flags of find and list; text is what to
// search for, "" to list.
func findQuery(c *cli.Context, text string) (library.Query, error) {
	sort, ok := library.ParseSort(c.String("sort"))
	if !ok {
		return library.Query{}, badInput("--sort must be newest, oldest, title, longest or relevance")
	}
	if text != "" && c.String("sort") == "" {
		sort = library.SortRelevance
	}
	if l := c.Int("limit"); l < 1 || l > library.MaxLimit {
		return library.Query{}, badInput("--limit must be between 1 and %d", library.MaxLimit)
	}
	switch t := c.String("type"); t {
	case "", recap.SourceYouTube, recap.SourcePodcast, recap.SourceFile, recap.SourceText:
	default:
		return library.Query{}, badInput("--type must be youtube, podcast, file or text, not %q", t)
	}
	return library.Query{Text: text, Type: c.String("type"), Sort: sort, Limit: c.Int("limit"), Cursor: c.String("cursor")}, nil
}

// printPage prints a page of the library in columns, and on stderr how
// many there are and where (the folder, where), or that none matched q.
func printPage(c *cli.Context, page library.Page, where string, q library.Query) {
	if page.Total == 0 {
		if q.Text != "" || q.Type != "" {
			fmt.Fprintf(c.App.ErrWriter, "no recaps found in %s\n", where)
		} else {
			fmt.Fprintf(c.App.ErrWriter, "no recaps in %s (add one with recap summarize --save --data %s SOURCE)\n", where, c.String("data"))
		}
		return
	}
	tw := tabwriter.NewWriter(c.App.Writer, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tCREATED\tTYPE\tLENGTH\tTITLE")
	for _, h := range page.Hits {
		length := "-"
		if h.Duration > 0 {
			length = recap.FormatClock(h.Duration)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", h.ID, h.CreatedAt.Format("2006-01-02"), h.Type, length, h.Title)
	}
	tw.Flush()
	if page.Next != "" {
		fmt.Fprintf(c.App.ErrWriter, "%d of %d in %s; next page: --cursor %s\n", len(page.Hits), page.Total, where, page.Next)
	} else {
		fmt.Fprintf(c.App.ErrWriter, "%d recap(s) in %s\n", page.Total, where)
	}
}

// libraryPlace names the library's folder as an absolute path, so that
// "nothing found" always says where Recap looked.
func libraryPlace(lib *library.Library) string {
	if abs, err := filepath.Abs(lib.Dir()); err == nil {
		return abs
	}
	return lib.Dir()
}

func writePageJSON(w io.Writer, page library.Page) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(page.JSON())
}

func exportRecap(c *cli.Context) (*library.Export, error) {
	if c.NArg() != 1 {
		return nil, badInput("give exactly one recap ID (see recap library list)")
	}
	lib, err := openExistingLibrary(c.String("data"))
	if err != nil {
		return nil, libraryError(err, c.Args().First())
	}
	exp, err := lib.Export(c.Args().First(), c.String("format"))
	return exp, libraryError(err, c.Args().First())
}

func runExport(c *cli.Context) error {
	if c.Bool("all") {
		return runExportAll(c)
	}
	exp, err := exportRecap(c)
	if err != nil {
		return err
	}
	out := c.String("output")
	if out == "" || out == "-" {
		_, err = c.App.Writer.Write(exp.Data)
		return err
	}
	if st, err := os.Stat(out); err == nil && st.IsDir() {
		out = strings.TrimRight(out, "/") + "/" + exp.FileName
	}
	if err := os.WriteFile(out, exp.Data, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(c.App.ErrWriter, "wrote %s\n", out)
	return nil
}

func runDelete(c *cli.Context) error {
	if c.NArg() != 1 {
		return badInput("give exactly one recap ID (see recap library list)")
	}
	id := c.Args().First()
	lib, err := openExistingLibrary(c.String("data"))
	if err != nil {
		return libraryError(err, id)
	}
	e, ok := lib.Entry(id)
	if !ok {
		return libraryError(library.ErrNotFound, id)
	}
	if !c.Bool("yes") {
		fmt.Fprintf(c.App.ErrWriter, "Delete %q (%s)? [y/N] ", e.Title, id)
		var answer string
		fmt.Fscanln(c.App.Reader, &answer)
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			return cli.Exit("not deleted", exitFailure)
		}
	}
	if err := lib.Delete(id); err != nil {
		return libraryError(err, id)
	}
	fmt.Fprintf(c.App.ErrWriter, "deleted %s\n", id)
	return nil
}

// libraryError turns library sentinels into messages for people.
func libraryError(err error, id string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, library.ErrInvalidID):
		return badInput("%q is not a recap ID (IDs look like 20261126-143005-k3j9x2ab)", id)
	case errors.Is(err, library.ErrNotFound):
		return badInput("no recap %s in the library (see recap library list)", id)
	case !recap.ValidID(id):
		return badInput("%q is not a recap ID (IDs look like 20261126-143005-k3j9x2ab)", id)
	case errors.As(err, new(*noLibraryError)):
		return badInput("no recap %s: %v", id, err)
	case errors.Is(err, library.ErrBadFormat):
		return badInput("--format must be md or json")
	}
	return err
}
