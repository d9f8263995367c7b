package credits

import (
	"time"

	"github.com/recap-startos/recap/pkg/config"
)

// PolicyFrom reads the metering policy from multi mode's settings
// (config.Mode after defaults were applied).
func PolicyFrom(m config.Mode) Policy {
	p := Policy{Tiers: map[string]Plan{}}
	if m.Tiers != nil {
		for name, pl := range map[string]config.Plan{TierCore: m.Tiers.Core, TierPro: m.Tiers.Pro, TierMax: m.Tiers.Max} {
			if pl.Credits == nil || pl.MaxHours == nil || pl.LLM == nil || pl.MaxWaiting == nil {
				continue // defaults not applied: keep DefaultPlans
			}
			p.Tiers[name] = Plan{Credits: *pl.Credits, MaxHours: *pl.MaxHours, LLM: *pl.LLM, MaxWaiting: *pl.MaxWaiting}
		}
	}
	if m.ReplenishDays != nil {
		p.Period = time.Duration(*m.ReplenishDays) * 24 * time.Hour
	}
	if m.CreditsPerHour != nil {
		p.PerHour = *m.CreditsPerHour
	}
	if m.TrialCredits != nil {
		p.TrialCredits = *m.TrialCredits
	}
	if m.TrialsPerIPPerDay != nil {
		p.TrialsPerBucket = *m.TrialsPerIPPerDay
	}
	return p
}
