// Package transcript turns sources into recap transcripts: YouTube videos,
// podcast episodes from RSS feeds, subtitle and transcript files (WebVTT,
// SRT, Podcasting 2.0 JSON, HTML, plain text) from disk, URLs or stdin.
// Every source ends in a normalized recap.Transcript: units with times
// where the source has them, metadata, and creator chapters.
package transcript

import (
	"io"
	"net/http"
	"time"
)

// Defaults for Options fields left zero.
const (
	// DefaultMaxBytes caps a file, upload or downloaded document (20 MB).
	DefaultMaxBytes = 20 << 20
	// DefaultMaxDuration caps the length of a transcript (6 hours).
	DefaultMaxDuration = 6 * time.Hour
	// DefaultYouTubeBaseURL is where YouTube lives unless a test or proxy
	// stands in for it.
	DefaultYouTubeBaseURL = "https://www.youtube.com"
	// DefaultMaxWords caps the words of one transcript.
	DefaultMaxWords = 250_000
	// DefaultMaxWordsPerHour caps the words per hour of a timed
	// transcript (fast speech is about 12,000 words an hour).
	DefaultMaxWordsPerHour = 30_000
	// DefaultTimeout bounds each HTTP request to a source (seconds).
	DefaultTimeout = 30 * time.Second
)

// Options tune how a source is fetched. The zero value works.
type Options struct {
	// Lang is the preferred caption language (BCP 47, e.g. "en", "pt-BR").
	// Empty means: the video's default track, else English, else the first
	// creator track, else the first automatic one.
	Lang string
	// Episode selects a podcast episode by GUID, title substring or
	// 1-based index (1 is the newest). Empty means the newest episode
	// that has a transcript.
	Episode string
	// MaxBytes caps any file or download, in bytes (DefaultMaxBytes if 0).
	MaxBytes int64
	// MaxDuration caps the transcript length (DefaultMaxDuration if 0).
	MaxDuration time.Duration
	// MaxWords caps the words of a transcript (DefaultMaxWords if 0).
	MaxWords int
	// MaxWordsPerHour caps words per hour of duration; a transcript
	// shorter than an hour may have an hour's worth
	// (DefaultMaxWordsPerHour if 0).
	MaxWordsPerHour int
	// YouTubeBaseURL replaces https://www.youtube.com (no trailing slash).
	YouTubeBaseURL string
	// YTDLPPath, when set and executable, is tried when the built-in
	// YouTube fetch fails.
	YTDLPPath string
	// HTTPClient is used for every request (a client with DefaultTimeout
	// if nil).
	HTTPClient *http.Client
	// Stdin is read for the source "-" (with LocalFiles).
	Stdin io.Reader
	// LocalFiles lets Fetch read a local path or "-" (standard input).
	// Only the command line sets it: a source that came from the web is
	// never read as a local file, whatever it looks like.
	LocalFiles bool
	// PublicOnly refuses downloads (podcast feeds, transcript URLs) from
	// loopback, private, link-local and shared addresses, so that people
	// with accounts cannot make the server reach into its own network.
	// The YouTube base URL, an owner's setting, is always allowed.
	PublicOnly bool
}

func (o Options) maxBytes() int64 {
	if o.MaxBytes > 0 {
		return o.MaxBytes
	}
	return DefaultMaxBytes
}

func (o Options) maxDuration() time.Duration {
	if o.MaxDuration > 0 {
		return o.MaxDuration
	}
	return DefaultMaxDuration
}

func (o Options) maxWords() int {
	if o.MaxWords > 0 {
		return o.MaxWords
	}
	return DefaultMaxWords
}

func (o Options) maxWordsPerHour() int {
	if o.MaxWordsPerHour > 0 {
		return o.MaxWordsPerHour
	}
	return DefaultMaxWordsPerHour
}

func (o Options) youTubeBase() string {
	if o.YouTubeBaseURL != "" {
		return o.YouTubeBaseURL
	}
	return DefaultYouTubeBaseURL
}

func (o Options) client() *http.Client {
	if o.HTTPClient != nil {
		return o.HTTPClient
	}
	return &http.Client{Timeout: DefaultTimeout}
}
