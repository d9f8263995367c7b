package main

import (
	"archive/zip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/mail/mailtest"
	"github.com/recap-startos/recap/pkg/recap"
	"github.com/recap-startos/recap/pkg/store"
)

// writeMultiConfig writes a multi-mode config whose mail goes to port.
func writeMultiConfig(t *testing.T, dir string, port int) {
	t.Helper()
	cfg := fmt.Sprintf("mode:\n  type: multi\n  admin-email: owner@example.org\n  public-url: https://recap.example.org\n"+
		"smtp:\n  type: custom\n  host: 127.0.0.1\n  port: %d\n  security: none\n  from: recap@example.org\n", port)
	os.MkdirAll(filepath.Join(dir, "start9"), 0o700)
	if err := os.WriteFile(filepath.Join(dir, "start9", "config.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
}

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	return mailtest.FreePort(t)
}

func TestUserInviteCommands(t *testing.T) {
	dir := t.TempDir()
	smtp := mailtest.Start(t, mailtest.Options{})
	writeMultiConfig(t, dir, smtp.Port)
	if code, _, errOut := runCLI(t, "", "db", "migrate", "--data", dir); code != 0 {
		t.Fatal(errOut)
	}
	code, out, errOut := runCLI(t, "", "user", "invite", "--data", dir, "Nan@Example.org")
	if code != 0 || out != "" || !strings.Contains(errOut, "Invited nan@example.org: mailed") {
		t.Fatalf("invite: exit %d %q %q", code, out, errOut)
	}
	m := smtp.Wait(t, 1)
	if !strings.Contains(m.Text, "owner@example.org invited you to Recap on recap.example.org") || !strings.HasPrefix(m.Link(t), "https://recap.example.org/auth/verify?token=") {
		t.Errorf("invitation:\n%s", m.Text)
	}
	// Mail that cannot be sent: the link is printed to pass on.
	writeMultiConfig(t, dir, closedPort(t))
	code, out, errOut = runCLI(t, "", "user", "invite", "--data", dir, "nan@example.org")
	if code != 0 || !strings.HasPrefix(out, "https://recap.example.org/auth/verify?token=") || !strings.Contains(errOut, "Invited nan@example.org again, but the mail could not be sent") {
		t.Fatalf("invite without mail: exit %d %q %q", code, out, errOut)
	}
	code, out, _ = runCLI(t, "", "user", "invites", "--data", dir)
	if code != 0 || !strings.Contains(out, "nan@example.org") || !strings.Contains(out, "pending") {
		t.Errorf("invites: %s", out)
	}
	code, out, _ = runCLI(t, "", "action", "invite-user", "--data", dir)
	if code == 0 {
		t.Errorf("invite-user without an address: exit 0 %s", out)
	}
	code, out, errOut = runCLI(t, `{"email": "pop@example.org"}`, "action", "invite-user", "--data", dir)
	if code != 0 {
		t.Fatalf("action: %s", errOut)
	}
	r := checkActionResult(t, []byte(out))
	if link, _ := r["value"].(string); !strings.HasPrefix(link, "https://recap.example.org/auth/verify?token=") || r["copyable"] != true {
		t.Errorf("invite-user without mail: %v", r)
	}
	runCLI(t, "", "action", "admin-login-link", "--data", dir) // makes the owner's account, as serve does
	if code, _, errOut := runCLI(t, `{"email": "owner@example.org"}`, "action", "invite-user", "--data", dir); code != exitBadInput ||
		!strings.Contains(errOut, "already has an account") {
		t.Errorf("inviting the owner: exit %d %s", code, errOut)
	}
	if code, _, _ := runCLI(t, "", "user", "revoke-invite", "--data", dir, "pop@example.org"); code != 0 {
		t.Errorf("revoke-invite: exit %d", code)
	}
	if code, _, _ := runCLI(t, "", "user", "revoke-invite", "--data", dir, "pop@example.org"); code != exitBadInput {
		t.Errorf("revoke-invite twice: exit %d", code)
	}
	// Links never reach the log.
	if strings.Contains(errOut, "token=") {
		t.Errorf("a link in the log: %s", errOut)
	}
}

func TestUserRemoveCommand(t *testing.T) {
	dir := t.TempDir()
	writeMultiConfig(t, dir, closedPort(t))
	ctx := context.Background()
	st, err := store.Open(ctx, dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.EnsureAdmin(ctx, "owner@example.org"); err != nil {
		t.Fatal(err)
	}
	kid, err := st.CreateUser(ctx, store.NewUser{Email: "kid@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	lib := st.Library(filepath.Join(dir, "history"))
	doc := &recap.Document{Version: recap.Version, ID: "k1", CreatedAt: time.Unix(1, 0), Title: "Dinos",
		Source: recap.Source{Type: recap.SourceText}, Engine: recap.Engine{Name: recap.EngineBuiltin},
		Keywords: []string{}, Topics: []recap.Topic{{Title: "Dinos", Segments: []recap.Segment{{Text: "Big"}}}},
		Transcript: []recap.Unit{{I: 0, Text: "Big"}}}
	if err := lib.Save(ctx, kid.ID, doc); err != nil {
		t.Fatal(err)
	}
	st.Close()

	code, _, errOut := runCLI(t, "", "user", "remove", "--data", dir, "kid@example.org")
	if code != exitBadInput || !strings.Contains(errOut, "kid@example.org has 1 recaps") || !strings.Contains(errOut, "--recaps 1") {
		t.Fatalf("remove without confirmation: exit %d %s", code, errOut)
	}
	if code, _, errOut := runCLI(t, "", "user", "remove", "--data", dir, "--recaps", "0", "owner@example.org"); code != exitBadInput || !strings.Contains(errOut, "admin") {
		t.Errorf("remove the owner: exit %d %s", code, errOut)
	}
	code, out, errOut := runCLI(t, `{"email": "kid@example.org", "recaps": 3}`, "action", "remove-user", "--data", dir)
	if code != exitBadInput || !strings.Contains(errOut, "has 1 recaps") {
		t.Fatalf("action with the wrong count: exit %d %s %s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, `{"email": "Kid@Example.org", "recaps": 1}`, "action", "remove-user", "--data", dir)
	if code != 0 {
		t.Fatalf("action: exit %d %s", code, errOut)
	}
	if r := checkActionResult(t, []byte(out)); !strings.Contains(r["message"].(string), "Removed kid@example.org with 1 recaps") {
		t.Errorf("action result %v", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "history", kid.ID)); !os.IsNotExist(err) {
		t.Errorf("folder after removal: %v", err)
	}
	if code, _, _ := runCLI(t, "", "user", "show", "--data", dir, "kid@example.org"); code != exitBadInput {
		t.Errorf("show removed: exit %d", code)
	}
}

// zipNames lists the files of a zip archive.
func zipNames(t *testing.T, path string) []string {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer zr.Close()
	var out []string
	for _, f := range zr.File {
		out = append(out, f.Name)
	}
	return out
}

func TestLibraryExportAll(t *testing.T) {
	data := t.TempDir()
	if code, _, errOut := runCLI(t, "", "summarize", "--save", "--quiet", "--data", data, talk); code != 0 {
		t.Fatalf("summarize: %s", errOut)
	}
	out := filepath.Join(t.TempDir(), "lib.zip")
	code, _, errOut := runCLI(t, "", "library", "export", "--all", "--data", data, "--output", out)
	if code != 0 || !strings.Contains(errOut, "1 recaps") {
		t.Fatalf("export --all: exit %d %s", code, errOut)
	}
	names := strings.Join(zipNames(t, out), " ")
	if !strings.Contains(names, "index.json") || !strings.Contains(names, "index.md") || strings.Count(names, "recaps/") != 2 {
		t.Errorf("archive holds %s", names)
	}
	if code, _, errOut := runCLI(t, "", "library", "export", "--all", "--data", data); code != exitBadInput {
		t.Errorf("--all without --output: exit %d %s", code, errOut)
	}
	// Multi mode: --user names whose library.
	ctx := context.Background()
	st, err := store.Open(ctx, data, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ann, _ := st.CreateUser(ctx, store.NewUser{Email: "ann@example.org"})
	st.Close()
	code, _, errOut = runCLI(t, "", "library", "export", "--all", "--data", data, "--user", "Ann@example.org", "--output", out)
	if code != 0 || !strings.Contains(errOut, "0 recaps") || len(zipNames(t, out)) != 2 {
		t.Errorf("export --all --user %s: exit %d %s", ann.ID, code, errOut)
	}
}
