package relay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ErrUnreachable means the relay could not be reached or failed (no
// answer, or a 5xx): worth retrying later.
var ErrUnreachable = errors.New("relay: unreachable")

// DefaultClientTimeout bounds one API call from an instance.
const DefaultClientTimeout = 15 * time.Second

// Client is an instance's client of a relay's API.
type Client struct {
	base    string
	license string // secret; sent only as the bearer token
	http    *http.Client
}

// NewClient returns a client for the relay at baseURL using license.
// A nil hc uses a client with DefaultClientTimeout.
func NewClient(baseURL, license string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("relay: %q is not an http(s) URL", baseURL)
	}
	if license == "" {
		return nil, errors.New("relay: a license is required")
	}
	if hc == nil {
		hc = &http.Client{Timeout: DefaultClientTimeout}
	}
	return &Client{base: strings.TrimRight(u.String(), "/"), license: license, http: hc}, nil
}

// URL is the relay's base address.
func (c *Client) URL() string { return c.base }

// call sends one request and decodes a 200 answer into out. Error
// answers map back onto the package's sentinels.
func (c *Client) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.license)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w: %s %s: %v", ErrUnreachable, method, path, cleanTransportError(err))
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("%w: %s %s: %v", ErrUnreachable, method, path, err)
	}
	if res.StatusCode == http.StatusOK {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%w: %s %s: the answer is not the API's JSON", ErrUnreachable, method, path)
		}
		return nil
	}
	var ae apiError
	json.Unmarshal(data, &ae)
	kind := statusKind(res.StatusCode)
	if ae.Code == codeProviderDown {
		// The relay answered; its payment provider did not.
		kind = ErrProviderDown
	}
	return fmt.Errorf("%w: %s %s: HTTP %d %s", kind, method, path, res.StatusCode, ae.Message)
}

// statusKind maps an error status back onto the package's sentinels; a
// status with no sentinel (5xx) is ErrUnreachable, worth retrying.
func statusKind(status int) error {
	switch status {
	case http.StatusUnauthorized:
		return ErrUnauthorized
	case http.StatusForbidden:
		return ErrForbidden
	case http.StatusPaymentRequired:
		return ErrPoolEmpty
	case http.StatusNotFound:
		return ErrNotFound
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		return ErrInvalid
	case http.StatusConflict:
		return ErrBelowPlan
	case http.StatusNotImplemented:
		return ErrNotSold
	}
	return ErrUnreachable
}

// cleanTransportError drops the URL from a transport error (it is ours).
func cleanTransportError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Whoami returns the install id and pool of the client's license.
func (c *Client) Whoami(ctx context.Context) (Whoami, error) {
	var w Whoami
	return w, c.call(ctx, http.MethodGet, PathWhoami, nil, &w)
}

// SetTier sends a tier update.
func (c *Client) SetTier(ctx context.Context, up TierUpdate) (TierResult, error) {
	var r TierResult
	return r, c.call(ctx, http.MethodPost, PathUserTier, up, &r)
}

// User reads one user's tier.
func (c *Client) User(ctx context.Context, installID, userID string) (UserTier, error) {
	var u UserTier
	return u, c.call(ctx, http.MethodGet, "/relay/v1/users/"+url.PathEscape(installID)+"/"+url.PathEscape(userID), nil, &u)
}

// Changes lists the instance's users changed after seq since.
func (c *Client) Changes(ctx context.Context, installID string, since int64) (UserList, error) {
	var l UserList
	q := url.Values{"install_id": {installID}, "since": {strconv.FormatInt(since, 10)}}
	return l, c.call(ctx, http.MethodGet, PathChanges+"?"+q.Encode(), nil, &l)
}

// Expiring lists the instance's users whose paid tier ends within days,
// every page of them.
func (c *Client) Expiring(ctx context.Context, installID string, days int) ([]UserTier, error) {
	return c.expiringPages(ctx, url.Values{"install_id": {installID}, "within_days": {strconv.Itoa(days)}})
}

// Lapsed lists the instance's users whose paid tier ended since t,
// every page of them.
func (c *Client) Lapsed(ctx context.Context, installID string, since time.Time) ([]UserTier, error) {
	return c.expiringPages(ctx, url.Values{"install_id": {installID}, "lapsed_since": {since.UTC().Format(time.RFC3339)}})
}

// maxExpiringPages bounds how many pages one list reads: 100,000 users.
const maxExpiringPages = 100

// expiringPages reads the expiring list of q page by page, following
// each answer's Next until there is none. A relay that gives no Next
// (one from before pages) answers in one page, as it always did.
func (c *Client) expiringPages(ctx context.Context, q url.Values) ([]UserTier, error) {
	var all []UserTier
	for range maxExpiringPages {
		var l UserList
		if err := c.call(ctx, http.MethodGet, PathExpiring+"?"+q.Encode(), nil, &l); err != nil {
			return nil, err
		}
		all = append(all, l.Users...)
		if l.Next == "" || l.Next == q.Get("after") {
			return all, nil
		}
		q.Set("after", l.Next)
	}
	return nil, fmt.Errorf("relay: the expiring list runs past %d pages", maxExpiringPages)
}

// Offers lists the plans the relay sells.
func (c *Client) Offers(ctx context.Context) (Offers, error) {
	var o Offers
	return o, c.call(ctx, http.MethodGet, PathOffers, nil, &o)
}

// CreateCheckout asks the relay to sell a plan to a user.
func (c *Client) CreateCheckout(ctx context.Context, req CheckoutRequest) (Checkout, error) {
	var out Checkout
	return out, c.call(ctx, http.MethodPost, PathCheckouts, req, &out)
}

// Checkout reads an order the relay made for this instance; the relay
// re-reads it from its provider first while it may still change.
func (c *Client) Checkout(ctx context.Context, id string) (Checkout, error) {
	var out Checkout
	return out, c.call(ctx, http.MethodGet, "/relay/v1/checkouts/"+url.PathEscape(id), nil, &out)
}
