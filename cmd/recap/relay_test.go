package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/mail/mailtest"
	"github.com/recap-startos/recap/pkg/summarize/llmtest"
)

// waitFor polls cond for up to a minute.
func waitFor(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		ok, state := cond()
		if ok {
			return
		}
		if time.Since(start) > time.Minute {
			t.Fatalf("%s: never happened; last: %s", what, state)
		}
	}
}

// relayProcess is `recap relay serve` as its own process.
type relayProcess struct {
	t         *testing.T
	bin, data string
	addr      string
	cmd       *exec.Cmd
}

func (r *relayProcess) start() {
	r.t.Helper()
	r.cmd = exec.Command(r.bin, "relay", "serve", "--data", r.data, "--listen", r.addr)
	r.cmd.Stdout, r.cmd.Stderr = os.Stderr, os.Stderr
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	waitFor(r.t, "the relay answers", func() (bool, string) {
		res, err := http.Get("http://" + r.addr + "/healthz")
		if err != nil {
			return false, err.Error()
		}
		res.Body.Close()
		return res.StatusCode == 200, res.Status
	})
}

func (r *relayProcess) stop() {
	r.cmd.Process.Signal(syscall.SIGTERM)
	r.cmd.Wait()
}

// signedIn starts an instance with cfg and signs its admin in; call
// makes API calls as the admin.
func signedIn(t *testing.T, v *testVolume, cfg map[string]any) (srv *exec.Cmd, call func(method, path, body string) (int, string)) {
	t.Helper()
	v.writeConfig(cfg)
	t.Setenv("RECAP_HEALTH_URL", "http://"+v.addr+"/healthz")
	srv = v.serve()
	t.Cleanup(func() {
		if srv.ProcessState == nil {
			srv.Process.Kill()
			srv.Wait()
		}
	})
	r := v.action("admin-login-link", "")
	link, _ := r["value"].(string)
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + v.addr
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.PostForm(base+"/auth/verify", url.Values{"token": {u.Query().Get("token")}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Value != "" {
			session = c
		}
	}
	if session == nil {
		t.Fatalf("no session cookie: %d", resp.StatusCode)
	}
	return srv, func(method, path, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.AddCookie(session)
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(out)
	}
}

type meRelay struct {
	User  string `json:"user"`
	Tier  string `json:"tier"`
	Relay *struct {
		Reachable bool `json:"reachable"`
	} `json:"relay"`
}

func me(t *testing.T, call func(string, string, string) (int, string)) meRelay {
	t.Helper()
	code, body := call("GET", "/api/me", "")
	var m meRelay
	if code != 200 || json.Unmarshal([]byte(body), &m) != nil || m.Relay == nil {
		t.Fatalf("/api/me: %d %s", code, body)
	}
	return m
}

// recapThrough submits a text and returns the finished recap's engine.
func recapThrough(t *testing.T, call func(string, string, string) (int, string), text string) (name, note string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"text": text})
	code, out := call("POST", "/api/recaps", string(body))
	var job struct {
		RecapID string `json:"recap_id"`
	}
	if code != http.StatusAccepted || json.Unmarshal([]byte(out), &job) != nil {
		t.Fatalf("submit: %d %s", code, out)
	}
	var doc struct {
		Engine struct{ Name, Note string }
	}
	waitFor(t, "the recap", func() (bool, string) {
		code, out := call("GET", "/api/recaps/"+job.RecapID, "")
		return code == 200 && json.Unmarshal([]byte(out), &doc) == nil, out
	})
	return doc.Engine.Name, doc.Engine.Note
}

// TestRelayBinaryEndToEnd runs a relay process and two instance processes
// on loopback: the operator's tier change reaches instance A and not B;
// recaps by the relay's model are paid from A's pool, and an empty pool
// falls back to builtin with a note; with the relay stopped A says so and
// keeps the tier; B's license cannot read A's users.
func TestRelayBinaryEndToEnd(t *testing.T) {
	a := newTestVolume(t)
	b := &testVolume{t: t, bin: a.bin, data: t.TempDir(), addr: mailtest.FreeAddr(t)}
	smtp := mailtest.Start(t, mailtest.Options{})
	llm := llmtest.NewOpenAI(t, filepath.Join(repoRoot, "pkg", "summarize", "testdata", "llm"), "llama3.1:8b", "sk-relay")
	rel := &relayProcess{t: t, bin: a.bin, data: t.TempDir(), addr: mailtest.FreeAddr(t)}
	os.WriteFile(filepath.Join(rel.data, "relay.yaml"), []byte(fmt.Sprintf(
		"engine:\n  type: openai\n  base-url: %s/v1\n  api-key: sk-relay\n  model: llama3.1:8b\n  context-size: 200000\n", llm.URL)), 0o600)
	rel.start()
	t.Cleanup(func() {
		if rel.cmd.ProcessState == nil {
			rel.cmd.Process.Kill()
			rel.cmd.Wait()
		}
	})
	license := func(install string) string {
		code, out, errOut := a.run("", "relay", "license", "add", "--data", rel.data, "--label", install, install)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if code != 0 || !strings.HasPrefix(lines[len(lines)-1], "rly1_") {
			t.Fatalf("license add: %d %s %s", code, out, errOut)
		}
		return lines[len(lines)-1]
	}
	keyA, keyB := license("inst-a"), license("inst-b")
	if code, out, errOut := a.run("", "relay", "credits", "grant", "--data", rel.data, "inst-a", "1"); code != 0 || !strings.Contains(out, "1 credits") {
		t.Fatalf("grant: %d %s %s", code, out, errOut)
	}

	t.Setenv("RECAP_RELAY_POLL_INTERVAL", "100ms")
	config := func(v *testVolume, key string) map[string]any {
		cfg := specConfig(t, map[string]string{"mode": "multi", "smtp": "custom", "engine": "relay"})
		mode, mail := cfg["mode"].(map[string]any), cfg["smtp"].(map[string]any)
		mode["admin-email"], mode["public-url"] = "owner@example.org", "http://"+v.addr
		mail["host"], mail["port"], mail["security"], mail["from"] = smtp.Host, smtp.Port, "none", "recap@example.org"
		cfg["relay"] = map[string]any{"url": "http://" + rel.addr, "license": key}
		return cfg
	}
	srvA, callA := signedIn(t, a, config(a, keyA))
	_, callB := signedIn(t, b, config(b, keyB))
	adminA, adminB := me(t, callA), me(t, callB)
	if adminA.Tier != "core" || !adminA.Relay.Reachable {
		t.Fatalf("A at start: %+v", adminA)
	}
	if code, page := callA("GET", "/admin", ""); code != 200 || strings.Contains(page, `id="relay-down"`) {
		t.Fatalf("admin page with the relay up: %d", code)
	}
	if code, page := callA("GET", "/account", ""); code != 200 || strings.Contains(page, `id="relay-notice"`) {
		t.Fatalf("account page with the relay up: %d", code)
	}

	// The operator sets A's admin to pro at the relay: A follows, B not.
	if code, out, errOut := a.run("", "relay", "user", "set-tier", "--data", rel.data, "--days", "30", "inst-a", adminA.User, "pro"); code != 0 {
		t.Fatalf("set-tier: %d %s %s", code, out, errOut)
	}
	waitFor(t, "A's admin becomes pro", func() (bool, string) { m := me(t, callA); return m.Tier == "pro", m.Tier })
	if m := me(t, callB); m.Tier != "core" || adminB.User == adminA.User {
		t.Fatalf("B's admin: %+v", m)
	}

	// B's license cannot read A's users.
	req, _ := http.NewRequest("GET", "http://"+rel.addr+"/relay/v1/users/inst-a/"+adminA.User, nil)
	req.Header.Set("Authorization", "Bearer "+keyB)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("B reads A's user: %v %v", res, err)
	} else {
		res.Body.Close()
	}

	// One credit: the first recap is the relay's, the second falls back.
	text := strings.Repeat("Watchtowers watch the chain for old channel states. A breach is punished with a penalty transaction. ", 20)
	if name, note := recapThrough(t, callA, text); name != "relay" || note != "" {
		t.Fatalf("first recap: %s %q", name, note)
	}
	if name, note := recapThrough(t, callA, text+" Privacy matters."); name != "builtin" || !strings.Contains(note, "credit pool") {
		t.Fatalf("second recap: %s %q", name, note)
	}

	// The relay stops: A says so, keeps the pro tier and still makes
	// recaps (builtin, with a note); the relay comes back and A sees it.
	rel.stop()
	waitFor(t, "A notices the relay is down", func() (bool, string) {
		m := me(t, callA)
		return !m.Relay.Reachable, fmt.Sprint(m.Relay.Reachable)
	})
	if m := me(t, callA); m.Tier != "pro" {
		t.Fatalf("A's admin during the outage: %+v", m)
	}
	if code, page := callA("GET", "/admin", ""); code != 200 || !strings.Contains(page, `id="relay-down"`) {
		t.Fatalf("the admin page does not say the relay is down: %d", code)
	}
	// The user's own pages say so too, with the plan kept.
	for _, path := range []string{"/account", "/"} {
		code, page := callA("GET", path, "")
		if code != 200 || !strings.Contains(page, `id="relay-notice"`) || !strings.Contains(page, `<strong id="relay-notice-plan">Pro, until `) {
			t.Fatalf("%s does not say the relay is down and Pro is kept: %d", path, code)
		}
		if path == "/" && !strings.Contains(page, `id="relay-notice-engine"`) {
			t.Fatal("the new recap page does not say the builtin engine stands in")
		}
	}
	if name, note := recapThrough(t, callA, text+" Outage."); name != "builtin" || !strings.Contains(note, "could not be reached") {
		t.Fatalf("recap during the outage: %s %q", name, note)
	}
	// A tier change on the instance during the outage: the instance has
	// it at once, the relay when it is back.
	if code, out, errOut := a.run("", "user", "set-tier", "--data", a.data, "--days", "30", "owner@example.org", "max"); code != 0 {
		t.Fatalf("user set-tier during the outage: %d %s %s", code, out, errOut)
	}
	if m := me(t, callA); m.Tier != "max" {
		t.Fatalf("A's admin after set-tier: %+v", m)
	}
	rel.start()
	waitFor(t, "A sees the relay again", func() (bool, string) {
		m := me(t, callA)
		return m.Relay.Reachable, fmt.Sprint(m.Relay.Reachable)
	})
	if code, page := callA("GET", "/account", ""); code != 200 || strings.Contains(page, `id="relay-notice"`) {
		t.Fatalf("account page with the relay back: %d", code)
	}
	waitFor(t, "the outbox reaches the relay", func() (bool, string) {
		_, out, _ := a.run("", "relay", "user", "show", "--data", rel.data, "inst-a", adminA.User)
		return strings.Contains(out, ": max, expires"), out
	})
	a.stop(srvA)
	// The ledger has the grant, the two tier changes and the one recap
	// paid (the refused ones never took a credit).
	code, out, _ := a.run("", "relay", "ledger", "--data", rel.data, "inst-a")
	if code != 0 || strings.Count(out, " recap ") != 1 || !strings.Contains(out, " grant ") || strings.Count(out, " tier ") != 2 || strings.Contains(out, " refund ") {
		t.Fatalf("ledger:\n%s", out)
	}
}
