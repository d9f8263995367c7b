package transcript

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/recap-startos/recap/pkg/recap"
)

// Podcasts are read from their RSS (or Atom) feed: the episode chosen by
// Options.Episode, its Podcasting 2.0 <podcast:transcript> (the best of the
// listed files, downloaded and parsed like any transcript file) and its
// <podcast:chapters> JSON. Podcasts have no captions of their own, so an
// episode without a transcript tag cannot be read.

// isPodcastNamespace reports whether an XML namespace is the Podcasting
// 2.0 one. Older feeds use the GitHub address of the specification instead
// of podcastindex.org, so both are recognised.
func isPodcastNamespace(space string) bool {
	s := strings.ToLower(space)
	return strings.Contains(s, "podcastindex.org/namespace") || strings.Contains(s, "podcastindex-org/podcast-namespace")
}

const itunesNamespace = "http://www.itunes.com/dtds/podcast-1.0.dtd"

// feedText is an element's text with its namespace, so that plain RSS
// elements can be told from namespaced ones of the same local name
// (<title> and <itunes:title>).
type feedText struct {
	XMLName xml.Name
	Text    string `xml:",chardata"`
}

// atomNamespace is Atom's own namespace, the default one of an Atom feed.
const atomNamespace = "http://www.w3.org/2005/Atom"

// pickText returns the text of the first element without a namespace
// (or in Atom's, the default namespace of an Atom feed).
func pickText(ts []feedText) string {
	for _, t := range ts {
		if t.XMLName.Space == "" || t.XMLName.Space == atomNamespace {
			return strings.TrimSpace(t.Text)
		}
	}
	return ""
}

// feedLink is a <podcast:transcript> or <podcast:chapters> element.
type feedLink struct {
	XMLName  xml.Name
	URL      string `xml:"url,attr"`
	Type     string `xml:"type,attr"`
	Language string `xml:"language,attr"`
	Rel      string `xml:"rel,attr"`
}

// rssDoc is an RSS 2.0 document, or an Atom one (the feed element).
type rssDoc struct {
	XMLName xml.Name
	Channel struct {
		Titles   []feedText `xml:"title"`
		Language string     `xml:"language"`
		Items    []feedItem `xml:"item"`
	} `xml:"channel"`
	// Atom
	Titles  []feedText  `xml:"title"`
	Entries []atomEntry `xml:"entry"`
}

type feedItem struct {
	Titles    []feedText `xml:"title"`
	GUID      string     `xml:"guid"`
	Link      []feedText `xml:"link"`
	PubDate   string     `xml:"pubDate"`
	Duration  string     `xml:"http://www.itunes.com/dtds/podcast-1.0.dtd duration"`
	Enclosure struct {
		URL string `xml:"url,attr"`
	} `xml:"enclosure"`
	Transcripts []feedLink `xml:"transcript"`
	Chapters    []feedLink `xml:"chapters"`
}

type atomEntry struct {
	Titles    []feedText `xml:"title"`
	ID        string     `xml:"id"`
	Published string     `xml:"published"`
	Updated   string     `xml:"updated"`
	Duration  string     `xml:"http://www.itunes.com/dtds/podcast-1.0.dtd duration"`
	Links     []struct {
		Rel  string `xml:"rel,attr"`
		Href string `xml:"href,attr"`
	} `xml:"link"`
	Transcripts []feedLink `xml:"transcript"`
	Chapters    []feedLink `xml:"chapters"`
}

// episode is one feed item in a common shape.
type episode struct {
	Title       string
	GUID        string
	Link        string
	Published   time.Time // zero when the feed gives no readable date
	Duration    float64
	MediaURL    string
	Transcripts []feedLink
	Chapters    []feedLink
}

// podcastFeed is a decoded feed: its title, language and episodes, newest
// first.
type podcastFeed struct {
	Title    string
	Language string
	Episodes []episode
}

// isFeed reports whether data is an RSS or Atom document.
func isFeed(data []byte) bool {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = false
	for range 64 {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if el, ok := tok.(xml.StartElement); ok {
			switch el.Name.Local {
			case "rss":
				return true
			case "feed":
				return el.Name.Space == "http://www.w3.org/2005/Atom"
			}
			return false
		}
	}
	return false
}

// parseFeed decodes an RSS or Atom feed.
func parseFeed(data []byte) (*podcastFeed, error) {
	var doc rssDoc
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = false
	dec.Entity = xml.HTMLEntity
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	f := &podcastFeed{}
	if doc.XMLName.Local == "feed" {
		f.Title = pickText(doc.Titles)
		for _, e := range doc.Entries {
			ep := episode{
				Title:       pickText(e.Titles),
				GUID:        strings.TrimSpace(e.ID),
				Duration:    parseDuration(e.Duration),
				Transcripts: e.Transcripts,
				Chapters:    e.Chapters,
			}
			for _, d := range []string{e.Published, e.Updated} {
				if t, err := time.Parse(time.RFC3339, strings.TrimSpace(d)); err == nil {
					ep.Published = t
					break
				}
			}
			for _, l := range e.Links {
				switch l.Rel {
				case "enclosure":
					ep.MediaURL = l.Href
				case "", "alternate":
					ep.Link = l.Href
				}
			}
			f.Episodes = append(f.Episodes, ep)
		}
	} else {
		f.Title = pickText(doc.Channel.Titles)
		f.Language = strings.TrimSpace(doc.Channel.Language)
		for _, it := range doc.Channel.Items {
			f.Episodes = append(f.Episodes, episode{
				Title:       pickText(it.Titles),
				GUID:        strings.TrimSpace(it.GUID),
				Link:        pickText(it.Link),
				Published:   parsePubDate(it.PubDate),
				Duration:    parseDuration(it.Duration),
				MediaURL:    strings.TrimSpace(it.Enclosure.URL),
				Transcripts: it.Transcripts,
				Chapters:    it.Chapters,
			})
		}
	}
	for i := range f.Episodes {
		f.Episodes[i].Transcripts = podcastLinks(f.Episodes[i].Transcripts)
		f.Episodes[i].Chapters = podcastLinks(f.Episodes[i].Chapters)
	}
	dated := true
	for _, ep := range f.Episodes {
		if ep.Published.IsZero() {
			dated = false
			break
		}
	}
	if dated {
		sort.SliceStable(f.Episodes, func(a, b int) bool {
			return f.Episodes[a].Published.After(f.Episodes[b].Published)
		})
	}
	return f, nil
}

// podcastLinks keeps the Podcasting 2.0 elements that have a URL.
func podcastLinks(ls []feedLink) []feedLink {
	var out []feedLink
	for _, l := range ls {
		l.URL = strings.TrimSpace(l.URL)
		if isPodcastNamespace(l.XMLName.Space) && l.URL != "" {
			out = append(out, l)
		}
	}
	return out
}

var pubDateLayouts = []string{
	time.RFC1123Z, time.RFC1123, time.RFC822Z, time.RFC822,
	"Mon, 2 Jan 2006 15:04:05 -0700", "Mon, 2 Jan 2006 15:04:05 MST",
	"2 Jan 2006 15:04:05 -0700", "02 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04 -0700", time.RFC3339,
}

// parsePubDate reads an RSS date; the zero time when it cannot.
func parsePubDate(s string) time.Time {
	s = strings.TrimSpace(s)
	for _, layout := range pubDateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// parseDuration reads itunes:duration: seconds, MM:SS or HH:MM:SS. It
// returns 0 when the value is missing or unreadable.
func parseDuration(s string) float64 {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 && f < 1e7 {
		return f
	}
	parts := strings.Split(s, ":")
	if len(parts) > 3 {
		return 0
	}
	total := 0.0
	for _, p := range parts {
		n, err := strconv.ParseFloat(p, 64)
		if err != nil || n < 0 {
			return 0
		}
		total = total*60 + n
	}
	return total
}

// selectEpisode finds the episode opt.Episode names (see selectIndex).
func selectEpisode(f *podcastFeed, sel string) (episode, error) {
	i, err := selectIndex(f, sel)
	if err != nil {
		return episode{}, err
	}
	return f.Episodes[i], nil
}

// selectIndex finds the index of the episode sel names: by GUID, then by
// 1-based number (1 is the newest), then by a case-insensitive title
// substring. Empty selects the newest episode that has a transcript (the
// newest of all when none has one).
func selectIndex(f *podcastFeed, sel string) (int, error) {
	if len(f.Episodes) == 0 {
		return 0, errorf(KindBadInput, nil, "the podcast feed %s has no episodes", clip(f.Title))
	}
	sel = strings.TrimSpace(sel)
	if sel == "" {
		for i, ep := range f.Episodes {
			if len(ep.Transcripts) > 0 {
				return i, nil
			}
		}
		return 0, nil
	}
	for i, ep := range f.Episodes {
		if ep.GUID != "" && ep.GUID == sel {
			return i, nil
		}
	}
	if n, err := strconv.Atoi(sel); err == nil {
		if n >= 1 && n <= len(f.Episodes) {
			return n - 1, nil
		}
		return 0, errorf(KindBadInput, nil, "the feed has %d episodes, so there is no episode %d", len(f.Episodes), n)
	}
	want := strings.ToLower(sel)
	for i, ep := range f.Episodes {
		if strings.Contains(strings.ToLower(ep.Title), want) {
			return i, nil
		}
	}
	var titles []string
	for _, ep := range f.Episodes[:min(3, len(f.Episodes))] {
		titles = append(titles, strconv.Quote(ep.Title))
	}
	return 0, errorf(KindBadInput, nil, "no episode matches %s; newest are %s (choose by title, GUID or number, 1 = newest)", clip(sel), strings.Join(titles, ", "))
}

// transcriptRank orders transcript types from the most to the least
// useful: timed JSON first, plain text last.
func transcriptRank(typ string) int {
	t := strings.ToLower(strings.TrimSpace(typ))
	switch {
	case strings.Contains(t, "json"):
		return 0
	case strings.Contains(t, "vtt"):
		return 1
	case strings.Contains(t, "subrip"), strings.Contains(t, "srt"):
		return 2
	case strings.Contains(t, "html"):
		return 3
	case strings.HasPrefix(t, "text/plain"):
		return 4
	}
	return 5
}

// transcriptExt is the file extension that tells Parse the format of a
// transcript of the given type.
func transcriptExt(typ string) string {
	switch transcriptRank(typ) {
	case 0:
		return ".json"
	case 1:
		return ".vtt"
	case 2:
		return ".srt"
	case 3:
		return ".html"
	case 4:
		return ".txt"
	}
	return ""
}

// orderTranscripts sorts an episode's transcripts: those in the wanted
// language (opt.Lang, else the feed's) first, then by format.
func orderTranscripts(ls []feedLink, feedLang, want string) []feedLink {
	if want == "" {
		want = feedLang
	}
	out := append([]feedLink(nil), ls...)
	langOK := func(l feedLink) int {
		lang := l.Language
		if lang == "" {
			lang = feedLang
		}
		if want == "" || baseLang(lang) == baseLang(want) {
			return 0
		}
		return 1
	}
	sort.SliceStable(out, func(a, b int) bool {
		if la, lb := langOK(out[a]), langOK(out[b]); la != lb {
			return la < lb
		}
		return transcriptRank(out[a].Type) < transcriptRank(out[b].Type)
	})
	return out
}

// fetchPodcast reads the selected episode of a downloaded feed.
func fetchPodcast(ctx context.Context, feedURL string, data []byte, opt Options) (*recap.Transcript, error) {
	return readFeed(ctx, feedURL, "the podcast feed at "+hostOf(feedURL), data, opt)
}

// checkFeed refuses a feed file without episodes, or one that cannot be
// decoded.
func checkFeed(name string, data []byte) error {
	f, err := parseFeed(data)
	if err != nil {
		return errorf(KindBadInput, err, "%s could not be read as a podcast feed: %v", name, err)
	}
	if len(f.Episodes) == 0 {
		return errorf(KindBadInput, nil, "the podcast feed %s (%s) has no episodes", clip(f.Title), name)
	}
	return nil
}

// readFeed reads the selected episode of a feed: downloaded from feedURL,
// or a file (feedURL empty) that label names in messages.
func readFeed(ctx context.Context, feedURL, label string, data []byte, opt Options) (*recap.Transcript, error) {
	f, err := parseFeed(data)
	if err != nil {
		return nil, errorf(KindBadInput, err, "%s could not be read as a podcast feed: %v", label, err)
	}
	ep, err := selectEpisode(f, opt.Episode)
	if err != nil {
		return nil, err
	}
	if len(ep.Transcripts) == 0 {
		return nil, errorf(KindNoCaptions, nil, "the episode %s has no transcript in its feed; upload a subtitle file or paste the transcript", clip(ep.Title))
	}
	var firstErr error
	var t *recap.Transcript
	var used feedLink
	for _, l := range orderTranscripts(ep.Transcripts, f.Language, opt.Lang) {
		t, err = podcastTranscript(ctx, feedURL, l, opt)
		if err == nil {
			used = l
			break
		}
		if ctx.Err() != nil {
			return nil, err
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if t == nil {
		return nil, firstErr
	}
	lang := used.Language
	if lang == "" {
		lang = f.Language
	}
	t.Source = recap.Source{
		Type:      recap.SourcePodcast,
		URL:       firstNonEmpty(ep.Link, ep.MediaURL, feedURL),
		Title:     ep.Title,
		Channel:   f.Title,
		Duration:  ep.Duration,
		Language:  lang,
		Captions:  recap.CaptionsFile,
		FeedURL:   feedURL,
		EpisodeID: ep.GUID,
		MediaURL:  ep.MediaURL,
	}
	if !ep.Published.IsZero() {
		t.Source.UploadDate = ep.Published.UTC().Format("2006-01-02")
	}
	if !t.Timed() {
		t.Source.Captions = recap.CaptionsNone
	}
	for _, l := range ep.Chapters {
		if cs, err := podcastChapters(ctx, feedURL, l, opt); err == nil && len(cs) > 0 {
			t.Chapters = cs
			break
		}
	}
	return t, nil
}

// podcastTranscript downloads and parses one transcript file.
func podcastTranscript(ctx context.Context, feedURL string, l feedLink, opt Options) (*recap.Transcript, error) {
	u := resolveURL(feedURL, l.URL)
	resp, err := do(ctx, opt, request{URL: u, Subject: "the episode transcript"})
	if err != nil {
		return nil, err
	}
	if resp.Status != http.StatusOK {
		return nil, statusError("the episode transcript", resp.URL.Host, resp.Status)
	}
	name := path.Base(resp.URL.Path)
	if ext := transcriptExt(l.Type); ext != "" && !strings.EqualFold(path.Ext(name), ext) {
		name += ext
	}
	return Parse(name, resp.Body, opt)
}

// chaptersDoc is the Podcasting 2.0 JSON chapters format (version 1.2.0).
type chaptersDoc struct {
	Chapters []struct {
		StartTime float64 `json:"startTime"`
		Title     string  `json:"title"`
		TOC       *bool   `json:"toc"`
	} `json:"chapters"`
}

// podcastChapters downloads a chapters file. Chapters marked toc:false
// (points of interest, not sections) are left out.
func podcastChapters(ctx context.Context, feedURL string, l feedLink, opt Options) ([]recap.Chapter, error) {
	resp, err := do(ctx, opt, request{URL: resolveURL(feedURL, l.URL), Subject: "the episode chapters"})
	if err != nil {
		return nil, err
	}
	if resp.Status != http.StatusOK {
		return nil, statusError("the episode chapters", resp.URL.Host, resp.Status)
	}
	return parseChaptersJSON(resp.Body)
}

func parseChaptersJSON(data []byte) ([]recap.Chapter, error) {
	var doc chaptersDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, errorf(KindBadInput, err, "the chapters file is not valid JSON chapters")
	}
	var out []recap.Chapter
	for _, c := range doc.Chapters {
		if c.TOC != nil && !*c.TOC {
			continue
		}
		title := recap.CollapseSpace(c.Title)
		if title == "" || c.StartTime < 0 {
			continue
		}
		out = append(out, recap.Chapter{Title: title, Start: c.StartTime})
	}
	return out, nil
}

// resolveURL resolves ref against the feed's address.
func resolveURL(base, ref string) string {
	b, err := url.Parse(base)
	if err != nil {
		return ref
	}
	r, err := url.Parse(ref)
	if err != nil {
		return ref
	}
	return b.ResolveReference(r).String()
}

func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Host
	}
	return raw
}
