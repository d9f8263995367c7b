package summarize

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/recap-startos/recap/pkg/recap"
)

// The relay engine.
//
// A relay (pkg/relay, `recap relay serve`) runs one of the LLM engines
// above for many instances and pays for it out of each instance's credit
// pool. This engine sends the transcript to the relay's POST
// /relay/v1/recap with the instance's license as a bearer token and
// checks what comes back as strictly as the other LLM engines check a
// model's answer: the units must be the ones this build cuts from the
// same transcript, every key point must match the unit it names (points
// that do not are dropped and counted in stats.ungrounded), times are
// taken from our own units, and the document must pass Validate. When
// the relay refuses (empty pool, unknown license), cannot be reached,
// fails, or sends something that does not pass, the builtin engine makes
// the recap and engine.note says why: a recap is always made.

// RelayRecapPath is where a relay takes recap requests.
const RelayRecapPath = "/relay/v1/recap"

// RelayRecapRequest is the body of POST /relay/v1/recap.
type RelayRecapRequest struct {
	InstallID string          `json:"install_id"`
	UserID    string          `json:"user_id,omitempty"` // for the relay's ledger; empty for trials
	Source    recap.Source    `json:"source"`
	Units     []recap.Unit    `json:"units"`
	Chapters  []recap.Chapter `json:"chapters,omitempty"`
}

// Transcript is the request's transcript.
func (r *RelayRecapRequest) Transcript() *recap.Transcript {
	return &recap.Transcript{Source: r.Source, Units: r.Units, Chapters: r.Chapters}
}

// RelayRecapResponse is the relay's answer to a recap request.
type RelayRecapResponse struct {
	Document *recap.Document `json:"document"`
	Pool     int64           `json:"pool"` // credits left in the instance's pool
}

// RelayAccount is who a recap request to the relay is for: the install id
// and license it is paid with (the operator's, or a user's own) and the
// user it is made for.
type RelayAccount struct {
	InstallID string
	License   string // secret
	UserID    string
}

type relayUserKey struct{}

// WithUser marks ctx as a recap made for userID (empty for a trial or
// single mode), so the relay engine can pick the account that pays.
func WithUser(ctx context.Context, userID string) context.Context {
	return context.WithValue(ctx, relayUserKey{}, userID)
}

// UserFrom returns the user WithUser set, or "".
func UserFrom(ctx context.Context) string {
	s, _ := ctx.Value(relayUserKey{}).(string)
	return s
}

// RelayOptions configure the relay engine.
type RelayOptions struct {
	URL string // the relay's base address, e.g. https://relay.example.org
	// Account returns the account that pays for userID's recap; userID is
	// "" for trials and single mode, which use the operator's account.
	Account func(ctx context.Context, userID string) (RelayAccount, error)
	LLM     LLMOptions // HTTPClient, JobTimeout and Log are used
}

type relayEngine struct {
	base string
	opt  RelayOptions
}

// NewRelay returns the engine that recaps through a relay.
func NewRelay(opt RelayOptions) (Engine, error) {
	base, _, err := apiBase(opt.URL, "/")
	if err != nil {
		return nil, err
	}
	if opt.Account == nil {
		return nil, errors.New("summarize: the relay engine needs an account")
	}
	opt.LLM = opt.LLM.withDefaults(0, 1)
	return &relayEngine{base: strings.TrimRight(base, "/"), opt: opt}, nil
}

var _ Engine = (*relayEngine)(nil)

// Name returns "relay".
func (e *relayEngine) Name() string { return recap.EngineRelay }

// Summarize asks the relay for the recap and checks it, or makes it with
// the builtin engine and says why in engine.note.
func (e *relayEngine) Summarize(ctx context.Context, t *recap.Transcript, p Progress) (*recap.Document, error) {
	began := time.Now()
	p.report("segmenting", 0, "cutting the transcript into sentences")
	units := Units(t)
	if len(units) == 0 {
		return nil, fmt.Errorf("relay: %w", recap.ErrEmptyTranscript)
	}
	p.report("summarizing", 0.1, "asking the relay for the recap")
	doc, err := e.ask(ctx, t)
	if err == nil {
		doc, err = checkRelayDoc(doc, t, units)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		return e.fallback(ctx, t, p, err, began)
	}
	doc.Stats.Words = t.Words()
	doc.Stats.ElapsedMS = time.Since(began).Milliseconds()
	p.report("summarizing", 1, "recap ready")
	return doc, nil
}

// relayRefusal is a relay's error answer.
type relayRefusal struct {
	Status  int
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (r *relayRefusal) Error() string {
	switch {
	case r.Status == http.StatusPaymentRequired:
		return "the relay's credit pool for this instance is empty"
	case r.Status == http.StatusUnauthorized || r.Status == http.StatusForbidden:
		return "the relay refused the license (relay.license)"
	case r.Message != "":
		return fmt.Sprintf("the relay answered HTTP %d: %s", r.Status, r.Message)
	}
	return fmt.Sprintf("the relay answered HTTP %d", r.Status)
}

// ask sends the request and decodes the relay's document.
func (e *relayEngine) ask(ctx context.Context, t *recap.Transcript) (*recap.Document, error) {
	acct, err := e.opt.Account(ctx, UserFrom(ctx))
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(RelayRecapRequest{InstallID: acct.InstallID, UserID: acct.UserID, Source: t.Source, Units: t.Units, Chapters: t.Chapters})
	if err != nil {
		return nil, err
	}
	rctx, cancel := context.WithTimeout(ctx, e.opt.LLM.JobTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, e.base+RelayRecapPath, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+acct.License)
	res, err := e.opt.LLM.HTTPClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("the relay at %s could not be reached", e.base)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("the relay's answer was cut off: %v", err)
	}
	if res.StatusCode != http.StatusOK {
		ref := &relayRefusal{Status: res.StatusCode}
		json.Unmarshal(data, ref)
		return nil, ref
	}
	var out RelayRecapResponse
	if err := json.Unmarshal(data, &out); err != nil || out.Document == nil {
		return nil, errors.New("the relay's answer is not a recap")
	}
	return out.Document, nil
}

// checkRelayDoc holds a relay's document to the rules of the LLM
// engines: our units, grounded key points, our times, Validate.
func checkRelayDoc(in *recap.Document, t *recap.Transcript, units []recap.Unit) (*recap.Document, error) {
	if len(in.Transcript) != len(units) {
		return nil, fmt.Errorf("the relay cut the transcript into %d units, not %d", len(in.Transcript), len(units))
	}
	for i := range units {
		if in.Transcript[i].Text != units[i].Text {
			return nil, fmt.Errorf("unit %d of the relay's transcript differs from ours", i)
		}
	}
	r := &run{units: units}
	doc := &recap.Document{
		Engine:     recap.Engine{Name: recap.EngineRelay, Model: in.Engine.Model, Note: in.Engine.Note},
		Title:      oneLine(in.Title),
		Summary:    oneLine(in.Summary),
		Keywords:   cleanKeywords(in.Keywords),
		Transcript: units,
		Chapters:   append([]recap.Chapter(nil), t.Chapters...),
		Stats: recap.Stats{Units: len(units), Ungrounded: in.Stats.Ungrounded,
			PromptTokens: in.Stats.PromptTokens, CompletionTokens: in.Stats.CompletionTokens},
	}
	kept := 0
	for _, tp := range in.Topics {
		out, dropped, err := r.regroundTopic(tp)
		if err != nil {
			return nil, err
		}
		doc.Stats.Ungrounded += dropped
		kept += len(out.Segments)
		doc.Topics = append(doc.Topics, out)
	}
	if kept == 0 {
		return nil, errors.New("none of the relay's key points matches the unit it names")
	}
	if doc.Title == "" {
		doc.Title = oneLine(t.Source.Title)
	}
	check := *doc
	check.Version, check.ID, check.Source = recap.Version, "check", t.Source
	if check.Source.Type == "" {
		check.Source.Type = recap.SourceText
	}
	if err := check.Validate(); err != nil {
		return nil, fmt.Errorf("the relay's recap is not valid: %v", err)
	}
	return doc, nil
}

// regroundTopic rebuilds a relay's topic on our units: its range must lie
// inside the transcript, its times are ours, and each key point must be
// grounded in a unit of the topic (the others are dropped and counted).
func (r *run) regroundTopic(tp recap.Topic) (recap.Topic, int, error) {
	units := r.units
	if tp.StartUnit < 0 || tp.EndUnit >= len(units) || tp.StartUnit > tp.EndUnit {
		return recap.Topic{}, 0, fmt.Errorf("topic %q covers units %d..%d, outside the transcript", tp.Title, tp.StartUnit, tp.EndUnit)
	}
	out := recap.Topic{StartUnit: tp.StartUnit, EndUnit: tp.EndUnit, Title: oneLine(tp.Title), Summary: oneLine(tp.Summary), Segments: []recap.Segment{}}
	out.Start, out.End = recap.TopicTimes(units, tp.StartUnit, tp.EndUnit)
	dropped := 0
	for _, sg := range tp.Segments {
		text := oneLine(sg.Text)
		u := r.ground(text, sg.Unit)
		if u < tp.StartUnit || u > tp.EndUnit {
			dropped++
			continue
		}
		out.Segments = append(out.Segments, recap.Segment{Start: units[u].Start, Unit: u, Text: text})
	}
	return out, dropped, nil
}

// fallback makes the recap with the builtin engine and says why.
func (e *relayEngine) fallback(ctx context.Context, t *recap.Transcript, p Progress, cause error, began time.Time) (*recap.Document, error) {
	e.opt.LLM.Log.Warn("relay recap failed, falling back to builtin", "error", cause)
	p.report("summarizing", 0.5, "the relay made no recap; using the builtin engine")
	doc, err := NewBuiltin().Summarize(ctx, t, func(stage string, f float64, msg string) {
		p.report(stage, 0.5+0.5*f, msg)
	})
	if err != nil {
		return nil, err
	}
	doc.Engine.Note = fmt.Sprintf("Made by the builtin engine because %s.", cause)
	doc.Stats.ElapsedMS = time.Since(began).Milliseconds()
	return doc, nil
}
