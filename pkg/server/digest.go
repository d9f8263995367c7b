package server

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"

	"github.com/julienschmidt/httprouter"

	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/store"
)

// The digest mail of follows (multi mode, pkg/follow's Digests): each
// user's choice on the Following page and the API, and the unsubscribe
// link of the mail, which needs no sign-in. Its GET only shows a page
// with a button (mail scanners fetch links); the POST, from that button
// or from a mail program's one-click unsubscribe (RFC 8058, token in the
// query), turns the digest off.

// digestChoices are the values a user may choose; "default" goes back to
// the config's.
var digestChoices = map[string]string{
	"default": "", config.DigestOff: config.DigestOff, config.DigestDaily: config.DigestDaily, config.DigestWeekly: config.DigestWeekly,
}

// digestSetting is a user's digest as the page and the API show it.
type digestSetting struct {
	Choice    string `json:"choice"`    // off, daily, weekly, or default
	Default   string `json:"default"`   // the config's: off, daily or weekly
	Effective string `json:"effective"` // what is sent: off, daily or weekly
}

func (s *Server) digestDefault() string {
	if s.opt.FollowDigest == "" {
		return config.DigestOff
	}
	return s.opt.FollowDigest
}

// digestOf reads the caller's digest setting; nil in single mode.
func (s *Server) digestOf(r *http.Request) (*digestSetting, error) {
	if s.multi == nil {
		return nil, nil
	}
	f, err := s.multi.Store.DigestFrequency(r.Context(), callerOf(r).ID)
	if err != nil {
		return nil, err
	}
	d := &digestSetting{Choice: f, Default: s.digestDefault(), Effective: f}
	if f == "" {
		d.Choice, d.Effective = "default", d.Default
	}
	return d, nil
}

// setDigest records the caller's choice.
func (s *Server) setDigest(r *http.Request, choice string) error {
	if s.multi == nil {
		return errDigestOff
	}
	f, ok := digestChoices[choice]
	if !ok {
		return badRequest("bad_digest", "Choose off, daily, weekly or default for the digest.")
	}
	return s.multi.Store.SetDigestFrequency(r.Context(), callerOf(r).ID, f)
}

func (s *Server) handleDigestForm(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	if err := r.ParseForm(); err != nil {
		return errBadForm
	}
	if err := s.setDigest(r, r.PostForm.Get("digest")); err != nil {
		return err
	}
	http.Redirect(w, r, "/following?digest=1", http.StatusSeeOther)
	return nil
}

func (s *Server) handleGetDigest(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	d, err := s.digestOf(r)
	if err != nil {
		return err
	}
	if d == nil {
		return errDigestOff
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) handleSetDigest(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	var in struct {
		Choice string `json:"choice"`
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
		return badRequest("bad_json", "Send JSON: {\"choice\": \"off | daily | weekly | default\"}.")
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		return badRequest("bad_json", "Send JSON: {\"choice\": \"off | daily | weekly | default\"}.")
	}
	if err := s.setDigest(r, in.Choice); err != nil {
		return err
	}
	return s.handleGetDigest(w, r, nil)
}

// unsubscribePage is the page of the mail's unsubscribe link.
type unsubscribePage struct {
	Token   string
	Email   string
	Done    bool
	Problem string
}

const badUnsubscribeLink = "This link is not valid (or more than a year old). Sign in and choose \"No digest\" on the Following page."

// handleUnsubscribePage shows the button; it changes nothing.
func (s *Server) handleUnsubscribePage(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	noLeaks(w)
	token := r.URL.Query().Get("t")
	_, email, err := s.multi.Store.DigestTokenUser(r.Context(), store.HashToken(token))
	switch {
	case errors.Is(err, store.ErrNotFound) || token == "":
		return s.render(w, r, http.StatusNotFound, "digest_unsubscribe", unsubscribePage{Problem: badUnsubscribeLink})
	case err != nil:
		return err
	}
	return s.render(w, r, http.StatusOK, "digest_unsubscribe", unsubscribePage{Token: token, Email: email})
}

// handleUnsubscribe turns the digest off for the token's user. The token
// comes from the page's form, or from the query for a one-click POST.
func (s *Server) handleUnsubscribe(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	noLeaks(w)
	if err := r.ParseForm(); err != nil {
		return errBadForm
	}
	token := r.PostForm.Get("t")
	if token == "" {
		token = r.URL.Query().Get("t")
	}
	key := "unsubscribe " + s.requester(r).Bucket
	if ok, _ := s.limiter.Take(key); !ok {
		return s.render(w, r, http.StatusTooManyRequests, "digest_unsubscribe", unsubscribePage{Problem: "Too many links that did not work. Wait a minute and try again."})
	}
	userID, err := s.multi.Store.UnsubscribeDigest(r.Context(), store.HashToken(token))
	switch {
	case errors.Is(err, store.ErrNotFound) || token == "":
		return s.render(w, r, http.StatusNotFound, "digest_unsubscribe", unsubscribePage{Problem: badUnsubscribeLink})
	case err != nil:
		s.limiter.Refund(key)
		return err
	}
	s.limiter.Refund(key)
	s.log.Info("digest turned off from its mail", "user_id", userID)
	return s.render(w, r, http.StatusOK, "digest_unsubscribe", unsubscribePage{Done: true})
}
