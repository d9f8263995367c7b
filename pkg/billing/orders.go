package billing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// orderColumns are the billing_orders columns scanOrder reads, in order.
const orderColumns = `id, offer_id, kind, tier, days, credits, method, provider, provider_ref, amount, currency,
	buyer_user_id, buyer_email, buyer_trial_id, status, provider_status, bolt11, checkout_url, expires_at, note,
	created_at, updated_at, applied_at, user_id, applied_tier, period_start, period_end`

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func scanOrder(sc interface{ Scan(...any) error }) (Order, error) {
	var o Order
	var tier, ref, userID, email, trial, pstatus, bolt11, checkout, note, appliedUser, appliedTier sql.NullString
	var expires, applied, pstart, pend sql.NullInt64
	var created, updated int64
	err := sc.Scan(&o.ID, &o.Offer.ID, &o.Offer.Kind, &tier, &o.Offer.Days, &o.Offer.Credits, &o.Method, &o.Provider, &ref,
		&o.Amount, &o.Currency, &userID, &email, &trial, &o.Status, &pstatus, &bolt11, &checkout, &expires, &note,
		&created, &updated, &applied, &appliedUser, &appliedTier, &pstart, &pend)
	if err != nil {
		return o, err
	}
	o.Offer.Tier, o.ProviderRef, o.ProviderStatus, o.CheckoutURL, o.Note = tier.String, ref.String, pstatus.String, checkout.String, note.String
	o.Buyer = Buyer{UserID: userID.String, Email: email.String, TrialID: trial.String}
	o.CreatedAt, o.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	o.SettledAt, o.PeriodStart, o.PeriodEnd = msTime(applied), msTime(pstart), msTime(pend)
	o.UserID, o.Tier = appliedUser.String, appliedTier.String
	if o.Method == Lightning {
		o.Offer.Sats = o.Amount
	} else {
		o.Offer.Fiat, o.Offer.Currency = o.Amount, o.Currency
	}
	if bolt11.Valid && o.Method == Lightning {
		o.Lightning = &LightningInvoice{BOLT11: bolt11.String, ExpiresAt: msTime(expires), Sats: o.Amount}
	}
	return o, nil
}

func msTime(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64).UTC()
}

func nullMS(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func loadOrder(ctx context.Context, q queryer, id string) (Order, error) {
	o, err := scanOrder(q.QueryRowContext(ctx, `SELECT `+orderColumns+` FROM billing_orders WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return o, ErrUnknownOrder
	}
	return o, err
}

// stored returns an order as the database has it, without asking the
// provider.
func (s *Service) stored(ctx context.Context, id string) (Order, error) {
	var o Order
	err := s.opt.Store.View(ctx, func(tx *sql.Tx) error {
		var err error
		o, err = loadOrder(ctx, tx, id)
		return err
	})
	if errors.Is(err, ErrUnknownOrder) {
		return o, fmt.Errorf("%w: %s", ErrUnknownOrder, id)
	}
	if err != nil {
		return o, fmt.Errorf("billing: read order %s: %w", id, err)
	}
	return o, nil
}

// Order returns an order, first re-reading it from the provider when it
// is still being watched (at most once every few seconds per order, so a
// page that polls does not hammer the provider). A provider that does not
// answer leaves the stored state, which is returned without an error.
func (s *Service) Order(ctx context.Context, id string) (Order, error) {
	o, err := s.stored(ctx, id)
	if err != nil {
		return o, err
	}
	if !s.watched(o) || !s.dueForCheck(o.ID, refreshEvery) {
		return o, nil
	}
	next, err := s.refresh(ctx, o)
	if errors.Is(err, ErrProviderDown) {
		s.log.Warn("order not re-read from its provider", "order", o.ID, "provider", o.Provider, "error", err)
		return o, nil
	}
	return next, err
}

// refreshEvery is the least time between two re-reads of one order on
// behalf of its page.
const refreshEvery = 2 * time.Second

// watched reports whether an order is still re-read from its provider.
func (s *Service) watched(o Order) bool {
	if o.SettledAt.IsZero() == false || o.ProviderRef == "" {
		return false
	}
	switch o.Status {
	case StatusOpen, StatusProcessing, StatusUnderpaid, StatusExpired:
		return s.now().Sub(o.CreatedAt) < WatchFor
	}
	return false
}

// dueForCheck reports whether an order was last re-read longer than
// every ago by this Service, and marks it re-read now.
func (s *Service) dueForCheck(id string, every time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if last, ok := s.checked[id]; ok && now.Sub(last) < every {
		return false
	}
	s.checked[id] = now
	if len(s.checked) > 10000 {
		for k, t := range s.checked {
			if now.Sub(t) > time.Minute {
				delete(s.checked, k)
			}
		}
	}
	return true
}

// Filter selects orders for the admin's list.
type Filter struct {
	// Status is "open" (open, processing, underpaid), "settled" (paid),
	// "expired" (expired, invalid, failed), or "" for all.
	Status string
	UserID string    // only orders bought by or applied to this account
	Before time.Time // only orders created before (for paging); zero: now
	Limit  int       // 50 if 0, at most 500
}

// Orders lists orders, newest first.
func (s *Service) Orders(ctx context.Context, f Filter) ([]Order, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	where := []string{"created_at < ?"}
	before := f.Before
	if before.IsZero() {
		before = s.now().Add(time.Second)
	}
	args := []any{before.UnixMilli()}
	switch f.Status {
	case "":
	case "open":
		where = append(where, "status IN ('open', 'processing', 'underpaid')")
	case "settled":
		where = append(where, "status = 'paid'")
	case "expired":
		where = append(where, "status IN ('expired', 'invalid', 'failed')")
	default:
		return nil, fmt.Errorf("billing: list orders: status %q is not open, settled or expired", f.Status)
	}
	if f.UserID != "" {
		where = append(where, "(buyer_user_id = ? OR user_id = ?)")
		args = append(args, f.UserID, f.UserID)
	}
	args = append(args, f.Limit)
	var out []Order
	err := s.opt.Store.View(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+orderColumns+` FROM billing_orders WHERE `+strings.Join(where, " AND ")+
			` ORDER BY created_at DESC, id LIMIT ?`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			o, err := scanOrder(rows)
			if err != nil {
				return err
			}
			out = append(out, o)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("billing: list orders: %w", err)
	}
	return out, nil
}
