package billing

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/recap-startos/recap/pkg/config"
)

// MaxWebhookBody is the largest webhook body read; handlers cut the body
// off there before calling the webhook methods.
const MaxWebhookBody = 64 << 10

// VerifyBTCPaySig checks a BTCPay-Sig header ("sha256=" and the lower
// case hex HMAC-SHA256 of the raw body, keyed with the webhook secret)
// in constant time.
func VerifyBTCPaySig(secret string, body []byte, header string) bool {
	hexSig, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	if !ok || secret == "" {
		return false
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

// BTCPayWebhook handles a delivery of the store's webhook: it checks the
// signature of the raw body (ErrBadSignature), then treats the event
// only as a hint to re-read the invoice it names. An unknown event,
// invoice or store is ignored (nil: BTCPay must not retry it); a provider
// that does not answer is left to the reconciler (nil too). Only a
// failure of our own database is an error worth a retry.
func (s *Service) BTCPayWebhook(ctx context.Context, body []byte, sigHeader string) error {
	if s.btcpay == nil {
		return ErrNotConfigured
	}
	ref, err := btcpayEventInvoice(s.opt.Payments.BTCPay, body, sigHeader, s.log)
	if err != nil || ref == "" {
		return err
	}
	return s.nudge(ctx, ProviderBTCPay, ref, "")
}

// btcpayEventInvoice checks a BTCPay delivery's signature
// (ErrBadSignature) and returns the invoice an invoice event of the
// configured store names; "" for anything else, which is ignored.
func btcpayEventInvoice(cfg config.BTCPay, body []byte, sigHeader string, log *slog.Logger) (string, error) {
	if !VerifyBTCPaySig(cfg.WebhookSecret, body, sigHeader) {
		return "", ErrBadSignature
	}
	var ev struct {
		Type         string `json:"type"`
		StoreID      string `json:"storeId"`
		InvoiceID    string `json:"invoiceId"`
		DeliveryID   string `json:"deliveryId"`
		IsRedelivery bool   `json:"isRedelivery"`
	}
	if err := json.Unmarshal(body, &ev); err != nil {
		log.Warn("btcpay webhook: unreadable body ignored", "error", err)
		return "", nil
	}
	if !strings.HasPrefix(ev.Type, "Invoice") || ev.InvoiceID == "" {
		return "", nil
	}
	if ev.StoreID != "" && ev.StoreID != cfg.StoreID {
		log.Warn("btcpay webhook for another store ignored", "type", ev.Type)
		return "", nil
	}
	log.Info("btcpay webhook", "type", ev.Type, "invoice", ev.InvoiceID, "redelivery", ev.IsRedelivery)
	return ev.InvoiceID, nil
}

// ZapriteWebhook handles a Zaprite delivery. Zaprite does not sign them,
// so the body is only a hint: the order it names (by Zaprite's id or by
// our externalUniqId) is re-read from Zaprite with our key, and only
// Zaprite's answer counts. Unknown bodies and orders are ignored.
func (s *Service) ZapriteWebhook(ctx context.Context, body []byte) error {
	if s.zaprite == nil {
		return ErrNotConfigured
	}
	ref, ours := zapriteIDs(body)
	if ref == "" && ours == "" {
		s.log.Warn("zaprite webhook without an order id ignored")
		return nil
	}
	return s.nudge(ctx, ProviderZaprite, ref, ours)
}

// zapriteIDs finds the order ids in a Zaprite webhook body, wherever the
// event puts them (data.id, data.object.id, orderId, id; and
// externalUniqId beside them).
func zapriteIDs(body []byte) (ref, ours string) {
	type ids struct {
		ID             string `json:"id"`
		OrderID        string `json:"orderId"`
		ExternalUniqID string `json:"externalUniqId"`
	}
	var ev struct {
		ids
		Data *struct {
			ids
			Object *ids `json:"object"`
		} `json:"data"`
		Order *ids `json:"order"`
	}
	if json.Unmarshal(body, &ev) != nil {
		return "", ""
	}
	cands := []ids{ev.ids}
	if ev.Order != nil {
		cands = append([]ids{*ev.Order}, cands...)
	}
	if ev.Data != nil {
		cands = append([]ids{ev.Data.ids}, cands...)
		if ev.Data.Object != nil {
			cands = append([]ids{*ev.Data.Object}, cands...)
		}
	}
	for _, c := range cands {
		if ref == "" {
			ref = firstNonEmpty(c.ID, c.OrderID)
		}
		if ours == "" {
			ours = c.ExternalUniqID
		}
	}
	return ref, ours
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// nudge re-reads the order a webhook names, found by the provider's id
// or ours.
func (s *Service) nudge(ctx context.Context, provider, ref, ours string) error {
	var o Order
	err := s.opt.Store.View(ctx, func(tx *sql.Tx) error {
		var err error
		o, err = scanOrder(tx.QueryRowContext(ctx, `SELECT `+orderColumns+` FROM billing_orders
			WHERE provider = ? AND (provider_ref = ? OR id = ?) ORDER BY provider_ref = ? DESC LIMIT 1`, provider, ref, ours, ref))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		s.log.Info("webhook for an order this Recap does not know ignored", "provider", provider)
		return nil
	}
	if err != nil {
		return fmt.Errorf("billing: find the order of a webhook: %w", err)
	}
	if o.ProviderRef == "" || !o.SettledAt.IsZero() {
		return nil
	}
	if provider == ProviderZaprite && !s.dueForCheck(o.ID, refreshEvery) {
		return nil // unsigned: anyone may post; one re-read per order every few seconds
	}
	if _, err := s.refresh(ctx, o); err != nil {
		if errors.Is(err, ErrProviderDown) || errors.Is(err, ErrNotConfigured) {
			s.log.Warn("webhook: provider not re-read; the reconciler will", "order", o.ID, "error", err)
			return nil
		}
		return err
	}
	return nil
}
