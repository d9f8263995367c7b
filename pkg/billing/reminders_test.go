package billing

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/credits"
	"github.com/recap-startos/recap/pkg/mail"
	"github.com/recap-startos/recap/pkg/mail/mailtest"
	"github.com/recap-startos/recap/pkg/store"
)

// remindClock is a settable time source shared by the store, the ledger
// and the reminders.
type remindClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *remindClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *remindClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

const remindTestDay = 24 * time.Hour

type remindFixture struct {
	clk    *remindClock
	st     *store.Store
	ledger *credits.Ledger
	smtp   *mailtest.Server
	sender *mail.SMTP
	start  time.Time
}

func newRemindFixture(t *testing.T) *remindFixture {
	t.Helper()
	start := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	clk := &remindClock{t: start}
	st, err := store.Open(context.Background(), t.TempDir(), store.Options{Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := mailtest.Start(t, mailtest.Options{})
	sender, err := mail.NewSMTP(srv.Config())
	if err != nil {
		t.Fatal(err)
	}
	return &remindFixture{clk: clk, st: st, ledger: credits.New(st, credits.Policy{}, credits.Options{Now: clk.now}),
		smtp: srv, sender: sender, start: start}
}

func (f *remindFixture) reminders(s ReminderSender) *Reminders {
	return &Reminders{Store: f.st, Mail: s, PublicURL: "https://recap.example.org/", Now: f.clk.now}
}

// user makes an account with a paid tier until the given time.
func (f *remindFixture) user(t *testing.T, email, tier string, until time.Time) string {
	t.Helper()
	u, err := f.st.CreateUser(context.Background(), store.NewUser{Email: email})
	if err != nil {
		t.Fatal(err)
	}
	f.paid(t, u.ID, tier, until)
	return u.ID
}

func (f *remindFixture) paid(t *testing.T, userID, tier string, until time.Time) {
	t.Helper()
	if _, err := f.ledger.SetTier(context.Background(), userID, tier, until, "test"); err != nil {
		t.Fatal(err)
	}
}

// run scans at the given time and checks the report's counts.
func (f *remindFixture) run(t *testing.T, r *Reminders, at time.Time, want RemindReport) {
	t.Helper()
	f.clk.set(at)
	got, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("scan at %s: got %+v, want %+v", at.Format(time.RFC3339), got, want)
	}
}

func (f *remindFixture) reminderRows(t *testing.T, userID string) []string {
	t.Helper()
	var out []string
	err := f.st.View(context.Background(), func(tx *sql.Tx) error {
		rows, err := tx.Query(`SELECT period_expires_at || ' ' || kind FROM subscription_reminders WHERE user_id = ? ORDER BY sent_at, kind`, userID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				return err
			}
			out = append(out, s)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestReminderKind(t *testing.T) {
	t.Parallel()
	exp := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		left time.Duration
		want string
	}{
		{"eight days left", 8 * remindTestDay, ""},
		{"exactly seven days left", 7 * remindTestDay, store.ReminderUpcoming7d},
		{"two days left", 2 * remindTestDay, store.ReminderUpcoming7d},
		{"a day and a minute left", remindTestDay + time.Minute, store.ReminderUpcoming7d},
		{"exactly a day left", remindTestDay, store.ReminderUpcoming1d},
		{"a minute left", time.Minute, store.ReminderUpcoming1d},
		{"just ended", 0, store.ReminderLapsed},
		{"ended seven days ago", -7 * remindTestDay, store.ReminderLapsed},
		{"ended eight days ago", -8 * remindTestDay, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := reminderKind(exp, exp.Add(-c.left)); got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}

// TestRemindersAcrossAPeriod follows one Pro period from purchase to
// lapse: three mails, each once, each with a text and an HTML part and
// the link to renew.
func TestRemindersAcrossAPeriod(t *testing.T) {
	t.Parallel()
	f := newRemindFixture(t)
	end := f.start.Add(30 * remindTestDay)
	id := f.user(t, "ada@example.org", store.TierPro, end)
	r := f.reminders(f.sender)

	f.run(t, r, f.start, RemindReport{})
	f.run(t, r, end.Add(-8*remindTestDay), RemindReport{})
	f.run(t, r, end.Add(-6*remindTestDay), RemindReport{Queued: 1, Sent: 1})
	f.run(t, r, end.Add(-5*remindTestDay), RemindReport{})
	f.run(t, r, end.Add(-2*time.Hour), RemindReport{Queued: 1, Sent: 1})
	f.run(t, r, end.Add(-time.Hour), RemindReport{})
	f.run(t, r, end.Add(3*time.Hour), RemindReport{Queued: 1, Sent: 1})
	f.run(t, r, end.Add(2*remindTestDay), RemindReport{})
	f.run(t, r, end.Add(30*remindTestDay), RemindReport{})

	msgs := f.smtp.Messages()
	if len(msgs) != 3 {
		t.Fatalf("%d mails, want 3", len(msgs))
	}
	for i, want := range []string{"ends on 1 January", "ends on 1 January", "has ended"} {
		m := msgs[i]
		if subj := m.Header.Get("Subject"); !strings.Contains(subj, "Pro") || !strings.Contains(subj, want) {
			t.Errorf("mail %d: subject %q, want Pro and %q", i+1, subj, want)
		}
		if m.Rcpts[0] != "ada@example.org" {
			t.Errorf("mail %d went to %v", i+1, m.Rcpts)
		}
		if !strings.Contains(m.Text, "https://recap.example.org/pricing") || !strings.Contains(m.HTML, `href="https://recap.example.org/pricing"`) {
			t.Errorf("mail %d has no renewal link:\n%s\n%s", i+1, m.Text, m.HTML)
		}
		if !strings.Contains(m.Text, "Friday 1 January 2027 at 09:00 UTC") {
			t.Errorf("mail %d does not say when the period ends:\n%s", i+1, m.Text)
		}
	}
	if !strings.Contains(msgs[2].Text, "Core plan now") || strings.Contains(msgs[0].Text, "Core plan now") {
		t.Errorf("only the lapse mail says the account is on Core now")
	}
	period := store.PeriodKey(end)
	want := []string{period + " upcoming_7d", period + " upcoming_1d", period + " lapsed"}
	if got := f.reminderRows(t, id); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("subscription_reminders: %v, want %v", got, want)
	}
}

// TestRenewalRearmsReminders: a renewal moves the expiry, so the new
// period gets its own reminders and the old ones are not sent again.
func TestRenewalRearmsReminders(t *testing.T) {
	t.Parallel()
	f := newRemindFixture(t)
	end := f.start.Add(30 * remindTestDay)
	id := f.user(t, "bo@example.org", store.TierMax, end)
	r := f.reminders(f.sender)

	f.run(t, r, end.Add(-3*remindTestDay), RemindReport{Queued: 1, Sent: 1})
	newEnd := end.Add(30 * remindTestDay)
	f.paid(t, id, store.TierMax, newEnd)
	f.run(t, r, end.Add(-2*remindTestDay), RemindReport{})
	f.run(t, r, end.Add(time.Hour), RemindReport{}) // the old end passes: not a lapse
	f.run(t, r, newEnd.Add(-3*remindTestDay), RemindReport{Queued: 1, Sent: 1})
	f.run(t, r, newEnd.Add(-2*remindTestDay), RemindReport{})

	if n := len(f.smtp.Messages()); n != 2 {
		t.Fatalf("%d mails, want 2", n)
	}
	want := []string{store.PeriodKey(end) + " upcoming_7d", store.PeriodKey(newEnd) + " upcoming_7d"}
	if got := f.reminderRows(t, id); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("subscription_reminders: %v, want %v", got, want)
	}
}

// deadSMTP is a mail sender whose server refuses connections: a real
// delivery failure.
func deadSMTP(t *testing.T) *mail.SMTP {
	t.Helper()
	port := mailtest.FreePort(t)
	s, err := mail.NewSMTP(mailtestConfig(port))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mailtestConfig(port int) config.SMTP {
	return config.SMTP{Type: config.SMTPCustom, Host: "127.0.0.1", Port: port, Security: "none", From: "recap@example.org"}
}

// TestFailedReminderIsRetriedOnce: a delivery that fails stays in the
// outbox, goes out at the next scan, and only once.
func TestFailedReminderIsRetriedOnce(t *testing.T) {
	t.Parallel()
	f := newRemindFixture(t)
	end := f.start.Add(30 * remindTestDay)
	f.user(t, "cy@example.org", store.TierPro, end)

	f.run(t, f.reminders(deadSMTP(t)), end.Add(-6*remindTestDay), RemindReport{Queued: 1, Failed: 1, Waiting: 1})
	f.run(t, f.reminders(deadSMTP(t)), end.Add(-5*remindTestDay), RemindReport{Failed: 1, Waiting: 1})
	r := f.reminders(f.sender)
	f.run(t, r, end.Add(-4*remindTestDay), RemindReport{Sent: 1})
	f.run(t, r, end.Add(-3*remindTestDay), RemindReport{})
	if n := len(f.smtp.Messages()); n != 1 {
		t.Fatalf("%d mails, want 1", n)
	}
	if m, err := f.st.PendingMail(context.Background()); err != nil || len(m) != 0 {
		t.Fatalf("sign-in outbox: %v %v, want empty", m, err)
	}
}

// TestConcurrentScansSendOnce: serve's scan and a hand-run one at the
// same moment deliver each reminder once.
func TestConcurrentScansSendOnce(t *testing.T) {
	t.Parallel()
	f := newRemindFixture(t)
	end := f.start.Add(30 * remindTestDay)
	for _, e := range []string{"a@example.org", "b@example.org", "c@example.org", "d@example.org"} {
		f.user(t, e, store.TierPro, end)
	}
	f.clk.set(end.Add(-6 * remindTestDay))
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := f.reminders(f.sender).Run(context.Background()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	f.run(t, f.reminders(f.sender), end.Add(-6*remindTestDay), RemindReport{})
	if n := len(f.smtp.Messages()); n != 4 {
		t.Fatalf("%d mails, want 4 (one each)", n)
	}
}

// TestStaleRemindersAreDropped: a reminder still queued when its period
// was renewed, or when its moment passed, is removed unsent.
func TestStaleRemindersAreDropped(t *testing.T) {
	t.Parallel()
	f := newRemindFixture(t)
	end := f.start.Add(30 * remindTestDay)
	renewed := f.user(t, "renewed@example.org", store.TierPro, end)
	f.user(t, "late@example.org", store.TierPro, end.Add(3*remindTestDay))
	queueOnly := f.reminders(nil)
	f.run(t, queueOnly, end.Add(-2*remindTestDay), RemindReport{Queued: 2, Waiting: 2})

	f.paid(t, renewed, store.TierPro, end.Add(30*remindTestDay))
	// The other's period ends before any mail server comes back: its
	// upcoming reminder is dropped and the lapse is queued and sent.
	f.run(t, f.reminders(f.sender), end.Add(3*remindTestDay+time.Hour), RemindReport{Queued: 1, Sent: 1, Dropped: 2})
	msgs := f.smtp.Messages()
	if len(msgs) != 1 || msgs[0].Rcpts[0] != "late@example.org" || !strings.Contains(msgs[0].Header.Get("Subject"), "has ended") {
		t.Fatalf("mails: %+v, want one lapse mail to late@", msgs)
	}
}

// TestRemindersSkip: old lapses, core, disabled accounts and tiers that
// do not end get no mail.
func TestRemindersSkip(t *testing.T) {
	t.Parallel()
	f := newRemindFixture(t)
	ctx := context.Background()
	f.user(t, "old@example.org", store.TierPro, f.start.Add(time.Hour))
	gone := f.user(t, "off@example.org", store.TierPro, f.start.Add(20*remindTestDay))
	if err := f.st.SetUserDisabled(ctx, gone, true); err != nil {
		t.Fatal(err)
	}
	forever, err := f.st.CreateUser(ctx, store.NewUser{Email: "forever@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	f.paid(t, forever.ID, store.TierMax, time.Time{})
	if _, err := f.st.CreateUser(ctx, store.NewUser{Email: "core@example.org"}); err != nil {
		t.Fatal(err)
	}
	f.run(t, f.reminders(f.sender), f.start.Add(8*remindTestDay+2*time.Hour), RemindReport{})
	f.run(t, f.reminders(f.sender), f.start.Add(15*remindTestDay), RemindReport{})
	if n := len(f.smtp.Messages()); n != 0 {
		t.Fatalf("%d mails, want none", n)
	}
}
