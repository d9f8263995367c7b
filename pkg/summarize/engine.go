// Package summarize turns a transcript into a recap document. It owns the
// Engine interface and the builtin engine; LLM engines live here too when
// they arrive. It never fetches sources: it receives a normalized
// recap.Transcript and returns a document without id or creation time,
// which the caller fills in.
package summarize

import (
	"context"

	"github.com/recap-startos/recap/pkg/recap"
)

// Engine makes a recap document from a normalized transcript.
//
// Summarize must return a document whose Topics, Transcript, Title,
// Summary, Keywords, Engine and Stats are filled and which passes
// recap.Document.Validate once the caller has set Version, ID, CreatedAt
// and Source. It reports progress through p (which may be nil) and stops
// early with ctx.Err() when ctx is cancelled.
type Engine interface {
	Name() string
	Summarize(ctx context.Context, t *recap.Transcript, p Progress) (*recap.Document, error)
}

// Progress receives a stage name ("segmenting", "summarizing", …), a
// completion fraction for the whole job between 0 and 1, and a short
// message for people.
type Progress func(stage string, fraction float64, message string)

func (p Progress) report(stage string, fraction float64, message string) {
	if p != nil {
		p(stage, fraction, message)
	}
}
