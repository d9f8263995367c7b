package summarize

import (
	"embed"
	"fmt"
	"strconv"
	"strings"
	"text/template"

	"github.com/recap-startos/recap/pkg/recap"
)

// The prompts of the LLM engines are templates in prompts/, embedded in
// the binary. Golden files in testdata/llm/prompts hold what they render
// to for a small transcript; change both together.

//go:embed prompts/*.tmpl
var promptFS embed.FS

var prompts = template.Must(template.New("prompts").Option("missingkey=error").ParseFS(promptFS, "prompts/*.tmpl"))

// promptData is what the prompt templates see.
type promptData struct {
	Title, Channel, Duration string
	Chapters                 []promptChapter
	TopicHint                string // how many topics to write, e.g. "4 to 8 topics"
	First, Last              int    // unit range of the transcript shown
	Span                     string // its times, "12:00–21:58", when timed
	Part, Parts              int    // map: which window of how many
	Transcript               string // numbered unit lines
	Windows                  []promptWindow
}

type promptChapter struct {
	Unit  int
	Title string
}

type promptWindow struct {
	Part     int
	Span     string
	Summary  string
	Sections []promptSection
}

type promptSection struct {
	Unit           int
	Clock          string
	Title, Summary string
}

// render executes the named template.
func renderPrompt(name string, data any) string {
	var b strings.Builder
	if err := prompts.ExecuteTemplate(&b, name, data); err != nil {
		// The templates are embedded and covered by golden tests: an
		// error here is a programming mistake.
		panic(fmt.Sprintf("summarize: prompt %s: %v", name, err))
	}
	return b.String()
}

func systemPrompt() string { return renderPrompt("system.tmpl", nil) }

func repairPrompt(problem string) string {
	return renderPrompt("repair.tmpl", strings.TrimSuffix(problem, "."))
}

// unitLine is how a unit appears in a prompt: "[12 3:41] text" or,
// without times, "[12] text".
func unitLine(b *strings.Builder, u recap.Unit) {
	b.WriteByte('[')
	b.WriteString(strconv.Itoa(u.I))
	if u.Start != nil {
		b.WriteByte(' ')
		b.WriteString(recap.FormatClock(*u.Start))
	}
	b.WriteString("] ")
	b.WriteString(u.Text)
	b.WriteByte('\n')
}

// baseData fills the header of every prompt.
func (r *run) baseData() promptData {
	d := promptData{Title: r.t.Source.Title, Channel: r.t.Source.Channel}
	if dur := r.t.Source.Duration; dur > 0 {
		d.Duration = recap.FormatClock(dur)
	} else if last := r.t.LastTime(); last > 0 {
		d.Duration = recap.FormatClock(last)
	}
	for k, s := range r.fixed {
		title := r.fixedTitles[k]
		if title == "" {
			title = "(untitled opening)"
		}
		d.Chapters = append(d.Chapters, promptChapter{Unit: s, Title: title})
	}
	return d
}

// span renders the times of units[from..to], or "" without times.
func (r *run) span(from, to int) string {
	if r.units[from].Start == nil {
		return ""
	}
	s, e := recap.TopicTimes(r.units, from, to)
	return recap.FormatClock(*s) + "–" + recap.FormatClock(*e)
}

// topicHint asks for a number of topics that suits the length: about
// one per 6 minutes of speech (900 words), between 2 and 12.
func topicHint(words int) string {
	n := max(2, min(12, words/900))
	lo := max(1, n-n/3)
	hi := n + n/3 + 1
	return fmt.Sprintf("%d to %d topics", lo, hi)
}

// answerSchema is the JSON Schema of an answer, in the strict form
// OpenAI's structured outputs want (every property required, no extra
// properties). withPoints adds key points to the topics; the merge
// request leaves them out.
func answerSchema(withPoints bool) map[string]any {
	str := map[string]any{"type": "string"}
	topicProps := map[string]any{
		"start_unit": map[string]any{"type": "integer"},
		"title":      str,
		"summary":    str,
	}
	topicReq := []any{"start_unit", "title", "summary"}
	if withPoints {
		topicProps["key_points"] = map[string]any{
			"type": "array",
			"items": map[string]any{
				"type":                 "object",
				"properties":           map[string]any{"unit": map[string]any{"type": "integer"}, "text": str},
				"required":             []any{"unit", "text"},
				"additionalProperties": false,
			},
		}
		topicReq = append(topicReq, "key_points")
	}
	return map[string]any{
		"type": "object",
		"properties": map[string]any{
			"title":    str,
			"summary":  str,
			"keywords": map[string]any{"type": "array", "items": str},
			"topics": map[string]any{
				"type": "array",
				"items": map[string]any{
					"type":                 "object",
					"properties":           topicProps,
					"required":             topicReq,
					"additionalProperties": false,
				},
			},
		},
		"required":             []any{"title", "summary", "keywords", "topics"},
		"additionalProperties": false,
	}
}
