package mail

import (
	"fmt"
)

// Digest is what the digest mail of followed shows says: the recaps
// that the follows made in one day or week.
type Digest struct {
	To          string
	Site        string        // the host name people know Recap by
	Period      string        // the day ("Tuesday 1 December 2026") or the week's Monday ("23 November 2026")
	Weekly      bool          // a weekly digest (else daily)
	Recaps      []DigestRecap // oldest first; at least one
	Following   string        // the absolute URL of the Following page, where the digest is chosen
	Unsubscribe string        // the absolute URL that stops the digest without signing in
}

// DigestRecap is one recap in a digest.
type DigestRecap struct {
	Title  string        // the recap's title
	Show   string        // the followed show it came from
	Source string        // the episode or video (an http(s) URL), "" if none
	Link   string        // the absolute URL of the recap on Recap
	Points []DigestPoint // up to three key points
}

// DigestPoint is one key point with its time in the source.
type DigestPoint struct {
	Clock string // "12:34" or "1:02:03"; "" when the source has no times
	Link  string // opens the source at that time; "" when it cannot
	Text  string
}

// DigestMessage renders a digest; its Unsubscribe is also sent as the
// List-Unsubscribe header.
func DigestMessage(d Digest) (Message, error) {
	if len(d.Recaps) == 0 {
		return Message{}, fmt.Errorf("mail: a digest with no recaps")
	}
	n := fmt.Sprintf("%d new recaps", len(d.Recaps))
	if len(d.Recaps) == 1 {
		n = "1 new recap"
	}
	when := d.Period
	if d.Weekly {
		when = "week of " + d.Period
	}
	m, err := render("digest", d, d.To, "Recap: "+n+" from the shows you follow, "+when)
	if err != nil {
		return m, err
	}
	m.Unsubscribe = d.Unsubscribe
	return m, nil
}
