package billing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ReconcileReport says what one pass of the reconciler did.
type ReconcileReport struct {
	Checked   int      `json:"checked"`   // orders re-read from their provider
	Settled   int      `json:"settled"`   // of those, applied now
	Closed    int      `json:"closed"`    // of those, now expired, underpaid or invalid
	Failed    int      `json:"failed"`    // providers that did not answer
	Abandoned int      `json:"abandoned"` // orders never created at the provider, marked failed
	Errors    []string `json:"errors,omitempty"`
}

// notCreatedAfter is when an order whose invoice was never recorded (the
// process stopped while creating it) is given up as failed.
const notCreatedAfter = 10 * time.Minute

// Reconcile re-reads every unapplied order younger than WatchFor from
// its provider and applies the paid ones, so that an order settles even
// when its webhook never arrived. An order whose provider does not answer
// is counted and left for the next pass; only a database failure is an
// error.
func (s *Service) Reconcile(ctx context.Context) (ReconcileReport, error) {
	var rep ReconcileReport
	if !s.Enabled() && s.opt.Relay == nil {
		return rep, nil
	}
	now := s.now()
	due, err := s.dueOrders(ctx, now)
	if err != nil {
		return rep, fmt.Errorf("billing: reconcile: %w", err)
	}
	for _, o := range due {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		if o.ProviderRef == "" {
			err = s.reconcileUncreated(ctx, o, now, &rep)
		} else {
			err = s.reconcileOrder(ctx, o, &rep)
		}
		if err != nil {
			return rep, err
		}
	}
	if rep.Checked > 0 || rep.Abandoned > 0 {
		s.log.Info("payments reconciled", "checked", rep.Checked, "settled", rep.Settled, "closed", rep.Closed, "provider_failures", rep.Failed)
	}
	return rep, nil
}

// dueOrders are the orders the reconciler looks at: not applied, younger
// than WatchFor, and in a state a provider may still change, oldest first.
func (s *Service) dueOrders(ctx context.Context, now time.Time) ([]Order, error) {
	var due []Order
	err := s.opt.Store.View(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+orderColumns+` FROM billing_orders
			WHERE applied_at IS NULL AND created_at > ? AND status IN ('open', 'processing', 'underpaid', 'expired')
			ORDER BY created_at`, now.Add(-WatchFor).UnixMilli())
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			o, err := scanOrder(rows)
			if err != nil {
				return err
			}
			due = append(due, o)
		}
		return rows.Err()
	})
	return due, err
}

// reconcileUncreated gives up an order whose invoice was never recorded
// (the process stopped while creating it) once notCreatedAfter has
// passed; a younger one may still be being created and is left alone.
func (s *Service) reconcileUncreated(ctx context.Context, o Order, now time.Time, rep *ReconcileReport) error {
	if now.Sub(o.CreatedAt) <= notCreatedAfter {
		return nil
	}
	if err := s.markFailed(ctx, o.ID, "the invoice was never created (Recap stopped while creating it)"); err != nil {
		return err
	}
	rep.Abandoned++
	return nil
}

// reconcileOrder re-reads one order from its provider, applying it when
// paid, and counts the outcome. A provider that does not answer (or is
// no longer configured) is counted as a failure, not returned.
func (s *Service) reconcileOrder(ctx context.Context, o Order, rep *ReconcileReport) error {
	rep.Checked++
	s.dueForCheck(o.ID, 0)
	after, err := s.refresh(ctx, o)
	if errors.Is(err, ErrProviderDown) || errors.Is(err, ErrNotConfigured) {
		rep.Failed++
		rep.Errors = append(rep.Errors, o.ID+": "+err.Error())
		return nil
	}
	if err != nil {
		return err
	}
	rep.count(o.Status, after.Status)
	return nil
}

// count records an order's change of status: settled when it became
// paid, closed when it became expired, underpaid or invalid.
func (rep *ReconcileReport) count(before, after string) {
	if after == before {
		return
	}
	switch after {
	case StatusPaid:
		rep.Settled++
	case StatusExpired, StatusUnderpaid, StatusInvalid:
		rep.Closed++
	}
}

// ReconcileEvery is the reconciler's interval in serve.
const ReconcileEvery = time.Minute

// Run reconciles every interval until ctx ends, loading the relay's
// plans first when there is a relay (serve runs it in multi mode when
// payments or a relay are configured).
func (s *Service) Run(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = ReconcileEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := s.LoadRelayOffers(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("the relay's plans not loaded; the last ones stay on sale", "error", err)
		}
		if _, err := s.Reconcile(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("payments reconcile failed", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
