package summarize

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/recap"
)

// openAI speaks the OpenAI-compatible chat completions API of Ollama's
// /v1, llama.cpp's llama-server, vLLM and hosted services.
type openAI struct {
	c         *caller
	url       string // …/v1/chat/completions
	key       string
	model     string
	ctxTokens int
	stream    bool

	mu sync.Mutex
	// What the server refused with an HTTP 400 once, so later requests
	// of the job leave it out.
	noSchema, noMaxTokens, noStreamOptions bool
}

// NewOpenAI returns an engine that recaps with model on the
// OpenAI-compatible server at baseURL (up to and including /v1; a bare
// host gets /v1). apiKey may be empty for local servers.
func NewOpenAI(baseURL, apiKey, model string, opt LLMOptions) (Engine, error) {
	base, shown, err := apiBase(baseURL, "/v1")
	if err != nil {
		return nil, err
	}
	opt = opt.withDefaults(config.DefaultContextSize, 1)
	b := &openAI{url: base + "/chat/completions", key: apiKey, model: model, ctxTokens: opt.ContextTokens, stream: !opt.NoStream}
	b.c = &caller{engine: recap.EngineOpenAI, baseURL: shown, client: opt.HTTPClient, opt: &opt, log: opt.Log, classify: classifyOpenAI}
	return &llmEngine{name: recap.EngineOpenAI, model: model, backend: b, opt: opt}, nil
}

// apiBase checks a base URL and returns it without a trailing slash
// (with defaultPath when it has no path), and a form safe to show: no
// user information, query or fragment.
func apiBase(raw, defaultPath string) (base, shown string, err error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", "", fmt.Errorf("summarize: base URL %q is not an http(s) URL", raw)
	}
	u.RawQuery, u.Fragment = "", ""
	u.Path = strings.TrimRight(u.Path, "/")
	if u.Path == "" {
		u.Path = defaultPath
	}
	base = u.String()
	u.User = nil
	return base, u.String(), nil
}

func (b *openAI) contextTokens() int { return b.ctxTokens }

type oaMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

func messages(req chatRequest) []oaMessage {
	m := []oaMessage{{"system", req.System}, {"user", req.User}}
	if req.Repair != "" {
		m = append(m, oaMessage{"assistant", req.Answer}, oaMessage{"user", repairPrompt(req.Repair)})
	}
	return m
}

func (b *openAI) body(req chatRequest) ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	body := map[string]any{
		"model":       b.model,
		"messages":    messages(req),
		"temperature": 0.2,
		"stream":      b.stream,
	}
	if b.noMaxTokens {
		body["max_completion_tokens"] = req.MaxTokens
	} else {
		body["max_tokens"] = req.MaxTokens
	}
	if b.noSchema {
		body["response_format"] = map[string]any{"type": "json_object"}
	} else {
		body["response_format"] = map[string]any{
			"type":        "json_schema",
			"json_schema": map[string]any{"name": req.SchemaName, "strict": true, "schema": req.Schema},
		}
	}
	if b.stream && !b.noStreamOptions {
		body["stream_options"] = map[string]any{"include_usage": true}
	}
	return json.Marshal(body)
}

// chat sends the request, leaving out an option the server refused.
func (b *openAI) chat(ctx context.Context, req chatRequest) (chatResponse, error) {
	hdr := http.Header{}
	if b.key != "" {
		hdr.Set("Authorization", "Bearer "+b.key)
	}
	for range 3 {
		body, err := b.body(req)
		if err != nil {
			return chatResponse{}, err
		}
		var out chatResponse
		var streamErr error
		res, err := b.c.post(ctx, b.url, hdr, body, func(r io.Reader) error {
			out, streamErr = b.readStream(r)
			return streamErr
		})
		if err != nil {
			if b.adapt(adaptable(err)) {
				continue
			}
			return chatResponse{}, err
		}
		if res.body != nil {
			return b.readJSON(res.body)
		}
		return out, nil
	}
	return chatResponse{}, &LLMError{Kind: ErrServer, Engine: recap.EngineOpenAI, URL: b.c.baseURL, Message: "the server refused every form of the request"}
}

// adapt records that the server refused an option; it reports whether
// there was something left to change.
func (b *openAI) adapt(what string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case what == "response_format" && !b.noSchema:
		b.noSchema = true
	case what == "max_tokens" && !b.noMaxTokens:
		b.noMaxTokens = true
	case what == "stream_options" && !b.noStreamOptions:
		b.noStreamOptions = true
	default:
		return false
	}
	b.c.log.Info("llm server refused a request option; sending without it", "engine", b.c.engine, "option", what)
	return true
}

// oaCompletion is a chat completion or one streamed chunk of it.
type oaCompletion struct {
	Choices []struct {
		Message *struct {
			Content *string `json:"content"`
			Refusal *string `json:"refusal"`
		} `json:"message"`
		Delta *struct {
			Content *string `json:"content"`
			Refusal *string `json:"refusal"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
	} `json:"usage"`
	Error json.RawMessage `json:"error"`
}

func (b *openAI) readJSON(data []byte) (chatResponse, error) {
	var c oaCompletion
	if err := json.Unmarshal(data, &c); err != nil {
		return chatResponse{}, b.shapeError("the response is not a chat completion")
	}
	if len(c.Error) > 0 && string(c.Error) != "null" {
		le := classifyOpenAI(http.StatusOK, data)
		le.Engine, le.URL = recap.EngineOpenAI, b.c.baseURL
		return chatResponse{}, le
	}
	if len(c.Choices) == 0 || c.Choices[0].Message == nil {
		return chatResponse{}, b.shapeError("the response has no choices")
	}
	var out chatResponse
	m := c.Choices[0].Message
	if m.Refusal != nil && *m.Refusal != "" {
		return out, &LLMError{Kind: ErrBlocked, Engine: recap.EngineOpenAI, URL: b.c.baseURL, Message: "the model refused: " + clip(*m.Refusal)}
	}
	if m.Content != nil {
		out.Text = *m.Content
	}
	if err := b.finish(c.Choices[0].FinishReason, &out); err != nil {
		return out, err
	}
	if c.Usage != nil {
		out.PromptTokens, out.CompletionTokens = c.Usage.PromptTokens, c.Usage.CompletionTokens
	}
	return out, nil
}

// readStream reads server-sent events: "data: {chunk}" lines, the last
// one "data: [DONE]"; usage comes in a chunk of its own.
func (b *openAI) readStream(r io.Reader) (chatResponse, error) {
	var out chatResponse
	var text, refusal strings.Builder
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 8<<20)
	var finish *string
	done := false
	for sc.Scan() {
		line := sc.Text()
		data, ok := strings.CutPrefix(line, "data:")
		if !ok {
			continue
		}
		data = strings.TrimSpace(data)
		if data == "[DONE]" {
			done = true
			break
		}
		var c oaCompletion
		if err := json.Unmarshal([]byte(data), &c); err != nil {
			return out, b.shapeError("a streamed chunk is not JSON")
		}
		if len(c.Error) > 0 && string(c.Error) != "null" {
			le := classifyOpenAI(http.StatusOK, []byte(data))
			le.Engine, le.URL = recap.EngineOpenAI, b.c.baseURL
			return out, le
		}
		if f := c.appendDeltas(&text, &refusal); f != nil {
			finish = f
		}
		if c.Usage != nil {
			out.PromptTokens, out.CompletionTokens = c.Usage.PromptTokens, c.Usage.CompletionTokens
		}
	}
	if err := sc.Err(); err != nil {
		return out, err
	}
	if !done && finish == nil {
		return out, &LLMError{Kind: ErrUnreachable, Engine: recap.EngineOpenAI, URL: b.c.baseURL, Message: "the answer stream ended before it was complete"}
	}
	if refusal.Len() > 0 {
		return out, &LLMError{Kind: ErrBlocked, Engine: recap.EngineOpenAI, URL: b.c.baseURL, Message: "the model refused: " + clip(refusal.String())}
	}
	out.Text = text.String()
	return out, b.finish(finish, &out)
}

// appendDeltas adds the text and refusal pieces of a streamed chunk and
// returns its last finish_reason, if any.
func (c *oaCompletion) appendDeltas(text, refusal *strings.Builder) *string {
	var finish *string
	for _, ch := range c.Choices {
		if d := ch.Delta; d != nil {
			if d.Content != nil {
				text.WriteString(*d.Content)
			}
			if d.Refusal != nil {
				refusal.WriteString(*d.Refusal)
			}
		}
		if ch.FinishReason != nil {
			finish = ch.FinishReason
		}
	}
	return finish
}

// finish reads a finish_reason: "length" marks a truncated answer,
// "content_filter" a blocked one.
func (b *openAI) finish(reason *string, out *chatResponse) error {
	if reason == nil {
		return nil
	}
	switch *reason {
	case "length":
		out.Truncated = true
	case "content_filter":
		return &LLMError{Kind: ErrBlocked, Engine: recap.EngineOpenAI, URL: b.c.baseURL, Message: "the provider's content filter stopped the answer"}
	}
	return nil
}

func (b *openAI) shapeError(msg string) error {
	return &LLMError{Kind: ErrServer, Engine: recap.EngineOpenAI, URL: b.c.baseURL, Message: msg + " (is this an OpenAI-compatible /v1 address?)"}
}
