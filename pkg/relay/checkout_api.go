package relay

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/julienschmidt/httprouter"
)

// maxWebhookBody is the largest webhook body read.
const maxWebhookBody = 64 << 10

// rereadEvery is the least time between two re-reads of one order from
// its provider on behalf of a poll or an unsigned webhook.
const rereadEvery = 2 * time.Second

// throttle remembers when each order was last re-read.
type throttle struct {
	mu   sync.Mutex
	last map[string]time.Time
}

func newThrottle() *throttle { return &throttle{last: map[string]time.Time{}} }

// due reports whether id was last re-read longer than every ago, and
// marks it re-read now.
func (t *throttle) due(id string, now time.Time, every time.Duration) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if last, ok := t.last[id]; ok && now.Sub(last) < every {
		return false
	}
	t.last[id] = now
	if len(t.last) > 10000 {
		for k, v := range t.last {
			if now.Sub(v) > time.Minute {
				delete(t.last, k)
			}
		}
	}
	return true
}

func (s *Server) offers(w http.ResponseWriter, r *http.Request, _ httprouter.Params, _ License) error {
	out := Offers{Plans: []PlanOffer{}, Providers: []string{}}
	if p := s.opt.Payments; p != nil {
		out.Providers = append(out.Providers, p.Providers()...)
		for _, plan := range []string{TierPro, TierMax} {
			o := PlanOffer{Plan: plan, Days: PlanDays}
			if n, _, ok := p.PlanPrice(plan, ProviderBTCPay); ok {
				o.Sats = n
			}
			if n, cur, ok := p.PlanPrice(plan, ProviderZaprite); ok {
				o.Fiat, o.Currency = n, cur
			}
			if o.Sats > 0 || o.Fiat > 0 {
				out.Plans = append(out.Plans, o)
			}
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// createCheckout records an order and creates its invoice at the
// relay's provider; a request repeating an external id gets the same
// order back.
func (s *Server) createCheckout(w http.ResponseWriter, r *http.Request, _ httprouter.Params, l License) error {
	var req CheckoutRequest
	if err := decode(r, maxSmallBody, w, &req); err != nil {
		return err
	}
	if err := own(l, req.InstallID); err != nil {
		return err
	}
	if err := req.Check(); err != nil {
		return err
	}
	c, err := s.checkout(r.Context(), l, req)
	if err != nil {
		return err
	}
	return s.answerCheckout(w, r.Context(), c)
}

func (s *Server) checkout(ctx context.Context, l License, req CheckoutRequest) (Checkout, error) {
	p := s.opt.Payments
	if p == nil {
		return Checkout{}, ErrNotSold
	}
	price, currency, ok := p.PlanPrice(req.Plan, req.Provider)
	if !ok {
		return Checkout{}, ErrNotSold
	}
	if err := s.checkNotBelow(ctx, l.InstallID, req); err != nil {
		return Checkout{}, err
	}
	c := Checkout{ID: newCheckoutID(), InstallID: l.InstallID, UserID: req.UserID, ExternalID: req.ExternalID, Plan: req.Plan,
		Periods: req.Periods, Provider: req.Provider, Amount: price * int64(req.Periods), Currency: currency, returnURL: req.RedirectURL}
	c, found, err := s.opt.Store.insertCheckout(ctx, c)
	if err != nil || (found && (c.providerRef != "" || c.Status == CheckoutFailed)) {
		return c, err
	}
	inv, err := p.CreateInvoice(ctx, c.request())
	if err == nil && inv.Ref == "" {
		err = errors.New("the provider's answer has no id")
	}
	if err != nil {
		s.opt.Log.Error("relay checkout: the provider made no invoice", "order", c.ID, "provider", c.Provider, "error", err)
		if ferr := s.opt.Store.failCheckout(context.WithoutCancel(ctx), c.ID, err.Error()); ferr != nil {
			return c, ferr
		}
		return c, errors.Join(ErrProviderDown, err)
	}
	if err := s.opt.Store.setInvoice(ctx, c.ID, inv); err != nil {
		return c, err
	}
	s.opt.Log.Info("relay checkout created", "order", c.ID, "install_id", c.InstallID, "plan", c.Plan, "provider", c.Provider)
	return s.opt.Store.Checkout(ctx, c.ID)
}

// checkNotBelow refuses a plan smaller than the user's active one.
func (s *Server) checkNotBelow(ctx context.Context, installID string, req CheckoutRequest) error {
	u, err := s.opt.Store.User(ctx, installID, req.UserID)
	if err != nil {
		return err
	}
	active := u.Tier != TierCore && (u.ExpiresAt.IsZero() || u.ExpiresAt.After(s.opt.Store.now()))
	if active && u.Tier == TierMax && req.Plan == TierPro {
		return ErrBelowPlan
	}
	return nil
}

// answerCheckout writes an order with the user's tier as it is now.
func (s *Server) answerCheckout(w http.ResponseWriter, ctx context.Context, c Checkout) error {
	u, err := s.opt.Store.User(ctx, c.InstallID, c.UserID)
	if err != nil {
		return err
	}
	c.User = &u
	writeJSON(w, http.StatusOK, c)
	return nil
}

// getCheckout answers an instance's poll of its order, re-reading it
// from the provider first while it may still change. Another instance's
// order is not found.
func (s *Server) getCheckout(w http.ResponseWriter, r *http.Request, ps httprouter.Params, l License) error {
	c, err := s.opt.Store.Checkout(r.Context(), ps.ByName("id"))
	if err != nil {
		return err
	}
	if c.InstallID != l.InstallID {
		return ErrNotFound
	}
	if s.watched(c) && s.reads.due(c.ID, s.opt.Store.now(), rereadEvery) {
		if c, err = s.refresh(r.Context(), c); err != nil {
			return err
		}
	}
	return s.answerCheckout(w, r.Context(), c)
}

// watched reports whether an order may still change at its provider.
func (s *Server) watched(c Checkout) bool {
	if !c.SettledAt.IsZero() || c.providerRef == "" || s.opt.Payments == nil {
		return false
	}
	switch c.Status {
	case CheckoutOpen, CheckoutProcessing, CheckoutUnderpaid, CheckoutExpired:
		return s.opt.Store.now().Sub(c.CreatedAt) < CheckoutWatch
	}
	return false
}

// refresh re-reads an order's invoice, records it and settles the order
// when it is paid. A provider that does not answer leaves it as stored.
func (s *Server) refresh(ctx context.Context, c Checkout) (Checkout, error) {
	inv, err := s.opt.Payments.Invoice(ctx, c.request(), c.providerRef)
	if errors.Is(err, ErrProviderDown) {
		s.opt.Log.Warn("relay checkout not re-read from its provider", "order", c.ID, "provider", c.Provider, "error", err)
		return c, nil
	}
	if err != nil {
		return c, err
	}
	if inv.Status == CheckoutInvalid {
		s.opt.Log.Error("relay checkout: the provider's invoice does not match; not settled", "order", c.ID, "note", inv.Note)
	}
	if err := s.opt.Store.recordInvoice(ctx, c.ID, inv); err != nil {
		return c, err
	}
	if inv.Status == CheckoutPaid {
		settled, err := s.opt.Store.settle(ctx, c.ID, inv.Note, s.worth(c.Provider))
		if err != nil {
			return c, err
		}
		if settled {
			s.opt.Log.Info("relay checkout settled", "order", c.ID, "install_id", c.InstallID, "plan", c.Plan, "periods", c.Periods)
		}
	}
	return s.opt.Store.Checkout(ctx, c.ID)
}

// worth is what a period of each plan costs at this relay: by the
// order's provider when it prices both plans, else by the other one
// (the same unit for both plans), else 1 for Pro and 2 for Max.
func (s *Server) worth(provider string) func(string) int64 {
	prices := map[string]int64{TierPro: 1, TierMax: 2}
	for _, p := range []string{provider, ProviderBTCPay, ProviderZaprite} {
		pro, _, okPro := s.opt.Payments.PlanPrice(TierPro, p)
		mx, _, okMax := s.opt.Payments.PlanPrice(TierMax, p)
		if okPro && okMax && pro > 0 && mx > 0 {
			prices = map[string]int64{TierPro: pro, TierMax: mx}
			break
		}
	}
	return func(plan string) int64 { return max(prices[plan], 1) }
}

func readWebhook(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	return io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
}

// btcpayWebhook checks the signature, then only re-reads the invoice
// the event names. Unknown invoices are answered 200 so BTCPay does not
// retry them; a provider that does not answer is left to the reconciler.
func (s *Server) btcpayWebhook(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	if s.opt.Payments == nil {
		return ErrNotFound
	}
	body, err := readWebhook(w, r)
	if err != nil {
		return err
	}
	ref, err := s.opt.Payments.BTCPayWebhook(body, r.Header.Get("BTCPay-Sig"))
	if err != nil {
		return err
	}
	return s.nudge(w, r.Context(), ProviderBTCPay, ref, "", 0)
}

// zapriteWebhook: Zaprite does not sign deliveries, so one only names an
// order to re-read, at most once every few seconds per order.
func (s *Server) zapriteWebhook(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	if s.opt.Payments == nil {
		return ErrNotFound
	}
	body, err := readWebhook(w, r)
	if err != nil {
		return err
	}
	ref, ours := s.opt.Payments.ZapriteWebhook(body)
	return s.nudge(w, r.Context(), ProviderZaprite, ref, ours, rereadEvery)
}

func (s *Server) nudge(w http.ResponseWriter, ctx context.Context, provider, ref, ours string, every time.Duration) error {
	ok := func() error { writeJSON(w, http.StatusOK, map[string]string{"status": "ok"}); return nil }
	if ref == "" && ours == "" {
		return ok()
	}
	c, err := s.opt.Store.checkoutByRef(ctx, provider, ref, ours)
	if errors.Is(err, ErrNotFound) {
		s.opt.Log.Info("relay webhook for an unknown invoice ignored", "provider", provider)
		return ok()
	}
	if err != nil {
		return err
	}
	if !s.watched(c) || !s.reads.due(c.ID, s.opt.Store.now(), every) {
		return ok()
	}
	if _, err := s.refresh(ctx, c); err != nil {
		return err
	}
	return ok()
}

// Reconcile re-reads every unsettled order younger than CheckoutWatch
// from its provider and settles the paid ones, so an order settles even
// when its webhook never came and no instance asked. It returns how
// many it settled.
func (s *Server) Reconcile(ctx context.Context) (int, error) {
	if s.opt.Payments == nil {
		return 0, nil
	}
	due, err := s.opt.Store.dueCheckouts(ctx)
	if err != nil {
		return 0, err
	}
	settled := 0
	for _, c := range due {
		if err := ctx.Err(); err != nil {
			return settled, err
		}
		if c.providerRef == "" {
			continue
		}
		s.reads.due(c.ID, s.opt.Store.now(), 0)
		after, err := s.refresh(ctx, c)
		if err != nil {
			return settled, err
		}
		if after.Status == CheckoutPaid {
			settled++
		}
	}
	return settled, nil
}

// ReconcileEvery is how often `recap relay serve` reconciles.
const ReconcileEvery = time.Minute

// RunReconciler reconciles every interval until ctx ends.
func (s *Server) RunReconciler(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = ReconcileEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := s.Reconcile(ctx); err != nil && ctx.Err() == nil {
			s.opt.Log.Error("relay checkouts: reconcile failed", "error", err)
		} else if n > 0 {
			s.opt.Log.Info("relay checkouts reconciled", "settled", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
