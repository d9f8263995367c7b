package server

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/recap-startos/recap/pkg/auth"
	"github.com/recap-startos/recap/pkg/credits"
	"github.com/recap-startos/recap/pkg/jobs"
	"github.com/recap-startos/recap/pkg/library"
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
	errWrongPassword   = &httpError{Status: http.StatusForbidden, Code: "wrong_password", Message: "The current password is not right."}
	errWeakPassword    = &httpError{Status: http.StatusBadRequest, Code: "weak_password", Message: fmt.Sprintf("Choose a password of at least %d characters.", auth.MinLength)}
	errPasswordsDiffer = &httpError{Status: http.StatusBadRequest, Code: "passwords_differ", Message: "The two new passwords are not the same."}
)

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
	if be := billingError(err); be != nil {
		return be, true
	}
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
	if he.RetryAt != nil {
		w.Header().Set("Retry-After", strconv.Itoa(max(int(time.Until(*he.RetryAt).Seconds())+1, 1)))
	} else if he.Status == http.StatusTooManyRequests || he.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "30")
	}
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
