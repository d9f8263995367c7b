package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ncruces/go-sqlite3/driver"

	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/store"
)

// writeEarlierUsers leaves DATA/recap.db as the earlier Recap would for
// one person who signed up twice with differently typed addresses.
func writeEarlierUsers(t *testing.T, dir string) {
	t.Helper()
	db, err := driver.Open("file:" + filepath.Join(dir, store.FileName) + "?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, password_hash TEXT, created_at INTEGER NOT NULL,
			last_signin_at INTEGER, synthetic_install_id TEXT NOT NULL UNIQUE, keysat_license TEXT, display_name TEXT,
			is_admin INTEGER NOT NULL DEFAULT 0, tier TEXT NOT NULL DEFAULT 'core', signup_ip TEXT, signup_user_agent TEXT)`,
		`CREATE TABLE library_meta (session_id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
			video_id TEXT, url TEXT, title TEXT, type TEXT, topic_count INTEGER, segment_count INTEGER, created_at INTEGER NOT NULL, upload_date TEXT)`,
		`INSERT INTO users (id, email, created_at, synthetic_install_id) VALUES
			('u-first', 'carol@example.org', 1700000000000, 'i-1'), ('u-second', 'Carol@Example.ORG', 1710000000000, 'i-2')`,
		`INSERT INTO library_meta (session_id, user_id, title, created_at) VALUES ('r1', 'u-second', 'One', 1)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	p := filepath.Join(dir, "history", "u-second", "r1.json")
	os.MkdirAll(filepath.Dir(p), 0o700)
	if err := os.WriteFile(p, []byte(`{"title": "One"}`), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestDuplicateAccountsReportedAndMerged(t *testing.T) {
	dir := t.TempDir()
	writeEarlierUsers(t, dir)
	// Before any migration, status already tells.
	code, out, errOut := runCLI(t, "", "db", "status", "--data", dir)
	if code != 0 || !strings.Contains(out, "carol@example.org") || !strings.Contains(out, "u-second  Carol@Example.ORG") ||
		!strings.Contains(out, "signs in here") {
		t.Fatalf("status: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runCLI(t, "", "db", "status", "--json", "--data", dir)
	var st dbStatusJSON
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || len(st.Duplicates) != 1 || st.Duplicates[0].Accounts[0].ID != "u-second" {
		t.Fatalf("status --json: %s", out)
	}

	os.MkdirAll(filepath.Join(dir, "start9"), 0o700)
	cfg := "mode:\n  type: multi\n  admin-email: owner@example.org\n  public-url: https://recap.example.org\n" +
		"smtp:\n  type: custom\n  host: 127.0.0.1\n  port: 2525\n  security: none\n  from: recap@example.org\n"
	if err := os.WriteFile(filepath.Join(dir, "start9", "config.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCLI(t, "", "action", "duplicate-accounts", "--data", dir)
	if code != 0 {
		t.Fatalf("action: exit %d %s", code, errOut)
	}
	r := checkActionResult(t, []byte(out))
	if code != 0 || !strings.Contains(r["message"].(string), "1 addresses") || !strings.Contains(r["value"].(string), "u-first") {
		t.Fatalf("action: exit %d %v %s", code, r, errOut)
	}

	if code, _, errOut := runCLI(t, "", "user", "merge", "--data", dir, "u-second", "nobody"); code != exitBadInput {
		t.Errorf("merge with an unknown account: exit %d %s", code, errOut)
	}
	code, out, errOut = runCLI(t, "", "user", "merge", "--data", dir, "u-second", "u-first")
	if code != 0 || !strings.Contains(out, "Merged u-first into u-second") {
		t.Fatalf("merge: exit %d %s%s", code, out, errOut)
	}
	code, out, _ = runCLI(t, "", "action", "duplicate-accounts", "--data", dir)
	if r := checkActionResult(t, []byte(out)); code != 0 || !strings.Contains(r["message"].(string), "nothing to merge") {
		t.Errorf("after the merge: %v", r)
	}
	code, out, _ = runCLI(t, "", "user", "show", "--data", dir, "--json", "CAROL@example.org")
	var u userJSON
	if code != 0 || json.Unmarshal([]byte(out), &u) != nil || u.ID != "u-second" || u.Email != "carol@example.org" || *u.Recaps != 1 {
		t.Errorf("merged account: %s", out)
	}
}

// The config spec says an empty public-url means the LAN address; the
// server does exactly that, and refuses to start without either.
func TestPublicURLAsTheSpecSays(t *testing.T) {
	spec, err := os.ReadFile(filepath.Join("..", "..", "startos", "assets", "compat", "config_spec.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(spec), "Leave empty to use Recap's LAN address") {
		t.Fatal("the config spec no longer says what an empty public-url does; keep it and publicURL in step")
	}
	cases := []struct {
		public, lan, want string
	}{
		{"https://recap.example.org", "abc.local", "https://recap.example.org"},
		{"", "abcdefgh.local", "https://abcdefgh.local"},
		{"", "", ""},
	}
	for _, c := range cases {
		cfg := &config.Config{LANAddress: c.lan}
		cfg.Mode.PublicURL = c.public
		got, err := publicURL(cfg)
		if got != c.want || (c.want == "") != (err != nil) {
			t.Errorf("publicURL(%q, lan %q) = %q, %v; want %q", c.public, c.lan, got, err, c.want)
		}
		if err != nil && !strings.Contains(err.Error(), "mode.public-url") {
			t.Errorf("error does not name the key: %v", err)
		}
	}
}
