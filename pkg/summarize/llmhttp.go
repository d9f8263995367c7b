package summarize

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Kinds of LLM failure. An *LLMError wraps exactly one of them, so callers
// test with errors.Is and people read the message.
var (
	// ErrUnreachable: no connection to the server (wrong address, server
	// down, DNS).
	ErrUnreachable = errors.New("server unreachable")
	// ErrAuth: the server refused the API key (or wants one).
	ErrAuth = errors.New("API key refused")
	// ErrUnknownModel: the server does not know the configured model.
	ErrUnknownModel = errors.New("unknown model")
	// ErrContextTooSmall: the prompt does not fit the model's context.
	ErrContextTooSmall = errors.New("context too small")
	// ErrBlocked: the provider refused the content (safety filter or a
	// refusal from the model).
	ErrBlocked = errors.New("content blocked")
	// ErrRateLimited: still rate limited after the retries.
	ErrRateLimited = errors.New("rate limited")
	// ErrServer: the server failed (5xx after the retries, or a response
	// that is not the API's shape).
	ErrServer = errors.New("server error")
	// ErrTimeout: a request or the whole job took longer than allowed.
	ErrTimeout = errors.New("timed out")
)

// LLMError is a failed call to a model server. Message is the server's
// own explanation when it gave one; it never contains the prompt.
type LLMError struct {
	Kind    error  // one of the Err* kinds above
	Engine  string // "openai" or "gemini"
	URL     string // the server's base address (no key, no query)
	Status  int    // HTTP status, 0 when there was no response
	Message string
}

func (e *LLMError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", e.Engine, e.Kind)
	if e.URL != "" {
		fmt.Fprintf(&b, " at %s", e.URL)
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	return b.String()
}

// Unwrap returns the kind.
func (e *LLMError) Unwrap() error { return e.Kind }

// caller sends JSON requests to one model server with per-request
// timeouts and retries on 429 and 5xx, honouring Retry-After.
type caller struct {
	engine  string
	baseURL string // for messages
	client  *http.Client
	opt     *LLMOptions
	log     *slog.Logger
	// classify turns an error response into an *LLMError.
	classify func(status int, body []byte) *LLMError
	// retryAfter, when set, reads a provider-specific retry delay from
	// an error body (Gemini's RetryInfo).
	retryAfter func(body []byte) time.Duration
}

// response is a successful HTTP response, read to the end.
type response struct {
	contentType string
	body        []byte
}

// post sends body to url and returns the successful response. Header
// values in hdr are added (the API key travels there, never in the URL
// or in messages).
func (c *caller) post(ctx context.Context, url string, hdr http.Header, body []byte, stream func(io.Reader) error) (*response, error) {
	for attempt := 0; ; attempt++ {
		res, wait, err := c.try(ctx, url, hdr, body, stream)
		if err == nil {
			return res, nil
		}
		var le *LLMError
		retryable := errors.As(err, &le) && (le.Status == http.StatusTooManyRequests || le.Status >= 500)
		if !retryable || attempt >= c.opt.MaxRetries {
			return nil, err
		}
		if wait <= 0 {
			wait = c.opt.RetryBase << attempt
		}
		if wait > c.opt.MaxRetryWait {
			// The server asks for longer than we are willing to wait.
			return nil, err
		}
		c.log.Warn("llm request failed, retrying", "engine", c.engine, "status", le.Status, "attempt", attempt+1, "wait_ms", wait.Milliseconds())
		if err := c.opt.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// try makes one request. On a retryable failure it also returns how long
// the server asked us to wait (0 when it did not say).
func (c *caller) try(ctx context.Context, url string, hdr http.Header, body []byte, stream func(io.Reader) error) (*response, time.Duration, error) {
	rctx, cancel := context.WithTimeoutCause(ctx, c.opt.RequestTimeout, errRequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, 0, &LLMError{Kind: ErrUnreachable, Engine: c.engine, URL: c.baseURL, Message: "bad address"}
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, 0, c.transportError(ctx, rctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		le := c.classify(resp.StatusCode, data)
		le.Engine, le.URL, le.Status = c.engine, c.baseURL, resp.StatusCode
		wait := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		if wait == 0 && c.retryAfter != nil {
			wait = c.retryAfter(data)
		}
		return nil, wait, le
	}
	ct := resp.Header.Get("Content-Type")
	if stream != nil && (strings.HasPrefix(ct, "text/event-stream") || strings.HasPrefix(ct, "application/x-ndjson")) {
		if err := stream(resp.Body); err != nil {
			if rctx.Err() != nil {
				return nil, 0, c.transportError(ctx, rctx, err)
			}
			return nil, 0, err
		}
		return &response{contentType: ct}, 0, nil
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, 0, c.transportError(ctx, rctx, err)
	}
	return &response{contentType: ct, body: data}, 0, nil
}

var errRequestTimeout = errors.New("request timed out")

// transportError names what went wrong below HTTP: our own cancellation,
// a timeout, or a server we cannot reach.
func (c *caller) transportError(ctx, rctx context.Context, err error) error {
	if ctx.Err() != nil {
		// The job was cancelled or ran out of time: report that as is.
		return context.Cause(ctx)
	}
	if errors.Is(context.Cause(rctx), errRequestTimeout) {
		return &LLMError{Kind: ErrTimeout, Engine: c.engine, URL: c.baseURL, Message: fmt.Sprintf("no complete answer within %s", c.opt.RequestTimeout)}
	}
	msg := "could not connect"
	var op *net.OpError
	var dns *net.DNSError
	switch {
	case errors.As(err, &dns):
		msg = "host name not found"
	case errors.As(err, &op) && op.Op == "dial":
		msg = "connection refused or no route"
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		msg = "the connection closed before the answer was complete"
	}
	return &LLMError{Kind: ErrUnreachable, Engine: c.engine, URL: c.baseURL, Message: msg}
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP
// date. It returns 0 when the header is absent or unreadable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s < 0 {
			return 0
		}
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// errorBody reads the error shapes of OpenAI-compatible servers:
// {"error":{"message","type","code"}} (OpenAI, llama.cpp, Ollama /v1),
// {"error":"text"} (Ollama native) and {"object":"error","message",
// "type","code"} (vLLM).
type errorBody struct {
	Error   json.RawMessage `json:"error"`
	Message string          `json:"message"`
	Type    string          `json:"type"`
}

type errorDetail struct {
	Message string          `json:"message"`
	Type    string          `json:"type"`
	Code    json.RawMessage `json:"code"`
	Status  string          `json:"status"` // Gemini
}

// parseErrorBody returns the message, type and code of an error body,
// whichever shape it has. Unknown bodies give their first line.
func parseErrorBody(data []byte) (msg, typ, code string) {
	var b errorBody
	if json.Unmarshal(data, &b) == nil {
		var d errorDetail
		var s string
		switch {
		case len(b.Error) > 0 && json.Unmarshal(b.Error, &d) == nil && (d.Message != "" || d.Type != ""):
			code = strings.Trim(string(d.Code), `"`)
			if d.Status != "" {
				code = d.Status
			}
			return clip(d.Message), d.Type, code
		case len(b.Error) > 0 && json.Unmarshal(b.Error, &s) == nil:
			return clip(s), "", ""
		case b.Message != "":
			return clip(b.Message), b.Type, ""
		}
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(data)), "\n")
	return clip(line), "", ""
}

// clip shortens a server message for errors and logs.
func clip(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// classifyOpenAI maps an OpenAI-compatible error response to a kind.
func classifyOpenAI(status int, body []byte) *LLMError {
	msg, typ, code := parseErrorBody(body)
	lower := strings.ToLower(msg + " " + typ + " " + code)
	e := &LLMError{Message: msg, Kind: ErrServer}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden || containsAny(lower, []string{"api key", "api_key"}):
		e.Kind = ErrAuth
	case contextTooSmall(lower):
		e.Kind = ErrContextTooSmall
	case unknownModel(status, lower, code):
		e.Kind = ErrUnknownModel
	case status == http.StatusNotFound:
		e.Message = "no chat API at this address; check that the base URL ends in /v1"
	case status == http.StatusTooManyRequests:
		e.Kind = ErrRateLimited
	case containsAny(lower, []string{"content_filter", "content management policy", "safety"}):
		e.Kind = ErrBlocked
	case status < 500 && e.Message == "":
		e.Message = "the server refused the request"
	}
	return e
}

// contextTooSmall reports whether a lower-cased error says the prompt
// does not fit the model's context.
func contextTooSmall(lower string) bool {
	return strings.Contains(lower, "context") && containsAny(lower, []string{"length", "size", "exceed"}) ||
		containsAny(lower, []string{"too many tokens", "prompt is too long"})
}

// unknownModel reports whether an error says the model does not exist.
func unknownModel(status int, lower, code string) bool {
	if code == "model_not_found" {
		return true
	}
	if !strings.Contains(lower, "model") {
		return false
	}
	return status == http.StatusNotFound || containsAny(lower, []string{"not found", "does not exist"})
}

// adaptable reports which request option an HTTP 400 complains about, so
// the request can be sent again without it: "response_format",
// "max_tokens" or "stream_options"; "" when none.
func adaptable(err error) string {
	var le *LLMError
	if !errors.As(err, &le) || le.Status != http.StatusBadRequest {
		return ""
	}
	lower := strings.ToLower(le.Message)
	switch {
	case strings.Contains(lower, "max_completion_tokens") || (strings.Contains(lower, "max_tokens") && strings.Contains(lower, "unsupported")):
		return "max_tokens"
	case strings.Contains(lower, "response_format") || strings.Contains(lower, "json_schema") || strings.Contains(lower, "grammar"):
		return "response_format"
	case strings.Contains(lower, "stream_options"):
		return "stream_options"
	}
	return ""
}
