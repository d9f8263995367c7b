package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/recap-startos/recap/pkg/store"
)

func userCommand() *cli.Command {
	who := "EMAIL|ID"
	return &cli.Command{
		Name:  "user",
		Usage: "list, show, invite, disable, enable, merge and remove accounts, grant credits and set tiers (multi mode)",
		Description: `Accounts live in DATA/recap.db. Disabling a user signs them out everywhere
at once and stops them signing in; their recaps stay. grant-credits adds
credits that do not expire; set-tier moves an account to core, pro or max
(with --days, for a paid period that ends; the allowance follows at once).

Examples:
  recap user list --data ./data
  recap user show --data ./data ann@example.org
  recap user disable --data ./data ann@example.org
  recap user enable --data ./data ann@example.org
  recap user grant-credits --data ./data --note "conference" ann@example.org 25
  recap user set-tier --data ./data --days 30 ann@example.org pro`,
		Subcommands: append([]*cli.Command{
			{
				Name: "list", Usage: "list users, newest first",
				Flags: []cli.Flag{dataFlag(),
					&cli.StringFlag{Name: "search", Usage: "only addresses containing this text"},
					&cli.IntFlag{Name: "limit", Value: 100, Usage: "users to show (1-1000)"},
					&cli.BoolFlag{Name: "json", Usage: "print the users as JSON"},
				},
				Action: runUserList,
			},
			{Name: "show", Usage: "show one user and their sessions", ArgsUsage: who,
				Flags: []cli.Flag{dataFlag(), &cli.BoolFlag{Name: "json", Usage: "print the user as JSON"}}, Action: runUserShow},
			{Name: "disable", Usage: "disable a user and end their sessions", ArgsUsage: who, Flags: []cli.Flag{dataFlag()},
				Action: func(c *cli.Context) error { return runUserSetDisabled(c, true) }},
			{Name: "enable", Usage: "enable a disabled user", ArgsUsage: who, Flags: []cli.Flag{dataFlag()},
				Action: func(c *cli.Context) error { return runUserSetDisabled(c, false) }},
			userMergeCommand(),
			userRemoveCommand(),
		}, append(userInviteCommands(), userCreditCommands()...)...),
	}
}

// openStore opens the multi-mode database of the data folder, migrating
// it as serve would; it does not create one.
func openStore(c *cli.Context) (*store.Store, error) {
	data := c.String("data")
	if _, err := store.Inspect(c.Context, data); errors.Is(err, store.ErrNotFound) {
		return nil, badInput("no database at %s: multi mode has not run in this data folder", store.PathIn(data))
	}
	return store.Open(c.Context, data, store.Options{})
}

// findUser looks a user up by address (with an @) or id.
func findUser(c *cli.Context, st *store.Store) (*store.User, error) {
	if c.NArg() != 1 {
		return nil, badInput("give exactly one user: an email address or a user id (see recap user list)")
	}
	arg := strings.TrimSpace(c.Args().First())
	var u *store.User
	var err error
	if strings.Contains(arg, "@") {
		u, err = st.UserByEmail(c.Context, arg) // by canonical address
	} else {
		u, err = st.UserByID(c.Context, arg)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, badInput("no user %s (see recap user list)", arg)
	}
	return u, err
}

// userJSON is the JSON shape of a user in recap user list and show.
type userJSON struct {
	ID              string        `json:"id"`
	Email           string        `json:"email"`
	Admin           bool          `json:"admin"`
	Tier            string        `json:"tier"`
	Disabled        bool          `json:"disabled"`
	CreatedAt       string        `json:"created_at"`
	LastSignInAt    string        `json:"last_signin_at,omitempty"`
	SignupIP        string        `json:"signup_ip,omitempty"`
	SignupUserAgent string        `json:"signup_user_agent,omitempty"`
	Recaps          *int          `json:"recaps,omitempty"`
	Credits         *creditsJSON  `json:"credits,omitempty"`
	Sessions        []sessionJSON `json:"sessions,omitempty"`
}

type sessionJSON struct {
	ID         string `json:"id"` // the first 12 hex digits of the hash
	CreatedAt  string `json:"created_at"`
	LastUsedAt string `json:"last_used_at,omitempty"`
	ExpiresAt  string `json:"expires_at"`
	UserAgent  string `json:"user_agent,omitempty"`
	IPAddress  string `json:"ip_address,omitempty"`
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func toUserJSON(u *store.User) userJSON {
	return userJSON{ID: u.ID, Email: u.Email, Admin: u.IsAdmin, Tier: u.Tier, Disabled: u.Disabled(),
		CreatedAt: rfc3339(u.CreatedAt), LastSignInAt: rfc3339(u.LastSignInAt),
		SignupIP: u.SignupIP, SignupUserAgent: u.SignupUserAgent}
}

func day(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02")
}

func runUserList(c *cli.Context) error {
	if l := c.Int("limit"); l < 1 || l > 1000 {
		return badInput("--limit must be between 1 and 1000")
	}
	st, err := openStore(c)
	if err != nil {
		return err
	}
	defer st.Close()
	users, total, err := st.ListUsers(c.Context, store.UserQuery{Search: c.String("search"), Limit: c.Int("limit")})
	if err != nil {
		return err
	}
	if c.Bool("json") {
		out := struct {
			Users []userJSON `json:"users"`
			Total int        `json:"total"`
		}{Users: []userJSON{}, Total: total}
		for _, u := range users {
			j := toUserJSON(&u.User)
			j.Recaps = &u.Recaps
			out.Users = append(out.Users, j)
		}
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if total == 0 {
		fmt.Fprintln(c.App.ErrWriter, "no users")
		return nil
	}
	tw := tabwriter.NewWriter(c.App.Writer, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EMAIL\tROLE\tTIER\tSTATE\tCREATED\tLAST SIGN-IN\tRECAPS\tSESSIONS\tID")
	for _, u := range users {
		role, state := "user", "active"
		if u.IsAdmin {
			role = "admin"
		}
		if u.Disabled() {
			state = "disabled"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\n", u.Email, role, u.Tier, state,
			day(u.CreatedAt), day(u.LastSignInAt), u.Recaps, u.Sessions, u.ID)
	}
	tw.Flush()
	fmt.Fprintf(c.App.ErrWriter, "%d of %d user(s)\n", len(users), total)
	return nil
}

func runUserShow(c *cli.Context) error {
	st, err := openStore(c)
	if err != nil {
		return err
	}
	defer st.Close()
	u, err := findUser(c, st)
	if err != nil {
		return err
	}
	recaps, err := st.Library(filepath.Join(c.String("data"), "history")).Count(c.Context, u.ID)
	if err != nil {
		return err
	}
	sessions, err := st.ListSessions(c.Context, u.ID)
	if err != nil {
		return err
	}
	j := toUserJSON(u)
	j.Recaps = &recaps
	printCredits, err := showCredits(c, u.ID, &j)
	if err != nil {
		return err
	}
	for _, s := range sessions {
		j.Sessions = append(j.Sessions, sessionJSON{ID: s.ID[:min(12, len(s.ID))], CreatedAt: rfc3339(s.CreatedAt),
			LastUsedAt: rfc3339(s.LastUsedAt), ExpiresAt: rfc3339(s.ExpiresAt), UserAgent: s.UserAgent, IPAddress: s.IPAddress})
	}
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(j)
	}
	w := c.App.Writer
	state := "active"
	if u.Disabled() {
		state = "disabled since " + rfc3339(u.DisabledAt)
	}
	fmt.Fprintf(w, "Email:        %s\nID:           %s\nAdmin:        %t\nTier:         %s\nState:        %s\n", u.Email, u.ID, u.IsAdmin, j.Tier, state)
	fmt.Fprintf(w, "Created:      %s\nLast sign-in: %s\nSigned up:    %s %s\nRecaps:       %d\n",
		rfc3339(u.CreatedAt), orDash(rfc3339(u.LastSignInAt)), orDash(u.SignupIP), u.SignupUserAgent, recaps)
	printCredits(w)
	fmt.Fprintf(w, "Sessions:     %d\n", len(sessions))
	if len(sessions) > 0 {
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  SESSION\tSTARTED\tLAST USED\tADDRESS\tBROWSER")
		for _, s := range j.Sessions {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", s.ID, s.CreatedAt, orDash(s.LastUsedAt), orDash(s.IPAddress), s.UserAgent)
		}
		tw.Flush()
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func runUserSetDisabled(c *cli.Context, disabled bool) error {
	st, err := openStore(c)
	if err != nil {
		return err
	}
	defer st.Close()
	u, err := findUser(c, st)
	if err != nil {
		return err
	}
	if disabled && u.IsAdmin {
		return badInput("%s is the admin; change the admin email in the config first", u.Email)
	}
	if err := st.SetUserDisabled(c.Context, u.ID, disabled); err != nil {
		return err
	}
	if disabled {
		fmt.Fprintf(c.App.ErrWriter, "disabled %s and ended their sessions\n", u.Email)
	} else {
		fmt.Fprintf(c.App.ErrWriter, "enabled %s\n", u.Email)
	}
	return nil
}
