package transcript

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/recap-startos/recap/pkg/recap"
)

// captionTrack is one entry of captions.playerCaptionsTracklistRenderer.
type captionTrack struct {
	BaseURL      string `json:"baseUrl"`
	LanguageCode string `json:"languageCode"`
	Kind         string `json:"kind"`  // "asr" for speech recognition
	VssID        string `json:"vssId"` // ".en" creator, "a.en" automatic
	Name         ytText `json:"name"`
}

// auto reports whether the track was made by speech recognition.
func (c captionTrack) auto() bool {
	return c.Kind == "asr" || strings.HasPrefix(c.VssID, "a.")
}

// translated reports whether the track is a machine translation of another
// one; such tracks are never used (their timing is interpolated and
// YouTube rate-limits them first).
func (c captionTrack) translated() bool {
	u, err := url.Parse(c.BaseURL)
	return err == nil && u.Query().Get("tlang") != ""
}

// trackList is captions.playerCaptionsTracklistRenderer.
type trackList struct {
	CaptionTracks []captionTrack `json:"captionTracks"`
	AudioTracks   []struct {
		DefaultCaptionTrackIndex *int `json:"defaultCaptionTrackIndex"`
		HasDefaultTrack          bool `json:"hasDefaultTrack"`
	} `json:"audioTracks"`
	DefaultAudioTrackIndex int `json:"defaultAudioTrackIndex"`
}

// defaultTrack returns the index of the track YouTube would show by
// default, or -1.
func (l trackList) defaultTrack() int {
	i := l.DefaultAudioTrackIndex
	if i < 0 || i >= len(l.AudioTracks) {
		return -1
	}
	a := l.AudioTracks[i]
	if !a.HasDefaultTrack || a.DefaultCaptionTrackIndex == nil {
		return -1
	}
	if d := *a.DefaultCaptionTrackIndex; d >= 0 && d < len(l.CaptionTracks) {
		return d
	}
	return -1
}

// chooseTrack picks the caption track to read. With lang set, a track in
// exactly that language wins, then one in its base language ("pt" for
// "pt-BR"); otherwise, or when lang has no track, the video's default
// track, then English, then the first track. At every step a creator track
// beats an automatic one in the same language, and machine translations
// are never chosen. It reports false when no track is usable.
func chooseTrack(tracks []captionTrack, def int, lang string) (captionTrack, bool) {
	var usable []captionTrack
	defLang := ""
	for i, t := range tracks {
		if t.BaseURL == "" || t.translated() {
			continue
		}
		if i == def {
			defLang = t.LanguageCode
		}
		usable = append(usable, t)
	}
	if len(usable) == 0 {
		return captionTrack{}, false
	}
	pick := func(match func(string) bool) (captionTrack, bool) {
		var auto *captionTrack
		for i, t := range usable {
			if !match(t.LanguageCode) {
				continue
			}
			if !t.auto() {
				return t, true
			}
			if auto == nil {
				auto = &usable[i]
			}
		}
		if auto != nil {
			return *auto, true
		}
		return captionTrack{}, false
	}
	var steps []func(string) bool
	if lang != "" {
		steps = append(steps,
			func(c string) bool { return strings.EqualFold(c, lang) },
			func(c string) bool { return strings.EqualFold(baseLang(c), baseLang(lang)) })
	}
	if defLang != "" {
		steps = append(steps, func(c string) bool { return c == defLang })
	}
	steps = append(steps,
		func(c string) bool { return baseLang(c) == "en" },
		func(string) bool { return true })
	for _, match := range steps {
		if t, ok := pick(match); ok {
			return t, true
		}
	}
	return captionTrack{}, false
}

// baseLang returns the primary subtag of a language tag, in lower case.
func baseLang(tag string) string {
	tag = strings.ToLower(tag)
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	return tag
}

// captions fetches a track, json3 first and the XML formats after.
func (yt *youtubeClient) captions(ctx context.Context, track captionTrack) ([]recap.Unit, error) {
	subject := "the captions of " + youtubeSubject(yt.id)
	base, err := yt.trackURL(track.BaseURL)
	if err != nil {
		return nil, errorf(KindUnknown, err, "YouTube gave a malformed caption link for %s; upload a subtitle file instead", yt.id)
	}
	var firstErr error
	for _, format := range []string{"json3", ""} {
		u := *base
		q := u.Query()
		q.Del("fmt")
		if format != "" {
			q.Set("fmt", format)
		}
		u.RawQuery = q.Encode()
		resp, err := yt.get(ctx, u.String(), subject)
		if err != nil {
			return nil, err
		}
		if err := yt.checkBlocked(resp); err != nil {
			return nil, err
		}
		if resp.Status != http.StatusOK {
			if firstErr == nil {
				firstErr = statusError(subject, resp.URL.Host, resp.Status)
			}
			continue
		}
		var units []recap.Unit
		if format == "json3" {
			units, err = parseJSON3(resp.Body)
		} else {
			units, err = parseTimedTextXML(resp.Body)
		}
		if err == nil && len(units) > 0 {
			return units, nil
		}
	}
	if firstErr != nil {
		return nil, firstErr
	}
	if needsPOToken(base) {
		return nil, errorf(KindBotWall, nil, "YouTube now requires a proof-of-origin token for the captions of %s; set up yt-dlp or upload a subtitle file", yt.id)
	}
	return nil, errorf(KindNoCaptions, nil, "YouTube returned empty captions for %s; upload a subtitle file or paste the transcript", yt.id)
}

// trackURL moves a caption URL onto the configured base, so that a proxy
// or a test server stands in for YouTube.
func (yt *youtubeClient) trackURL(raw string) (*url.URL, error) {
	u, err := url.Parse(html.UnescapeString(raw))
	if err != nil {
		return nil, err
	}
	base, err := url.Parse(yt.base)
	if err != nil {
		return nil, err
	}
	out := *base
	out.Path = strings.TrimRight(base.Path, "/") + u.Path
	out.RawQuery = u.RawQuery
	return &out, nil
}

// needsPOToken reports whether a caption URL carries the experiment flag
// under which YouTube answers with an empty body unless a proof-of-origin
// token is sent.
func needsPOToken(u *url.URL) bool {
	exp := u.Query().Get("exp")
	return exp == "xpe" || exp == "xpv"
}

// json3 is YouTube's JSON caption format.
type json3 struct {
	Events []struct {
		TStartMs    *float64 `json:"tStartMs"`
		DDurationMs *float64 `json:"dDurationMs"`
		AAppend     int      `json:"aAppend"`
		Segs        []struct {
			UTF8 string `json:"utf8"`
		} `json:"segs"`
	} `json:"events"`
}

// parseJSON3 reads json3 captions: one unit per event that has text.
// Window events (no segments) and the newline-only events that automatic
// tracks append between lines are skipped.
func parseJSON3(data []byte) ([]recap.Unit, error) {
	var doc json3
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	var units []recap.Unit
	for _, ev := range doc.Events {
		if ev.TStartMs == nil || len(ev.Segs) == 0 {
			continue
		}
		var b strings.Builder
		for _, s := range ev.Segs {
			b.WriteString(s.UTF8)
		}
		text := recap.CollapseSpace(b.String())
		if text == "" {
			continue
		}
		start := *ev.TStartMs / 1000
		u := recap.Unit{Start: recap.Secs(start), Text: text}
		if ev.DDurationMs != nil {
			u.End = recap.Secs(start + *ev.DDurationMs/1000)
		}
		units = append(units, u)
	}
	return units, nil
}

var markupPattern = regexp.MustCompile(`<[^>]*>`)

// parseTimedTextXML reads the XML caption formats: srv1
// (<transcript><text start dur>, seconds) and srv3 (<timedtext
// format="3"><body><p t d>, milliseconds, words in <s>). Text keeps no
// markup and has its entities decoded.
func parseTimedTextXML(data []byte) ([]recap.Unit, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = false
	dec.Entity = xml.HTMLEntity
	var r timedTextReader
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			r.start(tok)
		case xml.CharData:
			if r.cur != nil {
				r.text.Write(tok)
			}
		case xml.EndElement:
			r.end(tok)
		}
	}
	return r.units, nil
}

// timedTextReader is parseTimedTextXML's state between tokens.
type timedTextReader struct {
	units []recap.Unit
	cur   *recap.Unit // the cue being read, nil between cues
	text  strings.Builder
	cue   string // the element that opened the current cue
}

// start opens a cue at a timed <text> (srv1, seconds) or <p> (srv3,
// milliseconds); elements inside a cue are markup of its text.
func (r *timedTextReader) start(tok xml.StartElement) {
	if r.cur != nil {
		return
	}
	var start, dur float64
	var ok, hasDur bool
	switch tok.Name.Local {
	case "text":
		start, ok = attrFloat(tok, "start", 1)
		dur, hasDur = attrFloat(tok, "dur", 1)
	case "p":
		start, ok = attrFloat(tok, "t", 1000)
		dur, hasDur = attrFloat(tok, "d", 1000)
	}
	if !ok {
		return
	}
	r.cur = &recap.Unit{Start: recap.Secs(start)}
	if hasDur {
		r.cur.End = recap.Secs(start + dur)
	}
	r.cue = tok.Name.Local
	r.text.Reset()
}

// end closes the cue at the end of the element that opened it.
func (r *timedTextReader) end(tok xml.EndElement) {
	if r.cur == nil || tok.Name.Local != r.cue {
		return
	}
	s := markupPattern.ReplaceAllString(r.text.String(), "")
	r.cur.Text = recap.CollapseSpace(html.UnescapeString(s))
	if r.cur.Text != "" {
		r.units = append(r.units, *r.cur)
	}
	r.cur = nil
}

// attrFloat reads a numeric attribute divided by scale.
func attrFloat(el xml.StartElement, name string, scale float64) (float64, bool) {
	for _, a := range el.Attr {
		if a.Name.Local == name {
			f, err := strconv.ParseFloat(strings.TrimSpace(a.Value), 64)
			if err != nil || f < 0 {
				return 0, false
			}
			return f / scale, true
		}
	}
	return 0, false
}
