package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/credits"
	"github.com/recap-startos/recap/pkg/jobs"
	"github.com/recap-startos/recap/pkg/recap"
	"github.com/recap-startos/recap/pkg/summarize"
)

// gateEngine is the builtin engine behind a gate: Summarize waits until
// the gate opens (or the job is cancelled).
type gateEngine struct {
	open    chan struct{}
	once    sync.Once
	builtin summarize.Engine
}

func newGateEngine() *gateEngine {
	return &gateEngine{open: make(chan struct{}), builtin: summarize.NewBuiltin()}
}

func (g *gateEngine) Name() string { return "builtin" }

func (g *gateEngine) release() { g.once.Do(func() { close(g.open) }) }

func (g *gateEngine) Summarize(ctx context.Context, t *recap.Transcript, p summarize.Progress) (*recap.Document, error) {
	select {
	case <-g.open:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return g.builtin.Summarize(ctx, t, p)
}

// vttOf returns a WebVTT transcript that runs for d, a cue every 30 s.
func vttOf(d time.Duration, seed string) string {
	var b strings.Builder
	b.WriteString("WEBVTT\n\n")
	stamp := func(t time.Duration) string {
		return fmt.Sprintf("%02d:%02d:%02d.000", int(t.Hours()), int(t.Minutes())%60, int(t.Seconds())%60)
	}
	words := []string{"channels", "routing", "fees", "liquidity", "nodes", "wallets", "invoices", "backups"}
	for i, t := 0, time.Duration(0); t < d; i, t = i+1, t+30*time.Second {
		end := min(t+30*time.Second, d)
		fmt.Fprintf(&b, "%s --> %s\n%s talk about %s and %s number %d.\n\n", stamp(t), stamp(end), seed,
			words[i%len(words)], words[(i*3+1)%len(words)], i)
	}
	return b.String()
}

func (e *multiEnv) submitText(t testing.TB, cookie, text string) *http.Response {
	t.Helper()
	w := e.do(t, mreq{method: "POST", path: "/api/recaps", ctype: "application/json", cookie: cookie,
		body: `{"text":` + jsonString(text) + `}`})
	return w.Result()
}

func (e *multiEnv) waitJob(t testing.TB, id string) jobs.State {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		st, err := e.jobs.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		if st.Finished() {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("job did not finish: %+v", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type meAnswer struct {
	Tier          string     `json:"tier"`
	TierExpiresAt *time.Time `json:"tier_expires_at"`
	Credits       struct {
		Replenish    int        `json:"replenish"`
		Purchased    int        `json:"purchased"`
		Total        int        `json:"total"`
		NextRefillAt *time.Time `json:"next_refill_at"`
	} `json:"credits"`
}

func (e *multiEnv) me(t testing.TB, cookie string) meAnswer {
	t.Helper()
	w := e.do(t, mreq{method: "GET", path: "/api/me", cookie: cookie})
	var me meAnswer
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &me) != nil {
		t.Fatalf("/api/me: %d %s", w.Code, w.Body)
	}
	return me
}

func smallPolicy(credits_ int) credits.Policy {
	p := roomyPolicy()
	core := p.Tiers[credits.TierCore]
	core.Credits = credits_
	core.MaxHours = 3
	p.Tiers[credits.TierCore] = core
	return p
}

func submitID(t testing.TB, res *http.Response) string {
	t.Helper()
	var body submitResponse
	if res.StatusCode != http.StatusAccepted || json.NewDecoder(res.Body).Decode(&body) != nil {
		t.Fatalf("submit: %d", res.StatusCode)
	}
	return body.JobID
}

// TestCreditsAcrossAJob: /api/me shows the balance; a recap of a 2.5-hour
// transcript costs 3 credits, held at submission (1) and once the length
// is known (2 more), and spent when saved; a failed one gives them back;
// one that costs more than is left fails with not_enough_credits before
// any engine work; a submission with nothing left is answered 402.
func TestCreditsAcrossAJob(t *testing.T) {
	t.Parallel()
	e := newMultiEnvPolicy(t, true, smallPolicy(5), nil)
	ctx := context.Background()
	cookie := e.signIn(t, "ann@example.org", 1)
	me := e.me(t, cookie)
	if me.Tier != "core" || me.Credits.Total != 5 || me.Credits.Replenish != 5 || me.Credits.NextRefillAt == nil || me.TierExpiresAt != nil {
		t.Fatalf("/api/me: %+v", me)
	}

	st := e.waitJob(t, submitID(t, e.submitText(t, cookie, vttOf(150*time.Minute, "Ann"))))
	if st.Status != jobs.StatusDone {
		t.Fatalf("job: %+v", st)
	}
	if me := e.me(t, cookie); me.Credits.Total != 2 {
		t.Fatalf("after a 2.5-hour recap: %+v", me.Credits)
	}

	// 2.5 hours again: costs 3, 2 are left. The job fails; nothing is spent.
	st = e.waitJob(t, submitID(t, e.submitText(t, cookie, vttOf(150*time.Minute, "Bob"))))
	if st.Status != jobs.StatusFailed || st.Error.Code != "not_enough_credits" || !strings.Contains(st.Error.Message, "you have 2") {
		t.Fatalf("job: %+v %+v", st, st.Error)
	}
	if me := e.me(t, cookie); me.Credits.Total != 2 {
		t.Fatalf("after a refused recap: %+v", me.Credits)
	}

	// Longer than the plan allows (3 hours): refused with its own code.
	st = e.waitJob(t, submitID(t, e.submitText(t, cookie, vttOf(200*time.Minute, "Cid"))))
	if st.Status != jobs.StatusFailed || st.Error.Code != "too_long_for_plan" {
		t.Fatalf("job: %+v %+v", st, st.Error)
	}

	// Spend the rest, then a submission is answered 402.
	for i := range 2 {
		if st := e.waitJob(t, submitID(t, e.submitText(t, cookie, vttOf(10*time.Minute, fmt.Sprint("Dee", i))))); st.Status != jobs.StatusDone {
			t.Fatalf("job: %+v", st)
		}
	}
	w := e.do(t, mreq{method: "POST", path: "/api/recaps", ctype: "application/json", cookie: cookie, body: `{"text":` + jsonString(vttOf(5*time.Minute, "Eve")) + `}`})
	if w.Code != http.StatusPaymentRequired || errorCode(t, w) != "not_enough_credits" || !strings.Contains(w.Body.String(), "You have 0 credits left") {
		t.Fatalf("submit with nothing left: %d %s", w.Code, w.Body)
	}
	// The same from the home page's form is an HTML page.
	w = e.do(t, mreq{method: "POST", path: "/jobs", ctype: formType, cookie: cookie, body: form("source", vttOf(5*time.Minute, "Eve"))})
	if w.Code != http.StatusPaymentRequired || !strings.Contains(w.Body.String(), "You have 0 credits left") || !strings.Contains(w.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("form submit with nothing left: %d %s", w.Code, w.Body)
	}

	// The history API pages through the ledger, newest first.
	w = e.do(t, mreq{method: "GET", path: "/api/credits/history?limit=3", cookie: cookie})
	var page struct {
		Entries    []credits.Entry `json:"entries"`
		NextBefore int64           `json:"next_before"`
	}
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &page) != nil || len(page.Entries) != 3 || page.NextBefore == 0 {
		t.Fatalf("history: %d %s", w.Code, w.Body)
	}
	if page.Entries[0].Kind != credits.KindCommit {
		t.Fatalf("newest entry: %+v", page.Entries[0])
	}
	w = e.do(t, mreq{method: "GET", path: fmt.Sprintf("/api/credits/history?limit=500&before=%d", page.NextBefore), cookie: cookie})
	var rest struct {
		Entries []credits.Entry `json:"entries"`
	}
	json.Unmarshal(w.Body.Bytes(), &rest)
	if len(rest.Entries) == 0 || rest.Entries[len(rest.Entries)-1].Kind != credits.KindSignup || rest.Entries[0].ID >= page.NextBefore {
		t.Fatalf("second page: %s", w.Body)
	}
	if w := e.do(t, mreq{method: "GET", path: "/api/credits/history?limit=0", cookie: cookie}); w.Code != http.StatusBadRequest {
		t.Fatalf("limit=0: %d", w.Code)
	}

	// The Account page shows the balance and the ledger.
	w = e.do(t, mreq{method: "GET", path: "/account", cookie: cookie})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `id="credit-balance"><strong>0</strong>`) ||
		!strings.Contains(w.Body.String(), "signup") {
		t.Fatalf("account page: %d %s", w.Code, w.Body)
	}
	u, _ := e.st.UserByEmail(ctx, "ann@example.org")
	b, _ := e.credits.Balance(ctx, u.ID)
	if b.LifetimeConsumed != 5 {
		t.Fatalf("consumed %d, want 5", b.LifetimeConsumed)
	}
}

// TestCancelledAndInterruptedJobsGiveCreditsBack: a cancelled job and a
// job cut short by shutdown release what they held.
func TestCancelledAndInterruptedJobsGiveCreditsBack(t *testing.T) {
	t.Parallel()
	gate := newGateEngine()
	e := newMultiEnvPolicy(t, true, smallPolicy(5), gate)
	cookie := e.signIn(t, "ann@example.org", 1)
	id := submitID(t, e.submitText(t, cookie, vttOf(90*time.Minute, "Ann")))
	// Wait until the length is known (2 credits held), then cancel.
	deadline := time.Now().Add(time.Minute)
	for e.me(t, cookie).Credits.Total != 3 {
		if time.Now().After(deadline) {
			t.Fatal("the job never held its full cost")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if w := e.do(t, mreq{method: "POST", path: "/api/jobs/" + id + "/cancel", cookie: cookie, ctype: formType}); w.Code != http.StatusOK {
		t.Fatalf("cancel: %d %s", w.Code, w.Body)
	}
	if st := e.waitJob(t, id); st.Status != jobs.StatusCancelled {
		t.Fatalf("job: %+v", st)
	}
	if me := e.me(t, cookie); me.Credits.Total != 5 {
		t.Fatalf("after cancel: %+v", me.Credits)
	}
	id = submitID(t, e.submitText(t, cookie, vttOf(10*time.Minute, "Bob")))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	e.jobs.Shutdown(ctx)
	// A stop keeps the job for the next start (which holds its credits
	// again); until then they are given back.
	if st, err := e.jobs.Get(id); err != nil || st.Status != jobs.StatusQueued {
		t.Fatalf("job: %+v %v", st, err)
	}
	if me := e.me(t, cookie); me.Credits.Total != 5 {
		t.Fatalf("after shutdown: %+v", me.Credits)
	}
}

// TestSixtyFourSubmissionsAgainstTen: 64 submissions at once by a user
// with 10 credits start exactly 10 jobs; the others are answered 402.
func TestSixtyFourSubmissionsAgainstTen(t *testing.T) {
	t.Parallel()
	gate := newGateEngine()
	defer gate.release()
	e := newMultiEnvPolicy(t, true, smallPolicy(10), gate)
	cookie := e.signIn(t, "ann@example.org", 1)
	var wg sync.WaitGroup
	codes := make([]int, 64)
	start := make(chan struct{})
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			codes[i] = e.submitText(t, cookie, vttOf(5*time.Minute, fmt.Sprint("Speaker", i))).StatusCode
		}()
	}
	close(start)
	wg.Wait()
	count := map[int]int{}
	for _, c := range codes {
		count[c]++
	}
	if count[http.StatusAccepted] != 10 || count[http.StatusPaymentRequired] != 54 {
		t.Fatalf("answers: %v", count)
	}
	u, _ := e.st.UserByEmail(context.Background(), "ann@example.org")
	if n := len(e.jobs.RecentOf(u.ID, 100)); n != 10 {
		t.Fatalf("%d jobs", n)
	}
	if b, _ := e.credits.Balance(context.Background(), u.ID); b.Total() != 0 {
		t.Fatalf("balance %+v", b)
	}
}

// TestFairQueueing: a user with as many jobs waiting as the plan allows
// is answered 429; another user's submission still starts.
func TestFairQueueing(t *testing.T) {
	// Not parallel: how many jobs wait depends on when the workers pick
	// them up, which load from other tests delays.
	gate := newGateEngine()
	defer gate.release()
	pol := smallPolicy(100)
	core := pol.Tiers[credits.TierCore]
	core.MaxWaiting = 3
	pol.Tiers[credits.TierCore] = core
	e := newMultiEnvPolicy(t, true, pol, gate)
	ann := e.signIn(t, "ann@example.org", 1)
	bob := e.signIn(t, "bob@example.org", 2)
	accepted := 0
	for i := range 10 {
		res := e.submitText(t, ann, vttOf(5*time.Minute, fmt.Sprint("Ann", i)))
		if res.StatusCode == http.StatusAccepted {
			accepted++
			continue
		}
		if res.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("submit %d: %d", i, res.StatusCode)
		}
	}
	// Two workers run (one each, or waiting to start) and three wait.
	if accepted < 3 || accepted > 5 {
		t.Fatalf("%d of ann's jobs accepted", accepted)
	}
	w := e.do(t, mreq{method: "POST", path: "/api/recaps", ctype: "application/json", cookie: ann, body: `{"text":` + jsonString(vttOf(5*time.Minute, "Ann")) + `}`})
	if w.Code != http.StatusTooManyRequests || errorCode(t, w) != "too_many_waiting" {
		t.Fatalf("ann again: %d %s", w.Code, w.Body)
	}
	if res := e.submitText(t, bob, vttOf(5*time.Minute, "Bob")); res.StatusCode != http.StatusAccepted {
		t.Fatalf("bob: %d", res.StatusCode)
	}
	// Refused submissions held nothing.
	u, _ := e.st.UserByEmail(context.Background(), "ann@example.org")
	if b, _ := e.credits.Balance(context.Background(), u.ID); b.Total() != 100-accepted {
		t.Fatalf("balance %+v after %d jobs", b, accepted)
	}
}

// TestAdminGrantsCredits: the admin's user page shows the balance and
// grants credits by a form (refused from another site and for anyone
// but the admin); the user list shows each account's credits.
func TestAdminGrantsCredits(t *testing.T) {
	t.Parallel()
	e := newMultiEnvPolicy(t, true, smallPolicy(5), nil)
	ctx := context.Background()
	admin := e.signIn(t, adminEmail, 1)
	ann := e.signIn(t, "ann@example.org", 2)
	u, _ := e.st.UserByEmail(ctx, "ann@example.org")
	path := "/admin/users/" + u.ID + "/credits"

	w := e.do(t, mreq{method: "POST", path: path, cookie: admin, ctype: formType, body: form("credits", "12", "note", "for the trip"),
		header: map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.test"}})
	if w.Code != http.StatusForbidden {
		t.Fatalf("cross-site grant: %d", w.Code)
	}
	if w := e.do(t, mreq{method: "POST", path: path, cookie: ann, ctype: formType, body: form("credits", "12")}); w.Code < 400 {
		t.Fatalf("grant by a user: %d", w.Code)
	}
	for _, bad := range []string{"0", "-3", "many", "1000001"} {
		if w := e.do(t, mreq{method: "POST", path: path, cookie: admin, ctype: formType, body: form("credits", bad)}); w.Code != http.StatusBadRequest {
			t.Fatalf("grant %q: %d", bad, w.Code)
		}
	}
	if me := e.me(t, ann); me.Credits.Total != 5 {
		t.Fatalf("refused grants changed the balance: %+v", me.Credits)
	}
	w = e.do(t, mreq{method: "POST", path: path, cookie: admin, ctype: formType, body: form("credits", "12", "note", "for the trip")})
	if w.Code != http.StatusSeeOther || !strings.HasSuffix(w.Header().Get("Location"), "?done=granted") {
		t.Fatalf("grant: %d %s", w.Code, w.Body)
	}
	if me := e.me(t, ann); me.Credits.Total != 17 || me.Credits.Purchased != 12 {
		t.Fatalf("after the grant: %+v", me.Credits)
	}
	w = e.do(t, mreq{method: "GET", path: "/admin/users/" + u.ID, cookie: admin})
	body := w.Body.String()
	if w.Code != http.StatusOK || !strings.Contains(body, `id="user-credits">17 (5 of this period`) || !strings.Contains(body, "for the trip") ||
		!strings.Contains(body, "admin:"+adminEmail) {
		t.Fatalf("user page: %d %s", w.Code, body)
	}
	w = e.do(t, mreq{method: "GET", path: "/admin", cookie: admin})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "17 <span class=\"muted small\">(12 permanent)</span>") {
		t.Fatalf("admin list: %d %s", w.Code, w.Body)
	}
	// The trials view counts today's trials per client bucket.
	tl := credits.New(e.st, credits.Policy{TrialCredits: 3, TrialsPerBucket: 3}, credits.Options{})
	for range 2 {
		if _, _, err := tl.MintTrial(ctx, credits.TrialClient{Addr: netip.MustParseAddr("2001:db8:7::5")}); err != nil {
			t.Fatal(err)
		}
	}
	w = e.do(t, mreq{method: "GET", path: "/admin", cookie: admin})
	if !strings.Contains(w.Body.String(), "<tr><td>2001:db8:7::/64</td><td>2</td><td>0</td></tr>") {
		t.Fatalf("trials view: %s", w.Body)
	}
}
