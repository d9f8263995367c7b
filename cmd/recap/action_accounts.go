package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/recap-startos/recap/pkg/auth"
	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/mail"
	"github.com/recap-startos/recap/pkg/startos"
	"github.com/recap-startos/recap/pkg/store"
)

// The account actions of multi mode. In single mode there are no
// accounts; each says so and succeeds without changing anything.

const singleModeNote = "Recap is in single mode: there are no accounts. Sign in with the owner password (Reset Owner Password makes a new one)."

// openAccounts opens the database and the sign-in service for an action
// or a command. ok is false in single mode.
func openAccounts(ctx context.Context, data string) (*auth.Accounts, *store.Store, bool, error) {
	cfg, err := config.Load(data)
	if err != nil {
		return nil, nil, false, err
	}
	if cfg.Mode.Type != config.ModeMulti {
		return nil, nil, false, nil
	}
	base, err := publicURL(cfg)
	if err != nil {
		return nil, nil, false, err
	}
	st, err := store.Open(ctx, data, store.Options{})
	if err != nil {
		return nil, nil, false, err
	}
	opt := auth.AccountsOptions{Store: st, PublicURL: base, AdminEmail: cfg.Mode.AdminEmail}
	// Mail, for the invitations; when it cannot be used, the actions
	// show links instead.
	if sender, err := mail.NewSMTP(cfg.SMTP); err == nil {
		opt.Mail = sender
	}
	a, err := auth.NewAccounts(opt)
	if err != nil {
		st.Close()
		return nil, nil, false, err
	}
	return a, st, true, nil
}

// withAccounts decodes an action's input into in and runs fn with multi
// mode's accounts and store, closed afterwards; in single mode it answers
// with a note instead.
func withAccounts(c *cli.Context, in any, fn func(*auth.Accounts, *store.Store) error) error {
	if err := startos.DecodeInput(c.App.Reader, in); err != nil {
		return badInput("%v", err)
	}
	a, st, ok, err := openAccounts(c.Context, c.String("data"))
	if err != nil {
		return err
	}
	if !ok {
		return startos.Result(singleModeNote).Write(c.App.Writer)
	}
	defer st.Close()
	return fn(a, st)
}

// actionAdminLoginLink makes a one-time sign-in link for the admin, for
// when mail does not arrive (or is not set up yet).
func actionAdminLoginLink(c *cli.Context) error {
	return withAccounts(c, &struct{}{}, func(a *auth.Accounts, _ *store.Store) error {
		return adminLoginLink(c, a)
	})
}

func adminLoginLink(c *cli.Context, a *auth.Accounts) error {
	if _, err := a.EnsureAdmin(c.Context); err != nil {
		return err
	}
	link, err := a.IssueLink(c.Context, a.AdminEmail(), auth.Requester{Bucket: "action", UserAgent: "admin-login-link action"})
	if err != nil {
		return err
	}
	return startos.Result("A sign-in link for %s. Open it in your browser and press Sign in. It works once, within %d minutes; keep it to yourself.",
		a.AdminEmail(), int(auth.LinkTTL.Minutes())).WithValue(link, true).Write(c.App.Writer)
}

// actionRevokeSessions signs one user out everywhere: {"email"}.
func actionRevokeSessions(c *cli.Context) error {
	in := struct {
		Email string `json:"email"`
	}{}
	return withAccounts(c, &in, func(_ *auth.Accounts, st *store.Store) error {
		return revokeSessions(c, st, in.Email)
	})
}

func revokeSessions(c *cli.Context, st *store.Store, address string) error {
	email, err := auth.CanonicalEmail(address)
	if err != nil {
		return badInput("email: %q is not one plain email address", address)
	}
	u, err := st.UserByEmail(c.Context, email)
	if errors.Is(err, store.ErrNotFound) {
		return badInput("there is no account for %s", email)
	}
	if err != nil {
		return err
	}
	n, err := st.RevokeUserSessions(c.Context, u.ID, "")
	if err != nil {
		return err
	}
	return startos.Result("Signed %s out of %d sessions. They can sign in again by email unless you disable the account.", email, n).Write(c.App.Writer)
}

// actionListUsers lists the accounts with their figures.
func actionListUsers(c *cli.Context) error {
	return withAccounts(c, &struct{}{}, func(_ *auth.Accounts, st *store.Store) error {
		return listUsers(c, st)
	})
}

func listUsers(c *cli.Context, st *store.Store) error {
	users, total, err := st.ListUsers(c.Context, store.UserQuery{Limit: 1000})
	if err != nil {
		return err
	}
	var b strings.Builder
	for _, u := range users {
		status := "active"
		if u.Disabled() {
			status = "disabled"
		}
		role := ""
		if u.IsAdmin {
			role = ", admin"
		}
		last := "never signed in"
		if !u.LastSignInAt.IsZero() {
			last = "last sign-in " + u.LastSignInAt.UTC().Format("2006-01-02 15:04 UTC")
		}
		fmt.Fprintf(&b, "%s (%s%s, %s): %d recaps (%s), %d sessions, %s, created %s\n", u.Email, status, role, u.Tier,
			u.Recaps, startos.HumanBytes(u.Storage), u.Sessions, last, u.CreatedAt.UTC().Format("2006-01-02"))
	}
	if total > len(users) {
		fmt.Fprintf(&b, "… and %d more (recap user list shows them all)\n", total-len(users))
	}
	return startos.Result("Recap has %d accounts.", total).WithValue(strings.TrimRight(b.String(), "\n"), false).Write(c.App.Writer)
}
