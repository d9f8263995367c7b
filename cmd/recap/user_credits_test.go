package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/recap-startos/recap/pkg/store"
)

const multiConfig = `mode:
  type: multi
  admin-email: owner@example.org
  public-url: https://recap.example.org
  default-credits: 7
smtp:
  type: custom
  host: 127.0.0.1
  port: 2525
  security: none
  from: recap@example.org
`

// TestGrantCreditsAndSetTier runs recap user grant-credits, set-tier and
// show, and the grant-credits and set-tier actions, on a multi-mode
// data folder.
func TestGrantCreditsAndSetTier(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "start9"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "start9", "config.yaml"), []byte(multiConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateUser(ctx, store.NewUser{Email: "ann@example.org"}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	code, out, errOut := runCLI(t, "", "user", "grant-credits", "--data", dir, "--note", "conference", "Ann@Example.org", "25")
	if code != 0 || !strings.Contains(out, "32 credits (7 allowance, 25 permanent); tier core") {
		t.Fatalf("grant-credits: exit %d %q %q", code, out, errOut)
	}
	for _, args := range [][]string{
		{"user", "grant-credits", "--data", dir, "ann@example.org", "0"},
		{"user", "grant-credits", "--data", dir, "ann@example.org", "many"},
		{"user", "grant-credits", "--data", dir, "nobody@example.org", "3"},
		{"user", "set-tier", "--data", dir, "ann@example.org", "gold"},
		{"user", "set-tier", "--data", dir, "--days", "-1", "ann@example.org", "pro"},
	} {
		if code, _, errOut := runCLI(t, "", args...); code != exitBadInput || errOut == "" {
			t.Errorf("%v: exit %d %q", args, code, errOut)
		}
	}
	code, out, errOut = runCLI(t, "", "user", "set-tier", "--data", dir, "--days", "30", "ann@example.org", "pro")
	if code != 0 || !strings.Contains(out, "225 credits (200 allowance, 25 permanent); tier pro until") {
		t.Fatalf("set-tier: exit %d %q %q", code, out, errOut)
	}
	code, out, _ = runCLI(t, "", "user", "show", "--data", dir, "--json", "ann@example.org")
	var u userJSON
	if code != 0 || json.Unmarshal([]byte(out), &u) != nil || u.Credits == nil || u.Credits.Total != 225 || u.Tier != "pro" ||
		u.Credits.TierExpiresAt == "" || len(u.Credits.Recent) < 4 || u.Credits.Recent[0].Kind != "refill" {
		t.Fatalf("show: exit %d %s", code, out)
	}
	code, out, _ = runCLI(t, "", "user", "show", "--data", dir, "ann@example.org")
	if code != 0 || !strings.Contains(out, "Credits:      225 credits") || !strings.Contains(out, "conference") {
		t.Fatalf("show: exit %d %s", code, out)
	}

	code, out, errOut = runCLI(t, `{"email": "ann@example.org", "credits": 5, "note": "thanks"}`, "action", "grant-credits", "--data", dir)
	if code != 0 || !strings.Contains(out, "Gave ann@example.org 5 credits") {
		t.Fatalf("grant-credits action: exit %d %q %q", code, out, errOut)
	}
	code, out, errOut = runCLI(t, `{"email": "ann@example.org", "tier": "core", "days": 0}`, "action", "set-tier", "--data", dir)
	if code != 0 || !strings.Contains(out, "now on the core tier") || !strings.Contains(out, "37 credits (7 allowance, 30 permanent)") {
		t.Fatalf("set-tier action: exit %d %q %q", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, `{"email": "ann@example.org", "credits": 2.5}`, "action", "grant-credits", "--data", dir); code != exitBadInput {
		t.Fatalf("fractional credits: exit %d %q", code, errOut)
	}
}
