package server

import (
	"net/http"
	"slices"
	"time"

	"github.com/recap-startos/recap/pkg/billing"
	"github.com/recap-startos/recap/pkg/recap"
	"github.com/recap-startos/recap/pkg/relay"
)

// The relay notice. With a relay configured (multi mode), the relay
// decides users' plans and this instance keeps a cache of them. While the
// relay cannot be reached nobody is downgraded: the cached plan holds,
// and a paid plan that ends during the outage is held for the grace
// period (docs/relay.md). A signed-in user's pages where their plan or
// the relay's model matters say so, calmly, with the plan they keep and,
// when it is close, the end of the grace period. The state is what the
// sync loop last saw (relay.Sync.Status, also told by the checkout
// calls): showing a page never calls the relay.

// relayNoticePages are the pages that carry the notice: the account, the
// plans and an order (buying goes through the relay), and the new recap
// and job pages (the relay's model may make the recap). The admin's
// dashboard has its own warning (#relay-down).
var relayNoticePages = map[string]bool{"sessions": true, "pricing": true, "order": true, "home": true, "job": true}

// graceNamedWithin is how close the end of the grace period must be for
// the notice to name it; further off it would only be noise.
const graceNamedWithin = 7 * 24 * time.Hour

// relayNotice is what the layout shows while the relay is unreachable.
type relayNotice struct {
	Since time.Time // when the relay stopped answering
	Plan  string    // the plan the user keeps, by name ("Pro")
	Until time.Time // the end of that plan as Recap knows it; zero: none
	// Held: the plan's end has passed and it is kept for the grace period.
	Held bool
	// GraceEnds is when a held plan stops being held, named when it is
	// within graceNamedWithin; zero otherwise.
	GraceEnds time.Time
	Buying    bool // plans are sold through the relay, on a page that sells
	Engine    bool // the relay's model may make recaps, on a page that makes them
}

// relayNoticeFor returns the notice for a signed-in caller on page; show
// is false while the relay answers, without a relay, and on the pages
// that do not carry it.
func (s *Server) relayNoticeFor(r *http.Request, c *caller, page string) (n *relayNotice, show bool, err error) {
	if s.multi == nil || s.multi.Relay == nil || !relayNoticePages[page] {
		return nil, false, nil
	}
	st := s.multi.Relay()
	if st.Reachable {
		return nil, false, nil
	}
	e, err := s.tiers().Tier(r.Context(), c.ID)
	if err != nil {
		return nil, false, err
	}
	n = &relayNotice{Since: st.DownSince, Plan: billing.PlanName(e.Tier), Held: e.Held}
	if e.Tier != relay.TierCore {
		n.Until = e.Expiry
	}
	if !e.HeldUntil.IsZero() && time.Until(e.HeldUntil) < graceNamedWithin {
		n.GraceEnds = e.HeldUntil
	}
	s.relayNoticeLines(n, page)
	return n, true, nil
}

// relayNoticeLines adds what matters on page: buying, on the pages that
// sell; the relay's model, on the pages that make recaps.
func (s *Server) relayNoticeLines(n *relayNotice, page string) {
	switch page {
	case "pricing", "order":
		n.Buying = s.multi.Billing != nil && s.multi.Billing.PlansNeedAccount()
	case "home", "job":
		n.Engine = slices.Contains(s.opt.Engines, recap.EngineRelay)
	}
}

// tiers is the authority on users' tiers: the relay's cache with a
// relay, users.tier without one.
func (s *Server) tiers() relay.TierAuthority {
	if s.multi.Tiers != nil {
		return s.multi.Tiers
	}
	return &relay.Local{Store: s.multi.Store}
}
