package relay

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/recap"
	"github.com/recap-startos/recap/pkg/store"
	"github.com/recap-startos/recap/pkg/summarize"
)

// End to end: a relay on loopback (its real database and API, a fake
// OpenAI-compatible model behind it) and two instances, each with its
// own recap.db, sync loop, tier authority and relay engine.

// switchable puts a relay "down": connections are accepted and closed
// without an answer, as when the relay's process or network is gone.
type switchable struct {
	h    http.Handler
	down atomic.Bool
}

func (s *switchable) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.down.Load() {
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	s.h.ServeHTTP(w, r)
}

type e2eRelay struct {
	*testRelay
	sw  *switchable
	url string
}

func newE2ERelay(t *testing.T) *e2eRelay {
	r := newTestRelay(t)
	r.srv.Close()
	sw := &switchable{h: NewServer(ServerOptions{Store: r.st, Engine: r.engine(t), Model: "llama3.1:8b", Log: quiet})}
	srv := httptest.NewServer(sw)
	t.Cleanup(srv.Close)
	r.srv = srv
	return &e2eRelay{testRelay: r, sw: sw, url: srv.URL}
}

func (r *testRelay) engine(t testing.TB) summarize.Engine {
	eng, err := summarize.NewOpenAI(r.llm.URL+"/v1", "sk-relay", "llama3.1:8b",
		summarize.LLMOptions{ContextTokens: 200_000, MaxRetries: -1, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

// instance is one Recap instance in multi mode, as serve wires it.
type instance struct {
	dir   string
	st    *store.Store
	sync  *Sync
	tiers *Remote
	key   string
	url   string
	stop  func()
}

func startInstance(t *testing.T, dir, relayURL, key string) *instance {
	t.Helper()
	st, err := store.Open(context.Background(), dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(relayURL, key, &http.Client{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	sy := NewSync(SyncOptions{Client: c, Store: st, PollInterval: 20 * time.Millisecond,
		RetryBase: 5 * time.Millisecond, MaxBackoff: 40 * time.Millisecond, Log: quiet})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); sy.Run(ctx) }()
	in := &instance{dir: dir, st: st, sync: sy, tiers: &Remote{Store: st, Sync: sy}, key: key, url: relayURL}
	stopped := false
	in.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		<-done
		st.Close()
	}
	t.Cleanup(in.stop)
	return in
}

func (in *instance) user(t *testing.T, email string) string {
	t.Helper()
	u, err := in.st.CreateUser(context.Background(), store.NewUser{Email: email})
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func (in *instance) tier(t *testing.T, userID string) Effective {
	t.Helper()
	e, err := in.tiers.Tier(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// eventually waits (up to 20 s) for cond; it fails with what describes the
// state when the wait runs out.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: never happened; last state: %s", what, state)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func relayTier(r *e2eRelay, install, user string) (UserTier, string) {
	u, err := r.st.User(context.Background(), install, user)
	if err != nil {
		return u, err.Error()
	}
	return u, u.Tier + " until " + u.ExpiresAt.String()
}

func pending(t *testing.T, in *instance) int {
	n, _, err := in.st.OutboxStats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestE2ETierFlowsBothWays(t *testing.T) {
	ctx := context.Background()
	r := newE2ERelay(t)
	a := startInstance(t, t.TempDir(), r.url, r.license(t, "inst-a").license)
	b := startInstance(t, t.TempDir(), r.url, r.license(t, "inst-b").license)
	ann := a.user(t, "ann@example.org")

	// A tier set on instance A reaches the relay; a second read (a fresh
	// client with A's license) sees it; instance B's user of the same id
	// is someone else.
	if _, err := a.tiers.SetTier(ctx, ann, Grant{Tier: TierPro, AddDays: 30, Key: "order:1"}); err != nil {
		t.Fatal(err)
	}
	if e := a.tier(t, ann); e.Tier != TierPro {
		t.Fatalf("A's cache right after the grant: %+v", e)
	}
	eventually(t, "A's grant reaches the relay", func() (bool, string) {
		u, s := relayTier(r, "inst-a", ann)
		return u.Tier == TierPro && pending(t, a) == 0, s
	})
	second, _ := NewClient(r.url, a.key, nil)
	if u, err := second.User(ctx, "inst-a", ann); err != nil || u.Tier != TierPro || u.ExpiresAt.Before(time.Now().Add(29*24*time.Hour)) {
		t.Fatalf("second read: %+v %v", u, err)
	}
	if u, _ := r.st.User(ctx, "inst-b", ann); u.Tier != TierCore {
		t.Fatalf("instance B's user of the same id: %+v", u)
	}

	// The operator changes the tier at the relay; instance A's cache
	// follows, instance B's users are untouched.
	ben := b.user(t, "ben@example.org")
	if _, _, err := r.st.SetTier(ctx, "operator", TierUpdate{InstallID: "inst-a", UserID: ann, Tier: TierMax}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the relay's change reaches instance A", func() (bool, string) {
		e := a.tier(t, ann)
		return e.Tier == TierMax && e.Expiry.IsZero(), e.Tier
	})
	if _, _, err := r.st.SetTier(ctx, "operator", TierUpdate{InstallID: "inst-b", UserID: ben, Tier: TierPro}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the relay's change reaches instance B", func() (bool, string) {
		e := b.tier(t, ben)
		return e.Tier == TierPro, e.Tier
	})
	if e := a.tier(t, ann); e.Tier != TierMax {
		t.Fatalf("B's change touched A: %+v", e)
	}

	// A sign-in refresh reads the relay at once.
	if _, _, err := r.st.SetTier(ctx, "operator", TierUpdate{InstallID: "inst-a", UserID: ann, Tier: TierCore}); err != nil {
		t.Fatal(err)
	}
	if err := a.sync.Refresh(ctx, ann); err != nil {
		t.Fatal(err)
	}
	if e := a.tier(t, ann); e.Tier != TierCore {
		t.Fatalf("after refresh: %+v", e)
	}
}

func TestE2ERelayDown(t *testing.T) {
	ctx := context.Background()
	r := newE2ERelay(t)
	key := r.license(t, "inst-a").license
	dir := t.TempDir()
	a := startInstance(t, dir, r.url, key)
	ann, cat := a.user(t, "ann@example.org"), a.user(t, "cat@example.org")
	// Cat's pro period ended an hour ago; the relay knows.
	if _, err := a.tiers.SetTier(ctx, cat, Grant{Tier: TierPro, Expiry: time.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the first update is sent", func() (bool, string) { return pending(t, a) == 0, "pending" })
	if e := a.tier(t, cat); e.Tier != TierCore || e.Held {
		t.Fatalf("expired tier with the relay up: %+v", e)
	}

	r.sw.down.Store(true)
	// Three changes of Ann's tier and one of Cat's while the relay is down.
	for _, g := range []Grant{{Tier: TierPro, AddDays: 30}, {Tier: TierMax, AddDays: 30}, {Tier: TierCore}} {
		if _, err := a.tiers.SetTier(ctx, ann, g); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.tiers.SetTier(ctx, cat, Grant{Tier: TierMax, Expiry: time.Now().Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the instance notices the relay is down", func() (bool, string) {
		st := a.sync.Status()
		return !st.Reachable && st.Error != "", st.Error
	})
	// The instance keeps working on its cache: Ann is core (the last
	// change), Cat's expired max is held during the outage.
	if e := a.tier(t, ann); e.Tier != TierCore {
		t.Fatalf("Ann during the outage: %+v", e)
	}
	if e := a.tier(t, cat); e.Tier != TierMax || !e.Held {
		t.Fatalf("Cat during the outage: %+v", e)
	}
	if n := pending(t, a); n != 4 {
		t.Fatalf("pending updates: %d, want 4", n)
	}

	// The instance restarts while the relay is still down; nothing is lost.
	a.stop()
	a = startInstance(t, dir, r.url, key)
	if n := pending(t, a); n != 4 {
		t.Fatalf("pending after a restart: %d, want 4", n)
	}
	r.sw.down.Store(false)
	eventually(t, "the outbox drains when the relay is back", func() (bool, string) {
		return pending(t, a) == 0 && a.sync.Status().Reachable, "pending"
	})
	// Every update arrived, in order.
	rows, err := r.st.Ledger(ctx, "inst-a", 100)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for i := len(rows) - 1; i >= 0; i-- {
		if e := rows[i]; e.Kind == "tier" {
			who := "ann"
			if e.UserID == cat {
				who = "cat"
			}
			seen = append(seen, who+":"+e.Tier)
		}
	}
	if got := strings.Join(seen, " "); got != "cat:pro ann:pro ann:max ann:core cat:max" {
		t.Fatalf("the relay got: %s", got)
	}
	if u, _ := r.st.User(ctx, "inst-a", ann); u.Tier != TierCore {
		t.Fatalf("Ann at the relay: %+v", u)
	}
	// With the relay back, Cat's expired tier is no longer held.
	if e := a.tier(t, cat); e.Tier != TierCore || e.Held {
		t.Fatalf("Cat after the outage: %+v", e)
	}
}

func TestE2EPoolExhaustionFallsBack(t *testing.T) {
	ctx := context.Background()
	r := newE2ERelay(t)
	key := r.license(t, "inst-a").license
	a := startInstance(t, t.TempDir(), r.url, key)
	ann := a.user(t, "ann@example.org")
	if _, _, err := r.st.Grant(ctx, "inst-a", 1, "one recap"); err != nil {
		t.Fatal(err)
	}
	eng, err := summarize.NewRelay(summarize.RelayOptions{URL: r.url, LLM: summarize.LLMOptions{Log: quiet},
		Account: func(ctx context.Context, userID string) (summarize.RelayAccount, error) {
			id, err := a.sync.InstallID(ctx)
			return summarize.RelayAccount{InstallID: id, License: key, UserID: userID}, err
		}})
	if err != nil {
		t.Fatal(err)
	}
	tr := talk(t)
	doc, err := eng.Summarize(summarize.WithUser(ctx, ann), tr, nil)
	if err != nil || doc.Engine.Name != recap.EngineRelay {
		t.Fatalf("first recap: %+v %v", doc.Engine, err)
	}
	asked := len(r.llm.Requests())
	doc, err = eng.Summarize(summarize.WithUser(ctx, ann), tr, nil)
	if err != nil || doc.Engine.Name != recap.EngineBuiltin || !strings.Contains(doc.Engine.Note, "credit pool") {
		t.Fatalf("second recap: %+v %v", doc.Engine, err)
	}
	if n := len(r.llm.Requests()); n != asked {
		t.Fatalf("the model was asked again with an empty pool (%d → %d requests)", asked, n)
	}
	doc.Version, doc.ID, doc.Source = recap.Version, "fallback", tr.Source
	if err := doc.Validate(); err != nil {
		t.Fatal(err)
	}
	// The relay down: the same fallback, with its own note.
	r.sw.down.Store(true)
	doc, err = eng.Summarize(ctx, tr, nil)
	if err != nil || doc.Engine.Name != recap.EngineBuiltin || !strings.Contains(doc.Engine.Note, "could not be reached") {
		t.Fatalf("relay down: %+v %v", doc.Engine, err)
	}
	rows, _ := r.st.Ledger(ctx, "inst-a", 10)
	if rows[0].Kind != "recap" || rows[0].UserID != ann || rows[0].Delta != -RecapCost {
		t.Fatalf("ledger: %+v", rows[0])
	}
}

func TestE2EOtherInstanceCannotTouchUsers(t *testing.T) {
	ctx := context.Background()
	r := newE2ERelay(t)
	a := startInstance(t, t.TempDir(), r.url, r.license(t, "inst-a").license)
	bKey := r.license(t, "inst-b").license
	ann := a.user(t, "ann@example.org")
	if _, err := a.tiers.SetTier(ctx, ann, Grant{Tier: TierMax}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "A's grant reaches the relay", func() (bool, string) {
		u, s := relayTier(r, "inst-a", ann)
		return u.Tier == TierMax, s
	})
	// Instance B's license, aimed at instance A's user, is refused for
	// every operation; the pool of A is not spent.
	r.st.Grant(ctx, "inst-a", 5, "")
	b, _ := NewClient(r.url, bKey, nil)
	if _, err := b.SetTier(ctx, TierUpdate{InstallID: "inst-a", UserID: ann, Tier: TierCore}); !errors.Is(err, ErrForbidden) {
		t.Fatalf("set: %v", err)
	}
	if _, err := b.User(ctx, "inst-a", ann); !errors.Is(err, ErrForbidden) {
		t.Fatalf("read: %v", err)
	}
	eng, _ := summarize.NewRelay(summarize.RelayOptions{URL: r.url, LLM: summarize.LLMOptions{Log: quiet},
		Account: func(context.Context, string) (summarize.RelayAccount, error) {
			return summarize.RelayAccount{InstallID: "inst-a", License: bKey}, nil
		}})
	doc, err := eng.Summarize(ctx, talk(t), nil)
	if err != nil || doc.Engine.Name != recap.EngineBuiltin || !strings.Contains(doc.Engine.Note, "refused the license") {
		t.Fatalf("recap on A's pool with B's license: %+v %v", doc.Engine, err)
	}
	if pool, _ := r.st.Pool(ctx, "inst-a"); pool != 5 {
		t.Fatalf("A's pool: %d", pool)
	}
	if u, _ := r.st.User(ctx, "inst-a", ann); u.Tier != TierMax {
		t.Fatalf("A's user: %+v", u)
	}
	// B's sync loop, with a forged install id, gets nowhere either: its
	// install id comes from its own license.
	sy := NewSync(SyncOptions{Client: b, Log: quiet})
	if id, err := sy.InstallID(ctx); err != nil || id != "inst-b" {
		t.Fatalf("B's install id: %q %v", id, err)
	}
}
