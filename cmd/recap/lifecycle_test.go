package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/recap-startos/recap/pkg/auth"
	"github.com/recap-startos/recap/pkg/mail/mailtest"
	"github.com/recap-startos/recap/pkg/startos"
)

// testVolume is a StartOS data volume with the real recap binary to run on it.
type testVolume struct {
	t    *testing.T
	bin  string
	data string
	addr string // where serve listens
}

// newTestVolume builds the binary and makes an empty data volume.
func newTestVolume(t *testing.T) *testVolume {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "recap")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	addr := mailtest.FreeAddr(t)
	t.Setenv("RECAP_HEALTH_URL", "http://"+addr+"/healthz")
	return &testVolume{t: t, bin: bin, data: t.TempDir(), addr: addr}
}

// run runs the binary with stdin and returns exit code, stdout, stderr.
func (v *testVolume) run(stdin string, args ...string) (int, string, string) {
	cmd := exec.Command(v.bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errOut.String()
	} else if err != nil {
		v.t.Fatal(err)
	}
	return 0, out.String(), errOut.String()
}

// action runs a StartOS action and returns its checked result document.
func (v *testVolume) action(id, input string) map[string]any {
	v.t.Helper()
	code, out, errOut := v.run(input, "action", id, "--data", v.data)
	if code != 0 {
		v.t.Fatalf("action %s: exit %d: %s", id, code, errOut)
	}
	return checkActionResult(v.t, []byte(out))
}

// writeConfig writes start9/config.yaml as StartOS would.
func (v *testVolume) writeConfig(cfg any) {
	v.t.Helper()
	out, err := yaml.Marshal(cfg)
	if err != nil {
		v.t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(v.data, "start9"), 0o700)
	if err := os.WriteFile(filepath.Join(v.data, "start9", "config.yaml"), out, 0o600); err != nil {
		v.t.Fatal(err)
	}
}

// serve starts the service and waits until the health check passes.
func (v *testVolume) serve() *exec.Cmd {
	v.t.Helper()
	cmd := exec.Command(v.bin, "serve", "--data", v.data, "--listen", v.addr)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		v.t.Fatal(err)
	}
	start := time.Now()
	for {
		uptime := time.Since(start).Milliseconds()
		code, _, errOut := v.run(strconv.FormatInt(uptime, 10), "healthcheck")
		if code == startos.HealthOK {
			return cmd
		}
		if code != startos.HealthStarting || time.Since(start) > 2*time.Minute {
			cmd.Process.Kill()
			v.t.Fatalf("health check: exit %d: %s", code, errOut)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop sends SIGTERM and expects a clean exit.
func (v *testVolume) stop(cmd *exec.Cmd) {
	v.t.Helper()
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		v.t.Fatalf("serve after SIGTERM: %v", err)
	}
}

// noWAL fails the test if a SQLite write-ahead log is left on the volume.
func (v *testVolume) noWAL() {
	v.t.Helper()
	filepath.WalkDir(v.data, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, "-wal") {
			v.t.Errorf("write-ahead log left after SIGTERM: %s", p)
		}
		return nil
	})
}

// specConfig is the config StartOS saves when the owner accepts every
// default, with the union variants given by key path ("mode" → "multi").
func specConfig(t *testing.T, variants map[string]string) map[string]any {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "startos/assets/compat/config_spec.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	spec, err := startos.ParseSpec(raw)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := spec.Generate(variants, func(path string, _ *startos.ValueSpec) any {
		switch path {
		case "tor-address":
			return "recapabcdefghijk.onion"
		case "lan-address":
			return "recapabcdefghijk.local"
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestStartOSLifecycle walks a StartOS volume through a life on the real
// binary: empty volume → config from the spec's defaults → serve →
// health check → reset-owner-password → create-backup → a recap deleted
// → restore-backup brings it back → SIGTERM leaves no write-ahead log.
func TestStartOSLifecycle(t *testing.T) {
	v := newTestVolume(t)
	data := v.data
	v.writeConfig(specConfig(t, nil))
	if code, _, errOut := v.run("", "summarize", "--quiet", "--save", "--data", data, talk); code != 0 {
		t.Fatalf("summarize: %s", errOut)
	}
	ids, _ := filepath.Glob(filepath.Join(data, "history", "*.json"))
	if len(ids) != 1 {
		t.Fatalf("library holds %v", ids)
	}
	recapFile := ids[0]

	srv := v.serve()
	first, err := startos.ReadProperties(data)
	if err != nil || first.InitialPassword == "" || first.Mode != "single" || first.Recaps != 1 || first.TorURL != "http://recapabcdefghijk.onion" {
		srv.Process.Kill()
		t.Fatalf("Properties after start: %+v, %v", first, err)
	}
	if _, err := os.Stat(filepath.Join(data, ".backupignore")); err != nil {
		t.Errorf(".backupignore: %v", err)
	}

	r := v.action("reset-owner-password", "")
	pw, _ := r["value"].(string)
	if pw == "" || pw == first.InitialPassword || r["copyable"] != true {
		t.Errorf("reset-owner-password: %v", r)
	}
	if !auth.NewOwner(filepath.Join(data, "auth", "owner.json")).Check(pw) {
		t.Error("the new password does not sign in")
	}
	if p, _ := startos.ReadProperties(data); p.InitialPassword != pw {
		t.Errorf("Properties show %q, want the new password", p.InitialPassword)
	}

	r = v.action("create-backup", `{"keep":5}`)
	snapshot, _ := r["value"].(string)

	if code, _, errOut := v.run("", "library", "delete", "--yes", "--data", data, strings.TrimSuffix(filepath.Base(recapFile), ".json")); code != 0 {
		t.Fatalf("delete: %s", errOut)
	}
	// While serve runs, the restore is refused and nothing changes.
	if code, out, errOut := v.run(`{"snapshot":"`+snapshot+`"}`, "action", "restore-backup", "--data", data); code == 0 || out != "" || !strings.Contains(errOut, "Recap is running: stop it") {
		t.Fatalf("restore under a running serve: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if _, err := os.Stat(recapFile); err == nil {
		t.Fatal("the refused restore brought the recap back")
	}
	v.stop(srv)

	r = v.action("restore-backup", `{"snapshot":"`+snapshot+`"}`)
	if !strings.Contains(r["message"].(string), "Restored "+snapshot) {
		t.Errorf("restore-backup: %v", r)
	}
	if _, err := os.Stat(recapFile); err != nil {
		t.Fatalf("the deleted recap is not back: %v", err)
	}

	srv = v.serve()
	if p, _ := startos.ReadProperties(data); p.Recaps != 1 {
		t.Errorf("after the restore Properties count %d recaps", p.Recaps)
	}
	v.stop(srv)
	v.noWAL()
}

// TestStartOSLifecycleMulti is the same life in multi mode: the admin
// signs in with the admin-login-link action (no mail needed), makes a
// recap through the API, the backup action snapshots the live database,
// and SIGTERM checkpoints and closes it so no write-ahead log is left.
func TestStartOSLifecycleMulti(t *testing.T) {
	v := newTestVolume(t)
	smtp := mailtest.Start(t, mailtest.Options{})
	base := "http://" + v.addr
	cfg := specConfig(t, map[string]string{"mode": "multi", "smtp": "custom"})
	mode, mail := cfg["mode"].(map[string]any), cfg["smtp"].(map[string]any)
	mode["admin-email"], mode["public-url"] = "owner@example.org", base
	mail["host"], mail["port"], mail["security"], mail["from"] = smtp.Host, smtp.Port, "none", "recap@example.org"
	v.writeConfig(cfg)
	srv := v.serve()
	defer func() {
		if srv.ProcessState == nil {
			srv.Process.Kill()
		}
	}()
	if p, err := startos.ReadProperties(v.data); err != nil || p.Mode != "multi" {
		t.Fatalf("Properties: %+v %v", p, err)
	}

	r := v.action("admin-login-link", "")
	link, _ := r["value"].(string)
	u, err := url.Parse(link)
	if err != nil || r["copyable"] != true || !strings.HasPrefix(link, base+"/auth/verify?") {
		t.Fatalf("admin-login-link: %v", r)
	}
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
	if resp.StatusCode != http.StatusSeeOther || session == nil {
		t.Fatalf("confirm: %d, cookies %v", resp.StatusCode, resp.Cookies())
	}
	call := func(method, path, body string) (int, string) {
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
	if code, me := call("GET", "/api/me", ""); code != 200 || !strings.Contains(me, "owner@example.org") {
		t.Fatalf("/api/me: %d %s", code, me)
	}
	text, _ := json.Marshal(map[string]string{"text": strings.Repeat("Solar panels turn light into power. Batteries keep it for the night. ", 15)})
	code, body := call("POST", "/api/recaps", string(text))
	var job struct {
		JobID   string `json:"job_id"`
		RecapID string `json:"recap_id"`
	}
	if code != http.StatusAccepted || json.Unmarshal([]byte(body), &job) != nil {
		t.Fatalf("submit: %d %s", code, body)
	}
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		if code, _ := call("GET", "/api/recaps/"+job.RecapID, ""); code == 200 {
			break
		}
		if time.Since(start) > time.Minute {
			t.Fatal("the recap never appeared")
		}
	}
	// Properties counts every account's recaps in multi mode.
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		// ... and the accounts and the credit the recap cost.
		if p, err := startos.ReadProperties(v.data); err == nil && p.Recaps == 1 && p.Users != "" && p.CreditsSpent == "1" {
			break
		}
		if time.Since(start) > 10*time.Second {
			p, err := startos.ReadProperties(v.data)
			t.Fatalf("Properties after one recap: %+v %v", p, err)
		}
	}

	r = v.action("create-backup", "")
	name, _ := r["value"].(string)
	if !archiveHas(t, filepath.Join(v.data, "backups", name), "recap.db") {
		t.Errorf("snapshot %s has no recap.db", name)
	}
	v.stop(srv)
	v.noWAL()
	if code, out, errOut := v.run("", "db", "status", "--data", v.data); code != 0 || !strings.Contains(strings.ToLower(out+errOut), "up to date") {
		t.Errorf("db status after stop: exit %d\n%s%s", code, out, errOut)
	}
}

// archiveHas reports whether a .tar.gz snapshot holds a file of that name.
func archiveHas(t *testing.T, path, name string) bool {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err != nil {
			return false
		}
		if h.Name == name || strings.HasSuffix(h.Name, "/"+name) {
			return true
		}
	}
}
