package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/jobs"
	"github.com/recap-startos/recap/pkg/recap"
)

// localFeed is testdata/feeds/example.xml with its transcripts served
// by a loopback server of the test's.
func localFeed(t testing.TB) []byte {
	t.Helper()
	vtt, err := os.ReadFile("../../testdata/podcast/transcripts-example.vtt")
	if err != nil {
		t.Fatal(err)
	}
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/vtt")
		w.Write(vtt)
	}))
	t.Cleanup(host.Close)
	feed, err := os.ReadFile("../../testdata/feeds/example.xml")
	if err != nil {
		t.Fatal(err)
	}
	return regexp.MustCompile(`(<podcast:transcript[^>]*?url=")https?://[^"]+"`).ReplaceAll(feed, []byte(`${1}`+host.URL+`/t.vtt"`))
}

// chooserOf checks that res redirects to an episode chooser and returns
// its token.
func chooserOf(t testing.TB, res *http.Response) string {
	t.Helper()
	loc := res.Header.Get("Location")
	token, ok := strings.CutPrefix(loc, "/uploads/")
	if res.StatusCode != http.StatusSeeOther || !ok || !validToken(token) {
		body, _ := io.ReadAll(res.Body)
		t.Fatalf("no episode chooser: %d %q %s", res.StatusCode, loc, body)
	}
	return token
}

func pageBody(t testing.TB, w *httptest.ResponseRecorder) string {
	t.Helper()
	return html.UnescapeString(w.Body.String())
}

// TestEpisodeChooser uploads a podcast feed file from the home page's
// form: the answer is a chooser that lists its episodes newest first with
// the default checked; choosing another starts a job for that episode,
// and the kept upload goes. The same episode chosen from a second upload
// is offered from the library, and "Recap it again" needs no new upload.
func TestEpisodeChooser(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.login(t)
	feed := localFeed(t)
	const present = "https://example.com/ep0002"

	token := chooserOf(t, e.postForm(t, tok, nil, "example.xml", feed))
	if jobs := e.jobs.Recent(10); len(jobs) != 0 {
		t.Fatalf("the upload started %d jobs before a choice", len(jobs))
	}
	w := e.do(t, request{method: "GET", path: "/uploads/" + token, cookie: tok})
	body := pageBody(t, w)
	if w.Code != http.StatusOK || !strings.Contains(body, `id="episode-form"`) {
		t.Fatalf("chooser: %d %s", w.Code, body)
	}
	future, pres, past := strings.Index(body, "Episode 3 - The Future"), strings.Index(body, "Episode 2 - The Present"), strings.Index(body, "Episode 1 - The Past")
	if future < 0 || pres < future || past < pres {
		t.Fatalf("episodes not listed newest first (%d, %d, %d)", future, pres, past)
	}
	if !regexp.MustCompile(`value="https://example.com/ep0003"\s+checked`).MatchString(body) {
		t.Error("the newest episode with a transcript is not checked")
	}
	if !strings.Contains(body, "Podcasting 2.0 Namespace Example") || !strings.Contains(body, `action="/uploads/`+token+`"`) {
		t.Error("the chooser lacks the show or the form's address")
	}

	doc := e.chosenRecap(t, e.choose(t, tok, token, "episode", present))
	if doc.Source.Title != "Episode 2 - The Present" || doc.Source.EpisodeID != present {
		t.Fatalf("recapped %q (%s)", doc.Source.Title, doc.Source.EpisodeID)
	}
	if w := e.do(t, request{method: "GET", path: "/uploads/" + token, cookie: tok}); w.Code != http.StatusNotFound {
		t.Fatalf("the upload still waits after its job started: %d", w.Code)
	}

	// The same episode from a second upload: the chooser marks it, the
	// choice offers the recap, and recapping it again files a second one.
	second := chooserOf(t, e.postForm(t, tok, nil, "example.xml", feed))
	body = pageBody(t, e.do(t, request{method: "GET", path: "/uploads/" + second, cookie: tok}))
	if !strings.Contains(body, `In your library: <a href="/recaps/`+doc.ID+`"`) {
		t.Error("the chooser does not mark the episode already in the library")
	}
	before := e.lib.Len()
	w = e.choose(t, tok, second, "episode", present)
	body = pageBody(t, w)
	if w.Code != http.StatusOK || !strings.Contains(body, `id="duplicate"`) || !strings.Contains(body, `href="/recaps/`+doc.ID+`"`) {
		t.Fatalf("no duplicate page: %d %s", w.Code, body)
	}
	if !strings.Contains(body, `action="/uploads/`+second+`"`) || strings.Contains(body, `type="file"`) {
		t.Error("recapping the episode again should post to the kept upload, without choosing the file again")
	}
	if again := e.chosenRecap(t, e.choose(t, tok, second, "episode", present, "again", "1")); again.ID == doc.ID || e.lib.Len() != before+1 {
		t.Fatalf("recap again: %s, library %d (was %d)", again.ID, e.lib.Len(), before)
	}
}

// TestEpisodeChoiceRefused: a choice that names no episode, or one
// without a transcript, shows the chooser again with the reason, and the
// upload keeps waiting; so does a choice posted from another site.
func TestEpisodeChoiceRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.login(t)
	feed := []byte(`<?xml version="1.0"?><rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel><title>Garden Talk</title>
<item><title>Soil</title><guid>g-soil</guid><pubDate>Tue, 02 Jun 2026 10:00:00 +0000</pubDate></item>
<item><title>Seeds</title><guid>g-seeds</guid><pubDate>Mon, 01 Jun 2026 10:00:00 +0000</pubDate><podcast:transcript url="https://example.org/seeds.vtt" type="text/vtt"/></item>
</channel></rss>`)
	token := chooserOf(t, e.postForm(t, tok, nil, "garden.xml", feed))
	body := pageBody(t, e.do(t, request{method: "GET", path: "/uploads/" + token, cookie: tok}))
	if !regexp.MustCompile(`value="g-soil"\s+disabled`).MatchString(body) || !strings.Contains(body, "no transcript in the feed") {
		t.Error("the episode without a transcript is not marked and disabled")
	}
	if !regexp.MustCompile(`value="g-seeds"\s+checked`).MatchString(body) {
		t.Error("the episode with a transcript is not checked")
	}
	cases := []struct {
		name   string
		fields []string
		header map[string]string
		status int
		want   string
	}{
		{"nothing chosen", nil, nil, http.StatusBadRequest, "Choose an episode"},
		{"no such episode", []string{"other", "Compost"}, nil, http.StatusBadRequest, "no episode matches"},
		{"no transcript", []string{"episode", "g-soil"}, nil, http.StatusBadRequest, "“Soil” has no transcript in its feed"},
		{"number out of range", []string{"other", "7"}, nil, http.StatusBadRequest, "there is no episode 7"},
		{"from another site", []string{"episode", "g-seeds"}, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden, "came from another site"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := e.do(t, request{method: "POST", path: "/uploads/" + token, cookie: tok, ctype: formType,
				body: strings.NewReader(form(c.fields...)), header: c.header})
			if body := pageBody(t, w); w.Code != c.status || !strings.Contains(body, c.want) {
				t.Fatalf("%d, want %d with %q:\n%s", w.Code, c.status, c.want, body)
			}
		})
	}
	if w := e.do(t, request{method: "GET", path: "/uploads/" + token, cookie: tok}); w.Code != http.StatusOK {
		t.Fatalf("the upload stopped waiting after refused choices: %d", w.Code)
	}
	if jobs := e.jobs.Recent(10); len(jobs) != 0 {
		t.Fatalf("refused choices started %d jobs", len(jobs))
	}
}

// TestEpisodeUploadsKept: the kept uploads are the uploader's alone
// (0700 folder, 0600 file), expire, and a caller keeps only a few.
func TestEpisodeUploadsKept(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.login(t)
	feed := localFeed(t)
	var tokens []string
	for range pendingPerOwner + 1 {
		tokens = append(tokens, chooserOf(t, e.postForm(t, tok, nil, "example.xml", feed)))
		time.Sleep(10 * time.Millisecond) // distinct file times, so "oldest" is well defined
	}
	get := func(token string) int {
		return e.do(t, request{method: "GET", path: "/uploads/" + token, cookie: tok}).Code
	}
	if code := get(tokens[0]); code != http.StatusNotFound {
		t.Errorf("the oldest of %d uploads still waits: %d", len(tokens), code)
	}
	for _, tk := range tokens[1:] {
		if code := get(tk); code != http.StatusOK {
			t.Errorf("upload %s: %d", tk, code)
		}
	}
	p := e.srv.pending.path("", tokens[1])
	for name, want := range map[string]os.FileMode{filepath.Dir(p): 0o700, p: 0o600} {
		if info, err := os.Stat(name); err != nil || info.Mode().Perm() != want {
			t.Errorf("%s: %v %v, want %v", name, info.Mode().Perm(), err, want)
		}
	}
	old := time.Now().Add(-pendingLife - time.Minute)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
	if code := get(tokens[1]); code != http.StatusGone {
		t.Errorf("an expired upload: %d", code)
	}
	w := e.do(t, request{method: "POST", path: "/uploads/" + tokens[1], cookie: tok, ctype: formType,
		body: strings.NewReader(form("episode", "https://example.com/ep0002"))})
	if w.Code != http.StatusGone {
		t.Errorf("choosing for an expired upload: %d", w.Code)
	}
	chooserOf(t, e.postForm(t, tok, nil, "example.xml", feed)) // sweeps the expired one
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Errorf("the expired upload was not swept: %v", err)
	}
	for _, bad := range []string{"nothex", strings.Repeat("0", 32), "../../etc/passwd"} {
		if code := get(url.PathEscape(bad)); code != http.StatusNotFound {
			t.Errorf("token %q: %d", bad, code)
		}
	}
}

// TestEpisodeFeedAPI: the JSON API reads the episode its "episode" field
// names, and refuses one the feed does not have before any job.
func TestEpisodeFeedAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.login(t)
	feed := localFeed(t)
	upload := func(episode string) *httptest.ResponseRecorder {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("episode", episode)
		fw, _ := mw.CreateFormFile("file", "example.xml")
		fw.Write(feed)
		mw.Close()
		return e.do(t, request{method: "POST", path: "/api/recaps", cookie: tok, ctype: mw.FormDataContentType(), body: &buf})
	}
	if w := upload("The Past"); w.Code != http.StatusAccepted {
		t.Fatalf("%d %s", w.Code, w.Body)
	} else {
		var res submitResponse
		if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil {
			t.Fatal(err)
		}
		st := e.waitJob(t, res.JobID)
		doc, err := e.lib.Get(st.RecapID)
		if err != nil || doc.Source.Title != "Episode 1 - The Past" {
			t.Fatalf("%v %+v", err, st)
		}
	}
	if w := upload("The Distant Future"); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "no episode matches") {
		t.Fatalf("an unknown episode: %d %s", w.Code, w.Body)
	}
}

// postForm submits the home page's form as a multipart upload, as
// testEnv.postForm does.
func (e *multiEnv) postForm(t testing.TB, cookie string, fields map[string]string, fileName string, file []byte) *http.Response {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	if fileName != "" {
		fw, _ := mw.CreateFormFile("file", fileName)
		fw.Write(file)
	}
	mw.Close()
	return e.do(t, mreq{method: "POST", path: "/jobs", body: buf.String(), ctype: mw.FormDataContentType(), cookie: cookie}).Result()
}

// TestEpisodeUploadsPerUser (multi mode): an upload waiting for its
// episode opens for its uploader only; to anyone else its token is
// unknown, whether they look or choose.
func TestEpisodeUploadsPerUser(t *testing.T) {
	t.Parallel()
	e := newMultiEnv(t, true)
	alice := e.signIn(t, "alice@example.org", 1)
	bob := e.signIn(t, "bob@example.org", 2)
	token := chooserOf(t, e.postForm(t, alice, nil, "example.xml", localFeed(t)))
	for _, r := range []mreq{
		{method: "GET", path: "/uploads/" + token, cookie: bob},
		{method: "POST", path: "/uploads/" + token, cookie: bob, ctype: formType, body: form("episode", "https://example.com/ep0002")},
		{method: "POST", path: "/uploads/" + token, cookie: bob, ctype: formType, body: form("other", "2", "again", "1")},
	} {
		if w := e.do(t, r); w.Code != http.StatusNotFound || strings.Contains(w.Body.String(), "Episode 2") {
			t.Errorf("bob %s %s: %d", r.method, r.path, w.Code)
		}
	}
	if jobs := e.jobs.Recent(10); len(jobs) != 0 {
		t.Fatalf("bob started %d jobs with alice's upload", len(jobs))
	}
	w := e.do(t, mreq{method: "GET", path: "/uploads/" + token, cookie: alice})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Episode 2 - The Present") {
		t.Fatalf("alice's own upload: %d", w.Code)
	}
	if w := e.do(t, mreq{method: "GET", path: "/uploads/" + token}); w.Code != http.StatusSeeOther {
		t.Fatalf("without a session: %d", w.Code)
	}
}

// upload posts the home page's form with a file, as this browser.
func (v *guest) upload(t testing.TB, name string, data []byte) *httptest.ResponseRecorder {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	return v.do(t, "POST", "/jobs", mw.FormDataContentType(), buf.String())
}

// TestTrialEpisodeChooser (multi mode, anonymous trials): a visitor's
// feed file starts their trial and waits for them alone; the episode's
// recap goes to the trial, and the same episode again is offered from
// it.
func TestTrialEpisodeChooser(t *testing.T) {
	t.Parallel()
	clk := &testClock{t: time.Now().UTC()}
	e := newTrialEnv(t, trialPolicy(3, 3), clk)
	ann, ben := e.guest("198.51.100.7"), e.guest("203.0.113.9")
	feed := localFeed(t)

	token := chooserOf(t, ann.upload(t, "example.xml", feed).Result())
	if ann.cookies[TrialCookieName] == nil {
		t.Fatal("the upload did not start a trial")
	}
	if w := ann.do(t, "GET", "/uploads/"+token, "", ""); w.Code != http.StatusOK {
		t.Fatalf("ann's chooser: %d", w.Code)
	}
	if w := ben.do(t, "GET", "/uploads/"+token, "", ""); w.Code == http.StatusOK {
		t.Fatal("a visitor without a trial opened ann's upload")
	}
	chooserOf(t, ben.upload(t, "example.xml", feed).Result()) // ben's own trial
	for _, w := range []*httptest.ResponseRecorder{
		ben.do(t, "GET", "/uploads/"+token, "", ""),
		ben.do(t, "POST", "/uploads/"+token, formType, form("episode", "https://example.com/ep0001")),
	} {
		if w.Code != http.StatusNotFound {
			t.Fatalf("ben with ann's token: %d", w.Code)
		}
	}

	st := choiceJob(t, ann.do(t, "POST", "/uploads/"+token, formType, form("episode", "https://example.com/ep0001")), e.waitJob)
	token = chooserOf(t, ann.upload(t, "example.xml", feed).Result())
	w := ann.do(t, "POST", "/uploads/"+token, formType, form("other", "The Past"))
	if body := pageBody(t, w); w.Code != http.StatusOK || !strings.Contains(body, `id="duplicate"`) || !strings.Contains(body, st.RecapID) {
		t.Fatalf("ann is not offered her trial's recap: %d\n%s", w.Code, body)
	}
}

// TestPendingTotalCap: at most pendingTotal uploads wait in all, however
// many callers there are; an expired one makes room again.
func TestPendingTotalCap(t *testing.T) {
	t.Parallel()
	p := &pendingFeeds{dir: t.TempDir(), now: time.Now}
	var first string
	for i := range pendingTotal {
		token, err := p.put(fmt.Sprintf("user-%d", i), pendingFeed{Name: "f.xml", Data: []byte("<rss/>")})
		if err != nil {
			t.Fatalf("upload %d: %v", i, err)
		}
		if i == 0 {
			first = token
		}
	}
	if _, err := p.put("one-more", pendingFeed{Name: "f.xml", Data: []byte("<rss/>")}); err != errPendingFull {
		t.Fatalf("upload over the cap: %v", err)
	}
	old := time.Now().Add(-pendingLife - time.Second)
	if err := os.Chtimes(p.path("user-0", first), old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := p.put("one-more", pendingFeed{Name: "f.xml", Data: []byte("<rss/>")}); err != nil {
		t.Fatalf("after one expired: %v", err)
	}
	if _, err := p.get("user-0", first); err != errUploadGone {
		t.Fatalf("the expired upload: %v", err)
	}
}

// TestEpisodeChooserForLink pastes a feed's link on the home page: the
// answer is the same chooser, and the chosen episode's job reads the feed
// by its link. The same episode chosen again is offered from the library.
// A link to a transcript, or one that fails, starts a job at once as
// before, and so does a feed of one episode.
func TestEpisodeChooserForLink(t *testing.T) {
	t.Parallel()
	feed := localFeed(t)
	items := regexp.MustCompile(`(?s)<item>.*?</item>`).FindAllIndex(feed, -1)
	if len(items) < 2 {
		t.Fatal("the example feed should have several episodes")
	}
	single := append(append([]byte(nil), feed[:items[1][0]]...), feed[items[len(items)-1][1]:]...) // the first episode only
	vtt, err := os.ReadFile(sampleVTT)
	if err != nil {
		t.Fatal(err)
	}
	var feedGets atomic.Int32
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/show.xml":
			feedGets.Add(1)
			w.Header().Set("Content-Type", "application/rss+xml")
			w.Write(feed)
		case "/one.xml":
			w.Header().Set("Content-Type", "application/rss+xml")
			w.Write(single)
		case "/talk.vtt":
			w.Header().Set("Content-Type", "text/vtt")
			w.Write(vtt)
		default:
			http.NotFound(w, r)
		}
	}))
	defer host.Close()
	e := newEnv(t)
	tok := e.login(t)
	paste := func(link string) *http.Response {
		return e.do(t, request{method: "POST", path: "/jobs", cookie: tok, ctype: formType, body: strings.NewReader(form("source", link))}).Result()
	}
	const present = "https://example.com/ep0002"

	token := chooserOf(t, paste(host.URL+"/show.xml"))
	if jobs := e.jobs.Recent(10); len(jobs) != 0 {
		t.Fatalf("the link started %d jobs before a choice", len(jobs))
	}
	body := pageBody(t, e.do(t, request{method: "GET", path: "/uploads/" + token, cookie: tok}))
	if !strings.Contains(body, "The link") || !strings.Contains(body, strings.TrimPrefix(host.URL, "http://")+"/show.xml") ||
		!strings.Contains(body, "Episode 2 - The Present") || !strings.Contains(body, "This choice waits here") {
		t.Fatalf("chooser for a link:\n%s", body)
	}
	doc := e.chosenRecap(t, e.choose(t, tok, token, "episode", present))
	if doc.Source.Title != "Episode 2 - The Present" || doc.Source.EpisodeID != present || doc.Source.Type != recap.SourcePodcast {
		t.Fatalf("recapped %+v", doc.Source)
	}
	if n := feedGets.Load(); n != 2 {
		t.Errorf("the feed was downloaded %d times, want 2 (the look and the job)", n)
	}

	// The same episode again: the chooser marks it and the choice offers it.
	second := chooserOf(t, paste(host.URL+"/show.xml"))
	if body := pageBody(t, e.do(t, request{method: "GET", path: "/uploads/" + second, cookie: tok})); !strings.Contains(body, `In your library: <a href="/recaps/`+doc.ID+`"`) {
		t.Error("the chooser does not mark the episode already in the library")
	}
	w := e.choose(t, tok, second, "episode", present)
	if body := pageBody(t, w); w.Code != http.StatusOK || !strings.Contains(body, `id="duplicate"`) || !strings.Contains(body, `href="/recaps/`+doc.ID+`"`) {
		t.Fatalf("no duplicate page: %d %s", w.Code, body)
	}

	for _, link := range []string{host.URL + "/talk.vtt", host.URL + "/gone.xml", host.URL + "/one.xml"} {
		res := paste(link)
		if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/jobs/") {
			t.Errorf("%s: %d %q, want a job at once", link, res.StatusCode, loc)
		}
	}
}

// TestMultiFeedLinkLooks: in multi mode a pasted feed link's chooser is
// its paster's alone, and each client gets a few looks a minute; past
// them a link goes straight to its job.
func TestMultiFeedLinkLooks(t *testing.T) {
	t.Parallel()
	feed := localFeed(t)
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write(feed)
	}))
	defer host.Close()
	e := newMultiEnv(t, true)
	alice, bob := e.signIn(t, "alice@example.com", 1), e.signIn(t, "bob@example.com", 2)
	paste := func(cookie string) *http.Response {
		return e.do(t, mreq{method: "POST", path: "/jobs", cookie: cookie, ctype: formType, body: form("source", host.URL+"/show.xml")}).Result()
	}
	token := chooserOf(t, paste(alice))
	if w := e.do(t, mreq{method: "GET", path: "/uploads/" + token, cookie: bob}); w.Code != http.StatusNotFound {
		t.Fatalf("bob opened alice's chooser: %d", w.Code)
	}
	for range 4 { // the rest of the burst of five
		chooserOf(t, paste(alice))
	}
	res := paste(alice)
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/jobs/") {
		t.Fatalf("past the looks: %d %q, want the job at once", res.StatusCode, loc)
	}
}

// TestTrialEpisodeChooserForLink (multi mode, anonymous trials): a
// visitor's pasted feed link starts their trial only when the chooser is
// shown, and the chosen episode's recap is the trial's; a link that is
// not a feed starts exactly one trial, with its job.
func TestTrialEpisodeChooserForLink(t *testing.T) {
	t.Parallel()
	feed := localFeed(t)
	vtt, err := os.ReadFile(sampleVTT)
	if err != nil {
		t.Fatal(err)
	}
	host := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/talk.vtt" {
			w.Header().Set("Content-Type", "text/vtt")
			w.Write(vtt)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write(feed)
	}))
	defer host.Close()
	clk := &testClock{t: time.Now().UTC()}
	e := newTrialEnv(t, trialPolicy(3, 3), clk)
	ann, ben := e.guest("198.51.100.7"), e.guest("203.0.113.9")

	token := chooserOf(t, ann.do(t, "POST", "/jobs", formType, form("source", host.URL+"/show.xml")).Result())
	if ann.cookies[TrialCookieName] == nil {
		t.Fatal("the chooser did not start a trial")
	}
	st := choiceJob(t, ann.do(t, "POST", "/uploads/"+token, formType, form("episode", "https://example.com/ep0001")), e.waitJob)
	if a, b := ann.do(t, "GET", "/recaps/"+st.RecapID, "", "").Code, ben.do(t, "GET", "/recaps/"+st.RecapID, "", "").Code; a != http.StatusOK || b == http.StatusOK {
		t.Fatalf("the episode's recap %s: ann %d, ben %d", st.RecapID, a, b)
	}
	if n := countRows(t, e, `SELECT count(*) FROM anon_trials`); n != 1 {
		t.Fatalf("%d trials after ann's link, want 1", n)
	}

	w := ben.do(t, "POST", "/jobs", formType, form("source", host.URL+"/talk.vtt"))
	if loc := w.Header().Get("Location"); w.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/jobs/") {
		t.Fatalf("ben's transcript link: %d %q", w.Code, loc)
	}
	if n := countRows(t, e, `SELECT count(*) FROM anon_trials`); n != 2 {
		t.Fatalf("%d trials after ben's link, want 2", n)
	}
}

// choose posts a choice (form fields kv) to the episode chooser of token.
func (e *testEnv) choose(t testing.TB, tok, token string, kv ...string) *httptest.ResponseRecorder {
	t.Helper()
	return e.do(t, request{method: "POST", path: "/uploads/" + token, cookie: tok, ctype: formType, body: strings.NewReader(form(kv...))})
}

// chosenRecap is the recap of the job a choice started (choiceJob).
func (e *testEnv) chosenRecap(t testing.TB, w *httptest.ResponseRecorder) *recap.Document {
	t.Helper()
	doc, err := e.lib.Get(choiceJob(t, w, e.waitJob).RecapID)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// choiceJob checks that w, the answer to a choice, started a job, waits
// for it with wait and returns it done.
func choiceJob(t testing.TB, w *httptest.ResponseRecorder, wait func(testing.TB, string) jobs.State) jobs.State {
	t.Helper()
	jobID, ok := strings.CutPrefix(w.Header().Get("Location"), "/jobs/")
	if w.Code != http.StatusSeeOther || !ok {
		t.Fatalf("choice: %d %s", w.Code, w.Body)
	}
	st := wait(t, jobID)
	if st.Status != jobs.StatusDone {
		t.Fatalf("job: %+v %+v", st, st.Error)
	}
	return st
}
