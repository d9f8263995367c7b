package transcript

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// userAgent is sent to podcast hosts and transcript servers.
const userAgent = "Recap/1 (transcript fetcher)"

// browserAgent is sent to YouTube, which serves its regular pages to
// browsers only.
const browserAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36"

// response is a downloaded document, read whole and within the size limit.
type response struct {
	Status      int
	ContentType string // media type without parameters, lower case
	URL         *url.URL
	Header      http.Header
	Body        []byte
}

// request describes one HTTP exchange made by a source.
type request struct {
	Method  string // GET when empty
	URL     string
	Header  http.Header
	Body    []byte
	Subject string // what is being fetched, for messages ("the podcast feed")
	// ToBase marks a request the YouTube fetcher builds on the configured
	// base URL (see Options.clientFor); never set for a URL from input.
	ToBase bool
}

// do performs req with opt's client, reading at most opt.maxBytes() of the
// body. Transport failures become KindNetwork naming the host, and a body
// over the limit becomes KindTooLarge. Any HTTP status is returned as is:
// callers classify statuses themselves.
func do(ctx context.Context, opt Options, req request) (*response, error) {
	u, resp, err := send(ctx, opt, req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	limit := opt.maxBytes()
	if resp.ContentLength > limit {
		return nil, tooLarge(req.Subject, u.Host, limit)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, networkError(ctx, u.Host, req.Subject, err)
	}
	if int64(len(data)) > limit {
		return nil, tooLarge(req.Subject, u.Host, limit)
	}
	ct, _, _ := strings.Cut(resp.Header.Get("Content-Type"), ";")
	return &response{
		Status:      resp.StatusCode,
		ContentType: strings.ToLower(strings.TrimSpace(ct)),
		URL:         finalURL(u, resp),
		Header:      resp.Header,
		Body:        data,
	}, nil
}

// send performs req with opt's client and returns its URL and the
// response, whose body the caller reads and closes. Transport failures
// become KindNetwork naming the host (or the private-address refusal).
func send(ctx context.Context, opt Options, req request) (*url.URL, *http.Response, error) {
	u, hr, err := req.build(ctx)
	if err != nil {
		return nil, nil, err
	}
	resp, err := opt.clientFor(u, req.ToBase).Do(hr)
	if err != nil {
		if isPrivateAddressErr(err) {
			return nil, nil, privateAddressError(u.Host, req.Subject, err)
		}
		return nil, nil, networkError(ctx, u.Host, req.Subject, err)
	}
	return u, resp, nil
}

// finalURL is where resp came from after redirects (u when unknown).
func finalURL(u *url.URL, resp *http.Response) *url.URL {
	if resp.Request != nil && resp.Request.URL != nil {
		return resp.Request.URL
	}
	return u
}

// build makes the HTTP request: GET unless Method says otherwise, with
// Recap's User-Agent unless Header sets one.
func (req request) build(ctx context.Context) (*url.URL, *http.Request, error) {
	u, err := url.Parse(req.URL)
	if err != nil || u.Host == "" {
		return nil, nil, errorf(KindBadInput, err, "%s has a malformed URL %s", req.Subject, clip(req.URL))
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if req.Body != nil {
		body = bytes.NewReader(req.Body)
	}
	hr, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, nil, errorf(KindBadInput, err, "%s has a malformed URL %s", req.Subject, clip(req.URL))
	}
	for k, v := range req.Header {
		hr.Header[k] = v
	}
	if hr.Header.Get("User-Agent") == "" {
		hr.Header.Set("User-Agent", userAgent)
	}
	return u, hr, nil
}

// networkError classifies a transport failure. A cancelled or expired
// context keeps its error reachable through errors.Is.
func networkError(ctx context.Context, host, subject string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return errorf(KindNetwork, ctxErr, "fetching %s from %s was stopped: %v", subject, host, ctxErr)
	}
	var ue *url.Error
	if errors.As(err, &ue) && ue.Timeout() {
		return errorf(KindNetwork, err, "%s did not answer in time while fetching %s; try again later", host, subject)
	}
	return errorf(KindNetwork, err, "could not reach %s to fetch %s; check the network connection and try again", host, subject)
}

func tooLarge(subject, host string, limit int64) error {
	return errorf(KindTooLarge, nil, "%s from %s is larger than the %s limit", subject, host, formatBytes(limit))
}

// statusError turns an unexpected HTTP status into a classified error.
func statusError(subject, host string, status int) error {
	switch status {
	case http.StatusNotFound, http.StatusGone:
		return errorf(KindUnavailable, nil, "%s was not found on %s (HTTP %d); check the link", subject, host, status)
	case http.StatusUnauthorized, http.StatusForbidden:
		return errorf(KindUnavailable, nil, "%s on %s is not public (HTTP %d)", subject, host, status)
	case http.StatusTooManyRequests:
		return errorf(KindNetwork, nil, "%s is rate-limiting requests for %s (HTTP 429); try again later", host, subject)
	}
	return errorf(KindNetwork, nil, "%s answered HTTP %d for %s; try again later", host, status, subject)
}

// formatBytes renders a byte count for messages, in whole units.
func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// clip quotes s for a one-line message, shortening it when long.
func clip(s string) string {
	const max = 80
	r := []rune(s)
	if len(r) > max {
		s = string(r[:max]) + "…"
	}
	return fmt.Sprintf("%q", s)
}
