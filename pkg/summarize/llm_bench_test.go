package summarize

import (
	"context"
	"sync"
	"testing"

	"github.com/recap-startos/recap/pkg/recap"
	"github.com/recap-startos/recap/pkg/summarize/llmtest"
)

// instant is a backend that answers at once, from the fake model; its
// answers are remembered so a benchmark times the engine, not the fake.
// With fence set the answers come in code fences with prose around, so
// extraction does its work.
type instant struct {
	ctx   int
	fence bool

	mu      sync.Mutex
	answers map[string]string
}

func (b *instant) contextTokens() int { return b.ctx }

func (b *instant) chat(ctx context.Context, req chatRequest) (chatResponse, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.answers == nil {
		b.answers = make(map[string]string)
	}
	a, ok := b.answers[req.User]
	if !ok {
		a = llmtest.Answer(req.User)
		if b.fence {
			a = "Here you are:\n```json\n" + a + "\n```\nAnything else?"
		}
		b.answers[req.User] = a
	}
	return chatResponse{Text: a, PromptTokens: len(req.User) / 4, CompletionTokens: len(a) / 4}, nil
}

// benchmarkLLM times an LLM engine's own work on a long transcript
// (units, windows, prompts, JSON extraction, assembly, grounding,
// validation) against an instant in-process model.
func benchmarkLLM(b *testing.B, hours float64, ctxTokens int) {
	tr := longTranscript(b, hours)
	be := &instant{ctx: ctxTokens, fence: true}
	e := &llmEngine{name: recap.EngineOpenAI, model: "bench", backend: be, opt: LLMOptions{}.withDefaults(ctxTokens, 4)}
	// Warm the fake's answers outside the timing.
	if _, err := e.Summarize(context.Background(), &tr, nil); err != nil {
		b.Fatal(err)
	}
	before := cpuTime()
	runs := 0
	var doc *recap.Document
	for b.Loop() {
		runs++
		var err error
		doc, err = e.Summarize(context.Background(), &tr, nil)
		if err != nil {
			b.Fatal(err)
		}
	}
	if doc.Engine.Name != recap.EngineOpenAI {
		b.Fatalf("fell back: %s", doc.Engine.Note)
	}
	b.ReportMetric(float64((cpuTime()-before).Milliseconds())/float64(runs), "cpu-ms/op")
	b.ReportMetric(float64(len(be.answers)), "requests")
	b.ReportMetric(float64(doc.Stats.Units), "units")
}

// BenchmarkLLM6hMapReduce: six hours through an 8k-token model, so the
// engine cuts windows and merges.
func BenchmarkLLM6hMapReduce(b *testing.B) { benchmarkLLM(b, 6, 8192) }

// BenchmarkLLM6hSinglePass: six hours in one request (a long-context
// model such as Gemini).
func BenchmarkLLM6hSinglePass(b *testing.B) { benchmarkLLM(b, 6, 1_048_576) }
