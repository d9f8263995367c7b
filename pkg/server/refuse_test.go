package server

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
)

// TestSubmitRefusesWhatIsNotATranscript sends what people mistake for
// transcripts through the API (JSON and uploads) and the home page's
// form: each is answered 4xx at once with a message that says what was
// received and what is accepted, and no job is started.
func TestSubmitRefusesWhatIsNotATranscript(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.login(t)
	png, err := os.ReadFile("../../icon.png")
	if err != nil {
		t.Fatal(err)
	}
	css, err := os.ReadFile("static/app.css")
	if err != nil {
		t.Fatal(err)
	}
	upload := func(name string, data []byte) request {
		body, ctype := multipartFile(t, "file", name, data)
		return request{method: "POST", path: "/api/recaps", ctype: ctype, body: body}
	}
	text := func(s string) request {
		b, _ := json.Marshal(map[string]string{"text": s})
		return request{method: "POST", path: "/api/recaps", ctype: "application/json", body: strings.NewReader(string(b))}
	}
	box := func(s string) request {
		return request{method: "POST", path: "/jobs", ctype: "application/x-www-form-urlencoded",
			body: strings.NewReader(url.Values{"source": {s}}.Encode())}
	}
	cases := []struct {
		name    string
		r       request
		status  int
		code    string
		message []string
	}{
		{"PNG upload named .vtt", upload("icon.vtt", png), 400, "bad_input", []string{"icon.vtt is a PNG image, not a transcript", "Recap accepts WebVTT"}},
		{"PDF upload", upload("talk.pdf", []byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")), 400, "bad_input", []string{"talk.pdf is a PDF document"}},
		{"CSS upload", upload("app.css", css), 400, "bad_input", []string{"app.css is a CSS style sheet"}},
		{"CSS pasted", text(string(css)), 400, "bad_input", []string{"The pasted text is a CSS style sheet"}},
		{"short text", text("hello world"), 400, "bad_input", []string{"The pasted text has only 2 words", "at least 30 words"}},
		{"mistyped link in the box", box("htp://example..com/feed.xml"), 400, "", []string{"looks like a link but is not a valid one", "is not http or https"}},
		{"link with a bad host", request{method: "POST", path: "/api/recaps", ctype: "application/json", body: strings.NewReader(`{"url":"https://example..com/feed.xml"}`)}, 400, "bad_url", []string{"empty part"}},
		{"bad host in the box", box("https://example..com/feed.xml"), 400, "", []string{"is not a valid link", "empty part"}},
		{"empty file", upload("talk.srt", nil), 400, "empty_file", []string{"talk.srt", "is empty"}},
		{"empty file from the home page", func() request {
			r := upload("notes.txt", nil)
			r.path = "/jobs"
			return r
		}(), 400, "", []string{"notes.txt", "is empty"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.r.cookie = tok
			w := e.do(t, c.r)
			if w.Code != c.status {
				t.Fatalf("%d %s, want %d", w.Code, w.Body, c.status)
			}
			msg := html.UnescapeString(w.Body.String())
			if c.code != "" {
				if got := errorCode(t, w); got != c.code {
					t.Fatalf("code %s, want %s: %s", got, c.code, w.Body)
				}
			} else if !strings.Contains(w.Header().Get("Content-Type"), "text/html") {
				t.Fatalf("the form got %s, not a page", w.Header().Get("Content-Type"))
			}
			for _, m := range c.message {
				if !strings.Contains(msg, m) {
					t.Errorf("answer lacks %q:\n%s", m, msg)
				}
			}
		})
	}
	w := e.do(t, request{method: "GET", path: "/api/jobs", cookie: tok})
	var list struct{ Jobs []json.RawMessage }
	if err := json.NewDecoder(io.Reader(w.Body)).Decode(&list); err != nil || w.Code != http.StatusOK {
		t.Fatalf("jobs: %d %v", w.Code, err)
	}
	if len(list.Jobs) != 0 {
		t.Fatalf("refused submissions started %d jobs", len(list.Jobs))
	}
}
