package recap

import (
	"crypto/sha256"
	"encoding/hex"
)

// A source key names what a recap was made from, so that a second recap
// of the same thing can be recognised: the same YouTube video in any URL
// form, the same podcast episode, the same file or pasted text (by the
// SHA-256 of its bytes), or the same transcript link.

// YouTubeKey is the source key of a YouTube video.
func YouTubeKey(videoID string) string { return "youtube:" + videoID }

// ContentKey is the source key of a file's or a pasted text's bytes.
func ContentKey(data []byte) string { return "sha256:" + ContentSHA256(data) }

// ContentSHA256 is the hex SHA-256 of data, as Source.ContentSHA256 keeps it.
func ContentSHA256(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// EpisodeKey is the source key of a podcast episode, by its GUID.
func EpisodeKey(guid string) string { return "episode:" + guid }

// LinkKey is the source key of a transcript document's URL.
func LinkKey(url string) string { return "url:" + url }

// Keys returns the source keys of s: every way a later request for the
// same source may name it.
func (s Source) Keys() []string {
	var keys []string
	if s.VideoID != "" {
		keys = append(keys, YouTubeKey(s.VideoID))
	}
	if s.EpisodeID != "" {
		keys = append(keys, EpisodeKey(s.EpisodeID))
	}
	if s.ContentSHA256 != "" {
		keys = append(keys, "sha256:"+s.ContentSHA256)
	}
	if s.URL != "" && s.Type == SourceFile {
		keys = append(keys, LinkKey(s.URL))
	}
	return keys
}
