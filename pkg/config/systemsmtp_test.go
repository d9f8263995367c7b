package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// StartOS 0.4's System SMTP: config.yaml says smtp.type: system and the
// package writes the server's values to system-smtp.yaml.
func TestSystemSMTP(t *testing.T) {
	t.Parallel()
	const multi = "mode:\n  type: multi\n  admin-email: admin@example.org\n"
	const sys = "host: smtp.example.org\nport: 465\nsecurity: tls\nusername: recap\npassword: s3cret\nfrom: Recap <recap@example.org>\n"
	cases := []struct {
		name, config, system string
		wantErr              string
		want                 SMTP
	}{
		{"values from the file", multi + "smtp:\n  type: system\n", sys, "",
			SMTP{Type: SMTPSystem, Host: "smtp.example.org", Port: 465, Security: "tls", Username: "recap", Password: "s3cret", From: "Recap <recap@example.org>"}},
		{"from overridden", multi + "smtp:\n  type: system\n  from: me@example.org\n", sys, "",
			SMTP{Type: SMTPSystem, Host: "smtp.example.org", Port: 465, Security: "tls", Username: "recap", Password: "s3cret", From: "me@example.org"}},
		{"single mode without System SMTP sends no mail", "smtp:\n  type: system\n", "", "", SMTP{Type: SMTPSystem}},
		{"multi mode needs System SMTP set up", multi + "smtp:\n  type: system\n", "", "System SMTP is not set up", SMTP{}},
		{"unknown key in the file", "smtp:\n  type: system\n", sys + "tls: true\n", `unknown key`, SMTP{}},
		{"bad security", "smtp:\n  type: system\n", strings.Replace(sys, "security: tls", "security: none", 1), "not starttls or tls", SMTP{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := write(t, c.config)
			if c.system != "" {
				if err := os.WriteFile(SystemSMTPPath(dir), []byte(c.system), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			cfg, err := Load(dir)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("Load = %v, want an error containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.SMTP != c.want {
				t.Fatalf("SMTP = %+v, want %+v", cfg.SMTP, c.want)
			}
			if cfg.SMTP.Password != "" && cfg.Redacted().SMTP.Password != "********" {
				t.Fatal("System SMTP password not masked in the dump")
			}
		})
	}
}

// LoadFile checks a candidate beside the real file, with system-smtp.yaml
// still read from the data folder.
func TestLoadFile(t *testing.T) {
	t.Parallel()
	dir := write(t, "mode:\n  type: single\n")
	cand := filepath.Join(dir, "start9", "config.candidate.yaml")
	if err := os.WriteFile(cand, []byte("engine:\n  type: gemini\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadFile(dir, cand); err == nil || !strings.Contains(err.Error(), "engine.api-key") || !strings.Contains(err.Error(), "config.candidate.yaml") {
		t.Fatalf("LoadFile = %v, want the candidate's engine.api-key named", err)
	}
	if _, err := Load(dir); err != nil {
		t.Fatalf("the real file is untouched and valid: %v", err)
	}
}
