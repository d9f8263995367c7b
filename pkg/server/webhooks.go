package server

import (
	"errors"
	"io"
	"net/http"

	"github.com/julienschmidt/httprouter"

	"github.com/recap-startos/recap/pkg/billing"
)

// The payment providers' webhooks. They come from servers, not
// browsers, so they are exempt from the cross-origin check (routes), and
// prove nothing by themselves: pkg/billing re-reads the order from the
// provider before acting. The answers follow what the providers retry:
// 200 for anything that a retry would not change (an unknown event or
// order), 401 for a bad signature, 5xx only when our database failed.

func (s *Server) handleBTCPayWebhook(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return webhookReadError(err)
	}
	return s.webhookAnswer(w, s.multi.Billing.BTCPayWebhook(r.Context(), body, r.Header.Get("BTCPay-Sig")))
}

func (s *Server) handleZapriteWebhook(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return webhookReadError(err)
	}
	return s.webhookAnswer(w, s.multi.Billing.ZapriteWebhook(r.Context(), body))
}

func webhookReadError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errTooLarge
	}
	return errWebhookNotRead
}

func (s *Server) webhookAnswer(w http.ResponseWriter, err error) error {
	switch {
	case errors.Is(err, billing.ErrBadSignature):
		s.log.Warn("webhook with a bad signature refused")
		return errBadSignature
	case errors.Is(err, billing.ErrNotConfigured):
		return errNoPayments
	case err != nil:
		return err // 500, logged: our database failed; the provider retries
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	return nil
}
