package transcript

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// A podcast feed file names several episodes; before a job reads one, a
// person may be asked which (the web app's episode chooser). FeedEpisodes
// lists them and FindEpisode checks a choice, both without any download.

// FeedEpisode is an episode of a podcast feed as a chooser lists it.
type FeedEpisode struct {
	Number int // 1 = the newest (the feed's first when not every episode is dated)
	// Selector picks this episode when given as Options.Episode; "" in
	// the rare feed where nothing names it alone (it cannot be chosen).
	Selector      string
	Title         string
	GUID          string
	Published     time.Time // zero when the feed gives no readable date
	Duration      float64   // seconds; 0 when the feed does not say
	HasTranscript bool      // the feed links a Podcasting 2.0 transcript for it
}

// FeedFile is a podcast feed's title and its episodes, newest first.
type FeedFile struct {
	Title    string
	Episodes []FeedEpisode
	// Default is the index in Episodes of the episode read when none is
	// chosen: the newest with a transcript, else the newest.
	Default int
}

// FeedEpisodes reads a feed file that name names in messages. A file
// that is not a feed, cannot be decoded or has no episodes is an *Error
// of KindBadInput.
func FeedEpisodes(name string, data []byte) (*FeedFile, error) {
	if !isFeed(data) {
		return nil, errorf(KindBadInput, nil, "%s is not a podcast feed", baseName(name))
	}
	if err := checkFeed(baseName(name), data); err != nil {
		return nil, err
	}
	f, err := parseFeed(data)
	if err != nil {
		return nil, errorf(KindBadInput, err, "%s could not be read as a podcast feed: %v", baseName(name), err)
	}
	out := &FeedFile{Title: f.Title}
	out.Default, _ = selectIndex(f, "")
	for i, ep := range f.Episodes {
		out.Episodes = append(out.Episodes, feedEpisode(f, i, ep))
	}
	return out, nil
}

// FindEpisode returns the episode of a feed file that sel picks, as
// Options.Episode would ("" picks the default).
func FindEpisode(name string, data []byte, sel string) (FeedEpisode, error) {
	f, err := parseFeed(data)
	if err != nil {
		return FeedEpisode{}, errorf(KindBadInput, err, "%s could not be read as a podcast feed: %v", baseName(name), err)
	}
	i, err := selectIndex(f, sel)
	if err != nil {
		return FeedEpisode{}, err
	}
	return feedEpisode(f, i, f.Episodes[i]), nil
}

func feedEpisode(f *podcastFeed, i int, ep episode) FeedEpisode {
	return FeedEpisode{
		Number: i + 1, Selector: selectorOf(f, i), Title: ep.Title, GUID: ep.GUID,
		Published: ep.Published, Duration: ep.Duration, HasTranscript: len(ep.Transcripts) > 0,
	}
}

// selectorOf returns a selector that picks the i-th episode of f: its
// GUID, else its number, else its title, whichever selectIndex maps back
// to i first.
func selectorOf(f *podcastFeed, i int) string {
	ep := f.Episodes[i]
	for _, c := range []string{ep.GUID, strconv.Itoa(i + 1), ep.Title} {
		if c == "" {
			continue
		}
		if j, err := selectIndex(f, c); err == nil && j == i {
			return c
		}
	}
	return ""
}

// ReadFeed reads the podcast feed that source names: a saved file when
// opt.LocalFiles allows one, else a link (FeedAt), within opt's limits.
// It returns the feed's name for messages and its text. A source that is
// neither, or not a feed, is an *Error of KindBadInput.
func ReadFeed(ctx context.Context, source string, opt Options) (name string, data []byte, err error) {
	source = strings.TrimSpace(source)
	if info, statErr := os.Stat(source); statErr == nil && opt.LocalFiles {
		if data, err = readLocal(source, info, opt); err != nil {
			return "", nil, err
		}
		return filepath.Base(source), data, nil
	}
	if u, perr := url.Parse(source); perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", nil, errorf(KindBadInput, perr, "%s is neither a feed file nor a link to a feed", clip(source))
	}
	if data, _, err = FeedAt(ctx, source, opt); err != nil {
		return "", nil, err
	}
	if data == nil {
		return "", nil, errorf(KindBadInput, nil, "%s is not a podcast feed (RSS or Atom)", clip(source))
	}
	return source, data, nil
}

// feedHead is how much of a linked document FeedAt reads to tell a feed
// from anything else: an RSS or Atom root element comes well before it.
const feedHead = 8 << 10

// FeedAt downloads the document at rawURL, with the limits and address
// checks of every fetch, when it is a podcast RSS or Atom feed, and
// returns it with its address after redirects, so that a person can be
// asked which episode to recap. A document of any other kind returns
// nil data and no error, read no further than its first few KiB: the
// job that fetches it will read it whole. A YouTube link is not looked
// at. Failures are *Error, as from Fetch.
func FeedAt(ctx context.Context, rawURL string, opt Options) (data []byte, feedURL string, err error) {
	const subject = "the podcast feed"
	if IsYouTubeLink(rawURL) {
		return nil, "", nil
	}
	h := http.Header{}
	h.Set("Accept", "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5")
	u, resp, err := send(ctx, opt, request{URL: rawURL, Header: h, Subject: subject})
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", statusError(subject, u.Host, resp.StatusCode)
	}
	limit := opt.maxBytes()
	if resp.ContentLength > limit {
		return nil, "", tooLarge(subject, u.Host, limit)
	}
	head, err := io.ReadAll(io.LimitReader(resp.Body, feedHead))
	if err != nil {
		return nil, "", networkError(ctx, u.Host, subject, err)
	}
	if !isFeed(head) {
		return nil, "", nil
	}
	rest, err := io.ReadAll(io.LimitReader(resp.Body, limit+1-int64(len(head))))
	if err != nil {
		return nil, "", networkError(ctx, u.Host, subject, err)
	}
	data = append(head, rest...)
	if int64(len(data)) > limit {
		return nil, "", tooLarge(subject, u.Host, limit)
	}
	return data, finalURL(u, resp).String(), nil
}
