package store

import (
	"context"
	"testing"
	"time"
)

func TestPrune(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	st, _ := openTest(t, Options{Now: c.now, SessionTTL: 24 * time.Hour})
	u, err := st.CreateUser(ctx, NewUser{Email: "a@example.org"})
	must(t, err)
	_, err = st.CreateSession(ctx, NewSession{TokenHash: HashToken("old"), UserID: u.ID})
	must(t, err)
	must(t, st.CreateMagicLink(ctx, MagicLink{TokenHash: HashToken("link-old"), Email: u.Email, ExpiresAt: c.now().Add(15 * time.Minute)}))
	must(t, st.LogSignInRequest(ctx, SignInRequest{Email: u.Email, IPBucket: "192.0.2.1", Outcome: "sent"}))

	c.add(31 * 24 * time.Hour)
	_, err = st.CreateSession(ctx, NewSession{TokenHash: HashToken("new"), UserID: u.ID})
	must(t, err)
	must(t, st.CreateMagicLink(ctx, MagicLink{TokenHash: HashToken("link-new"), Email: u.Email, ExpiresAt: c.now().Add(15 * time.Minute)}))
	must(t, st.LogSignInRequest(ctx, SignInRequest{Email: u.Email, IPBucket: "192.0.2.1", Outcome: "sent"}))

	p, err := st.Prune(ctx)
	must(t, err)
	if p != (Pruned{Sessions: 1, MagicLinks: 1, SignIns: 1}) {
		t.Fatalf("pruned %+v, want one of each", p)
	}
	if _, _, err := st.SessionByHash(ctx, HashToken("new")); err != nil {
		t.Fatalf("the live session went too: %v", err)
	}
	if p, _ := st.Prune(ctx); p != (Pruned{}) {
		t.Fatalf("second prune removed %+v", p)
	}
}
