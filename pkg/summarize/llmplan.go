package summarize

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/recap-startos/recap/pkg/recap"
)

// Budget of a request.
const (
	// headroom is the share of the context a prompt and its answer may
	// fill: token counts here are estimates, and servers count
	// differently.
	headroom = 0.7
	// Window lengths for map-reduce, in seconds.
	minWindowSeconds = 300.0
	maxWindowSeconds = 600.0
	// wordsPerSecond converts words to pseudo-seconds when the
	// transcript has no times (150 words a minute).
	wordsPerSecond = 2.5
	// minPartWindows is the share of map windows that must give usable
	// answers; fewer and the whole recap falls back to builtin.
	minPartWindows = 0.5
)

// estimateTokens guesses how many tokens s takes: about four bytes or
// 1.3 words a token, whichever is more.
func estimateTokens(s string) int {
	return max((len(s)+3)/4, recap.CountWords(s)*13/10)
}

// outputTokens is the answer budget of a request: a quarter of the
// context for a whole recap or the merge, an eighth for a window.
func outputTokens(contextTokens int, window bool) int {
	if window {
		return max(512, min(2048, contextTokens/8))
	}
	return max(1024, min(8192, contextTokens/4))
}

// plan is how a transcript is sent: the numbered lines of its units and
// the windows (inclusive unit ranges) to send them in.
type plan struct {
	lines   []string
	tokens  []int     // estimated tokens per line
	secs    []float64 // each unit's time, or pseudo-time without times
	windows [][2]int
}

// plan decides between one pass and windows (see the budget constants).
func (r *run) plan() (*plan, error) {
	n := len(r.units)
	pl := &plan{lines: make([]string, n), tokens: make([]int, n), secs: make([]float64, n)}
	var b strings.Builder
	total, words := 0, 0
	for i, u := range r.units {
		b.Reset()
		unitLine(&b, u)
		pl.lines[i] = b.String()
		pl.tokens[i] = estimateTokens(pl.lines[i])
		total += pl.tokens[i]
		if u.Start != nil {
			pl.secs[i] = *u.Start
		} else {
			pl.secs[i] = float64(words) / wordsPerSecond
		}
		words += recap.CountWords(u.Text)
	}
	ctxTokens := r.e.backend.contextTokens()
	system := estimateTokens(systemPrompt())
	d := r.baseData()
	d.TopicHint, d.Last = topicHint(words), n-1
	single := int(headroom*float64(ctxTokens)) - outputTokens(ctxTokens, false) - system - estimateTokens(renderPrompt("single.tmpl", d))
	if total <= single {
		pl.windows = [][2]int{{0, n - 1}}
		return pl, nil
	}
	d.Part, d.Parts, d.Span = 1, 1, "0:00–0:00"
	usable := int(headroom*float64(ctxTokens)) - outputTokens(ctxTokens, true) - system - estimateTokens(renderPrompt("map.tmpl", d))
	length := pl.secs[n-1] - pl.secs[0]
	if length < minWindowSeconds {
		length = float64(words) / wordsPerSecond
	}
	perSec := float64(total) / max(length, 1)
	if need := int(perSec * minWindowSeconds); need > usable {
		suggest := int(float64(ctxTokens-usable+need)/headroom) + 1
		return nil, &LLMError{Kind: ErrContextTooSmall, Engine: r.e.name, Message: fmt.Sprintf(
			"a 5-minute window of this transcript needs about %d tokens and the prompt around it more than the %d-token context allows; raise the model's context (and engine.context-size) to at least %d",
			need, ctxTokens, roundUp(suggest, 1024))}
	}
	window := max(minWindowSeconds, min(maxWindowSeconds, float64(usable)*0.9/perSec))
	start, tok := 0, 0
	for i := range n {
		if i > start && (pl.secs[i]-pl.secs[start] >= window || tok+pl.tokens[i] > usable) {
			pl.windows = append(pl.windows, [2]int{start, i - 1})
			start, tok = i, 0
		}
		tok += pl.tokens[i]
	}
	pl.windows = append(pl.windows, [2]int{start, n - 1})
	// A short last window joins the one before when both fit.
	if k := len(pl.windows); k > 1 {
		last, prev := pl.windows[k-1], pl.windows[k-2]
		if pl.secs[n-1]-pl.secs[last[0]] < window/3 && sum(pl.tokens[prev[0]:last[1]+1]) <= usable {
			pl.windows = append(pl.windows[:k-2], [2]int{prev[0], last[1]})
		}
	}
	return pl, nil
}

func sum(xs []int) int {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s
}

func roundUp(x, step int) int { return (x + step - 1) / step * step }

// single recaps the whole transcript in one request.
func (r *run) single(ctx context.Context, pl *plan) (*draft, error) {
	d := r.baseData()
	d.TopicHint, d.First, d.Last = topicHint(r.t.Words()), 0, len(r.units)-1
	d.Span = r.span(0, len(r.units)-1)
	d.Transcript = strings.Join(pl.lines, "")
	req := chatRequest{
		System: systemPrompt(), User: renderPrompt("single.tmpl", d),
		SchemaName: "recap", Schema: answerSchema(true),
		MaxTokens: outputTokens(r.e.backend.contextTokens(), false),
	}
	var out *draft
	_, err := r.ask(ctx, req, func(text string) (*answer, error) {
		a, err := parseAnswer(text)
		if err != nil {
			return nil, err
		}
		dr := &draft{title: a.Title, summary: a.Summary, keywords: a.Keywords, topics: a.Topics}
		for _, t := range a.Topics {
			dr.points = append(dr.points, t.KeyPoints...)
		}
		if _, err := r.assemble(dr); err != nil {
			return nil, err
		}
		out = dr
		return a, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// part is the answer for one window of map-reduce.
type part struct {
	first, last int
	answer      *answer // nil when the window's answers stayed unusable
}

// mapReduce recaps each window, then merges.
func (r *run) mapReduce(ctx context.Context, pl *plan) (*draft, error) {
	parts := make([]part, len(pl.windows))
	r.windows = len(parts)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		mu   sync.Mutex
		done int
		errs error
		wg   sync.WaitGroup
	)
	next := make(chan int)
	ctxTokens := r.e.backend.contextTokens()
	for range min(r.e.opt.Concurrency, len(parts)) {
		wg.Go(func() {
			for k := range next {
				w := pl.windows[k]
				d := r.baseData()
				d.Part, d.Parts, d.First, d.Last = k+1, len(parts), w[0], w[1]
				d.Span = r.span(w[0], w[1])
				d.Transcript = strings.Join(pl.lines[w[0]:w[1]+1], "")
				req := chatRequest{
					System: systemPrompt(), User: renderPrompt("map.tmpl", d),
					SchemaName: "recap_part", Schema: answerSchema(true),
					MaxTokens: outputTokens(ctxTokens, true),
				}
				a, err := r.ask(ctx, req, func(text string) (*answer, error) { return r.checkPart(text, w[0], w[1]) })
				mu.Lock()
				parts[k] = part{first: w[0], last: w[1], answer: a}
				switch {
				case err == nil:
				case isUnusable(err):
					r.failed++
					r.e.opt.Log.Warn("llm window unusable", "engine", r.e.name, "part", k+1, "err", err)
				case errs == nil:
					errs = err
					cancel(err)
				}
				done++
				r.p.report("summarizing", 0.05+0.8*float64(done)/float64(len(parts)), fmt.Sprintf("read part %d of %d", done, len(parts)))
				mu.Unlock()
			}
		})
	}
	r.p.report("summarizing", 0.05, fmt.Sprintf("reading the transcript in %d parts of 5 to 10 minutes", len(parts)))
feed:
	for k := range parts {
		select {
		case next <- k:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if errs != nil {
		return nil, errs
	}
	if err := ctx.Err(); err != nil {
		return nil, context.Cause(ctx)
	}
	if float64(len(parts)-r.failed) < minPartWindows*float64(len(parts)) {
		return nil, fmt.Errorf("%w: %d of %d parts of the transcript gave no usable answer", errUnusable, r.failed, len(parts))
	}
	r.p.report("summarizing", 0.87, fmt.Sprintf("merging %d parts", len(parts)))
	return r.reduce(ctx, parts)
}

func isUnusable(err error) bool { return errors.Is(err, errUnusable) }

// checkPart reads a window's answer: it must have a section or a key
// point; sections that start outside the window are dropped.
func (r *run) checkPart(text string, first, last int) (*answer, error) {
	a, err := parseAnswer(text)
	if err != nil {
		return nil, err
	}
	kept := a.Topics[:0]
	points := 0
	for _, t := range a.Topics {
		points += len(t.KeyPoints)
		if int(t.StartUnit) >= first && int(t.StartUnit) <= last {
			kept = append(kept, t)
		}
	}
	a.Topics = kept
	if len(kept) == 0 && points == 0 {
		return nil, fmt.Errorf("no section starts at a unit between %d and %d", first, last)
	}
	return a, nil
}

// reduce merges the windows' answers into the recap of the whole.
func (r *run) reduce(ctx context.Context, parts []part) (*draft, error) {
	d := r.baseData()
	d.Parts, d.TopicHint = len(parts), topicHint(r.t.Words())
	var points []answerPoint
	var keywords []string
	for k, p := range parts {
		w := promptWindow{Part: k + 1, Span: r.span(p.first, p.last)}
		if p.answer == nil {
			w.Summary = "(this part could not be read)"
			d.Windows = append(d.Windows, w)
			continue
		}
		w.Summary = oneLine(p.answer.Summary)
		for _, t := range p.answer.Topics {
			s := promptSection{Unit: int(t.StartUnit), Title: oneLine(t.Title), Summary: oneLine(t.Summary)}
			if u := r.units[s.Unit]; u.Start != nil {
				s.Clock = recap.FormatClock(*u.Start)
			}
			w.Sections = append(w.Sections, s)
			points = append(points, t.KeyPoints...)
		}
		keywords = append(keywords, p.answer.Keywords...)
		d.Windows = append(d.Windows, w)
	}
	ctxTokens := r.e.backend.contextTokens()
	// The merge answers with titles and summaries only: a window's
	// output budget is enough.
	budget := int(headroom*float64(ctxTokens)) - outputTokens(ctxTokens, true) - estimateTokens(systemPrompt())
	user := renderPrompt("reduce.tmpl", d)
	for step := 0; estimateTokens(user) > budget; step++ {
		// Summaries are a luxury of the merge: drop the sections' first,
		// then the parts'.
		for i := range d.Windows {
			for j := range d.Windows[i].Sections {
				d.Windows[i].Sections[j].Summary = ""
			}
			if step > 0 {
				d.Windows[i].Summary = "-"
			}
		}
		user = renderPrompt("reduce.tmpl", d)
		if need := estimateTokens(user); step > 0 && need > budget {
			return nil, &LLMError{Kind: ErrContextTooSmall, Engine: r.e.name, Message: fmt.Sprintf(
				"merging %d parts needs about %d tokens, more than the %d-token context allows; raise the model's context (and engine.context-size)", len(parts), need, ctxTokens)}
		}
	}
	req := chatRequest{
		System: systemPrompt(), User: user,
		SchemaName: "recap_merge", Schema: answerSchema(false),
		MaxTokens: outputTokens(ctxTokens, true),
	}
	var out *draft
	_, err := r.ask(ctx, req, func(text string) (*answer, error) {
		a, err := parseAnswer(text)
		if err != nil {
			return nil, err
		}
		dr := &draft{title: a.Title, summary: a.Summary, keywords: a.Keywords, topics: a.Topics, points: points}
		if len(dr.keywords) == 0 {
			dr.keywords = keywords
		}
		if _, err := r.assemble(dr); err != nil {
			return nil, err
		}
		out = dr
		return a, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// oneLine collapses white space so a model's text cannot break the
// layout of a later prompt.
func oneLine(s string) string { return recap.CollapseSpace(s) }
