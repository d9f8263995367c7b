package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestSignInTextsOffStartOS: the sign-in page and a wrong password say
// where the first password is and how to reset it both with and without
// StartOS, not only on the StartOS Properties page.
func TestSignInTextsOffStartOS(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	page := e.do(t, request{method: "GET", path: "/login"}).Body.String()
	wrong := e.do(t, request{method: "POST", path: "/login", ctype: "application/x-www-form-urlencoded",
		body: strings.NewReader(url.Values{"password": {"not the password"}}.Encode())})
	if wrong.Code != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", wrong.Code)
	}
	for name, body := range map[string]string{"sign-in page": page, "wrong password": wrong.Body.String()} {
		for _, want := range []string{"recap serve", "recap owner reset-password", "StartOS"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %q", name, want)
			}
		}
	}
}
