package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/recap-startos/recap/pkg/store"
)

func TestDBStatusAndMigrate(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := runCLI(t, "", "db", "status", "--data", dir)
	if code != 0 || !strings.Contains(out, "No database") {
		t.Fatalf("status without database: exit %d, %q %q", code, out, errOut)
	}
	// RECAP_DATA_DIR works like --data.
	t.Setenv("RECAP_DATA_DIR", dir)
	code, out, errOut = runCLI(t, "", "db", "migrate")
	if code != 0 || !strings.Contains(out, "Migrated") {
		t.Fatalf("migrate: exit %d, %q %q", code, out, errOut)
	}
	code, out, _ = runCLI(t, "", "db", "migrate")
	if code != 0 || !strings.Contains(out, "up to date") {
		t.Fatalf("second migrate: exit %d, %q", code, out)
	}
	code, out, _ = runCLI(t, "", "db", "status", "--json")
	var st dbStatusJSON
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || st.Version != store.LatestVersion() || len(st.Pending) != 0 || st.Legacy {
		t.Fatalf("status --json: exit %d, %s", code, out)
	}
	code, out, _ = runCLI(t, "", "db", "status")
	if code != 0 || !strings.Contains(out, "Up to date") {
		t.Fatalf("status: exit %d, %s", code, out)
	}
}

func TestUserCommands(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := runCLI(t, "", "user", "list", "--data", dir); code != exitBadInput || !strings.Contains(errOut, "no database") {
		t.Fatalf("user list without database: exit %d, %q", code, errOut)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.EnsureAdmin(ctx, "owner@example.org"); err != nil {
		t.Fatal(err)
	}
	ann, err := st.CreateUser(ctx, store.NewUser{Email: "ann@example.org", SignupIP: "192.0.2.9"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateSession(ctx, store.NewSession{TokenHash: store.HashToken("cookie"), UserID: ann.ID, UserAgent: "Firefox"}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	code, out, errOut := runCLI(t, "", "user", "list", "--data", dir)
	if code != 0 || !strings.Contains(out, "ann@example.org") || !strings.Contains(out, "admin") {
		t.Fatalf("user list: exit %d, %q %q", code, out, errOut)
	}
	code, out, _ = runCLI(t, "", "user", "show", "--data", dir, "--json", "ann@example.org")
	var u userJSON
	if code != 0 || json.Unmarshal([]byte(out), &u) != nil || u.ID != ann.ID || len(u.Sessions) != 1 || u.SignupIP != "192.0.2.9" {
		t.Fatalf("user show: exit %d, %s", code, out)
	}
	if code, _, _ := runCLI(t, "", "user", "disable", "--data", dir, "ANN@example.org"); code != 0 {
		t.Fatalf("disable: exit %d", code)
	}
	code, out, _ = runCLI(t, "", "user", "show", "--data", dir, ann.ID)
	if code != 0 || !strings.Contains(out, "disabled since") || !strings.Contains(out, "Sessions:     0") {
		t.Fatalf("show disabled: exit %d, %s", code, out)
	}
	if code, _, _ := runCLI(t, "", "user", "enable", "--data", dir, ann.ID); code != 0 {
		t.Fatalf("enable: exit %d", code)
	}
	if code, _, errOut := runCLI(t, "", "user", "disable", "--data", dir, "owner@example.org"); code != exitBadInput {
		t.Fatalf("disable admin: exit %d %s", code, errOut)
	}
	if code, _, _ := runCLI(t, "", "user", "show", "--data", dir, "nobody@example.org"); code != exitBadInput {
		t.Fatalf("show unknown: exit %d", code)
	}
}
