package library

import "time"

// PageJSON is the JSON shape of a page of a listing or search, shared by
// the command line (recap library list --json) and the web API.
type PageJSON struct {
	Recaps []HitJSON `json:"recaps"`
	Total  int       `json:"total"`
	Next   string    `json:"next_cursor,omitempty"`
}

// HitJSON is one recap in a PageJSON.
type HitJSON struct {
	ID        string   `json:"id"`
	Title     string   `json:"title"`
	Type      string   `json:"type"`
	URL       string   `json:"url,omitempty"`
	Channel   string   `json:"channel,omitempty"`
	CreatedAt string   `json:"created_at"` // RFC 3339, UTC
	Duration  float64  `json:"duration_s,omitempty"`
	Topics    int      `json:"topic_count"`
	Segments  int      `json:"segment_count"`
	Summary   string   `json:"summary"`
	Keywords  []string `json:"keywords"`
	Score     float64  `json:"score,omitempty"`
	Matched   []string `json:"matched,omitempty"` // search terms matched, for highlighting
}

// JSON returns the page in its JSON shape.
func (p Page) JSON() PageJSON {
	out := PageJSON{Recaps: make([]HitJSON, 0, len(p.Hits)), Total: p.Total, Next: p.Next}
	for _, h := range p.Hits {
		kw := h.Keywords
		if kw == nil {
			kw = []string{}
		}
		out.Recaps = append(out.Recaps, HitJSON{
			ID: h.ID, Title: h.Title, Type: h.Type, URL: h.URL, Channel: h.Channel,
			CreatedAt: h.CreatedAt.UTC().Format(time.RFC3339), Duration: h.Duration,
			Topics: h.Topics, Segments: h.Segments, Summary: h.Summary, Keywords: kw,
			Score: h.Score, Matched: h.Matched,
		})
	}
	return out
}
