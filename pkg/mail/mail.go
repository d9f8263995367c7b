// Package mail sends Recap's email: the sign-in link of multi mode, as a
// plain-text part and an HTML alternative rendered from embedded
// templates, through the SMTP server of the config (STARTTLS, implicit
// TLS, or none for a relay on the local network). It owns no state; the
// server decides what to send and when.
package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/recap-startos/recap/pkg/config"
)

// Message is one email to one recipient.
type Message struct {
	To      string // one bare address; never a list
	Subject string
	Text    string // the plain-text body
	HTML    string // the HTML alternative; "" for text only
	// Unsubscribe is the absolute URL that stops this kind of mail with
	// no sign-in (a GET shows a confirm page, a POST stops it): it is
	// sent as List-Unsubscribe with List-Unsubscribe-Post (RFC 8058)
	// so that mail programs can offer one-click unsubscribe. "" for
	// none.
	Unsubscribe string
}

// ErrNotConfigured means the config has no usable mail settings.
var ErrNotConfigured = errors.New("mail: no SMTP server is configured (smtp.type is disabled)")

// sendTimeout bounds one delivery: connect, TLS, authentication, data.
const sendTimeout = 30 * time.Second

// SMTP sends mail through one SMTP server. It is safe for concurrent
// use; each Send opens its own connection.
type SMTP struct {
	cfg   config.SMTP
	from  string         // the bare From address
	roots *x509.CertPool // nil: the system's
}

// Option tunes NewSMTP.
type Option func(*SMTP)

// WithRootCAs trusts pool instead of the system's certificate
// authorities (a relay with its own CA, and tests).
func WithRootCAs(pool *x509.CertPool) Option {
	return func(s *SMTP) { s.roots = pool }
}

// NewSMTP checks the mail settings and returns a sender for them. It
// does not connect: a server that is down shows up when mail is sent.
func NewSMTP(cfg config.SMTP, opts ...Option) (*SMTP, error) {
	if (cfg.Type != config.SMTPCustom && cfg.Type != config.SMTPSystem) || (cfg.Type == config.SMTPSystem && cfg.Host == "") {
		return nil, ErrNotConfigured
	}
	if cfg.Host == "" || cfg.Port < 1 || cfg.Port > 65535 {
		return nil, fmt.Errorf("mail: smtp.host and smtp.port must name a server, not %q port %d", cfg.Host, cfg.Port)
	}
	switch cfg.Security {
	case "starttls", "tls", "none":
	default:
		return nil, fmt.Errorf("mail: smtp.security: %q is not starttls, tls or none", cfg.Security)
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("mail: smtp.from: %q is not an email address", cfg.From)
	}
	s := &SMTP{cfg: cfg, from: from.Address}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// client builds a go-mail client for the settings.
func (s *SMTP) client() (*gomail.Client, error) {
	opts := []gomail.Option{gomail.WithPort(s.cfg.Port), gomail.WithTimeout(sendTimeout),
		gomail.WithTLSConfig(&tls.Config{ServerName: s.cfg.Host, RootCAs: s.roots, MinVersion: tls.VersionTLS12})}
	switch s.cfg.Security {
	case "tls":
		opts = append(opts, gomail.WithSSL())
	case "starttls":
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case "none":
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	}
	if s.cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	return gomail.NewClient(s.cfg.Host, opts...)
}

// Send delivers m. The recipient must be one bare address.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	if err := checkRecipient(m.To); err != nil {
		return err
	}
	msg := gomail.NewMsg()
	if err := msg.From(s.from); err != nil {
		return fmt.Errorf("mail: from: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("mail: to: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageID()
	if m.Unsubscribe != "" {
		if strings.ContainsAny(m.Unsubscribe, "\r\n<> ") || !strings.HasPrefix(m.Unsubscribe, "http") {
			return fmt.Errorf("mail: %q is not an unsubscribe URL", m.Unsubscribe)
		}
		msg.SetGenHeader(gomail.HeaderListUnsubscribe, "<"+m.Unsubscribe+">")
		msg.SetGenHeader(gomail.HeaderListUnsubscribePost, "List-Unsubscribe=One-Click")
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	c, err := s.client()
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("mail: send through %s:%d: %w", s.cfg.Host, s.cfg.Port, err)
	}
	return nil
}

// checkRecipient refuses anything but one plain address: the callers
// validate addresses already, and this is the last line against a list
// or a header slipping through.
func checkRecipient(to string) error {
	a, err := mail.ParseAddress(to)
	if err != nil || a.Name != "" || a.Address != to || strings.ContainsAny(to, ",;\r\n\" <>") {
		return fmt.Errorf("mail: %q is not one plain address", to)
	}
	return nil
}
