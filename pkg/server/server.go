// Package server is Recap's web app and JSON API: one route table,
// handlers that return errors, one error mapper, server-rendered pages
// with embedded assets, and a session on every route but the health
// check, sign-in and static files. It composes the library, the job
// queue and the auth stores; it owns no storage of its own.
//
// The two modes are two wirings, chosen once in New: single mode signs
// the owner in by password and serves the one folder of recaps; multi
// mode signs people in by emailed link and serves each their own
// library from the store, plus an admin dashboard. Handlers see only the
// caller (callerOf) and the caller's library (shelf), the same in both.
package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/recap-startos/recap/pkg/auth"
	"github.com/recap-startos/recap/pkg/billing"
	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/credits"
	"github.com/recap-startos/recap/pkg/follow"
	"github.com/recap-startos/recap/pkg/jobs"
	"github.com/recap-startos/recap/pkg/library"
	"github.com/recap-startos/recap/pkg/relay"
	"github.com/recap-startos/recap/pkg/store"
	"github.com/recap-startos/recap/pkg/transcript"
)

// Body limits for requests that are not uploads.
const (
	maxFormBytes = 64 << 10 // sign-in, password and other small forms, in bytes
	// multipartOverhead is allowed on top of the upload limit for the
	// other fields and the multipart framing, in bytes.
	multipartOverhead = 1 << 20
)

// Options is what a Server is built from. Jobs is required; then either
// Library, Owner and Sessions (single mode) or Multi.
type Options struct {
	Mode      string // config.ModeSingle; shown by /healthz and /api/me
	Version   string
	Library   *library.Library
	Jobs      *jobs.Queue
	Owner     *auth.Owner
	Sessions  *auth.Sessions
	MaxUpload int64 // largest upload or pasted text, in bytes
	// Fetch are the download limits and address rules of the jobs' fetches,
	// which the home page follows too when it looks whether a pasted link
	// is a podcast feed (episode.go).
	Fetch transcript.Options
	// Engines are the engine names a job may choose, the default first;
	// with more than one, the home page offers a choice.
	Engines []string
	// Dev allows session cookies without the Secure flag for clients on
	// loopback addresses (development and tests over plain HTTP).
	Dev bool
	// TrustedProxies are the networks whose forwarding headers name the
	// client (config advanced.trusted-proxies); empty trusts none.
	TrustedProxies []netip.Prefix
	Log            *slog.Logger
	// Changed, if set, is called after the library or the owner password
	// changed (to refresh the Properties page).
	Changed func()
	// Multi, when set, wires multi mode instead of single mode.
	Multi *Multi
	// Follows, when set, serves the Following page and /api/follows;
	// FollowTrigger is the file that asks its running checker for a
	// check of every follow.
	Follows       *follow.Checker
	FollowTrigger string
	// UploadDir is where an uploaded podcast feed file waits while its
	// uploader chooses an episode (pending.go); serve uses
	// DATA/cache/uploads. Empty means a temporary folder of the server's
	// own, removed by Close.
	UploadDir string
	// FollowDigest is the digest mail of follows for users who chose
	// none (config.DigestOff, DigestDaily or DigestWeekly; "" is off).
	// Multi mode only: the Following page offers the choice there.
	FollowDigest string
}

// Multi is what multi mode is built from; all fields are required.
type Multi struct {
	Accounts *auth.Accounts
	Store    *store.Store
	Library  *store.UserLibrary
	// Tiers decides users' tiers (a relay.Local when nil).
	Tiers relay.TierAuthority
	// Relay reports the relay's state; nil without a relay.
	Relay   func() relay.Status
	Credits *credits.Ledger
	// Billing sells plans and credit packs; nil when payments are not
	// configured (the webhooks then answer 404).
	Billing *billing.Service
}

// Server is the web app. It is an http.Handler.
type Server struct {
	opt      Options
	lib      shelf
	gate     gate
	jobs     *jobs.Queue
	owner    *auth.Owner    // single mode
	sessions *auth.Sessions // single mode
	multi    *Multi         // multi mode
	limiter  *auth.Limiter
	uploads  uploads
	pending  *pendingFeeds
	tempDir  string // UploadDir when the server made it; removed by Close
	cop      *http.CrossOriginProtection
	log      *slog.Logger
	views    *views
	handler  http.Handler

	stopOnce sync.Once
	requests requestStats  // counted for the info-level request summary
	stopping chan struct{} // closed by Close; ends event streams
}

// New builds the server and its route table.
func New(opt Options) (*Server, error) {
	if err := opt.check(); err != nil {
		return nil, err
	}
	opt.applyDefaults()
	v, err := loadViews()
	if err != nil {
		return nil, err
	}
	s := &Server{
		opt: opt, jobs: opt.Jobs, limiter: auth.NewLimiter(), cop: http.NewCrossOriginProtection(), log: opt.Log,
		views: v, stopping: make(chan struct{}),
	}
	s.pending = &pendingFeeds{dir: opt.UploadDir, now: time.Now}
	if opt.UploadDir == "" {
		if s.tempDir, err = os.MkdirTemp("", "recap-uploads-"); err != nil {
			return nil, fmt.Errorf("server: a folder for uploads: %w", err)
		}
		s.pending.dir = s.tempDir
	}
	if opt.Multi != nil {
		s.multi, s.lib = opt.Multi, trialShelf{users: opt.Multi.Library, trials: opt.Multi.Library.Trials()}
		s.gate = accountGate{accounts: opt.Multi.Accounts, plain: func(r *http.Request) bool { return !s.secureCookies(r) }}
		// Payment providers post their webhooks server to server; what
		// they say is checked with the provider (pkg/billing).
		s.cop.AddInsecureBypassPattern("POST /webhooks/")
	} else {
		s.owner, s.sessions, s.lib = opt.Owner, opt.Sessions, folderShelf{opt.Library}
		s.gate = ownerGate{opt.Sessions}
	}
	s.handler = s.middleware(s.routes())
	return s, nil
}

// check refuses options that lack what their mode needs.
func (opt *Options) check() error {
	switch {
	case opt.Jobs == nil:
		return errors.New("server: the job queue is required")
	case opt.Multi != nil && (opt.Multi.Accounts == nil || opt.Multi.Store == nil || opt.Multi.Library == nil || opt.Multi.Credits == nil):
		return errors.New("server: multi mode needs accounts, the store, the library and the credits ledger")
	case opt.Multi == nil && (opt.Library == nil || opt.Owner == nil || opt.Sessions == nil):
		return errors.New("server: library, owner and sessions are required")
	}
	return nil
}

// applyDefaults fills the options left empty; Multi decides the mode.
func (opt *Options) applyDefaults() {
	if opt.Mode == "" {
		opt.Mode = config.ModeSingle
	}
	if opt.Multi != nil {
		opt.Mode = config.ModeMulti
	}
	if opt.MaxUpload <= 0 {
		opt.MaxUpload = config.DefaultMaxUploadMB << 20
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
}

// ServeHTTP serves a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// Close ends the open event streams so that an http.Server can shut down
// without waiting for them. Register it with http.Server.RegisterOnShutdown.
func (s *Server) Close() {
	s.stopOnce.Do(func() {
		close(s.stopping)
		s.requests.flush(s.log, time.Now())
		if s.tempDir != "" {
			os.RemoveAll(s.tempDir)
		}
	})
}

func (s *Server) changed() {
	if s.opt.Changed != nil {
		s.opt.Changed()
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
