package server

import (
	"net/http"

	"github.com/julienschmidt/httprouter"

	"github.com/recap-startos/recap/pkg/billing"
)

// routes is the one route table. Every route names who may call it and
// how large its body may be; GET routes never change anything.
func (s *Server) routes() http.Handler {
	r := httprouter.New()
	upload := s.opt.MaxUpload + multipartOverhead

	// Health and static assets.
	r.GET("/healthz", s.wrap(public, 0, s.handleHealth))
	r.HEAD("/healthz", s.wrap(public, 0, s.handleHealth))
	r.GET("/static/:name", s.wrap(public, 0, s.handleStatic))
	r.GET("/favicon.ico", s.wrap(public, 0, s.handleFavicon))

	// Sign-in and the account: the owner's password in single mode,
	// emailed links, sessions and the admin dashboard in multi mode.
	if s.multi == nil {
		r.GET("/login", s.wrap(public, 0, s.handleLoginPage))
		r.POST("/login", s.wrap(public, maxFormBytes, s.handleLogin))
		r.POST("/logout", s.wrap(public, maxFormBytes, s.handleLogout))
		r.GET("/account", s.wrap(owner, 0, s.handleAccountPage))
		r.POST("/account/password", s.wrap(owner, maxFormBytes, s.handlePasswordForm))
		r.POST("/account/sign-out-everywhere", s.wrap(owner, maxFormBytes, s.handleOwnerSignOutEverywhere))
		r.GET("/api/me", s.wrap(owner, 0, s.handleMe))
		r.POST("/api/owner/password", s.wrap(owner, maxFormBytes, s.handlePasswordAPI))
	} else {
		r.GET("/login", s.wrap(public, 0, s.handleSignInPage))
		r.POST("/auth/request-link", s.wrap(public, maxFormBytes, s.handleRequestLink))
		r.GET("/auth/verify", s.wrap(public, 0, s.handleVerifyPage))
		r.HEAD("/auth/verify", s.wrap(public, 0, s.handleVerifyPage))
		r.POST("/auth/verify", s.wrap(public, maxFormBytes, s.handleVerify))
		r.POST("/logout", s.wrap(public, maxFormBytes, s.handleSignOut))
		r.GET("/account", s.wrap(owner, 0, s.handleSessionsPage))
		r.POST("/account/sessions/:sid/revoke", s.wrap(owner, maxFormBytes, s.handleRevokeSessionForm))
		r.POST("/account/sign-out-everywhere", s.wrap(owner, maxFormBytes, s.handleSignOutEverywhereForm))
		r.POST("/account/delete", s.wrap(owner, maxFormBytes, s.handleDeleteAccountForm))
		r.GET("/account/delete/confirm", s.wrap(public, 0, s.handleDeleteConfirmPage))
		r.HEAD("/account/delete/confirm", s.wrap(public, 0, s.handleDeleteConfirmPage))
		r.POST("/account/delete/confirm", s.wrap(public, maxFormBytes, s.handleDeleteConfirm))
		r.GET("/api/me", s.wrap(owner, 0, s.handleMeMulti))
		r.GET("/api/credits/history", s.wrap(owner, 0, s.handleCreditHistory))
		r.GET("/api/sessions", s.wrap(owner, 0, s.handleListSessions))
		r.DELETE("/api/sessions/:sid", s.wrap(owner, 0, s.handleRevokeSession))
		r.POST("/api/sessions/revoke-all", s.wrap(owner, maxFormBytes, s.handleRevokeAllSessions))

		r.GET("/admin", s.wrap(admin, 0, s.handleAdminPage))
		r.GET("/admin/users/:uid", s.wrap(admin, 0, s.handleAdminUserPage))
		r.POST("/admin/users/:uid/disable", s.wrap(admin, maxFormBytes, s.handleAdminDisableForm))
		r.POST("/admin/users/:uid/enable", s.wrap(admin, maxFormBytes, s.handleAdminEnableForm))
		r.POST("/admin/users/:uid/credits", s.wrap(admin, maxFormBytes, s.handleAdminGrantForm))
		r.POST("/admin/users/:uid/sessions/revoke", s.wrap(admin, maxFormBytes, s.handleAdminRevokeForm))
		r.POST("/admin/users/:uid/demote", s.wrap(admin, maxFormBytes, s.handleAdminDemoteForm))
		r.GET("/admin/users/:uid/remove", s.wrap(admin, 0, s.handleAdminRemovePage))
		r.POST("/admin/users/:uid/remove", s.wrap(admin, maxFormBytes, s.handleAdminRemoveForm))
		r.POST("/admin/invites", s.wrap(admin, maxFormBytes, s.handleAdminInviteForm))
		r.POST("/admin/invites/revoke", s.wrap(admin, maxFormBytes, s.handleAdminRevokeInviteForm))
		r.GET("/admin/merge", s.wrap(admin, 0, s.handleAdminMergePage))
		r.POST("/admin/merge", s.wrap(admin, maxFormBytes, s.handleAdminMergeForm))
		r.GET("/api/admin/users", s.wrap(admin, 0, s.handleAdminUsers))
		r.GET("/api/admin/users/:uid/sessions", s.wrap(admin, 0, s.handleAdminUserSessions))
		r.DELETE("/api/admin/users/:uid/sessions", s.wrap(admin, 0, s.handleAdminRevokeSessions))
		r.DELETE("/api/admin/users/:uid/sessions/:sid", s.wrap(admin, 0, s.handleAdminRevokeSessions))
		r.POST("/api/admin/users/:uid/disable", s.wrap(admin, maxFormBytes, s.handleAdminDisable))
		r.POST("/api/admin/users/:uid/enable", s.wrap(admin, maxFormBytes, s.handleAdminEnable))
		r.GET("/api/admin/signins", s.wrap(admin, 0, s.handleAdminSignIns))
		r.GET("/api/trial", s.wrap(public, 0, s.handleTrial))
		r.GET("/admin/orders", s.wrap(admin, 0, s.handleAdminOrdersPage))

		// The digest mail of follows: the choice, and the mail's
		// unsubscribe link (no sign-in; only the POST changes anything).
		r.POST("/following/digest", s.wrap(owner, maxFormBytes, s.handleDigestForm))
		r.GET("/api/follow-digest", s.wrap(owner, 0, s.handleGetDigest))
		r.PUT("/api/follow-digest", s.wrap(owner, maxFormBytes, s.handleSetDigest))
		r.GET("/digest/unsubscribe", s.wrap(public, 0, s.handleUnsubscribePage))
		r.HEAD("/digest/unsubscribe", s.wrap(public, 0, s.handleUnsubscribePage))
		r.POST("/digest/unsubscribe", s.wrap(public, maxFormBytes, s.handleUnsubscribe))

		// Plans, prices and orders (pkg/billing).
		r.GET("/pricing", s.wrap(public, 0, s.handlePricingPage))
		r.POST("/billing/checkout", s.wrap(public, maxFormBytes, s.handleCheckoutForm))
		r.GET("/billing/orders/:id", s.wrap(public, 0, s.handleOrderPage))
		r.GET("/billing/orders/:id/qr.png", s.wrap(public, 0, s.handleOrderQR))
		r.POST("/api/billing/checkout", s.wrap(public, maxFormBytes, s.handleCheckoutAPI))
		r.GET("/api/billing/orders/:id", s.wrap(public, 0, s.handleOrderAPI))

		// Payments: the providers' webhooks (servers, not browsers: no
		// cross-origin check, see New).
		if s.multi.Billing != nil {
			r.POST("/webhooks/btcpay", s.wrap(public, billing.MaxWebhookBody, s.handleBTCPayWebhook))
			r.POST("/webhooks/zaprite", s.wrap(public, billing.MaxWebhookBody, s.handleZapriteWebhook))
		}
	}

	// Pages. With anonymous trials on (multi mode), visitor routes let
	// in anyone and holder routes a trial holder too (trials.go).
	r.GET("/", s.wrap(visitor, 0, s.handleHome))
	r.POST("/jobs", s.wrap(visitor, upload, s.handleSubmitForm))
	r.GET("/jobs/:id", s.wrap(holder, 0, s.handleJobPage))
	r.POST("/jobs/:id/cancel", s.wrap(holder, maxFormBytes, s.handleCancelForm))
	r.GET("/uploads/:token", s.wrap(holder, 0, s.handleEpisodePage))
	r.POST("/uploads/:token", s.wrap(holder, maxFormBytes, s.handleChooseEpisode))
	r.GET("/library", s.wrap(holder, 0, s.handleLibraryPage))
	r.GET("/library/export", s.wrap(owner, 0, s.handleExportLibrary))
	r.GET("/recaps/:id", s.wrap(holder, 0, s.handleRecapPage))
	r.GET("/recaps/:id/delete", s.wrap(holder, 0, s.handleDeletePage))
	r.POST("/recaps/:id/delete", s.wrap(holder, maxFormBytes, s.handleDeleteForm))
	r.GET("/following", s.wrap(owner, 0, s.handleFollowingPage))
	r.POST("/following", s.wrap(owner, maxFormBytes, s.handleFollowForm))
	r.POST("/following/check", s.wrap(owner, maxFormBytes, s.handleCheckFollowsForm))
	r.POST("/follows/:id/pause", s.wrap(owner, maxFormBytes, s.handleChangeFollowForm("pause")))
	r.POST("/follows/:id/resume", s.wrap(owner, maxFormBytes, s.handleChangeFollowForm("resume")))
	r.POST("/follows/:id/remove", s.wrap(owner, maxFormBytes, s.handleChangeFollowForm("remove")))

	// JSON API.
	r.POST("/api/recaps", s.wrap(visitor, upload, s.handleSubmitAPI))
	r.GET("/api/recaps", s.wrap(holder, 0, s.handleListRecaps))
	r.GET("/api/recaps/:id", s.wrap(holder, 0, s.handleGetRecap))
	r.DELETE("/api/recaps/:id", s.wrap(holder, 0, s.handleDeleteRecap))
	r.GET("/api/recaps/:id/export", s.wrap(holder, 0, s.handleExportRecap))
	r.GET("/api/jobs", s.wrap(holder, 0, s.handleListJobs))
	r.GET("/api/jobs/:id", s.wrap(holder, 0, s.handleGetJob))
	r.GET("/api/jobs/:id/events", s.wrap(holder, 0, s.handleJobEvents))
	r.POST("/api/jobs/:id/cancel", s.wrap(holder, maxFormBytes, s.handleCancelJob))
	r.GET("/api/follows", s.wrap(owner, 0, s.handleListFollows))
	r.POST("/api/follows", s.wrap(owner, maxFormBytes, s.handleAddFollow))
	r.POST("/api/follow-checks", s.wrap(owner, maxFormBytes, s.handleCheckFollows))
	r.GET("/api/follows/:id", s.wrap(owner, 0, s.handleGetFollow))
	r.DELETE("/api/follows/:id", s.wrap(owner, 0, s.handleChangeFollow("remove")))
	r.POST("/api/follows/:id/pause", s.wrap(owner, maxFormBytes, s.handleChangeFollow("pause")))
	r.POST("/api/follows/:id/resume", s.wrap(owner, maxFormBytes, s.handleChangeFollow("resume")))
	r.POST("/api/follows/:id/read", s.wrap(owner, maxFormBytes, s.handleChangeFollow("read")))

	r.NotFound = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		s.fail(w, req, errNotFound)
	})
	r.MethodNotAllowed = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		s.fail(w, req, errMethod)
	})
	r.HandleOPTIONS = false
	return r
}
