package follow

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/jobs"
	"github.com/recap-startos/recap/pkg/transcript"
)

var day0 = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

func pass(t *testing.T, c *Checker, all bool) Report {
	t.Helper()
	rep, err := c.Pass(context.Background(), all)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func itemsByKey(t *testing.T, st Store, followID string) map[string]Item {
	t.Helper()
	items, err := st.Items(context.Background(), followID)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]Item{}
	for _, it := range items {
		m[it.Key] = it
	}
	return m
}

// A podcast followed with "the last 1": that episode is recapped at once,
// the back catalogue never; an episode published during the test is
// recapped at the next check; an unchanged feed costs a 304; an episode
// without a transcript waits until its feed names one.
func TestPodcastFollow(t *testing.T) {
	t.Parallel()
	clock := &testClock{now: day0}
	host := newPodcastHost(t,
		episodeFixture{GUID: "ep-1", Title: "One", Published: day0.Add(-72 * time.Hour), Transcript: true},
		episodeFixture{GUID: "ep-2", Title: "Two", Published: day0.Add(-48 * time.Hour), Transcript: true},
		episodeFixture{GUID: "ep-3", Title: "Three", Published: day0.Add(-24 * time.Hour), Transcript: true},
	)
	dir := t.TempDir()
	w := newSingleWorld(t, dir, transcript.Options{}, clock)
	c := w.checker(Limits{})
	ctx := context.Background()

	f, err := c.Add(ctx, "", host.feedURL(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if f.Kind != transcript.FollowPodcast || f.Title != "Stand-in Show" {
		t.Fatalf("follow = %+v", f)
	}
	if _, err := c.Add(ctx, "", host.feedURL(), 0); !errors.Is(err, ErrExists) {
		t.Fatalf("second follow of the same feed: %v", err)
	}
	if rep := pass(t, c, false); rep.Checked != 1 || rep.Found != 1 || rep.Submitted != 1 {
		t.Fatalf("first pass: %+v", rep)
	}
	w.settle(c)
	items := itemsByKey(t, w.store, f.ID)
	if items["ep-3"].State != ItemDone || items["ep-2"].State != ItemOld || items["ep-1"].State != ItemOld {
		t.Fatalf("items after the first check: %+v", items)
	}

	// Not due yet: nothing is read.
	if rep := pass(t, c, false); rep.Checked != 0 {
		t.Fatalf("a pass before the interval read %d feeds", rep.Checked)
	}
	// Due, unchanged: a conditional request answered 304.
	clock.advance(4 * time.Hour)
	if rep := pass(t, c, false); rep.Checked != 1 || rep.Unchanged != 1 || rep.Submitted != 0 {
		t.Fatalf("unchanged feed: %+v", rep)
	}
	if _, nm := host.counts(); nm != 1 {
		t.Fatalf("304 answers = %d, want 1", nm)
	}

	// Two episodes come out, one of them without a transcript yet.
	host.publish(episodeFixture{GUID: "ep-4", Title: "Four", Published: clock.Now().Add(-time.Hour), Transcript: true})
	host.publish(episodeFixture{GUID: "ep-5", Title: "Five", Published: clock.Now().Add(-time.Minute)})
	clock.advance(4 * time.Hour)
	if rep := pass(t, c, false); rep.Found != 2 || rep.Submitted != 1 {
		t.Fatalf("after publishing: %+v", rep)
	}
	w.settle(c)
	items = itemsByKey(t, w.store, f.ID)
	if items["ep-4"].State != ItemDone || items["ep-5"].State != ItemWaiting {
		t.Fatalf("items: ep-4 %s, ep-5 %s", items["ep-4"].State, items["ep-5"].State)
	}
	host.addTranscript("ep-5")
	clock.advance(4 * time.Hour)
	pass(t, c, false)
	w.settle(c)
	if it := itemsByKey(t, w.store, f.ID)["ep-5"]; it.State != ItemDone || it.RecapID == "" {
		t.Fatalf("ep-5 after its transcript came: %+v", it)
	}

	docs := recaps(t, dir)
	keys := recappedKeys(docs)
	if len(docs) != 3 || keys["ep-3"] != 1 || keys["ep-4"] != 1 || keys["ep-5"] != 1 {
		t.Fatalf("recaps: %v", keys)
	}
	for _, d := range docs {
		if d.Source.FollowID != f.ID || d.Source.Channel != "Stand-in Show" {
			t.Errorf("recap %s: follow %q, channel %q", d.ID, d.Source.FollowID, d.Source.Channel)
		}
	}
	got, err := w.store.Get(ctx, "", f.ID)
	if err != nil || got.Unread != 3 || got.LastError != "" || got.ETag == "" {
		t.Fatalf("follow after the checks: %+v, %v", got, err)
	}
	if err := w.store.MarkRead(ctx, "", ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := w.store.Get(ctx, "", f.ID); got.Unread != 0 {
		t.Fatalf("unread after MarkRead = %d", got.Unread)
	}
}

// A YouTube channel followed by its handle (and refused a second time by
// a video of the channel): a video uploaded later is recapped from the
// captured pages; one without captions is tried again and recapped once
// they appear; one that never gets captions is reported once.
func TestYouTubeChannelFollow(t *testing.T) {
	t.Parallel()
	clock := &testClock{now: day0}
	yt := newFakeYouTube(t, videoFixture{ID: "oldvideo001", Title: "Old", Published: day0.Add(-30 * 24 * time.Hour)})
	opt := transcript.Options{YouTubeBaseURL: yt.srv.URL}
	dir := t.TempDir()
	w := newSingleWorld(t, dir, opt, clock)
	c := w.checker(Limits{CaptionWait: 12 * time.Hour})
	ctx := context.Background()

	f, err := c.Add(ctx, "", "https://www.youtube.com/@dave2d", 0)
	if err != nil {
		t.Fatal(err)
	}
	if f.Kind != transcript.FollowChannel || f.Ref != capturedChannel {
		t.Fatalf("follow = %+v", f)
	}
	if _, err := c.Add(ctx, "", "https://youtu.be/"+capturedVideo, 0); !errors.Is(err, ErrExists) {
		t.Fatalf("following the channel again through its video: %v", err)
	}
	if rep := pass(t, c, false); rep.Found != 0 || rep.Submitted != 0 {
		t.Fatalf("first pass recapped the back catalogue: %+v", rep)
	}
	if got, _ := w.store.Get(ctx, "", f.ID); got.Title != "Dave2D" {
		t.Fatalf("title from the feed = %q", got.Title)
	}

	yt.upload(videoFixture{ID: capturedVideo, Title: "Surface Go Review", Published: clock.Now().Add(time.Hour)})
	yt.upload(videoFixture{ID: capturedVideo2, Title: "WW1", Published: clock.Now().Add(2 * time.Hour)})
	yt.upload(videoFixture{ID: "nocaptions1", Title: "Never captioned", Published: clock.Now().Add(3 * time.Hour)})
	yt.setCaptions(capturedVideo2, false)
	clock.advance(4 * time.Hour)
	if rep := pass(t, c, false); rep.Found != 3 || rep.Submitted != 3 {
		t.Fatalf("after the uploads: %+v", rep)
	}
	w.settle(c)
	items := itemsByKey(t, w.store, f.ID)
	if items[capturedVideo].State != ItemDone || items[capturedVideo2].State != ItemWaiting || items["nocaptions1"].State != ItemWaiting {
		t.Fatalf("items: %s %s %s", items[capturedVideo].State, items[capturedVideo2].State, items["nocaptions1"].State)
	}

	// Captions appear; the retry is due half an hour later.
	yt.setCaptions(capturedVideo2, true)
	clock.advance(31 * time.Minute)
	if rep := pass(t, c, false); rep.Checked != 0 || rep.Submitted != 2 {
		t.Fatalf("retry pass: %+v", rep)
	}
	w.settle(c)
	items = itemsByKey(t, w.store, f.ID)
	if items[capturedVideo2].State != ItemDone || items[capturedVideo2].Attempts != 2 {
		t.Fatalf("the late-captioned video: %+v", items[capturedVideo2])
	}

	// Past the caption wait: reported once, never tried again.
	clock.advance(13 * time.Hour)
	pass(t, c, false)
	w.settle(c)
	pass(t, c, false)
	items = itemsByKey(t, w.store, f.ID)
	if it := items["nocaptions1"]; it.State != ItemMissing || !strings.Contains(it.Error, "no captions") {
		t.Fatalf("the video without captions: %+v", it)
	}
	got, _ := w.store.Get(ctx, "", f.ID)
	if !strings.Contains(got.Notice, "Never captioned") {
		t.Fatalf("notice = %q", got.Notice)
	}

	keys := recappedKeys(recaps(t, dir))
	if len(keys) != 2 || keys[capturedVideo] != 1 || keys[capturedVideo2] != 1 {
		t.Fatalf("recaps: %v", keys)
	}
	if yt.notModified == 0 {
		t.Error("no poll of the channel feed was answered 304")
	}
}

func TestResolveYouTubeLinks(t *testing.T) {
	t.Parallel()
	yt := newFakeYouTube(t)
	opt := transcript.Options{YouTubeBaseURL: yt.srv.URL}
	ctx := context.Background()
	for _, tc := range []struct {
		name, link, kind, ref string
	}{
		{"handle", "https://www.youtube.com/@dave2d", transcript.FollowChannel, capturedChannel},
		{"channel id", "youtube.com/channel/" + capturedChannel, transcript.FollowChannel, capturedChannel},
		{"video", "https://www.youtube.com/watch?v=" + capturedVideo + "&t=10", transcript.FollowChannel, capturedChannel},
		{"short link", "https://youtu.be/" + capturedVideo, transcript.FollowChannel, capturedChannel},
		{"playlist", "https://www.youtube.com/playlist?list=PLrAXtmErZgOeiKm4sgNOknGvNjby9efdf", transcript.FollowPlaylist, "PLrAXtmErZgOeiKm4sgNOknGvNjby9efdf"},
		{"channel feed", "https://www.youtube.com/feeds/videos.xml?channel_id=" + capturedChannel, transcript.FollowChannel, capturedChannel},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := transcript.ResolveFollow(ctx, tc.link, opt)
			if err != nil || got.Kind != tc.kind || got.Ref != tc.ref {
				t.Fatalf("ResolveFollow(%s) = %+v, %v", tc.link, got, err)
			}
		})
	}
	for _, bad := range []string{"", "https://www.youtube.com/channel/nope", "https://www.youtube.com/@missing", "ftp://example.org/feed"} {
		if _, err := transcript.ResolveFollow(ctx, bad, opt); err == nil {
			t.Errorf("ResolveFollow(%q) succeeded", bad)
		}
	}
	if got := (transcript.Followable{Kind: transcript.FollowPlaylist, Ref: "PL1234567890"}).FeedURL(opt); got != yt.srv.URL+"/feeds/videos.xml?playlist_id=PL1234567890" {
		t.Errorf("playlist feed URL = %s", got)
	}
}

// A feed that fails is tried again later and later, then marked broken
// and left alone until it is resumed.
func TestFailingFeed(t *testing.T) {
	t.Parallel()
	clock := &testClock{now: day0}
	host := newPodcastHost(t, episodeFixture{GUID: "ep-1", Title: "One", Published: day0.Add(-time.Hour), Transcript: true})
	w := newSingleWorld(t, t.TempDir(), transcript.Options{}, clock)
	c := w.checker(Limits{MaxFailures: 3})
	ctx := context.Background()
	f, err := c.Add(ctx, "", host.feedURL(), 0)
	if err != nil {
		t.Fatal(err)
	}
	host.fail(http.StatusInternalServerError)
	var waits []time.Duration
	for i := 0; i < 3; i++ {
		if rep := pass(t, c, false); rep.Failed != 1 {
			t.Fatalf("pass %d: %+v", i, rep)
		}
		got, _ := w.store.Get(ctx, "", f.ID)
		if got.Failures != i+1 || !strings.Contains(got.LastError, "500") {
			t.Fatalf("after failure %d: %+v", i+1, got)
		}
		waits = append(waits, got.NextCheck.Sub(clock.Now()))
		clock.now = got.NextCheck
	}
	if !(waits[0] < waits[1] && waits[1] < waits[2]) {
		t.Errorf("waits after failures do not grow: %v", waits)
	}
	got, _ := w.store.Get(ctx, "", f.ID)
	if !got.Broken {
		t.Fatalf("not broken after 3 failures: %+v", got)
	}
	gets, _ := host.counts()
	clock.advance(48 * time.Hour)
	if rep := pass(t, c, false); rep.Checked != 0 {
		t.Fatalf("a broken follow was read: %+v", rep)
	}
	if g, _ := host.counts(); g != gets {
		t.Fatal("the broken feed was requested")
	}
	host.fail(0)
	if err := w.store.SetPaused(ctx, "", f.ID, false, clock.Now()); err != nil {
		t.Fatal(err)
	}
	if rep := pass(t, c, false); rep.Checked != 1 || rep.Failed != 0 {
		t.Fatalf("after resuming: %+v", rep)
	}
	if got, _ := w.store.Get(ctx, "", f.ID); got.Broken || got.Failures != 0 || got.LastError != "" {
		t.Fatalf("after a good check: %+v", got)
	}
}

// crashAfterSubmit is the job queue of a process that dies right after
// the queue took a job, before the item is marked queued.
type crashAfterSubmit struct {
	Jobs
	after int // submits to let through before dying
	n     int
}

type crash struct{}

func (c *crashAfterSubmit) Submit(in jobs.Input) (jobs.State, bool, error) {
	st, attached, err := c.Jobs.Submit(in)
	c.n++
	if c.n == c.after {
		panic(crash{})
	}
	return st, attached, err
}

func waitJob(t *testing.T, q *jobs.Queue, id string) jobs.State {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		st, err := q.Get(id)
		if err != nil || st.Finished() {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s did not finish", id)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A restart in the middle of a check loses no item and recaps none twice:
// the process dies after its second job was taken and before that item
// was marked; the next start submits it again and gets the same job.
func TestRestartMidCheck(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"single", "multi"} {
		t.Run(mode, func(t *testing.T) {
			clock := &testClock{now: day0}
			host := newPodcastHost(t)
			dir := t.TempDir()
			open := func() (*world, string) { return newSingleWorld(t, dir, transcript.Options{}, clock), "" }
			if mode == "multi" {
				open = func() (*world, string) { return newMultiWorld(t, dir, transcript.Options{}, clock, 0) }
			}
			w, owner := open()
			c := w.checker(Limits{})
			ctx := context.Background()
			f, err := c.Add(ctx, owner, host.feedURL(), 0)
			if err != nil {
				t.Fatal(err)
			}
			pass(t, c, false)
			for i := 1; i <= 3; i++ {
				host.publish(episodeFixture{GUID: "new-" + string(rune('0'+i)), Title: "New", Published: clock.Now().Add(time.Duration(i) * time.Minute), Transcript: true})
			}
			clock.advance(4 * time.Hour)
			c.Jobs = &crashAfterSubmit{Jobs: w.queue, after: 2}
			func() {
				defer func() {
					if r := recover(); r != (crash{}) {
						t.Fatalf("the pass did not crash: %v", r)
					}
				}()
				c.Pass(ctx, false)
			}()
			// The process is gone: its queue stops at once (jobs are kept
			// on disk to run again) and everything is opened again.
			stopped, cancel := context.WithCancel(ctx)
			cancel()
			w.queue.Shutdown(stopped)
			w.close()

			w, _ = open()
			// Let the resumed jobs end first, so that only the item's Ref
			// (not a running job of the same link) can join them.
			for _, st := range w.queue.Recent(100) {
				waitJob(t, w.queue, st.ID)
			}
			c = w.checker(Limits{})
			pass(t, c, false)
			w.settle(c)
			items := itemsByKey(t, w.store, f.ID)
			for _, k := range []string{"new-1", "new-2", "new-3"} {
				if items[k].State != ItemDone {
					t.Errorf("%s: %+v", k, items[k])
				}
			}
			keys := recappedKeys(recaps(t, dir))
			if len(keys) != 3 || keys["new-1"] != 1 || keys["new-2"] != 1 || keys["new-3"] != 1 {
				t.Fatalf("recaps after the restart: %v", keys)
			}
		})
	}
}
