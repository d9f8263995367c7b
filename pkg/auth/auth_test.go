package auth

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	SetCostForTests()
	os.Exit(m.Run())
}

func TestPasswordHash(t *testing.T) {
	h := HashPassword("correct horse battery")
	if !strings.HasPrefix(h, "$argon2id$v=19$") {
		t.Fatalf("hash %q is not an argon2id hash", h)
	}
	cases := []struct {
		name, hash, pw string
		want           bool
	}{
		{"right", h, "correct horse battery", true},
		{"wrong", h, "correct horse batterY", false},
		{"empty", h, "", false},
		{"malformed hash", "$argon2id$nope", "x", false},
		{"empty hash", "", "x", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := CheckPassword(c.hash, c.pw); got != c.want {
				t.Fatalf("CheckPassword = %v, want %v", got, c.want)
			}
		})
	}
}

func TestGeneratePassword(t *testing.T) {
	a, b := GeneratePassword(), GeneratePassword()
	if len(a) < 20 || a == b {
		t.Fatalf("generated %q and %q", a, b)
	}
}

func TestOwner(t *testing.T) {
	path := filepath.Join(t.TempDir(), "auth", "owner.json")
	o := NewOwner(path)
	if _, err := o.Record(); !errors.Is(err, ErrNoOwner) {
		t.Fatalf("Record on empty = %v", err)
	}
	pw, err := o.Ensure("")
	if err != nil || len(pw) < 20 {
		t.Fatalf("Ensure = %q, %v", pw, err)
	}
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), pw) {
		t.Fatal("owner file holds the password in clear")
	}
	if again, _ := o.Ensure(""); again != "" {
		t.Fatal("Ensure generated a second password")
	}
	if !o.Check(pw) || o.Check("nope") {
		t.Fatal("Check disagrees with the generated password")
	}
	if rec, _ := o.Record(); !rec.Generated {
		t.Fatal("generated password not marked as such")
	}
	if err := o.Change("wrong", "a brand new password"); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("Change with wrong current = %v", err)
	}
	if err := o.Change(pw, "short"); !errors.Is(err, ErrWeakPassword) {
		t.Fatalf("Change to short = %v", err)
	}
	if err := o.Change(pw, "a brand new password"); err != nil {
		t.Fatal(err)
	}
	if rec, _ := o.Record(); rec.Generated || !o.Check("a brand new password") {
		t.Fatal("changed password not in effect")
	}
	if _, err := o.Ensure("from the environment"); err != nil || !o.Check("from the environment") {
		t.Fatalf("Ensure with env: %v", err)
	}
}

func TestSessions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sessions.json")
	s, err := OpenSessions(path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	tok, err := s.Create()
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	if strings.Contains(string(data), tok) {
		t.Fatal("session file holds the token")
	}
	if err := s.Check(tok); err != nil {
		t.Fatalf("Check = %v", err)
	}
	for _, bad := range []string{"", "x", tok + "A", strings.Repeat("A", 43)} {
		if err := s.Check(bad); !errors.Is(err, ErrNoSession) {
			t.Fatalf("Check(%q) = %v", bad, err)
		}
	}

	// Survives a restart.
	s2, _ := OpenSessions(path)
	s2.now = s.now
	if err := s2.Check(tok); err != nil {
		t.Fatalf("after reopen: %v", err)
	}

	// Sliding expiry: used after 20 days, still alive 20 days later.
	now = now.Add(20 * 24 * time.Hour)
	if err := s2.Check(tok); err != nil {
		t.Fatal(err)
	}
	now = now.Add(20 * 24 * time.Hour)
	if err := s2.Check(tok); err != nil {
		t.Fatalf("sliding expiry: %v", err)
	}
	now = now.Add(31 * 24 * time.Hour)
	if err := s2.Check(tok); !errors.Is(err, ErrNoSession) {
		t.Fatalf("expired session accepted: %v", err)
	}

	// Logout, and DeleteAll from another handle.
	tok2, _ := s2.Create()
	if err := s2.Delete(tok2); err != nil || s2.Check(tok2) == nil {
		t.Fatalf("Delete: %v", err)
	}
	tok3, _ := s2.Create()
	other, _ := OpenSessions(path)
	if err := other.DeleteAll(); err != nil {
		t.Fatal(err)
	}
	// Make sure the modification is visible even on coarse clocks.
	os.Chtimes(path, time.Now().Add(time.Minute), time.Now().Add(time.Minute))
	if err := s2.Check(tok3); !errors.Is(err, ErrNoSession) {
		t.Fatalf("session survived DeleteAll from another process: %v", err)
	}
}

func TestLimiter(t *testing.T) {
	l := NewLimiter()
	for i := 0; i < loginBurst; i++ {
		if ok, _ := l.Allowed("192.0.2.1"); !ok {
			t.Fatalf("attempt %d refused", i)
		}
		l.Failed("192.0.2.1")
	}
	ok, wait := l.Allowed("192.0.2.1")
	if ok || wait <= 0 {
		t.Fatalf("after %d failures: allowed=%v wait=%v", loginBurst, ok, wait)
	}
	if ok, _ := l.Allowed("192.0.2.2"); !ok {
		t.Fatal("another address was limited")
	}
}
