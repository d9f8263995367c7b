package relay

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/recap-startos/recap/pkg/recap"
	"github.com/recap-startos/recap/pkg/summarize"
)

// API paths (version 1). Every one but /healthz wants the instance's
// license as "Authorization: Bearer KEY".
const (
	PathWhoami    = "/relay/v1/whoami"
	PathUserTier  = "/relay/v1/user-tier"
	PathUser      = "/relay/v1/users/:install/:user"
	PathChanges   = "/relay/v1/users"
	PathExpiring  = "/relay/v1/expiring"
	PathCheckouts = "/relay/v1/checkouts"
	PathCheckout  = "/relay/v1/checkouts/:id"
	PathOffers    = "/relay/v1/offers"
	// The relay's own payment providers' webhooks (no license: BTCPay's
	// are signed, and neither is trusted beyond naming an invoice).
	PathWebhookBTCPay  = "/relay/v1/webhooks/btcpay"
	PathWebhookZaprite = "/relay/v1/webhooks/zaprite"
	PathRecap          = summarize.RelayRecapPath
)

// Limits of the API.
const (
	maxSmallBody = 64 << 10 // bytes of a JSON request other than a recap
	maxRecapBody = 32 << 20 // bytes of a recap request (a long transcript)
	// DefaultRecapConcurrency is how many recaps the relay's model makes at
	// once; more wait their turn.
	DefaultRecapConcurrency = 4
)

// ServerOptions configure the relay's HTTP API.
type ServerOptions struct {
	Store *Store
	// Engine makes recaps for POST /relay/v1/recap; nil answers 503.
	Engine summarize.Engine
	// Payments sells plans (checkouts); nil: the relay sells nothing.
	Payments Payments
	Model    string // the engine's model, reported in documents
	// RecapConcurrency caps recaps in progress; DefaultRecapConcurrency if 0.
	RecapConcurrency int
	Log              *slog.Logger
}

// Server is the relay's HTTP API.
type Server struct {
	opt    ServerOptions
	router *httprouter.Router
	slots  chan struct{}
	reads  *throttle // provider re-reads per order
}

// NewServer builds the API's route table.
func NewServer(opt ServerOptions) *Server {
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	if opt.RecapConcurrency <= 0 {
		opt.RecapConcurrency = DefaultRecapConcurrency
	}
	s := &Server{opt: opt, router: httprouter.New(), slots: make(chan struct{}, opt.RecapConcurrency), reads: newThrottle()}
	r := s.router
	r.GET("/healthz", s.handle(s.health))
	r.GET(PathWhoami, s.authed(s.whoami))
	r.POST(PathUserTier, s.authed(s.setTier))
	r.POST("/relay/user-tier", s.authed(s.setTier)) // the earlier Recap's path
	r.GET(PathUser, s.authed(s.getUser))
	r.GET(PathChanges, s.authed(s.changes))
	r.GET(PathExpiring, s.authed(s.expiring))
	r.GET(PathOffers, s.authed(s.offers))
	r.POST(PathCheckouts, s.authed(s.createCheckout))
	r.GET(PathCheckout, s.authed(s.getCheckout))
	r.POST(PathWebhookBTCPay, s.handle(s.btcpayWebhook))
	r.POST(PathWebhookZaprite, s.handle(s.zapriteWebhook))
	r.POST(PathRecap, s.authed(s.recap))
	r.NotFound = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, &apiError{http.StatusNotFound, "not_found", "There is nothing here."})
	})
	r.HandleMethodNotAllowed = false
	return s
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

// apiError is the one error type handlers return for answers the caller
// should see: status, a stable code and a message.
type apiError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// codeProviderDown is the code of the answer that says the relay's
// payment provider is not answering (the relay itself is up).
const codeProviderDown = "provider_down"

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// asAPIError maps an error onto what the caller sees; ok is false for
// errors that are the relay's own (500, logged, not shown).
func asAPIError(err error) (*apiError, bool) {
	var ae *apiError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		return ae, true
	case errors.As(err, &mbe):
		return &apiError{http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("The request is over the limit of %d bytes.", mbe.Limit)}, true
	case errors.Is(err, ErrUnauthorized):
		return &apiError{http.StatusUnauthorized, "unauthorized", "Unknown or revoked license."}, true
	case errors.Is(err, ErrForbidden):
		return &apiError{http.StatusForbidden, "forbidden", "This license does not belong to that install id."}, true
	case errors.Is(err, ErrPoolEmpty):
		return &apiError{http.StatusPaymentRequired, "pool_empty", "The credit pool of this instance is empty; the relay operator can grant more."}, true
	case errors.Is(err, ErrInvalid):
		return &apiError{http.StatusBadRequest, "invalid", strings.TrimPrefix(err.Error(), "relay: ")}, true
	case errors.Is(err, ErrNotFound):
		return &apiError{http.StatusNotFound, "not_found", "No such thing here."}, true
	case errors.Is(err, ErrBelowPlan):
		return &apiError{http.StatusConflict, "below_current_plan", "The user has a larger plan now; buy that plan to extend it."}, true
	case errors.Is(err, ErrProviderDown):
		return &apiError{http.StatusBadGateway, codeProviderDown, "The relay's payment provider is not answering; nothing was charged, try again later."}, true
	case errors.Is(err, ErrBadSignature):
		return &apiError{http.StatusUnauthorized, "bad_signature", "The webhook's signature is missing or wrong."}, true
	case errors.Is(err, ErrNotSold):
		return &apiError{http.StatusNotImplemented, "not_available", "This relay does not sell that plan by that payment provider (see GET /relay/v1/offers)."}, true
	}
	return &apiError{http.StatusInternalServerError, "internal", "Something went wrong on the relay."}, false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, e *apiError) {
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="recap-relay"`)
	}
	writeJSON(w, e.Status, e)
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error

type authedFunc func(w http.ResponseWriter, r *http.Request, ps httprouter.Params, l License) error

// handle adapts a handler that returns an error.
func (s *Server) handle(h handlerFunc) httprouter.Handle {
	return func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
		if err := h(w, r, ps); err != nil {
			ae, ok := asAPIError(err)
			if !ok {
				s.opt.Log.Error("relay request failed", "method", r.Method, "path", r.URL.Path, "error", err)
			}
			writeError(w, ae)
		}
	}
}

// authed checks the bearer license before the handler runs.
func (s *Server) authed(h authedFunc) httprouter.Handle {
	return s.handle(func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error {
		key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			return ErrUnauthorized
		}
		l, err := s.opt.Store.Authenticate(r.Context(), strings.TrimSpace(key))
		if err != nil {
			return err
		}
		return h(w, r, ps, l)
	})
}

// own checks that the license acts for installID.
func own(l License, installID string) error {
	if installID != l.InstallID {
		return ErrForbidden
	}
	return nil
}

func decode(r *http.Request, limit int64, w http.ResponseWriter, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return fmt.Errorf("%w: the body is not the JSON this endpoint takes: %v", ErrInvalid, err)
	}
	if dec.Decode(&struct{}{}) != io.EOF {
		return fmt.Errorf("%w: one JSON object per request", ErrInvalid)
	}
	return nil
}

func (s *Server) health(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "api": 1, "recaps": s.opt.Engine != nil})
	return nil
}

// Whoami is the answer of GET /relay/v1/whoami.
type Whoami struct {
	InstallID string `json:"install_id"`
	LicenseID string `json:"license_id"`
	Pool      int64  `json:"pool"`
}

func (s *Server) whoami(w http.ResponseWriter, r *http.Request, _ httprouter.Params, l License) error {
	writeJSON(w, http.StatusOK, Whoami{InstallID: l.InstallID, LicenseID: l.ID, Pool: l.Pool})
	return nil
}

// TierResult is the answer of POST /relay/v1/user-tier.
type TierResult struct {
	User    UserTier `json:"user"`
	Applied bool     `json:"applied"` // false when the key had been applied before
}

func (s *Server) setTier(w http.ResponseWriter, r *http.Request, _ httprouter.Params, l License) error {
	var up TierUpdate
	if err := decode(r, maxSmallBody, w, &up); err != nil {
		return err
	}
	if err := own(l, up.InstallID); err != nil {
		return err
	}
	u, applied, err := s.opt.Store.SetTier(r.Context(), l.ID, up)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, TierResult{User: u, Applied: applied})
	return nil
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request, ps httprouter.Params, l License) error {
	if err := own(l, ps.ByName("install")); err != nil {
		return err
	}
	u, err := s.opt.Store.User(r.Context(), l.InstallID, ps.ByName("user"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

// UserList is the answer of the list endpoints.
type UserList struct {
	Users []UserTier `json:"users"`
	// Last is the highest seq in Users (changes only); ask again with
	// since=Last until Users is empty.
	Last int64 `json:"last,omitempty"`
	// Next, on a full page of the expiring list, is where the next page
	// starts: ask again with after=Next. "" on the last page.
	Next string `json:"next,omitempty"`
}

// expiringPage is how many users one answer of the expiring list holds.
const expiringPage = 1000

func queryInt(r *http.Request, name string, def int64) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%w: %s=%q is not a whole number", ErrInvalid, name, v)
	}
	return n, nil
}

func (s *Server) changes(w http.ResponseWriter, r *http.Request, _ httprouter.Params, l License) error {
	if err := own(l, r.URL.Query().Get("install_id")); err != nil {
		return err
	}
	since, err := queryInt(r, "since", 0)
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", 500)
	if err != nil {
		return err
	}
	users, err := s.opt.Store.Changes(r.Context(), l.InstallID, since, int(limit))
	if err != nil {
		return err
	}
	out := UserList{Users: users, Last: since}
	if n := len(users); n > 0 {
		out.Last = users[n-1].Seq
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// expiring lists users whose paid tier ends within_days days from now, or
// (with lapsed_since, RFC 3339) ended between then and now.
func (s *Server) expiring(w http.ResponseWriter, r *http.Request, _ httprouter.Params, l License) error {
	q := r.URL.Query()
	if err := own(l, q.Get("install_id")); err != nil {
		return err
	}
	now := s.opt.Store.now()
	from, to := now, now
	if v := q.Get("lapsed_since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return fmt.Errorf("%w: lapsed_since=%q is not an RFC 3339 time", ErrInvalid, v)
		}
		from = t
	} else {
		days, err := queryInt(r, "within_days", 7)
		if err != nil {
			return err
		}
		if days > 3650 {
			return fmt.Errorf("%w: within_days is at most 3650", ErrInvalid)
		}
		to = now.Add(time.Duration(days) * 24 * time.Hour)
	}
	after, err := parseExpiryCursor(q.Get("after"))
	if err != nil {
		return err
	}
	users, err := s.opt.Store.Expiring(r.Context(), l.InstallID, from, to, after, expiringPage)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, UserList{Users: users, Next: cursorAfter(users, expiringPage).String()})
	return nil
}

// CheckoutRequest is the body of POST /relay/v1/checkouts: buy periods
// 30-day periods of plan for a user through the relay's own BTCPay
// Server (provider btcpay: Lightning) or Zaprite (zaprite: card).
type CheckoutRequest struct {
	InstallID string `json:"install_id"`
	UserID    string `json:"user_id"`
	Plan      string `json:"plan"`     // pro or max
	Periods   int    `json:"periods"`  // 30-day periods, 1..12
	Provider  string `json:"provider"` // btcpay or zaprite
	// ExternalID is the instance's id for the order: a second request
	// with the same one returns the same checkout.
	ExternalID string `json:"external_id,omitempty"`
	// RedirectURL is where the provider sends the buyer back.
	RedirectURL string `json:"redirect_url,omitempty"`
}

func newRequestID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return "rq_" + hex.EncodeToString(b)
}

// recap makes a recap with the relay's engine, paid from the license's
// pool: the cost is taken before the model runs (402 when the pool
// cannot pay) and given back when the model makes no recap.
func (s *Server) recap(w http.ResponseWriter, r *http.Request, _ httprouter.Params, l License) error {
	if s.opt.Engine == nil {
		return &apiError{http.StatusServiceUnavailable, "no_engine", "This relay has no model configured."}
	}
	var req summarize.RelayRecapRequest
	if err := decode(r, maxRecapBody, w, &req); err != nil {
		return err
	}
	if err := own(l, req.InstallID); err != nil {
		return err
	}
	if len(req.Units) == 0 {
		return fmt.Errorf("%w: the transcript has no units", ErrInvalid)
	}
	ref := newRequestID()
	if err := s.opt.Store.reserve(r.Context(), l, req.UserID, ref, RecapCost); err != nil {
		return err
	}
	doc, err := s.summarize(r.Context(), &req)
	if err == nil && doc.Engine.Name == recap.EngineBuiltin {
		err = &apiError{http.StatusBadGateway, "model_unusable", doc.Engine.Note}
	}
	if err != nil {
		// The refund must happen even if the caller went away.
		if rerr := s.opt.Store.refund(context.WithoutCancel(r.Context()), l, req.UserID, ref, RecapCost, "no recap"); rerr != nil {
			s.opt.Log.Error("relay refund failed", "install_id", l.InstallID, "ref", ref, "error", rerr)
		}
		s.opt.Log.Warn("relay recap failed", "install_id", l.InstallID, "error", err)
		var ae *apiError
		if !errors.As(err, &ae) {
			err = &apiError{http.StatusBadGateway, "model_failed", "The relay's model made no recap: " + err.Error()}
		}
		return err
	}
	if doc.Engine.Model == "" {
		doc.Engine.Model = s.opt.Model
	}
	pool, err := s.opt.Store.Pool(r.Context(), l.InstallID)
	if err != nil {
		return err
	}
	s.opt.Log.Info("relay recap", "install_id", l.InstallID, "license", l.ID, "units", len(doc.Transcript), "ref", ref)
	writeJSON(w, http.StatusOK, summarize.RelayRecapResponse{Document: doc, Pool: pool})
	return nil
}

// summarize runs the engine once a slot is free.
func (s *Server) summarize(ctx context.Context, req *summarize.RelayRecapRequest) (*recap.Document, error) {
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-s.slots }()
	return s.opt.Engine.Summarize(ctx, req.Transcript(), nil)
}
