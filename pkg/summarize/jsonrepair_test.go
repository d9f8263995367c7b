package summarize

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/recap-startos/recap/pkg/recap"
)

func TestExtractJSON(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in, want string // want "" means an error
	}{
		{"plain", `{"a":1}`, `{"a":1}`},
		{"prose around", "Sure! Here it is: {\"a\": [1, 2]} Hope this helps.", `{"a": [1, 2]}`},
		{"fenced", "```json\n{\"a\": \"x\"}\n```\nDone.", `{"a": "x"}`},
		{"fence with brace before", "Use {curly} braces:\n```json\n{\"a\": 1}\n```", `{"a": 1}`},
		{"thinking first", "<think>maybe {\"a\": 0}?</think>\n{\"a\": 2}", `{"a": 2}`},
		{"trailing commas", `{"a": [1, 2,], "b": {"c": 3,},}`, `{"a": [1, 2], "b": {"c": 3}}`},
		{"raw newline in string", "{\"a\": \"line one\nline two\"}", `{"a": "line one\nline two"}`},
		{"braces inside strings", `{"a": "}{ ]["}`, `{"a": "}{ ]["}`},
		{"escaped quote", `{"a": "say \"hi\""} tail`, `{"a": "say \"hi\""}`},
		{"truncated in string", `{"a": [{"t": "one"}, {"t": "tw`, `{"a": [{"t": "one"}, {"t": "tw"}]}`},
		{"truncated after comma", `{"a": [1, 2, `, `{"a": [1, 2]}`},
		{"truncated in key", `{"a": [{"t": "one"}], "summ`, `{"a": [{"t": "one"}]}`},
		{"truncated after colon", `{"a": [{"t": "one", "u":`, `{"a": [{"t": "one"}]}`},
		{"truncated in number", `{"a": [10, 2`, `{"a": [10, 2]}`},
		{"truncated dangling escape", `{"a": "x\`, `{"a": "x"}`},
		{"missing closer", `{"a": [1, 2}`, `{"a": [1, 2]}`},
		{"stray closer", `{"a": 1]}`, `{"a": 1}`},
		{"no object", "I cannot do that.", ""},
		{"unclosed thinking", "<think>hmm {\"a\":1}", ""},
		{"malformed", `{"a" 1}`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := extractJSON(tc.in)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("got %s, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// FuzzExtractJSON: whatever the answer, extraction never panics and
// what it returns is valid JSON.
func FuzzExtractJSON(f *testing.F) {
	for _, s := range []string{`{"a":1}`, "```json\n{\"a\": [1,\n", `{"a": "b\`, `x {"a": [{"b": 1},`, "<think>\n</think>{}", `{"a":}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := extractJSON(s)
		if err == nil && !json.Valid(out) {
			t.Fatalf("invalid JSON %q from %q", out, s)
		}
	})
}

// FuzzParseAnswer: any answer either parses into topics or is refused,
// and assembly never panics on what parses.
func FuzzParseAnswer(f *testing.F) {
	f.Add(`{"title":"t","summary":"s","keywords":["k"],"topics":[{"start_unit":0,"title":"x","summary":"y","key_points":[{"unit":1,"text":"the second unit"}]}]}`)
	f.Add(`{"topics":[{"start_unit":"9","key_points":[{"unit":-3,"text":""}]}],"key_points":[{"unit":2}]}`)
	units := []recap.Unit{{I: 0, Text: "the first unit"}, {I: 1, Text: "the second unit"}, {I: 2, Text: "the third unit"}}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := parseAnswer(s)
		if err != nil {
			return
		}
		r := &run{e: &llmEngine{name: "openai", model: "m"}, t: &recap.Transcript{Source: recap.Source{Type: recap.SourceText}, Units: units}, units: units, use: &usage{}}
		dr := &draft{title: a.Title, summary: a.Summary, keywords: a.Keywords, topics: a.Topics}
		for _, tp := range a.Topics {
			dr.points = append(dr.points, tp.KeyPoints...)
		}
		if doc, err := r.assemble(dr); err == nil && len(doc.Topics) == 0 {
			t.Fatal("a document without topics")
		}
	})
}

func TestParseAnswerRefuses(t *testing.T) {
	t.Parallel()
	for _, s := range []string{`{"title":"t"}`, `{"topics":"none"}`, `[1,2]`, ``} {
		if _, err := parseAnswer(s); err == nil || strings.TrimSpace(err.Error()) == "" {
			t.Errorf("%q parsed", s)
		}
	}
}
