package auth

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/mail"
	"github.com/recap-startos/recap/pkg/mail/mailtest"
	"github.com/recap-startos/recap/pkg/store"
)

func newAccounts(t *testing.T, signups bool, lim store.SignInLimits) (*Accounts, *store.Store, *mailtest.Server) {
	t.Helper()
	st, err := store.Open(context.Background(), t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ms := mailtest.Start(t, mailtest.Options{})
	sender, err := mail.NewSMTP(ms.Config())
	if err != nil {
		t.Fatal(err)
	}
	a, err := NewAccounts(AccountsOptions{Store: st, Mail: sender, PublicURL: "https://recap.example.org/", AdminEmail: "Owner@Example.org",
		AllowSignups: signups, Limits: lim, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Wait)
	return a, st, ms
}

var someone = Requester{IP: "203.0.113.5", Bucket: "203.0.113.5", UserAgent: "test"}

func tokenOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("token")
}

// TestConcurrentConfirmationsOneSession: 16 confirmations of one token at
// once yield exactly one session.
func TestConcurrentConfirmationsOneSession(t *testing.T) {
	t.Parallel()
	a, st, ms := newAccounts(t, true, store.SignInLimits{})
	ctx := context.Background()
	if err := a.RequestLink(ctx, "ada@example.org", someone); err != nil {
		t.Fatal(err)
	}
	m := ms.Wait(t, 1)
	token := tokenOf(t, m.Link(t))
	if m.Link(t) != "https://recap.example.org/auth/verify?token="+token {
		t.Fatalf("link %s", m.Link(t))
	}
	var wins, invalid atomic.Int32
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			<-start
			_, _, err := a.Confirm(ctx, token, "", someone)
			switch {
			case err == nil:
				wins.Add(1)
			case errors.Is(err, store.ErrTokenInvalid):
				invalid.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	close(start)
	wg.Wait()
	if wins.Load() != 1 || invalid.Load() != 15 {
		t.Fatalf("%d confirmations won, %d refused", wins.Load(), invalid.Load())
	}
	u, err := st.UserByEmail(ctx, "ada@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if ss, _ := st.ListSessions(ctx, u.ID); len(ss) != 1 {
		t.Fatalf("%d sessions", len(ss))
	}
}

// TestConcurrentRequestsKeepTheLimit: 30 requests at once for one address
// with a limit of 5 mail exactly 5 links.
func TestConcurrentRequestsKeepTheLimit(t *testing.T) {
	t.Parallel()
	lim := DefaultSignInLimits
	a, st, ms := newAccounts(t, true, lim)
	ctx := context.Background()
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range 30 {
		wg.Go(func() {
			<-start
			if err := a.RequestLink(ctx, "ada@example.org", someone); err != nil {
				t.Error(err)
			}
		})
	}
	close(start)
	wg.Wait()
	a.Wait()
	if n := len(ms.Messages()); n != lim.PerEmail {
		t.Fatalf("%d mails, want %d", n, lim.PerEmail)
	}
	// The admitted ones are logged; the refused ones are counted per bucket.
	if n, _ := st.CountSignInRequests(ctx, "ada@example.org", "", time.Time{}); n != lim.PerEmail {
		t.Fatalf("%d requests logged", n)
	}
	if act, _ := st.SignInActivity(ctx, time.Time{}, 10); len(act) != 1 || act[0].Requests != 30 || act[0].Limited != 30-lim.PerEmail {
		t.Fatalf("activity %+v", act)
	}
}

func TestSignupsClosed(t *testing.T) {
	a, st, ms := newAccounts(t, false, store.SignInLimits{})
	ctx := context.Background()
	// An unknown address is told by mail that sign-ups are closed.
	if err := a.RequestLink(ctx, "stranger@example.org", someone); err != nil {
		t.Fatal(err)
	}
	if m := ms.Wait(t, 1); m.Header.Get("Subject") == "" || linkIn(m) {
		t.Fatalf("closed mail has a link:\n%s", m.Text)
	}
	// A link made anyway (by the action) cannot create the account.
	link, err := a.IssueLink(ctx, "stranger@example.org", Requester{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Confirm(ctx, tokenOf(t, link), "", someone); !errors.Is(err, ErrSignupsClosed) {
		t.Fatalf("confirm: %v", err)
	}
	// The admin's address always works, and is the admin.
	if err := a.RequestLink(ctx, " owner@EXAMPLE.org", someone); err != nil {
		t.Fatal(err)
	}
	_, u, err := a.Confirm(ctx, tokenOf(t, ms.Wait(t, 2).Link(t)), "", someone)
	if err != nil || !u.IsAdmin || u.Email != "owner@example.org" {
		t.Fatalf("admin confirm: %+v, %v", u, err)
	}
	// A disabled account gets no mail and cannot confirm an old link.
	link, _ = a.IssueLink(ctx, "owner@example.org", Requester{})
	if err := st.SetUserDisabled(ctx, u.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := a.RequestLink(ctx, "owner@example.org", someone); err != nil {
		t.Fatal(err)
	}
	a.Wait()
	if n := len(ms.Messages()); n != 2 {
		t.Fatalf("%d mails; the disabled account got one", n)
	}
	if _, _, err := a.Confirm(ctx, tokenOf(t, link), "", someone); !errors.Is(err, store.ErrUserDisabled) {
		t.Fatalf("disabled confirm: %v", err)
	}
}

func TestBadEmailIsTheOnlyError(t *testing.T) {
	t.Parallel()
	a, _, ms := newAccounts(t, true, store.SignInLimits{})
	for _, in := range []string{"a@x.test,b@evil.test", `"e@evil.test"@victim.test`, "a＠evil.test@victim.test", "ada@example.org\r\nBcc: b@evil.test"} {
		if err := a.RequestLink(context.Background(), in, someone); !errors.Is(err, ErrBadEmail) {
			t.Errorf("%q: %v", in, err)
		}
	}
	a.Wait()
	if n := len(ms.Messages()); n != 0 {
		t.Fatalf("%d mails sent", n)
	}
}

func linkIn(m mailtest.Message) bool { return strings.Contains(m.Text, "/auth/verify") }

// TestUndeliveredMailIsSentAfterRestart: a sign-in mail decided on but
// not delivered (the process was killed, or the mail server was down) is
// sent at the next start with a new, working link; the undelivered link
// stops working, and nothing in the database holds a token in clear.
func TestUndeliveredMailIsSentAfterRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := store.Open(ctx, t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	quiet := slog.New(slog.DiscardHandler)
	// The first run's mail server refuses every connection.
	closedPort := mailtest.FreePort(t)
	down, err := mail.NewSMTP(config.SMTP{Type: "custom", Host: "127.0.0.1", Port: closedPort, Security: "none", From: "recap@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	first, err := NewAccounts(AccountsOptions{Store: st, Mail: down, PublicURL: "https://recap.example.org/", AdminEmail: "owner@example.org", AllowSignups: true, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := first.RequestLink(ctx, "ada@example.org", someone); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	if p, _ := st.PendingMail(ctx); len(p) != 1 {
		t.Fatalf("outbox after a failed delivery: %+v", p)
	}

	// The next start, with a working mail server.
	ms := mailtest.Start(t, mailtest.Options{})
	up, err := mail.NewSMTP(ms.Config())
	if err != nil {
		t.Fatal(err)
	}
	second, err := NewAccounts(AccountsOptions{Store: st, Mail: up, PublicURL: "https://recap.example.org/", AdminEmail: "owner@example.org", AllowSignups: true, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	n, err := second.ResendPending(ctx)
	if err != nil || n != 1 {
		t.Fatalf("ResendPending = %d, %v", n, err)
	}
	second.Wait()
	m := ms.Wait(t, 1)
	if m.Rcpts[0] != "ada@example.org" {
		t.Fatalf("mailed to %v", m.Rcpts)
	}
	if _, _, err := second.Confirm(ctx, tokenOf(t, m.Link(t)), "", someone); err != nil {
		t.Fatalf("the resent link: %v", err)
	}
	if p, _ := st.PendingMail(ctx); len(p) != 0 {
		t.Fatalf("outbox after delivery: %+v", p)
	}
	if n, _ := second.ResendPending(ctx); n != 0 {
		t.Fatalf("sent again: %d", n)
	}
}
