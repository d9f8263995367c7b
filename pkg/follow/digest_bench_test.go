package follow

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/mail"
	"github.com/recap-startos/recap/pkg/mail/mailtest"
	"github.com/recap-startos/recap/pkg/recap"
	"github.com/recap-startos/recap/pkg/store"
	"github.com/recap-startos/recap/pkg/transcript"
)

// digestBenchRecap makes one real recap (the podcast stand-in's episode,
// builtin engine) to copy into the benchmark's libraries.
func digestBenchRecap(b *testing.B) *recap.Document {
	b.Helper()
	clock := &testClock{now: day0}
	host := newPodcastHost(b)
	dir := b.TempDir()
	w, owner := newMultiWorld(b, dir, transcript.Options{}, clock, 0)
	defer w.close()
	c := w.checker(Limits{})
	f, err := c.Add(context.Background(), owner, host.feedURL(), 0)
	if err != nil {
		b.Fatal(err)
	}
	c.Pass(context.Background(), true)
	host.publish(episodeFixture{GUID: "x", Title: "Episode x", Published: day0, Transcript: true})
	c.Pass(context.Background(), true)
	w.settle(c)
	items, _ := w.store.Items(context.Background(), f.ID)
	for _, it := range items {
		if it.State == ItemDone {
			doc, err := w.db.Library(filepath.Join(dir, "history")).Get(context.Background(), owner, it.RecapID)
			if err != nil {
				b.Fatal(err)
			}
			return doc
		}
	}
	b.Fatal("no recap was made")
	return nil
}

// digestBench makes a database in dir with users accounts on the daily
// digest, each following one show that made 3 recaps on day0.
func digestBench(b *testing.B, dir string, users int, doc *recap.Document) *store.Store {
	b.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dir, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	fs, lib := &SQLStore{DB: st}, st.Library(filepath.Join(dir, "history"))
	for u := 0; u < users; u++ {
		user, err := st.CreateUser(ctx, store.NewUser{Email: fmt.Sprintf("user%d@example.org", u)})
		if err != nil {
			b.Fatal(err)
		}
		if err := st.SetDigestFrequency(ctx, user.ID, config.DigestDaily); err != nil {
			b.Fatal(err)
		}
		f := Follow{ID: fmt.Sprintf("follow%04d", u), Owner: user.ID, Kind: transcript.FollowPodcast,
			Ref: fmt.Sprintf("https://feeds.example.org/%d.xml", u), Link: "x", Title: "Show", CreatedAt: day0, NextCheck: day0}
		if err := fs.Add(ctx, f, 0); err != nil {
			b.Fatal(err)
		}
		var items []Item
		for i := 0; i < 3; i++ {
			d := *doc
			d.ID = fmt.Sprintf("20260302-12%04d-%08d", i, u)
			if err := lib.Save(ctx, user.ID, &d); err != nil {
				b.Fatal(err)
			}
			items = append(items, Item{FollowID: f.ID, Owner: user.ID, Key: fmt.Sprint(i), Title: "x", URL: "x", State: ItemDone,
				RecapID: d.ID, FirstSeen: day0, UpdatedAt: day0.Add(time.Duration(i) * time.Minute)})
		}
		if _, err := fs.AddItems(ctx, items); err != nil {
			b.Fatal(err)
		}
	}
	return st
}

// BenchmarkDigest1000 is the digest scan the morning after 1,000
// accounts each got 3 recaps from their follows: "decide" queues the
// 1,000 digests (one transaction each), "send" renders each (3 recaps
// read from their files, 3 key points each) and delivers it to a
// loopback SMTP server, one connection per mail.
func BenchmarkDigest1000(b *testing.B) {
	const users = 1000
	doc := digestBenchRecap(b)
	smtp := mailtest.Start(b, mailtest.Options{})
	sender, err := mail.NewSMTP(smtp.Config())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	morning := func() time.Time { return day0.Add(13 * time.Hour) }
	for _, phase := range []string{"decide", "send"} {
		b.Run(phase, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				dir := b.TempDir()
				st := digestBench(b, dir, users, doc)
				d := &Digests{Store: st, Library: st.Library(filepath.Join(dir, "history")), PublicURL: "https://recap.example.org",
					Now: morning, Log: quiet}
				if phase == "send" {
					if rep, err := d.Run(ctx); err != nil || rep.Queued != users {
						b.Fatalf("decide: %+v, %v", rep, err)
					}
					d.Mail = sender
				}
				before := len(smtp.Messages())
				b.StartTimer()
				rep, err := d.Run(ctx)
				b.StopTimer()
				want := DigestReport{Queued: users, Waiting: users}
				if phase == "send" {
					want = DigestReport{Sent: users}
				}
				if err != nil || rep != want || (phase == "send" && len(smtp.Messages())-before != users) {
					b.Fatalf("%s: %+v, %v", phase, rep, err)
				}
				st.Close()
				b.StartTimer()
			}
			b.ReportMetric(users, "digests/op")
		})
	}
}
