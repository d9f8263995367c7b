package transcript

import (
	"os"
	"strings"
	"testing"
)

// TestFeedEpisodes lists a real feed file's episodes newest first, each
// with a selector that picks it back, and the default the CLI would read.
func TestFeedEpisodes(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("../../testdata/feeds/example.xml")
	if err != nil {
		t.Fatal(err)
	}
	f, err := FeedEpisodes("example.xml", data)
	if err != nil {
		t.Fatal(err)
	}
	if f.Title != "Podcasting 2.0 Namespace Example" {
		t.Errorf("title %q", f.Title)
	}
	want := []string{"Episode 3 - The Future", "Episode 2 - The Present", "Episode 1 - The Past"}
	if len(f.Episodes) != len(want) {
		t.Fatalf("%d episodes: %+v", len(f.Episodes), f.Episodes)
	}
	for i, ep := range f.Episodes {
		if ep.Title != want[i] || ep.Number != i+1 || !ep.HasTranscript || ep.Published.IsZero() {
			t.Errorf("episode %d: %+v", i+1, ep)
		}
		if ep.Selector != ep.GUID {
			t.Errorf("episode %d is picked by %q, not its GUID %q", i+1, ep.Selector, ep.GUID)
		}
		back, err := FindEpisode("example.xml", data, ep.Selector)
		if err != nil || back.Title != ep.Title {
			t.Errorf("selector %q picks %+v (%v)", ep.Selector, back, err)
		}
	}
	if f.Default != 0 {
		t.Errorf("default is episode %d", f.Default+1)
	}
	if _, err := FindEpisode("example.xml", data, "The Distant Future"); err == nil || !strings.Contains(err.Error(), "no episode matches") {
		t.Errorf("an unknown title: %v", err)
	}
	if _, err := FeedEpisodes("notes.txt", []byte("WEBVTT\n\n00:00.000 --> 00:01.000\nHello\n")); err == nil {
		t.Error("a subtitle file was listed as a feed")
	}
}

// TestFeedEpisodeSelectors: where a GUID is another episode's number, or
// episodes share a GUID, the selector still picks the episode it lists.
func TestFeedEpisodeSelectors(t *testing.T) {
	t.Parallel()
	feed := `<?xml version="1.0"?><rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0"><channel><title>Show</title>
<item><title>First talk</title><guid>2</guid></item>
<item><title>Second talk</title><guid>same</guid><podcast:transcript url="https://example.org/2.vtt" type="text/vtt"/></item>
<item><title>Third talk</title><guid>same</guid></item>
</channel></rss>`
	f, err := FeedEpisodes("show.xml", []byte(feed))
	if err != nil {
		t.Fatal(err)
	}
	if f.Default != 1 {
		t.Errorf("default is episode %d, want the one with a transcript", f.Default+1)
	}
	for _, ep := range f.Episodes {
		back, err := FindEpisode("show.xml", []byte(feed), ep.Selector)
		if ep.Selector == "" || err != nil || back.Number != ep.Number {
			t.Errorf("episode %d (%s): selector %q picks %d (%v)", ep.Number, ep.Title, ep.Selector, back.Number, err)
		}
	}
}

// FuzzFeedEpisodes: a feed of any shape lists episodes or gives an
// error, never a panic, and every listed selector picks its episode back.
func FuzzFeedEpisodes(f *testing.F) {
	addSeeds(f, false, "feeds/*.xml")
	f.Add([]byte(`<rss><channel><item><title>1</title><guid>2</guid></item><item><title>2</title><guid>1</guid></item></channel></rss>`))
	f.Add([]byte(`<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>a</title></entry><entry><title>a</title></entry></feed>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		feed, err := FeedEpisodes("feed.xml", data)
		if err != nil {
			return
		}
		if len(feed.Episodes) == 0 || feed.Default < 0 || feed.Default >= len(feed.Episodes) {
			t.Fatalf("%d episodes, default %d", len(feed.Episodes), feed.Default)
		}
		for _, ep := range feed.Episodes {
			if ep.Selector == "" {
				continue
			}
			back, err := FindEpisode("feed.xml", data, ep.Selector)
			if err != nil || back.Number != ep.Number {
				t.Fatalf("episode %d: selector %q picks %d (%v)", ep.Number, ep.Selector, back.Number, err)
			}
		}
	})
}
