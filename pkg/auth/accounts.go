package auth

// Accounts: multi mode's sign-in by emailed link.
//
//  1. RequestLink (POST /auth/request-link) canonicalises the address
//     (CanonicalEmail), counts the request against the limits per
//     address, per client address bucket and overall (one write
//     transaction in the store, so concurrent requests cannot all slip
//     under a limit), stores the SHA-256 of a new 32-byte token valid for
//     15 minutes with the requester's address and user agent, and hands
//     the mail to a goroutine. It returns before anything is mailed and
//     does the same database work whether or not the address has an
//     account, so neither the answer nor its timing tells who has one.
//     What the mail says depends on the account: a sign-in link; or, when
//     sign-ups are closed and the address is unknown, a note saying so.
//     A disabled account gets nothing.
//  2. The link opens GET /auth/verify?token=…, a page with a button. It
//     changes nothing, so mail scanners and link previews that fetch it
//     (with HEAD too, and with scripts run) cannot use the token.
//  3. The button posts the token to Confirm (POST /auth/verify), which
//     consumes it with one guarded UPDATE (of any number of concurrent
//     confirmations exactly one wins), finds or creates the user (created
//     only when sign-ups are open, or the address is the admin's), and
//     starts a new session, replacing any session the browser had.
//
// Sessions are 32 random bytes in a cookie; the store keeps their
// SHA-256 with the user agent and address, slides the 30-day expiry on
// use and writes last-use times in batches, not per request.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/recap-startos/recap/pkg/mail"
	"github.com/recap-startos/recap/pkg/store"
)

// LinkTTL is how long a sign-in link works.
const LinkTTL = 15 * time.Minute

// Default sign-in request limits, per DefaultSignInLimits.Window.
var DefaultSignInLimits = store.SignInLimits{
	Window:    15 * time.Minute,
	PerEmail:  5,   // links for one address
	PerBucket: 20,  // requests from one IPv4 address or IPv6 /64
	Total:     300, // requests overall, a bound on the mail Recap sends
}

// Errors of Confirm besides store.ErrTokenInvalid.
var (
	// ErrSignupsClosed means the link's address has no account and the
	// config does not allow new ones.
	ErrSignupsClosed = errors.New("auth: this Recap does not take new sign-ups")
)

// Sender sends one mail; *mail.SMTP is one.
type Sender interface {
	Send(ctx context.Context, m mail.Message) error
}

var _ Sender = (*mail.SMTP)(nil)

// AccountsOptions is what Accounts is built from.
type AccountsOptions struct {
	Store        *store.Store
	Mail         Sender // nil: links can only be made by the admin-login-link action
	PublicURL    string // base of the links in mail, e.g. https://recap.example.org
	AdminEmail   string // canonical
	AllowSignups bool
	Limits       store.SignInLimits // DefaultSignInLimits if zero
	Log          *slog.Logger
	// OnSignIn, when set, runs after each sign-in and before Confirm
	// returns (with a relay: refresh the user's tier from it). It must
	// bound its own time; its failures are its own to log.
	OnSignIn func(ctx context.Context, userID string)
}

// Accounts signs people in by emailed link and looks up their sessions.
// It is safe for concurrent use.
type Accounts struct {
	opt  AccountsOptions
	base *url.URL
	log  *slog.Logger

	sending sync.WaitGroup // mails handed to goroutines
	limited limitLog       // refused link requests, logged in bulk
}

// NewAccounts checks the options and returns the sign-in service.
func NewAccounts(opt AccountsOptions) (*Accounts, error) {
	if opt.Store == nil {
		return nil, errors.New("auth: accounts need the store")
	}
	base, err := url.Parse(opt.PublicURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("auth: mode.public-url: %q is not an http(s) URL; sign-in links are built from it", opt.PublicURL)
	}
	admin, err := CanonicalEmail(opt.AdminEmail)
	if err != nil {
		return nil, fmt.Errorf("auth: mode.admin-email: %q is not one plain email address", opt.AdminEmail)
	}
	opt.AdminEmail = admin
	if opt.Limits == (store.SignInLimits{}) {
		opt.Limits = DefaultSignInLimits
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	a := &Accounts{opt: opt, base: base, log: opt.Log}
	a.limited = limitLog{msg: "sign-in requests limited", now: time.Now}
	return a, nil
}

// AdminEmail returns the admin's canonical address.
func (a *Accounts) AdminEmail() string { return a.opt.AdminEmail }

// Limits returns the sign-in request limits in force.
func (a *Accounts) Limits() store.SignInLimits { return a.opt.Limits }

// EnsureAdmin creates the admin account if it is missing and makes it
// the admin; serve calls it at start.
func (a *Accounts) EnsureAdmin(ctx context.Context) (*store.User, error) {
	return a.opt.Store.EnsureAdmin(ctx, a.opt.AdminEmail)
}

// Requester is where a request came from, as recorded with tokens,
// sessions and the sign-in log.
type Requester struct {
	IP        string // the client address, "" if unknown
	Bucket    string // Bucket of the address
	UserAgent string
	// Trial is the anonymous trial the requesting browser holds
	// (anon_trials.cookie_id), if any: a sign-in link requested with it
	// claims it, in whichever browser the link is confirmed.
	Trial string
}

// RequestLink handles a request for a sign-in link (step 1 above). Its
// only error for the caller is ErrBadEmail; every other outcome,
// including a refusal by a limit, looks the same from outside and is
// only logged.
func (a *Accounts) RequestLink(ctx context.Context, typed string, from Requester) error {
	email, err := CanonicalEmail(typed)
	if err != nil {
		return ErrBadEmail
	}
	ok, err := a.opt.Store.AdmitSignInRequest(ctx, store.SignInRequest{
		Email: email, IPBucket: from.Bucket, IPAddress: from.IP, UserAgent: from.UserAgent,
	}, a.opt.Limits)
	if err != nil {
		return err
	}
	if !ok {
		a.limited.refused(a.log, from.Bucket)
		return nil
	}
	token, err := a.createLink(ctx, email, from)
	if err != nil {
		return err
	}
	return a.mailLink(ctx, email, token, from.IP)
}

// mailLink decides the mail for a new link and sends it: nothing for a
// disabled account, a short "no new accounts here" note when sign-ups are
// closed to this address, else the link. The decision is written to the
// outbox first and removed once the mail is delivered, so a crash in
// between is made good at the next start (ResendPending).
func (a *Accounts) mailLink(ctx context.Context, email, token, ip string) error {
	user, err := a.opt.Store.UserByEmail(ctx, email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	var msg mail.Message
	kind := store.MailSignIn
	switch {
	case user != nil && user.Disabled():
		a.log.Info("sign-in request for a disabled account; nothing sent")
		return nil
	case user == nil && !a.opt.AllowSignups && email != a.opt.AdminEmail:
		kind = store.MailClosed
		msg, err = mail.ClosedMessage(mail.Closed{To: email, Site: a.base.Host})
	default:
		msg, err = mail.SignInMessage(mail.SignIn{To: email, Link: a.LinkURL(token), ValidFor: LinkTTL, Site: a.base.Host, RequestIP: ip})
	}
	if err != nil {
		return err
	}
	if a.opt.Mail == nil {
		a.log.Warn("sign-in mail not sent: no mail server is configured; the admin-login-link action makes links")
		return nil
	}
	id, err := a.opt.Store.QueueMail(ctx, store.OutboxMail{Email: email, Kind: kind, TokenHash: store.HashToken(token), RequestIP: ip})
	if err != nil {
		return err
	}
	a.send(msg, id)
	return nil
}

// send mails in the background, so the answer does not wait for (or
// reveal) the delivery, then removes the mail from the outbox. A failure
// is logged without the message and the mail stays in the outbox for
// the next start.
func (a *Accounts) send(msg mail.Message, outboxID int64) {
	a.sending.Add(1)
	go func() {
		defer a.sending.Done()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := a.opt.Mail.Send(ctx, msg); err != nil {
			a.log.Error("sign-in mail failed; it is tried again at the next start", "error", err)
			return
		}
		if err := a.opt.Store.MailDone(ctx, outboxID); err != nil {
			a.log.Error("sign-in mail sent but still in the outbox", "error", err)
		}
		a.log.Info("sign-in mail sent")
	}()
}

// ResendPending sends the sign-in mails a previous run decided on and did
// not deliver (it was killed, or the mail server failed). A link is never
// stored in clear, so each gets a new link and the undelivered one is
// deleted; a mail whose link was used or has expired meanwhile is
// dropped. It returns how many mails it sent again. serve calls it at
// start.
func (a *Accounts) ResendPending(ctx context.Context) (int, error) {
	if a.opt.Mail == nil {
		return 0, nil
	}
	pending, err := a.opt.Store.PendingMail(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range pending {
		if err := a.opt.Store.MailDone(ctx, m.ID); err != nil {
			return n, err
		}
		trial := ""
		if m.TokenHash != "" {
			l, err := a.opt.Store.PeekMagicLink(ctx, m.TokenHash, store.IntentSignIn)
			if err != nil {
				continue // used (the mail arrived after all) or expired
			}
			trial = l.TrialCookieID
			if err := a.opt.Store.DropUnusedMagicLink(ctx, m.TokenHash); err != nil {
				return n, err
			}
		}
		// The trial the lost link was bound to stays bound to the new one.
		token, err := a.createLink(ctx, m.Email, Requester{IP: m.RequestIP, Trial: trial})
		if err != nil {
			return n, err
		}
		if err := a.mailLink(ctx, m.Email, token, m.RequestIP); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// SendQueued sends one sign-in mail that another package queued in the
// outbox inside its own transaction (a purchase that made an account,
// pkg/billing): it makes the link and mails it in the background, like
// RequestLink. A mail no longer in the outbox was sent already; one that
// fails stays there for ResendPending at the next start.
func (a *Accounts) SendQueued(ctx context.Context, outboxID int64) error {
	if a.opt.Mail == nil {
		a.log.Warn("sign-in mail left in the outbox: no mail server is configured")
		return nil
	}
	pending, err := a.opt.Store.PendingMail(ctx)
	if err != nil {
		return err
	}
	for _, m := range pending {
		if m.ID != outboxID || m.Kind != store.MailSignIn {
			continue
		}
		token, err := a.createLink(ctx, m.Email, Requester{IP: m.RequestIP})
		if err != nil {
			return err
		}
		msg, err := mail.SignInMessage(mail.SignIn{To: m.Email, Link: a.LinkURL(token), ValidFor: LinkTTL, Site: a.base.Host, RequestIP: m.RequestIP})
		if err != nil {
			return err
		}
		a.send(msg, m.ID)
		return nil
	}
	return nil
}

// Wait blocks until the mails handed to the background are sent (or
// failed); shutdown and tests call it.
func (a *Accounts) Wait() { a.sending.Wait() }

// createLink stores a new token for email and returns it.
func (a *Accounts) createLink(ctx context.Context, email string, from Requester) (string, error) {
	token := NewToken()
	now := time.Now()
	err := a.opt.Store.CreateMagicLink(ctx, store.MagicLink{
		TokenHash: store.HashToken(token), Email: email, Intent: store.IntentSignIn,
		CreatedAt: now, ExpiresAt: now.Add(LinkTTL), RequestIP: from.IP, RequestUA: from.UserAgent,
		TrialCookieID: from.Trial,
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// IssueLink makes a sign-in link for an address without mailing it (the
// admin-login-link action) and returns the URL.
func (a *Accounts) IssueLink(ctx context.Context, typed string, from Requester) (string, error) {
	email, err := CanonicalEmail(typed)
	if err != nil {
		return "", ErrBadEmail
	}
	token, err := a.createLink(ctx, email, from)
	if err != nil {
		return "", err
	}
	return a.LinkURL(token), nil
}

// LinkURL is the confirm page's address for a token.
func (a *Accounts) LinkURL(token string) string {
	u := *a.base
	u.Path = strings.TrimRight(u.Path, "/") + "/auth/verify"
	u.RawQuery = url.Values{"token": {token}}.Encode()
	u.Fragment = ""
	return u.String()
}

// Confirm consumes a sign-in token and starts a session (step 3 above).
// replaces is the session token the browser already carries, if any; it
// is ended. It returns the new session token and the user. Errors:
// store.ErrTokenInvalid (unknown, used, expired or malformed token),
// ErrSignupsClosed, store.ErrUserDisabled.
func (a *Accounts) Confirm(ctx context.Context, token, replaces string, from Requester) (string, *store.User, error) {
	c, err := a.ConfirmLink(ctx, token, replaces, from)
	if err != nil {
		return "", nil, err
	}
	return c.Session, c.User, nil
}

// Confirmed is what confirming a sign-in link did.
type Confirmed struct {
	Session string      // the new session's cookie value
	User    *store.User // the account signed in to
	Created bool        // the account was made by this sign-in
	// Trial is the anonymous trial the link was requested with
	// (Requester.Trial), "" if none; the caller claims it.
	Trial string
}

// ConfirmLink is Confirm with everything the sign-in did.
func (a *Accounts) ConfirmLink(ctx context.Context, token, replaces string, from Requester) (Confirmed, error) {
	if !StoredToken(token) {
		return Confirmed{}, store.ErrTokenInvalid
	}
	session := NewToken()
	r := store.Redeem{
		TokenHash: store.HashToken(token), SessionHash: store.HashToken(session),
		UserAgent: from.UserAgent, IPAddress: from.IP, AdminEmail: a.opt.AdminEmail,
		MayCreate: func(email string) bool { return email == a.opt.AdminEmail || a.opt.AllowSignups },
	}
	if StoredToken(replaces) {
		r.Replaces = store.HashToken(replaces)
	}
	// One transaction: the token is used up only if the sign-in succeeds.
	res, err := a.opt.Store.RedeemMagicLink(ctx, r)
	if errors.Is(err, store.ErrSignupClosed) {
		return Confirmed{}, ErrSignupsClosed
	}
	if err != nil {
		return Confirmed{}, err
	}
	user := res.User
	if res.Created {
		a.log.Info("account created", "user_id", user.ID)
	}
	a.log.Info("signed in", "user_id", user.ID, "ip_bucket", from.Bucket)
	if a.opt.OnSignIn != nil {
		a.opt.OnSignIn(ctx, user.ID)
		if u, err := a.opt.Store.UserByID(ctx, user.ID); err == nil {
			user = u
		}
	}
	return Confirmed{Session: session, User: user, Created: res.Created, Trial: res.Link.TrialCookieID}, nil
}

// LinkAccount returns the canonical address a live sign-in token signs
// in, without using the token up, or store.ErrTokenInvalid.
func (a *Accounts) LinkAccount(ctx context.Context, token string) (string, error) {
	if !StoredToken(token) {
		return "", store.ErrTokenInvalid
	}
	l, err := a.opt.Store.PeekMagicLink(ctx, store.HashToken(token), store.IntentSignIn)
	if err != nil {
		return "", err
	}
	return store.EmailKey(l.Email), nil
}

// Session returns the live session of a cookie value and its user, or
// store.ErrNoSession.
func (a *Accounts) Session(ctx context.Context, token string) (*store.Session, *store.User, error) {
	if !StoredToken(token) {
		return nil, nil, store.ErrNoSession
	}
	return a.opt.Store.SessionByHash(ctx, store.HashToken(token))
}
