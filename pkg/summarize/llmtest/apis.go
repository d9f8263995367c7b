package llmtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// serveOpenAI answers POST /v1/chat/completions.
func (s *Server) serveOpenAI(w http.ResponseWriter, r *http.Request, b Behavior, c call) {
	if r.URL.Path != "/v1/chat/completions" {
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	}
	if s.Key != "" && r.Header.Get("Authorization") != "Bearer "+s.Key {
		s.raw(w, http.StatusUnauthorized, "error_invalid_api_key.json", nil)
		return
	}
	if c.body["model"] != s.Model {
		s.raw(w, http.StatusNotFound, "error_model_not_found.json", nil)
		return
	}
	msgs, _ := c.body["messages"].([]any)
	for i, m := range msgs {
		mm, _ := m.(map[string]any)
		if i == 1 {
			c.prompt, _ = mm["content"].(string)
		}
	}
	c.repair = len(msgs) > 2
	c.stream, _ = c.body["stream"].(bool)
	if s.refuseCommon(w, r, b, c) {
		return
	}
	if e, ok := openAIErrors[b]; ok {
		s.raw(w, e.status, e.file, nil)
		return
	}
	out, cut := text(b, c)
	finish := "stop"
	if cut {
		finish = "length"
	}
	u := usage{words(c.prompt) * 4 / 3, words(out) * 4 / 3}
	if !c.stream {
		resp := s.fixture("completion.json")
		set(resp, "choices.message.content", out)
		set(resp, "choices.finish_reason", finish)
		set(resp, "model", s.Model)
		u.set(resp)
		writeJSON(w, resp)
		return
	}
	opts, _ := c.body["stream_options"].(map[string]any)
	s.streamOpenAI(w, b, out, finish, u, opts["include_usage"] == true)
}

// openAIErrors are the fixed answers of the behaviors that fail.
var openAIErrors = map[Behavior]struct {
	status int
	file   string
}{
	Refusal:         {http.StatusOK, "refusal.json"},
	ContextError:    {http.StatusBadRequest, "error_context_length.json"},
	LlamaCppContext: {http.StatusBadRequest, "error_llamacpp_context.json"},
	VLLMContext:     {http.StatusBadRequest, "error_vllm_context.json"},
}

// usage is a call's token counts, estimated from words.
type usage struct{ prompt, completion int }

func (u usage) set(v map[string]any) {
	set(v, "usage.prompt_tokens", u.prompt)
	set(v, "usage.completion_tokens", u.completion)
	set(v, "usage.total_tokens", u.prompt+u.completion)
}

// streamOpenAI sends out as server-sent chunks, the last with finish
// reason finish, then the usage when asked and [DONE]. StreamCut stops
// half-way.
func (s *Server) streamOpenAI(w http.ResponseWriter, b Behavior, out, finish string, u usage, withUsage bool) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	pieces := chunks(out, 48)
	for i, p := range pieces {
		if b == StreamCut && i == len(pieces)/2 {
			return
		}
		ch := s.fixture("chunk.json")
		set(ch, "choices.delta.content", p)
		if i == len(pieces)-1 {
			set(ch, "choices.finish_reason", finish)
		}
		sse(w, ch)
	}
	if withUsage {
		uc := s.fixture("usage_chunk.json")
		u.set(uc)
		sse(w, uc)
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
	flush(w)
}

func sse(w http.ResponseWriter, v any) {
	data, _ := json.Marshal(v)
	fmt.Fprintf(w, "data: %s\n\n", data)
	flush(w)
}

// refuseCommon handles the behaviors every API shares: slowness, rate
// limits and server errors. It reports whether it answered.
func (s *Server) refuseCommon(w http.ResponseWriter, r *http.Request, b Behavior, c call) bool {
	switch {
	case b == Slow:
		slow(r)
		return true
	case b == RateLimitOnce && c.n == 1:
		if s.API == "gemini" {
			s.raw(w, http.StatusTooManyRequests, "error_quota.json", nil)
		} else {
			s.raw(w, http.StatusTooManyRequests, "error_rate_limit.json", map[string]string{"Retry-After": "3"})
		}
		return true
	case b == ServerErrorOnce && c.n == 1, b == ServerErrors:
		if s.API == "openai" {
			s.raw(w, http.StatusServiceUnavailable, "error_server.json", nil)
		} else {
			http.Error(w, `{"error":"upstream unavailable"}`, http.StatusServiceUnavailable)
		}
		return true
	}
	return false
}

// serveOllama answers POST /api/chat with NDJSON (or one object when
// stream is false).
func (s *Server) serveOllama(w http.ResponseWriter, r *http.Request, b Behavior, c call) {
	if r.URL.Path != "/api/chat" {
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	}
	if c.body["model"] != s.Model {
		s.raw(w, http.StatusNotFound, "error_model.json", nil)
		return
	}
	msgs, _ := c.body["messages"].([]any)
	if len(msgs) > 1 {
		c.prompt, _ = msgs[1].(map[string]any)["content"].(string)
	}
	c.repair = len(msgs) > 2
	c.stream = c.body["stream"] != false
	if s.refuseCommon(w, r, b, c) {
		return
	}
	out, cut := text(b, c)
	done := s.fixture("done.json")
	set(done, "model", s.Model)
	set(done, "prompt_eval_count", words(c.prompt)*4/3)
	set(done, "eval_count", words(out)*4/3)
	if cut {
		set(done, "done_reason", "length")
	}
	if !c.stream {
		set(done, "message.content", out)
		writeJSON(w, done)
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	enc := json.NewEncoder(w)
	pieces := chunks(out, 48)
	for i, p := range pieces {
		if b == StreamCut && i == len(pieces)/2 {
			return
		}
		ch := s.fixture("chunk.json")
		set(ch, "model", s.Model)
		set(ch, "message.content", p)
		enc.Encode(ch)
		flush(w)
	}
	enc.Encode(done)
	flush(w)
}

// serveGemini answers POST /v1beta/models/MODEL:generateContent.
func (s *Server) serveGemini(w http.ResponseWriter, r *http.Request, b Behavior, c call) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/v1beta/models/")
	model, okSuffix := strings.CutSuffix(rest, ":generateContent")
	if !ok || !okSuffix {
		http.Error(w, "404 page not found", http.StatusNotFound)
		return
	}
	if s.Key != "" && r.Header.Get("x-goog-api-key") != s.Key {
		s.raw(w, http.StatusBadRequest, "error_api_key.json", nil)
		return
	}
	if model != s.Model {
		s.raw(w, http.StatusNotFound, "error_not_found.json", nil)
		return
	}
	contents, _ := c.body["contents"].([]any)
	if len(contents) > 0 {
		parts, _ := contents[0].(map[string]any)["parts"].([]any)
		if len(parts) > 0 {
			c.prompt, _ = parts[0].(map[string]any)["text"].(string)
		}
	}
	c.repair = len(contents) > 1
	if s.refuseCommon(w, r, b, c) {
		return
	}
	switch b {
	case Refusal:
		s.raw(w, http.StatusOK, "blocked.json", nil)
		return
	case ContextError, LlamaCppContext, VLLMContext:
		s.raw(w, http.StatusBadRequest, "error_too_long.json", nil)
		return
	}
	out, cut := text(b, c)
	resp := s.fixture("response.json")
	set(resp, "candidates.content.parts", []any{map[string]any{"text": out}})
	if cut {
		set(resp, "candidates.finishReason", "MAX_TOKENS")
	}
	set(resp, "modelVersion", s.Model)
	set(resp, "usageMetadata.promptTokenCount", words(c.prompt)*4/3)
	set(resp, "usageMetadata.candidatesTokenCount", words(out)*4/3)
	set(resp, "usageMetadata.totalTokenCount", (words(c.prompt)+words(out))*4/3)
	writeJSON(w, resp)
}
