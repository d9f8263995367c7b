package transcript

import (
	"testing"

	"github.com/recap-startos/recap/pkg/recap"
)

func TestFrontMatter(t *testing.T) {
	t.Parallel()
	body := "Ann: 00:00:01\n\nHello and welcome to the show about relays, where we talk about how nodes find each other on the network.\n\nBo: 00:00:09\n\nThanks, glad to be here talking about relays today, and about the address manager in particular.\n"
	cases := []struct {
		name, front string
		want        recap.Source
	}{
		{"youtube", "title: Relays\nmedia: https://youtu.be/bMMG91sJXpM?t=30\ndate: 2022-04-24\nspeakers:\n  - Ann Lee\n  - Bo Chen\n",
			recap.Source{Type: recap.SourceYouTube, VideoID: "bMMG91sJXpM", URL: "https://www.youtube.com/watch?v=bMMG91sJXpM", Title: "Relays", UploadDate: "2022-04-24", Channel: "Ann Lee, Bo Chen"}},
		{"podcast media and a timestamp date", "title: \"Relays: part 2\"\nmedia: https://example.com/ep2.mp3\ndate: 2021-03-04T10:00:00Z\nspeakers: Ann Lee\n",
			recap.Source{Type: recap.SourceFile, MediaURL: "https://example.com/ep2.mp3", Title: "Relays: part 2", UploadDate: "2021-03-04", Channel: "Ann Lee"}},
		{"many speakers, a bad date, a media that is no web address", "title: Panel\nmedia: javascript:alert(1)\ndate: last week\nspeakers: [A, B, C, D]\n",
			recap.Source{Type: recap.SourceFile, Title: "Panel", Channel: "A, B, C and others"}},
		{"not YAML: the title line still counts", "title: Broken\nspeakers: [unclosed\n",
			recap.Source{Type: recap.SourceFile, Title: "Broken"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr, err := Parse("talk.md", []byte("---\n"+c.front+"---\n"+body), Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := tr.Source
			got.Captions, got.FileName, got.ContentSHA256 = "", "", ""
			if got != c.want {
				t.Errorf("source\n got %+v\nwant %+v", got, c.want)
			}
			if tr.Source.FileName != "talk.md" {
				t.Errorf("file name %q", tr.Source.FileName)
			}
			if len(tr.Units) == 0 || tr.Units[0].Speaker != "Ann" {
				t.Errorf("units %+v", tr.Units)
			}
		})
	}
}
