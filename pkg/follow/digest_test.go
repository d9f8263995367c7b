package follow

import (
	"context"
	"database/sql"
	"html"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/mail"
	"github.com/recap-startos/recap/pkg/mail/mailtest"
	"github.com/recap-startos/recap/pkg/recap"
	"github.com/recap-startos/recap/pkg/store"
	"github.com/recap-startos/recap/pkg/transcript"
)

// crashAfterSend delivers the mail, then dies as a process would before
// it marks the mail sent.
type crashAfterSend struct{ Sender }

func (c crashAfterSend) Send(ctx context.Context, m mail.Message) error {
	if err := c.Sender.Send(ctx, m); err != nil {
		return err
	}
	panic(crash{})
}

// runDigests runs one scan, and reports whether it died in crashAfterSend.
func runDigests(t *testing.T, d *Digests) (rep DigestReport, crashed bool) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(crash); !ok {
				panic(r)
			}
			crashed = true
		}
	}()
	rep, err := d.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rep, false
}

// digestWorld is a multi-mode world whose database runs on the test's
// clock, a follower with a daily digest, and the digests of it.
type digestWorld struct {
	*world
	owner string
	dir   string
	clock *testClock
	smtp  *mailtest.Server
	host  *podcastHost
}

func newDigestWorld(t *testing.T, dir string, clock *testClock, smtp *mailtest.Server, host *podcastHost) *digestWorld {
	w, owner := newMultiWorldStore(t, dir, transcript.Options{}, clock, 0, store.Options{Now: clock.Now})
	return &digestWorld{world: w, owner: owner, dir: dir, clock: clock, smtp: smtp, host: host}
}

// digests is the digest scanner of a (re)started process.
func (w *digestWorld) digests(send bool) *Digests {
	d := &Digests{Store: w.db, Library: w.db.Library(filepath.Join(w.dir, "history")), PublicURL: "https://recap.example.org/",
		Default: config.DigestOff, Now: w.clock.Now, Log: quiet}
	if send {
		sender, err := mail.NewSMTP(w.smtp.Config())
		if err != nil {
			w.t.Fatal(err)
		}
		d.Mail = sender
	}
	return d
}

// restart stops the world as a dying process would and opens it again.
func (w *digestWorld) restart(t *testing.T) *digestWorld {
	w.queue.Shutdown(context.Background())
	w.close()
	return newDigestWorld(t, w.dir, w.clock, w.smtp, w.host)
}

// episode publishes an episode and checks the feed until it is recapped.
func (w *digestWorld) episode(t *testing.T, guid string) {
	t.Helper()
	w.host.publish(episodeFixture{GUID: guid, Title: "Episode " + guid, Published: w.clock.Now(), Transcript: true})
	c := w.checker(Limits{})
	if rep := pass(t, c, true); rep.Submitted != 1 {
		t.Fatalf("episode %s: %+v", guid, rep)
	}
	w.settle(c)
}

// at sets the clock to a time of day0's week.
func (w *digestWorld) at(t time.Time) {
	w.clock.mu.Lock()
	w.clock.now = t
	w.clock.mu.Unlock()
}

// The daily digest: nothing for a day without recaps; the day's recaps
// the next morning, with both parts, three key points linked to their
// time and the unsubscribe headers; never a second mail for a day,
// across restarts; a digest decided before a crash is sent after it; a
// crash between the delivery and its record sends it once more, after
// the lease, as reminders do.
func TestDigestOncePerPeriod(t *testing.T) {
	t.Parallel()
	clock := &testClock{now: day0} // Monday 2 March 2026, 12:00 UTC
	smtp := mailtest.Start(t, mailtest.Options{})
	dir := t.TempDir()
	w := newDigestWorld(t, dir, clock, smtp, newPodcastHost(t))
	ctx := context.Background()
	if err := w.db.SetDigestFrequency(ctx, w.owner, config.DigestDaily); err != nil {
		t.Fatal(err)
	}
	f, err := w.checker(Limits{}).Add(ctx, w.owner, w.host.feedURL(), 0)
	if err != nil {
		t.Fatal(err)
	}
	pass(t, w.checker(Limits{}), true)
	w.episode(t, "a")
	clock.advance(time.Hour)
	w.episode(t, "b")

	// Sunday had nothing: that period is decided, nothing is sent.
	if rep, _ := runDigests(t, w.digests(true)); rep.Empty != 1 || rep.Queued != 0 || len(smtp.Messages()) != 0 {
		t.Fatalf("scan on Monday: %+v, %d mails", rep, len(smtp.Messages()))
	}
	// Tuesday 00:30: Monday's digest.
	w.at(day0.Add(12*time.Hour + 30*time.Minute))
	if rep, _ := runDigests(t, w.digests(true)); rep.Queued != 1 || rep.Sent != 1 {
		t.Fatalf("scan on Tuesday: %+v", rep)
	}
	m := smtp.Wait(t, 1)
	if len(m.Rcpts) != 1 || m.Rcpts[0] != followerEmail {
		t.Fatalf("digest to %v", m.Rcpts)
	}
	if !strings.Contains(m.Header.Get("Subject"), "2 new recaps") || !strings.Contains(m.Header.Get("Subject"), "Monday 2 March 2026") {
		t.Fatalf("subject %q", m.Header.Get("Subject"))
	}
	items := itemsByKey(t, w.store, f.ID)
	lib := w.db.Library(filepath.Join(dir, "history"))
	for _, key := range []string{"a", "b"} {
		doc, err := lib.Get(ctx, w.owner, items[key].RecapID)
		if err != nil {
			t.Fatal(err)
		}
		checkDigestRecap(t, m, doc)
	}
	unsub := m.Header.Get("List-Unsubscribe")
	if !strings.HasPrefix(unsub, "<https://recap.example.org/digest/unsubscribe?t=") || m.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Fatalf("unsubscribe headers %q, %q", unsub, m.Header.Get("List-Unsubscribe-Post"))
	}
	if link := strings.Trim(unsub, "<>"); !strings.Contains(m.Text, link) || !strings.Contains(m.HTML, html.EscapeString(link)) {
		t.Fatalf("the unsubscribe link %s is not in both parts", link)
	}

	// Again, and after a restart: Monday is done.
	if rep, _ := runDigests(t, w.digests(true)); rep != (DigestReport{}) {
		t.Fatalf("second scan on Tuesday: %+v", rep)
	}
	w = w.restart(t)
	if rep, _ := runDigests(t, w.digests(true)); rep != (DigestReport{}) || len(smtp.Messages()) != 1 {
		t.Fatalf("scan after a restart: %+v, %d mails", rep, len(smtp.Messages()))
	}

	// Tuesday's digest is decided, then the process dies before sending
	// it (no mail server this time): the restarted one sends it, once,
	// with Tuesday's recap alone.
	w.episode(t, "c")
	w.at(day0.Add(36*time.Hour + 30*time.Minute))
	if rep, _ := runDigests(t, w.digests(false)); rep.Queued != 1 || rep.Waiting != 1 {
		t.Fatalf("deciding without a mail server: %+v", rep)
	}
	w = w.restart(t)
	if rep, _ := runDigests(t, w.digests(true)); rep.Queued != 0 || rep.Sent != 1 {
		t.Fatalf("after the restart: %+v", rep)
	}
	m = smtp.Wait(t, 2)
	if !strings.Contains(m.Header.Get("Subject"), "1 new recap ") || strings.Count(m.Text, "Read the recap:") != 1 {
		t.Fatalf("Tuesday's digest: %q\n%s", m.Header.Get("Subject"), m.Text)
	}

	// Wednesday's is delivered, then the process dies before recording
	// it. Another scan leaves it alone while the lease lasts; after the
	// lease it goes once more, and that is the end of it.
	w.episode(t, "d")
	w.at(day0.Add(60*time.Hour + 30*time.Minute))
	d := w.digests(true)
	d.Mail = crashAfterSend{d.Mail}
	if _, crashed := runDigests(t, d); !crashed || len(smtp.Messages()) != 3 {
		t.Fatalf("crash after the delivery: crashed %v, %d mails", crashed, len(smtp.Messages()))
	}
	w = w.restart(t)
	if rep, _ := runDigests(t, w.digests(true)); rep.Sent != 0 || rep.Waiting != 1 {
		t.Fatalf("scan during the lease: %+v", rep)
	}
	clock.advance(digestLease + time.Minute)
	if rep, _ := runDigests(t, w.digests(true)); rep.Sent != 1 {
		t.Fatalf("scan after the lease: %+v", rep)
	}
	clock.advance(time.Hour)
	if rep, _ := runDigests(t, w.digests(true)); rep != (DigestReport{}) || len(smtp.Messages()) != 4 {
		t.Fatalf("last scan: %+v, %d mails", rep, len(smtp.Messages()))
	}

	// Turned off: Thursday's recap is not mailed.
	if err := w.db.SetDigestFrequency(ctx, w.owner, config.DigestOff); err != nil {
		t.Fatal(err)
	}
	w.episode(t, "e")
	w.at(day0.Add(84*time.Hour + 30*time.Minute))
	if rep, _ := runDigests(t, w.digests(true)); rep != (DigestReport{}) || len(smtp.Messages()) != 4 {
		t.Fatalf("scan with the digest off: %+v, %d mails", rep, len(smtp.Messages()))
	}

	// On again ten weeks later: the window reaches a week back at most,
	// so Thursday's recap is not mailed that late, and the periods
	// decided long ago are forgotten.
	if err := w.db.SetDigestFrequency(ctx, w.owner, config.DigestDaily); err != nil {
		t.Fatal(err)
	}
	clock.advance(70 * 24 * time.Hour)
	if rep, _ := runDigests(t, w.digests(true)); rep.Empty != 1 || rep.Queued != 0 || len(smtp.Messages()) != 4 {
		t.Fatalf("scan ten weeks later: %+v, %d mails", rep, len(smtp.Messages()))
	}
	var periods int
	if err := w.db.View(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT count(*) FROM follow_digest_periods`).Scan(&periods)
	}); err != nil || periods != 1 {
		t.Fatalf("periods remembered: %d, %v", periods, err)
	}
}

// checkDigestRecap checks that a recap is in both parts of a digest:
// its title, its link, and three key points with their timestamp links.
func checkDigestRecap(t *testing.T, m mailtest.Message, doc *recap.Document) {
	t.Helper()
	link := "https://recap.example.org/recaps/" + doc.ID
	for _, want := range []string{doc.Title, link, "Stand-in Show"} {
		if !strings.Contains(m.Text, want) || !strings.Contains(m.HTML, html.EscapeString(want)) {
			t.Errorf("digest lacks %q", want)
		}
	}
	points := KeyPoints(doc, 3)
	if len(points) != 3 {
		t.Fatalf("recap %s has %d key points", doc.ID, len(points))
	}
	for _, p := range points {
		at := doc.LinkAt(*p.Start)
		if at == "" || !strings.Contains(at, "#t=") {
			t.Fatalf("point at %v has no link: %q", *p.Start, at)
		}
		for _, want := range []string{at, recap.FormatClock(*p.Start)} {
			if !strings.Contains(m.Text, want) || !strings.Contains(m.HTML, html.EscapeString(want)) {
				t.Errorf("digest lacks the point %q", want)
			}
		}
	}
}

func TestDigestPeriod(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, freq string
		now        time.Time
		key        string
		start, end time.Time
	}{
		{"daily", config.DigestDaily, day0, "daily:2026-03-01", day0.Add(-36 * time.Hour), day0.Add(-12 * time.Hour)},
		{"daily at midnight", config.DigestDaily, day0.Add(12 * time.Hour), "daily:2026-03-02", day0.Add(-12 * time.Hour), day0.Add(12 * time.Hour)},
		{"weekly on a Monday", config.DigestWeekly, day0, "weekly:2026-W09", day0.Add(-12*time.Hour - 7*24*time.Hour), day0.Add(-12 * time.Hour)},
		{"weekly on a Sunday", config.DigestWeekly, day0.Add(6 * 24 * time.Hour), "weekly:2026-W09", day0.Add(-12*time.Hour - 7*24*time.Hour), day0.Add(-12 * time.Hour)},
		{"weekly across a year", config.DigestWeekly, time.Date(2027, 1, 2, 9, 0, 0, 0, time.UTC), "weekly:2026-W52",
			time.Date(2026, 12, 21, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 28, 0, 0, 0, 0, time.UTC)},
	} {
		t.Run(c.name, func(t *testing.T) {
			key, start, end := DigestPeriod(c.freq, c.now)
			if key != c.key || !start.Equal(c.start) || !end.Equal(c.end) {
				t.Fatalf("got %s [%v, %v), want %s [%v, %v)", key, start, end, c.key, c.start, c.end)
			}
		})
	}
}

func TestKeyPoints(t *testing.T) {
	t.Parallel()
	seg := func(s float64, text string) recap.Segment { return recap.Segment{Start: &s, Text: text} }
	doc := &recap.Document{Topics: []recap.Topic{
		{Segments: []recap.Segment{seg(1, "a1"), seg(2, "a2"), seg(3, "a3")}},
		{Segments: []recap.Segment{seg(10, "b1")}},
		{Segments: nil},
		{Segments: []recap.Segment{seg(20, "c1"), seg(21, "c2")}},
	}}
	for _, c := range []struct {
		n    int
		want string
	}{{0, ""}, {1, "a1"}, {2, "a1 b1"}, {3, "a1 b1 c1"}, {4, "a1 a2 b1 c1"}, {5, "a1 a2 b1 c1 c2"}, {9, "a1 a2 a3 b1 c1 c2"}} {
		var got []string
		for _, s := range KeyPoints(doc, c.n) {
			got = append(got, s.Text)
		}
		if strings.Join(got, " ") != c.want {
			t.Errorf("KeyPoints(%d) = %v, want %s", c.n, got, c.want)
		}
	}
}
