package transcript

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"

	"github.com/recap-startos/recap/pkg/recap"
)

// youtubeChapters returns the chapters of a video, best source first:
// the creator's chapters as the player bar shows them (in the player
// response or the page's initial data), then timestamps in the
// description, then the chapters YouTube generated itself ("key moments").
// duration, when known, drops markers past the end.
func youtubeChapters(p *playerResponse, page *watchPageData, duration float64) []recap.Chapter {
	var creator, auto []recap.Chapter
	collect := func(v any) {
		c, a := markerChapters(v)
		if len(creator) == 0 {
			creator = c
		}
		if len(auto) == 0 {
			auto = a
		}
	}
	if len(p.Raw) > 0 {
		var v any
		if json.Unmarshal(p.Raw, &v) == nil {
			collect(v)
		}
	}
	if page != nil && page.Initial != nil {
		collect(page.Initial)
	}
	if len(creator) > 0 {
		return creator
	}
	desc := p.VideoDetails.ShortDescription
	if desc == "" {
		desc = p.Microformat.Renderer.Description.String()
	}
	if desc == "" && page != nil && page.Player != nil {
		desc = page.Player.VideoDetails.ShortDescription
	}
	if c := descriptionChapters(desc, duration); len(c) > 0 {
		return c
	}
	return auto
}

// markerChapters walks decoded JSON for chapter markers: chapterRenderer
// entries of the player bar, and macroMarkersListItemRenderer entries of
// the chapter panels (the same items also appear as description cards,
// which are not counted). Markers under an AUTO_CHAPTERS key or in the
// auto-chapters panel are YouTube's own and returned apart.
func markerChapters(root any) (creator, auto []recap.Chapter) {
	const (
		noPanel = iota
		creatorPanel
		autoPanel
	)
	add := func(c recap.Chapter, isAuto bool) {
		if isAuto {
			auto = append(auto, c)
		} else {
			creator = append(creator, c)
		}
	}
	var walk func(v any, isAuto bool, panel int)
	walk = func(v any, isAuto bool, panel int) {
		switch v := v.(type) {
		case []any:
			for _, e := range v {
				walk(e, isAuto, panel)
			}
		case map[string]any:
			if k, _ := v["key"].(string); k == "AUTO_CHAPTERS" {
				isAuto = true
			}
			if id, _ := v["panelIdentifier"].(string); id != "" {
				switch {
				case strings.Contains(id, "macro-markers-auto-chapters"):
					panel = autoPanel
				case strings.Contains(id, "macro-markers-description-chapters"):
					panel = creatorPanel
				default:
					panel = noPanel
				}
			}
			if r, ok := v["chapterRenderer"].(map[string]any); ok {
				if c, ok := chapterFromRenderer(r); ok {
					add(c, isAuto)
				}
				return
			}
			if r, ok := v["macroMarkersListItemRenderer"].(map[string]any); ok {
				if c, ok := chapterFromMacroMarker(r); ok && panel != noPanel {
					add(c, panel == autoPanel)
				}
				return
			}
			for _, e := range v {
				walk(e, isAuto, panel)
			}
		}
	}
	walk(root, false, noPanel)
	return dedupeChapters(creator), dedupeChapters(auto)
}

func chapterFromRenderer(r map[string]any) (recap.Chapter, bool) {
	title := textOf(r["title"])
	ms, ok := r["timeRangeStartMillis"].(float64)
	if !ok || title == "" || ms < 0 {
		return recap.Chapter{}, false
	}
	return recap.Chapter{Title: title, Start: ms / 1000}, true
}

func chapterFromMacroMarker(r map[string]any) (recap.Chapter, bool) {
	title := textOf(r["title"])
	if title == "" {
		return recap.Chapter{}, false
	}
	if tap, ok := r["onTap"].(map[string]any); ok {
		if we, ok := tap["watchEndpoint"].(map[string]any); ok {
			if s, ok := we["startTimeSeconds"].(float64); ok && s >= 0 {
				return recap.Chapter{Title: title, Start: s}, true
			}
		}
	}
	if s, ok := chapterClock(textOf(r["timeDescription"])); ok {
		return recap.Chapter{Title: title, Start: s}, true
	}
	return recap.Chapter{}, false
}

// textOf reads a YouTube text object decoded as a map.
func textOf(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	if s, ok := m["simpleText"].(string); ok {
		return strings.TrimSpace(s)
	}
	var b strings.Builder
	runs, _ := m["runs"].([]any)
	for _, r := range runs {
		if rm, ok := r.(map[string]any); ok {
			s, _ := rm["text"].(string)
			b.WriteString(s)
		}
	}
	return strings.TrimSpace(b.String())
}

// dedupeChapters drops repeated markers (the same list can appear in
// the player bar and in a panel) and keeps them in time order.
func dedupeChapters(cs []recap.Chapter) []recap.Chapter {
	var out []recap.Chapter
	for _, c := range cs {
		if len(out) > 0 && c.Start <= out[len(out)-1].Start {
			continue
		}
		out = append(out, c)
	}
	return out
}

// descriptionLine matches a chapter line of a description: an optional
// bullet, a clock time (optionally in brackets), an optional separator and
// the title; or the title first and the time last.
var (
	timeFirstLine = regexp.MustCompile(`^[\s\-–—•*▶►>]*[\[(]?((?:\d{1,2}:)?\d{1,2}:\d{2})[\])]?\s*(?:[-–—:|.)]\s*)?(.+)$`)
	timeLastLine  = regexp.MustCompile(`^[\s\-–—•*▶►>]*(.+?)\s*(?:[-–—:|]\s*)?[\[(]?((?:\d{1,2}:)?\d{1,2}:\d{2})[\])]?\s*$`)
)

// descriptionChapters reads chapters from timestamp lines in a video
// description, following YouTube's own rule: at least three lines, the
// first at 0:00, times increasing. Lines past duration are dropped. It
// returns nil when the description does not qualify.
func descriptionChapters(desc string, duration float64) []recap.Chapter {
	var out []recap.Chapter
	for _, line := range strings.Split(desc, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		var clock, title string
		if m := timeFirstLine.FindStringSubmatch(line); m != nil {
			clock, title = m[1], m[2]
		} else if m := timeLastLine.FindStringSubmatch(line); m != nil {
			clock, title = m[2], m[1]
		} else {
			continue
		}
		title = strings.TrimSpace(strings.Trim(strings.TrimSpace(title), "-–—:|"))
		start, ok := chapterClock(clock)
		if !ok || title == "" {
			continue
		}
		if duration > 0 && start >= duration {
			continue
		}
		if len(out) > 0 && start <= out[len(out)-1].Start {
			continue
		}
		out = append(out, recap.Chapter{Title: title, Start: start})
	}
	if len(out) < 3 || out[0].Start != 0 {
		return nil
	}
	return out
}

// chapterClock reads M:SS or H:MM:SS.
func chapterClock(s string) (float64, bool) {
	parts := strings.Split(strings.TrimSpace(s), ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, false
	}
	total := 0
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || (i > 0 && (n >= 60 || len(p) != 2)) {
			return 0, false
		}
		total = total*60 + n
	}
	return float64(total), true
}
