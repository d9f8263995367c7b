package server

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/library"
	"github.com/recap-startos/recap/pkg/recap"
)

// pastedTalk is a transcript long enough to recap, pasted in the box.
const pastedTalk = `Welcome everyone to this short talk about gardens in the city.
First we look at why balconies make good gardens: they get sun, they are sheltered, and they are close to the kitchen.
Then we talk about soil, which should drain well and be fed with compost every spring.
Finally we talk about watering, which matters most in the hot weeks of summer when pots dry out quickly.
Thank you all for listening, and good luck with your own city gardens this year.`

// postForm submits the home page's form (multipart, as the browser
// sends it) with the given fields and file.
func (e *testEnv) postForm(t *testing.T, tok string, fields map[string]string, fileName string, file []byte) *http.Response {
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
	return e.do(t, request{method: "POST", path: "/jobs", body: &buf, ctype: mw.FormDataContentType(), cookie: tok}).Result()
}

// TestDuplicateSubmissions: the same file, pasted text or YouTube video
// submitted again from the home page gets the existing recap offered
// instead of a new job; "Recap it again" (again=1) still files a new one.
func TestDuplicateSubmissions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.login(t)
	vtt, err := os.ReadFile(sampleVTT)
	if err != nil {
		t.Fatal(err)
	}
	started := func(res *http.Response) string {
		t.Helper()
		loc := res.Header.Get("Location")
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/jobs/") {
			t.Fatalf("no job started: %d %s", res.StatusCode, loc)
		}
		st := e.waitJob(t, strings.TrimPrefix(loc, "/jobs/"))
		return st.RecapID
	}
	offered := func(res *http.Response, recapID string, wants ...string) {
		t.Helper()
		data, _ := io.ReadAll(res.Body)
		body := string(data)
		if res.StatusCode != http.StatusOK || !strings.Contains(body, `id="duplicate"`) {
			t.Fatalf("no duplicate page: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		for _, want := range append(wants, `href="/recaps/`+recapID+`"`, `name="again" value="1"`) {
			if !strings.Contains(body, want) {
				t.Errorf("duplicate page lacks %q", want)
			}
		}
	}

	t.Run("file", func(t *testing.T) {
		first := started(e.postForm(t, tok, nil, "talk.vtt", vtt))
		before := e.lib.Len()
		offered(e.postForm(t, tok, nil, "renamed.vtt", vtt), first, "Choose renamed.vtt again")
		if e.lib.Len() != before {
			t.Fatal("a duplicate was filed")
		}
		again := started(e.postForm(t, tok, map[string]string{"again": "1"}, "talk.vtt", vtt))
		if again == first || e.lib.Len() != before+1 {
			t.Fatalf("recap again filed %s (first %s), library has %d", again, first, e.lib.Len())
		}
		// A different file is not a duplicate.
		started(e.postForm(t, tok, nil, "talk.vtt", append(append([]byte{}, vtt...), []byte("\n\n99\n00:09:00.000 --> 00:09:05.000\nOne more line at the end.\n")...)))
	})

	t.Run("pasted text", func(t *testing.T) {
		first := started(e.postForm(t, tok, map[string]string{"source": pastedTalk}, "", nil))
		offered(e.postForm(t, tok, map[string]string{"source": "  " + pastedTalk + "\n"}, "", nil), first, `name="source"`)
		started(e.postForm(t, tok, map[string]string{"source": pastedTalk, "again": "1"}, "", nil))
		// The form without multipart, as a browser without the file field sends it.
		w := e.do(t, request{method: "POST", path: "/jobs", ctype: "application/x-www-form-urlencoded", cookie: tok,
			body: strings.NewReader(url.Values{"source": {pastedTalk}}.Encode())})
		offered(w.Result(), first)
	})

	t.Run("youtube video in another URL form", func(t *testing.T) {
		doc := recapOfVideo(t, "dQw4w9WgXcQ")
		if err := e.lib.Save(doc); err != nil {
			t.Fatal(err)
		}
		offered(e.postForm(t, tok, map[string]string{"source": "youtu.be/dQw4w9WgXcQ?t=42"}, "", nil), doc.ID,
			`value="https://youtu.be/dQw4w9WgXcQ?t=42"`)
	})

	t.Run("the JSON API is unchanged", func(t *testing.T) {
		res := e.submitFile(t, tok) // fails unless 202
		e.waitJob(t, res.JobID)
	})
}

// recapOfVideo is a small valid recap of a YouTube video.
func recapOfVideo(t *testing.T, videoID string) *recap.Document {
	t.Helper()
	units := []recap.Unit{{I: 0, Start: recap.Secs(0), End: recap.Secs(9), Text: "Hello and welcome."}, {I: 1, Start: recap.Secs(10), End: recap.Secs(19), Text: "That is all."}}
	now := time.Now().UTC().Truncate(time.Second)
	doc := &recap.Document{
		Version: recap.Version, ID: library.NewID(now), CreatedAt: now,
		Source: recap.Source{Type: recap.SourceYouTube, VideoID: videoID, URL: "https://www.youtube.com/watch?v=" + videoID, Title: "A video"},
		Engine: recap.Engine{Name: recap.EngineBuiltin}, Title: "A video", Summary: "A short video.",
		Topics: []recap.Topic{{Title: "All", Start: units[0].Start, End: units[1].End, StartUnit: 0, EndUnit: 1, Summary: "Hello.",
			Segments: []recap.Segment{{Start: units[0].Start, Unit: 0, Text: "Hello and welcome."}}}},
		Transcript: units, Stats: recap.Stats{Words: 6, Units: 2},
	}
	if err := doc.Validate(); err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestMultiDuplicates (multi mode): a user who submits the same pasted
// text or the same episode of a feed file again is offered their own
// recap; another user who submits the same thing gets a job of their
// own, and nothing of the first user's recap shows.
func TestMultiDuplicates(t *testing.T) {
	t.Parallel()
	e := newMultiEnv(t, true)
	alice := e.signIn(t, "alice@example.org", 1)
	bob := e.signIn(t, "bob@example.org", 2)
	started := func(res *http.Response) string {
		t.Helper()
		jobID, ok := strings.CutPrefix(res.Header.Get("Location"), "/jobs/")
		if res.StatusCode != http.StatusSeeOther || !ok {
			body, _ := io.ReadAll(res.Body)
			t.Fatalf("no job started: %d %s", res.StatusCode, body)
		}
		st := e.waitJob(t, jobID)
		if st.Status != "done" {
			t.Fatalf("job %+v %+v", st, st.Error)
		}
		return st.RecapID
	}
	page := func(res *http.Response) string {
		t.Helper()
		data, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%d %s", res.StatusCode, data)
		}
		return string(data)
	}

	first := started(e.postForm(t, alice, map[string]string{"source": pastedTalk}, "", nil))
	if body := page(e.postForm(t, alice, map[string]string{"source": pastedTalk}, "", nil)); !strings.Contains(body, `id="duplicate"`) ||
		!strings.Contains(body, `href="/recaps/`+first+`"`) {
		t.Fatalf("alice is not offered her recap:\n%s", body)
	}
	again := started(e.postForm(t, alice, map[string]string{"source": pastedTalk, "again": "1"}, "", nil))
	if again == first {
		t.Fatal("recap again filed nothing new")
	}
	res := e.postForm(t, bob, map[string]string{"source": pastedTalk}, "", nil)
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/jobs/") {
		body, _ := io.ReadAll(res.Body)
		t.Fatalf("bob got %d %s instead of a job:\n%s", res.StatusCode, loc, body)
	}
	bobs := started(res)
	if w := e.do(t, mreq{method: "GET", path: "/api/recaps/" + bobs, cookie: bob}); w.Code != http.StatusOK {
		t.Fatalf("bob's own recap: %d", w.Code)
	}
	if body := page(e.postForm(t, bob, map[string]string{"source": pastedTalk}, "", nil)); !strings.Contains(body, bobs) ||
		strings.Contains(body, first) || strings.Contains(body, again) {
		t.Fatalf("bob's duplicate page should offer his recap %s only:\n%s", bobs, body)
	}

	// An episode of a feed file: alice's recap of it is marked in her
	// chooser and offered to her, and not hinted at to bob.
	feed := localFeed(t)
	token := chooserOf(t, e.postForm(t, alice, nil, "example.xml", feed))
	choose := func(cookie, token string) *http.Response {
		return e.do(t, mreq{method: "POST", path: "/uploads/" + token, cookie: cookie, ctype: formType,
			body: form("episode", "https://example.com/ep0002")}).Result()
	}
	episode := started(choose(alice, token))
	token = chooserOf(t, e.postForm(t, alice, nil, "example.xml", feed))
	if body := page(e.do(t, mreq{method: "GET", path: "/uploads/" + token, cookie: alice}).Result()); !strings.Contains(body, `In your library: <a href="/recaps/`+episode+`"`) {
		t.Error("alice's chooser does not mark her recap of the episode")
	}
	if body := page(choose(alice, token)); !strings.Contains(body, `id="duplicate"`) || !strings.Contains(body, episode) {
		t.Error("alice is not offered her recap of the episode")
	}
	token = chooserOf(t, e.postForm(t, bob, nil, "example.xml", feed))
	if body := page(e.do(t, mreq{method: "GET", path: "/uploads/" + token, cookie: bob}).Result()); strings.Contains(body, "In your library") || strings.Contains(body, episode) {
		t.Error("bob's chooser shows alice's recap of the episode")
	}
	started(choose(bob, token))
}
