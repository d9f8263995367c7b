package summarize

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/recap"
	"github.com/recap-startos/recap/pkg/summarize/llmtest"
)

const fixtures = "testdata/llm"

var quiet = slog.New(slog.DiscardHandler)

// watchtowers is the reference talk of about an hour, with its section
// headings as creator chapters, or without chapters when bare is set.
func watchtowers(t testing.TB, bare bool) *recap.Transcript {
	t.Helper()
	r, err := LoadTalk(filepath.Join("..", "..", "testdata", "talks", "chaincode-podcast_watchtowers-lightning-privacy.md"))
	if err != nil {
		t.Fatal(err)
	}
	tr := r.Transcript
	tr.Chapters = nil
	if !bare {
		// The talk's section headings, as creator chapters.
		for k, i := range r.Starts {
			tr.Chapters = append(tr.Chapters, recap.Chapter{Title: fmt.Sprintf("Section %d", k+1), Start: *tr.Units[i].Start})
		}
	}
	return &tr
}

// fake starts a fake server of the given API and an engine that talks
// to it; waits records the retry waits the engine asked for.
type fake struct {
	srv    *llmtest.Server
	engine Engine
	waits  []time.Duration
	mu     sync.Mutex
}

func newFake(t *testing.T, api string, opt LLMOptions) *fake {
	t.Helper()
	f := &fake{}
	opt.Log = quiet
	opt.wait = func(ctx context.Context, d time.Duration) error {
		f.mu.Lock()
		f.waits = append(f.waits, d)
		f.mu.Unlock()
		return ctx.Err()
	}
	var err error
	switch api {
	case "openai", "openai-nostream":
		f.srv = llmtest.NewOpenAI(t, fixtures, "llama3.1:8b", "sk-local")
		opt.NoStream = api == "openai-nostream"
		f.engine, err = NewOpenAI(f.srv.URL+"/v1", "sk-local", "llama3.1:8b", opt)
	case "ollama":
		f.srv = llmtest.NewOllama(t, fixtures, "llama3.1:8b")
		f.engine, err = NewOllama(f.srv.URL+"/v1", "", "llama3.1:8b", opt)
	case "gemini":
		f.srv = llmtest.NewGemini(t, fixtures, "gemini-2.5-flash", "AIza-test")
		f.engine, err = NewGemini(f.srv.URL, "AIza-test", "gemini-2.5-flash", opt)
	default:
		t.Fatalf("no api %s", api)
	}
	if err != nil {
		t.Fatal(err)
	}
	return f
}

var apis = []string{"openai", "openai-nostream", "ollama", "gemini"}

// finish fills what jobs.Process fills and validates the document.
func finish(t *testing.T, doc *recap.Document, tr *recap.Transcript) {
	t.Helper()
	doc.Version, doc.ID, doc.Source = recap.Version, "test", tr.Source
	if err := doc.Validate(); err != nil {
		t.Fatal(err)
	}
}

// checkGrounded asserts every key point matches its unit.
func checkGrounded(t *testing.T, doc *recap.Document) {
	t.Helper()
	r := &run{units: doc.Transcript}
	n := 0
	for _, tp := range doc.Topics {
		for _, s := range tp.Segments {
			n++
			if got := r.ground(s.Text, s.Unit); got != s.Unit {
				t.Errorf("key point %q is not grounded in unit %d: %q", s.Text, s.Unit, doc.Transcript[s.Unit].Text)
			}
			if strings.Contains(s.Text, "chocolate factory") {
				t.Errorf("the invented point survived: %q", s.Text)
			}
		}
	}
	if n == 0 {
		t.Fatal("no key points")
	}
}

func TestLLMSinglePass(t *testing.T) {
	t.Parallel()
	for _, api := range apis {
		t.Run(api, func(t *testing.T) {
			f := newFake(t, api, LLMOptions{ContextTokens: 200_000})
			tr := watchtowers(t, true)
			doc, err := f.engine.Summarize(context.Background(), tr, nil)
			if err != nil {
				t.Fatal(err)
			}
			finish(t, doc, tr)
			checkGrounded(t, doc)
			reqs := f.srv.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want one pass", len(reqs))
			}
			want := map[string]string{"openai": recap.EngineOpenAI, "openai-nostream": recap.EngineOpenAI, "ollama": recap.EngineOpenAI, "gemini": recap.EngineGemini}[api]
			if doc.Engine.Name != want || doc.Engine.Model == "" || doc.Engine.Note != "" {
				t.Fatalf("engine = %+v", doc.Engine)
			}
			if doc.Stats.Ungrounded < 1 || doc.Stats.PromptTokens == 0 || doc.Stats.CompletionTokens == 0 {
				t.Fatalf("stats = %+v, want the invented point counted and token usage", doc.Stats)
			}
			if len(doc.Topics) < 2 || doc.Summary == "" || len(doc.Keywords) == 0 {
				t.Fatalf("thin recap: %d topics, summary %q, keywords %v", len(doc.Topics), doc.Summary, doc.Keywords)
			}
			checkRequestShape(t, api, reqs[0], f.srv.Headers()[0])
		})
	}
}

// checkRequestShape asserts the structured-output request of each API.
func checkRequestShape(t *testing.T, api string, body map[string]any, hdr http.Header) {
	t.Helper()
	switch api {
	case "openai", "openai-nostream":
		rf, _ := body["response_format"].(map[string]any)
		js, _ := rf["json_schema"].(map[string]any)
		if rf["type"] != "json_schema" || js["strict"] != true || js["schema"] == nil {
			t.Errorf("response_format = %v", rf)
		}
		if hdr.Get("Authorization") != "Bearer sk-local" {
			t.Errorf("no bearer key")
		}
		if (api == "openai") != (body["stream"] == true) {
			t.Errorf("stream = %v", body["stream"])
		}
	case "ollama":
		opts, _ := body["options"].(map[string]any)
		if opts["num_ctx"] != float64(200_000) || body["format"] == nil {
			t.Errorf("ollama options %v, format %v", opts, body["format"] != nil)
		}
	case "gemini":
		gc, _ := body["generationConfig"].(map[string]any)
		schema, _ := gc["responseSchema"].(map[string]any)
		if gc["responseMimeType"] != "application/json" || schema["type"] != "OBJECT" || schema["additionalProperties"] != nil {
			t.Errorf("generationConfig = %v", gc)
		}
		if hdr.Get("x-goog-api-key") != "AIza-test" {
			t.Errorf("no key header")
		}
		if body["systemInstruction"] == nil {
			t.Errorf("no systemInstruction")
		}
	}
}

func TestLLMMapReduce(t *testing.T) {
	t.Parallel()
	for _, api := range apis {
		t.Run(api, func(t *testing.T) {
			f := newFake(t, api, LLMOptions{ContextTokens: 8192, Concurrency: 2})
			tr := watchtowers(t, true)
			var mu sync.Mutex
			var msgs []string
			doc, err := f.engine.Summarize(context.Background(), tr, func(stage string, frac float64, msg string) {
				mu.Lock()
				msgs = append(msgs, msg)
				mu.Unlock()
			})
			if err != nil {
				t.Fatal(err)
			}
			finish(t, doc, tr)
			checkGrounded(t, doc)
			if doc.Engine.Note != "" {
				t.Fatalf("note %q", doc.Engine.Note)
			}
			reqs := len(f.srv.Requests())
			parts := 0
			merged := false
			for _, m := range msgs {
				if strings.HasPrefix(m, "read part ") {
					parts++
				}
				merged = merged || strings.HasPrefix(m, "merging ")
			}
			if parts < 4 || !merged || reqs != parts+1 {
				t.Fatalf("%d part events, merge %v, %d requests; messages %q", parts, merged, reqs, msgs)
			}
			if doc.Stats.Ungrounded < parts {
				t.Fatalf("ungrounded = %d, want at least one per part", doc.Stats.Ungrounded)
			}
		})
	}
}

func TestWindowsLastFiveToTenMinutes(t *testing.T) {
	t.Parallel()
	tr := watchtowers(t, true)
	for _, ctxTokens := range []int{4096, 8192, 16384} {
		r := &run{e: &llmEngine{name: "openai", backend: &instant{ctx: ctxTokens}}, t: tr, units: Units(tr)}
		pl, err := r.plan()
		if err != nil {
			t.Fatal(err)
		}
		if len(pl.windows) < 2 {
			t.Fatalf("context %d: one window for an hour", ctxTokens)
		}
		next := 0
		for k, w := range pl.windows {
			if w[0] != next || w[1] < w[0] {
				t.Fatalf("context %d: windows %v do not tile the units", ctxTokens, pl.windows)
			}
			next = w[1] + 1
			length := *r.units[w[1]].End - *r.units[w[0]].Start
			if length > maxWindowSeconds+maxUnitSeconds || (k < len(pl.windows)-1 && length < minWindowSeconds-maxUnitSeconds) {
				t.Errorf("context %d: window %d lasts %.0f s", ctxTokens, k, length)
			}
		}
		if next != len(r.units) {
			t.Fatalf("windows end at %d of %d", next, len(r.units))
		}
	}
}

func TestLLMChaptersAreTopics(t *testing.T) {
	t.Parallel()
	for _, ctxTokens := range []int{200_000, 8192} {
		t.Run(fmt.Sprint(ctxTokens), func(t *testing.T) {
			f := newFake(t, "openai", LLMOptions{ContextTokens: ctxTokens})
			tr := watchtowers(t, false)
			doc, err := f.engine.Summarize(context.Background(), tr, nil)
			if err != nil {
				t.Fatal(err)
			}
			finish(t, doc, tr)
			checkGrounded(t, doc)
			starts, titles := chapterStarts(doc.Transcript, tr.Chapters)
			if len(doc.Topics) != len(starts) {
				t.Fatalf("%d topics for %d chapters", len(doc.Topics), len(starts))
			}
			for k, tp := range doc.Topics {
				if tp.StartUnit != starts[k] || (titles[k] != "" && tp.Title != titles[k]) || tp.Summary == "" {
					t.Errorf("topic %d = %d %q %q, chapter %d %q", k, tp.StartUnit, tp.Title, tp.Summary, starts[k], titles[k])
				}
			}
		})
	}
}

func TestLLMRepairsAnswers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		b        llmtest.Behavior
		requests int
	}{
		{llmtest.Fenced, 1},
		{llmtest.Truncated, 1},
		{llmtest.BadThenGood, 2},
	}
	for _, api := range apis {
		for _, tc := range cases {
			t.Run(api+"/"+string(tc.b), func(t *testing.T) {
				f := newFake(t, api, LLMOptions{ContextTokens: 200_000})
				f.srv.Set(tc.b)
				tr := watchtowers(t, true)
				doc, err := f.engine.Summarize(context.Background(), tr, nil)
				if err != nil {
					t.Fatal(err)
				}
				finish(t, doc, tr)
				if doc.Engine.Name == recap.EngineBuiltin {
					t.Fatalf("fell back: %s", doc.Engine.Note)
				}
				checkGrounded(t, doc)
				if n := len(f.srv.Requests()); n != tc.requests {
					t.Fatalf("%d requests, want %d", n, tc.requests)
				}
			})
		}
	}
}

func TestLLMFallsBackToBuiltin(t *testing.T) {
	t.Parallel()
	for _, api := range apis {
		for _, b := range []llmtest.Behavior{llmtest.Garbage, llmtest.Ungrounded} {
			for _, ctxTokens := range []int{200_000, 8192} {
				t.Run(fmt.Sprintf("%s/%s/%d", api, b, ctxTokens), func(t *testing.T) {
					f := newFake(t, api, LLMOptions{ContextTokens: ctxTokens})
					f.srv.Set(b)
					tr := watchtowers(t, true)
					doc, err := f.engine.Summarize(context.Background(), tr, nil)
					if err != nil {
						t.Fatal(err)
					}
					finish(t, doc, tr)
					if doc.Engine.Name != recap.EngineBuiltin || !strings.Contains(doc.Engine.Note, "builtin engine") || !strings.Contains(doc.Engine.Note, "no usable answer") {
						t.Fatalf("engine = %+v", doc.Engine)
					}
					if doc.Stats.PromptTokens == 0 {
						t.Fatalf("the tokens spent on the failed answers are not recorded: %+v", doc.Stats)
					}
				})
			}
		}
	}
}

func TestLLMErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		api  string
		b    llmtest.Behavior
		edit func(o *LLMOptions)
		want error
	}{
		{"openai", llmtest.ContextError, nil, ErrContextTooSmall},
		{"openai", llmtest.LlamaCppContext, nil, ErrContextTooSmall},
		{"openai", llmtest.VLLMContext, nil, ErrContextTooSmall},
		{"gemini", llmtest.ContextError, nil, ErrContextTooSmall},
		{"openai", llmtest.Refusal, nil, ErrBlocked},
		{"openai-nostream", llmtest.Refusal, nil, ErrBlocked},
		{"gemini", llmtest.Refusal, nil, ErrBlocked},
		{"openai", llmtest.Slow, func(o *LLMOptions) { o.RequestTimeout = 50 * time.Millisecond }, ErrTimeout},
		{"ollama", llmtest.Slow, func(o *LLMOptions) { o.RequestTimeout = 50 * time.Millisecond }, ErrTimeout},
		{"gemini", llmtest.Slow, func(o *LLMOptions) { o.JobTimeout = 50 * time.Millisecond }, ErrTimeout},
		{"openai", llmtest.ServerErrors, nil, ErrServer},
		{"ollama", llmtest.ServerErrors, nil, ErrServer},
		{"openai", llmtest.StreamCut, nil, ErrUnreachable},
		{"ollama", llmtest.StreamCut, nil, ErrUnreachable},
	}
	for _, tc := range cases {
		t.Run(tc.api+"/"+string(tc.b), func(t *testing.T) {
			opt := LLMOptions{ContextTokens: 200_000}
			if tc.edit != nil {
				tc.edit(&opt)
			}
			f := newFake(t, tc.api, opt)
			f.srv.Set(tc.b)
			_, err := f.engine.Summarize(context.Background(), watchtowers(t, true), nil)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			var le *LLMError
			if !errors.As(err, &le) || le.Error() == "" {
				t.Fatalf("not an LLMError: %v", err)
			}
			if strings.Contains(err.Error(), "sk-local") || strings.Contains(err.Error(), "AIza-test") {
				t.Fatalf("the key leaked into the error: %v", err)
			}
		})
	}
}

func TestLLMAccountErrors(t *testing.T) {
	t.Parallel()
	tr := watchtowers(t, true)
	srv := llmtest.NewOpenAI(t, fixtures, "llama3.1:8b", "sk-right")
	gem := llmtest.NewGemini(t, fixtures, "gemini-2.5-flash", "AIza-right")
	oll := llmtest.NewOllama(t, fixtures, "llama3.1:8b")
	closed := llmtest.NewOpenAI(t, fixtures, "m", "")
	closedURL := closed.URL + "/v1"
	closed.Close()
	mk := func(e Engine, err error) Engine {
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	opt := LLMOptions{ContextTokens: 200_000, Log: quiet}
	cases := []struct {
		name    string
		engine  Engine
		want    error
		message string
	}{
		{"openai bad key", mk(NewOpenAI(srv.URL+"/v1", "sk-wrong", "llama3.1:8b", opt)), ErrAuth, "Incorrect API key"},
		{"openai no key", mk(NewOpenAI(srv.URL+"/v1", "", "llama3.1:8b", opt)), ErrAuth, ""},
		{"openai unknown model", mk(NewOpenAI(srv.URL+"/v1", "sk-right", "no-such-model", opt)), ErrUnknownModel, "does not exist"},
		{"openai wrong path", mk(NewOpenAI(srv.URL+"/api", "sk-right", "llama3.1:8b", opt)), ErrServer, "/v1"},
		{"openai unreachable", mk(NewOpenAI(closedURL, "", "m", opt)), ErrUnreachable, closedURL},
		{"ollama unknown model", mk(NewOllama(oll.URL, "", "no-such-model", opt)), ErrUnknownModel, "try pulling it"},
		{"gemini bad key", mk(NewGemini(gem.URL, "AIza-wrong", "gemini-2.5-flash", opt)), ErrAuth, "API key not valid"},
		{"gemini unknown model", mk(NewGemini(gem.URL, "AIza-right", "no-such-model", opt)), ErrUnknownModel, "not found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.engine.Summarize(context.Background(), tr, nil)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.message) {
				t.Fatalf("error %v, want %v containing %q", err, tc.want, tc.message)
			}
			if strings.Contains(err.Error(), "sk-wrong") || strings.Contains(err.Error(), "AIza-wrong") {
				t.Fatalf("the key leaked into the error: %v", err)
			}
		})
	}
}

func TestLLMContextTooSmallBeforeAsking(t *testing.T) {
	t.Parallel()
	f := newFake(t, "openai", LLMOptions{ContextTokens: 1024})
	_, err := f.engine.Summarize(context.Background(), watchtowers(t, true), nil)
	if !errors.Is(err, ErrContextTooSmall) || !strings.Contains(err.Error(), "engine.context-size") {
		t.Fatalf("error %v", err)
	}
	if n := len(f.srv.Requests()); n != 0 {
		t.Fatalf("%d requests sent with a context that cannot fit a window", n)
	}
}

func TestLLMRetries(t *testing.T) {
	t.Parallel()
	cases := []struct {
		api  string
		b    llmtest.Behavior
		wait time.Duration
	}{
		{"openai", llmtest.RateLimitOnce, 3 * time.Second},          // Retry-After: 3
		{"openai-nostream", llmtest.RateLimitOnce, 3 * time.Second}, // Retry-After: 3
		{"gemini", llmtest.RateLimitOnce, 7 * time.Second},          // RetryInfo 7s
		{"openai", llmtest.ServerErrorOnce, DefaultRetryBase},       // backoff
		{"ollama", llmtest.ServerErrorOnce, DefaultRetryBase},
	}
	for _, tc := range cases {
		t.Run(tc.api+"/"+string(tc.b), func(t *testing.T) {
			f := newFake(t, tc.api, LLMOptions{ContextTokens: 200_000})
			f.srv.Set(tc.b)
			tr := watchtowers(t, true)
			doc, err := f.engine.Summarize(context.Background(), tr, nil)
			if err != nil {
				t.Fatal(err)
			}
			finish(t, doc, tr)
			if !slices.Equal(f.waits, []time.Duration{tc.wait}) {
				t.Fatalf("waits %v, want [%v]", f.waits, tc.wait)
			}
			if n := len(f.srv.Requests()); n != 2 {
				t.Fatalf("%d requests", n)
			}
		})
	}
}

func TestLLMGivesUpOnLongRetryAfter(t *testing.T) {
	t.Parallel()
	f := newFake(t, "gemini", LLMOptions{ContextTokens: 200_000, MaxRetryWait: time.Second})
	f.srv.Set(llmtest.RateLimitOnce)
	_, err := f.engine.Summarize(context.Background(), watchtowers(t, true), nil)
	if !errors.Is(err, ErrRateLimited) || len(f.waits) != 0 {
		t.Fatalf("error %v after waits %v", err, f.waits)
	}
}

func TestLLMCancel(t *testing.T) {
	t.Parallel()
	f := newFake(t, "openai", LLMOptions{ContextTokens: 8192})
	f.srv.Set(llmtest.Slow)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := f.engine.Summarize(ctx, watchtowers(t, true), nil)
		done <- err
	}()
	for len(f.srv.Requests()) == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}

func TestFromConfig(t *testing.T) {
	t.Parallel()
	cases := []struct {
		cfg  config.Engine
		name string
	}{
		{config.Engine{Type: "builtin"}, recap.EngineBuiltin},
		{config.Engine{Type: "openai", BaseURL: "http://127.0.0.1:1/v1", Model: "m", ContextSize: 4096, Flavor: config.FlavorCompatible}, recap.EngineOpenAI},
		{config.Engine{Type: "openai", BaseURL: "http://127.0.0.1:1", Model: "m", ContextSize: 4096, Flavor: config.FlavorOllama}, recap.EngineOpenAI},
		{config.Engine{Type: "gemini", APIKey: "k", Model: "gemini-2.5-flash"}, recap.EngineGemini},
	}
	for _, tc := range cases {
		e, err := FromConfig(tc.cfg, LLMOptions{})
		if err != nil || e.Name() != tc.name {
			t.Fatalf("%+v: %v, %v", tc.cfg, e, err)
		}
		if le, ok := e.(*llmEngine); ok && tc.cfg.ContextSize != 0 && le.backend.contextTokens() != tc.cfg.ContextSize {
			t.Fatalf("context %d, want %d", le.backend.contextTokens(), tc.cfg.ContextSize)
		}
	}
	if _, err := FromConfig(config.Engine{Type: "relay"}, LLMOptions{}); err == nil {
		t.Fatal("unknown engine accepted")
	}
	if _, err := FromConfig(config.Engine{Type: "openai", BaseURL: "llama:8080", Model: "m"}, LLMOptions{}); err == nil {
		t.Fatal("bad URL accepted")
	}
}

func TestGrounding(t *testing.T) {
	t.Parallel()
	units := []recap.Unit{
		{I: 0, Text: "Welcome back to the show."},
		{I: 1, Text: "A watchtower watches the blockchain for you while your node is offline."},
		{I: 2, Text: "If your channel partner cheats, the watchtower publishes the penalty transaction."},
	}
	r := &run{units: units}
	cases := []struct {
		text string
		unit int
		want int
	}{
		{"A watchtower watches the blockchain while your node is offline.", 1, 1},
		{"Watchtowers watch the blockchain while nodes are offline.", 1, 1},
		{"The watchtower publishes the penalty transaction when a partner cheats.", 1, 2}, // one off
		{"The hosts open a chocolate factory on the Moon.", 1, -1},
		{"Anything at all.", 7, -1},
		{"", 1, -1},
	}
	for _, tc := range cases {
		if got := r.ground(tc.text, tc.unit); got != tc.want {
			t.Errorf("ground(%q, %d) = %d, want %d", tc.text, tc.unit, got, tc.want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	cases := map[string]time.Duration{
		"":                              0,
		"3":                             3 * time.Second,
		"0.5":                           500 * time.Millisecond,
		"-1":                            0,
		"soon":                          0,
		"Wed, 01 Jan 2025 12:00:30 GMT": 30 * time.Second,
		"Wed, 01 Jan 2025 11:00:00 GMT": 0,
	}
	for v, want := range cases {
		if got := parseRetryAfter(v, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", v, got, want)
		}
	}
}

func TestUnitRef(t *testing.T) {
	t.Parallel()
	a, err := parseAnswer(`{"title":"t","summary":"s","keywords":"a, b","topics":[{"start_unit":"U12","title":"x","summary":"y","key_points":[{"unit":3.0,"text":"p"},{"unit":"[4 0:12]","text":"q"},{"unit":null,"text":"r"},{"unit":2.5,"text":"s"}]}]}`)
	if err != nil {
		t.Fatal(err)
	}
	tp := a.Topics[0]
	if tp.StartUnit != 12 || tp.KeyPoints[0].Unit != 3 || tp.KeyPoints[1].Unit != 4 || tp.KeyPoints[2].Unit != -1 || tp.KeyPoints[3].Unit != -1 {
		t.Fatalf("units read as %+v", tp)
	}
	if !slices.Equal([]string(a.Keywords), []string{"a", " b"}) {
		t.Fatalf("keywords %q", a.Keywords)
	}
}
