package relay

// Checkouts through the relay. An instance asks the relay to sell a
// user a plan (POST /relay/v1/checkouts); the relay prices it from its
// own payments config, records an order in relay.db, and creates the
// invoice at its own BTCPay Server (Lightning) or Zaprite (card)
// through Payments, the seam pkg/billing fills (billing.RelayPayments:
// the same provider clients, amount check and webhook signature check
// an instance uses for its direct sales).
//
// Nothing a caller says settles an order. The relay's webhooks
// (/relay/v1/webhooks/btcpay, signed, and /relay/v1/webhooks/zaprite,
// unsigned) only name an invoice; the instance's poll of the order
// (GET /relay/v1/checkouts/:id), the webhooks and the relay's own
// reconciler all re-read the invoice from the provider and act on that
// answer only, after checking it names this order and its price. A paid
// order is settled in one transaction: a guarded UPDATE (settled_at IS
// NULL) lets exactly one settler through, and the tier update it makes
// (AddDays, keyed "order:<id>" in the ledger, as `user-tier` with that
// key would) commits with it or not at all.
//
// The instance then applies the settlement on its side exactly once
// (pkg/billing, guarded by its own billing_orders.applied_at).

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"time"
)

// Payment providers the relay sells through.
const (
	ProviderBTCPay  = "btcpay"  // Lightning
	ProviderZaprite = "zaprite" // card
)

// Checkout statuses: the same words as an instance's orders.
const (
	CheckoutOpen       = "open"
	CheckoutProcessing = "processing"
	CheckoutPaid       = "paid" // settled: the tier was extended
	CheckoutUnderpaid  = "underpaid"
	CheckoutExpired    = "expired"
	CheckoutInvalid    = "invalid"
	CheckoutFailed     = "failed" // the provider could not create the invoice
)

// PlanDays is one period of a plan.
const PlanDays = 30

// MaxPeriods is the most periods one checkout buys.
const MaxPeriods = 12

// CheckoutWatch is how long an unsettled order is re-read from its provider.
const CheckoutWatch = 72 * time.Hour

// Errors of the payments seam.
var (
	// ErrProviderDown means the payment provider did not answer or refused.
	ErrProviderDown = errors.New("relay: the payment provider is not answering")
	// ErrBadSignature means a webhook's signature is missing or wrong.
	ErrBadSignature = errors.New("relay: bad webhook signature")
	// ErrBelowPlan means the user has a larger plan now.
	ErrBelowPlan = errors.New("relay: the user has a larger plan now")
)

// Payments creates and re-reads invoices at the relay's own payment
// providers. billing.RelayPayments is the implementation.
type Payments interface {
	// Providers lists the enabled providers (ProviderBTCPay, ProviderZaprite).
	Providers() []string
	// PlanPrice is one period of a plan by a provider: sats, or the
	// smallest unit of the card currency.
	PlanPrice(plan, provider string) (amount int64, currency string, ok bool)
	// CreateInvoice asks the provider for an order's invoice.
	CreateInvoice(ctx context.Context, o InvoiceRequest) (Invoice, error)
	// Invoice re-reads an invoice; one that does not name the order or
	// its price comes back with Status CheckoutInvalid and a note.
	Invoice(ctx context.Context, o InvoiceRequest, ref string) (Invoice, error)
	// BTCPayWebhook checks a delivery's signature (ErrBadSignature) and
	// returns the invoice it names ("" to ignore it).
	BTCPayWebhook(body []byte, sig string) (ref string, err error)
	// ZapriteWebhook returns the ids an unsigned delivery names.
	ZapriteWebhook(body []byte) (ref, ours string)
}

// InvoiceRequest is what an invoice is made for.
type InvoiceRequest struct {
	OrderID   string
	Provider  string
	Plan      string
	Periods   int
	Amount    int64
	Currency  string
	ReturnURL string
}

// Invoice is a provider's invoice as read back.
type Invoice struct {
	Ref            string
	Status         string // one of the Checkout statuses
	ProviderStatus string
	Note           string
	BOLT11         string
	CheckoutURL    string
	ExpiresAt      time.Time
}

// Checkout is an order at the relay, as the API shows it.
type Checkout struct {
	ID             string    `json:"id"`
	InstallID      string    `json:"install_id"`
	UserID         string    `json:"user_id"`
	ExternalID     string    `json:"external_id,omitempty"` // the instance's id for it
	Plan           string    `json:"plan"`
	Periods        int       `json:"periods"`
	Provider       string    `json:"provider"`
	Amount         int64     `json:"amount"`   // sats, or the smallest unit of Currency
	Currency       string    `json:"currency"` // "SATS" or a card currency
	Status         string    `json:"status"`
	ProviderStatus string    `json:"provider_status,omitempty"`
	Note           string    `json:"note,omitempty"`
	BOLT11         string    `json:"bolt11,omitempty"`
	CheckoutURL    string    `json:"checkout_url,omitempty"`
	ExpiresAt      time.Time `json:"expires_at,omitzero"`
	CreatedAt      time.Time `json:"created_at"`
	SettledAt      time.Time `json:"settled_at,omitzero"`
	// User is the user's tier at the relay when answered: after the
	// settlement, the period it gave (or later).
	User *UserTier `json:"user,omitempty"`

	providerRef string
	returnURL   string
}

// Offers is the answer of GET /relay/v1/offers: the plans this relay
// sells, per 30-day period.
type Offers struct {
	Plans     []PlanOffer `json:"plans"`
	Providers []string    `json:"providers"`
}

// PlanOffer is one plan's price; 0 means not sold that way.
type PlanOffer struct {
	Plan     string `json:"plan"`
	Days     int    `json:"days"`
	Sats     int64  `json:"sats"`
	Fiat     int64  `json:"fiat"`
	Currency string `json:"currency,omitempty"`
}

var externalIDPattern = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,128}$`)

// Check validates a checkout request.
func (r CheckoutRequest) Check() error {
	switch {
	case r.UserID == "" || len(r.UserID) > 128:
		return fmt.Errorf("%w: user_id must be 1 to 128 characters", ErrInvalid)
	case r.Plan != TierPro && r.Plan != TierMax:
		return fmt.Errorf("%w: plan %q is not pro or max", ErrInvalid, r.Plan)
	case r.Periods < 1 || r.Periods > MaxPeriods:
		return fmt.Errorf("%w: periods %d is outside 1..%d", ErrInvalid, r.Periods, MaxPeriods)
	case r.Provider != ProviderBTCPay && r.Provider != ProviderZaprite:
		return fmt.Errorf("%w: provider %q is not btcpay or zaprite", ErrInvalid, r.Provider)
	case r.ExternalID != "" && !externalIDPattern.MatchString(r.ExternalID):
		return fmt.Errorf("%w: external_id must be 1 to 128 letters, digits and . _ : -", ErrInvalid)
	}
	return checkRedirect(r.RedirectURL)
}

// checkRedirect accepts an empty or http(s) address without user info.
func checkRedirect(raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if len(raw) > 2000 || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return fmt.Errorf("%w: redirect_url %q is not an http(s) URL of at most 2000 characters", ErrInvalid, raw)
	}
	return nil
}

func newCheckoutID() string {
	var b [16]byte
	rand.Read(b[:])
	return "rord_" + hex.EncodeToString(b[:])
}

const checkoutColumns = `id, install_id, user_id, external_id, plan, periods, provider, provider_ref, amount, currency,
	status, provider_status, note, bolt11, checkout_url, return_url, expires_at, created_at, settled_at`

func scanCheckout(sc interface{ Scan(...any) error }) (Checkout, error) {
	var c Checkout
	var ext, ref, pstatus, note, bolt11, curl, ret sql.NullString
	var expires, settled sql.NullInt64
	var created int64
	err := sc.Scan(&c.ID, &c.InstallID, &c.UserID, &ext, &c.Plan, &c.Periods, &c.Provider, &ref, &c.Amount, &c.Currency,
		&c.Status, &pstatus, &note, &bolt11, &curl, &ret, &expires, &created, &settled)
	if errors.Is(err, sql.ErrNoRows) {
		return c, ErrNotFound
	}
	if err != nil {
		return c, err
	}
	c.ExternalID, c.providerRef, c.ProviderStatus, c.Note = ext.String, ref.String, pstatus.String, note.String
	c.BOLT11, c.CheckoutURL, c.returnURL = bolt11.String, curl.String, ret.String
	c.CreatedAt = fromMS(created)
	if expires.Valid {
		c.ExpiresAt = fromMS(expires.Int64)
	}
	if settled.Valid {
		c.SettledAt = fromMS(settled.Int64)
	}
	return c, nil
}

// request is the invoice request of a stored order.
func (c Checkout) request() InvoiceRequest {
	return InvoiceRequest{OrderID: c.ID, Provider: c.Provider, Plan: c.Plan, Periods: c.Periods,
		Amount: c.Amount, Currency: c.Currency, ReturnURL: c.returnURL}
}

// insertCheckout records a new order, or returns the one the instance
// already made under the same external id (a retried request).
func (s *Store) insertCheckout(ctx context.Context, c Checkout) (Checkout, bool, error) {
	var out Checkout
	found := false
	now := s.now()
	err := s.write(ctx, func(tx *sql.Tx) error {
		if c.ExternalID != "" {
			prev, err := scanCheckout(tx.QueryRowContext(ctx, `SELECT `+checkoutColumns+` FROM orders WHERE install_id = ? AND external_id = ?`,
				c.InstallID, c.ExternalID))
			if err == nil {
				if prev.UserID != c.UserID || prev.Plan != c.Plan || prev.Periods != c.Periods || prev.Provider != c.Provider {
					return fmt.Errorf("%w: external_id %s names another checkout", ErrInvalid, c.ExternalID)
				}
				out, found = prev, true
				return nil
			}
			if !errors.Is(err, ErrNotFound) {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO orders (id, install_id, user_id, external_id, plan, periods, provider, amount, currency,
			status, return_url, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?)`,
			c.ID, c.InstallID, c.UserID, nullString(c.ExternalID), c.Plan, c.Periods, c.Provider, c.Amount, c.Currency,
			nullString(c.returnURL), ms(now), ms(now))
		if err != nil {
			return err
		}
		out, err = scanCheckout(tx.QueryRowContext(ctx, `SELECT `+checkoutColumns+` FROM orders WHERE id = ?`, c.ID))
		return err
	})
	if err != nil {
		return out, false, fmt.Errorf("relay: record a checkout: %w", err)
	}
	return out, found, nil
}

// Checkout returns an order as stored.
func (s *Store) Checkout(ctx context.Context, id string) (Checkout, error) {
	var c Checkout
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		c, err = scanCheckout(tx.QueryRowContext(ctx, `SELECT `+checkoutColumns+` FROM orders WHERE id = ?`, id))
		return err
	})
	if err != nil {
		return c, fmt.Errorf("relay: checkout %s: %w", id, err)
	}
	return c, nil
}

// checkoutByRef finds an order by its provider's id, or (Zaprite's
// externalUniqId) by ours.
func (s *Store) checkoutByRef(ctx context.Context, provider, ref, ours string) (Checkout, error) {
	var c Checkout
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		c, err = scanCheckout(tx.QueryRowContext(ctx, `SELECT `+checkoutColumns+` FROM orders
			WHERE provider = ? AND (provider_ref = ? OR id = ?) ORDER BY provider_ref = ? DESC LIMIT 1`, provider, ref, ours, ref))
		return err
	})
	return c, err
}

// setInvoice records the invoice a provider made for an order. An order
// that got its invoice meanwhile (a concurrent retry) keeps that one.
func (s *Store) setInvoice(ctx context.Context, id string, inv Invoice) error {
	now := s.now()
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE orders SET provider_ref = ?, provider_status = ?, note = ?, bolt11 = ?, checkout_url = ?,
			expires_at = ?, updated_at = ? WHERE id = ? AND provider_ref IS NULL`,
			inv.Ref, nullString(inv.ProviderStatus), nullString(inv.Note), nullString(inv.BOLT11), nullString(inv.CheckoutURL),
			nullTime(inv.ExpiresAt), ms(now), id)
		return err
	})
}

// failCheckout marks an order whose invoice could not be made.
func (s *Store) failCheckout(ctx context.Context, id, why string) error {
	if len(why) > 500 {
		why = why[:500]
	}
	now := s.now()
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE orders SET status = 'failed', note = ?, updated_at = ? WHERE id = ? AND provider_ref IS NULL`, why, ms(now), id)
		return err
	})
}

// recordInvoice saves the provider's view of an unsettled order (paid
// is set by settle).
func (s *Store) recordInvoice(ctx context.Context, id string, inv Invoice) error {
	status := inv.Status
	if status == CheckoutPaid {
		status = CheckoutProcessing
	}
	now := s.now()
	return s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE orders SET status = ?, provider_status = ?, note = ?, bolt11 = coalesce(?, bolt11),
			expires_at = coalesce(?, expires_at), updated_at = ? WHERE id = ? AND settled_at IS NULL`,
			status, nullString(inv.ProviderStatus), nullString(inv.Note), nullString(inv.BOLT11), nullTime(inv.ExpiresAt), ms(now), id)
		return err
	})
}

// settle settles a paid order exactly once: the guarded UPDATE claims
// it (a second settler, here or in another process, changes no row and
// stops) and the tier update commits in the same transaction, keyed by
// the order so the ledger holds it once. The period follows NextPeriod,
// with worth (the relay's price of each plan) converting the days of
// one tier into the other.
func (s *Store) settle(ctx context.Context, id, note string, worth func(string) int64) (bool, error) {
	now := s.now()
	done := false
	err := s.write(ctx, func(tx *sql.Tx) error {
		done = false
		res, err := tx.ExecContext(ctx, `UPDATE orders SET status = 'paid', settled_at = ?, note = ?, updated_at = ?
			WHERE id = ? AND settled_at IS NULL`, ms(now), nullString(note), ms(now), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		c, err := scanCheckout(tx.QueryRowContext(ctx, `SELECT `+checkoutColumns+` FROM orders WHERE id = ?`, id))
		if err != nil {
			return err
		}
		up, err := settlement(ctx, tx, c, now, worth)
		if err != nil {
			return err
		}
		if _, _, err := setTierTx(ctx, tx, "checkout", up, now); err != nil {
			return err
		}
		done = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("relay: settle checkout %s: %w", id, err)
	}
	return done, nil
}

// settlement is the tier update a paid order makes.
func settlement(ctx context.Context, tx *sql.Tx, c Checkout, now time.Time, worth func(string) int64) (TierUpdate, error) {
	up := TierUpdate{InstallID: c.InstallID, UserID: c.UserID, Key: "order:" + c.ID}
	cur, err := getUser(ctx, tx, c.InstallID, c.UserID)
	if errors.Is(err, ErrNotFound) {
		cur, err = UserTier{Tier: TierCore}, nil
	}
	if err != nil {
		return up, err
	}
	if cur.Tier != TierCore && cur.ExpiresAt.IsZero() && worth(c.Plan) <= worth(cur.Tier) {
		// A paid tier without an end already covers what was bought.
		up.Tier = cur.Tier
		return up, nil
	}
	p := NextPeriod(cur.Tier, cur.ExpiresAt, c.Plan, PlanDays*c.Periods, now, worth)
	up.Tier, up.ExpiresAt = p.Tier, p.End
	return up, nil
}

// dueCheckouts lists unsettled orders younger than CheckoutWatch that
// may still change.
func (s *Store) dueCheckouts(ctx context.Context) ([]Checkout, error) {
	out, err := readAll(ctx, s, scanCheckout, `SELECT `+checkoutColumns+` FROM orders WHERE settled_at IS NULL
		AND status IN ('open', 'processing', 'underpaid', 'expired') AND created_at > ? ORDER BY created_at`,
		ms(s.now().Add(-CheckoutWatch)))
	if err != nil {
		return nil, fmt.Errorf("relay: due checkouts: %w", err)
	}
	return out, nil
}

// Checkouts lists orders, newest first: an instance's (by install id),
// or everyone's when installID is empty.
func (s *Store) Checkouts(ctx context.Context, installID string, limit int) ([]Checkout, error) {
	out, err := readAll(ctx, s, scanCheckout, `SELECT `+checkoutColumns+` FROM orders WHERE ? = '' OR install_id = ?
		ORDER BY created_at DESC, id LIMIT ?`, installID, installID, clampLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("relay: list checkouts: %w", err)
	}
	return out, nil
}
