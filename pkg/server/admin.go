package server

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/recap-startos/recap/pkg/credits"
	"github.com/recap-startos/recap/pkg/relay"
	"github.com/recap-startos/recap/pkg/store"
)

// The admin dashboard (multi mode): users with their figures, one
// user's sessions with revoke, disable and enable, and recent sign-in
// requests grouped by client address bucket to spot abuse. Only the
// admin reaches these routes; for anyone else they do not exist (404).

// activityWindow is how far back the dashboard groups sign-in requests.
const activityWindow = 24 * time.Hour

type adminPage struct {
	Users    []store.UserSummary
	Total    int
	Search   string
	Activity []store.BucketActivity
	Recent   []store.SignInRequest
	Bucket   string // the bucket whose requests are listed, "" for all
	Limits   store.SignInLimits
	// Duplicates are accounts sharing an address, to merge.
	Duplicates []store.DuplicateGroup
	Invites    []store.Invitation
	Notice     string
	// Relay is the relay's state; nil without a relay.
	Relay *relay.Status
	// Credits are the listed users' stored balances and tier ends.
	Credits map[string]credits.Listing
	// Trials are today's anonymous trials per client bucket.
	Trials []credits.TrialBucketCount
}

func (s *Server) handleAdminPage(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	ctx := r.Context()
	q := r.URL.Query()
	p := adminPage{Search: q.Get("q"), Bucket: q.Get("bucket"), Limits: s.multi.Accounts.Limits()}
	var err error
	if p.Users, p.Total, err = s.multi.Store.ListUsers(ctx, store.UserQuery{Search: p.Search, Limit: 200}); err != nil {
		return err
	}
	ids := make([]string, len(p.Users))
	for i, u := range p.Users {
		ids[i] = u.ID
	}
	if p.Credits, err = s.multi.Credits.Listings(ctx, ids); err != nil {
		return err
	}
	if p.Trials, err = s.multi.Credits.TrialActivity(ctx, 50); err != nil {
		return err
	}
	if p.Activity, err = s.multi.Store.SignInActivity(ctx, time.Now().Add(-activityWindow), 50); err != nil {
		return err
	}
	if p.Recent, err = s.multi.Store.RecentSignInRequests(ctx, p.Bucket, 50); err != nil {
		return err
	}
	if p.Duplicates, err = s.multi.Store.DuplicateAccounts(ctx); err != nil {
		return err
	}
	if p.Invites, err = s.multi.Store.ListInvites(ctx); err != nil {
		return err
	}
	if s.multi.Relay != nil {
		st := s.multi.Relay()
		p.Relay = &st
	}
	switch q.Get("done") {
	case "revoked-invite":
		p.Notice = "Invitation revoked; its link no longer works."
	case "removed":
		p.Notice = "Account removed, with its recaps."
	}
	return s.render(w, r, http.StatusOK, "admin", p)
}

type adminUserPage struct {
	User     *store.User
	Recaps   int
	Sessions []sessionView
	Notice   string
	Owner    bool // the user is the owner (mode.admin-email)
	ByOwner  bool // the caller is the owner, who may demote admins
	Balance  credits.Balance
	History  []credits.Entry      // the last 20 ledger entries
	Problem  string               // why a grant was refused
	Periods  []store.Subscription // paid periods, the latest first
	Orders   []adminOrder         // the user's last orders
}

// adminUser reads the user named in the route.
func (s *Server) adminUser(r *http.Request, ps httprouter.Params) (*store.User, error) {
	u, err := s.multi.Store.UserByID(r.Context(), ps.ByName("uid"))
	if errors.Is(err, store.ErrNotFound) {
		return nil, errUserNotFound
	}
	return u, err
}

func (s *Server) handleAdminUserPage(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error {
	u, err := s.adminUser(r, ps)
	if err != nil {
		return err
	}
	list, err := s.multi.Store.ListSessions(r.Context(), u.ID)
	if err != nil {
		return err
	}
	n, err := s.lib.Count(r.Context(), u.ID)
	if err != nil {
		return err
	}
	p := adminUserPage{User: u, Recaps: n, Sessions: viewSessions(list, callerOf(r).Session),
		Owner: store.EmailKey(u.Email) == s.multi.Accounts.AdminEmail(), ByOwner: s.isOwner(r)}
	switch r.URL.Query().Get("done") {
	case "demoted":
		p.Notice = "The account is no longer an admin and is signed out everywhere."
	case "merged":
		p.Notice = "Accounts merged: " + r.URL.Query().Get("recaps") + " recaps moved to this one."
	case "revoked":
		p.Notice = "Signed out."
	case "disabled":
		p.Notice = "The account is disabled and signed out everywhere."
	case "enabled":
		p.Notice = "The account is enabled."
	case "granted":
		p.Notice = "Credits granted."
	}
	if p.Balance, err = s.multi.Credits.Balance(r.Context(), u.ID); err != nil {
		return err
	}
	if p.History, err = s.multi.Credits.History(r.Context(), u.ID, 20, 0); err != nil {
		return err
	}
	if err := s.adminUserPurchases(r, &p); err != nil {
		return err
	}
	return s.render(w, r, http.StatusOK, "admin_user", p)
}

// handleAdminGrantForm gives a user credits that do not expire:
// credits (1..1,000,000) and an optional note.
func (s *Server) handleAdminGrantForm(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error {
	u, err := s.adminUser(r, ps)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errBadForm
	}
	n, err := strconv.Atoi(strings.TrimSpace(r.PostForm.Get("credits")))
	if err != nil || n < 1 || n > 1_000_000 {
		return badRequest("bad_credits", "Give a whole number of credits from 1 to 1000000.")
	}
	note := strings.TrimSpace(r.PostForm.Get("note"))
	if len(note) > 500 {
		return badRequest("bad_note", "The note can be at most 500 characters.")
	}
	c := callerOf(r)
	if _, err := s.multi.Credits.Add(r.Context(), u.ID, n, credits.Grant{Kind: credits.KindGrant, Actor: "admin:" + c.Email, Note: note}); err != nil {
		return err
	}
	s.log.Info("credits granted", "user_id", u.ID, "credits", n, "by", c.ID)
	http.Redirect(w, r, "/admin/users/"+u.ID+"?done=granted", http.StatusSeeOther)
	return nil
}

// setDisabled disables or enables a user; the admin cannot disable
// themselves.
func (s *Server) setDisabled(r *http.Request, ps httprouter.Params, disabled bool) (*store.User, error) {
	u, err := s.adminUser(r, ps)
	if err != nil {
		return nil, err
	}
	if disabled && u.IsAdmin {
		return nil, errSelfDisable
	}
	if err := s.multi.Store.SetUserDisabled(r.Context(), u.ID, disabled); err != nil {
		return nil, err
	}
	s.log.Info("admin changed a user", "actor", callerOf(r).ID, "user_id", u.ID, "disabled", disabled)
	return u, nil
}

func (s *Server) handleAdminDisableForm(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error {
	u, err := s.setDisabled(r, ps, true)
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/users/"+u.ID+"?done=disabled", http.StatusSeeOther)
	return nil
}

func (s *Server) handleAdminEnableForm(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error {
	u, err := s.setDisabled(r, ps, false)
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/users/"+u.ID+"?done=enabled", http.StatusSeeOther)
	return nil
}

// revokeFor ends one session of a user (sid set) or all of them.
func (s *Server) revokeFor(r *http.Request, u *store.User, sid string) (int64, error) {
	var n int64 = 1
	var err error
	if sid != "" {
		err = s.multi.Store.RevokeSession(r.Context(), u.ID, sid)
		if errors.Is(err, store.ErrNotFound) {
			return 0, errSessionNotFound
		}
	} else {
		n, err = s.multi.Store.RevokeUserSessions(r.Context(), u.ID, "")
	}
	if err != nil {
		return 0, err
	}
	s.log.Info("admin revoked sessions", "actor", callerOf(r).ID, "user_id", u.ID, "count", n)
	return n, nil
}

// handleAdminRevokeForm revokes one session (form field session) or all
// of a user's.
func (s *Server) handleAdminRevokeForm(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error {
	u, err := s.adminUser(r, ps)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return errBadForm
	}
	if _, err := s.revokeFor(r, u, r.PostForm.Get("session")); err != nil {
		return err
	}
	http.Redirect(w, r, "/admin/users/"+u.ID+"?done=revoked", http.StatusSeeOther)
	return nil
}

// userJSON is a user as the admin API shows it.
type userJSON struct {
	ID              string     `json:"id"`
	Email           string     `json:"email"`
	Admin           bool       `json:"is_admin"`
	Tier            string     `json:"tier"`
	CreatedAt       time.Time  `json:"created_at"`
	LastSignInAt    *time.Time `json:"last_signin_at"`
	DisabledAt      *time.Time `json:"disabled_at"`
	SignupIP        string     `json:"signup_ip"`
	SignupUserAgent string     `json:"signup_user_agent"`
	Recaps          int        `json:"recaps"`
	StorageBytes    int64      `json:"storage_bytes"` // the recap files, as last indexed
	Sessions        int        `json:"sessions"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func (s *Server) handleAdminUsers(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	offset, _ := strconv.Atoi(q.Get("offset"))
	list, total, err := s.multi.Store.ListUsers(r.Context(), store.UserQuery{Search: q.Get("q"), Limit: limit, Offset: offset})
	if err != nil {
		return err
	}
	out := make([]userJSON, 0, len(list))
	for _, u := range list {
		out = append(out, userJSON{ID: u.ID, Email: u.Email, Admin: u.IsAdmin, Tier: u.Tier, CreatedAt: u.CreatedAt,
			LastSignInAt: timePtr(u.LastSignInAt), DisabledAt: timePtr(u.DisabledAt), SignupIP: u.SignupIP,
			SignupUserAgent: u.SignupUserAgent, Recaps: u.Recaps, StorageBytes: u.Storage, Sessions: u.Sessions})
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out, "total": total})
	return nil
}

func (s *Server) handleAdminUserSessions(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error {
	u, err := s.adminUser(r, ps)
	if err != nil {
		return err
	}
	list, err := s.multi.Store.ListSessions(r.Context(), u.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": viewSessions(list, callerOf(r).Session)})
	return nil
}

func (s *Server) handleAdminRevokeSessions(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error {
	u, err := s.adminUser(r, ps)
	if err != nil {
		return err
	}
	n, err := s.revokeFor(r, u, ps.ByName("sid"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]int64{"revoked": n})
	return nil
}

func (s *Server) handleAdminDisable(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error {
	if _, err := s.setDisabled(r, ps, true); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handleAdminEnable(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error {
	if _, err := s.setDisabled(r, ps, false); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleAdminSignIns returns the sign-in requests of the last day
// grouped by client address bucket, and the latest requests (of one
// bucket with ?bucket=).
func (s *Server) handleAdminSignIns(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	ctx := r.Context()
	activity, err := s.multi.Store.SignInActivity(ctx, time.Now().Add(-activityWindow), 100)
	if err != nil {
		return err
	}
	recent, err := s.multi.Store.RecentSignInRequests(ctx, r.URL.Query().Get("bucket"), 100)
	if err != nil {
		return err
	}
	type req struct {
		Email     string    `json:"email"`
		IPBucket  string    `json:"ip_bucket"`
		IPAddress string    `json:"ip_address"`
		UserAgent string    `json:"user_agent"`
		CreatedAt time.Time `json:"created_at"`
		Outcome   string    `json:"outcome"`
	}
	type bucket struct {
		IPBucket string    `json:"ip_bucket"`
		Requests int       `json:"requests"`
		Limited  int       `json:"limited"`
		Emails   int       `json:"emails"`
		First    time.Time `json:"first"`
		Last     time.Time `json:"last"`
	}
	b := make([]bucket, 0, len(activity))
	for _, a := range activity {
		b = append(b, bucket(a))
	}
	q := make([]req, 0, len(recent))
	for _, x := range recent {
		q = append(q, req(x))
	}
	writeJSON(w, http.StatusOK, map[string]any{"buckets": b, "recent": q})
	return nil
}
