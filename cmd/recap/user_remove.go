package main

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/recap-startos/recap/pkg/auth"
	"github.com/recap-startos/recap/pkg/startos"
	"github.com/recap-startos/recap/pkg/store"
)

// Removing an account from the command line and the remove-user action.
// Both ask for the number of recaps that go with it, so the confirmation
// names it: without the right number nothing is removed and the answer
// says what the number is.

func userRemoveCommand() *cli.Command {
	return &cli.Command{
		Name: "remove", Usage: "remove an account with its recaps, sessions, links and credits", ArgsUsage: "EMAIL|ID",
		Description: `Deletes the account and everything that is its, files included, in one
operation that a crash cannot leave half done. Confirm with the number of
recaps that go with it (run without --recaps to be told). Admin accounts are
not removed this way.

Example:
  recap user remove --data ./data --recaps 12 kid@example.org`,
		Flags: []cli.Flag{dataFlag(), &cli.IntFlag{Name: "recaps", Value: -1, Usage: "the number of recaps that go with the account, as confirmation"}},
		Action: func(c *cli.Context) error {
			st, err := openStore(c)
			if err != nil {
				return err
			}
			defer st.Close()
			u, err := findUser(c, st)
			if err != nil {
				return err
			}
			msg, err := removeUser(c, st, u, c.Int("recaps"))
			if err != nil {
				return err
			}
			fmt.Fprintln(c.App.ErrWriter, msg)
			return nil
		},
	}
}

// removeUser removes u when confirmed is its number of recaps.
func removeUser(c *cli.Context, st *store.Store, u *store.User, confirmed int) (string, error) {
	if u.IsAdmin {
		return "", badInput("%s is an admin; take the admin rights first (Admin page, as the owner); the owner's account cannot be removed", u.Email)
	}
	lib := st.Library(filepath.Join(c.String("data"), "history"))
	n, err := lib.Count(c.Context, u.ID)
	if err != nil {
		return "", err
	}
	if confirmed != n {
		return "", badInput("%s has %d recaps; to remove the account with them, confirm with that number (--recaps %d, or recaps: %d in the action)", u.Email, n, n, n)
	}
	rm, err := lib.RemoveAccount(c.Context, u.ID)
	if errors.Is(err, store.ErrNotFound) {
		return "", badInput("no user %s", u.Email)
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("Removed %s with %d recaps; %d sessions ended.", u.Email, rm.Recaps, rm.Sessions), nil
}

// actionRemoveUser removes an account: {"email", "recaps"}.
func actionRemoveUser(c *cli.Context) error {
	in := struct {
		Email  string   `json:"email"`
		Recaps *float64 `json:"recaps"`
	}{}
	return withAccounts(c, &in, func(_ *auth.Accounts, st *store.Store) error {
		email, err := auth.CanonicalEmail(in.Email)
		if err != nil {
			return badInput("email: %q is not one plain email address", in.Email)
		}
		u, err := st.UserByEmail(c.Context, email)
		if errors.Is(err, store.ErrNotFound) {
			return badInput("there is no account for %s", email)
		}
		if err != nil {
			return err
		}
		confirmed := -1
		if in.Recaps != nil && *in.Recaps == float64(int(*in.Recaps)) {
			confirmed = int(*in.Recaps)
		}
		msg, err := removeUser(c, st, u, confirmed)
		if err != nil {
			return err
		}
		return startos.Result("%s", msg).Write(c.App.Writer)
	})
}
