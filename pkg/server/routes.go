package server

import (
	"net/http"

	"github.com/julienschmidt/httprouter"
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

	// Sign-in.
	r.GET("/login", s.wrap(public, 0, s.handleLoginPage))
	r.POST("/login", s.wrap(public, maxFormBytes, s.handleLogin))
	r.POST("/logout", s.wrap(public, maxFormBytes, s.handleLogout))

	// Pages.
	r.GET("/", s.wrap(owner, 0, s.handleHome))
	r.POST("/jobs", s.wrap(owner, upload, s.handleSubmitForm))
	r.GET("/jobs/:id", s.wrap(owner, 0, s.handleJobPage))
	r.POST("/jobs/:id/cancel", s.wrap(owner, maxFormBytes, s.handleCancelForm))
	r.GET("/library", s.wrap(owner, 0, s.handleLibraryPage))
	r.GET("/recaps/:id", s.wrap(owner, 0, s.handleRecapPage))
	r.GET("/recaps/:id/delete", s.wrap(owner, 0, s.handleDeletePage))
	r.POST("/recaps/:id/delete", s.wrap(owner, maxFormBytes, s.handleDeleteForm))
	r.GET("/account", s.wrap(owner, 0, s.handleAccountPage))
	r.POST("/account/password", s.wrap(owner, maxFormBytes, s.handlePasswordForm))

	// JSON API.
	r.GET("/api/me", s.wrap(owner, 0, s.handleMe))
	r.POST("/api/owner/password", s.wrap(owner, maxFormBytes, s.handlePasswordAPI))
	r.POST("/api/recaps", s.wrap(owner, upload, s.handleSubmitAPI))
	r.GET("/api/recaps", s.wrap(owner, 0, s.handleListRecaps))
	r.GET("/api/recaps/:id", s.wrap(owner, 0, s.handleGetRecap))
	r.DELETE("/api/recaps/:id", s.wrap(owner, 0, s.handleDeleteRecap))
	r.GET("/api/recaps/:id/export", s.wrap(owner, 0, s.handleExportRecap))
	r.GET("/api/jobs", s.wrap(owner, 0, s.handleListJobs))
	r.GET("/api/jobs/:id", s.wrap(owner, 0, s.handleGetJob))
	r.GET("/api/jobs/:id/events", s.wrap(owner, 0, s.handleJobEvents))
	r.POST("/api/jobs/:id/cancel", s.wrap(owner, maxFormBytes, s.handleCancelJob))

	r.NotFound = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		s.fail(w, req, errNotFound)
	})
	r.MethodNotAllowed = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		s.fail(w, req, errMethod)
	})
	r.HandleOPTIONS = false
	return r
}
