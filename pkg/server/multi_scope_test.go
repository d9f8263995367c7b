package server

import (
	"context"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/auth"
	"github.com/recap-startos/recap/pkg/jobs"
)

// addRecap uploads the sample subtitles as user cookie and waits for the
// job; it returns the job and recap ids.
func (e *multiEnv) addRecap(t *testing.T, cookie string) (string, string) {
	t.Helper()
	data, err := os.ReadFile(sampleVTT)
	if err != nil {
		t.Fatal(err)
	}
	w := e.do(t, mreq{method: "POST", path: "/api/recaps", ctype: "application/json", cookie: cookie,
		body: `{"text":` + jsonString(string(data)) + `}`})
	if w.Code != http.StatusAccepted {
		t.Fatalf("submit: %d %s", w.Code, w.Body)
	}
	var jobID, recapID string
	for _, part := range strings.Split(w.Body.String(), "\n") {
		part = strings.TrimSpace(part)
		if v, ok := strings.CutPrefix(part, `"job_id": "`); ok {
			jobID = strings.TrimSuffix(v, `",`)
		}
		if v, ok := strings.CutPrefix(part, `"recap_id": "`); ok && recapID == "" {
			recapID = strings.TrimSuffix(v, `",`)
		}
	}
	deadline := time.Now().Add(time.Minute)
	for {
		st, err := e.jobs.Get(jobID)
		if err != nil {
			t.Fatal(err)
		}
		if st.Finished() {
			if st.Status != jobs.StatusDone {
				t.Fatalf("job %+v", st)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("job did not finish")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return jobID, recapID
}

// TestTwoUsersSeeOnlyTheirOwn tries every route that takes a recap or job
// id with another user's id: each answers 404, and lists and search never
// show the other's recap.
func TestTwoUsersSeeOnlyTheirOwn(t *testing.T) {
	t.Parallel()
	e := newMultiEnv(t, true)
	alice := e.signIn(t, "alice@example.org", 1)
	bob := e.signIn(t, "bob@example.org", 2)
	jobID, recapID := e.addRecap(t, alice)
	if w := e.do(t, mreq{method: "GET", path: "/api/recaps/" + recapID, cookie: alice}); w.Code != 200 {
		t.Fatalf("alice's own recap: %d", w.Code)
	}
	for _, r := range []mreq{
		{method: "GET", path: "/recaps/" + recapID},
		{method: "GET", path: "/recaps/" + recapID + "/delete"},
		{method: "POST", path: "/recaps/" + recapID + "/delete", ctype: formType},
		{method: "GET", path: "/api/recaps/" + recapID},
		{method: "GET", path: "/api/recaps/" + recapID + "/export?format=md"},
		{method: "GET", path: "/api/recaps/" + recapID + "/export?format=json"},
		{method: "DELETE", path: "/api/recaps/" + recapID},
		{method: "GET", path: "/jobs/" + jobID},
		{method: "POST", path: "/jobs/" + jobID + "/cancel", ctype: formType},
		{method: "GET", path: "/api/jobs/" + jobID},
		{method: "GET", path: "/api/jobs/" + jobID + "/events"},
		{method: "POST", path: "/api/jobs/" + jobID + "/cancel"},
	} {
		r.cookie = bob
		if w := e.do(t, r); w.Code != http.StatusNotFound {
			t.Errorf("bob %s %s: %d", r.method, r.path, w.Code)
		}
	}
	for _, path := range []string{"/api/recaps", "/api/recaps?q=bitcoin", "/library", "/library?q=bitcoin", "/", "/api/jobs"} {
		w := e.do(t, mreq{method: "GET", path: path, cookie: bob})
		if w.Code != 200 || strings.Contains(w.Body.String(), recapID) || strings.Contains(w.Body.String(), jobID) {
			t.Errorf("bob's %s shows alice's recap or job (%d)", path, w.Code)
		}
	}
	// Alice still has it, and sees it in her lists.
	if w := e.do(t, mreq{method: "GET", path: "/api/recaps", cookie: alice}); !strings.Contains(w.Body.String(), recapID) {
		t.Fatal("alice's list lost her recap")
	}
	// The admin dashboard is not there for users.
	for _, p := range []string{"/admin", "/api/admin/users", "/api/admin/signins"} {
		if w := e.do(t, mreq{method: "GET", path: p, cookie: bob}); w.Code != http.StatusNotFound {
			t.Errorf("bob %s: %d", p, w.Code)
		}
	}
}

func TestSessionsRevokeAndDisable(t *testing.T) {
	t.Parallel()
	e := newMultiEnv(t, true)
	ctx := context.Background()
	a1 := e.signIn(t, "alice@example.org", 1)
	a2 := e.signIn(t, "alice@example.org", 2)
	admin := e.signIn(t, adminEmail, 3)
	alive := func(c string) bool { return e.do(t, mreq{method: "GET", path: "/api/me", cookie: c}).Code == 200 }
	// The session list shows both browsers; revoking one leaves the other.
	w := e.do(t, mreq{method: "GET", path: "/api/sessions", cookie: a1})
	if strings.Count(w.Body.String(), `"id"`) != 2 || strings.Count(w.Body.String(), `"current": true`) != 1 {
		t.Fatalf("sessions: %s", w.Body)
	}
	u, _ := e.st.UserByEmail(ctx, "alice@example.org")
	list, _ := e.st.ListSessions(ctx, u.ID)
	for _, s := range list {
		if w := e.do(t, mreq{method: "DELETE", path: "/api/sessions/" + s.ID, cookie: admin}); w.Code != http.StatusNotFound {
			t.Fatalf("another user's session revoked through the user API: %d", w.Code)
		}
	}
	// Sign out everywhere from a1: a2 is signed out too.
	e.do(t, mreq{method: "POST", path: "/account/sign-out-everywhere", ctype: formType, cookie: a1})
	if alive(a1) || alive(a2) {
		t.Fatal("sign out everywhere left a session")
	}
	// The admin revokes a user's sessions; the next request is signed out.
	a3 := e.signIn(t, "alice@example.org", 4)
	if w := e.do(t, mreq{method: "DELETE", path: "/api/admin/users/" + u.ID + "/sessions", cookie: admin}); w.Code != 200 {
		t.Fatalf("admin revoke: %d %s", w.Code, w.Body)
	}
	if alive(a3) {
		t.Fatal("revoked session still works")
	}
	// Disabled: signed out and cannot sign in again; enabled: can.
	a4 := e.signIn(t, "alice@example.org", 5)
	if w := e.do(t, mreq{method: "POST", path: "/api/admin/users/" + u.ID + "/disable", cookie: admin}); w.Code != http.StatusNoContent {
		t.Fatalf("disable: %d %s", w.Code, w.Body)
	}
	if alive(a4) {
		t.Fatal("disabled user's session still works")
	}
	e.do(t, mreq{method: "POST", path: "/auth/request-link", ctype: formType, body: form("email", "alice@example.org")})
	e.accounts.Wait()
	if n := len(e.mail.Messages()); n != 5 {
		t.Fatalf("a disabled account got mail (%d)", n)
	}
	// The admin cannot disable themselves; the admin page renders.
	me, _ := e.st.UserByEmail(ctx, adminEmail)
	if w := e.do(t, mreq{method: "POST", path: "/api/admin/users/" + me.ID + "/disable", cookie: admin}); w.Code != http.StatusConflict {
		t.Fatalf("self-disable: %d", w.Code)
	}
	for _, p := range []string{"/admin", "/admin/users/" + u.ID, "/account"} {
		if w := e.do(t, mreq{method: "GET", path: p, cookie: admin}); w.Code != 200 {
			t.Fatalf("%s: %d %s", p, w.Code, w.Body)
		}
	}
	if w := e.do(t, mreq{method: "POST", path: "/api/admin/users/" + u.ID + "/enable", cookie: admin}); w.Code != http.StatusNoContent {
		t.Fatalf("enable: %d", w.Code)
	}
	// (Alice is at her limit of requested links; the action's kind of
	// link stands in.)
	link, err := e.accounts.IssueLink(ctx, "alice@example.org", auth.Requester{})
	if err != nil {
		t.Fatal(err)
	}
	if c, w := e.confirm(t, link[strings.Index(link, "token=")+len("token="):]); c == "" {
		t.Fatalf("enabled user cannot sign in: %d %s", w.Code, w.Body)
	}
	// Cross-site admin actions are refused.
	w = e.do(t, mreq{method: "POST", path: "/api/admin/users/" + u.ID + "/disable", cookie: admin,
		header: map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.test"}})
	if w.Code != http.StatusForbidden {
		t.Fatalf("cross-site disable: %d", w.Code)
	}
}
