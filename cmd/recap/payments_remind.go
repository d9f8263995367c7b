package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/recap-startos/recap/pkg/billing"
	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/mail"
	"github.com/recap-startos/recap/pkg/store"
)

// remindInterval is how often serve scans for expiry reminders.
const remindInterval = 24 * time.Hour

func paymentsRemindCommand() *cli.Command {
	return &cli.Command{
		Name:  "remind",
		Usage: "mail the expiry reminders that are due now (serve does it daily)",
		Description: `Mails each user whose paid Pro or Max period ends within 7 days, within a
day, or ended within the last 7 days, once per period and kind
(upcoming_7d, upcoming_1d, lapsed), and sends again the reminders an
earlier scan could not deliver. Running it while serve runs is safe: no
reminder goes out twice.`,
		Flags:  []cli.Flag{dataFlag(), &cli.BoolFlag{Name: "json", Usage: "print the counts as JSON"}},
		Action: runPaymentsRemind,
	}
}

func runPaymentsRemind(c *cli.Context) error {
	data := c.String("data")
	cfg, err := config.Load(data)
	if err != nil {
		return err
	}
	if cfg.Mode.Type != config.ModeMulti {
		return badInput("reminders are for multi mode; this data folder is in %s mode", cfg.Mode.Type)
	}
	r, st, err := newReminders(cfg, c)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := r.Run(c.Context)
	if err != nil {
		return err
	}
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]int{"queued": rep.Queued, "sent": rep.Sent, "failed": rep.Failed,
			"dropped": rep.Dropped, "waiting": rep.Waiting})
	}
	fmt.Fprintf(c.App.Writer, "reminders: %d newly due, %d sent, %d failed (tried again next time), %d dropped as no longer true, %d waiting\n",
		rep.Queued, rep.Sent, rep.Failed, rep.Dropped, rep.Waiting)
	return nil
}

// newReminders opens the database and the mail server of a multi-mode
// data folder for a reminder scan.
func newReminders(cfg *config.Config, c *cli.Context) (*billing.Reminders, *store.Store, error) {
	sender, err := mail.NewSMTP(cfg.SMTP)
	if err != nil {
		return nil, nil, badInput("reminders are mailed, but the mail settings cannot be used: %v", err)
	}
	base, err := publicURL(cfg)
	if err != nil {
		return nil, nil, usageError{err}
	}
	st, err := openStore(c)
	if err != nil {
		return nil, nil, err
	}
	r := &billing.Reminders{Store: st, Mail: sender, PublicURL: base}
	if cfg.Relay.Enabled() {
		rel, err := newInstanceRelay(cfg.Relay, st, slog.New(slog.DiscardHandler))
		if err != nil {
			st.Close()
			return nil, nil, err
		}
		r.Periods = &billing.RelayPeriods{Relay: rel.shop, Store: st}
	}
	return r, st, nil
}

// remindEvery scans for expiry reminders now and then every interval,
// calling after when a scan is done (the Properties page counts the paid
// accounts then), until the returned function is called; that function
// waits for a running scan.
func remindEvery(r *billing.Reminders, interval time.Duration, after func(), log *slog.Logger) (stop func()) {
	return every(interval, func(ctx context.Context) {
		rep, err := r.Run(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("expiry reminders", "error", err)
		case rep != (billing.RemindReport{}):
			log.Info("expiry reminders", "queued", rep.Queued, "sent", rep.Sent, "failed", rep.Failed, "dropped", rep.Dropped, "waiting", rep.Waiting)
		}
		if ctx.Err() == nil {
			after()
		}
	})
}
