package server

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/recap-startos/recap/pkg/auth"
	"github.com/recap-startos/recap/pkg/billing"
	"github.com/recap-startos/recap/pkg/credits"
	"github.com/recap-startos/recap/pkg/follow"
	"github.com/recap-startos/recap/pkg/jobs"
	"github.com/recap-startos/recap/pkg/library"
	"github.com/recap-startos/recap/pkg/store"
	"github.com/recap-startos/recap/pkg/transcript"
)

// httpError is the one error type handlers return for failures people
// should see: an HTTP status, a stable snake_case code for programs, and
// a message for people. Any other error becomes a 500 whose cause is
// logged and never shown.
type httpError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	// Hint, when set, says what to do next.
	Hint string `json:"hint,omitempty"`
	// RetryAt, when set, is when trying again can succeed (also sent as
	// Retry-After).
	RetryAt *time.Time `json:"retry_at,omitempty"`
}

func (e *httpError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// Errors shared by several handlers.
var (
	errNotFound        = &httpError{Status: http.StatusNotFound, Code: "not_found", Message: "There is no page here."}
	errMethod          = &httpError{Status: http.StatusMethodNotAllowed, Code: "method_not_allowed", Message: "This address does not take that kind of request."}
	errUnauthorized    = &httpError{Status: http.StatusUnauthorized, Code: "unauthorized", Message: "Sign in first."}
	errCrossOrigin     = &httpError{Status: http.StatusForbidden, Code: "cross_origin", Message: "This request came from another site and was refused."}
	errRecapNotFound   = &httpError{Status: http.StatusNotFound, Code: "recap_not_found", Message: "There is no recap with this id in your library."}
	errInvalidID       = &httpError{Status: http.StatusBadRequest, Code: "invalid_id", Message: "That is not a recap id."}
	errJobNotFound     = &httpError{Status: http.StatusNotFound, Code: "job_not_found", Message: "There is no such job; finished jobs are forgotten after a week."}
	errJobFinished     = &httpError{Status: http.StatusConflict, Code: "job_finished", Message: "This job has finished already."}
	errBusy            = &httpError{Status: http.StatusServiceUnavailable, Code: "busy", Message: "Too many recaps are waiting already.", Hint: "Wait for some to finish, then try again."}
	errStorage         = &httpError{Status: http.StatusServiceUnavailable, Code: "storage", Message: "Recap cannot write to its data folder, so it cannot take this recap.", Hint: "The owner should check the free space of the server's disk."}
	errSignInBusy      = &httpError{Status: http.StatusTooManyRequests, Code: "busy", Message: "Too many sign-ins at once. Try again in a few seconds."}
	errStopping        = &httpError{Status: http.StatusServiceUnavailable, Code: "stopping", Message: "Recap is stopping.", Hint: "Try again in a minute."}
	errTooLarge        = &httpError{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: "The request is too large."}
	errBadFormat       = &httpError{Status: http.StatusBadRequest, Code: "bad_format", Message: "The format must be md or json."}
	errWrongPassword   = &httpError{Status: http.StatusUnauthorized, Code: "wrong_password", Message: "The current password is not right."}
	errWeakPassword    = &httpError{Status: http.StatusBadRequest, Code: "weak_password", Message: fmt.Sprintf("Choose a password of at least %d characters.", auth.MinLength)}
	errPasswordsDiffer = &httpError{Status: http.StatusBadRequest, Code: "passwords_differ", Message: "The two new passwords are not the same."}
	errBadForm         = badRequest("bad_form", "The form could not be read.")
	// errOwnerWrongPassword answers a wrong password at sign-in (single
	// mode); like a wrong current password, it is 401 wrong_password.
	errOwnerWrongPassword = &httpError{Status: http.StatusUnauthorized, Code: "wrong_password",
		Message: "That is not the owner password.", Hint: "The first password is printed when recap serve starts (on StartOS: Recap's Properties page); recap owner reset-password (on StartOS: the Reset Owner Password action) makes a new one."}
)

// tooManyPasswords answers a client that typed too many wrong passwords
// at sign-in; it may try again after wait.
func tooManyPasswords(wait time.Duration) *httpError {
	at := time.Now().Add(wait)
	return &httpError{Status: http.StatusTooManyRequests, Code: "rate_limited",
		Message: fmt.Sprintf("Too many wrong passwords. Try again in %d seconds.", int(math.Ceil(wait.Seconds()))), RetryAt: &at}
}

var errEngineNotInPlan = &httpError{Status: http.StatusForbidden, Code: "engine_not_in_plan",
	Message: "Your plan includes the builtin engine only.", Hint: "Choose the builtin engine, or ask the admin for a larger plan."}

var errOwnerBusy = &httpError{Status: http.StatusTooManyRequests, Code: "too_many_waiting",
	Message: "You have as many recaps waiting as your plan allows.", Hint: "Wait for one of them to start, then submit again."}

// notEnoughCredits is the 402 answer to a submission the balance cannot
// pay for: what is left and what to do.
func notEnoughCredits(err error) *httpError {
	he := &httpError{Status: http.StatusPaymentRequired, Code: "not_enough_credits",
		Message: "You have no credits left; a recap costs at least 1.", Hint: "Ask the admin for more credits."}
	var short *credits.ShortError
	if errors.As(err, &short) {
		he.Message = fmt.Sprintf("You have %d credits left and this needs %d.", short.Have, short.Need)
		if !short.NextRefill.IsZero() {
			he.Hint = fmt.Sprintf("Your allowance comes back on %s; for more before then, ask the admin.", short.NextRefill.UTC().Format("2 January 2006"))
		}
	}
	return he
}

func badRequest(code, format string, args ...any) *httpError {
	return &httpError{Status: http.StatusBadRequest, Code: code, Message: fmt.Sprintf(format, args...)}
}

// asHTTPError maps an error to what the client sees. ok is false for
// errors that are not the client's business (they become a 500).
func asHTTPError(err error) (he *httpError, ok bool) {
	var mbe *http.MaxBytesError
	var te *transcript.Error
	switch {
	case errors.As(err, &he):
		return he, true
	case errors.As(err, &mbe):
		return &httpError{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Message: fmt.Sprintf("The request is over the limit of %s.", formatMB(mbe.Limit))}, true
	case errors.As(err, &te) && transcript.IsBadInput(err):
		return transcriptError(te), true
	case errors.Is(err, credits.ErrNotEnough):
		return notEnoughCredits(err), true
	}
	for _, m := range sentinelErrors {
		if errors.Is(err, m.err) {
			return m.he, true
		}
	}
	return &httpError{Status: http.StatusInternalServerError, Code: "internal", Message: "Something went wrong on the server.", Hint: "Try again; if it keeps failing, the server log has the details."}, false
}

// sentinelErrors maps the other packages' sentinel errors to answers.
var sentinelErrors = []struct {
	err error
	he  *httpError
}{
	{billing.ErrNotConfigured, errNotOffered},
	{billing.ErrUnknownOffer, errUnknownOffer},
	{billing.ErrMethodUnavailable, errMethodOff},
	{billing.ErrSignInToBuy, errSignInToBuy},
	{billing.ErrBadBuyer, errBadBuyer},
	{billing.ErrBelowCurrentPlan, errBelowPlan},
	{billing.ErrUnknownOrder, errOrderNotFound},
	{billing.ErrProviderDown, errProviderDown},
	{library.ErrNotFound, errRecapNotFound},
	{library.ErrInvalidID, errInvalidID},
	{library.ErrBadFormat, errBadFormat},
	{jobs.ErrNotFound, errJobNotFound},
	{jobs.ErrFinished, errJobFinished},
	{jobs.ErrBusy, errBusy},
	{jobs.ErrOwnerBusy, errOwnerBusy},
	{credits.ErrEngineNotInPlan, errEngineNotInPlan},
	{jobs.ErrClosed, errStopping},
	{jobs.ErrStorage, errStorage},
	{auth.ErrBusy, errSignInBusy},
	{auth.ErrWrongPassword, errWrongPassword},
	{auth.ErrWeakPassword, errWeakPassword},
	{store.ErrTokenInvalid, errLinkInvalid},
	{auth.ErrSignupsClosed, errSignupsClosed},
	{store.ErrUserDisabled, errAccountDisabled},
}

// transcriptError answers a submission whose content is not something
// Recap can recap: 400 (413 when over a limit), the transcript package's
// kind as the code and its message, which says what was received and what
// is accepted.
func transcriptError(te *transcript.Error) *httpError {
	status := http.StatusBadRequest
	if te.Kind == transcript.KindTooLarge {
		status = http.StatusRequestEntityTooLarge
	}
	return &httpError{Status: status, Code: te.Kind.String(), Message: te.Message}
}

func formatMB(n int64) string {
	return fmt.Sprintf("%d MB", (n+(1<<20)-1)>>20)
}

// wantsJSON reports whether errors for r are written as JSON: every
// /api/ route, and requests that send or ask for JSON.
func wantsJSON(r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		return true
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		return true
	}
	accept := r.Header.Get("Accept")
	return strings.Contains(accept, "application/json") && !strings.Contains(accept, "text/html")
}

// formFailed answers a form whose action failed: a JSON client (asJSON)
// gets the error, as fail writes it; a browser gets the form's page
// again, page(he) built around the problem, with the error's status.
// Errors that are not the client's business go to fail as they are.
func (s *Server) formFailed(w http.ResponseWriter, r *http.Request, asJSON bool, err error, name string, page func(he *httpError) any) error {
	he, ok := asHTTPError(err)
	if !ok || asJSON {
		return err
	}
	setRetryAfter(w, he)
	return s.render(w, r, he.Status, name, page(he))
}

// problem is an error's message and hint as one text, for a page.
func (he *httpError) problem() string {
	return strings.TrimSpace(he.Message + " " + he.Hint)
}

// setRetryAfter says when trying again can succeed: at RetryAt, or in
// half a minute for a limit or an outage.
func setRetryAfter(w http.ResponseWriter, he *httpError) {
	if he.RetryAt != nil {
		w.Header().Set("Retry-After", strconv.Itoa(max(int(time.Until(*he.RetryAt).Seconds())+1, 1)))
	} else if he.Status == http.StatusTooManyRequests || he.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "30")
	}
}

// fail is the one error mapper: JSON {"error":{…}} under /api/, an HTML
// page elsewhere. Unmapped errors are logged with the request and shown
// as a plain 500.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	he, ok := asHTTPError(err)
	if !ok {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "error", err)
	}
	if rec, isRec := w.(*statusRecorder); isRec && rec.wrote {
		return // the response has started; nothing sensible to add
	}
	setRetryAfter(w, he)
	if wantsJSON(r) {
		writeJSON(w, he.Status, map[string]*httpError{"error": he})
		return
	}
	s.render(w, r, he.Status, "error", errorPage{Err: he, SignIn: strings.HasPrefix(he.Code, "trial_")})
}

type errorPage struct {
	Err    *httpError
	SignIn bool // offer the sign-in page (an anonymous trial's limits)
}

// The owner's password (account.go).

// errTooManyPasswordChecks answers a client that typed too many wrong
// current passwords.
var errTooManyPasswordChecks = &httpError{Status: http.StatusTooManyRequests, Code: "rate_limited",
	Message: "Too many wrong current passwords.", Hint: "Wait a minute, then try again."}

// Deleting one's own account (account_delete.go).

var errDeleteOwner = &httpError{Status: http.StatusConflict, Code: "owner_account",
	Message: "The owner's account cannot be deleted.", Hint: "Change the admin email on the Config page first."}

// The admin dashboard (admin.go).

var errUserNotFound = &httpError{Status: http.StatusNotFound, Code: "user_not_found", Message: "There is no such user."}

var errSelfDisable = &httpError{Status: http.StatusConflict, Code: "admin_self", Message: "The admin account cannot be disabled.", Hint: "Change the admin email on the Config page first."}

// Admin rights and merging accounts (admin_accounts.go).

var (
	errOwnerOnly    = &httpError{Status: http.StatusForbidden, Code: "owner_only", Message: "Only the owner (the admin email on the Config page) can change admin rights."}
	errDemoteOwner  = &httpError{Status: http.StatusConflict, Code: "admin_self", Message: "The owner's account is always an admin.", Hint: "Change the admin email on the Config page first."}
	errNotDuplicate = &httpError{Status: http.StatusConflict, Code: "not_duplicate", Message: "These accounts do not share an address, so they cannot be merged."}
	errMergeSelf    = badRequest("merge_self", "An account cannot be merged into itself.")
)

// Invitations (admin_invites.go).

var (
	errAlreadyMember  = &httpError{Status: http.StatusConflict, Code: "already_member", Message: "That address already has an account.", Hint: "They can sign in with it on the sign-in page."}
	errInviteNotFound = &httpError{Status: http.StatusNotFound, Code: "invite_not_found", Message: "There is no pending invitation for that address."}
)

// The admin's list of orders (admin_orders.go).

var errBadOrderFilter = badRequest("bad_filter", "The filter must be open, settled or expired.")

// Removing an account (admin_remove.go).

var errRemoveAdmin = &httpError{Status: http.StatusConflict, Code: "remove_admin", Message: "An admin account cannot be removed.",
	Hint: "Take its admin rights first (only the owner can); the owner's own account cannot be removed."}

// Plans, prices and orders (billing.go).

var (
	errNotOffered     = &httpError{Status: http.StatusNotFound, Code: "not_offered", Message: "Purchases are not offered on this Recap.", Hint: "Ask its owner for a larger plan or more credits."}
	errUnknownOffer   = &httpError{Status: http.StatusBadRequest, Code: "unknown_plan", Message: "There is no such plan or credit pack on sale here.", Hint: "See /pricing for what is."}
	errMethodOff      = &httpError{Status: http.StatusBadRequest, Code: "method_unavailable", Message: "This is not sold by that payment method here."}
	errBadMethod      = &httpError{Status: http.StatusBadRequest, Code: "bad_method", Message: `The method must be "lightning" or "card".`}
	errBadBuyer       = &httpError{Status: http.StatusBadRequest, Code: "bad_buyer", Message: "Say who is buying: sign in, or give an email address for a plan; a credit pack needs an account or this browser's trial."}
	errSignInToBuy    = &httpError{Status: http.StatusBadRequest, Code: "sign_in_to_buy", Message: "Sign in to buy a plan here: plans are sold for an account.", Hint: "Sign in (or make an account), then buy the plan."}
	errBelowPlan      = &httpError{Status: http.StatusConflict, Code: "below_current_plan", Message: "You have a larger plan now.", Hint: "Buy that plan again to extend it."}
	errOrderNotFound  = &httpError{Status: http.StatusNotFound, Code: "order_not_found", Message: "There is no such order."}
	errProviderDown   = &httpError{Status: http.StatusServiceUnavailable, Code: "provider_down", Message: "The payment provider is not answering.", Hint: "Nothing was charged; try again in a minute."}
	errUntrustedCheck = &httpError{Status: http.StatusBadGateway, Code: "untrusted_checkout", Message: "The card checkout address is not Zaprite's, so Recap does not send you there.", Hint: "Nothing was charged; tell the operator of this Recap."}
)

// Uploads per client (conns.go).

var errTooManyUploads = &httpError{Status: http.StatusTooManyRequests, Code: "too_many_uploads",
	Message: "Too many uploads from you at the same time.", Hint: "Wait for one to finish, then try again."}

// The digest mail (digest.go).

var errDigestOff = &httpError{Status: http.StatusNotFound, Code: "digest_off", Message: "The digest mail is only sent by a Recap with accounts (multi mode)."}

// Follows (follow.go).

var (
	errFollowNotFound = &httpError{Status: http.StatusNotFound, Code: "follow_not_found", Message: "You follow nothing with this id."}
	errFollowExists   = &httpError{Status: http.StatusConflict, Code: "already_following", Message: "You follow this already."}
	errFollowsOff     = &httpError{Status: http.StatusNotFound, Code: "follows_off", Message: "Following shows is not available on this Recap."}
)

// Feed files waiting for a choice of episode (pending.go).

var (
	errUploadGone = &httpError{Status: http.StatusNotFound, Code: "upload_gone",
		Message: "This upload is no longer waiting for a choice.",
		Hint:    "Its recap may have started already (see the home page); otherwise choose the file again."}
	errUploadExpired = &httpError{Status: http.StatusGone, Code: "upload_expired",
		Message: fmt.Sprintf("This upload waited more than %d minutes for a choice and has expired.", int(pendingLife/time.Minute)),
		Hint:    "Choose the file again on the home page."}
	errPendingFull = &httpError{Status: http.StatusServiceUnavailable, Code: "uploads_waiting",
		Message: "Too many uploaded feeds are waiting for a choice of episode.",
		Hint:    "Try again in a few minutes."}
)

// Sessions (sessions.go).

var errSessionNotFound = &httpError{Status: http.StatusNotFound, Code: "session_not_found", Message: "There is no such session."}

// Sign-in by emailed link (signin.go).

var (
	errBadEmail = &httpError{Status: http.StatusBadRequest, Code: "bad_email",
		Message: "That is not one email address.", Hint: "Type one address, like ada@example.org, without a name, quotes or commas."}
	errLinkInvalid = &httpError{Status: http.StatusBadRequest, Code: "link_invalid",
		Message: "This sign-in link does not work: it was used already, has expired, or is not complete.", Hint: "Ask for a new link; each works once, for 15 minutes."}
	errSignupsClosed = &httpError{Status: http.StatusForbidden, Code: "signups_closed",
		Message: "This Recap does not take new accounts.", Hint: "Ask its owner to open sign-ups or to let you in."}
	errAccountDisabled = &httpError{Status: http.StatusForbidden, Code: "account_disabled",
		Message: "This account is disabled.", Hint: "Ask the owner of this Recap."}
)

// errOtherAccount answers a confirmation from a browser signed in to
// another account without the explicit choice to switch.
var errOtherAccount = &httpError{Status: http.StatusConflict, Code: "other_account",
	Message: "This browser is signed in to another account.", Hint: "Open the link again and choose whether to switch accounts."}

// errTooManyConfirmations answers a client that sent too many unusable
// sign-in links in a row.
var errTooManyConfirmations = &httpError{Status: http.StatusTooManyRequests, Code: "rate_limited",
	Message: "Too many sign-in links that did not work.", Hint: "Wait a minute, then open the newest link from your mail."}

// Payment webhooks (webhooks.go).

var (
	errBadSignature   = &httpError{Status: http.StatusUnauthorized, Code: "bad_signature", Message: "The webhook signature is missing or wrong."}
	errNoPayments     = &httpError{Status: http.StatusNotFound, Code: "payments_off", Message: "This Recap takes no payments through this provider."}
	errWebhookNotRead = &httpError{Status: http.StatusBadRequest, Code: "unreadable", Message: "The webhook body could not be read."}
)

// Submissions, trials and account deletion: answers that carry details.

// errMailFailed answers an account deletion whose confirmation mail could
// not be sent.
var errMailFailed = &httpError{Status: http.StatusServiceUnavailable, Code: "mail_failed",
	Message: "The confirmation mail could not be sent, so nothing was deleted.", Hint: "Try again later, or ask the admin to remove the account."}

// errUnsupportedMedia answers a submission that is not JSON, a form or an
// upload.
var errUnsupportedMedia = &httpError{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
	Message: "Send JSON, a form, or a multipart upload."}

// uploadTooLarge answers an upload or pasted text over the limit (bytes).
func uploadTooLarge(limit int64) *httpError {
	return &httpError{Status: http.StatusRequestEntityTooLarge, Code: "too_large",
		Message: fmt.Sprintf("That is over the upload limit of %s.", formatMB(limit)),
		Hint:    "Use a smaller file, or raise the upload limit in the advanced settings of the Config page."}
}

// trialCapError answers a client whose network started its share of
// trials; a new one can start at at. hint says what signing in gives.
func trialCapError(at time.Time, hint string) *httpError {
	return &httpError{Status: http.StatusTooManyRequests, Code: "trial_limit",
		Message: fmt.Sprintf("This network has started as many free trials as it may today. A new one can start after %s.", trialWhen(at)),
		Hint:    hint, RetryAt: &at}
}

// trialUsedUpError answers a trial holder whose total credits are spent;
// a new trial can start at at.
func trialUsedUpError(total int, at time.Time, hint string) *httpError {
	return &httpError{Status: http.StatusTooManyRequests, Code: "trial_used_up",
		Message: fmt.Sprintf("Your free trial's %d credits are used. A new trial can start after %s.", total, trialWhen(at)),
		Hint:    hint, RetryAt: &at}
}

// followError maps pkg/follow's errors to answers: a link that cannot be
// followed is 422 in the source's own words (elsewhere a bad link is 400).
func followError(err error) error {
	var te *transcript.Error
	switch {
	case errors.Is(err, follow.ErrNotFound):
		return errFollowNotFound
	case errors.Is(err, follow.ErrExists):
		return errFollowExists
	case errors.Is(err, follow.ErrTooMany):
		return &httpError{Status: http.StatusConflict, Code: "too_many_follows", Message: strings.TrimPrefix(err.Error(), "follow: ") + "."}
	case errors.Is(err, follow.ErrBackfill):
		return badRequest("bad_last", "Recap the last 0 to %d items.", follow.MaxBackfill)
	case errors.As(err, &te):
		return &httpError{Status: http.StatusUnprocessableEntity, Code: "cannot_follow", Message: te.Error(),
			Hint: "Give a podcast feed URL, a YouTube channel (/@handle or /channel/ID), a video of the channel, or a playlist."}
	}
	return err
}
