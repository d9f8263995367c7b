package credits

import (
	"testing"
	"time"
)

func TestNextPeriod(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	worth := func(tier string) int64 { return map[string]int64{TierPro: 20000, TierMax: 80000}[tier] }
	cases := []struct {
		name      string
		cur       string
		curEnd    time.Time
		bought    string
		wantTier  string
		wantStart time.Time
		wantEnd   time.Time
		refill    bool
	}{
		{"first purchase", TierCore, time.Time{}, TierPro, TierPro, now, now.Add(30 * day), true},
		{"after a lapse", TierPro, now.Add(-day), TierPro, TierPro, now, now.Add(30 * day), true},
		{"early renewal", TierPro, now.Add(10 * day), TierPro, TierPro, now.Add(10 * day), now.Add(40 * day), true},
		{"max during pro", TierPro, now.Add(20 * day), TierMax, TierMax, now, now.Add(35 * day), true},
		{"pro during max", TierMax, now.Add(20 * day), TierPro, TierMax, now.Add(20 * day), now.Add(20*day + 7*day + 12*time.Hour), false},
		{"pro after max lapsed", TierMax, now, TierPro, TierPro, now, now.Add(30 * day), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := nextPeriod(c.cur, c.curEnd, c.bought, 30, now, worth)
			if p.Tier != c.wantTier || !p.Start.Equal(c.wantStart) || !p.End.Equal(c.wantEnd) || p.Refilled != c.refill {
				t.Fatalf("got %+v, want %s %v – %v refill %v", p, c.wantTier, c.wantStart, c.wantEnd, c.refill)
			}
		})
	}
}
