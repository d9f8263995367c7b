package store

import (
	"context"
	"fmt"
	"time"
)

// SignInLogRetention is how long sign-in requests are kept for the
// limits and the admin's abuse view.
const SignInLogRetention = 30 * 24 * time.Hour

// Pruned counts the rows Prune removed.
type Pruned struct {
	Sessions, MagicLinks, SignIns int64
}

// Prune removes what has no further use: sessions past their expiry,
// sign-in links past theirs, and sign-in requests older than
// SignInLogRetention.
func (s *Store) Prune(ctx context.Context) (Pruned, error) {
	now := s.now()
	var p Pruned
	var err error
	if p.Sessions, err = s.DeleteExpiredSessions(ctx, now); err != nil {
		return p, fmt.Errorf("store: prune: %w", err)
	}
	if p.MagicLinks, err = s.DeleteExpiredMagicLinks(ctx, now); err != nil {
		return p, fmt.Errorf("store: prune: %w", err)
	}
	if p.SignIns, err = s.DeleteSignInRequestsBefore(ctx, now.Add(-SignInLogRetention)); err != nil {
		return p, fmt.Errorf("store: prune: %w", err)
	}
	return p, nil
}
