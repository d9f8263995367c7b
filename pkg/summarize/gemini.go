package summarize

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/recap-startos/recap/pkg/recap"
)

// DefaultGeminiBaseURL is where the gemini engine reaches Google's
// Generative Language API.
const DefaultGeminiBaseURL = "https://generativelanguage.googleapis.com"

// geminiContextTokens is the input window of current Gemini models.
const geminiContextTokens = 1_048_576

// gemini speaks the Generative Language API's generateContent. The key
// travels in the x-goog-api-key header, never in the URL.
type gemini struct {
	c     *caller
	url   string // …/v1beta/models/MODEL:generateContent
	key   string
	model string
	ctx   int
}

// NewGemini returns an engine that recaps with a Gemini model. baseURL
// may be empty for Google's own address.
func NewGemini(baseURL, apiKey, model string, opt LLMOptions) (Engine, error) {
	if baseURL == "" {
		baseURL = DefaultGeminiBaseURL
	}
	base, shown, err := apiBase(baseURL, "")
	if err != nil {
		return nil, err
	}
	base = strings.TrimRight(base, "/")
	opt = opt.withDefaults(geminiContextTokens, 4)
	b := &gemini{
		url: base + "/v1beta/models/" + url.PathEscape(model) + ":generateContent",
		key: apiKey, model: model, ctx: opt.ContextTokens,
	}
	b.c = &caller{engine: recap.EngineGemini, baseURL: shown, client: opt.HTTPClient, opt: &opt, log: opt.Log,
		classify: classifyGemini, retryAfter: geminiRetryDelay}
	return &llmEngine{name: recap.EngineGemini, model: model, backend: b, opt: opt}, nil
}

func (b *gemini) contextTokens() int { return b.ctx }

type geminiPart struct {
	Text    string `json:"text"`
	Thought bool   `json:"thought,omitempty"`
}

type geminiContent struct {
	Role  string       `json:"role,omitempty"`
	Parts []geminiPart `json:"parts"`
}

func (b *gemini) chat(ctx context.Context, req chatRequest) (chatResponse, error) {
	contents := []geminiContent{{Role: "user", Parts: []geminiPart{{Text: req.User}}}}
	if req.Repair != "" {
		contents = append(contents,
			geminiContent{Role: "model", Parts: []geminiPart{{Text: req.Answer}}},
			geminiContent{Role: "user", Parts: []geminiPart{{Text: repairPrompt(req.Repair)}}})
	}
	body, err := json.Marshal(map[string]any{
		"systemInstruction": geminiContent{Parts: []geminiPart{{Text: req.System}}},
		"contents":          contents,
		"generationConfig": map[string]any{
			"temperature":      0.2,
			"responseMimeType": "application/json",
			"responseSchema":   geminiSchema(req.Schema),
		},
	})
	if err != nil {
		return chatResponse{}, err
	}
	hdr := http.Header{}
	hdr.Set("x-goog-api-key", b.key)
	res, err := b.c.post(ctx, b.url, hdr, body, nil)
	if err != nil {
		return chatResponse{}, err
	}
	return b.read(res.body)
}

type geminiResponse struct {
	Candidates []struct {
		Content      geminiContent `json:"content"`
		FinishReason string        `json:"finishReason"`
	} `json:"candidates"`
	PromptFeedback *struct {
		BlockReason string `json:"blockReason"`
	} `json:"promptFeedback"`
	UsageMetadata *struct {
		PromptTokenCount     int `json:"promptTokenCount"`
		CandidatesTokenCount int `json:"candidatesTokenCount"`
		ThoughtsTokenCount   int `json:"thoughtsTokenCount"`
	} `json:"usageMetadata"`
}

func (b *gemini) read(data []byte) (chatResponse, error) {
	var r geminiResponse
	if err := json.Unmarshal(data, &r); err != nil {
		return chatResponse{}, &LLMError{Kind: ErrServer, Engine: recap.EngineGemini, URL: b.c.baseURL, Message: "the response is not a generateContent answer"}
	}
	var out chatResponse
	if u := r.UsageMetadata; u != nil {
		out.PromptTokens, out.CompletionTokens = u.PromptTokenCount, u.CandidatesTokenCount+u.ThoughtsTokenCount
	}
	if r.PromptFeedback != nil && r.PromptFeedback.BlockReason != "" {
		return out, &LLMError{Kind: ErrBlocked, Engine: recap.EngineGemini, URL: b.c.baseURL, Message: "Gemini blocked the transcript (" + r.PromptFeedback.BlockReason + ")"}
	}
	if len(r.Candidates) == 0 {
		return out, &LLMError{Kind: ErrServer, Engine: recap.EngineGemini, URL: b.c.baseURL, Message: "the answer has no candidates"}
	}
	c := r.Candidates[0]
	switch c.FinishReason {
	case "", "STOP", "FINISH_REASON_UNSPECIFIED", "OTHER":
	case "MAX_TOKENS":
		out.Truncated = true
	default: // SAFETY, RECITATION, PROHIBITED_CONTENT, BLOCKLIST, SPII, …
		return out, &LLMError{Kind: ErrBlocked, Engine: recap.EngineGemini, URL: b.c.baseURL, Message: "Gemini stopped the answer (" + c.FinishReason + ")"}
	}
	var text strings.Builder
	for _, p := range c.Content.Parts {
		if !p.Thought {
			text.WriteString(p.Text)
		}
	}
	out.Text = text.String()
	return out, nil
}

// classifyGemini maps a Google API error ({"error":{"code","message",
// "status","details"}}) to a kind.
func classifyGemini(status int, body []byte) *LLMError {
	msg, _, code := parseErrorBody(body)
	lower := strings.ToLower(msg)
	e := &LLMError{Message: msg}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden || code == "UNAUTHENTICATED" || code == "PERMISSION_DENIED",
		strings.Contains(lower, "api key") || strings.Contains(string(body), "API_KEY_INVALID"):
		e.Kind = ErrAuth
	case status == http.StatusNotFound || code == "NOT_FOUND":
		e.Kind = ErrUnknownModel
	case status == http.StatusTooManyRequests || code == "RESOURCE_EXHAUSTED":
		e.Kind = ErrRateLimited
	case strings.Contains(lower, "token") && (strings.Contains(lower, "exceed") || strings.Contains(lower, "too long")):
		e.Kind = ErrContextTooSmall
	default:
		e.Kind = ErrServer
	}
	return e
}

// geminiRetryDelay reads the RetryInfo detail of a 429 ("retryDelay":
// "7s"), 0 when there is none.
func geminiRetryDelay(body []byte) time.Duration {
	var b struct {
		Error struct {
			Details []struct {
				Type       string `json:"@type"`
				RetryDelay string `json:"retryDelay"`
			} `json:"details"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &b) != nil {
		return 0
	}
	for _, d := range b.Error.Details {
		if strings.HasSuffix(d.Type, "RetryInfo") && d.RetryDelay != "" {
			if dur, err := time.ParseDuration(d.RetryDelay); err == nil && dur > 0 {
				return dur
			}
		}
	}
	return 0
}

// geminiSchema converts a JSON Schema to the OpenAPI subset of
// responseSchema: upper-case types, no additionalProperties, and
// propertyOrdering so the title comes first.
func geminiSchema(s map[string]any) map[string]any {
	out := make(map[string]any, len(s))
	for k, v := range s {
		switch k {
		case "additionalProperties":
			continue
		case "type":
			if t, ok := v.(string); ok {
				v = strings.ToUpper(t)
			}
		case "items":
			if m, ok := v.(map[string]any); ok {
				v = geminiSchema(m)
			}
		case "properties":
			props := v.(map[string]any)
			conv := make(map[string]any, len(props))
			for name, p := range props {
				conv[name] = geminiSchema(p.(map[string]any))
			}
			v = conv
			out["propertyOrdering"] = propertyOrder(props)
		}
		out[k] = v
	}
	return out
}

// propertyOrder lists properties in the order answers read best.
func propertyOrder(props map[string]any) []string {
	var order []string
	for _, name := range []string{"title", "summary", "keywords", "topics", "start_unit", "key_points", "unit", "text"} {
		if _, ok := props[name]; ok {
			order = append(order, name)
		}
	}
	return order
}
