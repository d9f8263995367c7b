// Package jobs is the one place that runs a source through an engine into
// a recap document: Process does it synchronously (the CLI uses it
// directly); the server's queue of jobs with progress events is built on
// top of it.
package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/recap-startos/recap/pkg/library"
	"github.com/recap-startos/recap/pkg/recap"
	"github.com/recap-startos/recap/pkg/summarize"
	"github.com/recap-startos/recap/pkg/transcript"
)

// Stages reported through Progress, in order.
const (
	StageFetching    = "fetching"
	StageSegmenting  = "segmenting"
	StageSummarizing = "summarizing"
	StageSaving      = "saving"
	StageDone        = "done"
)

// Input is what a job recaps: exactly one of Source (a URL, a path or "-"),
// Data (an uploaded file named Name) or Text (pasted text).
type Input struct {
	Source string
	Name   string
	Data   []byte
	Text   string
	// Engine names the engine to use when it is not the queue's default
	// (one of Config.Engines); "" means the default.
	Engine string
	// Owner is the user the job runs for (multi mode; "" in single
	// mode): the recap goes to their library and only they see the job.
	Owner string
	// Episode picks a podcast episode of a feed Source or of a feed file
	// in Data (GUID, title or number, as transcript.Options.Episode); ""
	// for the default.
	Episode string
	// Ref, when set, names the submission for idempotence: Submit returns
	// the job already made with the same Ref, whatever its status, instead
	// of making another (a follow's item submitted again after a crash).
	Ref string
	// Follow is the id of the follow the job comes from, recorded in the
	// recap's source; "" for a job someone asked for.
	Follow string

	// admit, when set, is called with the transcript before the engine
	// runs; its error ends the job (the queue's Meter).
	admit func(ctx context.Context, t *recap.Transcript) error
}

// Process fetches or parses the input, runs engine over the transcript
// and returns a validated document with a new id. Progress (which may be
// nil) receives the stages; engine progress is passed through.
func Process(ctx context.Context, in Input, opt transcript.Options, engine summarize.Engine, progress summarize.Progress) (*recap.Document, error) {
	report := func(stage string, f float64, msg string) {
		if progress != nil {
			progress(stage, f, msg)
		}
	}
	start := time.Now()
	report(StageFetching, 0.02, "Reading the transcript")
	t, err := readInput(ctx, in, opt)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if in.admit != nil {
		if err := in.admit(ctx, t); err != nil {
			return nil, err
		}
	}
	report(StageSegmenting, 0.25, fmt.Sprintf("Read %d caption lines (%d words)", len(t.Units), t.Words()))
	doc, err := engine.Summarize(ctx, t, func(stage string, f float64, msg string) {
		report(stage, 0.25+0.7*f, msg)
	})
	if err != nil {
		return nil, fmt.Errorf("%s engine: %w", engine.Name(), err)
	}
	now := time.Now().UTC()
	doc.Version = recap.Version
	doc.ID = library.NewID(now)
	doc.CreatedAt = now.Truncate(time.Second)
	doc.Source = t.Source
	doc.Source.FollowID = in.Follow
	if doc.Title == "" {
		doc.Title = t.Source.Title
	}
	doc.Stats.ElapsedMS = time.Since(start).Milliseconds()
	if err := doc.Validate(); err != nil {
		return nil, fmt.Errorf("%s engine produced an invalid recap: %w", engine.Name(), err)
	}
	return doc, nil
}

func readInput(ctx context.Context, in Input, opt transcript.Options) (*recap.Transcript, error) {
	if in.Episode != "" {
		opt.Episode = in.Episode // of a feed link or an uploaded feed file
	}
	switch {
	case in.Text != "":
		t, err := transcript.Parse("pasted text", []byte(in.Text), opt)
		if err != nil {
			return nil, err
		}
		t.Source.Type = recap.SourceText
		t.Source.FileName = ""
		t.Source.ContentSHA256 = recap.ContentSHA256([]byte(in.Text))
		return t, nil
	case in.Data != nil:
		return transcript.Read(ctx, in.Name, in.Data, opt)
	default:
		return transcript.Fetch(ctx, in.Source, opt)
	}
}
