package server

import (
	"context"
	"net/http"

	"github.com/recap-startos/recap/pkg/auth"
	"github.com/recap-startos/recap/pkg/credits"
	"github.com/recap-startos/recap/pkg/store"
)

// caller is who makes a request. Handlers never take a user id from the
// request itself; they take it from here.
type caller struct {
	ID      string // user id; "" for the single-mode owner
	Email   string // "" in single mode
	Admin   bool   // may use the admin dashboard (multi mode)
	Session string // hash of the session cookie (multi mode)
	User    *store.User
	// Trial is the anonymous trial of a caller without an account
	// (multi mode, trials on); then ID is store.TrialOwner of it.
	Trial *credits.Trial
	// Anonymous is a visitor without an account or a trial, on the
	// routes that let one in (visitor access).
	Anonymous bool
}

// visiting reports whether the caller has no account (a trial holder or
// an anonymous visitor).
func (c *caller) visiting() bool { return c.Trial != nil || c.Anonymous }

// gate finds the caller of a request: single mode's owner password or
// multi mode's accounts. ok is false for anyone not signed in.
type gate interface {
	caller(r *http.Request) (c *caller, ok bool)
}

// ownerGate is single mode's: one owner, one password, sessions in a file.
type ownerGate struct{ sessions *auth.Sessions }

var theOwner = &caller{Admin: false}

func (g ownerGate) caller(r *http.Request) (*caller, bool) {
	tok := auth.TokenFrom(r)
	if tok == "" || g.sessions.Check(tok) != nil {
		return nil, false
	}
	return theOwner, true
}

// accountGate is multi mode's: a session cookie looked up in the store.
type accountGate struct {
	accounts *auth.Accounts
	plain    func(r *http.Request) bool // whether the unprefixed cookie is read
}

func (g accountGate) caller(r *http.Request) (*caller, bool) {
	tok := auth.AccountTokenFrom(r, g.plain(r))
	if tok == "" {
		return nil, false
	}
	sess, u, err := g.accounts.Session(r.Context(), tok)
	if err != nil {
		return nil, false
	}
	return &caller{ID: u.ID, Email: u.Email, Admin: u.IsAdmin, Session: sess.ID, User: u}, true
}

type callerKey struct{}

// callerIn returns the caller wrap found for the request, if any.
func callerIn(r *http.Request) (*caller, bool) {
	c, ok := r.Context().Value(callerKey{}).(*caller)
	return c, ok && c != nil
}

func withCaller(r *http.Request, c *caller) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), callerKey{}, c))
}

// callerOf returns the caller that wrap put on a signed-in route's
// request.
func callerOf(r *http.Request) *caller {
	c, _ := r.Context().Value(callerKey{}).(*caller)
	if c == nil {
		panic("server: callerOf on a public route")
	}
	return c
}
