package mail_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/mail"
	"github.com/recap-startos/recap/pkg/mail/mailtest"
)

func TestSendOverEverySecurityMode(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		opt  mailtest.Options
	}{
		{"none", mailtest.Options{Security: mailtest.None}},
		{"starttls with password", mailtest.Options{Security: mailtest.StartTLS, Username: "recap", Password: "s3cret"}},
		{"implicit tls with password", mailtest.Options{Security: mailtest.TLS, Username: "recap", Password: "s3cret"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := mailtest.Start(t, c.opt)
			s, err := mail.NewSMTP(srv.Config(), mail.WithRootCAs(srv.Roots))
			if err != nil {
				t.Fatal(err)
			}
			link := "https://recap.example.org/auth/verify?token=abc_DEF-123"
			m, err := mail.SignInMessage(mail.SignIn{To: "ada@example.org", Link: link, ValidFor: 15 * time.Minute, Site: "recap.example.org", RequestIP: "203.0.113.5"})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Send(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			got := srv.Wait(t, 1)
			if len(got.Rcpts) != 1 || got.Rcpts[0] != "ada@example.org" || got.From != "recap@example.org" {
				t.Fatalf("envelope from %q to %v", got.From, got.Rcpts)
			}
			if got.Link(t) != link {
				t.Fatalf("link %q", got.Link(t))
			}
			if !strings.Contains(got.HTML, `href="`+link+`"`) || !strings.Contains(got.Text, "15 minutes") {
				t.Fatalf("bodies:\n%s\n%s", got.Text, got.HTML)
			}
			if got.Header.Get("Subject") != "Sign in to Recap on recap.example.org" {
				t.Fatalf("subject %q", got.Header.Get("Subject"))
			}
		})
	}
}

func TestWrongPasswordAndRefusedServerFail(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Options{Security: mailtest.StartTLS, Username: "recap", Password: "s3cret"})
	cfg := srv.Config()
	cfg.Password = "wrong"
	s, err := mail.NewSMTP(cfg, mail.WithRootCAs(srv.Roots))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), mail.Message{To: "ada@example.org", Subject: "x", Text: "x"}); err == nil {
		t.Fatal("sent with a wrong password")
	}
	// STARTTLS is required: a server that does not offer it is refused.
	plain := mailtest.Start(t, mailtest.Options{})
	cfg = plain.Config()
	cfg.Security = "starttls"
	s, _ = mail.NewSMTP(cfg)
	if err := s.Send(context.Background(), mail.Message{To: "ada@example.org", Subject: "x", Text: "x"}); err == nil {
		t.Fatal("sent without TLS although starttls was asked for")
	}
	if len(plain.Messages())+len(srv.Messages()) != 0 {
		t.Fatal("a message arrived")
	}
}

func TestOnlyOnePlainRecipient(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Options{})
	s, _ := mail.NewSMTP(srv.Config())
	for _, to := range []string{"a@x.test,b@evil.test", "Ada <ada@example.org>", "a@x.test\r\nBcc: b@evil.test", `"e@evil.test"@victim.test`, ""} {
		if err := s.Send(context.Background(), mail.Message{To: to, Subject: "x", Text: "x"}); err == nil {
			t.Errorf("sent to %q", to)
		}
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d messages arrived", n)
	}
}

func TestNewSMTPRefusesUnusableSettings(t *testing.T) {
	t.Parallel()
	cases := map[string]config.SMTP{
		"disabled":     {Type: "disabled"},
		"no host":      {Type: "custom", Port: 25, Security: "none", From: "r@example.org"},
		"bad security": {Type: "custom", Host: "h", Port: 25, Security: "ssl", From: "r@example.org"},
		"bad from":     {Type: "custom", Host: "h", Port: 25, Security: "none", From: "nobody"},
	}
	for name, c := range cases {
		if _, err := mail.NewSMTP(c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
