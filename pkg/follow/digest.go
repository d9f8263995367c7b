package follow

// The digest mail (multi mode). Each user chooses off, daily or weekly on
// the Following page; one who has not chosen gets the config's default
// (advanced.follow-digest, off unless the owner changes it). A scan
// (every 15 minutes in recap serve, and once at start) looks at each
// enabled user with follows and a digest on, and decides the digest of
// the last period that has ended (periods are UTC days, and weeks from
// Monday 00:00 UTC):
//
//   - Its window runs from where the user's last digest ended (else the
//     period's start, and never more than maxBack before the period's
//     end) to the period's end: a restart, or a service that was down
//     over one or more period ends, loses no recap; the next digest
//     takes them.
//   - Deciding records the period, moves the window and queues the mail
//     in the outbox in one transaction (store.QueueDigest); a period is
//     decided once, so at most one digest goes out per period, and a
//     period with nothing new sends nothing.
//   - Delivery is the expiry reminders' (pkg/billing): a sender leases
//     the mail, sends it and then removes it from the outbox; a failed
//     send is released and tried at the next scan. A crash between the
//     send and the removal sends it once more after the lease ends, as
//     for reminders. A digest whose user is gone, disabled or turned the
//     digest off meanwhile, or that could not go out for a week, is
//     dropped.
//
// The list is read when the mail is sent (the outbox row keeps only the
// window): each recap filed in the window by a follow and still in the
// library, with its title, show, three key points linked to their time
// in the source, and a link to the recap. Each mail carries a new
// unsubscribe token (only its SHA-256 is kept) in its footer link and
// in the List-Unsubscribe header.

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/mail"
	"github.com/recap-startos/recap/pkg/recap"
	"github.com/recap-startos/recap/pkg/store"
)

// Digest timing.
const (
	// DigestScan is how often recap serve looks for digests to decide
	// and send.
	DigestScan = 15 * time.Minute
	// digestLease is how long a sender holds a mail: longer than one
	// delivery may take (mail.Send gives up after 30 s).
	digestLease = 5 * time.Minute
	// digestStale is how long a digest that could not be sent is tried.
	digestStale = 7 * 24 * time.Hour
	// digestPoints is how many key points of each recap a digest shows.
	digestPoints = 3
)

// Sender delivers one mail; *mail.SMTP is one.
type Sender interface {
	Send(ctx context.Context, m mail.Message) error
}

var _ Sender = (*mail.SMTP)(nil)

// Documents reads a user's recap; *store.UserLibrary is one.
type Documents interface {
	Get(ctx context.Context, userID, id string) (*recap.Document, error)
}

var _ Documents = (*store.UserLibrary)(nil)

// Digests decides and sends the digest mails.
type Digests struct {
	Store     *store.Store
	Library   Documents
	Mail      Sender           // nil: digests are decided and wait in the outbox
	PublicURL string           // the base of the links in the mail
	Default   string           // for users who chose none: config.DigestOff, DigestDaily or DigestWeekly
	Now       func() time.Time // nil: time.Now
	Log       *slog.Logger     // nil: discarded
}

// DigestReport says what one scan did.
type DigestReport struct {
	Queued  int // digests decided with recaps to send
	Empty   int // periods decided with nothing new (no mail)
	Sent    int // mails delivered (this scan's and earlier ones')
	Failed  int // mails the server refused or did not take; tried again next scan
	Dropped int // mails no longer wanted, removed unsent
	Waiting int // mails left in the outbox (failed, held by another sender, or no mail server)
}

func (d *Digests) now() time.Time {
	if d.Now != nil {
		return d.Now().UTC()
	}
	return time.Now().UTC()
}

func (d *Digests) log() *slog.Logger {
	if d.Log != nil {
		return d.Log
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func (d *Digests) def() string {
	if d.Default == "" {
		return config.DigestOff
	}
	return d.Default
}

// Run scans once: it decides the digests of the periods that ended, then
// delivers what the outbox holds.
func (d *Digests) Run(ctx context.Context) (DigestReport, error) {
	var rep DigestReport
	if err := d.decide(ctx, &rep); err != nil {
		return rep, err
	}
	err := d.deliver(ctx, &rep)
	return rep, err
}

// DigestPeriod is the last period of a frequency that has ended at now:
// its key (unique per user), start and end.
func DigestPeriod(frequency string, now time.Time) (key string, start, end time.Time) {
	now = now.UTC()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	if frequency == config.DigestWeekly {
		end = day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7)) // this week's Monday
		start = end.AddDate(0, 0, -7)
		y, w := start.ISOWeek()
		return fmt.Sprintf("weekly:%04d-W%02d", y, w), start, end
	}
	start = day.AddDate(0, 0, -1)
	return "daily:" + start.Format("2006-01-02"), start, day
}

// maxBack bounds how far before its period's end a digest's window may
// start (after a long pause of the service or of the digest).
func maxBack(frequency string) time.Duration {
	if frequency == config.DigestWeekly {
		return 28 * 24 * time.Hour
	}
	return 7 * 24 * time.Hour
}

// decide records the digests of the periods that ended.
func (d *Digests) decide(ctx context.Context, rep *DigestReport) error {
	users, err := d.Store.DigestUsers(ctx, d.def())
	if err != nil {
		return fmt.Errorf("follow: digests: %w", err)
	}
	now := d.now()
	for _, u := range users {
		key, start, end := DigestPeriod(u.Frequency, now)
		from := start
		if !u.LastUntil.IsZero() {
			from = u.LastUntil
		}
		if earliest := end.Add(-maxBack(u.Frequency)); from.Before(earliest) {
			from = earliest
		}
		if !from.Before(end) {
			continue // a digest of another frequency covered this period already
		}
		id, _, decided, err := d.Store.QueueDigest(ctx, store.DigestDecision{UserID: u.UserID, Email: u.Email, Period: key, From: from, Until: end})
		if err != nil {
			return fmt.Errorf("follow: digests: %w", err)
		}
		switch {
		case decided && id != 0:
			rep.Queued++
		case decided:
			rep.Empty++
		}
	}
	return nil
}

// staleDigest says why a queued digest should no longer be sent, or "".
func staleDigest(m store.DigestMail, now time.Time) string {
	switch {
	case m.NowEmail == "":
		return "the account is gone or disabled"
	case m.NowFrequency != config.DigestDaily && m.NowFrequency != config.DigestWeekly:
		return "the digest was turned off"
	case now.Sub(m.Until) > digestStale:
		return "it could not be sent for a week"
	}
	return ""
}

// deliver sends the digests in the outbox.
func (d *Digests) deliver(ctx context.Context, rep *DigestReport) error {
	pending, err := d.Store.PendingDigests(ctx, d.def())
	if err != nil {
		return fmt.Errorf("follow: digests: %w", err)
	}
	for _, m := range pending {
		if why := staleDigest(m, d.now()); why != "" {
			if err := d.drop(ctx, m, why, rep); err != nil {
				return err
			}
			continue
		}
		if d.Mail == nil {
			rep.Waiting++
			continue
		}
		if err := d.send(ctx, m, rep); err != nil {
			return err
		}
	}
	return nil
}

func (d *Digests) drop(ctx context.Context, m store.DigestMail, why string, rep *DigestReport) error {
	if err := d.Store.MailDone(ctx, m.ID); err != nil {
		return fmt.Errorf("follow: digests: %w", err)
	}
	d.log().Info("digest dropped", "user_id", m.UserID, "why", why)
	rep.Dropped++
	return nil
}

// send leases, renders and delivers one digest.
func (d *Digests) send(ctx context.Context, m store.DigestMail, rep *DigestReport) error {
	switch err := d.Store.LeaseMail(ctx, m.ID, digestLease); {
	case errors.Is(err, store.ErrLeased), errors.Is(err, store.ErrNotFound):
		rep.Waiting++
		return nil
	case err != nil:
		return fmt.Errorf("follow: digests: %w", err)
	}
	msg, err := d.message(ctx, m)
	if err != nil {
		d.Store.ReleaseMail(ctx, m.ID)
		return err
	}
	if msg == nil {
		return d.drop(ctx, m, "its recaps were deleted", rep)
	}
	if err := d.Mail.Send(ctx, *msg); err != nil {
		d.log().Warn("digest not delivered; tried again at the next scan", "user_id", m.UserID, "error", err)
		rep.Failed++
		rep.Waiting++
		if err := d.Store.ReleaseMail(ctx, m.ID); err != nil {
			return fmt.Errorf("follow: digests: %w", err)
		}
		return nil
	}
	if err := d.Store.MailDone(ctx, m.ID); err != nil {
		return fmt.Errorf("follow: digests: sent but still in the outbox: %w", err)
	}
	d.log().Info("digest sent", "user_id", m.UserID)
	rep.Sent++
	return nil
}

// message renders a digest, or returns nil when none of its recaps is
// left.
func (d *Digests) message(ctx context.Context, m store.DigestMail) (*mail.Message, error) {
	rows, err := d.Store.DigestRecaps(ctx, m.UserID, m.From, m.Until)
	if err != nil {
		return nil, fmt.Errorf("follow: digests: %w", err)
	}
	base := strings.TrimRight(d.PublicURL, "/")
	var list []mail.DigestRecap
	for _, r := range rows {
		doc, err := d.Library.Get(ctx, m.UserID, r.RecapID)
		if err != nil {
			d.log().Warn("digest: a recap could not be read; left out", "user_id", m.UserID, "recap_id", r.RecapID, "error", err)
			continue
		}
		list = append(list, digestRecap(doc, r, base))
	}
	if len(list) == 0 {
		return nil, nil
	}
	token, err := d.unsubscribeToken(ctx, m.UserID)
	if err != nil {
		return nil, err
	}
	weekly := m.NowFrequency == config.DigestWeekly
	period := m.Until.Add(-time.Hour).UTC().Format("Monday 2 January 2006")
	if weekly {
		period = m.Until.AddDate(0, 0, -7).UTC().Format("2 January 2006")
	}
	msg, err := mail.DigestMessage(mail.Digest{
		To: m.NowEmail, Site: siteOf(base), Period: period, Weekly: weekly, Recaps: list,
		Following: base + "/following", Unsubscribe: base + "/digest/unsubscribe?t=" + token,
	})
	if err != nil {
		return nil, fmt.Errorf("follow: digests: %w", err)
	}
	return &msg, nil
}

// unsubscribeToken makes the token of one mail's unsubscribe link and
// records its hash.
func (d *Digests) unsubscribeToken(ctx context.Context, userID string) (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("follow: digests: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(b[:])
	if err := d.Store.AddDigestToken(ctx, userID, store.HashToken(token)); err != nil {
		return "", fmt.Errorf("follow: digests: %w", err)
	}
	return token, nil
}

// digestRecap is one recap as the digest shows it.
func digestRecap(doc *recap.Document, r store.DigestRecap, base string) mail.DigestRecap {
	out := mail.DigestRecap{Title: doc.Title, Show: r.Show, Source: recap.SafeURL(doc.Source.URL),
		Link: base + "/recaps/" + url.PathEscape(doc.ID)}
	if out.Title == "" {
		out.Title = r.Title
	}
	if out.Show == "" {
		out.Show = doc.Source.Channel
	}
	for _, s := range KeyPoints(doc, digestPoints) {
		p := mail.DigestPoint{Text: s.Text}
		if s.Start != nil {
			p.Clock, p.Link = recap.FormatClock(*s.Start), doc.LinkAt(*s.Start)
		}
		out.Points = append(out.Points, p)
	}
	return out
}

// KeyPoints picks up to n key points spread over the recap: the first
// point of each topic in order, then the second of each, and so on; the
// result is in the recap's order.
func KeyPoints(doc *recap.Document, n int) []recap.Segment {
	type at struct{ topic, seg int }
	var all []at
	for t, tp := range doc.Topics {
		for s := range tp.Segments {
			all = append(all, at{t, s})
		}
	}
	// Round by round (a topic's first points first), then in order.
	sort.SliceStable(all, func(a, b int) bool { return all[a].seg < all[b].seg })
	all = all[:min(n, len(all))]
	sort.Slice(all, func(a, b int) bool {
		return all[a].topic < all[b].topic || (all[a].topic == all[b].topic && all[a].seg < all[b].seg)
	})
	out := make([]recap.Segment, 0, len(all))
	for _, p := range all {
		out = append(out, doc.Topics[p.topic].Segments[p.seg])
	}
	return out
}

// siteOf is the host people know Recap by, from its public URL.
func siteOf(base string) string {
	if u, err := url.Parse(base); err == nil && u.Host != "" {
		return u.Host
	}
	return base
}
