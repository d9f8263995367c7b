// Package llmtest runs local HTTP servers that behave like the model
// servers the LLM engines speak to: an OpenAI-compatible server (chat
// completions, streamed and not), Ollama's native chat API and Gemini's
// generateContent. Their envelopes and error bodies are the fixtures in
// pkg/summarize/testdata/llm; the "model" inside reads the unit lines of
// the prompt it receives and answers with real unit numbers and key
// points taken from those units, so tests exercise real grounding. A
// Behavior makes a server misbehave the ways real ones do.
//
// It is for tests only and never leaves the loopback interface.
package llmtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Behavior is how a fake server answers.
type Behavior string

// Behaviors.
const (
	OK              Behavior = "ok"                // a valid, grounded answer
	Fenced          Behavior = "fenced"            // the JSON inside ``` fences, with prose before and after
	Truncated       Behavior = "truncated"         // the JSON cut off mid-array, finish reason "length"
	BadThenGood     Behavior = "bad-then-good"     // prose first; a proper answer to the repair request
	Garbage         Behavior = "garbage"           // prose without JSON, every time
	Ungrounded      Behavior = "ungrounded"        // valid JSON whose key points match no unit
	RateLimitOnce   Behavior = "rate-limit-once"   // the first request gets 429 (Retry-After: 3, or Gemini's RetryInfo)
	ServerErrorOnce Behavior = "server-error-once" // the first request gets 503
	ServerErrors    Behavior = "server-errors"     // every request gets 500
	Refusal         Behavior = "refusal"           // OpenAI: message.refusal; Gemini: promptFeedback.blockReason
	Slow            Behavior = "slow"              // no answer until the client gives up
	ContextError    Behavior = "context"           // the provider's context-length error
	LlamaCppContext Behavior = "llamacpp-context"  // llama.cpp's context error body
	VLLMContext     Behavior = "vllm-context"      // vLLM's flat error body
	StreamCut       Behavior = "stream-cut"        // the stream stops halfway without [DONE]
)

// Server is one fake model server.
type Server struct {
	*httptest.Server
	API   string // "openai", "ollama" or "gemini"
	Model string // the one model it knows
	Key   string // the API key it wants; "" accepts any

	fixtures string
	t        testing.TB

	mu       sync.Mutex
	behavior Behavior
	requests []map[string]any // decoded request bodies, in order
	headers  []http.Header
}

// NewOpenAI starts an OpenAI-compatible server; its base URL for the
// engine is URL()+"/v1". fixtures is the testdata/llm folder.
func NewOpenAI(t testing.TB, fixtures, model, key string) *Server {
	return start(t, "openai", fixtures, model, key)
}

// NewOllama starts a server with Ollama's native chat API at /api/chat.
func NewOllama(t testing.TB, fixtures, model string) *Server {
	return start(t, "ollama", fixtures, model, "")
}

// NewGemini starts a server with Gemini's generateContent under
// /v1beta/models/.
func NewGemini(t testing.TB, fixtures, model, key string) *Server {
	return start(t, "gemini", fixtures, model, key)
}

func start(t testing.TB, api, fixtures, model, key string) *Server {
	t.Helper()
	s := &Server{API: api, Model: model, Key: key, fixtures: fixtures, t: t, behavior: OK}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Set changes how the server answers from now on.
func (s *Server) Set(b Behavior) {
	s.mu.Lock()
	s.behavior = b
	s.mu.Unlock()
}

// Requests returns the decoded bodies of the requests so far.
func (s *Server) Requests() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]any(nil), s.requests...)
}

// Headers returns the headers of the requests so far.
func (s *Server) Headers() []http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]http.Header(nil), s.headers...)
}

// fixture reads a fixture file as a generic JSON value.
func (s *Server) fixture(name string) map[string]any {
	data, err := os.ReadFile(filepath.Join(s.fixtures, s.API, name))
	if err != nil {
		s.t.Errorf("llmtest: %v", err)
		return map[string]any{}
	}
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		s.t.Errorf("llmtest: %s: %v", name, err)
	}
	return v
}

func (s *Server) raw(w http.ResponseWriter, status int, name string, hdr map[string]string) {
	data, err := os.ReadFile(filepath.Join(s.fixtures, s.API, name))
	if err != nil {
		s.t.Errorf("llmtest: %v", err)
	}
	for k, v := range hdr {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(data)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// call is one decoded request: the prompt, whether it is a repair
// request, and what the client asked for.
type call struct {
	n      int // 1 for the first request the server saw
	body   map[string]any
	prompt string
	repair bool
	stream bool
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, "bad json", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, body)
	s.headers = append(s.headers, r.Header.Clone())
	c := call{n: len(s.requests), body: body}
	b := s.behavior
	s.mu.Unlock()
	switch s.API {
	case "openai":
		s.serveOpenAI(w, r, b, c)
	case "ollama":
		s.serveOllama(w, r, b, c)
	case "gemini":
		s.serveGemini(w, r, b, c)
	}
}

// slow holds the request until the client gives up (or a minute).
func slow(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(time.Minute):
	}
}

// text is the model's answer to a call under a behavior, and whether it
// was cut off.
func text(b Behavior, c call) (string, bool) {
	switch b {
	case Garbage:
		return "I am sorry, I cannot produce JSON right now, but it was a fine talk about many things.", false
	case BadThenGood:
		if !c.repair {
			return "Sure! Title: a talk. Topics: several. {\"title\": \"A talk\", \"topics\": [", true
		}
	case Ungrounded:
		return answerFor(c.prompt, true), false
	}
	ans := answerFor(c.prompt, false)
	switch b {
	case Fenced:
		return "Here is the recap you asked for:\n```json\n" + ans + "\n```\nLet me know if you want it shorter!", false
	case Truncated:
		return ans[:len(ans)*4/5], true
	}
	return ans, false
}

func words(s string) int { return len(strings.Fields(s)) }

// chunks splits s into pieces of about n bytes, as a stream would.
func chunks(s string, n int) []string {
	var out []string
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	return append(out, s)
}

func flush(w http.ResponseWriter) {
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}

func set(m map[string]any, path string, v any) {
	keys := strings.Split(path, ".")
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			if list, ok := m[k].([]any); ok && len(list) > 0 {
				next, _ = list[0].(map[string]any)
			}
		}
		if next == nil {
			panic(fmt.Sprintf("llmtest: no %s in fixture", path))
		}
		m = next
	}
	m[keys[len(keys)-1]] = v
}
