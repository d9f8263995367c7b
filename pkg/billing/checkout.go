package billing

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/recap-startos/recap/pkg/auth"
	"github.com/recap-startos/recap/pkg/credits"
	"github.com/recap-startos/recap/pkg/store"
)

// Reuse of an open order: a double click (or a reload of the pricing
// page) within reuseFor gets the same order back, as long as its
// Lightning invoice has more than reuseMargin to run.
const (
	reuseFor    = time.Hour
	reuseMargin = 2 * time.Minute
	// createWait bounds how long a second checkout waits for the first
	// one's invoice to be created.
	createWait = 25 * time.Second
)

// Checkout starts paying for an offer: it returns the buyer's open order
// for the same offer and method if there is one, or records a new order
// and creates its invoice at the provider. Prices come from the config
// only. Errors: ErrNotConfigured, ErrUnknownOffer, ErrMethodUnavailable,
// ErrBadBuyer, ErrBelowCurrentPlan, ErrProviderDown (the order is kept as
// failed).
func (s *Service) Checkout(ctx context.Context, b Buyer, offerID string, m Method) (Order, error) {
	if !s.Enabled() {
		return Order{}, ErrNotConfigured
	}
	offer, err := s.Offer(offerID)
	if err != nil {
		return Order{}, err
	}
	provider := s.providerFor(offer, m)
	if provider == "" {
		return Order{}, fmt.Errorf("%w: %s payments are off", ErrNotConfigured, m)
	}
	amount, currency, ok := offer.Price(m)
	if !ok {
		return Order{}, fmt.Errorf("%w: %s by %s", ErrMethodUnavailable, offer.ID, m)
	}
	if provider == ProviderRelay && b.UserID == "" {
		// The relay keys tiers by user id: the account must exist first.
		return Order{}, ErrSignInToBuy
	}
	b, key, err := s.checkBuyer(ctx, b, offer)
	if err != nil {
		return Order{}, err
	}
	o := Order{
		ID: newOrderID(), Status: StatusOpen, Offer: offer, Method: m, Buyer: b,
		Amount: amount, Currency: currency, Provider: provider, CreatedAt: s.now().UTC(),
	}
	existing, err := s.findOrInsert(ctx, o, key)
	if err != nil {
		return Order{}, err
	}
	if existing != "" {
		return s.awaitCreated(ctx, existing)
	}
	return s.create(ctx, o)
}

func (s *Service) providerFor(offer Offer, m Method) string {
	switch {
	case offer.Kind == KindPlan && s.opt.Relay != nil:
		if _, _, ok := offer.Price(m); ok {
			return ProviderRelay
		}
		return ""
	case m == Lightning && s.btcpay != nil:
		return ProviderBTCPay
	case m == Card && s.zaprite != nil:
		return ProviderZaprite
	}
	return ""
}

// checkBuyer normalises the buyer and returns the key its open orders
// are found by.
func (s *Service) checkBuyer(ctx context.Context, b Buyer, offer Offer) (Buyer, string, error) {
	switch {
	case b.UserID != "":
		return s.checkAccount(ctx, b.UserID, offer)
	case offer.Kind == KindPlan && b.Email != "":
		email, err := auth.CanonicalEmail(b.Email)
		if err != nil {
			return b, "", fmt.Errorf("%w: %q is not an email address", ErrBadBuyer, b.Email)
		}
		return Buyer{Email: email}, "email:" + email, nil
	case offer.Kind == KindPack && b.TrialID != "":
		return s.checkTrial(ctx, b.TrialID)
	case offer.Kind == KindPlan:
		return b, "", fmt.Errorf("%w: a plan needs an account or an email address", ErrBadBuyer)
	}
	return b, "", fmt.Errorf("%w: credits need an account or a trial", ErrBadBuyer)
}

// checkAccount accepts an enabled account, and for a plan one that does
// not have a larger plan now.
func (s *Service) checkAccount(ctx context.Context, userID string, offer Offer) (Buyer, string, error) {
	u, err := s.opt.Store.UserByID(ctx, userID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.Disabled()) {
		return Buyer{}, "", fmt.Errorf("%w: no such account", ErrBadBuyer)
	}
	if err != nil {
		return Buyer{}, "", err
	}
	if offer.Kind == KindPlan {
		if err := s.checkNotBelow(ctx, userID, offer); err != nil {
			return Buyer{}, "", err
		}
	}
	return Buyer{UserID: userID}, "user:" + userID, nil
}

// checkTrial accepts a trial that has not become an account.
func (s *Service) checkTrial(ctx context.Context, trialID string) (Buyer, string, error) {
	var n int
	err := s.opt.Store.View(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT count(*) FROM anon_trials WHERE cookie_id = ? AND converted_to_user_id IS NULL`, trialID).Scan(&n)
	})
	if err != nil {
		return Buyer{}, "", fmt.Errorf("billing: find the trial: %w", err)
	}
	if n == 0 {
		return Buyer{}, "", fmt.Errorf("%w: the trial has ended; sign in to buy credits", ErrBadBuyer)
	}
	return Buyer{TrialID: trialID}, "trial:" + trialID, nil
}

// checkNotBelow refuses a plan smaller than the buyer's active one.
func (s *Service) checkNotBelow(ctx context.Context, userID string, offer Offer) error {
	tier, until, err := s.opt.Ledger.Tier(ctx, userID)
	if err != nil {
		return err
	}
	if tier == credits.TierCore || tier == offer.Tier || (!until.IsZero() && !until.After(s.now())) {
		return nil
	}
	if s.worth()[tier] > s.worth()[offer.Tier] {
		return fmt.Errorf("%w (%s until %s)", ErrBelowCurrentPlan, tier, until.UTC().Format("2006-01-02"))
	}
	return nil
}

// worth is what 30 days of each paid tier cost, for converting the days
// of one into the other: sats when both plans have a Lightning price,
// else the card prices, else nothing (pkg/credits then uses their
// allowances).
func (s *Service) worth() map[string]int64 {
	p := s.opt.Payments
	switch {
	case p.Pro.Sats > 0 && p.Max.Sats > 0:
		return map[string]int64{credits.TierPro: int64(p.Pro.Sats), credits.TierMax: int64(p.Max.Sats)}
	case p.Pro.Fiat > 0 && p.Max.Fiat > 0:
		return map[string]int64{credits.TierPro: int64(p.Pro.Fiat), credits.TierMax: int64(p.Max.Fiat)}
	}
	pol := s.opt.Ledger.Policy()
	return map[string]int64{credits.TierPro: int64(pol.Plan(credits.TierPro).Credits), credits.TierMax: int64(pol.Plan(credits.TierMax).Credits)}
}

// findOrInsert returns the id of the buyer's reusable open order, or
// records o and returns "". Both happen in one write, so of two
// simultaneous checkouts (even in two processes) one records the order
// and the other finds it.
func (s *Service) findOrInsert(ctx context.Context, o Order, buyerKey string) (string, error) {
	var found string
	now := s.now()
	err := s.opt.Store.Update(ctx, func(ctx context.Context, tx *sql.Tx) error {
		found = ""
		err := tx.QueryRowContext(ctx, `SELECT id FROM billing_orders
			WHERE buyer_key = ? AND offer_id = ? AND method = ? AND amount = ? AND status = 'open' AND applied_at IS NULL
				AND created_at > ? AND (expires_at IS NULL OR expires_at > ?)
				AND (provider_ref IS NOT NULL OR created_at > ?)
			ORDER BY created_at DESC LIMIT 1`,
			buyerKey, o.Offer.ID, o.Method, o.Amount, now.Add(-reuseFor).UnixMilli(), now.Add(reuseMargin).UnixMilli(),
			now.Add(-createWait).UnixMilli()).Scan(&found)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO billing_orders (id, offer_id, kind, tier, days, credits, method, provider, amount, currency,
			buyer_key, buyer_user_id, buyer_email, buyer_trial_id, status, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)`,
			o.ID, o.Offer.ID, o.Offer.Kind, nullStr(o.Offer.Tier), o.Offer.Days, o.Offer.Credits, o.Method, o.Provider, o.Amount, o.Currency,
			buyerKey, nullStr(o.Buyer.UserID), nullStr(o.Buyer.Email), nullStr(o.Buyer.TrialID), now.UnixMilli(), now.UnixMilli())
		return err
	})
	if err != nil {
		return "", fmt.Errorf("billing: record an order: %w", err)
	}
	return found, nil
}

// awaitCreated returns an order recorded by another checkout once its
// invoice exists (or its creation failed).
func (s *Service) awaitCreated(ctx context.Context, id string) (Order, error) {
	deadline := time.Now().Add(createWait)
	for {
		o, err := s.stored(ctx, id)
		if err != nil {
			return o, err
		}
		switch {
		case o.Status == StatusFailed:
			return o, fmt.Errorf("%w: %s", ErrProviderDown, o.Note)
		case o.ProviderRef != "":
			return o, nil
		case time.Now().After(deadline):
			return o, fmt.Errorf("%w: the invoice is still being made; try again", ErrProviderDown)
		}
		select {
		case <-ctx.Done():
			return o, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// create asks the provider for the order's invoice and records it with
// the earlier Recap's pending row; a failure marks the order failed.
func (s *Service) create(ctx context.Context, o Order) (Order, error) {
	var r remote
	var err error
	ret := s.returnURL(o.ID)
	switch o.Provider {
	case ProviderRelay:
		r, err = s.relayCreate(ctx, o, ret)
	case ProviderBTCPay:
		r, err = s.btcpay.create(ctx, o, ret)
	default:
		r, err = s.zaprite.create(ctx, o, ret)
	}
	if err == nil && r.ref == "" {
		err = &providerError{provider: o.Provider, msg: "the answer has no id"}
	}
	if err != nil {
		s.log.Error("payment provider refused an order", "order", o.ID, "provider", o.Provider, "error", err)
		if ferr := s.markFailed(context.WithoutCancel(ctx), o.ID, err.Error()); ferr != nil {
			return o, ferr
		}
		if errors.Is(err, ErrBelowCurrentPlan) || errors.Is(err, ErrMethodUnavailable) {
			return o, err
		}
		return o, fmt.Errorf("billing: create the %s invoice: %w", o.Provider, err)
	}
	now := s.now()
	err = s.opt.Store.Update(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE billing_orders SET provider_ref = ?, provider_status = ?, bolt11 = ?, checkout_url = ?,
			expires_at = ?, note = ?, updated_at = ?, checked_at = ? WHERE id = ?`,
			r.ref, nullStr(r.providerStatus), nullStr(r.bolt11), nullStr(r.checkoutURL), nullMS(r.expiresAt), nullStr(r.note),
			now.UnixMilli(), now.UnixMilli(), o.ID); err != nil {
			return err
		}
		return insertPending(ctx, tx, o, r.ref, now)
	})
	if err != nil {
		return o, fmt.Errorf("billing: record the invoice of %s: %w", o.ID, err)
	}
	s.log.Info("order created", "order", o.ID, "offer", o.Offer.ID, "method", o.Method, "provider", o.Provider)
	return s.stored(ctx, o.ID)
}

// insertPending writes the earlier Recap's row for an order: a pack in
// pending_purchases, a plan bought by an email address in
// pending_signups, keyed by the provider's id.
func insertPending(ctx context.Context, tx *sql.Tx, o Order, ref string, now time.Time) error {
	switch {
	case o.Offer.Kind == KindPack && o.Buyer.UserID != "":
		_, err := tx.ExecContext(ctx, `INSERT INTO pending_purchases (invoice_id, buyer_type, buyer_id, credits, created_at) VALUES (?, 'user', ?, ?, ?)`,
			ref, o.Buyer.UserID, o.Offer.Credits, now.UnixMilli())
		return err
	case o.Offer.Kind == KindPack:
		_, err := tx.ExecContext(ctx, `INSERT INTO pending_purchases (invoice_id, buyer_type, buyer_id, credits, created_at) VALUES (?, 'anon', ?, ?, ?)`,
			ref, o.Buyer.TrialID, o.Offer.Credits, now.UnixMilli())
		return err
	case o.Buyer.Email != "":
		_, err := tx.ExecContext(ctx, `INSERT INTO pending_signups (invoice_id, email, policy_slug, created_at) VALUES (?, ?, ?, ?)`,
			ref, o.Buyer.Email, o.Offer.Tier, now.UnixMilli())
		return err
	}
	return nil
}

func (s *Service) markFailed(ctx context.Context, id, why string) error {
	if len(why) > 500 {
		why = why[:500]
	}
	now := s.now().UnixMilli()
	err := s.opt.Store.Update(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE billing_orders SET status = 'failed', note = ?, updated_at = ? WHERE id = ? AND provider_ref IS NULL`, why, now, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("billing: mark order %s failed: %w", id, err)
	}
	return nil
}

// returnURL is the order page the provider sends the buyer back to.
func (s *Service) returnURL(id string) string {
	base := strings.TrimRight(s.opt.PublicURL, "/")
	return base + "/billing/orders/" + url.PathEscape(id)
}

func newOrderID() string {
	var b [16]byte
	rand.Read(b[:])
	return "ord_" + hex.EncodeToString(b[:])
}
