package billing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/recap-startos/recap/pkg/credits"
	"github.com/recap-startos/recap/pkg/store"
)

// refresh re-reads an order's invoice from its provider, records what
// the provider says and applies the order when it is paid. It returns
// the order as stored afterwards.
func (s *Service) refresh(ctx context.Context, o Order) (Order, error) {
	r, err := s.fetch(ctx, o)
	if err != nil {
		return o, err
	}
	if why := mismatch(o, r, s.opt.Payments.BTCPay.StoreID); why != "" {
		s.log.Error("provider's invoice does not match the order; not applied", "order", o.ID, "provider", o.Provider, "why", why)
		r.state, r.note = StatusInvalid, "not applied: "+why
	}
	if err := s.record(ctx, o.ID, r); err != nil {
		return o, err
	}
	if r.state == StatusPaid {
		if err := s.apply(ctx, o.ID, r); err != nil {
			return o, err
		}
	}
	return s.stored(ctx, o.ID)
}

func (s *Service) fetch(ctx context.Context, o Order) (remote, error) {
	switch {
	case o.Provider == ProviderRelay && s.opt.Relay != nil:
		return s.relayGet(ctx, o.ProviderRef)
	case o.Provider == ProviderBTCPay && s.btcpay != nil:
		return s.btcpay.get(ctx, o.ProviderRef)
	case o.Provider == ProviderZaprite && s.zaprite != nil:
		return s.zaprite.get(ctx, o.ProviderRef)
	}
	return remote{}, fmt.Errorf("%w: %s is no longer configured", ErrNotConfigured, o.Provider)
}

// mismatch says why a provider's invoice cannot be the order's: another
// order id, another store, another price. Anything that could let a
// forged or tampered invoice settle an order is refused.
func mismatch(o Order, r remote, storeID string) string {
	switch {
	case r.ref != o.ProviderRef:
		return fmt.Sprintf("the provider returned invoice %q for %q", r.ref, o.ProviderRef)
	case r.orderID != o.ID:
		return fmt.Sprintf("the invoice names order %q", r.orderID)
	case o.Provider == ProviderBTCPay && r.store != "" && r.store != storeID:
		return fmt.Sprintf("the invoice belongs to store %q", r.store)
	case !r.amountOK || r.amount != o.Amount || !strings.EqualFold(r.currency, o.Currency):
		return fmt.Sprintf("the invoice asks %d %s, the order %d %s", r.amount, r.currency, o.Amount, o.Currency)
	}
	return ""
}

// record saves the provider's view of an unapplied order: its status
// (paid is set by apply), the BOLT11 and expiry.
func (s *Service) record(ctx context.Context, id string, r remote) error {
	status := r.state
	if status == StatusPaid {
		status = StatusProcessing // until apply commits
	}
	now := s.now().UnixMilli()
	err := s.opt.Store.Update(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE billing_orders SET status = ?, provider_status = ?, note = ?,
			bolt11 = coalesce(?, bolt11), expires_at = coalesce(?, expires_at), updated_at = ?, checked_at = ?
			WHERE id = ? AND applied_at IS NULL`,
			status, nullStr(r.providerStatus), nullStr(r.note), nullStr(r.bolt11), nullMS(r.expiresAt), now, now, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("billing: record order %s: %w", id, err)
	}
	return nil
}

// applied is what one application did, for after the commit.
type applied struct {
	mailID int64 // a sign-in mail queued for an account the purchase made
	relay  bool  // a tier update was queued for the relay
}

// apply applies a paid order exactly once: in one transaction it claims
// the order (UPDATE … WHERE applied_at IS NULL; a second applier, here or
// in another process, changes no row and stops), gives what was bought,
// marks the seed table's row applied, and records the period. The
// sign-in mail of an account it made goes out after the commit.
func (s *Service) apply(ctx context.Context, id string, r remote) error {
	note := r.note
	var done applied
	err := s.opt.Store.Update(ctx, func(ctx context.Context, tx *sql.Tx) error {
		done = applied{}
		now := s.now()
		res, err := tx.ExecContext(ctx, `UPDATE billing_orders SET applied_at = ?, status = 'paid', note = ?, updated_at = ?
			WHERE id = ? AND applied_at IS NULL`, now.UnixMilli(), nullStr(note), now.UnixMilli(), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err // applied already
		}
		o, err := loadOrder(ctx, tx, id)
		if err != nil {
			return err
		}
		done, err = s.give(ctx, tx, o, now, r)
		return err
	})
	if err != nil {
		return fmt.Errorf("billing: apply order %s: %w", id, err)
	}
	if done.relay {
		s.opt.Ledger.NudgeRelay()
	}
	if done.mailID != 0 {
		s.sendSignIn(ctx, id, done.mailID)
	}
	return nil
}

// give hands over what an order bought, inside the applying transaction.
func (s *Service) give(ctx context.Context, tx *sql.Tx, o Order, now time.Time, r remote) (applied, error) {
	var done applied
	userID := o.Buyer.UserID
	if o.Offer.Kind == KindPack {
		var err error
		if userID != "" {
			err = s.opt.Ledger.AddPurchase(ctx, tx, userID, o.Offer.Credits, o.ID, userID)
		} else {
			userID, err = s.opt.Ledger.AddTrialPurchase(ctx, tx, o.Buyer.TrialID, o.Offer.Credits, o.ID)
		}
		if err != nil {
			return done, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE pending_purchases SET applied_at = ? WHERE invoice_id = ? AND applied_at IS NULL`, now.UnixMilli(), o.ProviderRef); err != nil {
			return done, err
		}
		_, err = tx.ExecContext(ctx, `UPDATE billing_orders SET user_id = ? WHERE id = ?`, nullStr(userID), o.ID)
		return done, err
	}
	if userID == "" {
		u, created, err := store.EnsureUserTx(ctx, tx, store.NewUser{Email: o.Buyer.Email}, now)
		if err != nil {
			return done, err
		}
		userID = u.ID
		if !created && u.Disabled() {
			s.log.Warn("a plan was bought for a disabled account; applied, no mail sent", "order", o.ID)
		} else if done.mailID, err = store.QueueMailTx(ctx, tx, store.OutboxMail{Email: u.Email, Kind: store.MailSignIn, CreatedAt: now}); err != nil {
			return done, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE pending_signups SET applied_at = ? WHERE invoice_id = ? AND applied_at IS NULL`, now.UnixMilli(), o.ProviderRef); err != nil {
			return done, err
		}
	}
	p := credits.PlanPurchase{OrderID: o.ID, UserID: userID, Tier: o.Offer.Tier, Days: o.Offer.Days, Worth: s.worth(), Actor: userID}
	if o.Method == Lightning {
		p.InvoiceID, p.AmountSats = o.ProviderRef, o.Amount
	}
	var per credits.Period
	var err error
	if o.Provider == ProviderRelay {
		per, err = s.opt.Ledger.ApplyRelayPlan(ctx, tx, p, r.tier, r.tierEnd)
	} else {
		per, err = s.opt.Ledger.ApplyPlan(ctx, tx, p)
		done.relay = true
	}
	if err != nil {
		return done, err
	}
	_, err = tx.ExecContext(ctx, `UPDATE billing_orders SET user_id = ?, applied_tier = ?, period_start = ?, period_end = ? WHERE id = ?`,
		userID, per.Tier, per.Start.UnixMilli(), per.End.UnixMilli(), o.ID)
	return done, err
}

// sendSignIn mails the sign-in link of an account a purchase made. A
// failure leaves the mail in the outbox, sent at the next start.
func (s *Service) sendSignIn(ctx context.Context, orderID string, mailID int64) {
	if s.opt.Mail == nil {
		s.log.Warn("sign-in mail of a bought account left in the outbox: no mailer", "order", orderID)
		return
	}
	if err := s.opt.Mail.SendQueued(context.WithoutCancel(ctx), mailID); err != nil && !errors.Is(err, context.Canceled) {
		s.log.Error("sign-in mail of a bought account not sent; it is tried again at the next start", "order", orderID, "error", err)
	}
}
