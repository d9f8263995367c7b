package relay

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzAPI sends arbitrary bodies and queries to the endpoints that take
// input, with a valid license: the answer is always a clear 2xx or 4xx
// with a JSON code, never a 500, and nothing changes for another instance.
func FuzzAPI(f *testing.F) {
	st := openTestStore(f)
	_, key, err := st.AddLicense(context.Background(), "inst-a", "", "")
	if err != nil {
		f.Fatal(err)
	}
	if _, _, err := st.AddLicense(context.Background(), "inst-b", "", ""); err != nil {
		f.Fatal(err)
	}
	srv := NewServer(ServerOptions{Store: st, Log: quiet})
	for _, s := range []string{
		`{"install_id":"inst-a","user_id":"u1","tier":"pro","add_days":30,"key":"k"}`,
		`{"install_id":"inst-a","user_id":"u1","tier":"max","expires_at":"2030-01-01T00:00:00Z"}`,
		`{"install_id":"inst-b","user_id":"u1","tier":"pro"}`,
		`{"install_id":"inst-a","user_id":"","tier":"pro"}`,
		`{"install_id":"inst-a","user_id":"u","tier":"pro","add_days":1e99}`,
		`[]`, `null`, `{"install_id":1}`,
	} {
		f.Add(s, "install_id=inst-a&since=3&limit=2")
	}
	f.Add(`{}`, "install_id=inst-a&lapsed_since=2020-01-01T00:00:00Z")
	f.Add(`{}`, "install_id=inst-a&within_days=99999999999999999999")
	f.Fuzz(func(t *testing.T, body, query string) {
		for _, c := range []struct{ method, path string }{
			{"POST", PathUserTier}, {"POST", PathCheckouts}, {"POST", PathRecap},
			{"GET", PathChanges}, {"GET", PathExpiring},
		} {
			req := httptest.NewRequest(c.method, "http://relay"+c.path, strings.NewReader(body))
			if c.method == "GET" {
				req.URL.RawQuery = query // as the server would receive it, unparsed
			}
			req.Header.Set("Authorization", "Bearer "+key)
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, req)
			if w.Code >= 500 && w.Code != http.StatusNotImplemented && w.Code != http.StatusServiceUnavailable {
				t.Fatalf("%s %s %q: %d %s", c.method, c.path, body, w.Code, w.Body)
			}
			if !strings.Contains(w.Body.String(), "{") {
				t.Fatalf("%s %s: not JSON: %s", c.method, c.path, w.Body)
			}
		}
		if u, err := st.User(context.Background(), "inst-b", "u1"); err != nil || u.Seq != 0 {
			t.Fatalf("instance B's user changed: %+v %v", u, err)
		}
	})
}
