package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/recap-startos/recap/pkg/library"
	"github.com/recap-startos/recap/pkg/recap"
	"github.com/recap-startos/recap/pkg/transcript"
)

// summarize --save recognises a source the library has a recap of
// already: before any work when the source says what it is (a local file
// or stdin by the SHA-256 of its bytes, a YouTube link by its video id, a
// transcript link by its URL), else once it is read (a podcast episode by
// its GUID). It then prints the recap it has instead of filing another;
// --again files a new one anyway.

// sourceKeyOf is the source key of a command-line SOURCE where it is known
// before reading it ("" for stdin, feeds and anything unreadable).
func sourceKeyOf(source string, maxBytes int64) string {
	if info, err := os.Stat(source); err == nil {
		if info.IsDir() || info.Size() > maxBytes {
			return ""
		}
		data, err := os.ReadFile(source)
		if err != nil || transcript.IsFeed(data) {
			return ""
		}
		return recap.ContentKey(data)
	}
	low := strings.ToLower(source)
	if !strings.HasPrefix(low, "http://") && !strings.HasPrefix(low, "https://") {
		if id, _, err := transcript.ParseYouTubeURL(source); err == nil {
			return recap.YouTubeKey(id)
		}
		return ""
	}
	if id, _, err := transcript.ParseYouTubeURL(source); err == nil {
		return recap.YouTubeKey(id)
	}
	return recap.LinkKey(source)
}

// alreadyFiled returns the newest recap in lib of a source with one of
// keys, telling errw so, or nil when there is none.
func alreadyFiled(lib *library.Library, keys []string, errw io.Writer) *recap.Document {
	found := lib.BySource(keys)
	if len(found) == 0 {
		return nil
	}
	doc, err := lib.Get(found[0].ID)
	if err != nil {
		return nil
	}
	fmt.Fprintf(errw, "already in the library as %s (%q, %s); printing it, not filing another (--again recaps it anew)\n",
		doc.ID, doc.Title, doc.CreatedAt.Format("2006-01-02"))
	return doc
}
