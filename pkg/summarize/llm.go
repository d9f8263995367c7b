package summarize

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/recap"
)

// The LLM engines.
//
// An LLM engine (openai.go, ollama.go, gemini.go speak the providers'
// APIs) makes a recap in these steps:
//
//  1. The transcript is re-cut into units (units.go), the same units the
//     builtin engine uses and the document keeps. Prompts number them,
//     "[12 3:41] text", and the model refers to units by number only:
//     every time in the document is read from the units in code.
//  2. Budget (llmplan.go): when the numbered transcript fits the model's
//     context with headroom, one request recaps it. Otherwise it is cut
//     into windows of 5–10 minutes; each window gets a map request
//     (a summary and candidate topics with key points), and a final
//     merge request chooses the topics of the whole from the candidates.
//  3. Answers are asked for as JSON Schema (response_format, Gemini's
//     responseSchema, Ollama's format) and read leniently (jsonrepair.go):
//     fences and trailing text are cut, truncated arrays closed. An answer
//     that still cannot be used gets one repair request naming the
//     problem.
//  4. Assembly (llmdraft.go): topics are ordered and made to cover the
//     transcript; each key point must match the unit it names (fuzzy
//     token match, allowing a neighbouring unit) or it is dropped and
//     counted in stats.ungrounded; the document is checked against every
//     invariant of recap.Document.Validate.
//  5. When the model's answers stay unusable, the builtin engine makes
//     the recap and engine.note says why. Transport and account problems
//     (unreachable server, refused key, unknown model, context too small,
//     blocked content, timeouts) are errors, not fallbacks: they need the
//     owner's attention and are reported plainly.

// Defaults of LLMOptions.
const (
	DefaultRequestTimeout = 5 * time.Minute  // one model request
	DefaultJobTimeout     = 60 * time.Minute // one whole recap
	DefaultMaxRetries     = 3                // after the first attempt, on 429 and 5xx
	DefaultRetryBase      = time.Second      // first backoff; doubles each retry
	DefaultMaxRetryWait   = time.Minute      // longest wait for one retry
)

// LLMOptions tune an LLM engine. Zero values take the defaults.
type LLMOptions struct {
	// ContextTokens is the model's context window; it decides between a
	// single pass and map-reduce. Defaults: config.DefaultContextSize for
	// OpenAI-compatible servers, 1,048,576 for Gemini.
	ContextTokens  int
	RequestTimeout time.Duration
	JobTimeout     time.Duration
	MaxRetries     int // negative means none
	RetryBase      time.Duration
	MaxRetryWait   time.Duration
	// Concurrency is how many window requests run at once: 1 for
	// OpenAI-compatible servers (usually one local GPU), 4 for Gemini.
	Concurrency int
	// NoStream asks OpenAI-compatible and Ollama servers for one JSON
	// answer instead of a stream of chunks.
	NoStream   bool
	HTTPClient *http.Client
	Log        *slog.Logger

	// wait replaces the retry sleep in tests.
	wait func(ctx context.Context, d time.Duration) error
}

func (o LLMOptions) withDefaults(contextTokens, concurrency int) LLMOptions {
	if o.ContextTokens <= 0 {
		o.ContextTokens = contextTokens
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.JobTimeout <= 0 {
		o.JobTimeout = DefaultJobTimeout
	}
	switch {
	case o.MaxRetries == 0:
		o.MaxRetries = DefaultMaxRetries
	case o.MaxRetries < 0:
		o.MaxRetries = 0
	}
	if o.RetryBase <= 0 {
		o.RetryBase = DefaultRetryBase
	}
	if o.MaxRetryWait <= 0 {
		o.MaxRetryWait = DefaultMaxRetryWait
	}
	if o.Concurrency <= 0 {
		o.Concurrency = concurrency
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{}
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	return o
}

func (o *LLMOptions) sleep(ctx context.Context, d time.Duration) error {
	if o.wait != nil {
		return o.wait(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}

// FromConfig returns the engine the configuration names. The builtin
// engine needs no options; opt tunes the LLM engines.
func FromConfig(cfg config.Engine, opt LLMOptions) (Engine, error) {
	switch cfg.Type {
	case "", config.EngineBuiltin:
		return NewBuiltin(), nil
	case config.EngineOpenAI:
		if opt.ContextTokens <= 0 {
			opt.ContextTokens = cfg.ContextSize
		}
		if cfg.Flavor == config.FlavorOllama {
			return NewOllama(cfg.BaseURL, cfg.APIKey, cfg.Model, opt)
		}
		return NewOpenAI(cfg.BaseURL, cfg.APIKey, cfg.Model, opt)
	case config.EngineGemini:
		return NewGemini(cfg.BaseURL, cfg.APIKey, cfg.Model, opt)
	}
	return nil, fmt.Errorf("summarize: unknown engine %q", cfg.Type)
}

// chatRequest is one request to a model: a system prompt, the prompt,
// and for a repair request the earlier answer and the complaint.
type chatRequest struct {
	System     string
	User       string
	Answer     string // the model's previous answer (repair only)
	Repair     string // what was wrong with it (repair only)
	SchemaName string
	Schema     map[string]any // JSON Schema of the answer
	MaxTokens  int            // output budget
}

// chatResponse is a model's answer.
type chatResponse struct {
	Text             string
	PromptTokens     int
	CompletionTokens int
	Truncated        bool // the output limit cut the answer
}

// backend speaks one provider's API.
type backend interface {
	chat(ctx context.Context, req chatRequest) (chatResponse, error)
	contextTokens() int // the window the budget may use
}

// llmEngine is an Engine over a backend.
type llmEngine struct {
	name    string // recap.EngineOpenAI or recap.EngineGemini
	model   string
	backend backend
	opt     LLMOptions
}

var _ Engine = (*llmEngine)(nil)

// Name returns "openai" or "gemini".
func (e *llmEngine) Name() string { return e.name }

// usage adds up the tokens of every request of a job.
type usage struct {
	mu                 sync.Mutex
	prompt, completion int
}

func (u *usage) add(r chatResponse) {
	u.mu.Lock()
	u.prompt += r.PromptTokens
	u.completion += r.CompletionTokens
	u.mu.Unlock()
}

// errUnusable marks answers that stayed unusable after the repair
// request; Summarize falls back to the builtin engine on it.
var errUnusable = errors.New("the model's answer could not be used")

var errJobTimeout = errors.New("job timed out")

// Summarize makes a recap with the model, or with the builtin engine
// when the model's answers cannot be used (see the header comment).
func (e *llmEngine) Summarize(ctx context.Context, t *recap.Transcript, p Progress) (*recap.Document, error) {
	began := time.Now()
	ctx, cancel := context.WithTimeoutCause(ctx, e.opt.JobTimeout, errJobTimeout)
	defer cancel()
	p.report("segmenting", 0, "cutting the transcript into sentences")
	units := Units(t)
	if len(units) == 0 {
		return nil, fmt.Errorf("%s: %w", e.name, recap.ErrEmptyTranscript)
	}
	r := &run{e: e, t: t, units: units, p: p, use: &usage{}}
	r.fixed, r.fixedTitles = chapterStarts(units, t.Chapters)
	d, err := r.recap(ctx)
	if err != nil {
		if errors.Is(context.Cause(ctx), errJobTimeout) {
			return nil, &LLMError{Kind: ErrTimeout, Engine: e.name, Message: fmt.Sprintf("the recap took longer than %s", e.opt.JobTimeout)}
		}
		if errors.Is(err, errUnusable) {
			return e.fallback(ctx, t, p, r.use, err, began)
		}
		return nil, err
	}
	doc, err := r.assemble(d)
	if err != nil {
		return e.fallback(ctx, t, p, r.use, fmt.Errorf("%w: %v", errUnusable, err), began)
	}
	doc.Stats.Words = t.Words()
	doc.Stats.ElapsedMS = time.Since(began).Milliseconds()
	p.report("summarizing", 1, "recap ready")
	return doc, nil
}

// fallback makes the recap with the builtin engine and says why in
// engine.note. Token usage so far is kept in the stats.
func (e *llmEngine) fallback(ctx context.Context, t *recap.Transcript, p Progress, use *usage, cause error, began time.Time) (*recap.Document, error) {
	e.opt.Log.Warn("llm answer unusable, falling back to builtin", "engine", e.name, "model", e.model, "err", cause)
	p.report("summarizing", 0.5, "the model's answer was unusable; using the builtin engine")
	doc, err := NewBuiltin().Summarize(ctx, t, func(stage string, f float64, msg string) {
		p.report(stage, 0.5+0.5*f, msg)
	})
	if err != nil {
		return nil, err
	}
	reason := strings.TrimPrefix(cause.Error(), errUnusable.Error()+": ")
	doc.Engine.Note = fmt.Sprintf("Made by the builtin engine because the %s model %s gave no usable answer (%s).", e.name, e.model, reason)
	doc.Stats.PromptTokens, doc.Stats.CompletionTokens = use.prompt, use.completion
	doc.Stats.ElapsedMS = time.Since(began).Milliseconds()
	return doc, nil
}

// run is the state of one recap.
type run struct {
	e           *llmEngine
	t           *recap.Transcript
	units       []recap.Unit
	fixed       []int    // creator chapter starts mapped to units; nil without
	fixedTitles []string // their titles
	p           Progress
	use         *usage
	ungrounded  int
	failed      int // map windows whose answers stayed unusable
	windows     int // map windows in all; 0 for a single pass

	toks  []token                 // scratch for grounding
	stems map[int]map[string]bool // unit stems, filled on demand
}

// recap runs a single pass or map-reduce and returns the model's draft.
func (r *run) recap(ctx context.Context) (*draft, error) {
	plan, err := r.plan()
	if err != nil {
		return nil, err
	}
	if len(plan.windows) == 1 {
		r.p.report("summarizing", 0.1, "asking the model for the recap")
		return r.single(ctx, plan)
	}
	return r.mapReduce(ctx, plan)
}

// ask sends a request and parses the answer with check; on failure it
// sends one repair request naming the problem. It returns errUnusable
// (wrapped) when the repaired answer fails too.
func (r *run) ask(ctx context.Context, req chatRequest, check func(text string) (*answer, error)) (*answer, error) {
	res, err := r.e.backend.chat(ctx, req)
	if err != nil {
		return nil, err
	}
	r.use.add(res)
	a, problem := check(res.Text)
	if problem == nil {
		return a, nil
	}
	if res.Truncated {
		problem = fmt.Errorf("%v (the answer was cut off at the output limit; be shorter)", problem)
	}
	r.e.opt.Log.Info("llm answer unusable, asking for a repair", "engine", r.e.name, "problem", problem)
	req.Answer, req.Repair = clipAnswer(res.Text), problem.Error()
	res, err = r.e.backend.chat(ctx, req)
	if err != nil {
		return nil, err
	}
	r.use.add(res)
	a, problem2 := check(res.Text)
	if problem2 != nil {
		return nil, fmt.Errorf("%w: %v", errUnusable, problem2)
	}
	return a, nil
}

// clipAnswer keeps a bad answer short enough to quote in a repair
// request.
func clipAnswer(s string) string {
	const max = 6000
	if len(s) > max {
		return s[:max]
	}
	return s
}
