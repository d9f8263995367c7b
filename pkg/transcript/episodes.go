package transcript

import (
	"strconv"
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
