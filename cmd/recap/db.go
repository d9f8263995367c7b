package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/recap-startos/recap/pkg/store"
)

func dbCommand() *cli.Command {
	return &cli.Command{
		Name:  "db",
		Usage: "inspect and migrate the multi-mode database (DATA/recap.db)",
		Description: `Multi mode keeps accounts, sessions and the library index in DATA/recap.db.
"recap serve" migrates it at start; these commands show its schema version
and apply pending migrations by hand (for example before a first start
after restoring an old backup). A database written by the earlier Node.js
Recap is adopted in place, keeping every row.

Examples:
  recap db status --data ./data
  recap db migrate --data ./data`,
		Subcommands: []*cli.Command{
			{
				Name: "status", Usage: "show the schema version and pending migrations",
				Flags:  []cli.Flag{dataFlag(), &cli.BoolFlag{Name: "json", Usage: "print the status as JSON"}},
				Action: runDBStatus,
			},
			{
				Name: "migrate", Usage: "apply pending migrations",
				Flags:  []cli.Flag{dataFlag()},
				Action: runDBMigrate,
			},
		},
	}
}

// dbStatusJSON is the JSON shape of recap db status.
type dbStatusJSON struct {
	Path    string   `json:"path"`
	Exists  bool     `json:"exists"`
	Version int      `json:"version"`
	Latest  int      `json:"latest"`
	Legacy  bool     `json:"legacy"` // written by the earlier Node.js Recap, not yet migrated
	Pending []string `json:"pending"`
	TooNew  bool     `json:"too_new"`
	// Duplicates are accounts whose addresses have one canonical form.
	Duplicates []duplicateJSON `json:"duplicates"`
}

// duplicateJSON is one group of accounts sharing an address; the first
// is the one sign-in goes to.
type duplicateJSON struct {
	Address  string            `json:"address"`
	Accounts []duplicateMember `json:"accounts"`
}

type duplicateMember struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	Recaps    int    `json:"recaps"`
	Admin     bool   `json:"admin"`
	CreatedAt string `json:"created_at"`
}

func toDuplicateJSON(groups []store.DuplicateGroup) []duplicateJSON {
	out := []duplicateJSON{}
	for _, g := range groups {
		d := duplicateJSON{Address: g.Key}
		for _, a := range g.Accounts {
			d.Accounts = append(d.Accounts, duplicateMember{ID: a.ID, Email: a.Email, Recaps: a.Recaps, Admin: a.IsAdmin, CreatedAt: rfc3339(a.CreatedAt)})
		}
		out = append(out, d)
	}
	return out
}

// writeDuplicates prints the groups of accounts sharing an address and
// how to merge them.
func writeDuplicates(w io.Writer, groups []duplicateJSON) {
	if len(groups) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%d addresses have more than one account (the earlier Recap kept addresses as typed).\n", len(groups))
	fmt.Fprintln(w, "Each signs in to the first listed; merge the others into it on the admin page or with recap user merge:")
	for _, g := range groups {
		fmt.Fprintf(w, "  %s\n", g.Address)
		for i, a := range g.Accounts {
			mark := "merge into the first"
			if i == 0 {
				mark = "signs in here"
			}
			fmt.Fprintf(w, "    %s  %-30s %d recaps, created %s  (%s)\n", a.ID, a.Email, a.Recaps, a.CreatedAt, mark)
		}
	}
}

func runDBStatus(c *cli.Context) error {
	data := c.String("data")
	v, err := store.Inspect(c.Context, data)
	st := dbStatusJSON{Path: store.PathIn(data), Exists: !errors.Is(err, store.ErrNotFound),
		Version: v.Current, Latest: v.Latest, Legacy: v.Legacy, Pending: v.Pending(), TooNew: v.Current > v.Latest}
	if err != nil && st.Exists {
		return err
	}
	if st.Pending == nil || st.TooNew {
		st.Pending = []string{}
	}
	st.Duplicates = []duplicateJSON{}
	if st.Exists && !st.TooNew {
		groups, err := store.InspectDuplicates(c.Context, data)
		if err != nil {
			return err
		}
		st.Duplicates = toDuplicateJSON(groups)
	}
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	return writeDBStatus(c.App.Writer, st, v.Applied)
}

// writeDBStatus prints the database's status for a person: its schema,
// the migrations applied and pending, and accounts sharing an address.
// A database newer than this Recap is an error (exit status 1).
func writeDBStatus(w io.Writer, st dbStatusJSON, applied []store.AppliedMigration) error {
	if !st.Exists {
		fmt.Fprintf(w, "No database at %s (single mode, or multi mode has not started yet).\n", st.Path)
		return nil
	}
	fmt.Fprintf(w, "Database: %s\n", st.Path)
	switch {
	case st.TooNew:
		fmt.Fprintf(w, "Schema:   version %d, written by a newer Recap (this one knows up to %d)\n", st.Version, st.Latest)
		return cli.Exit("this Recap is older than the database; install the newer version again", exitFailure)
	case st.Legacy:
		fmt.Fprintf(w, "Schema:   the earlier Node.js Recap's tables, not migrated yet (latest is %d)\n", st.Latest)
	default:
		fmt.Fprintf(w, "Schema:   version %d of %d\n", st.Version, st.Latest)
	}
	if len(applied) > 0 {
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "\nAPPLIED\tAT\tMIGRATION")
		for _, m := range applied {
			fmt.Fprintf(tw, "%d\t%s\t%s\n", m.Version, m.AppliedAt.UTC().Format("2006-01-02 15:04:05Z"), m.Name)
		}
		tw.Flush()
	}
	writeDuplicates(w, st.Duplicates)
	if len(st.Pending) == 0 {
		fmt.Fprintln(w, "\nUp to date.")
		return nil
	}
	fmt.Fprintln(w, "\nPending (recap db migrate, or recap serve, applies them):")
	for i, name := range st.Pending {
		fmt.Fprintf(w, "  %d  %s\n", st.Version+i+1, name)
	}
	return nil
}

func runDBMigrate(c *cli.Context) error {
	data := c.String("data")
	before, err := store.Inspect(c.Context, data)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	st, err := store.Open(c.Context, data, store.Options{})
	if err != nil {
		return err
	}
	after, err := st.Version(c.Context)
	if cerr := st.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if after.Current == before.Current {
		fmt.Fprintf(c.App.Writer, "%s is up to date (schema version %d).\n", store.PathIn(data), after.Current)
		return nil
	}
	from := fmt.Sprintf("version %d", before.Current)
	if before.Legacy {
		from = "the earlier Node.js Recap's tables"
	}
	fmt.Fprintf(c.App.Writer, "Migrated %s from %s to version %d:\n", store.PathIn(data), from, after.Current)
	for _, m := range after.Applied {
		if m.Version > before.Current {
			fmt.Fprintf(c.App.Writer, "  %d  %s\n", m.Version, m.Name)
		}
	}
	return nil
}
