package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/recap-startos/recap/pkg/auth"
	"github.com/recap-startos/recap/pkg/startos"
	"github.com/recap-startos/recap/pkg/store"
)

// Accounts sharing an address: the earlier Recap stored addresses as they
// were typed, so one person may have several accounts. recap db status
// and the duplicate-accounts action list them; recap user merge (or the
// admin page) merges them.

func userMergeCommand() *cli.Command {
	return &cli.Command{
		Name: "merge", Usage: "merge an account into another that shares its address", ArgsUsage: "KEEP-ID MERGED-ID",
		Description: `Moves the recaps, credits, sessions and everything else of MERGED-ID into
KEEP-ID and deletes MERGED-ID. Both accounts must have the same address in
one spelling or another (recap db status lists such accounts, the one to
keep first). Works while Recap runs.

Example:
  recap user merge --data ./data 2b7e…(keep) 9f01…(merged)`,
		Flags:  []cli.Flag{dataFlag()},
		Action: runUserMerge,
	}
}

func runUserMerge(c *cli.Context) error {
	if c.NArg() != 2 {
		return badInput("give two account ids: the one to keep, then the one to merge into it (see recap db status)")
	}
	st, err := openStore(c)
	if err != nil {
		return err
	}
	defer st.Close()
	lib := st.Library(filepath.Join(c.String("data"), "history"))
	keep, from := strings.TrimSpace(c.Args().Get(0)), strings.TrimSpace(c.Args().Get(1))
	m, err := lib.MergeAccounts(c.Context, keep, from)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return badInput("no account %s or %s (see recap user list)", keep, from)
	case errors.Is(err, store.ErrNotDuplicate):
		return badInput("%s and %s do not share an address; only such accounts can be merged", keep, from)
	case errors.Is(err, store.ErrSameAccount):
		return badInput("give two different accounts")
	case err != nil:
		return err
	}
	fmt.Fprintf(c.App.Writer, "Merged %s into %s: %d recaps, %d sessions and %d credits moved.\n", from, keep, m.Recaps, m.Sessions, m.Credits)
	return nil
}

// actionDuplicateAccounts reports the accounts that share an address.
func actionDuplicateAccounts(c *cli.Context) error {
	return withAccounts(c, &struct{}{}, func(_ *auth.Accounts, st *store.Store) error {
		groups, err := st.DuplicateAccounts(c.Context)
		if err != nil {
			return err
		}
		if len(groups) == 0 {
			return startos.Result("Every address has one account; nothing to merge.").Write(c.App.Writer)
		}
		var b strings.Builder
		writeDuplicates(&b, toDuplicateJSON(groups))
		return startos.Result("%d addresses have more than one account. Each signs in to the first listed; merge the others into it on the admin page (Admin, Accounts sharing an address).",
			len(groups)).WithValue(strings.TrimSpace(b.String()), false).Write(c.App.Writer)
	})
}
