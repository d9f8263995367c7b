package server

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/recap-startos/recap/pkg/jobs"
)

// gatedHost serves the sample subtitle file at any path but /missing.vtt
// (404), each request waiting until the test opens the gate, so that a job
// can be watched while it is running.
type gatedHost struct {
	*httptest.Server
	gate chan struct{}
	once sync.Once
}

func newGatedHost(t testing.TB) *gatedHost {
	t.Helper()
	vtt, err := os.ReadFile(sampleVTT)
	if err != nil {
		t.Fatal(err)
	}
	h := &gatedHost{gate: make(chan struct{})}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-h.gate:
		case <-r.Context().Done():
			return
		}
		if r.URL.Path == "/missing.vtt" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/vtt")
		w.Write(vtt)
	}))
	t.Cleanup(func() { h.open(); h.Close() })
	return h
}

// open lets every waiting and later request through.
func (h *gatedHost) open() { h.once.Do(func() { close(h.gate) }) }

// submitLink posts link from the home page's form and returns the job id
// the answer redirects to.
func (e *testEnv) submitLink(t testing.TB, tok, link string) string {
	t.Helper()
	w := e.do(t, request{method: "POST", path: "/jobs", ctype: "application/x-www-form-urlencoded",
		body: strings.NewReader(url.Values{"source": {link}}.Encode()), cookie: tok})
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/jobs/") {
		t.Fatalf("submit %s: %d %s %s", link, w.Code, w.Header().Get("Location"), w.Body)
	}
	return strings.TrimPrefix(w.Header().Get("Location"), "/jobs/")
}

// TestJobPage renders the progress page for a running, a finished, a
// failed and a cancelled job, as a browser without JavaScript gets it.
func TestJobPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.login(t)
	host := newGatedHost(t)
	page := func(id string) *httptest.ResponseRecorder {
		return e.do(t, request{method: "GET", path: "/jobs/" + id, cookie: tok})
	}

	running := e.submitLink(t, tok, host.URL+"/talk.vtt")
	failing := e.submitLink(t, tok, host.URL+"/missing.vtt")

	t.Run("running", func(t *testing.T) {
		w := page(running)
		body := w.Body.String()
		if w.Code != http.StatusOK {
			t.Fatalf("%d %s", w.Code, body)
		}
		for _, want := range []string{
			`<noscript><meta http-equiv="refresh" content="3"></noscript>`,
			`<h1 id="job-heading">`,
			`id="cancel-form"`,
			"You can close this page",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("running job page lacks %q", want)
			}
		}
		if strings.Contains(body, "Done") {
			t.Error("a running job's page says Done")
		}
		if strings.Contains(body, `class="failed"`) || strings.Contains(body, `role="alert"`) {
			t.Error("a running job's page shows a failure")
		}
	})

	host.open()
	done := e.waitJob(t, running)
	if done.Status != jobs.StatusDone {
		t.Fatalf("job: %+v %+v", done, done.Error)
	}
	failed := e.waitJob(t, failing)
	if failed.Status != jobs.StatusFailed || failed.Error == nil {
		t.Fatalf("job: %+v", failed)
	}

	t.Run("done goes to the recap", func(t *testing.T) {
		w := page(running)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/recaps/"+done.RecapID {
			t.Fatalf("%d to %q, want the recap /recaps/%s", w.Code, w.Header().Get("Location"), done.RecapID)
		}
	})

	t.Run("failed marks the stage", func(t *testing.T) {
		w := page(failing)
		body := w.Body.String()
		if w.Code != http.StatusOK {
			t.Fatalf("%d %s", w.Code, body)
		}
		stage := regexp.MustCompile(`<li data-stage="fetching" class="failed">Reading the transcript<span class="stage-note"> — failed here</span></li>`)
		if !stage.MatchString(body) {
			t.Errorf("the fetching stage is not marked failed:\n%s", body)
		}
		if n := strings.Count(body, `class="current"`); n != 0 {
			t.Errorf("%d stages still look in progress", n)
		}
		if !strings.Contains(body, `role="alert"`) {
			t.Error("the failure is not an alert")
		}
		for _, want := range []string{"This recap failed", failed.Error.Message, failed.Error.Hint} {
			if !strings.Contains(body, templateEscape(want)) {
				t.Errorf("failed job page lacks %q", want)
			}
		}
		for _, gone := range []string{"You can close this page", `id="cancel-form"`, `http-equiv="refresh"`, "<progress"} {
			if strings.Contains(body, gone) {
				t.Errorf("failed job page still has %q", gone)
			}
		}
	})

	t.Run("cancelled marks the stage", func(t *testing.T) {
		gate := newGatedHost(t)
		id := e.submitLink(t, tok, gate.URL+"/talk.vtt")
		w := e.do(t, request{method: "POST", path: "/jobs/" + id + "/cancel", cookie: tok,
			ctype: "application/x-www-form-urlencoded", body: strings.NewReader("")})
		if w.Code != http.StatusSeeOther {
			t.Fatalf("cancel: %d %s", w.Code, w.Body)
		}
		if st := e.waitJob(t, id); st.Status != jobs.StatusCancelled {
			t.Fatalf("job: %+v", st)
		}
		body := page(id).Body.String()
		if !strings.Contains(body, `<h1 id="job-heading">Cancelled</h1>`) || !strings.Contains(body, "stopped here") {
			t.Errorf("cancelled job page:\n%s", body)
		}
		if strings.Contains(body, "You can close this page") {
			t.Error("cancelled job page still says the recap goes on")
		}
	})
}

// templateEscape escapes s as html/template writes text.
func templateEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}
