package main

import (
	"bytes"
	"io/fs"
	"net"
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
	"github.com/recap-startos/recap/pkg/startos"
)

// TestStartOSLifecycle walks a StartOS volume through a life on the real
// binary: empty volume → config from the spec's defaults → serve →
// health check → reset-owner-password → create-backup → a recap deleted
// → restore-backup brings it back → SIGTERM leaves no write-ahead log.
func TestStartOSLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "recap")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := t.TempDir()
	recapCmd := func(stdin string, args ...string) (int, string, string) {
		cmd := exec.Command(bin, args...)
		cmd.Stdin = strings.NewReader(stdin)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), out.String(), errOut.String()
		} else if err != nil {
			t.Fatal(err)
		}
		return 0, out.String(), errOut.String()
	}
	action := func(id, input string) map[string]any {
		t.Helper()
		code, out, errOut := recapCmd(input, "action", id, "--data", data)
		if code != 0 {
			t.Fatalf("action %s: exit %d: %s", id, code, errOut)
		}
		return checkActionResult(t, []byte(out))
	}

	// The config StartOS saves when the owner accepts every default.
	raw, err := os.ReadFile(filepath.Join(repoRoot, "startos/assets/compat/config_spec.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	spec, err := startos.ParseSpec(raw)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := spec.Generate(nil, func(path string, _ *startos.ValueSpec) any {
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
	cfgYAML, _ := yaml.Marshal(cfg)
	os.MkdirAll(filepath.Join(data, "start9"), 0o700)
	if err := os.WriteFile(filepath.Join(data, "start9", "config.yaml"), cfgYAML, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := recapCmd("", "summarize", "--quiet", "--save", "--data", data, talk); code != 0 {
		t.Fatalf("summarize: %s", errOut)
	}
	ids, _ := filepath.Glob(filepath.Join(data, "history", "*.json"))
	if len(ids) != 1 {
		t.Fatalf("library holds %v", ids)
	}
	recapFile := ids[0]

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	t.Setenv("RECAP_HEALTH_URL", "http://"+addr+"/healthz")
	serve := func() *exec.Cmd {
		cmd := exec.Command(bin, "serve", "--data", data, "--listen", addr)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		for {
			uptime := time.Since(start).Milliseconds()
			code, _, errOut := recapCmd(strconv.FormatInt(uptime, 10), "healthcheck")
			if code == startos.HealthOK {
				return cmd
			}
			if code != startos.HealthStarting || time.Since(start) > 2*time.Minute {
				cmd.Process.Kill()
				t.Fatalf("health check: exit %d: %s", code, errOut)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	stop := func(cmd *exec.Cmd) {
		t.Helper()
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Fatalf("serve after SIGTERM: %v", err)
		}
	}

	srv := serve()
	first, err := startos.ReadProperties(data)
	if err != nil || first.InitialPassword == "" || first.Mode != "single" || first.Recaps != 1 || first.TorURL != "http://recapabcdefghijk.onion" {
		srv.Process.Kill()
		t.Fatalf("Properties after start: %+v, %v", first, err)
	}
	if _, err := os.Stat(filepath.Join(data, ".backupignore")); err != nil {
		t.Errorf(".backupignore: %v", err)
	}

	r := action("reset-owner-password", "")
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

	r = action("create-backup", `{"keep":5}`)
	snapshot, _ := r["value"].(string)

	if code, _, errOut := recapCmd("", "library", "delete", "--yes", "--data", data, strings.TrimSuffix(filepath.Base(recapFile), ".json")); code != 0 {
		t.Fatalf("delete: %s", errOut)
	}
	stop(srv)

	r = action("restore-backup", `{"snapshot":"`+snapshot+`"}`)
	if !strings.Contains(r["message"].(string), "Restored "+snapshot) {
		t.Errorf("restore-backup: %v", r)
	}
	if _, err := os.Stat(recapFile); err != nil {
		t.Fatalf("the deleted recap is not back: %v", err)
	}

	srv = serve()
	if p, _ := startos.ReadProperties(data); p.Recaps != 1 {
		t.Errorf("after the restore Properties count %d recaps", p.Recaps)
	}
	stop(srv)
	filepath.WalkDir(data, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, "-wal") {
			t.Errorf("write-ahead log left after SIGTERM: %s", p)
		}
		return nil
	})
}
