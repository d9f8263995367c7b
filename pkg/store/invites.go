package store

// Invitations: how people join a Recap whose sign-ups are closed.
//
// An invitation is an allow-list entry, not an account: a row in invites
// for the canonical address, and a sign-in link (an ordinary signin
// token, valid for days rather than minutes) in the same transaction.
// The account is made at the first sign-in, as RedeemMagicLink makes one
// when sign-ups are open, and the invitation is marked accepted in that
// transaction. So someone who never accepts leaves no account behind,
// revoking leaves nothing to clean up, and the account's creation time
// and sign-up address are those of the person's first visit.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrInviteNotFound means there is no invitation for the address.
var ErrInviteNotFound = errors.New("store: no invitation for this address")

func migrateInvites(ctx context.Context, tx *sql.Tx) error {
	return execAll(ctx, tx, `CREATE TABLE invites (
	email_key     TEXT PRIMARY KEY, -- canonical address invited
	invited_by    TEXT NOT NULL,    -- the inviting admin's address, as the mail named it
	created_at    INTEGER NOT NULL, -- first invited
	sent_at       INTEGER NOT NULL, -- last (re)sent
	accepted_at   INTEGER,          -- the first sign-in, which made the account
	accepted_user TEXT              -- the account it made
)`)
}

// Invitation is one row of invites.
type Invitation struct {
	Email      string // canonical address
	InvitedBy  string
	CreatedAt  time.Time
	SentAt     time.Time
	AcceptedAt time.Time // zero while pending
	UserID     string    // the account made by accepting
}

// Pending reports whether the invitation has not been used yet.
func (i *Invitation) Pending() bool { return i.AcceptedAt.IsZero() }

// NewInvite is what inviting takes: the address, who invites, and the
// sign-in link to store with it.
type NewInvite struct {
	Email     string // canonical address
	InvitedBy string
	TokenHash string // HashToken of the link's token
	ExpiresAt time.Time
}

// CreateInvite records an invitation (or renews a pending one: re-sent
// now, with a new link beside the old) and stores its link, in one
// transaction. An address that already has an account gives
// ErrEmailTaken and writes nothing.
func (s *Store) CreateInvite(ctx context.Context, in NewInvite) (*Invitation, error) {
	if in.Email == "" || in.TokenHash == "" || in.ExpiresAt.IsZero() {
		return nil, fmt.Errorf("store: invite: address, token and expiry are required")
	}
	key := EmailKey(in.Email)
	var inv *Invitation
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE email_key = ?`, key).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ErrEmailTaken
		}
		now := ms(s.now())
		row := tx.QueryRowContext(ctx, `INSERT INTO invites (email_key, invited_by, created_at, sent_at) VALUES (?1, ?2, ?3, ?3)
			ON CONFLICT (email_key) DO UPDATE SET invited_by = ?2, sent_at = ?3, accepted_at = NULL, accepted_user = NULL
			RETURNING `+inviteColumns, key, in.InvitedBy, now)
		var err error
		if inv, err = scanInvite(row); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO magic_link_tokens (token_hash, email, created_at, expires_at, intent, request_ua)
			VALUES (?, ?, ?, ?, ?, 'invitation')`, in.TokenHash, key, now, ms(in.ExpiresAt), IntentSignIn)
		return err
	})
	if errors.Is(err, ErrEmailTaken) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("store: invite: %w", err)
	}
	return inv, nil
}

const inviteColumns = `email_key, invited_by, created_at, sent_at, accepted_at, coalesce(accepted_user, '')`

func scanInvite(sc interface{ Scan(...any) error }) (*Invitation, error) {
	var i Invitation
	var created, sent, accepted sql.NullInt64
	if err := sc.Scan(&i.Email, &i.InvitedBy, &created, &sent, &accepted, &i.UserID); err != nil {
		return nil, err
	}
	i.CreatedAt, i.SentAt, i.AcceptedAt = fromMS(created), fromMS(sent), fromMS(accepted)
	return &i, nil
}

// ListInvites returns the invitations, pending first, newest first.
func (s *Store) ListInvites(ctx context.Context) ([]Invitation, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+inviteColumns+` FROM invites
		ORDER BY accepted_at IS NOT NULL, sent_at DESC, email_key`)
	if err != nil {
		return nil, fmt.Errorf("store: list invites: %w", err)
	}
	defer rows.Close()
	out := []Invitation{}
	for rows.Next() {
		i, err := scanInvite(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list invites: %w", err)
		}
		out = append(out, *i)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list invites: %w", err)
	}
	return out, nil
}

// RevokeInvite withdraws a pending invitation: the row goes, and so do
// the unused sign-in links of an address that has no account, so the
// mailed link stops working. An accepted invitation is not revoked (the
// account exists; remove it instead): ErrInviteNotFound, as for an
// address never invited.
func (s *Store) RevokeInvite(ctx context.Context, email string) error {
	key := EmailKey(email)
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM invites WHERE email_key = ? AND accepted_at IS NULL`, key)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrInviteNotFound
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM magic_link_tokens WHERE email = ? AND used_at IS NULL
			AND NOT EXISTS (SELECT 1 FROM users WHERE email_key = ?)`, key, key)
		return err
	})
	if errors.Is(err, ErrInviteNotFound) {
		return err
	}
	if err != nil {
		return fmt.Errorf("store: revoke invite: %w", err)
	}
	return nil
}

// invited reports whether a pending invitation lets key make an account.
func invited(ctx context.Context, tx *sql.Tx, key string) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM invites WHERE email_key = ? AND accepted_at IS NULL`, key).Scan(&n)
	return n > 0, err
}

// acceptInvite marks key's invitation used by the account it made.
func acceptInvite(ctx context.Context, tx *sql.Tx, key, userID string, now time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE invites SET accepted_at = ?, accepted_user = ? WHERE email_key = ? AND accepted_at IS NULL`,
		ms(now), userID, key)
	return err
}
