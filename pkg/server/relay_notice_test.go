package server

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/billing"
	"github.com/recap-startos/recap/pkg/billing/billingtest"
	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/credits"
	"github.com/recap-startos/recap/pkg/relay"
	"github.com/recap-startos/recap/pkg/store"
)

// relayEnv is the multi-mode server with a relay on loopback, wired as
// serve wires it: the relay's own database and API (selling Pro and Max
// through a fake BTCPay Server), and on the instance the sync loop, the
// tier cache as the tier authority, and plans sold through the relay.
// The relay can be stopped (its listener closed) and started again on
// the same address.
type relayEnv struct {
	*multiEnv
	srv   *Server // the server with the relay (multiEnv.srv has none)
	sync  *relay.Sync
	rh    http.Handler // the relay's API
	relay *httptest.Server
	addr  string
}

// newRelayEnv starts the relay and the instance; the sync loop polls
// the relay every poll.
func newRelayEnv(t *testing.T, poll time.Duration) *relayEnv {
	t.Helper()
	ctx := context.Background()
	e := &relayEnv{multiEnv: newMultiEnv(t, true)}
	rst, err := relay.OpenStore(ctx, t.TempDir(), relay.StoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rst.Close() })
	_, key, err := rst.AddLicense(ctx, "inst-a", "", "")
	if err != nil {
		t.Fatal(err)
	}
	btc := billingtest.NewBTCPay(t)
	pay, err := billing.NewRelayPayments(config.Payments{
		BTCPay:   config.BTCPay{URL: btc.URL, APIKey: btc.APIKey, StoreID: btc.StoreID, WebhookSecret: btc.WebhookSecret},
		Currency: "USD", Pro: config.Price{Sats: 21000}, Max: config.Price{Sats: 84000},
	}, nil, quiet)
	if err != nil {
		t.Fatal(err)
	}
	e.rh = relay.NewServer(relay.ServerOptions{Store: rst, Payments: pay, Log: quiet})
	e.relay = httptest.NewServer(e.rh)
	e.addr = e.relay.Listener.Addr().String()
	t.Cleanup(func() { e.relay.Close() })

	client, err := relay.NewClient(e.relay.URL, key, &http.Client{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	e.sync = relay.NewSync(relay.SyncOptions{Client: client, Store: e.st, PollInterval: poll,
		RetryBase: 5 * time.Millisecond, MaxBackoff: 40 * time.Millisecond, Log: quiet})
	// The sync loop stops before the database closes (cleanups run in
	// reverse). Its first poll is over before anything else calls the
	// relay.
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); e.sync.Run(runCtx) }()
	t.Cleanup(func() { cancel(); <-done })
	waitFor(t, "the first poll reaches the relay", func() bool { return !e.sync.Status().LastOK.IsZero() })
	tiers := &relay.Remote{Store: e.st, Sync: e.sync}
	ledger := credits.New(e.st, roomyPolicy(), credits.Options{Tiers: tiers})
	svc, err := billing.New(billing.Options{Store: e.st, Ledger: ledger, Payments: config.Payments{Currency: "USD"},
		PublicURL: "http://127.0.0.1:9", Mail: e.accounts, Relay: &relay.Shop{Client: client, Sync: e.sync}, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.LoadRelayOffers(ctx); err != nil {
		t.Fatal(err)
	}
	e.srv, err = New(Options{Version: "test", Jobs: e.jobs, Dev: true, MaxUpload: 1 << 20, Log: quiet,
		Engines: []string{config.EngineRelay, config.EngineBuiltin},
		Multi: &Multi{Accounts: e.accounts, Store: e.st, Library: e.lib, Credits: ledger, Billing: svc,
			Tiers: tiers, Relay: e.sync.Status}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.srv.Close)

	return e
}

// stopRelay closes the relay's listener: connections are refused.
func (e *relayEnv) stopRelay() { e.relay.Close() }

// startRelay serves the relay again on its address.
func (e *relayEnv) startRelay(t *testing.T) {
	t.Helper()
	l, err := net.Listen("tcp", e.addr)
	if err != nil {
		t.Fatalf("listen again on %s: %v", e.addr, err)
	}
	e.relay = &httptest.Server{Listener: l, Config: &http.Server{Handler: e.rh}}
	e.relay.Start()
}

// waitReachable waits for the sync loop to see the relay as reachable
// (or not).
func (e *relayEnv) waitReachable(t *testing.T, reachable bool) {
	t.Helper()
	waitFor(t, "the relay's reachability", func() bool { return e.sync.Status().Reachable == reachable })
}

// page GETs a page through the server with the relay and returns its body.
func (e *relayEnv) page(t *testing.T, cookie, path string) string {
	t.Helper()
	w := e.do(t, mreq{method: http.MethodGet, path: path, cookie: cookie})
	if w.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, w.Code, w.Body)
	}
	return w.Body.String()
}

// setTier puts a user's cached tier as the relay last said it.
func (e *relayEnv) setTier(t *testing.T, email, tier string, expiry time.Time) {
	t.Helper()
	u, err := e.st.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.CacheTier(context.Background(), u.ID, store.TierState{Tier: tier, Expiry: expiry}); err != nil {
		t.Fatal(err)
	}
}

// runningJob submits a link whose host holds the answer, and returns
// the page of the job, which runs until the test ends.
func (e *relayEnv) runningJob(t *testing.T, cookie string) string {
	t.Helper()
	host := newGatedHost(t)
	w := e.do(t, mreq{method: http.MethodPost, path: "/jobs", ctype: formType, cookie: cookie,
		body: form("source", host.URL+"/talk.vtt")})
	loc := w.Header().Get("Location")
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/jobs/") {
		t.Fatalf("submit: %d %s %s", w.Code, loc, w.Body)
	}
	return loc
}

// waitFor waits up to 20 s for cond.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: never happened", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestRelayNoticePages: with the relay up no page carries the notice;
// with it stopped, a signed-in user's account, plans, new recap and job
// pages say it cannot be reached and that their plan is kept, each with
// what matters there; visitors and the admin's dashboard (which has its
// own warning) do not get it; with the relay back it is gone.
func TestRelayNoticePages(t *testing.T) {
	t.Parallel()
	e := newRelayEnv(t, 20*time.Millisecond)
	ada := e.signIn(t, "ada@example.org", 1)
	admin := e.signIn(t, adminEmail, 2)
	until := time.Now().Add(30 * 24 * time.Hour).Truncate(time.Second)
	e.setTier(t, "ada@example.org", store.TierPro, until)
	jobPath := e.runningJob(t, ada)

	userPages := []string{"/account", "/pricing", "/", jobPath}
	for _, p := range append(userPages, "/library") {
		if body := e.page(t, ada, p); strings.Contains(body, `id="relay-notice"`) {
			t.Fatalf("%s carries the notice with the relay up", p)
		}
	}

	e.stopRelay()
	e.waitReachable(t, false)
	since := e.sync.Status().DownSince
	for _, p := range userPages {
		body := e.page(t, ada, p)
		for _, want := range []string{`id="relay-notice"`, "The relay is not answering; your plan is kept",
			`<time datetime="` + since.UTC().Format(time.RFC3339) + `"`,
			`<strong id="relay-notice-plan">Pro, until ` + until.Local().Format("2 Jan 2006") + `</strong>`,
			"Nothing is lowered meanwhile"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s with the relay down lacks %q", p, want)
			}
		}
		if strings.Contains(body, `id="relay-notice-grace"`) {
			t.Errorf("%s names a grace period a month away", p)
		}
		if got, want := strings.Contains(body, `id="relay-notice-buying"`), p == "/pricing"; got != want {
			t.Errorf("%s: buying through the relay mentioned = %v", p, got)
		}
		if got, want := strings.Contains(body, `id="relay-notice-engine"`), p == "/" || p == jobPath; got != want {
			t.Errorf("%s: the relay's model mentioned = %v", p, got)
		}
	}
	if body := e.page(t, ada, "/library"); strings.Contains(body, `id="relay-notice"`) {
		t.Error("the library carries the notice")
	}
	if body := e.page(t, "", "/pricing"); strings.Contains(body, `id="relay-notice"`) {
		t.Error("a visitor's pricing page carries the notice")
	}
	body := e.page(t, admin, "/admin")
	if !strings.Contains(body, `id="relay-down"`) || strings.Contains(body, `id="relay-notice"`) {
		t.Error("the admin's dashboard should have its own warning, not the notice")
	}
	if body := e.page(t, admin, "/account"); !strings.Contains(body, `<strong id="relay-notice-plan">Core</strong>`) {
		t.Error("the admin's account page does not show their core plan kept")
	}

	e.startRelay(t)
	e.waitReachable(t, true)
	for _, p := range userPages {
		if body := e.page(t, ada, p); strings.Contains(body, `id="relay-notice"`) {
			t.Errorf("%s still carries the notice with the relay back", p)
		}
	}
}

// TestRelayNoticeGrace: the end of the grace period is named when it is
// close: for a plan that ended during the outage (held), and for one that
// ends within days; /api/me carries it too.
func TestRelayNoticeGrace(t *testing.T) {
	t.Parallel()
	e := newRelayEnv(t, 20*time.Millisecond)
	ended := time.Now().Add(-time.Hour).Truncate(time.Second)
	soon := time.Now().Add(2 * 24 * time.Hour).Truncate(time.Second)
	cases := []struct {
		email, tier string
		expiry      time.Time
		want        []string
		wantNot     []string
	}{
		{"held@example.org", store.TierMax, ended, []string{
			`<strong id="relay-notice-plan">Max, until ` + ended.Local().Format("2 Jan 2006") + `</strong>`,
			"Your Max period has ended, and the relay cannot say yet whether it was renewed, so Max is kept for a grace period, until ",
			`<time datetime="` + ended.Add(relay.DefaultGrace).UTC().Format(time.RFC3339) + `">`,
		}, nil},
		{"soon@example.org", store.TierPro, soon, []string{
			"If the relay is still away when your Pro period ends, Pro is kept for a grace period, until ",
			`<time datetime="` + soon.Add(relay.DefaultGrace).UTC().Format(time.RFC3339) + `">`,
		}, []string{"has ended"}},
		{"core@example.org", store.TierCore, time.Time{}, []string{
			`<strong id="relay-notice-plan">Core</strong>`,
		}, []string{`id="relay-notice-grace"`}},
	}
	cookies := map[string]string{}
	for i, c := range cases {
		cookies[c.email] = e.signIn(t, c.email, i+1)
		e.setTier(t, c.email, c.tier, c.expiry)
	}
	e.stopRelay()
	e.waitReachable(t, false)
	for _, c := range cases {
		body := e.page(t, cookies[c.email], "/account")
		for _, w := range c.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: the account page lacks %q", c.email, w)
			}
		}
		for _, w := range c.wantNot {
			if strings.Contains(body, w) {
				t.Errorf("%s: the account page has %q", c.email, w)
			}
		}
	}

	var me struct {
		Tier      string     `json:"tier"`
		Held      bool       `json:"tier_held"`
		HeldUntil *time.Time `json:"tier_held_until"`
		Relay     struct {
			Reachable bool `json:"reachable"`
		} `json:"relay"`
	}
	if err := json.Unmarshal([]byte(e.page(t, cookies["held@example.org"], "/api/me")), &me); err != nil {
		t.Fatal(err)
	}
	if me.Tier != store.TierMax || !me.Held || me.HeldUntil == nil || !me.HeldUntil.Equal(ended.Add(relay.DefaultGrace)) || me.Relay.Reachable {
		t.Fatalf("/api/me of a held plan: %+v", me)
	}
}

// TestRelayNoticeOnBuying: the notice rests on what the instance last
// saw of the relay, not on a call per page: with a slow poll, the relay
// stopped unnoticed shows no notice until a buyer's checkout meets it;
// the plans page the buyer gets back then says why, and so do the
// user's other pages.
func TestRelayNoticeOnBuying(t *testing.T) {
	t.Parallel()
	e := newRelayEnv(t, time.Hour)
	ada := e.signIn(t, "ada@example.org", 1)
	e.stopRelay()
	if body := e.page(t, ada, "/pricing"); strings.Contains(body, `id="relay-notice"`) || !strings.Contains(body, `id="buy-pro-lightning"`) {
		t.Fatalf("before anything met the stopped relay, the plans page should sell Pro without a notice: %s", body)
	}
	w := e.do(t, mreq{method: "POST", path: "/billing/checkout", ctype: formType, cookie: ada,
		body: form("plan", "pro", "method", "lightning")})
	body := w.Body.String()
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(body, `id="checkout-error"`) {
		t.Fatalf("checkout with the relay stopped: %d %s", w.Code, body)
	}
	for _, want := range []string{`id="relay-notice"`, `id="relay-notice-buying"`, `<strong id="relay-notice-plan">Core</strong>`} {
		if !strings.Contains(body, want) {
			t.Errorf("the plans page after the failed checkout lacks %q", want)
		}
	}
	if body := e.page(t, ada, "/account"); !strings.Contains(body, `id="relay-notice"`) {
		t.Error("the account page does not carry the notice")
	}
}

// do sends a request to the server with the relay.
func (e *relayEnv) do(t testing.TB, r mreq) *httptest.ResponseRecorder {
	t.Helper()
	saved := e.multiEnv.srv
	e.multiEnv.srv = e.srv
	defer func() { e.multiEnv.srv = saved }()
	return e.multiEnv.do(t, r)
}
