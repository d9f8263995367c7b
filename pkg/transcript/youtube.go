package transcript

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/recap-startos/recap/pkg/recap"
)

// YouTube transcripts are fetched without an API key, the way the YouTube
// apps do it:
//
//  1. GET {base}/watch?v=ID. An EU cookie-consent interstitial is answered
//     once with consent cookies; a reCAPTCHA page or HTTP 429 means YouTube
//     is blocking this address (KindBotWall).
//  2. Read INNERTUBE_API_KEY and the visitor data from the page, and keep
//     the page's own player response and initial data for metadata and
//     chapters.
//  3. POST {base}/youtubei/v1/player?key=KEY as the innertube client named
//     by YouTubeClientName and YouTubeClientVersion; its playabilityStatus
//     says whether the video can be read at all.
//  4. Choose a caption track (youtube_captions.go) and fetch it from
//     {base}/api/timedtext as json3, falling back to the XML formats.
//
// Caption URLs are signed and bound to the fetching address, so all of this
// happens in one run; nothing but the result is kept.

// The innertube client context sent to the player endpoint. YouTube retires
// client versions from time to time; when the player call starts failing
// for every video, a newer version here is usually the fix.
var (
	YouTubeClientName    = "ANDROID"
	YouTubeClientVersion = "20.10.38"
)

// youtubeSubject names a video in messages.
func youtubeSubject(id string) string { return "YouTube video " + id }

// fetchYouTube reads the transcript of one video with the built-in client,
// then with yt-dlp when that is configured and the built-in client failed
// for a reason other than bad input.
func fetchYouTube(ctx context.Context, id string, opt Options) (*recap.Transcript, error) {
	t, err := fetchYouTubeBuiltin(ctx, id, opt)
	if err == nil || opt.YTDLPPath == "" || IsBadInput(err) || ctx.Err() != nil {
		return t, err
	}
	t, yerr := fetchYTDLP(ctx, id, opt)
	if yerr == nil {
		return t, nil
	}
	var e *Error
	msg := err.Error()
	kind := KindOf(err)
	if errors.As(err, &e) && e.Message != "" {
		msg = e.Message
	}
	return nil, &Error{Kind: kind, Message: msg + " (yt-dlp also failed: " + oneLine(yerr.Error()) + ")", Err: err}
}

func fetchYouTubeBuiltin(ctx context.Context, id string, opt Options) (*recap.Transcript, error) {
	yt := &youtubeClient{opt: opt, base: strings.TrimRight(opt.youTubeBase(), "/"), id: id}
	page, err := yt.watchPage(ctx)
	if err != nil {
		return nil, err
	}
	player, err := yt.player(ctx, page)
	if err != nil {
		return nil, err
	}
	if err := classifyPlayability(id, player.PlayabilityStatus); err != nil {
		return nil, err
	}
	tracks := player.Captions.Renderer.CaptionTracks
	track, ok := chooseTrack(tracks, player.Captions.Renderer.defaultTrack(), opt.Lang)
	if !ok {
		return nil, errorf(KindNoCaptions, nil, "%s has no captions; upload a subtitle file or paste the transcript", youtubeSubject(id))
	}
	units, err := yt.captions(ctx, track)
	if err != nil {
		return nil, err
	}
	t := &recap.Transcript{Source: yt.source(player, page, track), Units: units}
	t.Chapters = youtubeChapters(player, page, t.Source.Duration)
	if err := t.Normalize(); err != nil {
		return nil, errorf(KindNoCaptions, err, "the captions of %s are empty; upload a subtitle file or paste the transcript", youtubeSubject(id))
	}
	return t, nil
}

// youtubeClient holds the state of one video's fetch.
type youtubeClient struct {
	opt     Options
	base    string // scheme and host standing in for https://www.youtube.com
	id      string
	cookies []string // name=value pairs sent with every request
}

// watchPageData is what the watch page gives us.
type watchPageData struct {
	APIKey      string
	VisitorData string
	Player      *playerResponse // the page's own player response, if found
	Initial     any             // ytInitialData, if found
}

func (yt *youtubeClient) get(ctx context.Context, rawURL, subject string) (*response, error) {
	h := http.Header{}
	h.Set("User-Agent", browserAgent)
	h.Set("Accept-Language", "en-US,en;q=0.9")
	if len(yt.cookies) > 0 {
		h.Set("Cookie", strings.Join(yt.cookies, "; "))
	}
	return do(ctx, yt.opt, request{URL: rawURL, Header: h, Subject: subject, ToBase: true})
}

var (
	apiKeyPattern      = regexp.MustCompile(`"INNERTUBE_API_KEY"\s*:\s*"([A-Za-z0-9_-]+)"`)
	visitorDataPattern = regexp.MustCompile(`"VISITOR_DATA"\s*:\s*"([^"]+)"`)
	consentValue       = regexp.MustCompile(`name="v"\s+value="(cb\.[^"]+)"`)
)

// watchPage fetches and reads the watch page, answering a consent
// interstitial once.
func (yt *youtubeClient) watchPage(ctx context.Context) (*watchPageData, error) {
	pageURL := yt.base + "/watch?v=" + url.QueryEscape(yt.id)
	subject := "the watch page of " + youtubeSubject(yt.id)
	for attempt := 0; ; attempt++ {
		resp, err := yt.get(ctx, pageURL, subject)
		if err != nil {
			return nil, err
		}
		if err := yt.checkBlocked(resp); err != nil {
			return nil, err
		}
		if resp.Status != http.StatusOK {
			return nil, statusError(subject, resp.URL.Host, resp.Status)
		}
		body := string(resp.Body)
		if isConsentPage(body) {
			if attempt > 0 {
				return nil, errorf(KindBotWall, nil, "YouTube keeps asking for cookie consent for %s; try again later or upload a subtitle file", youtubeSubject(yt.id))
			}
			yt.cookies = consentCookies(body)
			continue
		}
		page := &watchPageData{}
		if m := apiKeyPattern.FindStringSubmatch(body); m != nil {
			page.APIKey = m[1]
		}
		if m := visitorDataPattern.FindStringSubmatch(body); m != nil {
			page.VisitorData, _ = url.QueryUnescape(m[1])
		}
		if raw := embeddedJSON(body, "ytInitialPlayerResponse"); raw != "" {
			var p playerResponse
			if json.Unmarshal([]byte(raw), &p) == nil {
				page.Player = &p
			}
		}
		if raw := embeddedJSON(body, "ytInitialData"); raw != "" {
			var v any
			if json.Unmarshal([]byte(raw), &v) == nil {
				page.Initial = v
			}
		}
		if page.APIKey == "" {
			return nil, errorf(KindUnknown, nil, "could not read the YouTube page of %s (YouTube may have changed); try again later or upload a subtitle file", yt.id)
		}
		return page, nil
	}
}

// checkBlocked recognises YouTube's ways of refusing an address: HTTP 429,
// the "unusual traffic" reCAPTCHA page, or a redirect to google.com/sorry.
func (yt *youtubeClient) checkBlocked(resp *response) error {
	body := resp.Body
	if resp.Status == http.StatusTooManyRequests || strings.HasPrefix(resp.URL.Path, "/sorry") ||
		containsAny(body, "g-recaptcha", "/das_captcha") {
		return errorf(KindBotWall, nil, "YouTube is blocking requests from this address (rate limit or bot check); try again later, or upload a subtitle file")
	}
	return nil
}

func containsAny(b []byte, subs ...string) bool {
	s := string(b)
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// isConsentPage recognises the EU cookie-consent interstitial by its form
// posting to consent.youtube.com.
func isConsentPage(body string) bool {
	return strings.Contains(body, `action="https://consent.youtube.com`)
}

// consentCookies builds the cookies that answer the consent page: the
// older CONSENT cookie carries the form's "v" value, the newer SOCS cookie
// records a minimal choice.
func consentCookies(body string) []string {
	cookies := []string{"SOCS=CAI"}
	if m := consentValue.FindStringSubmatch(body); m != nil {
		cookies = append(cookies, "CONSENT=YES+"+m[1])
	}
	return cookies
}

// embeddedJSON returns the JSON object assigned to name in a page's
// scripts ("var ytInitialData = {...};"), found by matching braces outside
// strings so that no pattern has to guess where the object ends.
func embeddedJSON(body, name string) string {
	i := strings.Index(body, name)
	for i >= 0 {
		rest := body[i+len(name):]
		if obj := assignedObject(rest); obj != "" {
			return obj
		}
		next := strings.Index(rest, name)
		if next < 0 {
			break
		}
		i += len(name) + next
	}
	return ""
}

// assignedObject returns the JSON object that rest, the text after a
// name, assigns to it (` = {...}`, or `"] = {...}` after a quoted
// key), or "" when rest does not start with such an assignment.
func assignedObject(rest string) string {
	rest = strings.TrimLeft(rest, " \t\"]")
	rest, ok := strings.CutPrefix(rest, "=")
	if !ok {
		return ""
	}
	rest = strings.TrimLeft(rest, " \t")
	if !strings.HasPrefix(rest, "{") {
		return ""
	}
	if end := matchBrace(rest); end > 0 {
		return rest[:end]
	}
	return ""
}

// matchBrace returns the length of the JSON object at the start of s, or 0
// when it does not close.
func matchBrace(s string) int {
	depth := 0
	inString := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return 0
}

// player asks the innertube player endpoint about the video.
func (yt *youtubeClient) player(ctx context.Context, page *watchPageData) (*playerResponse, error) {
	client := map[string]any{
		"clientName":    YouTubeClientName,
		"clientVersion": YouTubeClientVersion,
		"hl":            "en",
	}
	if page.VisitorData != "" {
		client["visitorData"] = page.VisitorData
	}
	body, err := json.Marshal(map[string]any{
		"context": map[string]any{"client": client},
		"videoId": yt.id,
	})
	if err != nil {
		return nil, errorf(KindUnknown, err, "could not build the YouTube player request")
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Accept-Language", "en-US,en;q=0.9")
	if len(yt.cookies) > 0 {
		h.Set("Cookie", strings.Join(yt.cookies, "; "))
	}
	subject := "the player data of " + youtubeSubject(yt.id)
	resp, err := do(ctx, yt.opt, request{
		Method:  http.MethodPost,
		URL:     yt.base + "/youtubei/v1/player?key=" + url.QueryEscape(page.APIKey),
		Header:  h,
		Body:    body,
		Subject: subject,
		ToBase:  true,
	})
	if err != nil {
		return nil, err
	}
	if err := yt.checkBlocked(resp); err != nil {
		return nil, err
	}
	if resp.Status != http.StatusOK {
		return nil, statusError(subject, resp.URL.Host, resp.Status)
	}
	var p playerResponse
	if err := json.Unmarshal(resp.Body, &p); err != nil {
		return nil, errorf(KindUnknown, err, "could not read the YouTube player data of %s (YouTube may have changed); try again later or upload a subtitle file", yt.id)
	}
	if p.Microformat.Renderer.UploadDate == "" && p.Microformat.Renderer.PublishDate == "" && page.Player != nil {
		p.Microformat = page.Player.Microformat
	}
	return &p, nil
}

// playerResponse is the part of the innertube player response Recap reads.
type playerResponse struct {
	PlayabilityStatus playability `json:"playabilityStatus"`
	VideoDetails      struct {
		VideoID          string `json:"videoId"`
		Title            string `json:"title"`
		LengthSeconds    string `json:"lengthSeconds"`
		Author           string `json:"author"`
		ShortDescription string `json:"shortDescription"`
	} `json:"videoDetails"`
	Microformat struct {
		Renderer struct {
			Title            ytText `json:"title"`
			Description      ytText `json:"description"`
			LengthSeconds    string `json:"lengthSeconds"`
			OwnerChannelName string `json:"ownerChannelName"`
			UploadDate       string `json:"uploadDate"`
			PublishDate      string `json:"publishDate"`
		} `json:"playerMicroformatRenderer"`
	} `json:"microformat"`
	Captions struct {
		Renderer trackList `json:"playerCaptionsTracklistRenderer"`
	} `json:"captions"`
	// Raw keeps the whole response for the chapter search.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON keeps the raw response beside the decoded fields.
func (p *playerResponse) UnmarshalJSON(b []byte) error {
	type plain playerResponse
	var v plain
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*p = playerResponse(v)
	p.Raw = append(json.RawMessage(nil), b...)
	return nil
}

type playability struct {
	Status      string   `json:"status"`
	Reason      string   `json:"reason"`
	Messages    []string `json:"messages"`
	ErrorScreen struct {
		PlayerError struct {
			Reason    ytText `json:"reason"`
			Subreason ytText `json:"subreason"`
		} `json:"playerErrorMessageRenderer"`
	} `json:"errorScreen"`
}

// ytText is YouTube's text object: simpleText or a list of runs.
type ytText struct {
	SimpleText string `json:"simpleText"`
	Runs       []struct {
		Text string `json:"text"`
	} `json:"runs"`
}

func (t ytText) String() string {
	if t.SimpleText != "" {
		return t.SimpleText
	}
	var b strings.Builder
	for _, r := range t.Runs {
		b.WriteString(r.Text)
	}
	return b.String()
}

// classifyPlayability turns a playabilityStatus that is not OK into a
// classified error.
func classifyPlayability(id string, p playability) error {
	reason := strings.TrimSpace(p.Reason)
	if reason == "" {
		reason = strings.TrimSpace(p.ErrorScreen.PlayerError.Reason.String())
	}
	all := strings.ToLower(strings.ReplaceAll(reason+" "+strings.Join(p.Messages, " ")+" "+p.ErrorScreen.PlayerError.Subreason.String(), "’", "'"))
	subject := youtubeSubject(id)
	detail := ""
	if reason != "" {
		detail = ": " + oneLine(reason)
	}
	switch p.Status {
	case "OK":
		return nil
	case "":
		return errorf(KindUnavailable, nil, "%s is unavailable (YouTube returned no status); check the link", subject)
	case "AGE_CHECK_REQUIRED", "AGE_VERIFICATION_REQUIRED":
		return ageRestricted(subject)
	case "LIVE_STREAM_OFFLINE":
		return errorf(KindUnavailable, nil, "%s is a live stream or premiere that has not started%s; try again after it has been broadcast", subject, detail)
	case "LOGIN_REQUIRED":
		switch {
		case strings.Contains(all, "not a bot"):
			return errorf(KindBotWall, nil, "YouTube wants a sign-in to prove this is not a bot (this address is being blocked); try again later, or upload a subtitle file")
		case strings.Contains(all, "confirm your age"), strings.Contains(all, "inappropriate"), strings.Contains(all, "age-restricted"), strings.Contains(all, "age restricted"):
			return ageRestricted(subject)
		case strings.Contains(all, "private"):
			return errorf(KindUnavailable, nil, "%s is private; only its owner can see it", subject)
		}
		return errorf(KindUnavailable, nil, "%s needs a signed-in account%s", subject, detail)
	}
	if strings.Contains(all, "private") {
		return errorf(KindUnavailable, nil, "%s is private; only its owner can see it", subject)
	}
	if sub := strings.TrimSpace(p.ErrorScreen.PlayerError.Subreason.String()); sub != "" && detail != "" {
		detail += " (" + oneLine(sub) + ")"
	}
	if detail == "" {
		detail = " (" + strings.ToLower(p.Status) + ")"
	}
	return errorf(KindUnavailable, nil, "%s cannot be played%s", subject, detail)
}

func ageRestricted(subject string) error {
	return errorf(KindAgeRestricted, nil, "%s is age-restricted and needs a signed-in adult account; upload a subtitle file or paste the transcript", subject)
}

// oneLine collapses white space so that text from elsewhere fits a
// one-line message.
func oneLine(s string) string { return recap.CollapseSpace(s) }

// source assembles the metadata of the video.
func (yt *youtubeClient) source(p *playerResponse, page *watchPageData, track captionTrack) recap.Source {
	mf := p.Microformat.Renderer
	src := recap.Source{
		Type:     recap.SourceYouTube,
		URL:      "https://www.youtube.com/watch?v=" + yt.id,
		VideoID:  yt.id,
		Title:    firstNonEmpty(p.VideoDetails.Title, mf.Title.String()),
		Channel:  firstNonEmpty(p.VideoDetails.Author, mf.OwnerChannelName),
		Language: track.LanguageCode,
		Captions: recap.CaptionsManual,
	}
	if track.auto() {
		src.Captions = recap.CaptionsAuto
	}
	if page != nil && page.Player != nil {
		if src.Title == "" {
			src.Title = page.Player.VideoDetails.Title
		}
		if src.Channel == "" {
			src.Channel = page.Player.VideoDetails.Author
		}
	}
	for _, d := range []string{mf.UploadDate, mf.PublishDate} {
		if date := isoDate(d); date != "" {
			src.UploadDate = date
			break
		}
	}
	for _, l := range []string{p.VideoDetails.LengthSeconds, mf.LengthSeconds} {
		if n, err := strconv.ParseFloat(l, 64); err == nil && n > 0 {
			src.Duration = n
			break
		}
	}
	return src
}

var isoDatePattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}`)

// isoDate returns the YYYY-MM-DD prefix of a date, or "".
func isoDate(s string) string {
	return isoDatePattern.FindString(strings.TrimSpace(s))
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}
