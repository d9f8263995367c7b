package billing

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/recap-startos/recap/pkg/config"
	"github.com/recap-startos/recap/pkg/relay"
)

// RelayPayments is a relay's own BTCPay Server and Zaprite, for the
// checkouts it sells (pkg/relay keeps the orders in relay.db). It is the
// same provider code as a Service's: invoice creation, the re-read, the
// check that an invoice names the order and its price, and BTCPay's
// webhook signature; it has no database of its own.
type RelayPayments struct {
	cfg     config.Payments
	btcpay  *btcpayClient
	zaprite *zapriteClient
	log     *slog.Logger
}

var _ relay.Payments = (*RelayPayments)(nil)

// NewRelayPayments builds the relay's payments from the payments
// section of its relay.yaml (the same keys as an instance's). It
// returns ErrNotConfigured when no provider is configured.
func NewRelayPayments(p config.Payments, hc *http.Client, log *slog.Logger) (*RelayPayments, error) {
	if !p.Enabled() {
		return nil, ErrNotConfigured
	}
	if hc == nil {
		hc = &http.Client{Timeout: 20 * time.Second}
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	g := &RelayPayments{cfg: p, log: log}
	var err error
	if p.BTCPay.Enabled() {
		if g.btcpay, err = newBTCPayClient(p.BTCPay, hc); err != nil {
			return nil, err
		}
	}
	if p.Zaprite.Enabled() {
		if g.zaprite, err = newZapriteClient(p.Zaprite, hc); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// Providers lists the enabled providers.
func (g *RelayPayments) Providers() []string {
	var out []string
	if g.btcpay != nil {
		out = append(out, relay.ProviderBTCPay)
	}
	if g.zaprite != nil {
		out = append(out, relay.ProviderZaprite)
	}
	return out
}

// PlanPrice is one 30-day period of a plan by a provider.
func (g *RelayPayments) PlanPrice(plan, provider string) (int64, string, bool) {
	var price config.Price
	switch plan {
	case relay.TierPro:
		price = g.cfg.Pro
	case relay.TierMax:
		price = g.cfg.Max
	default:
		return 0, "", false
	}
	switch {
	case provider == relay.ProviderBTCPay && g.btcpay != nil && price.Sats > 0:
		return int64(price.Sats), "SATS", true
	case provider == relay.ProviderZaprite && g.zaprite != nil && price.Fiat > 0:
		return int64(price.Fiat), g.cfg.Currency, true
	}
	return 0, "", false
}

// order is the Order the provider clients take for a relay's invoice.
func (g *RelayPayments) order(r relay.InvoiceRequest, ref string) Order {
	o := Order{ID: r.OrderID, Amount: r.Amount, Currency: r.Currency, Provider: r.Provider, ProviderRef: ref,
		Offer: Offer{ID: r.Plan, Kind: KindPlan, Tier: r.Plan, Days: PlanDays * r.Periods}}
	o.Method = Card
	if r.Provider == relay.ProviderBTCPay {
		o.Method = Lightning
	}
	return o
}

func providerDown(err error) error {
	if errors.Is(err, ErrProviderDown) || errors.Is(err, ErrNotConfigured) {
		return fmt.Errorf("%w: %v", relay.ErrProviderDown, err)
	}
	return err
}

// CreateInvoice makes the invoice of a relay's order.
func (g *RelayPayments) CreateInvoice(ctx context.Context, r relay.InvoiceRequest) (relay.Invoice, error) {
	o := g.order(r, "")
	var rm remote
	var err error
	switch {
	case r.Provider == relay.ProviderBTCPay && g.btcpay != nil:
		rm, err = g.btcpay.create(ctx, o, r.ReturnURL)
	case r.Provider == relay.ProviderZaprite && g.zaprite != nil:
		rm, err = g.zaprite.create(ctx, o, r.ReturnURL)
	default:
		err = fmt.Errorf("%w: %s is not configured", ErrNotConfigured, r.Provider)
	}
	if err != nil {
		return relay.Invoice{}, providerDown(err)
	}
	return invoiceOf(rm), nil
}

// Invoice re-reads a relay's invoice; one that is not the order's (other
// order id, store or price) comes back invalid, with the reason.
func (g *RelayPayments) Invoice(ctx context.Context, r relay.InvoiceRequest, ref string) (relay.Invoice, error) {
	o := g.order(r, ref)
	var rm remote
	var err error
	switch {
	case r.Provider == relay.ProviderBTCPay && g.btcpay != nil:
		rm, err = g.btcpay.get(ctx, ref)
	case r.Provider == relay.ProviderZaprite && g.zaprite != nil:
		rm, err = g.zaprite.get(ctx, ref)
	default:
		err = fmt.Errorf("%w: %s is no longer configured", ErrNotConfigured, r.Provider)
	}
	if err != nil {
		return relay.Invoice{}, providerDown(err)
	}
	if why := mismatch(o, rm, g.cfg.BTCPay.StoreID); why != "" {
		rm.state, rm.note = StatusInvalid, "not applied: "+why
	}
	return invoiceOf(rm), nil
}

func invoiceOf(r remote) relay.Invoice {
	return relay.Invoice{Ref: r.ref, Status: r.state, ProviderStatus: r.providerStatus, Note: r.note,
		BOLT11: r.bolt11, CheckoutURL: r.checkoutURL, ExpiresAt: r.expiresAt}
}

// BTCPayWebhook checks a delivery's signature and returns the invoice it
// names.
func (g *RelayPayments) BTCPayWebhook(body []byte, sig string) (string, error) {
	if g.btcpay == nil {
		return "", nil
	}
	ref, err := btcpayEventInvoice(g.cfg.BTCPay, body, sig, g.log)
	if errors.Is(err, ErrBadSignature) {
		return "", relay.ErrBadSignature
	}
	return ref, err
}

// ZapriteWebhook returns the order ids a Zaprite delivery names.
func (g *RelayPayments) ZapriteWebhook(body []byte) (string, string) {
	if g.zaprite == nil {
		return "", ""
	}
	return zapriteIDs(body)
}
