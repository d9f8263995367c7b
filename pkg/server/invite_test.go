package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// inviteLink reads the sign-in link out of the n-th mail.
func (e *multiEnv) inviteLink(t *testing.T, n int) (string, string) {
	t.Helper()
	m := e.mail.Wait(t, n)
	u, err := url.Parse(m.Link(t))
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("token"), m.Text
}

func TestInviteWhileSignupsClosed(t *testing.T) {
	t.Parallel()
	e := newMultiEnv(t, false)
	owner := e.signIn(t, adminEmail, 1)

	// Closed sign-ups: an unknown address cannot get in.
	e.do(t, mreq{method: "POST", path: "/auth/request-link", ctype: formType, body: form("email", "gran@example.org")})
	if m := e.mail.Wait(t, 2); strings.Contains(m.Text, "/auth/verify") {
		t.Fatal("closed sign-ups mailed a sign-in link to an unknown address")
	}

	w := e.do(t, mreq{method: "POST", path: "/admin/invites", ctype: formType, body: form("email", " Gran@Example.org "), cookie: owner})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Mailed an invitation to <strong>gran@example.org</strong>") ||
		strings.Contains(w.Body.String(), "invite-link") || w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("invite: %d\n%s", w.Code, w.Body)
	}
	token, text := e.inviteLink(t, 3)
	if got := e.mail.Wait(t, 3).Rcpts; len(got) != 1 || got[0] != "gran@example.org" {
		t.Fatalf("invitation mailed to %v", got)
	}
	for _, want := range []string{adminEmail + " invited you to Recap on 127.0.0.1:9", "for 7 days", "http://127.0.0.1:9/"} {
		if !strings.Contains(text, want) {
			t.Errorf("invitation text lacks %q:\n%s", want, text)
		}
	}
	w = e.do(t, mreq{method: "GET", path: "/admin", cookie: owner})
	if !strings.Contains(w.Body.String(), "gran@example.org") || !strings.Contains(w.Body.String(), "pending") {
		t.Fatalf("invites list:\n%s", w.Body)
	}
	// Inviting again sends a new link; both work until one is used.
	w = e.do(t, mreq{method: "POST", path: "/admin/invites", ctype: formType, body: form("email", "gran@example.org"), cookie: owner})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "Invitation sent again") {
		t.Fatalf("re-invite: %d", w.Code)
	}
	second, _ := e.inviteLink(t, 4)
	if second == token {
		t.Fatal("re-invite sent the same link")
	}

	// The link signs her in to a new, empty library.
	gran, w := e.confirm(t, token)
	if gran == "" || w.Code != http.StatusSeeOther {
		t.Fatalf("accept: %d %s", w.Code, w.Body)
	}
	w = e.do(t, mreq{method: "GET", path: "/api/recaps", cookie: gran})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"total": 0`) {
		t.Fatalf("new library: %d %s", w.Code, w.Body)
	}
	w = e.do(t, mreq{method: "GET", path: "/admin", cookie: owner})
	if !strings.Contains(w.Body.String(), "accepted") {
		t.Error("invitation not shown as accepted")
	}
	// Now she has an account: inviting says so; she signs in like anyone.
	w = e.do(t, mreq{method: "POST", path: "/admin/invites", ctype: formType, body: form("email", "gran@example.org"), cookie: owner})
	if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "already has an account") {
		t.Errorf("invite a member: %d", w.Code)
	}
	e.signIn(t, "gran@example.org", 5)

	// Non-admins cannot invite; cross-site posts are refused.
	if w := e.do(t, mreq{method: "POST", path: "/admin/invites", ctype: formType, body: form("email", "x@example.org"), cookie: gran}); w.Code != http.StatusNotFound {
		t.Errorf("member invites: %d", w.Code)
	}
	w = e.do(t, mreq{method: "POST", path: "/admin/invites", ctype: formType, body: form("email", "x@example.org"), cookie: owner,
		header: map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.test"}})
	if w.Code != http.StatusForbidden {
		t.Errorf("cross-site invite: %d", w.Code)
	}
}

func TestRevokedInviteLinkStopsWorking(t *testing.T) {
	t.Parallel()
	e := newMultiEnv(t, false)
	owner := e.signIn(t, adminEmail, 1)
	e.do(t, mreq{method: "POST", path: "/admin/invites", ctype: formType, body: form("email", "kid@example.org"), cookie: owner})
	token, _ := e.inviteLink(t, 2)
	w := e.do(t, mreq{method: "POST", path: "/admin/invites/revoke", ctype: formType, body: form("email", "kid@example.org"), cookie: owner})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("revoke: %d", w.Code)
	}
	if c, w := e.confirm(t, token); c != "" || w.Code == http.StatusSeeOther {
		t.Fatalf("revoked link signed in: %d", w.Code)
	}
	if w := e.do(t, mreq{method: "POST", path: "/admin/invites/revoke", ctype: formType, body: form("email", "kid@example.org"), cookie: owner}); w.Code != http.StatusNotFound {
		t.Errorf("revoke twice: %d", w.Code)
	}
}
