package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/recap"
	"github.com/recap-startos/recap/pkg/summarize/llmtest"
)

// hourTalk is a real podcast transcript of about an hour, with section
// headings that become chapters.
var hourTalk = filepath.Join("..", "..", "testdata", "talks", "chaincode-podcast_watchtowers-lightning-privacy.md")

const llmFixtures = "../../pkg/summarize/testdata/llm"

// dataWithConfig makes a data folder whose config.yaml holds yaml.
func dataWithConfig(t *testing.T, yaml string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Dir(config.Path(dir)), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(config.Path(dir), []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// summarizeWith runs recap summarize with an engine and returns the
// validated document.
func summarizeWith(t *testing.T, data, engine string) *recap.Document {
	t.Helper()
	code, out, errOut := runCLI(t, "", "summarize", "--quiet", "--data", data, "--engine", engine, hourTalk)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc recap.Document
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("stdout is not a recap document: %v", err)
	}
	if err := doc.Validate(); err != nil {
		t.Fatal(err)
	}
	return &doc
}

// wordsOf lower-cases text and strips punctuation from its words.
func wordsOf(text string) []string {
	var out []string
	for _, w := range strings.Fields(strings.ToLower(text)) {
		if w = strings.Trim(w, `.,;:!?"'()…`); w != "" {
			out = append(out, w)
		}
	}
	return out
}

// checkLLMRecap asserts an LLM recap: its engine, a real recap, and key
// points whose words all come from their units.
func checkLLMRecap(t *testing.T, doc *recap.Document, engine string) {
	t.Helper()
	if doc.Engine.Name != engine || doc.Engine.Model == "" || doc.Engine.Note != "" {
		t.Fatalf("engine = %+v", doc.Engine)
	}
	if len(doc.Topics) < 5 || doc.Stats.Ungrounded == 0 || doc.Stats.PromptTokens == 0 {
		t.Fatalf("%d topics, stats %+v", len(doc.Topics), doc.Stats)
	}
	for _, tp := range doc.Topics {
		for _, s := range tp.Segments {
			unit := " " + strings.Join(wordsOf(doc.Transcript[s.Unit].Text), " ") + " "
			for _, w := range wordsOf(s.Text) {
				if !strings.Contains(unit, " "+w+" ") {
					t.Fatalf("key point %q has %q, not in unit %d: %q", s.Text, w, s.Unit, doc.Transcript[s.Unit].Text)
				}
			}
		}
	}
}

func TestSummarizeWithOpenAIServer(t *testing.T) {
	srv := llmtest.NewOpenAI(t, llmFixtures, "llama3.1:8b", "")
	data := dataWithConfig(t, fmt.Sprintf("engine:\n  type: openai\n  base-url: %s/v1\n  model: llama3.1:8b\n  context-size: 8192\n", srv.URL))
	doc := summarizeWith(t, data, "openai")
	checkLLMRecap(t, doc, recap.EngineOpenAI)
	if n := len(srv.Requests()); n < 4 {
		t.Fatalf("%d requests: an hour in an 8k context should be read in windows", n)
	}
}

func TestSummarizeWithOllamaServer(t *testing.T) {
	srv := llmtest.NewOllama(t, llmFixtures, "qwen2.5:7b")
	data := dataWithConfig(t, fmt.Sprintf("engine:\n  type: openai\n  flavor: ollama\n  base-url: %s\n  model: qwen2.5:7b\n  context-size: 32768\n", srv.URL))
	doc := summarizeWith(t, data, "openai")
	checkLLMRecap(t, doc, recap.EngineOpenAI)
	opts, _ := srv.Requests()[0]["options"].(map[string]any)
	if opts["num_ctx"] != float64(32768) {
		t.Fatalf("num_ctx = %v", opts["num_ctx"])
	}
}

func TestSummarizeWithGemini(t *testing.T) {
	srv := llmtest.NewGemini(t, llmFixtures, "gemini-2.5-flash", "AIza-local")
	t.Setenv("RECAP_GEMINI_BASE_URL", srv.URL)
	data := dataWithConfig(t, "engine:\n  type: gemini\n  api-key: AIza-local\n")
	doc := summarizeWith(t, data, "gemini")
	checkLLMRecap(t, doc, recap.EngineGemini)
	if n := len(srv.Requests()); n != 1 {
		t.Fatalf("%d requests: an hour fits Gemini's context in one", n)
	}
}

func TestSummarizeGarbageFallsBackToBuiltin(t *testing.T) {
	srv := llmtest.NewOpenAI(t, llmFixtures, "llama3.1:8b", "")
	srv.Set(llmtest.Garbage)
	data := dataWithConfig(t, fmt.Sprintf("engine:\n  type: openai\n  base-url: %s/v1\n  model: llama3.1:8b\n  context-size: 131072\n", srv.URL))
	doc := summarizeWith(t, data, "openai")
	if doc.Engine.Name != recap.EngineBuiltin || !strings.Contains(doc.Engine.Note, "builtin engine") || !strings.Contains(doc.Engine.Note, "llama3.1:8b") {
		t.Fatalf("engine = %+v", doc.Engine)
	}
	if n := len(srv.Requests()); n != 2 {
		t.Fatalf("%d requests, want the request and one repair", n)
	}
}

func TestSummarizeEngineErrors(t *testing.T) {
	srv := llmtest.NewOpenAI(t, llmFixtures, "llama3.1:8b", "sk-right")
	cases := []struct {
		name, yaml, engine string
		code               int
		stderr             string
	}{
		{"engine not configured", "", "openai", 2, "engine.type openai"},
		{"other engine configured", "engine:\n  type: gemini\n  api-key: k\n", "openai", 2, "it is gemini"},
		{"unknown engine", "", "magic", 2, "available: builtin, openai, gemini"},
		{"bad config", "engine:\n  type: openai\n  model: m\n", "openai", 2, "engine.base-url"},
		{"bad key", fmt.Sprintf("engine:\n  type: openai\n  base-url: %s/v1\n  api-key: sk-wrong\n  model: llama3.1:8b\n", srv.URL), "openai", 1, "API key refused"},
		{"unknown model", fmt.Sprintf("engine:\n  type: openai\n  base-url: %s/v1\n  api-key: sk-right\n  model: nope\n", srv.URL), "openai", 1, "unknown model"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := dataWithConfig(t, tc.yaml)
			code, _, errOut := runCLI(t, "", "summarize", "--quiet", "--data", data, "--engine", tc.engine, hourTalk)
			if code != tc.code || !strings.Contains(errOut, tc.stderr) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, errOut, tc.code, tc.stderr)
			}
			if strings.Contains(errOut, "sk-wrong") {
				t.Fatalf("the key leaked: %s", errOut)
			}
		})
	}
}
