package store

// Recap files written by the earlier Node.js Recap.
//
// Its history/<userId>/<sessionId>.json files predate the version 1
// recap document. What is known of them comes from the index it kept
// (library_meta: video id, url, title, source type, topic and segment
// counts, creation time, upload date), so the reader below looks for those
// facts, and for topics with their key points, under the spellings a
// JavaScript program would use (camelCase and snake_case, a few synonyms),
// and takes anything missing from the row. It never fails: a file that is
// not even JSON gives a document made from the row alone.

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/recap-startos/recap/pkg/library"
	"github.com/recap-startos/recap/pkg/recap"
)

// Notes shown with a document read from an earlier Recap's file.
const (
	noteLegacy     = "Made by an earlier version of Recap; shown as far as its file could be read."
	noteUnreadable = "Made by an earlier version of Recap; its file could not be read, so only the details from the library index are shown."
)

type jsonObject map[string]any

// str returns the first non-empty string (or number, as text) under keys.
func (o jsonObject) str(keys ...string) string {
	for _, k := range keys {
		switch v := o[k].(type) {
		case string:
			if s := strings.TrimSpace(v); s != "" {
				return s
			}
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64)
		}
	}
	return ""
}

// num returns the first number under keys; strings such as "1:02:03" or
// "75.5" count as seconds.
func (o jsonObject) num(keys ...string) (float64, bool) {
	for _, k := range keys {
		switch v := o[k].(type) {
		case float64:
			return v, true
		case string:
			if f, ok := parseClock(v); ok {
				return f, true
			}
		}
	}
	return 0, false
}

func (o jsonObject) list(keys ...string) []any {
	for _, k := range keys {
		if l, ok := o[k].([]any); ok && len(l) > 0 {
			return l
		}
	}
	return nil
}

func (o jsonObject) obj(keys ...string) jsonObject {
	for _, k := range keys {
		if m, ok := o[k].(map[string]any); ok {
			return m
		}
	}
	return nil
}

// parseClock reads "75.5", "1:15" or "1:02:03" as seconds.
func parseClock(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false
	}
	total := 0.0
	for _, part := range strings.Split(s, ":") {
		f, err := strconv.ParseFloat(part, 64)
		if err != nil || f < 0 {
			return 0, false
		}
		total = total*60 + f
	}
	return total, true
}

// parseWhen reads a time given as epoch milliseconds (or seconds) or as
// an RFC 3339 / ISO 8601 string.
func parseWhen(v any) (time.Time, bool) {
	switch v := v.(type) {
	case float64:
		if v > 1e11 {
			return time.UnixMilli(int64(v)), true
		}
		if v > 0 {
			return time.Unix(int64(v), 0), true
		}
	case string:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z07:00", "2006-01-02 15:04:05", "2006-01-02"} {
			if t, err := time.Parse(layout, v); err == nil {
				return t, true
			}
		}
	}
	return time.Time{}, false
}

// legacyFile is what could be read of an earlier Recap's file.
type legacyFile struct {
	doc   recap.Document
	read  bool // the file was a JSON object
	times bool // some topic or point had a time
}

func readLegacy(data []byte, id string) legacyFile {
	var lf legacyFile
	lf.doc = recap.Document{Version: recap.Version, ID: id, Keywords: []string{}, Topics: []recap.Topic{}, Transcript: []recap.Unit{}}
	var o jsonObject
	if err := json.Unmarshal(data, &o); err != nil || o == nil {
		return lf
	}
	lf.read = true
	d := &lf.doc
	readLegacySource(o, d)
	readLegacySummary(o, d)
	topics := o.list("topics", "sections", "chapters", "segments")
	if topics == nil {
		if l, ok := o["summary"].([]any); ok {
			topics = l
		}
	}
	for _, raw := range topics {
		if topic, ok := lf.readTopic(raw, len(d.Topics)); ok {
			d.Topics = append(d.Topics, topic)
		}
	}
	d.Transcript = readLegacyTranscript(o["transcript"])
	return lf
}

// readLegacySource reads the source and the time of an earlier file,
// from the top level or from its metadata object.
func readLegacySource(o jsonObject, d *recap.Document) {
	meta := o.obj("metadata", "meta", "video", "source")
	pick := func(keys ...string) string {
		if s := o.str(keys...); s != "" {
			return s
		}
		if meta != nil {
			return meta.str(keys...)
		}
		return ""
	}
	d.Title = pick("title", "videoTitle", "video_title", "name")
	d.Source.URL = pick("url", "videoUrl", "video_url", "sourceUrl", "source_url", "link")
	d.Source.VideoID = pick("videoId", "video_id")
	d.Source.Type = pick("type", "sourceType", "source_type", "kind")
	d.Source.Channel = pick("channel", "channelName", "channel_name", "author", "uploader")
	d.Source.UploadDate = normalizeDate(pick("uploadDate", "upload_date", "publishedAt", "published_at"))
	if f, ok := o.num("duration", "durationSeconds", "duration_s", "lengthSeconds"); ok && f > 0 {
		d.Source.Duration = f
	}
	for _, k := range []string{"createdAt", "created_at", "timestamp", "date", "savedAt"} {
		if t, ok := parseWhen(o[k]); ok {
			d.CreatedAt = t.UTC()
			break
		}
	}
}

// readLegacySummary reads the summary text and the keywords.
func readLegacySummary(o jsonObject, d *recap.Document) {
	if s, ok := o["summary"].(string); ok {
		d.Summary = strings.TrimSpace(s)
	} else {
		d.Summary = o.str("overview", "tldr", "abstract", "description")
	}
	for _, k := range o.list("keywords", "tags", "topicsKeywords") {
		if s, ok := k.(string); ok && strings.TrimSpace(s) != "" {
			d.Keywords = append(d.Keywords, strings.TrimSpace(s))
		}
	}
}

// readTopic reads one topic (an object, or just a title) as topic n+1 of
// the document; false when it holds nothing.
func (lf *legacyFile) readTopic(raw any, n int) (recap.Topic, bool) {
	t, ok := raw.(map[string]any)
	if !ok {
		s, _ := raw.(string)
		s = strings.TrimSpace(s)
		return recap.Topic{Title: s, Segments: []recap.Segment{}}, s != ""
	}
	to := jsonObject(t)
	topic := recap.Topic{
		Title:    to.str("title", "heading", "name", "topic"),
		Summary:  to.str("summary", "description", "overview"),
		Segments: []recap.Segment{},
	}
	if f, ok := to.num("start", "startTime", "start_time", "start_s", "startSeconds", "timestamp", "time", "offset"); ok {
		topic.Start = recap.Secs(f)
		lf.times = true
	}
	if f, ok := to.num("end", "endTime", "end_time", "end_s", "endSeconds"); ok {
		topic.End = recap.Secs(f)
	}
	for _, rp := range to.list("segments", "points", "keyPoints", "key_points", "bullets", "highlights", "items") {
		if seg := lf.readPoint(rp); seg.Text != "" {
			topic.Segments = append(topic.Segments, seg)
		}
	}
	if topic.Title == "" && topic.Summary == "" && len(topic.Segments) == 0 {
		return topic, false
	}
	if topic.Title == "" {
		topic.Title = fmt.Sprintf("Part %d", n+1)
	}
	return topic, true
}

// readPoint reads one point of a topic: a string, or an object with a
// text and perhaps a time.
func (lf *legacyFile) readPoint(raw any) recap.Segment {
	var seg recap.Segment
	switch p := raw.(type) {
	case string:
		seg.Text = strings.TrimSpace(p)
	case map[string]any:
		po := jsonObject(p)
		seg.Text = po.str("text", "point", "summary", "content", "title")
		if f, ok := po.num("start", "startTime", "start_time", "start_s", "timestamp", "time", "offset", "seconds"); ok {
			seg.Start = recap.Secs(f)
			lf.times = true
		}
	}
	return seg
}

// readLegacyTranscript reads a transcript given as text (a unit per
// line) or as a list of {text, start} objects.
func readLegacyTranscript(raw any) []recap.Unit {
	units := []recap.Unit{}
	switch tr := raw.(type) {
	case string:
		for _, line := range strings.Split(tr, "\n") {
			if line = strings.TrimSpace(line); line != "" {
				units = append(units, recap.Unit{I: len(units), Text: line})
			}
		}
	case []any:
		for _, ru := range tr {
			uo, ok := ru.(map[string]any)
			if !ok {
				continue
			}
			u := recap.Unit{I: len(units), Text: jsonObject(uo).str("text", "content")}
			if f, ok := jsonObject(uo).num("start", "offset", "start_s", "startTime"); ok {
				u.Start = recap.Secs(f)
			}
			if u.Text != "" {
				units = append(units, u)
			}
		}
	}
	return units
}

// normalizeDate turns "20240131" into "2024-01-31"; other forms pass.
func normalizeDate(s string) string {
	if len(s) == 8 {
		if _, err := strconv.Atoi(s); err == nil {
			return s[:4] + "-" + s[4:6] + "-" + s[6:]
		}
	}
	if len(s) > 10 && s[4] == '-' && s[7] == '-' {
		return s[:10]
	}
	return s
}

// legacyDocument is what Get shows for an earlier Recap's file: the
// file's content where it could be read, the row's facts elsewhere.
func legacyDocument(data []byte, e *library.Entry) *recap.Document {
	lf := readLegacy(data, e.ID)
	d := &lf.doc
	d.Engine.Note = noteLegacy
	if !lf.read {
		d.Engine.Note = noteUnreadable
	}
	if e.Title != "" {
		d.Title = e.Title
	}
	fill := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	fill(&d.Source.URL, e.URL)
	fill(&d.Source.VideoID, e.VideoID)
	fill(&d.Source.Type, e.Type)
	fill(&d.Source.Channel, e.Channel)
	fill(&d.Source.UploadDate, e.UploadDate)
	fill(&d.Summary, e.Summary)
	if d.Title == "" {
		d.Title = "Untitled recap"
	}
	if d.CreatedAt.IsZero() || !e.CreatedAt.IsZero() {
		d.CreatedAt = e.CreatedAt
	}
	if d.Source.Duration == 0 {
		d.Source.Duration = e.Duration
	}
	if len(d.Keywords) == 0 && len(e.Keywords) > 0 {
		d.Keywords = e.Keywords
	}
	if d.Source.Type == "" && d.Source.VideoID != "" {
		d.Source.Type = recap.SourceYouTube
	}
	d.Stats.Units = len(d.Transcript)
	return d
}

// legacyRow is what the reconciler indexes for an earlier Recap's file
// that has no row: whatever the file tells.
func legacyRow(data []byte, id string) *indexRow {
	lf := readLegacy(data, id)
	if lf.doc.Title == "" {
		lf.doc.Title = "Untitled recap"
	}
	r := rowOf(&lf.doc, nil)
	r.Format = formatLegacy
	return r
}
