package transcript

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/recap-startos/recap/pkg/recap"
)

// supported is the end of every message that refuses a source.
const supported = "supported: YouTube links, podcast RSS feed URLs, WebVTT/SRT/JSON/HTML/text transcript files or URLs, or - for stdin"

// Fetch turns a source into a normalized, limit-checked transcript. The
// source is "-" (opt.Stdin), a path to a local transcript file, a YouTube
// link, a podcast RSS or Atom feed URL (the episode opt.Episode selects),
// or the URL of a transcript document. Every failure is an *Error; a
// source of no supported kind gives KindBadInput.
func Fetch(ctx context.Context, source string, opt Options) (*recap.Transcript, error) {
	t, err := fetchSource(ctx, strings.TrimSpace(source), opt)
	if err != nil {
		return nil, err
	}
	if err := t.Normalize(); err != nil {
		return nil, errorf(KindBadInput, err, "%s has no transcript text; %s", clip(source), supported)
	}
	if err := checkLimits(t, opt); err != nil {
		return nil, err
	}
	return t, nil
}

func fetchSource(ctx context.Context, source string, opt Options) (*recap.Transcript, error) {
	switch {
	case source == "":
		return nil, errorf(KindBadInput, nil, "no source given; %s", supported)
	case source == "-" && opt.LocalFiles:
		return fetchStdin(ctx, opt)
	}
	if opt.LocalFiles {
		if info, err := os.Stat(source); err == nil {
			return fetchFile(ctx, source, info, opt)
		}
	}
	scheme, _, hasScheme := strings.Cut(source, "://")
	if !hasScheme {
		// A pasted YouTube link often lacks its scheme.
		host, _, _ := strings.Cut(source, "/")
		if isYouTubeHost(host) {
			return fetchYouTubeURL(ctx, source, opt)
		}
		return nil, errorf(KindBadInput, nil, "%s is neither a file nor a link; %s", clip(source), supported)
	}
	scheme = strings.ToLower(scheme)
	if scheme != "http" && scheme != "https" {
		return nil, errorf(KindBadInput, nil, "%s links are not supported; %s", scheme, supported)
	}
	if err := CheckLink(source); err != nil {
		return nil, errorf(KindBadInput, err, "%s is not a valid link: %s; %s", clip(source), err, supported)
	}
	u, err := url.Parse(source)
	if err != nil || u.Host == "" {
		return nil, errorf(KindBadInput, err, "%s is not a valid link; %s", clip(source), supported)
	}
	if isYouTubeHost(u.Host) {
		return fetchYouTubeURL(ctx, source, opt)
	}
	return fetchURL(ctx, u, opt)
}

func fetchYouTubeURL(ctx context.Context, source string, opt Options) (*recap.Transcript, error) {
	id, _, err := ParseYouTubeURL(source)
	if err != nil {
		return nil, err
	}
	return fetchYouTube(ctx, id, opt)
}

func fetchStdin(ctx context.Context, opt Options) (*recap.Transcript, error) {
	if opt.Stdin == nil {
		return nil, errorf(KindBadInput, nil, "nothing to read on stdin; %s", supported)
	}
	data, err := readCapped(opt.Stdin, opt.maxBytes())
	if err != nil {
		if errors.Is(err, errTooLarge) {
			return nil, errorf(KindTooLarge, nil, "the input on stdin is larger than the %s limit", formatBytes(opt.maxBytes()))
		}
		return nil, errorf(KindBadInput, err, "could not read stdin: %v", err)
	}
	return Read(ctx, "-", data, opt)
}

func fetchFile(ctx context.Context, name string, info fs.FileInfo, opt Options) (*recap.Transcript, error) {
	data, err := readLocal(name, info, opt)
	if err != nil {
		return nil, err
	}
	return Read(ctx, name, data, opt)
}

// readLocal reads the file name (info from os.Stat) within opt's size
// limit. Failures are *Error.
func readLocal(name string, info fs.FileInfo, opt Options) ([]byte, error) {
	base := filepath.Base(name)
	if info.IsDir() {
		return nil, errorf(KindBadInput, nil, "%s is a folder, not a transcript file; %s", clip(base), supported)
	}
	if info.Size() > opt.maxBytes() {
		return nil, errorf(KindTooLarge, nil, "%s is larger than the %s limit", clip(base), formatBytes(opt.maxBytes()))
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, errorf(KindBadInput, err, "could not open %s: %v", clip(base), errors.Unwrap(err))
	}
	defer f.Close()
	data, err := readCapped(f, opt.maxBytes())
	if err != nil {
		if errors.Is(err, errTooLarge) {
			return nil, errorf(KindTooLarge, nil, "%s is larger than the %s limit", clip(base), formatBytes(opt.maxBytes()))
		}
		return nil, errorf(KindBadInput, err, "could not read %s: %v", clip(base), err)
	}
	return data, nil
}

// Read is Parse for a document that may also be a podcast RSS or Atom
// feed (a feed file, or an uploaded one): the episode opt.Episode selects
// (by default the newest that has a transcript) is read as from a feed
// URL, its transcript downloaded from the address the feed gives, with
// the same limits and address checks. A transcript read from data itself
// carries data's SHA-256 in Source.ContentSHA256.
func Read(ctx context.Context, name string, data []byte, opt Options) (*recap.Transcript, error) {
	if !isFeed(data) {
		t, err := Parse(name, data, opt)
		if err != nil {
			return nil, err
		}
		t.Source.ContentSHA256 = recap.ContentSHA256(data)
		return t, nil
	}
	if limit := opt.maxBytes(); int64(len(data)) > limit {
		return nil, errorf(KindTooLarge, nil, "%s is %s; the limit is %s (advanced.max-upload-mb, RECAP_MAX_UPLOAD_MB)",
			baseName(name), formatMB(int64(len(data))), formatMB(limit))
	}
	return readFeed(ctx, "", baseName(name), data, opt)
}

// IsFeed reports whether data is a podcast RSS or Atom feed, which Read
// reads as a feed rather than as a transcript.
func IsFeed(data []byte) bool { return isFeed(data) }

var errTooLarge = errors.New("over the size limit")

// readCapped reads r whole, failing with errTooLarge past limit bytes.
func readCapped(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, errTooLarge
	}
	return data, nil
}

// fetchURL downloads a document that is not on YouTube and reads it as a
// podcast feed or a transcript, by its type and content.
func fetchURL(ctx context.Context, u *url.URL, opt Options) (*recap.Transcript, error) {
	h := http.Header{}
	h.Set("Accept", "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/vtt, application/x-subrip, application/json, text/html;q=0.8, text/plain;q=0.8, */*;q=0.5")
	resp, err := do(ctx, opt, request{URL: u.String(), Header: h, Subject: "the document"})
	if err != nil {
		return nil, err
	}
	if resp.Status != http.StatusOK {
		return nil, statusError("the document", resp.URL.Host, resp.Status)
	}
	if reason := unsupportedMedia(resp); reason != "" {
		return nil, errorf(KindBadInput, nil, "%s serves %s, not a transcript or a podcast feed; %s", u.Host, reason, supported)
	}
	if isFeed(resp.Body) {
		return fetchPodcast(ctx, resp.URL.String(), resp.Body, opt)
	}
	name := path.Base(resp.URL.Path)
	if name == "/" || name == "." {
		name = resp.URL.Host
	}
	if ext := typeExt(resp.ContentType); ext != "" && path.Ext(name) == "" {
		name += ext
	}
	t, err := Parse(name, resp.Body, opt)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Kind == KindBadInput && !strings.Contains(e.Message, accepted) {
			return nil, &Error{Kind: KindBadInput, Message: e.Message + "; " + supported, Err: e.Err}
		}
		return nil, err
	}
	t.Source.URL = resp.URL.String()
	return t, nil
}

// unsupportedMedia names what a response is when it clearly cannot be a
// transcript (audio, video, images, PDFs, other binary data), or returns "".
func unsupportedMedia(resp *response) string {
	ct := resp.ContentType
	for _, prefix := range []string{"audio/", "video/", "image/", "font/"} {
		if strings.HasPrefix(ct, prefix) {
			return strings.TrimSuffix(prefix, "/") + " (" + ct + ")"
		}
	}
	switch ct {
	case "application/pdf", "application/zip", "application/gzip", "application/x-gzip":
		return ct
	}
	head := resp.Body[:min(len(resp.Body), 512)]
	if bytes.IndexByte(head, 0) >= 0 && !utf16BOM(head) {
		if sniffed := http.DetectContentType(head); sniffed != "application/octet-stream" {
			return "binary data (" + sniffed + ")"
		}
		return "binary data"
	}
	return ""
}

// utf16BOM reports whether b starts with a UTF-16 byte order mark, which
// makes NUL bytes expected in text.
func utf16BOM(b []byte) bool {
	return bytes.HasPrefix(b, []byte{0xFF, 0xFE}) || bytes.HasPrefix(b, []byte{0xFE, 0xFF})
}

// typeExt gives the file extension that tells Parse the format of a
// downloaded document without one in its URL.
func typeExt(ct string) string {
	switch ct {
	case "text/vtt":
		return ".vtt"
	case "application/x-subrip", "application/srt", "text/srt":
		return ".srt"
	case "application/json":
		return ".json"
	case "text/html":
		return ".html"
	case "text/plain":
		return ".txt"
	}
	return ""
}
