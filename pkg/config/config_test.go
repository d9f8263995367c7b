package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, yaml string) string {
	t.Helper()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "start9"), 0o700)
	if err := os.WriteFile(Path(dir), []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestMissingFileGivesDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if c.Mode.Type != ModeSingle || c.Engine.Type != "builtin" || c.Advanced.JobConcurrency != DefaultJobConcurrency || c.Advanced.MaxUploadMB != 20 {
		t.Fatalf("defaults = %+v", c)
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, yaml, wantErr string
	}{
		{"empty file", "", ""},
		{"single", "mode:\n  type: single\nadvanced:\n  job-concurrency: 4\n", ""},
		{"startos pointers", "tor-address: abc.onion\nlan-address: abc.local\nmode:\n  type: single\n", ""},
		{"multi complete", "mode:\n  type: multi\n  admin-email: owner@example.org\n  allow-signups: true\nsmtp:\n  type: custom\n  host: smtp.example.org\n  from: recap@example.org\n", ""},
		{"unknown top key", "mood: happy\n", `unknown key "mood"`},
		{"unknown nested key", "advanced:\n  bogus: 1\n", `unknown key "advanced.bogus"`},
		{"wrong type", "advanced:\n  job-concurrency: many\n", `"many" has the wrong type`},
		{"bad mode", "mode:\n  type: double\n", "mode.type"},
		{"multi without mail", "mode:\n  type: multi\n  admin-email: owner@example.org\n", "smtp.type"},
		{"multi bad admin", "mode:\n  type: multi\n  admin-email: nobody\nsmtp:\n  type: custom\n  host: h\n  from: a@b.c\n", "mode.admin-email"},
		{"smtp without host", "smtp:\n  type: custom\n  from: a@b.c\n", "smtp.host"},
		{"smtp bad security", "smtp:\n  type: custom\n  host: h\n  from: a@b.c\n  security: ssl\n", "smtp.security"},
		{"smtp user without password", "smtp:\n  type: custom\n  host: h\n  from: a@b.c\n  username: me\n", "smtp.password"},
		{"smtp password in clear", "smtp:\n  type: custom\n  host: h\n  from: a@b.c\n  username: me\n  password: pw\n  security: none\n", "smtp.security"},
		{"smtp nullable fields null", "smtp:\n  type: custom\n  host: h\n  from: a@b.c\n  username: null\n  password: null\n  security: none\n", ""},
		{"concurrency range", "advanced:\n  job-concurrency: 99\n", "advanced.job-concurrency"},
		{"bad youtube url", "advanced:\n  youtube-base-url: ftp://x\n", "advanced.youtube-base-url"},
		{"bad log level", "advanced:\n  log-level: loud\n", "advanced.log-level"},
		{"malformed yaml", "mode: [\n", "line"},
		{"openai local", "engine:\n  type: openai\n  base-url: http://llama.embassy:8080/v1\n  model: llama3.1:8b\n", ""},
		{"openai ollama", "engine:\n  type: openai\n  base-url: http://ollama.embassy:11434\n  model: qwen2.5:7b\n  flavor: ollama\n  context-size: 32768\n", ""},
		{"openai without url", "engine:\n  type: openai\n  model: m\n", "engine.base-url"},
		{"openai bad url", "engine:\n  type: openai\n  base-url: llama:8080\n  model: m\n", "engine.base-url"},
		{"openai without model", "engine:\n  type: openai\n  base-url: http://h/v1\n", "engine.model"},
		{"openai tiny context", "engine:\n  type: openai\n  base-url: http://h/v1\n  model: m\n  context-size: 100\n", "engine.context-size"},
		{"openai bad flavor", "engine:\n  type: openai\n  base-url: http://h/v1\n  model: m\n  flavor: lmstudio\n", "engine.flavor"},
		{"gemini", "engine:\n  type: gemini\n  api-key: AIzaTest\n", ""},
		{"gemini without key", "engine:\n  type: gemini\n", "engine.api-key"},
		{"gemini key with space", "engine:\n  type: gemini\n  api-key: 'a b'\n", "engine.api-key"},
		{"unknown engine", "engine:\n  type: magic\n", "engine.type"},
		{"relay", "relay:\n  url: https://relay.example.org\n  license: rly1_abc\nengine:\n  type: relay\n", ""},
		{"relay for tiers only", "relay:\n  url: http://127.0.0.1:8090\n  license: rly1_abc\n", ""},
		{"relay nulls", "relay:\n  url: null\n  license: null\n", ""},
		{"relay engine without relay", "engine:\n  type: relay\n", "relay.url"},
		{"relay without license", "relay:\n  url: https://relay.example.org\n", "relay.license"},
		{"relay license without url", "relay:\n  license: rly1_abc\n", "relay.url"},
		{"relay bad url", "relay:\n  url: relay.example.org\n  license: k\n", "relay.url"},
		{"relay license with space", "relay:\n  url: https://r.example.org\n  license: 'a b'\n", "relay.license"},
		{"relay unknown key", "relay:\n  token: x\n", `unknown key "relay.token"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(write(t, c.yaml))
			if c.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("error = %v, want it to contain %q", err, c.wantErr)
			}
		})
	}
}

func TestEnvOverrides(t *testing.T) {
	t.Setenv("RECAP_YOUTUBE_BASE_URL", "http://127.0.0.1:9999")
	t.Setenv("RECAP_JOB_CONCURRENCY", "3")
	c, err := Load(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if c.Advanced.YouTubeBaseURL != "http://127.0.0.1:9999" || c.Advanced.JobConcurrency != 3 {
		t.Fatalf("overrides not applied: %+v", c.Advanced)
	}
	t.Setenv("RECAP_JOB_CONCURRENCY", "x")
	if _, err := Load(t.TempDir()); err == nil || !strings.Contains(err.Error(), "RECAP_JOB_CONCURRENCY") {
		t.Fatalf("bad env value: %v", err)
	}
}

func TestRedacted(t *testing.T) {
	t.Parallel()
	c := Default()
	c.SMTP.Password = "hunter2"
	c.Engine = Engine{Type: EngineGemini, APIKey: "AIza-secret", Model: DefaultGeminiModel}
	c.Relay = Relay{URL: "https://relay.example.org", License: "rly1_secret"}
	out, _ := c.Redacted().YAML()
	if strings.Contains(string(out), "hunter2") || strings.Contains(string(out), "AIza-secret") || strings.Contains(string(out), "rly1_secret") || c.Relay.License != "rly1_secret" || c.SMTP.Password != "hunter2" || c.Engine.APIKey != "AIza-secret" {
		t.Fatalf("redaction leaked or changed the original:\n%s", out)
	}
}

func TestEngineDefaults(t *testing.T) {
	c, err := Load(write(t, "engine:\n  type: openai\n  base-url: http://h/v1\n  model: m\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Engine.ContextSize != DefaultContextSize || c.Engine.Flavor != FlavorCompatible {
		t.Fatalf("openai defaults = %+v", c.Engine)
	}
	t.Setenv("RECAP_GEMINI_BASE_URL", "http://127.0.0.1:9")
	c, err = Load(write(t, "engine:\n  type: gemini\n  api-key: k\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Engine.Model != DefaultGeminiModel || c.Engine.BaseURL != "http://127.0.0.1:9" {
		t.Fatalf("gemini defaults = %+v", c.Engine)
	}
}

func TestNumbersMustBeWhole(t *testing.T) {
	t.Parallel()
	if _, err := Load(write(t, "advanced:\n  job-concurrency: 0.5\n")); err == nil || !strings.Contains(err.Error(), "advanced.job-concurrency: 0.5 is not a whole number") {
		t.Fatalf("fractional number: %v", err)
	}
	c, err := Load(write(t, "advanced:\n  job-concurrency: 4.0\n"))
	if err != nil || c.Advanced.JobConcurrency != 4 {
		t.Fatalf("whole float: %v %+v", err, c)
	}
}

// FuzzParse: any bytes give a config or an error that says which line or
// key is wrong, and a parsed config validates or names a key.
func FuzzParse(f *testing.F) {
	f.Add([]byte("mode:\n  type: multi\n  admin-email: a@b.c\nsmtp:\n  type: custom\n  host: h\n  from: a@b.c\n"))
	f.Add([]byte("advanced:\n  job-concurrency: 2.5\n"))
	f.Add([]byte("engine:\n  type: openai\n  base-url: http://x/v1\n  model: m\n"))
	f.Add([]byte("tor-address: x.onion\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if err := c.Validate(); err != nil && !strings.Contains(err.Error(), ":") {
			t.Fatalf("validation error names no key: %v", err)
		}
	})
}

func TestTrustedProxies(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte("advanced:\n  trusted-proxies: [10.0.3.0/24, 192.168.1.7, 'fd00::/8', '::ffff:10.1.0.0/112', 10.0.3.9/24]\n"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Advanced.Proxies()
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[10.0.3.0/24 192.168.1.7/32 fd00::/8 10.1.0.0/16 10.0.3.0/24]" {
		t.Fatalf("parsed %v", got)
	}
	if d := Default(); len(d.Advanced.TrustedProxies) != 0 {
		t.Fatalf("default trusts %v", d.Advanced.TrustedProxies)
	}
	for _, bad := range []string{"proxy.local", "10.0.3.0/33", "fe80::1%eth0", ""} {
		c, err := Parse([]byte("advanced:\n  trusted-proxies: ['" + bad + "']\n"))
		if err == nil {
			err = c.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), "advanced.trusted-proxies[0]") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
