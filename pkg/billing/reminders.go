package billing

// Expiry reminders. A scan (daily in recap serve, or recap payments
// remind by hand) looks at every paid period (a user's pro or max tier
// and its expiry) that ends within a week or ended within the last week
// and picks the one reminder that fits:
//
//	upcoming_7d  the period ends in more than a day and at most 7 days
//	upcoming_1d  the period ends within a day
//	lapsed       the period ended at most lapsedWindow ago
//
// Each (user, period, kind) is decided once: the decision is a row of
// subscription_reminders written with the mail in the outbox in one
// transaction (store.QueueReminder). The period is named by its expiry,
// so renewing, which moves the expiry, arms a fresh set of three.
//
// The scan then delivers every reminder in the outbox, including the
// ones an earlier scan failed to send. A sender leases a mail before
// sending it and removes it once the server has accepted it, so two
// scans at once never both send it; a mail that failed is released and
// tried again at the next scan. A mail whose period moved meanwhile
// (renewed, or changed by the admin), or whose moment has passed (an
// upcoming reminder after the end, a lapse older than lapsedWindow) is
// dropped instead of sent late.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/recap-startos/recap/pkg/mail"
	"github.com/recap-startos/recap/pkg/store"
)

// Reminder windows.
const (
	remindWeek   = 7 * 24 * time.Hour // upcoming_7d: the period ends within this
	remindDay    = 24 * time.Hour     // upcoming_1d: the period ends within this
	lapsedWindow = 7 * 24 * time.Hour // lapsed: mailed only this long after the end
	// reminderLease is how long a sender holds a mail: longer than one
	// delivery may take (mail.Send gives up after 30 s).
	reminderLease = 5 * time.Minute
)

// ReminderSender delivers one mail; *mail.SMTP is one.
type ReminderSender interface {
	Send(ctx context.Context, m mail.Message) error
}

var _ ReminderSender = (*mail.SMTP)(nil)

// Reminders decides and sends the expiry reminders.
type Reminders struct {
	Store *store.Store
	// Periods says whose paid period is ending; nil reads the Store's
	// users. With a relay it is RelayPeriods (the relay is the tier
	// authority).
	Periods   PeriodSource
	Mail      ReminderSender   // nil: reminders are queued and wait in the outbox
	PublicURL string           // the base of the links in the mail
	Now       func() time.Time // nil: time.Now
	Log       *slog.Logger     // nil: discarded
}

// RemindReport says what one scan did.
type RemindReport struct {
	Queued  int // reminders decided on by this scan
	Sent    int // mails delivered (this scan's and earlier ones')
	Failed  int // mails the server refused or did not take; tried again next scan
	Dropped int // mails no longer true, removed unsent
	Waiting int // mails left in the outbox (failed, held by another sender, or no mail server)
}

// reminderKind picks the reminder for a period ending at exp, or "".
func reminderKind(exp, now time.Time) string {
	left := exp.Sub(now)
	switch {
	case left <= 0 && -left <= lapsedWindow:
		return store.ReminderLapsed
	case left > 0 && left <= remindDay:
		return store.ReminderUpcoming1d
	case left > remindDay && left <= remindWeek:
		return store.ReminderUpcoming7d
	}
	return ""
}

// Run scans once: it queues the reminders that are due, then delivers
// what the outbox holds.
func (r *Reminders) Run(ctx context.Context) (RemindReport, error) {
	var rep RemindReport
	qerr := r.queue(ctx, &rep)
	if qerr != nil && ctx.Err() != nil {
		return rep, qerr
	}
	// What earlier scans queued goes out even when this one could not
	// ask who is expiring (the relay unreachable): the next scan asks again.
	err := r.deliver(ctx, &rep)
	return rep, errors.Join(qerr, err)
}

func (r *Reminders) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Reminders) log() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// queue records the reminders due now.
func (r *Reminders) queue(ctx context.Context, rep *RemindReport) error {
	now := r.now()
	var src PeriodSource = r.Store
	if r.Periods != nil {
		src = r.Periods
	}
	periods, err := src.PaidPeriodsEnding(ctx, now.Add(-lapsedWindow), now.Add(remindWeek))
	if err != nil {
		return fmt.Errorf("billing: reminders: %w", err)
	}
	for _, p := range periods {
		kind := reminderKind(p.ExpiresAt, now)
		if kind == "" {
			continue
		}
		_, queued, err := r.Store.QueueReminder(ctx, store.ReminderMail{
			UserID: p.UserID, Email: p.Email, Kind: kind, Period: store.PeriodKey(p.ExpiresAt)})
		if err != nil {
			return fmt.Errorf("billing: reminders: %w", err)
		}
		if queued {
			rep.Queued++
		}
	}
	return nil
}

// stale says why a queued reminder should no longer be sent, or "".
func stale(m store.ReminderMail, now time.Time) string {
	switch {
	case m.Now.Tier != store.TierPro && m.Now.Tier != store.TierMax:
		return "the account is gone, disabled or not on a paid plan"
	case store.PeriodKey(m.Now.ExpiresAt) != m.Period:
		return "the period was renewed or changed"
	case m.Kind != store.ReminderLapsed && !now.Before(m.Now.ExpiresAt):
		return "the period ended before the mail went out"
	case m.Kind == store.ReminderLapsed && now.Sub(m.Now.ExpiresAt) > lapsedWindow:
		return "the period ended too long ago"
	}
	return ""
}

// deliver sends the reminders in the outbox.
func (r *Reminders) deliver(ctx context.Context, rep *RemindReport) error {
	pending, err := r.Store.PendingReminders(ctx)
	if err != nil {
		return fmt.Errorf("billing: reminders: %w", err)
	}
	for _, m := range pending {
		if why := stale(m, r.now()); why != "" {
			if err := r.Store.MailDone(ctx, m.ID); err != nil {
				return fmt.Errorf("billing: reminders: %w", err)
			}
			r.log().Info("reminder dropped", "kind", m.Kind, "user_id", m.UserID, "why", why)
			rep.Dropped++
			continue
		}
		if r.Mail == nil {
			rep.Waiting++
			continue
		}
		switch out, err := r.send(ctx, m); {
		case err != nil:
			return err
		case out == delivered:
			rep.Sent++
		case out == failed:
			rep.Failed++
			rep.Waiting++
		default:
			rep.Waiting++
		}
	}
	return nil
}

// Outcomes of one send.
const (
	delivered = iota
	held      // another sender holds the mail, or it has left the outbox
	failed    // the delivery failed; the mail waits for the next scan
)

// send leases and delivers one reminder.
func (r *Reminders) send(ctx context.Context, m store.ReminderMail) (int, error) {
	switch err := r.Store.LeaseMail(ctx, m.ID, reminderLease); {
	case errors.Is(err, store.ErrLeased), errors.Is(err, store.ErrNotFound):
		return held, nil
	case err != nil:
		return held, fmt.Errorf("billing: reminders: %w", err)
	}
	msg, err := r.message(m)
	if err != nil {
		return held, err
	}
	if err := r.Mail.Send(ctx, msg); err != nil {
		r.log().Warn("reminder not delivered; tried again at the next scan", "kind", m.Kind, "user_id", m.UserID, "error", err)
		if err := r.Store.ReleaseMail(ctx, m.ID); err != nil {
			return failed, fmt.Errorf("billing: reminders: %w", err)
		}
		return failed, nil
	}
	if err := r.Store.MailDone(ctx, m.ID); err != nil {
		return delivered, fmt.Errorf("billing: reminders: sent but still in the outbox: %w", err)
	}
	r.log().Info("reminder sent", "kind", m.Kind, "user_id", m.UserID)
	return delivered, nil
}

// message renders a reminder's mail.
func (r *Reminders) message(m store.ReminderMail) (mail.Message, error) {
	base := strings.TrimRight(r.PublicURL, "/")
	to := m.Now.Email
	if to == "" {
		to = m.Email
	}
	site := base
	if i := strings.Index(site, "://"); i >= 0 {
		site = site[i+3:]
	}
	msg, err := mail.ReminderMessage(mail.Reminder{
		To: to, Site: site, Plan: PlanName(m.Now.Tier), Ends: m.Now.ExpiresAt,
		Lapsed: m.Kind == store.ReminderLapsed, Renew: base + "/pricing", Account: base + "/account",
	})
	if err != nil {
		return mail.Message{}, fmt.Errorf("billing: reminders: %w", err)
	}
	return msg, nil
}

// PlanName is a tier as people read it: "Core", "Pro" or "Max".
func PlanName(tier string) string {
	switch tier {
	case store.TierPro:
		return "Pro"
	case store.TierMax:
		return "Max"
	}
	return "Core"
}
