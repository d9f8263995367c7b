package main

// The StartOS package, checked without a device: manifest.yaml against
// the 0.3.5 format (as its parser and `start-sdk verify` read it), every
// form against the config-spec grammar, and every procedure that runs the
// recap binary run the way StartOS runs it: input written to stdin in the
// declared io-format, stdout parsed the same way, the shape checked.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/recap-startos/recap/pkg/mail/mailtest"
	"github.com/recap-startos/recap/pkg/startos"
)

const repoRoot = "../.."

// manifest mirrors the 0.3.5 manifest; unknown keys fail the decode.
type manifest struct {
	ID            string `yaml:"id"`
	Title         string `yaml:"title"`
	Version       string `yaml:"version"`
	ReleaseNotes  string `yaml:"release-notes"`
	License       string `yaml:"license"`
	WrapperRepo   string `yaml:"wrapper-repo"`
	UpstreamRepo  string `yaml:"upstream-repo"`
	SupportSite   string `yaml:"support-site"`
	MarketingSite string `yaml:"marketing-site"`
	DonationURL   string `yaml:"donation-url"`
	Build         []string
	Description   struct {
		Short string `yaml:"short"`
		Long  string `yaml:"long"`
	} `yaml:"description"`
	Assets struct {
		License      string `yaml:"license"`
		Icon         string `yaml:"icon"`
		Instructions string `yaml:"instructions"`
		DockerImages string `yaml:"docker-images"`
		Assets       string `yaml:"assets"`
		Scripts      string `yaml:"scripts"`
	} `yaml:"assets"`
	Main                 procedure `yaml:"main"`
	HardwareRequirements struct {
		Arch   []string          `yaml:"arch"`
		RAM    int64             `yaml:"ram"`
		Device map[string]string `yaml:"device"`
	} `yaml:"hardware-requirements"`
	HealthChecks map[string]healthCheck `yaml:"health-checks"`
	Config       *struct {
		Get procedure `yaml:"get"`
		Set procedure `yaml:"set"`
	} `yaml:"config"`
	Properties   *procedure        `yaml:"properties"`
	Volumes      map[string]volume `yaml:"volumes"`
	Interfaces   map[string]iface  `yaml:"interfaces"`
	Dependencies map[string]any    `yaml:"dependencies"`
	Alerts       map[string]string `yaml:"alerts"`
	Backup       struct {
		Create  procedure `yaml:"create"`
		Restore procedure `yaml:"restore"`
	} `yaml:"backup"`
	Migrations struct {
		From map[string]procedure `yaml:"from"`
		To   map[string]procedure `yaml:"to"`
	} `yaml:"migrations"`
	Actions  map[string]action `yaml:"actions"`
	Replaces []string          `yaml:"replaces"`
}

type procedure struct {
	Type           string            `yaml:"type"`
	Image          string            `yaml:"image"`
	System         bool              `yaml:"system"`
	Entrypoint     string            `yaml:"entrypoint"`
	Args           []string          `yaml:"args"`
	Inject         bool              `yaml:"inject"`
	Mounts         map[string]string `yaml:"mounts"`
	IOFormat       string            `yaml:"io-format"`
	SigtermTimeout string            `yaml:"sigterm-timeout"`
	ShmSizeMB      int               `yaml:"shm-size-mb"`
	GPU            bool              `yaml:"gpu-acceleration"`
}

type healthCheck struct {
	Name           string `yaml:"name"`
	SuccessMessage string `yaml:"success-message"`
	Timeout        string `yaml:"timeout"`
	procedure      `yaml:",inline"`
}

type volume struct {
	Type      string `yaml:"type"`
	Interface string `yaml:"interface-id"`
	PackageID string `yaml:"package-id"`
	VolumeID  string `yaml:"volume-id"`
	Path      string `yaml:"path"`
	ReadOnly  bool   `yaml:"readonly"`
}

type iface struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	TorConfig   *struct {
		PortMapping map[int]string `yaml:"port-mapping"`
	} `yaml:"tor-config"`
	LANConfig map[int]struct {
		SSL      bool `yaml:"ssl"`
		Internal int  `yaml:"internal"`
	} `yaml:"lan-config"`
	UI        bool     `yaml:"ui"`
	Protocols []string `yaml:"protocols"`
}

type action struct {
	Name            string    `yaml:"name"`
	Description     string    `yaml:"description"`
	Warning         string    `yaml:"warning"`
	AllowedStatuses []string  `yaml:"allowed-statuses"`
	Implementation  procedure `yaml:"implementation"`
	InputSpec       yaml.Node `yaml:"input-spec"`
}

func loadManifest(t *testing.T) *manifest {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "manifest.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("manifest.yaml: %v", err)
	}
	return &m
}

// procedures lists every procedure of the manifest by a readable name.
func (m *manifest) procedures() map[string]procedure {
	p := map[string]procedure{"main": m.Main, "backup.create": m.Backup.Create, "backup.restore": m.Backup.Restore}
	for id, h := range m.HealthChecks {
		p["health-checks."+id] = h.procedure
	}
	if m.Config != nil {
		p["config.get"], p["config.set"] = m.Config.Get, m.Config.Set
	}
	if m.Properties != nil {
		p["properties"] = *m.Properties
	}
	for r, proc := range m.Migrations.From {
		p["migrations.from."+r] = proc
	}
	for r, proc := range m.Migrations.To {
		p["migrations.to."+r] = proc
	}
	for id, a := range m.Actions {
		p["actions."+id] = a.Implementation
	}
	return p
}

func TestManifest(t *testing.T) {
	m := loadManifest(t)
	if m.ID != "recap" || !regexp.MustCompile(`^[a-z][a-z0-9-]*$`).MatchString(m.ID) {
		t.Errorf("id %q", m.ID)
	}
	if m.Title == "" || len(m.Title) >= 30 {
		t.Errorf("title %q must be 1-29 characters", m.Title)
	}
	v, err := startos.ParseVersion(m.Version)
	if err != nil {
		t.Errorf("version: %v", err)
	}
	lastNode, _ := startos.ParseVersion("0.2.155")
	if v.Compare(lastNode) <= 0 || v.Compare(startos.FirstGoVersion) < 0 {
		t.Errorf("version %s must sort after the Node.js 0.2.155 and not before %s", v, startos.FirstGoVersion)
	}
	if v.String() != version {
		t.Errorf("manifest version %s, binary version %s", v, version)
	}
	for key, val := range map[string]string{"release-notes": m.ReleaseNotes, "license": m.License, "wrapper-repo": m.WrapperRepo, "upstream-repo": m.UpstreamRepo, "description.short": m.Description.Short, "description.long": m.Description.Long} {
		if strings.TrimSpace(val) == "" {
			t.Errorf("%s is required", key)
		}
	}
	if len(m.Description.Short) > 160 || len(m.Description.Long) > 5000 {
		t.Errorf("description lengths %d/160, %d/5000", len(m.Description.Short), len(m.Description.Long))
	}
	if m.License != "MIT" || !strings.HasPrefix(readRepo(t, m.Assets.License), "MIT License") {
		t.Errorf("license %q and its file disagree", m.License)
	}
	if len(m.Replaces) >= 10 {
		t.Errorf("replaces has %d entries", len(m.Replaces))
	}

	// Assets exist; the icon is a PNG under 100 KiB.
	for _, f := range []string{m.Assets.License, m.Assets.Icon, m.Assets.Instructions} {
		if f == "" {
			t.Errorf("assets: license, icon and instructions must be named")
		} else if _, err := os.Stat(filepath.Join(repoRoot, f)); err != nil {
			t.Errorf("assets: %v", err)
		}
	}
	if fi, err := os.Stat(filepath.Join(repoRoot, m.Assets.Icon)); err == nil {
		if fi.Size() >= 100<<10 {
			t.Errorf("icon is %d bytes, must be under 100 KiB", fi.Size())
		}
		f, _ := os.Open(filepath.Join(repoRoot, m.Assets.Icon))
		if _, err := png.Decode(f); err != nil || !strings.HasSuffix(m.Assets.Icon, ".png") {
			t.Errorf("icon is not a PNG: %v", err)
		}
		f.Close()
	}
	for id, vol := range m.Volumes {
		switch vol.Type {
		case "data":
		case "assets":
			if fi, err := os.Stat(filepath.Join(repoRoot, m.Assets.Assets, id)); err != nil || !fi.IsDir() {
				t.Errorf("assets volume %s: folder %s/%s missing", id, m.Assets.Assets, id)
			}
		default:
			t.Errorf("volume %s: type %q", id, vol.Type)
		}
	}
	if m.Volumes["main"].Type != "data" {
		t.Error("the main data volume is missing")
	}

	// Every procedure: docker, known images, mounts of declared volumes,
	// io-format where StartOS requires it.
	ioRequired := regexp.MustCompile(`^(config\.|properties|actions\.|migrations\.)`)
	for name, p := range m.procedures() {
		if p.Type != "docker" {
			t.Errorf("%s: type %q (this package uses docker procedures only)", name, p.Type)
		}
		if p.Entrypoint == "" {
			t.Errorf("%s: entrypoint is required", name)
		}
		switch {
		case p.System && p.Image != "compat" && p.Image != "utils":
			t.Errorf("%s: unknown system image %q", name, p.Image)
		case !p.System && p.Image != "main":
			t.Errorf("%s: image %q is not the package's main image", name, p.Image)
		}
		for vol := range p.Mounts {
			if _, ok := m.Volumes[vol]; !ok && !(vol == "BACKUP" && strings.HasPrefix(name, "backup.")) {
				t.Errorf("%s: mounts undeclared volume %q", name, vol)
			}
		}
		if p.Inject && len(p.Mounts) > 0 {
			t.Errorf("%s: an injected procedure runs in the live container and takes no mounts", name)
		}
		if !p.Inject && name != "main" && p.Image == "main" && p.Mounts["main"] != "/data" {
			t.Errorf("%s: a fresh container needs the main volume at /data", name)
		}
		switch p.IOFormat {
		case "json", "json-pretty", "yaml", "cbor", "toml", "toml-pretty":
		case "":
			if ioRequired.MatchString(name) {
				t.Errorf("%s: io-format is required", name)
			}
		default:
			t.Errorf("%s: io-format %q", name, p.IOFormat)
		}
	}
	if m.Main.Image != "main" || m.Main.System || m.Main.Mounts["main"] != "/data" {
		t.Errorf("main must run the main image with the main volume at /data: %+v", m.Main)
	}
	if d, err := time.ParseDuration(m.Main.SigtermTimeout); err != nil || d < 30*time.Second {
		t.Errorf("main.sigterm-timeout %q must cover a graceful shutdown (at least 30s)", m.Main.SigtermTimeout)
	}
	entry := readRepo(t, "startos/docker_entrypoint.sh")
	if !strings.Contains(entry, "exec tini -- recap serve") {
		t.Error("the entrypoint must exec tini -- recap serve")
	}
	if !strings.Contains(readRepo(t, "startos/Dockerfile"), "/usr/local/bin/"+m.Main.Entrypoint) {
		t.Errorf("the image does not install %s on the PATH", m.Main.Entrypoint)
	}

	// Interfaces: Tor 80 and LAN 443 (TLS) to 8080, with a UI.
	mi := m.Interfaces["main"]
	if mi.Name == "" || mi.Description == "" || !mi.UI || mi.TorConfig == nil || mi.TorConfig.PortMapping[80] != "8080" || !mi.LANConfig[443].SSL || mi.LANConfig[443].Internal != 8080 {
		t.Errorf("interface main = %+v", mi)
	}
	if arch := strings.Join(m.HardwareRequirements.Arch, " "); arch != "x86_64 aarch64" {
		t.Errorf("arch = %s", arch)
	}
	if m.Dependencies == nil || len(m.Dependencies) != 0 {
		t.Errorf("dependencies must be {}")
	}
	for id, h := range m.HealthChecks {
		if h.Name == "" {
			t.Errorf("health check %s has no name", id)
		}
	}
	if len(m.HealthChecks) == 0 {
		t.Error("no health check")
	}
	if _, ok := m.Migrations.From["*"]; !ok {
		t.Error("migrations.from must cover every version (*)")
	}
	if _, ok := m.Migrations.To["*"]; !ok {
		t.Error("migrations.to must cover every version (*)")
	}

	// Actions: described, allowed somewhere, forms in the config-spec
	// language, destructive ones warned about.
	destructive := map[string]bool{"reset-owner-password": true, "restore-backup": true, "switch-mode": true, "revoke-sessions": true}
	for _, id := range []string{"reset-owner-password", "create-backup", "restore-backup", "library-stats", "switch-mode", "admin-login-link", "revoke-sessions", "list-users"} {
		if _, ok := m.Actions[id]; !ok {
			t.Errorf("action %s is not declared", id)
		}
	}
	for id, a := range m.Actions {
		if a.Name == "" || a.Description == "" {
			t.Errorf("action %s: name and description are required", id)
		}
		if destructive[id] && a.Warning == "" {
			t.Errorf("action %s changes or removes data and needs a warning", id)
		}
		// StartOS 0.3.5 shows the warning only for an action without a
		// form; one with a form must say it in its description.
		if a.Warning != "" && len(a.InputSpec.Content) > 0 && !strings.Contains(strings.ToLower(a.Description), strings.ToLower(strings.TrimSuffix(a.Warning, "."))) {
			t.Errorf("action %s has a form, so StartOS never shows its warning; put it in the description: %q", id, a.Warning)
		}
		if len(a.AllowedStatuses) == 0 {
			t.Errorf("action %s: allowed-statuses is empty", id)
		}
		for _, s := range a.AllowedStatuses {
			if s != "running" && s != "stopped" {
				t.Errorf("action %s: status %q", id, s)
			}
			if s == "stopped" && a.Implementation.Inject {
				t.Errorf("action %s: an injected action cannot run while stopped", id)
			}
		}
		if a.Implementation.IOFormat != "json" {
			t.Errorf("action %s: io-format must be json", id)
		}
		if a.InputSpec.Kind == 0 {
			t.Errorf("action %s: input-spec is required ({} for none)", id)
			continue
		}
		for _, err := range inputSpec(t, a).Check() {
			t.Errorf("action %s input-spec: %v", id, err)
		}
	}
	if got := m.Actions["restore-backup"].AllowedStatuses; strings.Join(got, ",") != "stopped" {
		t.Errorf("restore-backup must run only while stopped, not %v", got)
	}
}

// TestManifestCommandsExist checks that every procedure that runs the
// recap binary names a command it has.
func TestManifestCommandsExist(t *testing.T) {
	m := loadManifest(t)
	app := newApp()
	for name, p := range m.procedures() {
		if p.Entrypoint != "recap" {
			continue
		}
		cmd := app.Command(p.Args[0])
		if cmd == nil {
			t.Errorf("%s: recap has no command %q", name, p.Args[0])
			continue
		}
		if len(cmd.Subcommands) > 0 && (len(p.Args) < 2 || cmd.Command(p.Args[1]) == nil) {
			t.Errorf("%s: recap %s has no subcommand %v", name, p.Args[0], p.Args[1:])
		}
	}
}

func inputSpec(t *testing.T, a action) startos.Spec {
	t.Helper()
	raw, err := yaml.Marshal(&a.InputSpec)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := startos.ParseSpec(raw)
	if err != nil {
		t.Fatalf("input-spec: %v", err)
	}
	return spec
}

func readRepo(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, path))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// startosRun runs a manifest procedure as StartOS would: the volume at
// /data is dataDir, input (if any) is written to stdin as JSON.
func startosRun(t *testing.T, p procedure, dataDir string, input any) (int, []byte, string) {
	t.Helper()
	if p.Entrypoint != "recap" {
		t.Fatalf("procedure runs %s, not recap", p.Entrypoint)
	}
	args := make([]string, len(p.Args))
	for i, a := range p.Args {
		args[i] = strings.Replace(a, "/data", dataDir, 1)
	}
	var stdin []byte
	if input != nil {
		var err error
		if stdin, err = json.Marshal(input); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut := runCLI(t, string(stdin), args...)
	return code, []byte(out), errOut
}

// checkActionResult parses stdout as one JSON document of the action
// result shape and returns it.
func checkActionResult(t *testing.T, out []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(out))
	var r map[string]any
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out)
	}
	if dec.More() {
		t.Fatalf("stdout holds more than one document:\n%s", out)
	}
	if r["version"] != "0" || len(r) != 5 {
		t.Fatalf("result %v is not {version: \"0\", message, value, copyable, qr}", r)
	}
	if msg, ok := r["message"].(string); !ok || msg == "" {
		t.Fatalf("result message %v", r["message"])
	}
	if _, ok := r["value"].(string); !ok && r["value"] != nil {
		t.Fatalf("result value %v is neither a string nor null", r["value"])
	}
	for _, k := range []string{"copyable", "qr"} {
		if _, ok := r[k].(bool); !ok {
			t.Fatalf("result %s %v is not a boolean", k, r[k])
		}
	}
	return r
}

// TestStartOSProcedures runs every action (with its form's defaults),
// the health check and both migrations against a temporary volume.
func TestStartOSProcedures(t *testing.T) {
	m := loadManifest(t)
	data := t.TempDir()
	code, _, errOut := runCLI(t, "", "summarize", "--quiet", "--save", "--data", data, talk)
	if code != 0 {
		t.Fatalf("summarize: %s", errOut)
	}

	// Actions in an order that makes sense on one volume.
	order := []string{"library-stats", "check-follows", "create-backup", "restore-backup", "switch-mode", "admin-login-link", "revoke-sessions", "list-users", "duplicate-accounts", "invite-user", "remove-user", "grant-credits", "set-tier", "payments-check", "reconcile-payments", "reset-owner-password"}
	// Values for fields without a default, as someone would type them.
	typed := map[string]any{"email": "ada@example.org", "note": "a thank-you"}
	if len(order) != len(m.Actions) {
		t.Fatalf("the test covers %d actions, the manifest declares %d", len(order), len(m.Actions))
	}
	for _, id := range order {
		t.Run("action "+id, func(t *testing.T) {
			a := m.Actions[id]
			spec := inputSpec(t, a)
			var input any // no form: StartOS sends nothing
			if len(spec) > 0 {
				gen, err := spec.Generate(nil, func(path string, _ *startos.ValueSpec) any {
					if v, ok := typed[path]; ok {
						return v
					}
					t.Fatalf("%s has no default", path)
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				input = gen
			}
			code, out, errOut := startosRun(t, a.Implementation, data, input)
			if code != 0 {
				if len(out) != 0 {
					t.Errorf("a failing action printed on stdout: %s", out)
				}
				if strings.TrimSpace(errOut) == "" {
					t.Errorf("a failing action gave no reason on stderr")
				}
				t.Fatalf("exit %d: %s", code, errOut)
			}
			r := checkActionResult(t, out)
			switch id {
			case "create-backup":
				if name, _ := r["value"].(string); !strings.HasPrefix(name, "recap-") || r["copyable"] != true {
					t.Errorf("create-backup result %v", r)
				}
			case "library-stats":
				if !strings.Contains(r["message"].(string), "1 recaps") {
					t.Errorf("library-stats result %v", r)
				}
			case "check-follows":
				if !strings.Contains(r["message"].(string), "Checked 0 feeds") {
					t.Errorf("check-follows result %v", r)
				}
			case "reset-owner-password":
				if pw, _ := r["value"].(string); pw == "" || r["copyable"] != true {
					t.Errorf("reset-owner-password result %v", r)
				}
			}
		})
	}

	t.Run("migrations", func(t *testing.T) {
		for name, p := range m.procedures() {
			if !strings.HasPrefix(name, "migrations.") {
				continue
			}
			for _, other := range []string{"0.2.155", "0.3.0", "0.4.0.1"} {
				code, out, errOut := startosRun(t, p, data, other)
				if name == "migrations.to.*" && other == "0.2.155" {
					// A downgrade is refused, with the reason.
					if code == 0 || len(out) != 0 || !strings.Contains(errOut, "cannot be downgraded to 0.2.155") {
						t.Fatalf("%s to %s: exit %d, stdout %q, stderr %q", name, other, code, out, errOut)
					}
					continue
				}
				if code != 0 {
					t.Fatalf("%s from %s: exit %d: %s", name, other, code, errOut)
				}
				var res map[string]any
				if err := json.Unmarshal(out, &res); err != nil || len(res) != 1 {
					t.Fatalf("%s: stdout %q is not {\"configured\": bool}", name, out)
				}
				if _, ok := res["configured"].(bool); !ok {
					t.Fatalf("%s: configured is %v", name, res["configured"])
				}
			}
		}
	})

	t.Run("health check", func(t *testing.T) {
		h := m.HealthChecks["web-ui"]
		if h.IOFormat != "json" || !h.Inject {
			t.Fatalf("the health check must be injected and take its uptime as JSON: %+v", h)
		}
		closed := "http://" + mailtest.FreeAddr(t) + "/healthz"
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/healthz" {
				http.NotFound(w, r)
				return
			}
			fmt.Fprint(w, `{"status":"ok","mode":"single","version":"0.3.0"}`)
		}))
		defer srv.Close()
		cases := []struct {
			url    string
			uptime int
			want   int
		}{
			{srv.URL + "/healthz", 60000, 0},
			{closed, 2000, 60},
			{closed, 600000, 1},
		}
		for _, c := range cases {
			t.Setenv("RECAP_HEALTH_URL", c.url)
			code, _, errOut := startosRun(t, h.procedure, data, c.uptime)
			if code != c.want {
				t.Errorf("%s at %d ms: exit %d (%s), want %d", c.url, c.uptime, code, errOut, c.want)
			}
			if code != 0 && strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Errorf("reason is not one line: %q", errOut)
			}
			if strings.HasPrefix(errOut, "recap:") {
				t.Errorf("StartOS shows the reason as it is; no program prefix: %q", errOut)
			}
		}
	})
}
