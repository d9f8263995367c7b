package auth

// Family accounts: invitations, and deleting one's own account.
//
// Invite makes an invitation (an allow-list entry, see store.CreateInvite)
// with a sign-in link valid for InviteTTL, and mails it with a welcome
// naming the inviter and the server's address. The mail is sent before
// Invite returns, so the admin learns at once whether it went; when it
// cannot be sent the caller shows the link for the admin to pass on.
//
// Deleting one's own account takes two steps, so that a borrowed,
// unlocked browser cannot do it: RequestDeletion mails a link (intent
// IntentDeleteAccount, valid for DeleteTTL) to the account's address,
// and ConfirmDeletion consumes it and names the account to remove.

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/recap-startos/recap/pkg/mail"
	"github.com/recap-startos/recap/pkg/store"
)

// InviteTTL is how long an invitation's link works.
const InviteTTL = 7 * 24 * time.Hour

// DeleteTTL is how long the link confirming an account's deletion works.
const DeleteTTL = 30 * time.Minute

// IntentDeleteAccount is the intent of the link that confirms deleting
// an account; a sign-in link never deletes and this one never signs in.
const IntentDeleteAccount = "delete-account"

// Errors of the family account flows.
var (
	// ErrAlreadyMember means an invited address already has an account.
	ErrAlreadyMember = errors.New("auth: this address already has an account")
	// ErrNoMail means no mail server is configured.
	ErrNoMail = errors.New("auth: no mail server is configured")
	// ErrOwnerAccount means the owner's account (mode.admin-email) was to
	// be removed or deleted.
	ErrOwnerAccount = errors.New("auth: the owner's account cannot be removed; change the admin email on the Config page first")
)

// Invited is the outcome of Invite.
type Invited struct {
	Email   string // canonical address
	Link    string // the sign-in link; show it only when the mail was not sent
	Mailed  bool
	MailErr error // why the mail was not sent, when it was not
	Renewed bool  // a pending invitation was sent again
}

// Invite invites an address (see the package comment above). invitedBy
// is named in the welcome. Errors: ErrBadEmail, ErrAlreadyMember.
func (a *Accounts) Invite(ctx context.Context, typed, invitedBy string) (*Invited, error) {
	email, err := CanonicalEmail(typed)
	if err != nil {
		return nil, ErrBadEmail
	}
	token := NewToken()
	inv, err := a.opt.Store.CreateInvite(ctx, store.NewInvite{Email: email, InvitedBy: invitedBy,
		TokenHash: store.HashToken(token), ExpiresAt: time.Now().Add(InviteTTL)})
	if errors.Is(err, store.ErrEmailTaken) {
		return nil, ErrAlreadyMember
	}
	if err != nil {
		return nil, err
	}
	out := &Invited{Email: email, Link: a.LinkURL(token), Renewed: !inv.SentAt.Equal(inv.CreatedAt)}
	msg, err := mail.InviteMessage(mail.Invite{To: email, InvitedBy: invitedBy, Link: out.Link, Home: a.base.String(),
		Site: a.base.Host, ValidFor: InviteTTL})
	if err != nil {
		return nil, err
	}
	out.MailErr = a.sendNow(ctx, msg)
	out.Mailed = out.MailErr == nil
	a.log.Info("invitation made", "email", MaskEmail(email), "mailed", out.Mailed, "renewed", out.Renewed)
	return out, nil
}

// sendNow mails msg before returning; failures are logged without the
// message (which holds a link).
func (a *Accounts) sendNow(ctx context.Context, msg mail.Message) error {
	if a.opt.Mail == nil {
		return ErrNoMail
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := a.opt.Mail.Send(ctx, msg); err != nil {
		a.log.Warn("mail not sent", "to", MaskEmail(msg.To), "error", err)
		return err
	}
	return nil
}

// IsOwner reports whether u is the owner's account (mode.admin-email),
// which is never removed or deleted.
func (a *Accounts) IsOwner(u *store.User) bool {
	return store.EmailKey(u.Email) == a.opt.AdminEmail
}

// RequestDeletion mails u a link that confirms deleting the account,
// naming how many recaps go with it. ErrOwnerAccount for the owner.
func (a *Accounts) RequestDeletion(ctx context.Context, u *store.User, recaps int, from Requester) error {
	if a.IsOwner(u) {
		return ErrOwnerAccount
	}
	token := NewToken()
	now := time.Now()
	if err := a.opt.Store.CreateMagicLink(ctx, store.MagicLink{TokenHash: store.HashToken(token), Email: u.Email,
		Intent: IntentDeleteAccount, CreatedAt: now, ExpiresAt: now.Add(DeleteTTL), RequestIP: from.IP, RequestUA: from.UserAgent}); err != nil {
		return err
	}
	u2 := *a.base
	u2.Path = strings.TrimRight(u2.Path, "/") + "/account/delete/confirm"
	u2.RawQuery = "token=" + token
	msg, err := mail.DeleteAccountMessage(mail.DeleteAccount{To: u.Email, Link: u2.String(), Site: a.base.Host,
		Recaps: recaps, ValidFor: DeleteTTL})
	if err != nil {
		return err
	}
	return a.sendNow(ctx, msg)
}

// ConfirmDeletion consumes a deletion link and returns the account it
// deletes; the caller removes it. Errors: store.ErrTokenInvalid (unknown,
// used, expired or a sign-in link), store.ErrNotFound (the account is
// already gone), ErrOwnerAccount.
func (a *Accounts) ConfirmDeletion(ctx context.Context, token string) (*store.User, error) {
	if !WellFormedToken(token) {
		return nil, store.ErrTokenInvalid
	}
	l, err := a.opt.Store.ConsumeMagicLink(ctx, store.HashToken(token), IntentDeleteAccount)
	if err != nil {
		return nil, err
	}
	u, err := a.opt.Store.UserByEmail(ctx, l.Email)
	if err != nil {
		return nil, err
	}
	if a.IsOwner(u) {
		return nil, ErrOwnerAccount
	}
	return u, nil
}
