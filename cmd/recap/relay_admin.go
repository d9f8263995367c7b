package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/recap-startos/recap/pkg/relay"
)

func relayLicenseCommand() *cli.Command {
	return &cli.Command{
		Name:  "license",
		Usage: "issue, list and revoke instances' licenses",
		Description: `A license is an instance's key to the relay; it acts for one install id.
"add" prints a new key once (the relay keeps only its hash); with
--key-stdin it registers a key read from standard input instead (for
example a license a user bought). Rotate by adding a new license for the
same install id, updating the instance's relay.license, then revoking the
old one; the credit pool belongs to the install id and stays.`,
		Subcommands: []*cli.Command{
			{Name: "add", Usage: "issue a license for an install id", ArgsUsage: "INSTALL_ID",
				Flags: []cli.Flag{relayDataFlag(),
					&cli.StringFlag{Name: "label", Usage: "a name for the operator's list"},
					&cli.BoolFlag{Name: "key-stdin", Usage: "register the key on standard input instead of making one"},
				},
				Action: runRelayLicenseAdd},
			{Name: "list", Usage: "list licenses with their pools", Flags: []cli.Flag{relayDataFlag(), &cli.BoolFlag{Name: "json", Usage: "print JSON"}},
				Action: runRelayLicenseList},
			{Name: "revoke", Usage: "revoke a license by its id (lic_…)", ArgsUsage: "LICENSE_ID", Flags: []cli.Flag{relayDataFlag()},
				Action: runRelayLicenseRevoke},
		},
	}
}

func runRelayLicenseAdd(c *cli.Context) error {
	if c.NArg() != 1 {
		return badInput("usage: recap relay license add INSTALL_ID")
	}
	key := ""
	if c.Bool("key-stdin") {
		line, err := bufio.NewReader(c.App.Reader).ReadString('\n')
		if err != nil && line == "" {
			return badInput("--key-stdin: no key on standard input")
		}
		key = strings.TrimSpace(line)
	}
	st, err := openRelayStore(c)
	if err != nil {
		return err
	}
	defer st.Close()
	l, key, err := st.AddLicense(c.Context, c.Args().First(), c.String("label"), key)
	if err != nil {
		return relayInputError(err)
	}
	fmt.Fprintf(c.App.Writer, "License %s for install id %s\n", l.ID, l.InstallID)
	if !c.Bool("key-stdin") {
		fmt.Fprintf(c.App.Writer, "Key (shown once; put it in the instance's relay.license):\n%s\n", key)
	}
	return nil
}

func relayInputError(err error) error {
	if errors.Is(err, relay.ErrInvalid) || errors.Is(err, relay.ErrNotFound) {
		return usageError{err}
	}
	return err
}

func runRelayLicenseList(c *cli.Context) error {
	st, err := openRelayStore(c)
	if err != nil {
		return err
	}
	defer st.Close()
	ls, err := st.Licenses(c.Context)
	if err != nil {
		return err
	}
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		if ls == nil {
			ls = []relay.License{}
		}
		return enc.Encode(ls)
	}
	tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LICENSE\tINSTALL ID\tPOOL\tSTATE\tCREATED\tLABEL")
	for _, l := range ls {
		state := "active"
		if l.Revoked() {
			state = "revoked " + l.RevokedAt.Format(time.DateOnly)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\n", l.ID, l.InstallID, l.Pool, state, l.CreatedAt.Format(time.DateOnly), l.Label)
	}
	return tw.Flush()
}

func runRelayLicenseRevoke(c *cli.Context) error {
	if c.NArg() != 1 {
		return badInput("usage: recap relay license revoke LICENSE_ID")
	}
	st, err := openRelayStore(c)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.RevokeLicense(c.Context, c.Args().First()); err != nil {
		return relayInputError(err)
	}
	fmt.Fprintf(c.App.Writer, "Revoked %s\n", c.Args().First())
	return nil
}

func relayCreditsCommand() *cli.Command {
	return &cli.Command{
		Name:  "credits",
		Usage: "grant credits to an instance's pool",
		Subcommands: []*cli.Command{
			{Name: "grant", Usage: "add N credits (negative takes some back) to the pool of an install id or license id",
				ArgsUsage: "INSTALL_ID|LICENSE_ID N",
				Flags:     []cli.Flag{relayDataFlag(), &cli.StringFlag{Name: "note", Usage: "why, for the ledger"}},
				Action:    runRelayGrant},
		},
	}
}

func runRelayGrant(c *cli.Context) error {
	if c.NArg() != 2 {
		return badInput("usage: recap relay credits grant INSTALL_ID|LICENSE_ID N")
	}
	n, err := strconv.ParseInt(c.Args().Get(1), 10, 64)
	if err != nil {
		return badInput("%q is not a whole number of credits", c.Args().Get(1))
	}
	st, err := openRelayStore(c)
	if err != nil {
		return err
	}
	defer st.Close()
	install, pool, err := st.Grant(c.Context, c.Args().First(), n, c.String("note"))
	if err != nil {
		return relayInputError(err)
	}
	fmt.Fprintf(c.App.Writer, "Pool of %s: %d credits\n", install, pool)
	return nil
}

func relayUserCommand() *cli.Command {
	return &cli.Command{
		Name:  "user",
		Usage: "set and show the tier of an instance's user",
		Subcommands: []*cli.Command{
			{Name: "set-tier", Usage: "set a user's tier; --days gives the expiry (from now), none means no expiry",
				ArgsUsage: "INSTALL_ID USER_ID core|pro|max",
				Flags:     []cli.Flag{relayDataFlag(), &cli.IntFlag{Name: "days", Usage: "days until the tier expires (0: never)"}},
				Action:    runRelaySetTier},
			{Name: "show", Usage: "show a user's tier", ArgsUsage: "INSTALL_ID USER_ID", Flags: []cli.Flag{relayDataFlag()},
				Action: runRelayShowUser},
		},
	}
}

func runRelaySetTier(c *cli.Context) error {
	if c.NArg() != 3 {
		return badInput("usage: recap relay user set-tier INSTALL_ID USER_ID core|pro|max [--days D]")
	}
	days := c.Int("days")
	if days < 0 {
		return badInput("--days must be 0 or more")
	}
	up := relay.TierUpdate{InstallID: c.Args().Get(0), UserID: c.Args().Get(1), Tier: c.Args().Get(2)}
	st, err := openRelayStore(c)
	if err != nil {
		return err
	}
	defer st.Close()
	if days > 0 {
		up.ExpiresAt = time.Now().Add(time.Duration(days) * 24 * time.Hour)
	}
	u, _, err := st.SetTier(c.Context, "operator", up)
	if err != nil {
		return relayInputError(err)
	}
	printRelayUser(c.App.Writer, u)
	return nil
}

func runRelayShowUser(c *cli.Context) error {
	if c.NArg() != 2 {
		return badInput("usage: recap relay user show INSTALL_ID USER_ID")
	}
	st, err := openRelayStore(c)
	if err != nil {
		return err
	}
	defer st.Close()
	u, err := st.User(c.Context, c.Args().Get(0), c.Args().Get(1))
	if err != nil {
		return err
	}
	printRelayUser(c.App.Writer, u)
	return nil
}

func printRelayUser(w io.Writer, u relay.UserTier) {
	exp := "never"
	if !u.ExpiresAt.IsZero() {
		exp = u.ExpiresAt.Format(time.RFC3339)
	}
	fmt.Fprintf(w, "%s/%s: %s, expires %s\n", u.InstallID, u.UserID, u.Tier, exp)
}

func relayLedgerCommand() *cli.Command {
	return &cli.Command{
		Name: "ledger", Usage: "print the ledger, newest first", ArgsUsage: "[INSTALL_ID]",
		Flags: []cli.Flag{relayDataFlag(), &cli.IntFlag{Name: "limit", Value: 50, Usage: "rows to print"}},
		Action: func(c *cli.Context) error {
			st, err := openRelayStore(c)
			if err != nil {
				return err
			}
			defer st.Close()
			rows, err := st.Ledger(c.Context, c.Args().First(), c.Int("limit"))
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tWHEN\tINSTALL ID\tKIND\tDELTA\tUSER\tTIER\tACTOR\tNOTE")
			for _, e := range rows {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%+d\t%s\t%s\t%s\t%s\n", e.ID, e.CreatedAt.Format(time.RFC3339), e.InstallID, e.Kind, e.Delta, e.UserID, e.Tier, e.Actor, e.Note)
			}
			return tw.Flush()
		},
	}
}

func relayOrdersCommand() *cli.Command {
	return &cli.Command{
		Name: "orders", Usage: "print the checkouts sold through the relay, newest first", ArgsUsage: "[INSTALL_ID]",
		Flags: []cli.Flag{relayDataFlag(), &cli.IntFlag{Name: "limit", Value: 50, Usage: "rows to print"}},
		Action: func(c *cli.Context) error {
			st, err := openRelayStore(c)
			if err != nil {
				return err
			}
			defer st.Close()
			rows, err := st.Checkouts(c.Context, c.Args().First(), c.Int("limit"))
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tCREATED\tINSTALL ID\tUSER\tPLAN\tPROVIDER\tAMOUNT\tSTATUS\tSETTLED\tNOTE")
			for _, o := range rows {
				settled := "-"
				if !o.SettledAt.IsZero() {
					settled = o.SettledAt.Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s x%d\t%s\t%d %s\t%s\t%s\t%s\n", o.ID, o.CreatedAt.Format(time.RFC3339), o.InstallID, o.UserID,
					o.Plan, o.Periods, o.Provider, o.Amount, o.Currency, o.Status, settled, o.Note)
			}
			return tw.Flush()
		},
	}
}
