package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/recap-startos/recap/pkg/auth"
	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/credits"
	"github.com/recap-startos/recap/pkg/startos"
	"github.com/recap-startos/recap/pkg/store"
)

// The credit and tier commands: recap user grant-credits, set-tier and
// the credit part of show, and the StartOS actions grant-credits and
// set-tier. They meter through the same ledger and tier authority as
// serve (the relay's, when one is configured).

// maxGrant is the most credits one grant may give.
const maxGrant = 1_000_000

// maxTierDays is the longest paid period set-tier gives.
const maxTierDays = 36500

// openLedger opens the database and the credits ledger of a multi-mode
// data folder; ok is false in single mode.
func openLedger(ctx context.Context, data string) (*credits.Ledger, *store.Store, bool, error) {
	cfg, err := config.Load(data)
	if err != nil {
		return nil, nil, false, err
	}
	if cfg.Mode.Type != config.ModeMulti {
		return nil, nil, false, nil
	}
	if _, err := store.Inspect(ctx, data); errors.Is(err, store.ErrNotFound) {
		return nil, nil, false, badInput("no database at %s: multi mode has not run in this data folder", store.PathIn(data))
	}
	st, err := store.Open(ctx, data, store.Options{})
	if err != nil {
		return nil, nil, false, err
	}
	opt := credits.Options{}
	if cfg.Relay.Enabled() {
		rel, err := newInstanceRelay(cfg.Relay, st, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			st.Close()
			return nil, nil, false, err
		}
		opt.Tiers = rel.tiers()
	}
	return credits.New(st, credits.PolicyFrom(cfg.Mode), opt), st, true, nil
}

// userByAddress finds an account by email address.
func userByAddress(ctx context.Context, st *store.Store, address string) (*store.User, error) {
	email, err := auth.CanonicalEmail(address)
	if err != nil {
		return nil, badInput("email: %q is not one plain email address", address)
	}
	u, err := st.UserByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		return nil, badInput("there is no account for %s", email)
	}
	return u, err
}

// grant gives n credits to an account for good (the purchased bucket).
func grant(ctx context.Context, l *credits.Ledger, st *store.Store, address string, n int, note, actor string) (*store.User, credits.Balance, error) {
	if n < 1 || n > maxGrant {
		return nil, credits.Balance{}, badInput("credits: %d is outside 1..%d", n, maxGrant)
	}
	if len(note) > 500 {
		return nil, credits.Balance{}, badInput("note: at most 500 characters")
	}
	u, err := userByAddress(ctx, st, address)
	if err != nil {
		return nil, credits.Balance{}, err
	}
	b, err := l.Add(ctx, u.ID, n, credits.Grant{Kind: credits.KindGrant, Actor: actor, Note: strings.TrimSpace(note)})
	return u, b, err
}

// setTier gives an account a tier for days days (0: with no end).
func setTier(ctx context.Context, l *credits.Ledger, st *store.Store, address, tier string, days int, actor string) (*store.User, credits.Balance, error) {
	tier = strings.ToLower(strings.TrimSpace(tier))
	if !credits.ValidTier(tier) {
		return nil, credits.Balance{}, badInput("tier: %q is not core, pro or max", tier)
	}
	if days < 0 || days > maxTierDays {
		return nil, credits.Balance{}, badInput("days: %d is outside 0..%d", days, maxTierDays)
	}
	u, err := userByAddress(ctx, st, address)
	if err != nil {
		return nil, credits.Balance{}, err
	}
	var until time.Time
	if days > 0 && tier != credits.TierCore {
		until = time.Now().Add(time.Duration(days) * 24 * time.Hour)
	}
	b, err := l.SetTier(ctx, u.ID, tier, until, actor)
	return u, b, err
}

func describeBalance(b credits.Balance) string {
	s := fmt.Sprintf("%d credits (%d allowance, %d permanent); tier %s", b.Total(), b.Replenish, b.Purchased, b.Tier)
	if !b.TierExpiresAt.IsZero() {
		s += " until " + b.TierExpiresAt.UTC().Format("2006-01-02 15:04 UTC")
	}
	if !b.NextRefill.IsZero() {
		s += fmt.Sprintf("; %d credits again on %s", b.Plan.Credits, b.NextRefill.UTC().Format("2006-01-02"))
	}
	return s
}

func userCreditCommands() []*cli.Command {
	return []*cli.Command{
		{Name: "grant-credits", Usage: "give an account credits that do not expire", ArgsUsage: "EMAIL N",
			Flags:  []cli.Flag{dataFlag(), &cli.StringFlag{Name: "note", Usage: "why, kept in the account's ledger"}},
			Action: runGrantCredits},
		{Name: "set-tier", Usage: "set an account's tier (core, pro or max)", ArgsUsage: "EMAIL TIER",
			Flags:  []cli.Flag{dataFlag(), &cli.IntFlag{Name: "days", Usage: "length of the paid period; 0 means no end"}},
			Action: runSetTier},
	}
}

func runGrantCredits(c *cli.Context) error {
	if c.NArg() != 2 {
		return badInput("usage: recap user grant-credits EMAIL N [--note TEXT]")
	}
	n, err := strconv.Atoi(c.Args().Get(1))
	if err != nil {
		return badInput("N: %q is not a whole number", c.Args().Get(1))
	}
	return withLedgerCLI(c, func(l *credits.Ledger, st *store.Store) error {
		u, b, err := grant(c.Context, l, st, c.Args().Get(0), n, c.String("note"), "admin:cli")
		if err != nil {
			return err
		}
		fmt.Fprintf(c.App.Writer, "%s: %s\n", u.Email, describeBalance(b))
		return nil
	})
}

func runSetTier(c *cli.Context) error {
	if c.NArg() != 2 {
		return badInput("usage: recap user set-tier EMAIL core|pro|max [--days D]")
	}
	return withLedgerCLI(c, func(l *credits.Ledger, st *store.Store) error {
		u, b, err := setTier(c.Context, l, st, c.Args().Get(0), c.Args().Get(1), c.Int("days"), "admin:cli")
		if err != nil {
			return err
		}
		fmt.Fprintf(c.App.Writer, "%s: %s\n", u.Email, describeBalance(b))
		return nil
	})
}

func withLedgerCLI(c *cli.Context, fn func(*credits.Ledger, *store.Store) error) error {
	l, st, ok, err := openLedger(c.Context, c.String("data"))
	if err != nil {
		return err
	}
	if !ok {
		return badInput("Recap is in single mode: there are no accounts or credits")
	}
	defer st.Close()
	return fn(l, st)
}

// creditsJSON is the credit part of recap user show --json.
type creditsJSON struct {
	Replenish     int             `json:"replenish"`
	Purchased     int             `json:"purchased"`
	Total         int             `json:"total"`
	NextRefillAt  string          `json:"next_refill_at,omitempty"`
	Tier          string          `json:"tier"`
	TierExpiresAt string          `json:"tier_expires_at,omitempty"`
	Consumed      int             `json:"lifetime_consumed"`
	Granted       int             `json:"lifetime_granted"`
	Recent        []credits.Entry `json:"recent"`
}

// showCredits adds the balance and recent ledger to recap user show.
func showCredits(c *cli.Context, userID string, j *userJSON) (func(w io.Writer), error) {
	l, st, ok, err := openLedger(c.Context, c.String("data"))
	if err != nil || !ok {
		return func(io.Writer) {}, err
	}
	defer st.Close()
	b, err := l.Balance(c.Context, userID)
	if err != nil {
		return nil, err
	}
	recent, err := l.History(c.Context, userID, 10, 0)
	if err != nil {
		return nil, err
	}
	j.Credits = &creditsJSON{Replenish: b.Replenish, Purchased: b.Purchased, Total: b.Total(), NextRefillAt: rfc3339(b.NextRefill),
		Tier: b.Tier, TierExpiresAt: rfc3339(b.TierExpiresAt), Consumed: b.LifetimeConsumed, Granted: b.LifetimeGranted, Recent: recent}
	j.Tier = b.Tier
	return func(w io.Writer) {
		fmt.Fprintf(w, "Credits:      %s\n", describeBalance(b))
		if len(recent) == 0 {
			return
		}
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  WHEN\tKIND\tBUCKET\tAMOUNT\tAFTER\tBY\tNOTE")
		for _, e := range recent {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%+d\t%d\t%s\t%s\n", rfc3339(e.At), e.Kind, e.Bucket, e.Amount, e.BalanceAfter, e.Actor, e.Note)
		}
		tw.Flush()
	}, nil
}

// actionGrantCredits gives credits: {"email", "credits", "note"}.
func actionGrantCredits(c *cli.Context) error {
	in := struct {
		Email   string  `json:"email"`
		Credits float64 `json:"credits"`
		Note    string  `json:"note"`
	}{}
	return withLedgerAction(c, &in, func(l *credits.Ledger, st *store.Store) error {
		if in.Credits != float64(int(in.Credits)) {
			return badInput("credits must be a whole number")
		}
		u, b, err := grant(c.Context, l, st, in.Email, int(in.Credits), in.Note, "admin:action")
		if err != nil {
			return err
		}
		return startos.Result("Gave %s %d credits that do not expire.", u.Email, int(in.Credits)).WithValue(describeBalance(b), false).Write(c.App.Writer)
	})
}

// actionSetTier sets a tier: {"email", "tier", "days"}.
func actionSetTier(c *cli.Context) error {
	in := struct {
		Email string   `json:"email"`
		Tier  string   `json:"tier"`
		Days  *float64 `json:"days"`
	}{}
	return withLedgerAction(c, &in, func(l *credits.Ledger, st *store.Store) error {
		days := 0
		if in.Days != nil {
			if *in.Days != float64(int(*in.Days)) {
				return badInput("days must be a whole number")
			}
			days = int(*in.Days)
		}
		u, b, err := setTier(c.Context, l, st, in.Email, in.Tier, days, "admin:action")
		if err != nil {
			return err
		}
		return startos.Result("%s is now on the %s tier.", u.Email, b.Tier).WithValue(describeBalance(b), false).Write(c.App.Writer)
	})
}

func withLedgerAction(c *cli.Context, in any, fn func(*credits.Ledger, *store.Store) error) error {
	if err := startos.DecodeInput(c.App.Reader, in); err != nil {
		return badInput("%v", err)
	}
	l, st, ok, err := openLedger(c.Context, c.String("data"))
	if err != nil {
		return err
	}
	if !ok {
		return startos.Result(singleModeNote).Write(c.App.Writer)
	}
	defer st.Close()
	return fn(l, st)
}
