package relay

import "time"

// Period is the paid period a purchase gives.
type Period struct {
	Tier     string    // the tier of the period (the higher one when tiers meet)
	Start    time.Time // when the bought days begin
	End      time.Time // the new end of the paid tier
	Refilled bool      // a new allowance period starts now
}

// NextPeriod works out the period bought days of a paid tier give a user
// who has cur until curEnd; worth is what a period of each paid tier
// costs (any unit, the same for both). It is the one rule for direct
// purchases (pkg/credits) and for checkouts settled at the relay:
//
//   - No active paid tier, or the same one: the tier until the bought
//     days after the later of now and its current end (renewing early
//     loses nothing).
//   - A higher tier during a lower one (Max during Pro): the higher tier
//     from now for the days bought plus the lower tier's days left,
//     converted by the ratio of their worth.
//   - A lower tier during a higher one (Pro during Max): the higher tier
//     stays and is lengthened by the bought days' worth in its days; the
//     allowance period is not restarted.
func NextPeriod(cur string, curEnd time.Time, bought string, days int, now time.Time, worth func(string) int64) Period {
	d := time.Duration(days) * 24 * time.Hour
	active := cur != TierCore && cur != "" && curEnd.After(now)
	switch {
	case !active:
		return Period{Tier: bought, Start: now, End: now.Add(d), Refilled: true}
	case cur == bought:
		return Period{Tier: bought, Start: curEnd, End: curEnd.Add(d), Refilled: true}
	case worth(bought) > worth(cur):
		left := curEnd.Sub(now)
		extra := time.Duration(float64(left) * float64(worth(cur)) / float64(worth(bought)))
		return Period{Tier: bought, Start: now, End: now.Add(d + extra).Truncate(time.Millisecond), Refilled: true}
	default:
		add := time.Duration(float64(d) * float64(worth(bought)) / float64(worth(cur)))
		return Period{Tier: cur, Start: curEnd, End: curEnd.Add(add).Truncate(time.Millisecond)}
	}
}
