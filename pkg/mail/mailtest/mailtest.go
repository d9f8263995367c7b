// Package mailtest is a real SMTP server for tests, in process on a
// loopback port: it accepts mail over plain SMTP, STARTTLS or implicit
// TLS (with a certificate it makes), optionally asks for a password, and
// keeps every message so tests can read sign-in links out of them.
package mailtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/recap-startos/recap/pkg/config"
)

// Security modes of the server, named like smtp.security in the config.
const (
	None     = "none"
	StartTLS = "starttls"
	TLS      = "tls"
)

// Message is one received mail.
type Message struct {
	From   string
	Rcpts  []string
	Raw    []byte
	Header mail.Header
	Text   string // the text/plain part, decoded
	HTML   string // the text/html part, decoded
}

// Server is a running SMTP server.
type Server struct {
	Host  string
	Port  int
	Roots *x509.CertPool // trusts the server's certificate

	security string
	user     string
	password string
	srv      *smtp.Server

	mu       sync.Mutex
	messages []Message
	arrived  chan struct{}
}

// Options tune Start.
type Options struct {
	Security string // None (default), StartTLS or TLS
	Username string // with Password: AUTH PLAIN is required
	Password string
}

// Start runs a server until the test ends.
func Start(t testing.TB, opt Options) *Server {
	t.Helper()
	if opt.Security == "" {
		opt.Security = None
	}
	s := &Server{security: opt.Security, user: opt.Username, password: opt.Password, arrived: make(chan struct{}, 1024)}
	srv := smtp.NewServer(&backend{s})
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.MaxMessageBytes = 1 << 20
	srv.MaxRecipients = 50
	srv.AllowInsecureAuth = opt.Security == None
	var ln net.Listener
	var err error
	if opt.Security != None {
		cert, pool := selfSigned(t)
		s.Roots = pool
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	}
	if opt.Security == TLS {
		ln, err = tls.Listen("tcp", "127.0.0.1:0", srv.TLSConfig)
	} else {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	s.srv = srv
	addr := ln.Addr().(*net.TCPAddr)
	s.Host, s.Port = "127.0.0.1", addr.Port
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

// Config returns smtp settings that reach this server.
func (s *Server) Config() config.SMTP {
	return config.SMTP{Type: "custom", Host: s.Host, Port: s.Port, Security: s.security,
		Username: s.user, Password: s.password, From: "recap@example.org"}
}

// Messages returns every message received so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Wait returns the n-th message (counting from 1), waiting up to 10 s
// for it to arrive.
func (s *Server) Wait(t testing.TB, n int) Message {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		s.mu.Lock()
		if len(s.messages) >= n {
			m := s.messages[n-1]
			s.mu.Unlock()
			return m
		}
		s.mu.Unlock()
		select {
		case <-s.arrived:
		case <-deadline:
			t.Fatalf("mailtest: message %d did not arrive (have %d)", n, len(s.Messages()))
		}
	}
}

var linkPattern = regexp.MustCompile(`https?://[^\s"<>]+/auth/verify\?[^\s"<>]+`)

// Link returns the sign-in link in a message's text part.
func (m Message) Link(t testing.TB) string {
	t.Helper()
	l := linkPattern.FindString(m.Text)
	if l == "" {
		t.Fatalf("mailtest: no sign-in link in:\n%s", m.Text)
	}
	return l
}

func (s *Server) add(m Message) {
	s.mu.Lock()
	s.messages = append(s.messages, m)
	s.mu.Unlock()
	select {
	case s.arrived <- struct{}{}:
	default:
	}
}

type backend struct{ s *Server }

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{s: b.s}, nil
}

type session struct {
	s      *Server
	authed bool
	from   string
	rcpts  []string
}

func (x *session) AuthMechanisms() []string {
	if x.s.user == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (x *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != x.s.user || password != x.s.password {
			return errors.New("wrong username or password")
		}
		x.authed = true
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if x.s.user != "" && !x.authed {
		return smtp.ErrAuthRequired
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.rcpts = append(x.rcpts, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := Message{From: x.from, Rcpts: append([]string(nil), x.rcpts...), Raw: raw}
	if msg, err := mail.ReadMessage(bytes.NewReader(raw)); err == nil {
		m.Header = msg.Header
		m.Text, m.HTML = parts(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
	}
	x.s.add(m)
	return nil
}

func (x *session) Reset()        { x.from, x.rcpts = "", nil }
func (x *session) Logout() error { return nil }

// parts finds the text and HTML bodies of a message, however nested.
func parts(ctype, encoding string, body io.Reader) (text, html string) {
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		mt = "text/plain"
	}
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				return text, html
			}
			t, h := parts(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"), p)
			if text == "" {
				text = t
			}
			if html == "" {
				html = h
			}
		}
	}
	data, _ := io.ReadAll(decode(encoding, body))
	switch mt {
	case "text/plain":
		return string(data), ""
	case "text/html":
		return "", string(data)
	}
	return "", ""
}

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "mailtest"},
		NotBefore:    time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}
