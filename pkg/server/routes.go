package server

import (
	"net/http"

	"github.com/julienschmidt/httprouter"

	"github.com/recap-startos/recap/pkg/billing"
)

// route is one entry of the route table: the method and path, who may
// call it, how large its body may be (0: it reads none), and its handler.
// GET and HEAD routes never change anything.
type route struct {
	method, path string
	who          access
	body         int64
	handle       handler
}

// routeTable is the one route table, as data: the server registers it
// (routes) and the tests walk it (every GET route crawled, every route
// checked for its session). Sign-in and the account are the owner's
// password in single mode and emailed links, sessions and the admin
// dashboard in multi mode; the pages and the JSON API are the same in
// both.
func (s *Server) routeTable() []route {
	table := s.healthRoutes()
	if s.multi == nil {
		table = append(table, s.ownerRoutes()...)
	} else {
		table = append(table, s.accountRoutes()...)
	}
	upload := s.opt.MaxUpload + multipartOverhead
	return append(append(table, s.pageRoutes(upload)...), s.apiRoutes(upload)...)
}

// routes registers the route table, each handler wrapped by wrap.
func (s *Server) routes() http.Handler {
	r := httprouter.New()
	for _, rt := range s.routeTable() {
		r.Handle(rt.method, rt.path, s.wrap(rt.who, rt.body, rt.handle))
	}
	r.NotFound = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		s.fail(w, req, errNotFound)
	})
	r.MethodNotAllowed = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		s.fail(w, req, errMethod)
	})
	r.HandleOPTIONS = false
	return r
}

// healthRoutes are health and static assets.
func (s *Server) healthRoutes() []route {
	return []route{
		{http.MethodGet, "/healthz", public, 0, s.handleHealth},
		{http.MethodHead, "/healthz", public, 0, s.handleHealth},
		{http.MethodGet, "/static/:name", public, 0, s.handleStatic},
		{http.MethodGet, "/favicon.ico", public, 0, s.handleFavicon},
	}
}

// ownerRoutes are single mode's sign-in and account: the owner password.
func (s *Server) ownerRoutes() []route {
	return []route{
		{http.MethodGet, "/login", public, 0, s.handleLoginPage},
		{http.MethodPost, "/login", public, maxFormBytes, s.handleLogin},
		{http.MethodPost, "/logout", public, maxFormBytes, s.handleLogout},
		{http.MethodGet, "/account", owner, 0, s.handleAccountPage},
		{http.MethodPost, "/account/password", owner, maxFormBytes, s.handlePasswordForm},
		{http.MethodPost, "/account/sign-out-everywhere", owner, maxFormBytes, s.handleOwnerSignOutEverywhere},
		{http.MethodGet, "/api/me", owner, 0, s.handleMe},
		{http.MethodPost, "/api/owner/password", owner, maxFormBytes, s.handlePasswordAPI},
	}
}

// accountRoutes are multi mode's: sign-in by emailed links, sessions,
// the admin dashboard, the digest mail, plans and payments.
func (s *Server) accountRoutes() []route {
	table := []route{
		{http.MethodGet, "/login", public, 0, s.handleSignInPage},
		{http.MethodPost, "/auth/request-link", public, maxFormBytes, s.handleRequestLink},
		{http.MethodGet, "/auth/verify", public, 0, s.handleVerifyPage},
		{http.MethodHead, "/auth/verify", public, 0, s.handleVerifyPage},
		{http.MethodPost, "/auth/verify", public, maxFormBytes, s.handleVerify},
		{http.MethodPost, "/logout", public, maxFormBytes, s.handleSignOut},
		{http.MethodGet, "/account", owner, 0, s.handleSessionsPage},
		{http.MethodPost, "/account/sessions/:sid/revoke", owner, maxFormBytes, s.handleRevokeSessionForm},
		{http.MethodPost, "/account/sign-out-everywhere", owner, maxFormBytes, s.handleSignOutEverywhereForm},
		{http.MethodPost, "/account/delete", owner, maxFormBytes, s.handleDeleteAccountForm},
		{http.MethodGet, "/account/delete/confirm", public, 0, s.handleDeleteConfirmPage},
		{http.MethodHead, "/account/delete/confirm", public, 0, s.handleDeleteConfirmPage},
		{http.MethodPost, "/account/delete/confirm", public, maxFormBytes, s.handleDeleteConfirm},
		{http.MethodGet, "/api/me", owner, 0, s.handleMeMulti},
		{http.MethodGet, "/api/credits/history", owner, 0, s.handleCreditHistory},
		{http.MethodGet, "/api/sessions", owner, 0, s.handleListSessions},
		{http.MethodDelete, "/api/sessions/:sid", owner, 0, s.handleRevokeSession},
		{http.MethodPost, "/api/sessions/revoke-all", owner, maxFormBytes, s.handleRevokeAllSessions},

		{http.MethodGet, "/admin", admin, 0, s.handleAdminPage},
		{http.MethodGet, "/admin/users/:uid", admin, 0, s.handleAdminUserPage},
		{http.MethodPost, "/admin/users/:uid/disable", admin, maxFormBytes, s.handleAdminDisableForm},
		{http.MethodPost, "/admin/users/:uid/enable", admin, maxFormBytes, s.handleAdminEnableForm},
		{http.MethodPost, "/admin/users/:uid/credits", admin, maxFormBytes, s.handleAdminGrantForm},
		{http.MethodPost, "/admin/users/:uid/sessions/revoke", admin, maxFormBytes, s.handleAdminRevokeForm},
		{http.MethodPost, "/admin/users/:uid/demote", admin, maxFormBytes, s.handleAdminDemoteForm},
		{http.MethodGet, "/admin/users/:uid/remove", admin, 0, s.handleAdminRemovePage},
		{http.MethodPost, "/admin/users/:uid/remove", admin, maxFormBytes, s.handleAdminRemoveForm},
		{http.MethodPost, "/admin/invites", admin, maxFormBytes, s.handleAdminInviteForm},
		{http.MethodPost, "/admin/invites/revoke", admin, maxFormBytes, s.handleAdminRevokeInviteForm},
		{http.MethodGet, "/admin/merge", admin, 0, s.handleAdminMergePage},
		{http.MethodPost, "/admin/merge", admin, maxFormBytes, s.handleAdminMergeForm},
		{http.MethodGet, "/api/admin/users", admin, 0, s.handleAdminUsers},
		{http.MethodGet, "/api/admin/users/:uid/sessions", admin, 0, s.handleAdminUserSessions},
		{http.MethodDelete, "/api/admin/users/:uid/sessions", admin, 0, s.handleAdminRevokeSessions},
		{http.MethodDelete, "/api/admin/users/:uid/sessions/:sid", admin, 0, s.handleAdminRevokeSessions},
		{http.MethodPost, "/api/admin/users/:uid/disable", admin, maxFormBytes, s.handleAdminDisable},
		{http.MethodPost, "/api/admin/users/:uid/enable", admin, maxFormBytes, s.handleAdminEnable},
		{http.MethodGet, "/api/admin/signins", admin, 0, s.handleAdminSignIns},
		{http.MethodGet, "/api/trial", public, 0, s.handleTrial},
		{http.MethodGet, "/admin/orders", admin, 0, s.handleAdminOrdersPage},

		// The digest mail of follows: the choice, and the mail's
		// unsubscribe link (no sign-in; only the POST changes anything).
		{http.MethodPost, "/following/digest", owner, maxFormBytes, s.handleDigestForm},
		{http.MethodGet, "/api/follow-digest", owner, 0, s.handleGetDigest},
		{http.MethodPut, "/api/follow-digest", owner, maxFormBytes, s.handleSetDigest},
		{http.MethodGet, "/digest/unsubscribe", public, 0, s.handleUnsubscribePage},
		{http.MethodHead, "/digest/unsubscribe", public, 0, s.handleUnsubscribePage},
		{http.MethodPost, "/digest/unsubscribe", public, maxFormBytes, s.handleUnsubscribe},

		// Plans, prices and orders (pkg/billing).
		{http.MethodGet, "/pricing", public, 0, s.handlePricingPage},
		{http.MethodPost, "/billing/checkout", public, maxFormBytes, s.handleCheckoutForm},
		{http.MethodGet, "/billing/orders/:id", public, 0, s.handleOrderPage},
		{http.MethodGet, "/billing/orders/:id/qr.png", public, 0, s.handleOrderQR},
		{http.MethodPost, "/api/billing/checkout", public, maxFormBytes, s.handleCheckoutAPI},
		{http.MethodGet, "/api/billing/orders/:id", public, 0, s.handleOrderAPI},
	}
	// Payments: the providers' webhooks (servers, not browsers: no
	// cross-origin check, see New).
	if s.multi.Billing != nil {
		table = append(table, []route{
			{http.MethodPost, "/webhooks/btcpay", public, billing.MaxWebhookBody, s.handleBTCPayWebhook},
			{http.MethodPost, "/webhooks/zaprite", public, billing.MaxWebhookBody, s.handleZapriteWebhook},
		}...)
	}
	return table
}

// pageRoutes are the pages. With anonymous trials on (multi mode),
// visitor routes let in anyone and holder routes a trial holder too
// (trials.go).
func (s *Server) pageRoutes(upload int64) []route {
	return []route{
		{http.MethodGet, "/", visitor, 0, s.handleHome},
		{http.MethodPost, "/jobs", visitor, upload, s.handleSubmitForm},
		{http.MethodGet, "/jobs/:id", holder, 0, s.handleJobPage},
		{http.MethodPost, "/jobs/:id/cancel", holder, maxFormBytes, s.handleCancelForm},
		{http.MethodGet, "/uploads/:token", holder, 0, s.handleEpisodePage},
		{http.MethodPost, "/uploads/:token", holder, maxFormBytes, s.handleChooseEpisode},
		{http.MethodGet, "/library", holder, 0, s.handleLibraryPage},
		{http.MethodGet, "/library/export", owner, 0, s.handleExportLibrary},
		{http.MethodGet, "/recaps/:id", holder, 0, s.handleRecapPage},
		{http.MethodGet, "/recaps/:id/delete", holder, 0, s.handleDeletePage},
		{http.MethodPost, "/recaps/:id/delete", holder, maxFormBytes, s.handleDeleteForm},
		{http.MethodGet, "/following", owner, 0, s.handleFollowingPage},
		{http.MethodPost, "/following", owner, maxFormBytes, s.handleFollowForm},
		{http.MethodPost, "/following/check", owner, maxFormBytes, s.handleCheckFollowsForm},
		{http.MethodPost, "/follows/:id/pause", owner, maxFormBytes, s.handleChangeFollowForm("pause")},
		{http.MethodPost, "/follows/:id/resume", owner, maxFormBytes, s.handleChangeFollowForm("resume")},
		{http.MethodPost, "/follows/:id/remove", owner, maxFormBytes, s.handleChangeFollowForm("remove")},
	}
}

// apiRoutes are the JSON API.
func (s *Server) apiRoutes(upload int64) []route {
	return []route{
		{http.MethodPost, "/api/recaps", visitor, upload, s.handleSubmitAPI},
		{http.MethodGet, "/api/recaps", holder, 0, s.handleListRecaps},
		{http.MethodGet, "/api/recaps/:id", holder, 0, s.handleGetRecap},
		{http.MethodDelete, "/api/recaps/:id", holder, 0, s.handleDeleteRecap},
		{http.MethodGet, "/api/recaps/:id/export", holder, 0, s.handleExportRecap},
		{http.MethodGet, "/api/jobs", holder, 0, s.handleListJobs},
		{http.MethodGet, "/api/jobs/:id", holder, 0, s.handleGetJob},
		{http.MethodGet, "/api/jobs/:id/events", holder, 0, s.handleJobEvents},
		{http.MethodPost, "/api/jobs/:id/cancel", holder, maxFormBytes, s.handleCancelJob},
		{http.MethodGet, "/api/follows", owner, 0, s.handleListFollows},
		{http.MethodPost, "/api/follows", owner, maxFormBytes, s.handleAddFollow},
		{http.MethodPost, "/api/follow-checks", owner, maxFormBytes, s.handleCheckFollows},
		{http.MethodGet, "/api/follows/:id", owner, 0, s.handleGetFollow},
		{http.MethodDelete, "/api/follows/:id", owner, 0, s.handleChangeFollow("remove")},
		{http.MethodPost, "/api/follows/:id/pause", owner, maxFormBytes, s.handleChangeFollow("pause")},
		{http.MethodPost, "/api/follows/:id/resume", owner, maxFormBytes, s.handleChangeFollow("resume")},
		{http.MethodPost, "/api/follows/:id/read", owner, maxFormBytes, s.handleChangeFollow("read")},
	}
}
