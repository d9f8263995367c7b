package server

import (
	"net/http"
	"os"
	"strings"
	"testing"
)

func TestAdminRemovesAnAccount(t *testing.T) {
	t.Parallel()
	e := newMultiEnv(t, true)
	owner := e.signIn(t, adminEmail, 1)
	kid := e.signIn(t, "kid@example.org", 2)
	u, err := e.st.UserByEmail(t.Context(), "kid@example.org")
	must(t, err)
	e.addRecap(t, kid)
	page := "/admin/users/" + u.ID + "/remove"

	w := e.do(t, mreq{method: "GET", path: page, cookie: owner})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `id="remove-count">1 recaps`) {
		t.Fatalf("remove page: %d\n%s", w.Code, w.Body)
	}
	// A confirmation with the wrong count removes nothing and asks again.
	w = e.do(t, mreq{method: "POST", path: page, ctype: formType, body: form("recaps", "0"), cookie: owner})
	if w.Code != http.StatusConflict || !strings.Contains(w.Body.String(), "changed since you looked") {
		t.Fatalf("wrong count: %d", w.Code)
	}
	if w := e.do(t, mreq{method: "GET", path: "/api/recaps", cookie: kid}); w.Code != http.StatusOK {
		t.Fatalf("kid after a refused removal: %d", w.Code)
	}
	// Members and cross-site posts cannot remove.
	if w := e.do(t, mreq{method: "POST", path: page, ctype: formType, body: form("recaps", "1"), cookie: kid}); w.Code != http.StatusNotFound {
		t.Errorf("member removes: %d", w.Code)
	}
	w = e.do(t, mreq{method: "POST", path: page, ctype: formType, body: form("recaps", "1"), cookie: owner,
		header: map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.test"}})
	if w.Code != http.StatusForbidden {
		t.Errorf("cross-site removal: %d", w.Code)
	}
	w = e.do(t, mreq{method: "POST", path: page, ctype: formType, body: form("recaps", "1"), cookie: owner})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/admin?done=removed" {
		t.Fatalf("remove: %d %s", w.Code, w.Header().Get("Location"))
	}
	if w := e.do(t, mreq{method: "GET", path: "/api/recaps", cookie: kid}); w.Code != http.StatusUnauthorized {
		t.Errorf("removed account's browser: %d", w.Code)
	}
	if _, err := os.Stat(e.lib.Dir(u.ID)); !os.IsNotExist(err) {
		t.Errorf("removed account's folder: %v", err)
	}
	// The owner's account is never removed this way.
	admin, _ := e.st.UserByEmail(t.Context(), adminEmail)
	if w := e.do(t, mreq{method: "GET", path: "/admin/users/" + admin.ID + "/remove", cookie: owner}); w.Code != http.StatusConflict {
		t.Errorf("remove the owner: %d", w.Code)
	}
}
