package server

import (
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
)

var deleteLinkPattern = regexp.MustCompile(`https?://\S+/account/delete/confirm\?token=[A-Za-z0-9_-]+`)

// deleteToken reads the token of the deletion link in the n-th mail.
func (e *multiEnv) deleteToken(t testing.TB, n int) string {
	t.Helper()
	m := e.mail.Wait(t, n)
	l := deleteLinkPattern.FindString(m.Text)
	if l == "" {
		t.Fatalf("no deletion link in:\n%s", m.Text)
	}
	u, err := url.Parse(l)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("token")
}

func TestDeleteMyAccount(t *testing.T) {
	t.Parallel()
	e := newMultiEnv(t, true)
	owner := e.signIn(t, adminEmail, 1)
	ann := e.signIn(t, "ann@example.org", 2)
	e.addRecap(t, ann)
	u, err := e.st.UserByEmail(t.Context(), "ann@example.org")
	must(t, err)

	// Asking only mails a link; nothing is deleted yet.
	w := e.do(t, mreq{method: "POST", path: "/account/delete", ctype: formType, cookie: ann})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `id="delete-mail-sent"`) {
		t.Fatalf("ask: %d\n%s", w.Code, w.Body)
	}
	m := e.mail.Wait(t, 3)
	if len(m.Rcpts) != 1 || m.Rcpts[0] != "ann@example.org" || !strings.Contains(m.Text, "with its 1 recaps") {
		t.Fatalf("confirmation mail to %v:\n%s", m.Rcpts, m.Text)
	}
	token := e.deleteToken(t, 3)
	// The link is not a sign-in link, and a sign-in link does not delete.
	if c, _ := e.confirm(t, token); c != "" {
		t.Fatal("the deletion link signed someone in")
	}
	signinToken := e.requestLink(t, "ann@example.org", 4)
	if w := e.do(t, mreq{method: "POST", path: "/account/delete/confirm", ctype: formType, body: form("token", signinToken)}); w.Code != http.StatusBadRequest {
		t.Fatalf("a sign-in link deleted: %d", w.Code)
	}
	// Opening the link (as a mail scanner would) changes nothing.
	for _, m := range []string{"GET", "HEAD"} {
		w := e.do(t, mreq{method: m, path: "/account/delete/confirm?token=" + token})
		if w.Code != http.StatusOK || w.Header().Get("Referrer-Policy") != "no-referrer" {
			t.Fatalf("%s confirm page: %d", m, w.Code)
		}
	}
	if w := e.do(t, mreq{method: "GET", path: "/api/recaps", cookie: ann}); w.Code != http.StatusOK {
		t.Fatalf("the account went before the button: %d", w.Code)
	}
	// A cross-site post of the token is refused.
	w = e.do(t, mreq{method: "POST", path: "/account/delete/confirm", ctype: formType, body: form("token", token),
		header: map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.test"}})
	if w.Code != http.StatusForbidden {
		t.Fatalf("cross-site confirm: %d", w.Code)
	}
	// The button, from another browser (her phone): the account goes.
	w = e.do(t, mreq{method: "POST", path: "/account/delete/confirm", ctype: formType, body: form("token", token)})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `id="account-deleted"`) {
		t.Fatalf("confirm: %d\n%s", w.Code, w.Body)
	}
	if w := e.do(t, mreq{method: "GET", path: "/api/recaps", cookie: ann}); w.Code != http.StatusUnauthorized {
		t.Errorf("deleted account's browser: %d", w.Code)
	}
	if _, err := os.Stat(e.lib.Dir(u.ID)); !os.IsNotExist(err) {
		t.Errorf("deleted account's folder: %v", err)
	}
	// Once only.
	if w := e.do(t, mreq{method: "POST", path: "/account/delete/confirm", ctype: formType, body: form("token", token)}); w.Code != http.StatusBadRequest {
		t.Errorf("second confirm: %d", w.Code)
	}
	// The owner cannot delete the owner's account.
	if w := e.do(t, mreq{method: "POST", path: "/account/delete", ctype: formType, cookie: owner}); w.Code != http.StatusConflict {
		t.Errorf("owner deletes: %d", w.Code)
	}
	if w := e.do(t, mreq{method: "GET", path: "/account", cookie: owner}); strings.Contains(w.Body.String(), `id="delete-account"`) {
		t.Error("the owner is offered to delete the account")
	}
}
