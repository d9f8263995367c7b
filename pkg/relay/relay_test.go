package relay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/recap"
	"github.com/recap-startos/recap/pkg/summarize"
	"github.com/recap-startos/recap/pkg/summarize/llmtest"
)

var quiet = slog.New(slog.DiscardHandler)

func openTestStore(t testing.TB) *Store {
	t.Helper()
	st, err := OpenStore(context.Background(), t.TempDir(), StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// testRelay is a relay API on loopback with a fake OpenAI-compatible
// model behind it.
type testRelay struct {
	st  *Store
	llm *llmtest.Server
	srv *httptest.Server
}

func newTestRelay(t testing.TB) *testRelay {
	t.Helper()
	st := openTestStore(t)
	llm := llmtest.NewOpenAI(t, filepath.Join("..", "summarize", "testdata", "llm"), "llama3.1:8b", "sk-relay")
	r := &testRelay{st: st, llm: llm}
	r.srv = httptest.NewServer(NewServer(ServerOptions{Store: st, Engine: r.engine(t), Model: "llama3.1:8b", Log: quiet}))
	t.Cleanup(r.srv.Close)
	return r
}

// issued is a license issued in a test, with a client that uses it.
type issued struct {
	*Client
	license string
}

func (r *testRelay) license(t testing.TB, install string) issued {
	t.Helper()
	_, key, err := r.st.AddLicense(context.Background(), install, "", "")
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(r.srv.URL, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	return issued{c, key}
}

func talk(t testing.TB) *recap.Transcript {
	t.Helper()
	r, err := summarize.LoadTalk(filepath.Join("..", "..", "testdata", "talks", "chaincode-podcast_watchtowers-lightning-privacy.md"))
	if err != nil {
		t.Fatal(err)
	}
	tr := r.Transcript
	tr.Chapters = nil
	return &tr
}

func TestLicenses(t *testing.T) {
	ctx := context.Background()
	st := openTestStore(t)
	l, key, err := st.AddLicense(ctx, "inst-a", "Ann", "")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(key, keyPrefix) || !strings.HasPrefix(l.ID, "lic_") {
		t.Fatalf("key %q, id %q", key, l.ID)
	}
	got, err := st.Authenticate(ctx, key)
	if err != nil || got.InstallID != "inst-a" || got.ID != l.ID {
		t.Fatalf("authenticate: %+v, %v", got, err)
	}
	for name, bad := range map[string]string{"empty": "", "other": NewKey(), "prefix": key[:len(key)-1], "longer": key + "x"} {
		if _, err := st.Authenticate(ctx, bad); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("%s: got %v, want ErrUnauthorized", name, err)
		}
	}
	var n int
	if err := st.r.QueryRow(`SELECT count(*) FROM licenses WHERE key_hash = ? OR key_hash = ?`, key, strings.ToUpper(key)).Scan(&n); err != nil || n != 0 {
		t.Fatalf("the key itself is stored (%d rows, %v)", n, err)
	}
	// A key given by the operator; the same key twice is refused.
	if _, _, err := st.AddLicense(ctx, "inst-b", "", "LIC1-SOMEKEYBOUGHTELSEWHERE"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.AddLicense(ctx, "inst-c", "", "LIC1-SOMEKEYBOUGHTELSEWHERE"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("duplicate key: %v", err)
	}
	if _, _, err := st.AddLicense(ctx, "bad id!", "", ""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("bad install id: %v", err)
	}
	if err := st.RevokeLicense(ctx, l.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Authenticate(ctx, key); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("revoked key: %v", err)
	}
	if err := st.RevokeLicense(ctx, l.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("revoke twice: %v", err)
	}
	ls, err := st.Licenses(ctx)
	if err != nil || len(ls) != 2 || !ls[0].Revoked() || ls[1].Revoked() {
		t.Fatalf("licenses: %+v, %v", ls, err)
	}
}

func TestLedgerIsAppendOnly(t *testing.T) {
	ctx := context.Background()
	st := openTestStore(t)
	if _, _, err := st.AddLicense(ctx, "inst-a", "", ""); err != nil {
		t.Fatal(err)
	}
	if _, pool, err := st.Grant(ctx, "inst-a", 5, "launch"); err != nil || pool != 5 {
		t.Fatalf("grant: %d, %v", pool, err)
	}
	if _, _, err := st.Grant(ctx, "inst-a", -6, ""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("grant below zero: %v", err)
	}
	if _, _, err := st.Grant(ctx, "nobody", 1, ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("grant to nobody: %v", err)
	}
	for _, stmt := range []string{`UPDATE ledger SET delta = 1000`, `DELETE FROM ledger`} {
		if _, err := st.w.Exec(stmt); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v", stmt, err)
		}
	}
	rows, err := st.Ledger(ctx, "inst-a", 10)
	if err != nil || len(rows) != 2 || rows[0].Kind != "grant" || rows[0].Delta != 5 || rows[1].Kind != "license-add" {
		t.Fatalf("ledger: %+v, %v", rows, err)
	}
}

func TestSetTier(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	st, err := OpenStore(ctx, t.TempDir(), StoreOptions{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, _, err := st.AddLicense(ctx, "inst-a", "", ""); err != nil {
		t.Fatal(err)
	}
	u, applied, err := st.SetTier(ctx, "operator", TierUpdate{InstallID: "inst-a", UserID: "u1", Tier: TierPro, AddDays: 30, Key: "k1"})
	if err != nil || !applied || !u.ExpiresAt.Equal(now.Add(30*24*time.Hour)) {
		t.Fatalf("first: %+v %v %v", u, applied, err)
	}
	// The same key again changes nothing.
	u2, applied, err := st.SetTier(ctx, "operator", TierUpdate{InstallID: "inst-a", UserID: "u1", Tier: TierPro, AddDays: 30, Key: "k1"})
	if err != nil || applied || !u2.ExpiresAt.Equal(u.ExpiresAt) || u2.Seq != u.Seq {
		t.Fatalf("repeat: %+v %v %v", u2, applied, err)
	}
	// A renewal adds to the current period.
	u3, _, err := st.SetTier(ctx, "operator", TierUpdate{InstallID: "inst-a", UserID: "u1", Tier: TierPro, AddDays: 30, Key: "k2"})
	if err != nil || !u3.ExpiresAt.Equal(now.Add(60*24*time.Hour)) || u3.Seq <= u.Seq {
		t.Fatalf("renewal: %+v %v", u3, err)
	}
	if _, _, err := st.SetTier(ctx, "operator", TierUpdate{InstallID: "nobody", UserID: "u1", Tier: TierPro}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown install: %v", err)
	}
	for name, up := range map[string]TierUpdate{
		"tier":    {InstallID: "inst-a", UserID: "u1", Tier: "gold"},
		"user":    {InstallID: "inst-a", Tier: TierPro},
		"both":    {InstallID: "inst-a", UserID: "u1", Tier: TierPro, AddDays: 1, ExpiresAt: now},
		"days":    {InstallID: "inst-a", UserID: "u1", Tier: TierPro, AddDays: -1},
		"install": {InstallID: "a b", UserID: "u1", Tier: TierPro},
	} {
		if _, _, err := st.SetTier(ctx, "operator", up); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Unknown users are core.
	if u, err := st.User(ctx, "inst-a", "u9"); err != nil || u.Tier != TierCore || u.Seq != 0 {
		t.Fatalf("unknown user: %+v %v", u, err)
	}
	ch, err := st.Changes(ctx, "inst-a", 0, 10)
	if err != nil || len(ch) != 1 || ch[0].Seq != u3.Seq {
		t.Fatalf("changes: %+v %v", ch, err)
	}
	exp, err := st.Expiring(ctx, "inst-a", now, now.Add(61*24*time.Hour), ExpiryCursor{}, 10)
	if err != nil || len(exp) != 1 {
		t.Fatalf("expiring: %+v %v", exp, err)
	}
	exp, err = st.Expiring(ctx, "inst-a", now, now.Add(59*24*time.Hour), ExpiryCursor{}, 10)
	if err != nil || len(exp) != 0 {
		t.Fatalf("expiring later: %+v %v", exp, err)
	}
}

func TestAPIAuthorization(t *testing.T) {
	ctx := context.Background()
	r := newTestRelay(t)
	a := r.license(t, "inst-a")
	b := r.license(t, "inst-b")
	if _, err := b.SetTier(ctx, TierUpdate{InstallID: "inst-b", UserID: "u1", Tier: TierMax}); err != nil {
		t.Fatal(err)
	}
	// Instance A's license cannot read or change instance B's users, nor
	// list them, nor spend B's pool.
	if _, err := a.SetTier(ctx, TierUpdate{InstallID: "inst-b", UserID: "u1", Tier: TierCore}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("set another's user: %v", err)
	}
	if _, err := a.User(ctx, "inst-b", "u1"); !errors.Is(err, ErrForbidden) {
		t.Fatalf("read another's user: %v", err)
	}
	if _, err := a.Changes(ctx, "inst-b", 0); !errors.Is(err, ErrForbidden) {
		t.Fatalf("list another's users: %v", err)
	}
	if _, err := a.Expiring(ctx, "inst-b", 30); !errors.Is(err, ErrForbidden) {
		t.Fatalf("list another's expiring users: %v", err)
	}
	if u, err := b.User(ctx, "inst-b", "u1"); err != nil || u.Tier != TierMax {
		t.Fatalf("B's user changed: %+v %v", u, err)
	}
	// A's own user of the same id is a different user.
	if u, err := a.User(ctx, "inst-a", "u1"); err != nil || u.Tier != TierCore {
		t.Fatalf("A's u1: %+v %v", u, err)
	}
	// No key, a wrong key, a revoked key.
	for _, auth := range []string{"", "Bearer ", "Bearer " + NewKey(), "Basic abc"} {
		req, _ := http.NewRequest(http.MethodGet, r.srv.URL+PathWhoami, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("auth %q: %d", auth, res.StatusCode)
		}
	}
	w, err := a.Whoami(ctx)
	if err != nil || w.InstallID != "inst-a" {
		t.Fatalf("whoami: %+v %v", w, err)
	}
	if err := r.st.RevokeLicense(ctx, w.LicenseID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Whoami(ctx); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("revoked: %v", err)
	}
}

func TestAPIBadRequests(t *testing.T) {
	r := newTestRelay(t)
	_, key, _ := r.st.AddLicense(context.Background(), "inst-a", "", "")
	for name, tc := range map[string]struct {
		method, path, body string
		status             int
	}{
		"not json":      {"POST", PathUserTier, "tier=pro", 400},
		"unknown field": {"POST", PathUserTier, `{"install_id":"inst-a","user_id":"u","tier":"pro","admin":true}`, 400},
		"two objects":   {"POST", PathUserTier, `{"install_id":"inst-a","user_id":"u","tier":"pro"}{}`, 400},
		"bad tier":      {"POST", PathUserTier, `{"install_id":"inst-a","user_id":"u","tier":"gold"}`, 400},
		"too large":     {"POST", PathUserTier, `{"install_id":"` + strings.Repeat("a", 70<<10) + `"}`, 413},
		"bad since":     {"GET", PathChanges + "?install_id=inst-a&since=x", "", 400},
		"checkout":      {"POST", PathCheckouts, `{"install_id":"inst-a","user_id":"u","plan":"pro","periods":1,"provider":"btcpay"}`, 501},
		"no route":      {"GET", "/relay/v2/whoami", "", 404},
		"empty recap":   {"POST", PathRecap, `{"install_id":"inst-a","units":[]}`, 400},
	} {
		req, _ := http.NewRequest(tc.method, r.srv.URL+tc.path, strings.NewReader(tc.body))
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tc.status || !strings.Contains(string(b), `"code"`) {
			t.Errorf("%s: %d %s", name, res.StatusCode, b)
		}
	}
}

func TestAPIRecapMetered(t *testing.T) {
	ctx := context.Background()
	r := newTestRelay(t)
	_, key, _ := r.st.AddLicense(ctx, "inst-a", "", "")
	acct := func(context.Context, string) (summarize.RelayAccount, error) {
		return summarize.RelayAccount{InstallID: "inst-a", License: key}, nil
	}
	eng, err := summarize.NewRelay(summarize.RelayOptions{URL: r.srv.URL, Account: acct, LLM: summarize.LLMOptions{Log: quiet}})
	if err != nil {
		t.Fatal(err)
	}
	tr := talk(t)
	// Empty pool: 402, and the instance falls back to builtin with a note.
	doc, err := eng.Summarize(ctx, tr, nil)
	if err != nil || doc.Engine.Name != recap.EngineBuiltin || !strings.Contains(doc.Engine.Note, "credit pool") {
		t.Fatalf("empty pool: %+v %v", doc.Engine, err)
	}
	if n := len(r.llm.Requests()); n != 0 {
		t.Fatalf("the model was asked %d times with an empty pool", n)
	}
	r.st.Grant(ctx, "inst-a", 2, "")
	doc, err = eng.Summarize(ctx, tr, nil)
	if err != nil || doc.Engine.Name != recap.EngineRelay || doc.Engine.Note != "" || doc.Engine.Model != "llama3.1:8b" {
		t.Fatalf("relay recap: %+v %v", doc.Engine, err)
	}
	doc.Version, doc.ID, doc.Source = recap.Version, "x", tr.Source
	if err := doc.Validate(); err != nil {
		t.Fatal(err)
	}
	if pool, _ := r.st.Pool(ctx, "inst-a"); pool != 1 {
		t.Fatalf("pool after one recap: %d", pool)
	}
	// The model's answers are unusable: the relay refunds, the instance
	// falls back with a note.
	r.llm.Set(llmtest.Garbage)
	doc, err = eng.Summarize(ctx, tr, nil)
	if err != nil || doc.Engine.Name != recap.EngineBuiltin || !strings.Contains(doc.Engine.Note, "relay") {
		t.Fatalf("garbage: %+v %v", doc.Engine, err)
	}
	if pool, _ := r.st.Pool(ctx, "inst-a"); pool != 1 {
		t.Fatalf("pool after a refunded recap: %d", pool)
	}
	rows, _ := r.st.Ledger(ctx, "inst-a", 10)
	kinds := []string{}
	for _, e := range rows {
		kinds = append(kinds, e.Kind)
	}
	if got := strings.Join(kinds, ","); got != "refund,recap,recap,grant,license-add" {
		t.Fatalf("ledger kinds: %s", got)
	}
}

// TestExpiringPages lists more expiring users than one answer holds: the
// client follows the pages and gets each user once, soonest first, also
// where many expire at the same moment; a cursor the relay did not give
// is refused.
func TestExpiringPages(t *testing.T) {
	ctx := context.Background()
	r := newTestRelay(t)
	a := r.license(t, "inst-a")
	now := time.Now().UTC().Truncate(time.Millisecond)
	const n = expiringPage*2 + 37
	for i := range n {
		// Groups of 250 share an expiry, so pages end inside a group.
		at := now.Add(time.Duration(24+i/250) * time.Hour)
		up := TierUpdate{InstallID: "inst-a", UserID: fmt.Sprintf("u%05d", n-i), Tier: TierPro, ExpiresAt: at}
		if _, _, err := r.st.SetTier(ctx, "operator", up); err != nil {
			t.Fatal(err)
		}
	}
	users, err := a.Expiring(ctx, "inst-a", 30)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != n {
		t.Fatalf("%d users listed, want %d", len(users), n)
	}
	seen := map[string]bool{}
	for i, u := range users {
		if seen[u.UserID] {
			t.Fatalf("%s listed twice", u.UserID)
		}
		seen[u.UserID] = true
		if i > 0 {
			p := users[i-1]
			if u.ExpiresAt.Before(p.ExpiresAt) || u.ExpiresAt.Equal(p.ExpiresAt) && u.UserID <= p.UserID {
				t.Fatalf("out of order at %d: %s %v after %s %v", i, u.UserID, u.ExpiresAt, p.UserID, p.ExpiresAt)
			}
		}
	}
	q := url.Values{"install_id": {"inst-a"}, "within_days": {"30"}, "after": {"yesterday"}}
	if err := a.call(ctx, http.MethodGet, PathExpiring+"?"+q.Encode(), nil, &UserList{}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a made-up cursor: %v", err)
	}
}
