package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/mail/mailtest"
	"github.com/recap-startos/recap/pkg/store"
)

// TestPaymentsRemind runs recap payments remind on a multi-mode data
// folder: the reminder due is mailed once, a second run sends nothing,
// and single mode is refused.
func TestPaymentsRemind(t *testing.T) {
	smtp := mailtest.Start(t, mailtest.Options{})
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "start9"), 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(multiConfig, "port: 2525", fmt.Sprintf("port: %d", smtp.Port), 1)
	if err := os.WriteFile(filepath.Join(dir, "start9", "config.yaml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.CreateUser(ctx, store.NewUser{Email: "ann@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.WriteTier(ctx, store.TierWrite{UserID: u.ID, Tier: store.TierPro, Expiry: time.Now().Add(3 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	code, out, errOut := runCLI(t, "", "payments", "remind", "--data", dir)
	if code != 0 || !strings.Contains(out, "1 newly due, 1 sent, 0 failed") {
		t.Fatalf("remind: exit %d %q %q", code, out, errOut)
	}
	m := smtp.Wait(t, 1)
	if m.Rcpts[0] != "ann@example.org" || !strings.Contains(m.Text, "https://recap.example.org/pricing") {
		t.Fatalf("mail to %v:\n%s", m.Rcpts, m.Text)
	}
	code, out, _ = runCLI(t, "", "payments", "remind", "--data", dir, "--json")
	var counts map[string]int
	if code != 0 || json.Unmarshal([]byte(out), &counts) != nil || counts["queued"] != 0 || counts["sent"] != 0 {
		t.Fatalf("second run: exit %d %s", code, out)
	}
	if n := len(smtp.Messages()); n != 1 {
		t.Fatalf("%d mails, want 1", n)
	}

	single := t.TempDir()
	if code, _, errOut := runCLI(t, "", "payments", "remind", "--data", single); code != exitBadInput || !strings.Contains(errOut, "multi mode") {
		t.Fatalf("single mode: exit %d %q", code, errOut)
	}
}
