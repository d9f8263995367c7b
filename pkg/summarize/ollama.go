package summarize

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/recap"
)

// ollama speaks Ollama's native chat API (POST /api/chat), which unlike
// its /v1 API lets each request set the context size (options.num_ctx);
// through /v1 an overlong prompt is cut from the front without a word.
// The engine is still called "openai": it is the same config variant.
type ollama struct {
	c         *caller
	url       string // …/api/chat
	key       string
	model     string
	ctxTokens int
	stream    bool
}

// NewOllama returns an engine that recaps with model on the Ollama
// server at baseURL (its root; a trailing /v1 or /api is dropped).
func NewOllama(baseURL, apiKey, model string, opt LLMOptions) (Engine, error) {
	trimmed := strings.TrimRight(strings.TrimSpace(baseURL), "/")
	trimmed = strings.TrimSuffix(strings.TrimSuffix(trimmed, "/v1"), "/api")
	base, shown, err := apiBase(trimmed, "/")
	if err != nil {
		return nil, err
	}
	base = strings.TrimRight(base, "/")
	opt = opt.withDefaults(config.DefaultContextSize, 1)
	b := &ollama{url: base + "/api/chat", key: apiKey, model: model, ctxTokens: opt.ContextTokens, stream: !opt.NoStream}
	b.c = &caller{engine: recap.EngineOpenAI, baseURL: strings.TrimRight(shown, "/"), client: opt.HTTPClient, opt: &opt, log: opt.Log, classify: classifyOpenAI}
	return &llmEngine{name: recap.EngineOpenAI, model: model, backend: b, opt: opt}, nil
}

func (b *ollama) contextTokens() int { return b.ctxTokens }

// ollamaChunk is one line of the NDJSON stream, or the whole answer
// without streaming; the last has done:true and the token counts.
type ollamaChunk struct {
	Message struct {
		Content string `json:"content"`
	} `json:"message"`
	Done            bool   `json:"done"`
	DoneReason      string `json:"done_reason"`
	PromptEvalCount int    `json:"prompt_eval_count"`
	EvalCount       int    `json:"eval_count"`
	Error           string `json:"error"`
}

func (b *ollama) chat(ctx context.Context, req chatRequest) (chatResponse, error) {
	body, err := json.Marshal(map[string]any{
		"model":    b.model,
		"messages": messages(req),
		"stream":   b.stream,
		"format":   req.Schema,
		"options": map[string]any{
			"num_ctx":     b.ctxTokens,
			"num_predict": req.MaxTokens,
			"temperature": 0.2,
		},
	})
	if err != nil {
		return chatResponse{}, err
	}
	hdr := http.Header{}
	if b.key != "" {
		hdr.Set("Authorization", "Bearer "+b.key)
	}
	var out chatResponse
	res, err := b.c.post(ctx, b.url, hdr, body, func(r io.Reader) error {
		var rerr error
		out, rerr = b.read(r)
		return rerr
	})
	if err != nil {
		return chatResponse{}, err
	}
	if res.body != nil {
		return b.read(bytes.NewReader(res.body))
	}
	return out, nil
}

// read reads NDJSON chunks until done:true.
func (b *ollama) read(r io.Reader) (chatResponse, error) {
	var out chatResponse
	var text strings.Builder
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 8<<20)
	done := false
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var c ollamaChunk
		if err := json.Unmarshal(line, &c); err != nil {
			return out, &LLMError{Kind: ErrServer, Engine: recap.EngineOpenAI, URL: b.c.baseURL, Message: "the response is not Ollama's chat API (is this an Ollama server?)"}
		}
		if c.Error != "" {
			le := classifyOpenAI(http.StatusOK, line)
			le.Engine, le.URL = recap.EngineOpenAI, b.c.baseURL
			return out, le
		}
		text.WriteString(c.Message.Content)
		if c.Done {
			done = true
			out.PromptTokens, out.CompletionTokens = c.PromptEvalCount, c.EvalCount
			out.Truncated = c.DoneReason == "length"
			break
		}
	}
	if err := sc.Err(); err != nil {
		return out, err
	}
	if !done {
		return out, &LLMError{Kind: ErrUnreachable, Engine: recap.EngineOpenAI, URL: b.c.baseURL, Message: "the answer stream ended before done"}
	}
	out.Text = text.String()
	return out, nil
}
