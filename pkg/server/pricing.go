package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/recap-startos/recap/pkg/billing"
	"github.com/recap-startos/recap/pkg/credits"
)

// pricingPage is what GET /pricing shows.
type pricingPage struct {
	Tiers      []tierView
	Packs      []buyForm
	Offered    bool   // something can be bought
	SignedIn   bool   // the caller has an account
	Trial      bool   // the caller holds an anonymous trial
	Current    string // the caller's plan in words; "" when not signed in
	PeriodDays int
	PerHour    int    // credits a recap costs per started hour
	MaxOverPro bool   // both plans are on sale: say what Max during Pro does
	Error      string // why the last checkout was refused
}

// tierView is one tier: what it allows and, for a plan on sale, its form.
type tierView struct {
	Tier, Name string
	credits.Plan
	Current bool
	Buy     *buyForm
}

// buyForm is the form that buys one offer.
type buyForm struct {
	Offer     billing.Offer
	Price     string // "21,000 sats or 12.00 USD"
	SignedIn  bool
	Lightning bool // a Lightning button
	Card      bool // a card button
	// AccountOnly: the plan is sold for an account only (through the
	// relay, which keys tiers by user id), so no email form.
	AccountOnly bool
}

func (s *Server) handlePricingPage(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	return s.renderPricing(w, r, http.StatusOK, "")
}

// renderPricing shows the pricing page, with why a checkout was refused.
func (s *Server) renderPricing(w http.ResponseWriter, r *http.Request, status int, problem string) error {
	pol := s.multi.Credits.Policy()
	p := pricingPage{PeriodDays: int(pol.Period / (24 * time.Hour)), PerHour: pol.PerHour, Error: problem}
	current, err := s.pricingCaller(r, &p)
	if err != nil {
		return err
	}
	sale := s.onSale()
	p.Offered = sale.offered
	for _, tier := range []string{credits.TierCore, credits.TierPro, credits.TierMax} {
		t := tierView{Tier: tier, Name: billing.PlanName(tier), Plan: pol.Plan(tier), Current: p.SignedIn && tier == current}
		if o, ok := sale.offers[tier]; ok {
			t.Buy = sale.form(o, p.SignedIn)
		}
		p.Tiers = append(p.Tiers, t)
	}
	_, pro := sale.offers[credits.TierPro]
	_, maxOn := sale.offers[credits.TierMax]
	p.MaxOverPro = pro && maxOn
	for _, o := range sale.packs {
		p.Packs = append(p.Packs, *sale.form(o, p.SignedIn))
	}
	return s.render(w, r, status, "pricing", p)
}

// pricingCaller puts who is looking into the page: their plan when
// signed in, whether they hold a trial otherwise. It returns their tier.
func (s *Server) pricingCaller(r *http.Request, p *pricingPage) (string, error) {
	ctx := r.Context()
	if c, ok := s.gate.caller(r); ok {
		p.SignedIn = true
		b, err := s.multi.Credits.Balance(ctx, c.ID)
		if err != nil {
			return "", err
		}
		p.Current = "You are on " + billing.PlanName(b.Tier)
		if !b.TierExpiresAt.IsZero() {
			p.Current += " until " + b.TierExpiresAt.UTC().Format("2006-01-02")
		}
		p.Current += ", with " + thousands(b.Replenish+b.Purchased) + " credits left."
		return b.Tier, nil
	}
	_, p.Trial = s.trialOf(r)
	return credits.TierCore, nil
}

// sale is what is on sale and by which methods.
type sale struct {
	offered          bool
	offers           map[string]billing.Offer // by id
	packs            []billing.Offer          // in the service's order
	lightning, card  bool
	plansNeedAccount bool // plans are sold through the relay
}

func (s *Server) onSale() sale {
	out := sale{offers: map[string]billing.Offer{}}
	svc := s.multi.Billing
	if svc == nil || !svc.Enabled() {
		return out
	}
	out.offered = true
	out.plansNeedAccount = svc.PlansNeedAccount()
	for _, o := range svc.Offers() {
		out.offers[o.ID] = o
		if o.Kind == billing.KindPack {
			out.packs = append(out.packs, o)
		}
	}
	for _, m := range svc.Methods() {
		out.lightning = out.lightning || m == billing.Lightning
		out.card = out.card || m == billing.Card
	}
	return out
}

// form is the form that buys o, with a button per method that sells it.
func (sl sale) form(o billing.Offer, signedIn bool) *buyForm {
	f := &buyForm{Offer: o, SignedIn: signedIn, Lightning: sl.lightning && o.Sats > 0, Card: sl.card && o.Fiat > 0,
		AccountOnly: o.Kind == billing.KindPlan && sl.plansNeedAccount}
	var prices []string
	if f.Lightning {
		prices = append(prices, money(o.Sats, "SATS"))
	}
	if f.Card {
		prices = append(prices, money(o.Fiat, o.Currency))
	}
	f.Price = strings.Join(prices, " or ")
	return f
}
