package server

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/recap-startos/recap/pkg/auth"
)

// handler is what every route implements: it writes a response or
// returns an error for the one error mapper.
type handler func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error

// access says who may call a route.
type access int

const (
	public access = iota // anyone: health, sign-in, static files
	owner                // the signed-in owner (single mode) or user (multi mode)
	admin                // the admin (multi mode)
	// visitor is owner, and with anonymous trials on also a trial holder
	// or anyone (the home page and submissions; see trials.go).
	visitor
	// holder is owner, and with anonymous trials on also a trial holder
	// (a trial's jobs and recaps).
	holder
)

// contentSecurityPolicy allows nothing from elsewhere but the privacy-
// enhanced YouTube player in a frame.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-src https://www.youtube-nocookie.com; " +
	"frame-ancestors 'self'; base-uri 'none'; manifest-src 'self'"

// wrap adapts a handler to httprouter: it checks the session, refuses
// cross-origin state changes, caps the body, and sends errors to fail.
func (s *Server) wrap(who access, bodyLimit int64, h handler) httprouter.Handle {
	return func(w http.ResponseWriter, r *http.Request, ps httprouter.Params) {
		if err := s.cop.Check(r); err != nil {
			s.fail(w, r, errCrossOrigin)
			return
		}
		r, ok := s.admit(w, r, who)
		if !ok {
			return
		}
		if s.multi != nil {
			// Pages depend on who is signed in; keep shared caches out.
			w.Header().Add("Vary", "Cookie")
		}
		if r.Body != nil && r.Body != http.NoBody {
			done, ok := s.limitBody(w, r, bodyLimit)
			if !ok {
				s.fail(w, r, errTooManyUploads)
				return
			}
			defer done()
		}
		if err := h(w, r, ps); err != nil {
			s.fail(w, r, err)
		}
	}
}

// admit finds the caller a route needs and returns r carrying it. When
// there is none it answers (401 for JSON, else a redirect to sign in;
// 404 to a non-admin on an admin route) and reports false.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, who access) (*http.Request, bool) {
	if who == public {
		return r, true
	}
	c, ok := s.gate.caller(r)
	if !ok {
		c, ok = s.trialCaller(r, who)
	}
	if !ok {
		if wantsJSON(r) {
			s.fail(w, r, errUnauthorized)
			return r, false
		}
		next := r.URL.RequestURI()
		if r.Method != http.MethodGet {
			next = "/"
		}
		http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
		return r, false
	}
	if who == admin && !c.Admin {
		s.fail(w, r, errNotFound) // the dashboard is not there for others
		return r, false
	}
	return withCaller(r, c), true
}

// limitBody caps the body at bodyLimit. A body must arrive at a rate in
// proportion to its limit, and one client sends only a few large ones at
// once: ok is false when it has too many going; otherwise call done when
// the request is over.
func (s *Server) limitBody(w http.ResponseWriter, r *http.Request, bodyLimit int64) (done func(), ok bool) {
	size := bodyLimit
	if r.ContentLength >= 0 {
		size = min(r.ContentLength, bodyLimit)
	}
	http.NewResponseController(w).SetReadDeadline(time.Now().Add(BodyTimeout(size)))
	done = func() {}
	if size > maxFormBytes {
		_, bucket := s.client(r)
		if done, ok = s.uploads.start(bucket); !ok {
			return nil, false
		}
	}
	r.Body = http.MaxBytesReader(w, r.Body, bodyLimit)
	return done, true
}

// signedIn reports whether the request carries a live session.
func (s *Server) signedIn(r *http.Request) bool {
	_, ok := s.gate.caller(r)
	return ok
}

// secureCookies reports whether cookies for r need the Secure flag: always,
// except in development mode for a client on a loopback address.
func (s *Server) secureCookies(r *http.Request) bool {
	return !(s.opt.Dev && isLoopback(r.RemoteAddr))
}

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// client returns the caller's address (auth.ClientAddr with the
// configured proxies) and its rate-limit bucket. Every limiter keys on
// this bucket.
func (s *Server) client(r *http.Request) (netip.Addr, string) {
	a := auth.ClientAddr(r, s.opt.TrustedProxies)
	return a, auth.Bucket(a)
}

// statusRecorder remembers the status for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	wrote  bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if !r.wrote {
		r.status, r.wrote = http.StatusOK, true
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// middleware wraps the whole router: security headers, panic recovery,
// one structured debug line per request (no query strings, bodies or
// cookies) and the info-level summary (request_log.go).
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("X-Frame-Options", "SAMEORIGIN")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("panic", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(p))
				if !rec.wrote {
					s.fail(rec, r, fmt.Errorf("panic: %v", p))
				}
			}
			took := time.Since(start)
			s.log.Debug("request", "method", r.Method, "path", r.URL.Path, "status", rec.status,
				"bytes", rec.bytes, "duration_ms", took.Milliseconds())
			if r.URL.Path != "/healthz" && !strings.HasPrefix(r.URL.Path, "/static/") {
				s.requests.add(s.log, r.URL.Path, rec.status, took, time.Now())
			}
		}()
		next.ServeHTTP(rec, r)
	})
}
