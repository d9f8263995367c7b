// Package server is Recap's web app and JSON API in single mode: one
// route table, handlers that return errors, one error mapper, server-
// rendered pages with embedded assets, and the owner's session on every
// route but the health check, the sign-in page and static files. It
// composes the library, the job queue and the auth stores; it owns no
// storage of its own.
package server

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sync"

	"github.com/recap-startos/recap/pkg/auth"
	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/jobs"
	"github.com/recap-startos/recap/pkg/library"
)

// Body limits for requests that are not uploads.
const (
	maxFormBytes = 64 << 10 // sign-in, password and other small forms, in bytes
	// multipartOverhead is allowed on top of the upload limit for the
	// other fields and the multipart framing, in bytes.
	multipartOverhead = 1 << 20
)

// Options is what a Server is built from. Library, Jobs, Owner and
// Sessions are required.
type Options struct {
	Mode      string // config.ModeSingle; shown by /healthz and /api/me
	Version   string
	Library   *library.Library
	Jobs      *jobs.Queue
	Owner     *auth.Owner
	Sessions  *auth.Sessions
	MaxUpload int64 // largest upload or pasted text, in bytes
	// Engines are the engine names a job may choose, the default first;
	// with more than one, the home page offers a choice.
	Engines []string
	// Dev allows session cookies without the Secure flag for clients on
	// loopback addresses (development and tests over plain HTTP).
	Dev bool
	Log *slog.Logger
	// Changed, if set, is called after the library or the owner password
	// changed (to refresh the Properties page).
	Changed func()
}

// Server is the web app. It is an http.Handler.
type Server struct {
	opt      Options
	lib      *library.Library
	jobs     *jobs.Queue
	owner    *auth.Owner
	sessions *auth.Sessions
	limiter  *auth.Limiter
	cop      *http.CrossOriginProtection
	log      *slog.Logger
	views    *views
	handler  http.Handler

	stopOnce sync.Once
	stopping chan struct{} // closed by Close; ends event streams
}

// New builds the server and its route table.
func New(opt Options) (*Server, error) {
	if opt.Library == nil || opt.Jobs == nil || opt.Owner == nil || opt.Sessions == nil {
		return nil, errors.New("server: library, jobs, owner and sessions are required")
	}
	if opt.Mode == "" {
		opt.Mode = config.ModeSingle
	}
	if opt.MaxUpload <= 0 {
		opt.MaxUpload = config.DefaultMaxUploadMB << 20
	}
	if opt.Log == nil {
		opt.Log = slog.Default()
	}
	v, err := loadViews()
	if err != nil {
		return nil, err
	}
	s := &Server{
		opt: opt, lib: opt.Library, jobs: opt.Jobs, owner: opt.Owner, sessions: opt.Sessions,
		limiter: auth.NewLimiter(), cop: http.NewCrossOriginProtection(), log: opt.Log,
		views: v, stopping: make(chan struct{}),
	}
	s.handler = s.middleware(s.routes())
	return s, nil
}

// ServeHTTP serves a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// Close ends the open event streams so that an http.Server can shut down
// without waiting for them. Register it with http.Server.RegisterOnShutdown.
func (s *Server) Close() {
	s.stopOnce.Do(func() { close(s.stopping) })
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
