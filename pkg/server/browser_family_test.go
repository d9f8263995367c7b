package server

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

func browserStep(t *testing.T, step string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

// localLink points the link of the n-th mail at the test server.
func localLink(t *testing.T, e *multiEnv, ts *httptest.Server, n int) string {
	t.Helper()
	u, err := url.Parse(e.mail.Wait(t, n).Link(t))
	browserStep(t, "link", err)
	return ts.URL + u.RequestURI()
}

// TestBrowserInviteAndSelfDelete: with sign-ups closed, the owner
// invites an address from the admin page; the invitation arrives by mail,
// and its link, opened in a fresh browser, signs the new person in to an
// empty library. Later she deletes her account from Account: the button
// only mails a link, and the link's page deletes it.
func TestBrowserInviteAndSelfDelete(t *testing.T) {
	needChromium(t)
	e := newMultiEnv(t, false)
	ts := httptest.NewServer(e.srv)
	defer ts.Close()

	a := startBrowser(t)
	browserStep(t, "owner asks for a link", chromedp.Do(a, chromedp.Navigate(ts.URL+"/login"), chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), adminEmail), chromedp.Click(chromedp.ID("send-link")), chromedp.WaitVisible(chromedp.ID("link-sent"))))
	browserStep(t, "owner signs in", chromedp.Do(a, chromedp.Navigate(localLink(t, e, ts, 1)), chromedp.WaitVisible(chromedp.ID("confirm-sign-in")),
		chromedp.Click(chromedp.ID("confirm-sign-in")), chromedp.WaitVisible(chromedp.ID("source"))))
	browserStep(t, "invite", chromedp.Do(a, chromedp.Navigate(ts.URL+"/admin"), chromedp.WaitVisible(chromedp.ID("invite-email")),
		chromedp.SendKeys(chromedp.ID("invite-email"), "gran@example.org"), chromedp.Click(chromedp.ID("invite-send")),
		chromedp.WaitVisible(chromedp.ID("invite-result"))))
	result, err := chromedp.Run(a, chromedp.Text(chromedp.ID("invite-result")))
	browserStep(t, "result", err)
	if !strings.Contains(result, "Mailed an invitation to gran@example.org") {
		t.Fatalf("invite result: %q", result)
	}
	if m := e.mail.Wait(t, 2); !strings.Contains(m.Text, adminEmail+" invited you") {
		t.Fatalf("invitation mail:\n%s", m.Text)
	}

	b := startBrowser(t) // a fresh browser: her own
	browserStep(t, "accept", chromedp.Do(b, chromedp.Navigate(localLink(t, e, ts, 2)), chromedp.WaitVisible(chromedp.ID("confirm-sign-in")),
		chromedp.Click(chromedp.ID("confirm-sign-in")), chromedp.WaitVisible(chromedp.ID("source")),
		chromedp.Navigate(ts.URL+"/library"), chromedp.WaitVisible(chromedp.ID("q"))))
	body, err := chromedp.Run(b, chromedp.Text(chromedp.CSS("main")))
	browserStep(t, "library", err)
	if !strings.Contains(body, "Your library is empty") {
		t.Fatalf("her library: %s", body)
	}
	browserStep(t, "invite list", chromedp.Do(a, chromedp.Navigate(ts.URL+"/admin"), chromedp.WaitVisible(chromedp.ID("invite-list"))))
	list, err := chromedp.Run(a, chromedp.Text(chromedp.ID("invite-list")))
	browserStep(t, "list", err)
	if !strings.Contains(list, "gran@example.org") || !strings.Contains(list, "accepted") {
		t.Fatalf("invite list: %s", list)
	}

	// She deletes her account.
	browserStep(t, "ask to delete", chromedp.Do(b, chromedp.Navigate(ts.URL+"/account"), chromedp.WaitVisible(chromedp.ID("delete-account")),
		chromedp.Click(chromedp.ID("delete-account")), chromedp.WaitVisible(chromedp.ID("delete-mail-sent"))))
	token := e.deleteToken(t, 3)
	browserStep(t, "still there before the link", chromedp.Do(b, chromedp.Navigate(ts.URL+"/library"), chromedp.WaitVisible(chromedp.ID("q"))))
	browserStep(t, "confirm by the mailed link", chromedp.Do(b, chromedp.Navigate(ts.URL+"/account/delete/confirm?token="+token),
		chromedp.WaitVisible(chromedp.ID("confirm-delete-account")), chromedp.Click(chromedp.ID("confirm-delete-account")),
		chromedp.WaitVisible(chromedp.ID("account-deleted"))))
	browserStep(t, "signed out", chromedp.Do(b, chromedp.Navigate(ts.URL+"/library"), chromedp.WaitVisible(chromedp.ID("email"))))
	if _, err := e.st.UserByEmail(t.Context(), "gran@example.org"); err == nil {
		t.Error("her account is still there")
	}
}
