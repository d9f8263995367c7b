package server

import (
	"errors"
	"net/http"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/recap-startos/recap/pkg/billing"
	"github.com/recap-startos/recap/pkg/store"
)

// adminOrdersPage is the admin's list of orders.
type adminOrdersPage struct {
	Offered bool
	Filter  string // open, settled, expired or "" for all
	Orders  []adminOrder
	Next    string // created_at of the last order shown, for the next page
}

// adminOrder is one row of the list.
type adminOrder struct {
	billing.Order
	Buyer     string // the buyer's address, or "trial"
	BuyerID   string // the buyer's account, for a link
	What      string
	Price     string
	StatusTip string // the status in words
}

func (s *Server) handleAdminOrdersPage(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	q := r.URL.Query()
	p := adminOrdersPage{Filter: q.Get("status"), Offered: s.multi.Billing != nil && s.multi.Billing.Enabled()}
	switch p.Filter {
	case "", "open", "settled", "expired":
	default:
		return errBadOrderFilter
	}
	if s.multi.Billing == nil {
		return s.render(w, r, http.StatusOK, "admin_orders", p)
	}
	f := billing.Filter{Status: p.Filter, Limit: 100}
	if b := q.Get("before"); b != "" {
		t, err := time.Parse(time.RFC3339Nano, b)
		if err != nil {
			return badRequest("bad_before", "before must be a time like 2026-12-02T09:00:00Z.")
		}
		f.Before = t
	}
	orders, err := s.multi.Billing.Orders(r.Context(), f)
	if err != nil {
		return err
	}
	emails := map[string]string{}
	for _, o := range orders {
		row := adminOrder{Order: o, What: offerTitle(o.Offer), Price: money(o.Amount, o.Currency)}
		row.StatusTip, _, _ = orderWords(o, o.Status == billing.StatusOpen)
		if row.Buyer, row.BuyerID, err = s.orderBuyer(r, o, emails); err != nil {
			return err
		}
		p.Orders = append(p.Orders, row)
	}
	if len(orders) == f.Limit {
		p.Next = orders[len(orders)-1].CreatedAt.UTC().Format(time.RFC3339Nano)
	}
	return s.render(w, r, http.StatusOK, "admin_orders", p)
}

// orderBuyer names an order's buyer for the admin: the account's address
// (and its id, for a link), the anonymous buyer's address, or a trial.
// emails caches addresses by account.
func (s *Server) orderBuyer(r *http.Request, o billing.Order, emails map[string]string) (name, userID string, err error) {
	id := firstNonEmpty(o.Buyer.UserID, o.UserID)
	switch {
	case id == "" && o.Buyer.Email != "":
		return o.Buyer.Email, "", nil
	case id == "":
		return "an anonymous trial", "", nil
	}
	if _, ok := emails[id]; !ok {
		u, err := s.multi.Store.UserByID(r.Context(), id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return "", "", err
		}
		emails[id] = "a removed account"
		if u != nil {
			emails[id] = u.Email
		}
	}
	return emails[id], id, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// adminUserPurchases puts a user's paid periods and last orders on their
// admin page.
func (s *Server) adminUserPurchases(r *http.Request, p *adminUserPage) error {
	var err error
	if p.Periods, err = s.multi.Store.Subscriptions(r.Context(), p.User.ID, 20); err != nil {
		return err
	}
	if s.multi.Billing == nil {
		return nil
	}
	orders, err := s.multi.Billing.Orders(r.Context(), billing.Filter{UserID: p.User.ID, Limit: 20})
	if err != nil {
		return err
	}
	for _, o := range orders {
		p.Orders = append(p.Orders, adminOrder{Order: o, What: offerTitle(o.Offer), Price: money(o.Amount, o.Currency)})
	}
	return nil
}
