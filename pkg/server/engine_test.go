package server

import (
	"bytes"
	"encoding/json"
	"html"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/recap-startos/recap/pkg/jobs"
	"github.com/recap-startos/recap/pkg/library"
	"github.com/recap-startos/recap/pkg/summarize"
	"github.com/recap-startos/recap/pkg/summarize/llmtest"
)

// newLLMEnv is a server whose configured engine is an OpenAI-compatible
// model on a local fake server, with builtin as the second choice.
func newLLMEnv(t *testing.T) (*testEnv, *llmtest.Server) {
	t.Helper()
	llm := llmtest.NewOpenAI(t, "../summarize/testdata/llm", "llama3.1:8b", "")
	engine, err := summarize.NewOpenAI(llm.URL+"/v1", "", "llama3.1:8b", summarize.LLMOptions{Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	lib, err := library.Open(filepath.Join(dir, "history"), "")
	if err != nil {
		t.Fatal(err)
	}
	e := buildEnv(t, dir, lib, func(jc *jobs.Config, o *Options) {
		jc.Engine, jc.Engines = engine, map[string]summarize.Engine{"builtin": summarize.NewBuiltin()}
		o.Engines = []string{"openai", "builtin"}
	})
	return e, llm
}

// submitWithEngine uploads the sample subtitles with an engine choice
// ("" sends none) and returns the recap page once the job is done.
func (e *testEnv) submitWithEngine(t *testing.T, token, engine string) (int, string) {
	t.Helper()
	data, err := os.ReadFile(sampleVTT)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "sample.vtt")
	fw.Write(data)
	if engine != "" {
		mw.WriteField("engine", engine)
	}
	mw.Close()
	w := e.do(t, request{method: "POST", path: "/api/recaps", body: &buf, ctype: mw.FormDataContentType(), cookie: token})
	if w.Code != http.StatusAccepted {
		return w.Code, w.Body.String()
	}
	var res submitResponse
	if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	if st := e.waitJob(t, res.JobID); st.Status != jobs.StatusDone {
		t.Fatalf("job %+v", st)
	}
	page := e.do(t, request{method: "GET", path: "/recaps/" + res.RecapID, cookie: token})
	return page.Code, html.UnescapeString(page.Body.String())
}

func TestEngineChoiceAndLabel(t *testing.T) {
	t.Parallel()
	e, llm := newLLMEnv(t)
	token := e.login(t)
	home := e.do(t, request{method: "GET", path: "/", cookie: token}).Body.String()
	if !strings.Contains(home, `<select id="engine" name="engine"`) || !strings.Contains(home, `value="builtin"`) || !strings.Contains(home, `value="openai"`) {
		t.Fatalf("home page offers no engine choice:\n%s", home)
	}

	code, page := e.submitWithEngine(t, token, "")
	if code != http.StatusOK || !strings.Contains(page, "by the openai engine (llama3.1:8b)") {
		t.Fatalf("default engine: %d, label missing", code)
	}
	code, page = e.submitWithEngine(t, token, "builtin")
	if code != http.StatusOK || !strings.Contains(page, "by the builtin engine.") {
		t.Fatalf("builtin choice: %d, label missing", code)
	}
	if code, body := e.submitWithEngine(t, token, "gemini"); code != http.StatusBadRequest || !strings.Contains(body, "unknown_engine") {
		t.Fatalf("unknown engine: %d %s", code, body)
	}

	llm.Set(llmtest.Garbage)
	code, page = e.submitWithEngine(t, token, "openai")
	if code != http.StatusOK || !strings.Contains(page, "by the builtin engine.") || !strings.Contains(page, "gave no usable answer") {
		t.Fatalf("fallback: %d, note missing", code)
	}
}

func TestNoEngineChoiceWithBuiltinOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	token := e.login(t)
	if home := e.do(t, request{method: "GET", path: "/", cookie: token}).Body.String(); strings.Contains(home, `id="engine"`) {
		t.Fatal("a choice of one engine is offered")
	}
}
