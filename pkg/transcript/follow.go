package transcript

// Following a show: a podcast feed, a YouTube channel or a playlist is
// named by a link (ResolveFollow), then read again and again (PollFeed)
// with conditional requests, so that an unchanged feed costs one short
// answer. YouTube channels and playlists are read through their public
// Atom feeds on the configured YouTube base URL.

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Kinds of followed sources.
const (
	FollowPodcast  = "podcast"  // Ref is the feed URL
	FollowChannel  = "channel"  // Ref is a YouTube channel id (UC…)
	FollowPlaylist = "playlist" // Ref is a YouTube playlist id
)

// Followable is a source that can be followed.
type Followable struct {
	Kind  string // one of the Follow* constants
	Ref   string // the feed URL, channel id or playlist id
	Title string // the show's name, when the link told it
}

// FeedURL is where the followed source's feed is read: the podcast feed
// itself, or YouTube's Atom feed of the channel or playlist under opt's
// YouTube base URL.
func (f Followable) FeedURL(opt Options) string {
	switch f.Kind {
	case FollowChannel:
		return opt.youTubeBase() + "/feeds/videos.xml?channel_id=" + url.QueryEscape(f.Ref)
	case FollowPlaylist:
		return opt.youTubeBase() + "/feeds/videos.xml?playlist_id=" + url.QueryEscape(f.Ref)
	}
	return f.Ref
}

// FeedEntry is one item of a followed feed.
type FeedEntry struct {
	Key       string    // stable identity: GUID, video id, else the media or page link
	Title     string    //
	URL       string    // what a job reads: the video's watch link, or the feed for a podcast
	Episode   string    // the podcast episode selector (GUID, else title); "" for videos
	Published time.Time // zero when the feed gives no date
	// Transcript reports whether the feed names a transcript (podcasts);
	// videos are always true, their captions are known only by trying.
	Transcript bool
}

// FeedPoll is the answer to one poll of a feed.
type FeedPoll struct {
	NotModified  bool   // the feed is unchanged since the validators given
	Title        string // the feed's title
	Entries      []FeedEntry
	ETag         string // validators to send next time
	LastModified string
}

var (
	channelIDPattern  = regexp.MustCompile(`^UC[0-9A-Za-z_-]{22}$`)
	playlistIDPattern = regexp.MustCompile(`^[0-9A-Za-z_-]{10,64}$`)
	// pageChannelID finds a channel id in a channel or watch page: the
	// canonical link, the channel metadata, or the video's details.
	pageChannelID = []*regexp.Regexp{
		regexp.MustCompile(`<link rel="canonical" href="[^"]*/channel/(UC[0-9A-Za-z_-]{22})"`),
		regexp.MustCompile(`"externalId"\s*:\s*"(UC[0-9A-Za-z_-]{22})"`),
		regexp.MustCompile(`"channelId"\s*:\s*"(UC[0-9A-Za-z_-]{22})"`),
		regexp.MustCompile(`itemprop="(?:channelId|identifier)" content="(UC[0-9A-Za-z_-]{22})"`),
	}
	pageAuthor = regexp.MustCompile(`"author"\s*:\s*"([^"]{1,200})"`)
)

// ResolveFollow says what a link to follow names: a YouTube channel
// (/@handle, /channel/ID, /c/NAME, /user/NAME, or a video of the
// channel), a YouTube playlist (/playlist?list=ID), YouTube's own Atom
// feed of either, or a podcast feed (RSS or Atom). Handles and videos are
// looked up on the YouTube base URL; a podcast link is downloaded once to
// check that it is a feed.
func ResolveFollow(ctx context.Context, raw string, opt Options) (Followable, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return Followable{}, errorf(KindBadInput, nil, "give the link of a podcast feed or a YouTube channel to follow")
	}
	if !strings.Contains(s, "://") {
		s = "https://" + strings.TrimPrefix(s, "//")
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return Followable{}, errorf(KindBadInput, err, "%s is not a web link", clip(raw))
	}
	if isYouTubeHost(u.Host) {
		return resolveYouTube(ctx, u, raw, opt)
	}
	return resolvePodcast(ctx, u.String(), opt)
}

// resolveYouTube reads the kind of YouTube link; handles and videos need
// a page to find their channel.
func resolveYouTube(ctx context.Context, u *url.URL, raw string, opt Options) (Followable, error) {
	q := u.Query()
	segs := pathSegments(u.Path)
	first := ""
	if len(segs) > 0 {
		first = segs[0]
	}
	if kind, ref, ok := youTubeIDRef(first, segs, q); ok {
		return youTubeRef(kind, ref, raw)
	}
	if strings.HasPrefix(first, "@") || (first == "c" || first == "user") && len(segs) > 1 {
		return channelOfPage(ctx, "/"+strings.Join(segs[:min(2, len(segs))], "/"), "the YouTube channel "+clip(raw), opt)
	}
	id, _, err := ParseYouTubeURL(u.String())
	if err != nil {
		return Followable{}, errorf(KindBadInput, nil, "%s is not a YouTube channel, playlist or video link", clip(raw))
	}
	if strings.HasPrefix(first, "@") || first == "c" {
		return Followable{}, errorf(KindBadInput, nil, "%s is not a YouTube channel link", clip(raw))
	}
	return channelOfPage(ctx, "/watch?v="+url.QueryEscape(id), youtubeSubject(id), opt)
}

// youTubeIDRef reads a link that names a channel or a playlist by its
// id: a feed link, /channel/ID, a playlist, or a watch link with a list
// and no video. ok is false for any other link.
func youTubeIDRef(first string, segs []string, q url.Values) (kind, ref string, ok bool) {
	switch {
	case first == "feeds" && q.Get("channel_id") != "":
		return FollowChannel, q.Get("channel_id"), true
	case first == "feeds" && q.Get("playlist_id") != "":
		return FollowPlaylist, q.Get("playlist_id"), true
	case first == "channel" && len(segs) > 1:
		return FollowChannel, segs[1], true
	case first == "playlist" || (first == "watch" && q.Get("v") == "" && q.Get("list") != ""):
		return FollowPlaylist, q.Get("list"), true
	}
	return "", "", false
}

// youTubeRef checks that ref is a valid id of its kind.
func youTubeRef(kind, ref, raw string) (Followable, error) {
	ok := channelIDPattern.MatchString(ref)
	if kind == FollowPlaylist {
		ok = playlistIDPattern.MatchString(ref)
	}
	if !ok {
		return Followable{}, errorf(KindBadInput, nil, "%s does not name a valid YouTube %s id", clip(raw), kind)
	}
	return Followable{Kind: kind, Ref: ref}, nil
}

// channelOfPage fetches a YouTube page (a channel's or a video's) from
// the base URL, answering the consent interstitial once, and reads the
// channel id from it.
func channelOfPage(ctx context.Context, path, subject string, opt Options) (Followable, error) {
	yt := &youtubeClient{opt: opt, base: opt.youTubeBase()}
	for attempt := 0; ; attempt++ {
		resp, err := yt.get(ctx, yt.base+path, subject)
		if err != nil {
			return Followable{}, err
		}
		if err := yt.checkBlocked(resp); err != nil {
			return Followable{}, err
		}
		if resp.Status == http.StatusNotFound {
			return Followable{}, errorf(KindUnavailable, nil, "YouTube has no %s", subject)
		}
		if resp.Status != http.StatusOK {
			return Followable{}, statusError(subject, resp.URL.Host, resp.Status)
		}
		body := string(resp.Body)
		if isConsentPage(body) && attempt == 0 {
			yt.cookies = consentCookies(body)
			continue
		}
		for _, p := range pageChannelID {
			if m := p.FindStringSubmatch(body); m != nil {
				f := Followable{Kind: FollowChannel, Ref: m[1]}
				if a := pageAuthor.FindStringSubmatch(body); a != nil && strings.HasPrefix(path, "/watch") {
					f.Title = oneLine(a[1])
				}
				return f, nil
			}
		}
		return Followable{}, errorf(KindUnknown, nil, "could not find the channel on the page of %s (YouTube may have changed); link the channel as /channel/ID", subject)
	}
}

// resolvePodcast downloads a link once and accepts it when it is a feed
// with episodes.
func resolvePodcast(ctx context.Context, feedURL string, opt Options) (Followable, error) {
	p, err := PollFeed(ctx, Followable{Kind: FollowPodcast, Ref: feedURL}, "", "", opt)
	if err != nil {
		return Followable{}, err
	}
	return Followable{Kind: FollowPodcast, Ref: feedURL, Title: p.Title}, nil
}

// PollFeed reads a followed source's feed. etag and lastModified are the
// validators of the previous answer ("" for none); an unchanged feed
// answers NotModified without entries. Entries are newest first.
func PollFeed(ctx context.Context, f Followable, etag, lastModified string, opt Options) (*FeedPoll, error) {
	feedURL := f.FeedURL(opt)
	subject := "the feed of " + clip(feedURL)
	h := http.Header{}
	h.Set("Accept", "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1")
	if etag != "" {
		h.Set("If-None-Match", etag)
	}
	if lastModified != "" {
		h.Set("If-Modified-Since", lastModified)
	}
	resp, err := do(ctx, opt, request{URL: feedURL, Header: h, Subject: subject, ToBase: f.Kind != FollowPodcast})
	if err != nil {
		return nil, err
	}
	switch {
	case resp.Status == http.StatusNotModified:
		return &FeedPoll{NotModified: true, ETag: firstNonEmpty(resp.Header.Get("ETag"), etag), LastModified: firstNonEmpty(resp.Header.Get("Last-Modified"), lastModified)}, nil
	case resp.Status == http.StatusTooManyRequests:
		return nil, errorf(KindBotWall, nil, "%s answered 429 Too Many Requests; it is tried again later", subject)
	case resp.Status == http.StatusNotFound || resp.Status == http.StatusGone:
		return nil, errorf(KindUnavailable, nil, "%s is gone (HTTP %d)", subject, resp.Status)
	case resp.Status != http.StatusOK:
		return nil, statusError(subject, resp.URL.Host, resp.Status)
	}
	if !isFeed(resp.Body) {
		return nil, errorf(KindBadInput, nil, "%s is not an RSS or Atom feed", subject)
	}
	parsed, err := parseFeed(resp.Body)
	if err != nil {
		return nil, errorf(KindBadInput, err, "%s could not be read: %v", subject, err)
	}
	out := &FeedPoll{Title: parsed.Title, ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}
	for _, ep := range parsed.Episodes {
		if e, ok := feedEntry(f, ep); ok {
			out.Entries = append(out.Entries, e)
		}
	}
	return out, nil
}

// feedEntry turns a feed episode into an entry; an entry without any
// identity is skipped.
func feedEntry(f Followable, ep episode) (FeedEntry, bool) {
	e := FeedEntry{Title: ep.Title, Published: ep.Published}
	if f.Kind != FollowPodcast {
		id := strings.TrimPrefix(ep.GUID, "yt:video:")
		if !videoIDPattern.MatchString(id) {
			var err error
			if id, _, err = ParseYouTubeURL(ep.Link); err != nil {
				return FeedEntry{}, false
			}
		}
		e.Key, e.URL, e.Transcript = id, DefaultYouTubeBaseURL+"/watch?v="+id, true
		return e, true
	}
	e.Key = firstNonEmpty(ep.GUID, ep.MediaURL, ep.Link, ep.Title)
	if e.Key == "" {
		return FeedEntry{}, false
	}
	e.URL = f.Ref
	e.Episode = firstNonEmpty(ep.GUID, ep.Title)
	e.Transcript = len(ep.Transcripts) > 0
	return e, true
}
