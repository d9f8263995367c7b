package server

// Buying (multi mode). The pricing page lists the tiers with what they
// allow and what the config prices them at, with a form per plan or
// pack and payment method. Its form (POST /billing/checkout) and the
// JSON API (POST /api/billing/checkout) both start an order through
// pkg/billing, which prices it from the config only; the buyer is the
// signed-in account, else the email address given (a plan, bought
// before the account exists), else this browser's anonymous trial (a
// pack). A Lightning order then shows on its own page: the BOLT11 as a
// QR code served from this origin, a lightning: link, a copy button, the
// amount and a countdown, and the page follows the order by asking for
// it every few seconds (the CSP allows same-origin requests only). A
// card order goes to Zaprite's checkout only when its address is
// Zaprite's, and Zaprite sends the buyer back to the same order page.
// Order ids are 128 random bits: the page of an order is reachable by
// whoever holds its address (the anonymous buyer has nothing else), and
// shows nothing about the buyer.

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/julienschmidt/httprouter"

	"github.com/recap-startos/recap/pkg/billing"
)

// bolt11Pattern is what a BOLT11 invoice may hold: bech32 characters,
// so a lightning: link made of one cannot carry anything else.
var bolt11Pattern = regexp.MustCompile(`^[A-Za-z0-9]+$`)

// orderIDPattern is what billing's order ids look like.
var orderIDPattern = regexp.MustCompile(`^ord_[0-9a-f]{32}$`)

// checkoutRequest is the body of POST /api/billing/checkout and the
// fields of the pricing page's form.
type checkoutRequest struct {
	Plan   string `json:"plan"`   // "pro", "max" or a credit pack's id
	Method string `json:"method"` // "lightning" or "card"
	Email  string `json:"email"`  // the anonymous buyer of a plan
}

// checkout starts (or finds again) the order a request asks for.
func (s *Server) checkout(r *http.Request, req checkoutRequest) (billing.Order, error) {
	svc := s.multi.Billing
	if svc == nil || !svc.Enabled() {
		return billing.Order{}, errNotOffered
	}
	m := billing.Method(req.Method)
	if m != billing.Lightning && m != billing.Card {
		return billing.Order{}, errBadMethod
	}
	buyer, err := s.buyerOf(r, req)
	if err != nil {
		return billing.Order{}, err
	}
	o, err := svc.Checkout(r.Context(), buyer, strings.TrimSpace(req.Plan), m)
	if err != nil {
		return o, err
	}
	if o.Method == billing.Card && o.CheckoutURL != "" && !svc.TrustedCheckout(o.CheckoutURL) {
		s.log.Error("card checkout address refused", "order", o.ID)
		return o, errUntrustedCheck
	}
	return o, nil
}

// buyerOf says who buys: the signed-in account, else the email address
// given, else this browser's anonymous trial.
func (s *Server) buyerOf(r *http.Request, req checkoutRequest) (billing.Buyer, error) {
	if c, ok := s.gate.caller(r); ok {
		return billing.Buyer{UserID: c.ID}, nil
	}
	if email := strings.TrimSpace(req.Email); email != "" {
		return billing.Buyer{Email: email}, nil
	}
	if t, ok := s.trialOf(r); ok {
		return billing.Buyer{TrialID: t.ID}, nil
	}
	return billing.Buyer{}, errBadBuyer
}

// checkoutJSON is the answer to POST /api/billing/checkout.
type checkoutJSON struct {
	OrderID     string         `json:"order_id"`
	Status      string         `json:"status"`
	OrderURL    string         `json:"order_url"`
	Lightning   *lightningJSON `json:"lightning,omitempty"`
	QRURL       string         `json:"qr_url,omitempty"`
	CheckoutURL string         `json:"checkout_url,omitempty"`
}

type lightningJSON struct {
	BOLT11    string    `json:"bolt11"`
	ExpiresAt time.Time `json:"expires_at"`
	Sats      int64     `json:"sats"`
}

func orderURL(id string) string { return "/billing/orders/" + id }
func qrURL(id string) string    { return "/billing/orders/" + id + "/qr.png" }

func lightningOf(o billing.Order) *lightningJSON {
	if o.Lightning == nil || o.Lightning.BOLT11 == "" {
		return nil
	}
	return &lightningJSON{BOLT11: o.Lightning.BOLT11, ExpiresAt: o.Lightning.ExpiresAt.UTC(), Sats: o.Lightning.Sats}
}

func (s *Server) handleCheckoutAPI(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	var req checkoutRequest
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return badRequest("bad_json", "The body must be JSON like {\"plan\": \"pro\", \"method\": \"lightning\"}.")
	}
	o, err := s.checkout(r, req)
	if err != nil {
		return err
	}
	out := checkoutJSON{OrderID: o.ID, Status: o.Status, OrderURL: orderURL(o.ID), Lightning: lightningOf(o)}
	if o.Method == billing.Card {
		out.CheckoutURL = o.CheckoutURL // checked by checkout
	}
	if out.Lightning != nil {
		out.QRURL = qrURL(o.ID)
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// handleCheckoutForm is the pricing page's form: a Lightning order opens
// its page, a card order goes on to Zaprite. A refusal shows the pricing
// page again with the reason.
func (s *Server) handleCheckoutForm(w http.ResponseWriter, r *http.Request, _ httprouter.Params) error {
	if err := r.ParseForm(); err != nil {
		return err
	}
	req := checkoutRequest{Plan: r.PostForm.Get("plan"), Method: r.PostForm.Get("method"), Email: r.PostForm.Get("email")}
	o, err := s.checkout(r, req)
	if err != nil {
		he, ok := asHTTPError(err)
		if !ok {
			return err
		}
		setRetryAfter(w, he)
		return s.renderPricing(w, r, he.Status, he.problem())
	}
	if o.Method == billing.Card && o.CheckoutURL != "" && o.Status == billing.StatusOpen {
		http.Redirect(w, r, o.CheckoutURL, http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, orderURL(o.ID), http.StatusSeeOther)
	return nil
}

// order finds the order a route names.
func (s *Server) order(r *http.Request, ps httprouter.Params) (billing.Order, error) {
	id := ps.ByName("id")
	if s.multi.Billing == nil || !orderIDPattern.MatchString(id) {
		return billing.Order{}, errOrderNotFound
	}
	return s.multi.Billing.Order(r.Context(), id)
}

func (s *Server) handleOrderPage(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error {
	o, err := s.order(r, ps)
	if err != nil {
		return err
	}
	v := s.orderView(o, time.Now())
	_, v.SignedIn = s.gate.caller(r)
	return s.render(w, r, http.StatusOK, "order", v)
}

func (s *Server) handleOrderAPI(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error {
	o, err := s.order(r, ps)
	if err != nil {
		return err
	}
	v := s.orderView(o, time.Now())
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, orderJSON{
		OrderID: o.ID, Status: o.Status, Message: v.Message, Hint: v.Hint, Tone: v.Tone,
		Payable: v.Payable, Final: v.Final, Plan: o.Offer.ID, Method: string(o.Method),
		Amount: o.Amount, Currency: o.Currency, Lightning: lightningOf(o), QRURL: v.QRURL, CheckoutURL: v.CheckoutURL,
		Tier: o.Tier, PeriodEnd: o.PeriodEnd, CreatedAt: o.CreatedAt, SettledAt: o.SettledAt,
	})
	return nil
}

// handleOrderQR serves the QR code of a Lightning order's invoice.
func (s *Server) handleOrderQR(w http.ResponseWriter, r *http.Request, ps httprouter.Params) error {
	o, err := s.order(r, ps)
	if err != nil {
		return err
	}
	if o.Lightning == nil || o.Lightning.BOLT11 == "" {
		return errOrderNotFound
	}
	png, err := qrPNG(lightningURI(o.Lightning.BOLT11))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, max-age=3600") // an order's invoice never changes
	w.Write(png)
	return nil
}

// orderJSON is GET /api/billing/orders/:id: the order as its page shows
// it, without anything about the buyer.
type orderJSON struct {
	OrderID     string         `json:"order_id"`
	Status      string         `json:"status"`
	Message     string         `json:"message"` // the status in words, as the page says it
	Hint        string         `json:"hint,omitempty"`
	Tone        string         `json:"tone"`    // ok, problem or ""
	Payable     bool           `json:"payable"` // the invoice or checkout can still be paid
	Final       bool           `json:"final"`   // nothing will change any more
	Plan        string         `json:"plan"`
	Method      string         `json:"method"`
	Amount      int64          `json:"amount"`
	Currency    string         `json:"currency"`
	Lightning   *lightningJSON `json:"lightning,omitempty"`
	QRURL       string         `json:"qr_url,omitempty"`
	CheckoutURL string         `json:"checkout_url,omitempty"`
	Tier        string         `json:"tier,omitempty"`
	PeriodEnd   time.Time      `json:"period_end,omitzero"`
	CreatedAt   time.Time      `json:"created_at"`
	SettledAt   time.Time      `json:"settled_at,omitzero"`
}

// orderPage is what the order page shows.
type orderPage struct {
	ID, Status   string
	Title        string // "Pro — 30 days" or "100 credits"
	Price        string // "21,000 sats" or "12.00 USD"
	MethodName   string
	Message      string // the status in words
	Hint         string
	Tone         string // ok, problem or ""
	Payable      bool   // the invoice or checkout can still be paid
	Final        bool
	Lightning    *billing.LightningInvoice
	LightningURI template.URL // lightning:<bolt11>, a scheme html/template does not pass by itself
	QRURL        string
	CheckoutURL  string
	CreatedAt    time.Time
	SignedIn     bool
}

func (s *Server) orderView(o billing.Order, now time.Time) orderPage {
	v := orderPage{ID: o.ID, Status: o.Status, Title: offerTitle(o.Offer), Price: money(o.Amount, o.Currency),
		MethodName: "by card", Final: o.Final(), CreatedAt: o.CreatedAt}
	if o.Method == billing.Lightning {
		v.MethodName = "by Lightning"
	}
	if o.Lightning != nil && o.Lightning.BOLT11 != "" {
		v.Lightning, v.QRURL = o.Lightning, qrURL(o.ID)
		if bolt11Pattern.MatchString(o.Lightning.BOLT11) {
			v.LightningURI = template.URL(lightningURI(o.Lightning.BOLT11))
		}
	}
	// Only a card order has a checkout elsewhere; BTCPay's own page is
	// not offered (its address may be one only this server reaches).
	if o.Method == billing.Card && o.CheckoutURL != "" && s.multi.Billing.TrustedCheckout(o.CheckoutURL) {
		v.CheckoutURL = o.CheckoutURL
	}
	v.Payable = o.Status == billing.StatusOpen && (v.CheckoutURL != "" ||
		(v.Lightning != nil && now.Before(v.Lightning.ExpiresAt)))
	v.Message, v.Hint, v.Tone = orderWords(o, v.Payable)
	return v
}

// orderWords says an order's status for people.
func orderWords(o billing.Order, payable bool) (msg, hint, tone string) {
	switch o.Status {
	case billing.StatusPaid:
		return paidWords(o), "", "ok"
	case billing.StatusProcessing:
		return "Payment received; waiting for it to be confirmed.", "This page changes by itself once it is.", ""
	case billing.StatusUnderpaid:
		return "Less than the price arrived, so nothing was applied.", strings.TrimSpace(o.Note + " Ask the operator of this Recap to complete or refund it, quoting order " + o.ID + "."), "problem"
	case billing.StatusExpired:
		return "The invoice expired before it was paid. Nothing was charged.", "Start again from Plans and prices.", "problem"
	case billing.StatusInvalid:
		return "The payment provider refused this payment; nothing was applied.", strings.TrimSpace(o.Note + " Start again from Plans and prices."), "problem"
	case billing.StatusFailed:
		return "The payment provider could not take this order. Nothing was charged.", "Try again in a minute from Plans and prices.", "problem"
	}
	switch {
	case o.Method == billing.Card && payable:
		return "Waiting for the card payment.", "Pay on Zaprite's page; it sends you back here, and this page shows the result.", ""
	case payable:
		return "Waiting for the payment.", "Scan the QR code with a Lightning wallet, open the invoice in a wallet, or copy it.", ""
	}
	return "Waiting for the payment provider to settle this order.", "A payment made in time still counts; this page changes by itself.", ""
}

// paidWords is the message of a paid order: "Paid — Pro until 2027-01-01".
func paidWords(o billing.Order) string {
	if o.Offer.Kind == billing.KindPack {
		where := ""
		if o.UserID == "" {
			where = " to this browser's trial"
		}
		return fmt.Sprintf("Paid — %d credits added%s", o.Offer.Credits, where)
	}
	tier := o.Tier
	if tier == "" {
		tier = o.Offer.Tier
	}
	if o.PeriodEnd.IsZero() {
		return "Paid — " + billing.PlanName(tier)
	}
	return "Paid — " + billing.PlanName(tier) + " until " + o.PeriodEnd.UTC().Format("2006-01-02")
}

func offerTitle(o billing.Offer) string {
	if o.Kind == billing.KindPack {
		return fmt.Sprintf("%s credits", thousands(o.Credits))
	}
	return fmt.Sprintf("%s — %d days", billing.PlanName(o.Tier), o.Days)
}

// zeroDecimal are currencies without a minor unit (ISO 4217 exponent 0)
// among those a card checkout is likely to use.
var zeroDecimal = map[string]bool{"JPY": true, "KRW": true, "VND": true, "CLP": true, "ISK": true,
	"PYG": true, "UGX": true, "XAF": true, "XOF": true, "RWF": true}

// money says an amount: sats with thousands separators, or a fiat
// amount given in its smallest unit.
func money(amount int64, currency string) string {
	cur := strings.ToUpper(currency)
	if cur == "SATS" || cur == "SAT" || cur == "" {
		return thousands64(amount) + " sats"
	}
	if zeroDecimal[cur] {
		return thousands64(amount) + " " + cur
	}
	return fmt.Sprintf("%s.%02d %s", thousands64(amount/100), amount%100, cur)
}

func thousands64(n int64) string {
	if n < 0 {
		return "-" + thousands64(-n)
	}
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
