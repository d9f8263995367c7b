package transcript

import (
	"testing"

	"github.com/recap-startos/recap/pkg/recap"
)

// FuzzParseFeed: a podcast feed of any shape gives episodes or an error,
// never a panic.
func FuzzParseFeed(f *testing.F) {
	addSeeds(f, false, "feeds/*.xml")
	f.Add([]byte(`<rss><channel><item><title>x</title><enclosure url="http://a/b.mp3"/></item></channel></rss>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		feed, err := parseFeed(data)
		if err == nil && feed == nil {
			t.Fatal("no feed and no error")
		}
	})
}

// FuzzParseChapters: chapter files give chapters with non-negative
// starts, or an error.
func FuzzParseChapters(f *testing.F) {
	addSeeds(f, false, "podcast/chapters-*.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		chapters, err := parseChaptersJSON(data)
		if err != nil {
			return
		}
		for _, c := range chapters {
			if c.Start < 0 {
				t.Fatalf("chapter %+v starts before 0", c)
			}
		}
	})
}

// FuzzParseCaptions: YouTube's json3 and XML caption formats give units
// with times that are not negative, or an error.
func FuzzParseCaptions(f *testing.F) {
	addSeeds(f, false, "youtube/own/*", "youtube/jdepoix/transcript*")
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, parse := range []func([]byte) ([]recap.Unit, error){parseJSON3, parseTimedTextXML} {
			units, err := parse(data)
			if err != nil {
				continue
			}
			for _, u := range units {
				if u.Start != nil && *u.Start < 0 {
					t.Fatalf("unit %+v starts before 0", u)
				}
			}
		}
	})
}
