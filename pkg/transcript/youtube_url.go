package transcript

import (
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// videoIDPattern matches a YouTube video ID: 11 characters of the URL-safe
// base64 alphabet.
var videoIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{11}$`)

// youTubeHosts maps every host name that serves YouTube videos to whether
// it is the short-link host, where the ID is the path itself.
var youTubeHosts = map[string]bool{
	"youtube.com":              false,
	"www.youtube.com":          false,
	"m.youtube.com":            false,
	"music.youtube.com":        false,
	"youtube-nocookie.com":     false,
	"www.youtube-nocookie.com": false,
	"youtu.be":                 true,
	"www.youtu.be":             true,
}

// IsYouTubeLink reports whether raw is a link to any page of YouTube
// (a video, a channel, a playlist), with or without its scheme.
func IsYouTubeLink(raw string) bool {
	raw = strings.TrimSpace(raw)
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	return err == nil && isYouTubeHost(u.Host)
}

// isYouTubeHost reports whether host (possibly with a port) serves
// YouTube videos.
func isYouTubeHost(host string) bool {
	_, ok := youTubeHosts[strings.ToLower(hostname(host))]
	return ok
}

func hostname(host string) string {
	if h, _, ok := strings.Cut(host, ":"); ok && !strings.Contains(h, "]") {
		return h
	}
	return host
}

// ParseYouTubeURL returns the video ID of a YouTube link and the start time
// it asks for (0 when none). It accepts watch, youtu.be, shorts, embed,
// live, v and e links on youtube.com and its www, m and music hosts and
// on youtube-nocookie.com, attribution links, links without a scheme, and
// a bare 11-character ID. Start times come from t= or start= (93, 93s,
// 1m33s, 1h2m3s), in the query or the fragment; tracking parameters such
// as si, list, index, feature and pp are ignored. A link that names no
// single video fails with a KindBadInput error saying why.
func ParseYouTubeURL(raw string) (videoID string, startSeconds float64, err error) {
	return parseYouTubeURL(raw, 0)
}

func parseYouTubeURL(raw string, depth int) (string, float64, error) {
	s := strings.TrimSpace(raw)
	s = strings.ReplaceAll(s, "&amp;", "&")
	if s == "" {
		return "", 0, errorf(KindBadInput, nil, "the YouTube link is empty")
	}
	if videoIDPattern.MatchString(s) {
		return s, 0, nil
	}
	u, short, err := youTubeLink(raw, s)
	if err != nil {
		return "", 0, err
	}
	q := u.Query()
	frag := fragmentValues(u.Fragment)
	segs := pathSegments(u.Path)
	if !short && len(segs) > 0 && segs[0] == "attribution_link" {
		return parseAttributionLink(raw, q.Get("u"), depth)
	}
	id, err := linkVideoID(raw, short, segs, q, frag)
	if err != nil {
		return "", 0, err
	}
	if !videoIDPattern.MatchString(id) {
		return "", 0, errorf(KindBadInput, nil, "%s is not a valid YouTube video ID (11 letters, digits, - or _)", clip(id))
	}
	return id, linkStart(q, frag), nil
}

// youTubeLink parses s (raw, trimmed) as a web link on a YouTube host;
// short reports a youtu.be link.
func youTubeLink(raw, s string) (u *url.URL, short bool, err error) {
	if !strings.Contains(s, "://") {
		s = "https://" + strings.TrimPrefix(s, "//")
	}
	u, err = url.Parse(s)
	if err != nil {
		return nil, false, errorf(KindBadInput, err, "%s is not a valid link", clip(raw))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, false, errorf(KindBadInput, nil, "%s is not a web link (it uses %q)", clip(raw), u.Scheme)
	}
	short, ok := youTubeHosts[strings.ToLower(hostname(u.Host))]
	if !ok {
		return nil, false, errorf(KindBadInput, nil, "%s is not a YouTube link", clip(raw))
	}
	return u, short, nil
}

// parseAttributionLink parses the link an attribution link wraps (inner,
// its u parameter); one level of wrapping is all there is.
func parseAttributionLink(raw, inner string, depth int) (string, float64, error) {
	if inner == "" || depth > 0 {
		return "", 0, errorf(KindBadInput, nil, "%s is an attribution link without a video", clip(raw))
	}
	if strings.HasPrefix(inner, "/") {
		inner = "https://www.youtube.com" + inner
	}
	return parseYouTubeURL(inner, depth+1)
}

// linkVideoID finds the video ID where each kind of link keeps it, or
// says what the link points at instead of one video.
func linkVideoID(raw string, short bool, segs []string, q, frag url.Values) (string, error) {
	switch {
	case short:
		if len(segs) == 0 {
			return "", errorf(KindBadInput, nil, "%s has no video ID after youtu.be/", clip(raw))
		}
		return segs[0], nil
	case len(segs) == 0 || segs[0] == "watch":
		return watchVideoID(raw, q, frag)
	case isVideoPathKind(segs[0]):
		if len(segs) < 2 {
			return "", errorf(KindBadInput, nil, "%s has no video ID after /%s/", clip(raw), segs[0])
		}
		return segs[1], nil
	case segs[0] == "playlist":
		return "", errorf(KindBadInput, nil, "%s is a playlist; link one video", clip(raw))
	case segs[0] == "clip":
		return "", errorf(KindBadInput, nil, "%s is a clip; open it and copy the link of the full video", clip(raw))
	case segs[0] == "channel" || segs[0] == "c" || segs[0] == "user" || strings.HasPrefix(segs[0], "@"):
		return "", errorf(KindBadInput, nil, "%s is a channel; link one video", clip(raw))
	}
	return "", errorf(KindBadInput, nil, "%s is not a YouTube video link", clip(raw))
}

// watchVideoID is the v= of a watch link, in its query or fragment.
func watchVideoID(raw string, q, frag url.Values) (string, error) {
	if id := q.Get("v"); id != "" {
		return id, nil
	}
	if id := frag.Get("v"); id != "" {
		return id, nil
	}
	if q.Get("list") != "" {
		return "", errorf(KindBadInput, nil, "%s is a playlist without a video; link one video", clip(raw))
	}
	return "", errorf(KindBadInput, nil, "%s has no v= video ID", clip(raw))
}

// linkStart is the start time a link asks for: the first of t= and
// start=, in the query then the fragment, that reads as a time; else 0.
func linkStart(q, frag url.Values) float64 {
	for _, v := range []string{q.Get("t"), q.Get("start"), frag.Get("t"), frag.Get("start")} {
		if sec, ok := parseYouTubeTime(v); ok {
			return sec
		}
	}
	return 0
}

// isVideoPathKind reports whether a first path segment is followed by a
// video ID.
func isVideoPathKind(seg string) bool {
	switch seg {
	case "shorts", "embed", "live", "v", "e":
		return true
	}
	return false
}

func pathSegments(p string) []string {
	var out []string
	for _, s := range strings.Split(p, "/") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// fragmentValues reads key=value pairs from a fragment such as "t=90" or
// "!v=ID".
func fragmentValues(frag string) url.Values {
	frag = strings.TrimPrefix(frag, "!")
	v, _ := url.ParseQuery(frag)
	return v
}

// parseYouTubeTime reads a start time as YouTube writes it: plain seconds
// ("93", "93.5"), seconds with a unit ("93s"), or hours, minutes and
// seconds ("1h2m3s", "2m", "1h"). It reports false for anything else.
func parseYouTubeTime(s string) (float64, bool) {
	s = strings.TrimSpace(strings.ToLower(s))
	if s == "" {
		return 0, false
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return validSeconds(f)
	}
	total := 0.0
	seen := false
	lastUnit := 4 // units must come in the order h, m, s
	for s != "" {
		i := 0
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
			i++
		}
		if i == 0 || i == len(s) {
			return 0, false
		}
		n, err := strconv.ParseFloat(s[:i], 64)
		if err != nil {
			return 0, false
		}
		unit := strings.IndexByte("smh", s[i]) + 1
		if unit == 0 || unit >= lastUnit {
			return 0, false
		}
		lastUnit = unit
		total += n * math.Pow(60, float64(unit-1))
		seen = true
		s = s[i+1:]
	}
	if !seen {
		return 0, false
	}
	return validSeconds(total)
}

func validSeconds(f float64) (float64, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e7 {
		return 0, false
	}
	return f, true
}
