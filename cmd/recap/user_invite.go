package main

import (
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/recap-startos/recap/pkg/auth"
	"github.com/recap-startos/recap/pkg/startos"
	"github.com/recap-startos/recap/pkg/store"
)

// Invitations from the command line and the invite-user action. Both
// mail the invitation with the config's mail settings; when the mail
// cannot be sent they print the link for the owner to pass on.

func userInviteCommands() []*cli.Command {
	return []*cli.Command{
		{
			Name: "invite", Usage: "invite someone: mail them a sign-in link valid for 7 days", ArgsUsage: "EMAIL",
			Description: `Lets EMAIL sign in even while sign-ups are closed; their account is made at
the first sign-in. The invitation is mailed with the mail settings of the
config; if it cannot be sent, the link is printed for you to pass on. Inviting
again sends a new link. Needs multi mode (DATA/start9/config.yaml).

Example:
  recap user invite --data ./data grandma@example.org`,
			Flags: []cli.Flag{dataFlag()}, Action: runUserInvite,
		},
		{Name: "invites", Usage: "list invitations, pending and accepted", Flags: []cli.Flag{dataFlag()}, Action: runUserInvites},
		{Name: "revoke-invite", Usage: "withdraw a pending invitation (its link stops working)", ArgsUsage: "EMAIL",
			Flags: []cli.Flag{dataFlag()}, Action: runUserRevokeInvite},
	}
}

// inviteOutcome says what happened to an invitation, and what to do
// when the mail did not go.
func inviteOutcome(inv *auth.Invited) string {
	again := ""
	if inv.Renewed {
		again = " again"
	}
	if inv.Mailed {
		return fmt.Sprintf("Invited %s%s: mailed a sign-in link that works once, within %d days.", inv.Email, again, int(auth.InviteTTL.Hours()/24))
	}
	return fmt.Sprintf("Invited %s%s, but the mail could not be sent (%v). Pass them this link yourself; it works once, within %d days, and signs in whoever opens it.",
		inv.Email, again, inv.MailErr, int(auth.InviteTTL.Hours()/24))
}

// invite runs an invitation by the config's admin.
func invite(c *cli.Context, a *auth.Accounts, address string) (*auth.Invited, error) {
	inv, err := a.Invite(c.Context, address, a.AdminEmail())
	switch {
	case errors.Is(err, auth.ErrBadEmail):
		return nil, badInput("email: %q is not one plain email address", address)
	case errors.Is(err, auth.ErrAlreadyMember):
		return nil, badInput("%s already has an account; they can sign in with it", strings.TrimSpace(address))
	}
	return inv, err
}

// withCLIAccounts opens multi mode's accounts for a command.
func withCLIAccounts(c *cli.Context, fn func(*auth.Accounts, *store.Store) error) error {
	a, st, ok, err := openAccounts(c.Context, c.String("data"))
	if err != nil {
		return err
	}
	if !ok {
		return badInput("Recap is in single mode (DATA/start9/config.yaml): there are no accounts")
	}
	defer st.Close()
	return fn(a, st)
}

func runUserInvite(c *cli.Context) error {
	if c.NArg() != 1 {
		return badInput("give one email address")
	}
	return withCLIAccounts(c, func(a *auth.Accounts, _ *store.Store) error {
		inv, err := invite(c, a, c.Args().First())
		if err != nil {
			return err
		}
		fmt.Fprintln(c.App.ErrWriter, inviteOutcome(inv))
		if !inv.Mailed {
			fmt.Fprintln(c.App.Writer, inv.Link)
		}
		return nil
	})
}

func runUserInvites(c *cli.Context) error {
	return withCLIAccounts(c, func(_ *auth.Accounts, st *store.Store) error {
		list, err := st.ListInvites(c.Context)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			fmt.Fprintln(c.App.ErrWriter, "no invitations")
			return nil
		}
		tw := tabwriter.NewWriter(c.App.Writer, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "EMAIL\tSTATUS\tSENT\tINVITED BY")
		for _, i := range list {
			status := "pending"
			if !i.Pending() {
				status = "accepted " + day(i.AcceptedAt)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", i.Email, status, day(i.SentAt), i.InvitedBy)
		}
		return tw.Flush()
	})
}

func runUserRevokeInvite(c *cli.Context) error {
	if c.NArg() != 1 {
		return badInput("give one email address")
	}
	return withCLIAccounts(c, func(_ *auth.Accounts, st *store.Store) error {
		err := st.RevokeInvite(c.Context, c.Args().First())
		if errors.Is(err, store.ErrInviteNotFound) {
			return badInput("no pending invitation for %s (see recap user invites)", c.Args().First())
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(c.App.ErrWriter, "revoked the invitation of %s; its link no longer works\n", store.EmailKey(c.Args().First()))
		return nil
	})
}

// actionInviteUser invites one address: {"email"}.
func actionInviteUser(c *cli.Context) error {
	in := struct {
		Email string `json:"email"`
	}{}
	return withAccounts(c, &in, func(a *auth.Accounts, _ *store.Store) error {
		inv, err := invite(c, a, in.Email)
		if err != nil {
			return err
		}
		res := startos.Result("%s", inviteOutcome(inv))
		if !inv.Mailed {
			res = res.WithValue(inv.Link, true)
		}
		return res.Write(c.App.Writer)
	})
}
