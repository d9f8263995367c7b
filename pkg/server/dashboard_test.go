package server

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The admin dashboard shows per account the recaps, the storage their
// files take, the last sign-in and the tier.
func TestDashboardPerAccountFigures(t *testing.T) {
	t.Parallel()
	e := newMultiEnv(t, true)
	owner := e.signIn(t, adminEmail, 1)
	ann := e.signIn(t, "ann@example.org", 2)
	_, id := e.addRecap(t, ann)
	u, err := e.st.UserByEmail(t.Context(), "ann@example.org")
	must(t, err)
	info, err := os.Stat(filepath.Join(e.lib.Dir(u.ID), id+".json"))
	must(t, err)

	w := e.do(t, mreq{method: "GET", path: "/api/admin/users", cookie: owner})
	var out struct {
		Users []userJSON `json:"users"`
	}
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &out) != nil {
		t.Fatalf("users API: %d %s", w.Code, w.Body)
	}
	var found bool
	for _, x := range out.Users {
		if x.Email != "ann@example.org" {
			continue
		}
		found = true
		if x.Recaps != 1 || x.StorageBytes != info.Size() || x.LastSignInAt == nil || x.Tier == "" {
			t.Errorf("ann's figures: %+v; want 1 recap of %d bytes, a sign-in and a tier", x, info.Size())
		}
	}
	if !found {
		t.Fatal("ann is not listed")
	}
	w = e.do(t, mreq{method: "GET", path: "/admin", cookie: owner})
	row := w.Body.String()
	i := strings.Index(row, ">ann@example.org<")
	if i < 0 {
		t.Fatalf("dashboard:\n%s", row)
	}
	row = row[i:]
	row = row[:strings.Index(row, "</tr>")]
	if !strings.Contains(row, byteSize(info.Size())) || strings.Contains(row, "never") {
		t.Errorf("ann's row on the dashboard: %s", row)
	}
}

func TestByteSize(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 1000: "1.0 KB", 12345: "12.3 KB", 4_500_000: "4.5 MB", 7_200_000_000_000: "7200.0 GB"} {
		if got := byteSize(n); got != want {
			t.Errorf("byteSize(%d) = %q, want %q", n, got, want)
		}
	}
}
