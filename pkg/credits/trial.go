package credits

// Anonymous trials. A visitor who is not signed in may spend a few
// credits (Policy.TrialCredits) before making an account. A trial is
// started by the first costly request only (reading pages starts
// nothing); its cookie holds 32 random bytes and anon_trials.cookie_id
// their SHA-256, like sessions. How many trials one client may start is
// capped per client bucket over 24 hours: an IPv4 address, an IPv6 /64
// (and, more loosely, the /48 around it), or one bucket shared by Tor and
// by requests whose address is unknown. The count and the insert happen
// in one write, so requests arriving together cannot pass the cap.
//
// A trial is claimed by the account whose sign-in link was requested
// while holding it (magic_link_tokens.trial_cookie_id), in whichever
// browser the link is opened: once only, and its unused credits move to
// the account's permanent bucket only when the account is new (so that
// starting trials and signing in to an old account launders nothing).

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/recap-startos/recap/pkg/auth"
	"github.com/recap-startos/recap/pkg/store"
)

// Trial settings.
const (
	// TrialLife is how long an unclaimed trial (and its recaps) lasts.
	TrialLife = store.TrialLife
	// TrialWindow is the window the caps count trials in.
	TrialWindow = 24 * time.Hour
	// WideFactor is how many times the per-bucket cap one IPv6 /48 may
	// start: a household's /64s share a /48, so it is looser.
	WideFactor = 4
	// TorBucket is the bucket of requests that came through the onion
	// address; they share it with requests of unknown address.
	TorBucket = auth.NoIPBucket
)

// Errors of trials.
var (
	// ErrTrialsOff means trials are turned off (trial-credits is 0).
	ErrTrialsOff = errors.New("credits: trials are turned off")
	// ErrTrialCap means the client's bucket started its share of trials
	// in the last 24 hours.
	ErrTrialCap = errors.New("credits: too many trials from this network today")
	// ErrNoTrial means the cookie names no trial that can be used (unknown,
	// claimed, or older than TrialLife).
	ErrNoTrial = errors.New("credits: no such trial")
)

// TrialClient is where a request to start a trial comes from.
type TrialClient struct {
	Addr      netip.Addr // auth.ClientAddr of the request; invalid if unknown
	Tor       bool       // the request came through the onion address
	UserAgent string
}

// Buckets returns the client's bucket and, for IPv6, the /48 around it.
func (c TrialClient) Buckets() (bucket, wide string) {
	if c.Tor || !c.Addr.IsValid() {
		return TorBucket, ""
	}
	bucket = auth.Bucket(c.Addr)
	if a := c.Addr.Unmap(); a.Is6() {
		if p, err := a.Prefix(48); err == nil {
			wide = p.String()
		}
	}
	return bucket, wide
}

// Trial is an anonymous trial.
type Trial struct {
	ID          string // anon_trials.cookie_id: the SHA-256 of the cookie
	Total, Used int    // credits; Used includes what running jobs hold
	CreatedAt   time.Time
	ClaimedBy   string // the account that claimed it, "" if none
}

// Left is what the trial can still spend.
func (t Trial) Left() int { return max(t.Total-t.Used, 0) }

// ExpiresAt is when an unclaimed trial and its recaps go.
func (t Trial) ExpiresAt() time.Time { return t.CreatedAt.Add(TrialLife) }

// MintTrial starts a trial for a client and returns its cookie value.
func (l *Ledger) MintTrial(ctx context.Context, c TrialClient) (string, Trial, error) {
	if l.pol.TrialCredits <= 0 {
		return "", Trial{}, ErrTrialsOff
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", Trial{}, err
	}
	cookie := base64.RawURLEncoding.EncodeToString(raw[:])
	bucket, wide := c.Buckets()
	now := l.now()
	t := Trial{ID: store.HashToken(cookie), Total: l.pol.TrialCredits, CreatedAt: time.UnixMilli(now.UnixMilli())}
	since := now.Add(-TrialWindow).UnixMilli()
	err := l.st.Update(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var n, nWide int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM anon_trials WHERE ip_bucket = ? AND created_at > ?`, bucket, since).Scan(&n); err != nil {
			return err
		}
		if wide != "" {
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM anon_trials WHERE ip_wide = ? AND created_at > ?`, wide, since).Scan(&nWide); err != nil {
				return err
			}
		}
		if n >= l.pol.TrialsPerBucket || nWide >= l.pol.TrialsPerBucket*WideFactor {
			return capError(ctx, tx, bucket, wide, n >= l.pol.TrialsPerBucket, now)
		}
		addr := ""
		if c.Addr.IsValid() {
			addr = c.Addr.Unmap().String()
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO anon_trials (cookie_id, ip_address, user_agent, created_at, credits_total, credits_used, ip_bucket, ip_wide)
			VALUES (?, ?, ?, ?, ?, 0, ?, ?)`, t.ID, nullStr(addr), nullStr(clipUA(c.UserAgent)), now.UnixMilli(), t.Total, bucket, nullStr(wide))
		return err
	})
	var ce *CapError
	if errors.As(err, &ce) {
		return "", Trial{}, err
	}
	if err != nil {
		return "", Trial{}, fmt.Errorf("credits: start a trial: %w", err)
	}
	return cookie, t, nil
}

func clipUA(s string) string {
	if len(s) > 300 {
		return s[:300]
	}
	return s
}

func scanTrial(row *sql.Row) (Trial, error) {
	var t Trial
	var created int64
	var claimed sql.NullString
	if err := row.Scan(&t.ID, &t.Total, &t.Used, &created, &claimed); err != nil {
		return t, err
	}
	t.CreatedAt, t.ClaimedBy = time.UnixMilli(created), claimed.String
	return t, nil
}

// TrialByCookie returns the usable trial a cookie value names.
func (l *Ledger) TrialByCookie(ctx context.Context, cookie string) (Trial, error) {
	if cookie == "" {
		return Trial{}, ErrNoTrial
	}
	var t Trial
	err := l.st.View(ctx, func(tx *sql.Tx) error {
		var err error
		t, err = scanTrial(tx.QueryRowContext(ctx, `SELECT cookie_id, credits_total, credits_used, created_at, converted_to_user_id
			FROM anon_trials WHERE cookie_id = ? AND converted_to_user_id IS NULL AND created_at > ?`,
			store.HashToken(cookie), l.now().Add(-TrialLife).UnixMilli()))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return Trial{}, ErrNoTrial
	}
	if err != nil {
		return Trial{}, fmt.Errorf("credits: find a trial: %w", err)
	}
	return t, nil
}

// ReserveTrial holds n of a trial's credits for a job, like Reserve for
// an account; with too few it returns a *ShortError.
func (l *Ledger) ReserveTrial(ctx context.Context, trialID, jobID string, n int) error {
	if n <= 0 {
		return fmt.Errorf("%w: reserve %d", ErrBadAmount, n)
	}
	err := l.st.Update(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var left int64
		err := tx.QueryRowContext(ctx, `UPDATE anon_trials SET credits_used = credits_used + ?1, last_used_at = ?3
			WHERE cookie_id = ?2 AND converted_to_user_id IS NULL AND credits_total - credits_used >= ?1
			RETURNING credits_total - credits_used`, n, trialID, l.now().UnixMilli()).Scan(&left)
		if errors.Is(err, sql.ErrNoRows) {
			var have int64
			tx.QueryRowContext(ctx, `SELECT max(credits_total - credits_used, 0) FROM anon_trials WHERE cookie_id = ?`, trialID).Scan(&have)
			return &ShortError{Need: n, Have: int(have)}
		}
		if err != nil {
			return err
		}
		now := l.now().UnixMilli()
		_, err = tx.ExecContext(ctx, `INSERT INTO credit_reservations (job_id, trial_id, trial, state, created_at, updated_at)
			VALUES (?, ?, ?, 'held', ?, ?)`, jobID, trialID, n, now, now)
		return err
	})
	return l.fail("reserve trial credits for", jobID, err)
}

// Claim is what claiming a trial did.
type Claim struct {
	Claimed bool // false: the trial was unknown, expired or claimed already
	Credits int  // credits carried into the account's permanent bucket
}

// ClaimTrial links a trial to the account userID, once. For a new
// account the trial's unused credits move to its permanent bucket with a
// `trial` ledger entry; an existing account gets the link (and the
// recaps, which the caller moves) and, of the unused credits, only as
// many as were bought on the trial (credit packs).
func (l *Ledger) ClaimTrial(ctx context.Context, trialID, userID string, newAccount bool) (Claim, error) {
	var out Claim
	err := l.st.Update(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var total, used int64
		err := tx.QueryRowContext(ctx, `UPDATE anon_trials SET converted_to_user_id = ?
			WHERE cookie_id = ? AND converted_to_user_id IS NULL AND created_at > ?
			RETURNING credits_total, credits_used`, userID, trialID, l.now().Add(-TrialLife).UnixMilli()).Scan(&total, &used)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		out.Claimed = true
		left := total - used
		if !newAccount {
			// An existing account takes only what was bought on the
			// trial (credit packs), never the free trial credits.
			var bought int64
			if err := tx.QueryRowContext(ctx, `SELECT coalesce(sum(credits), 0) FROM pending_purchases
				WHERE buyer_type = 'anon' AND buyer_id = ? AND applied_at IS NOT NULL`, trialID).Scan(&bought); err != nil {
				return err
			}
			left = min(left, bought)
		}
		if left <= 0 {
			return nil
		}
		c, err := l.open(ctx, tx, userID, ActorSystem)
		if err != nil {
			return err
		}
		if err := c.add(left, Grant{Kind: KindTrial, Note: "unused trial credits"}); err != nil {
			return err
		}
		out.Credits = int(left)
		return c.save(ctx, tx)
	})
	if err != nil {
		return Claim{}, fmt.Errorf("credits: claim a trial for %s: %w", userID, err)
	}
	return out, nil
}

// TrialBucketCount is one bucket's trials of the last 24 hours, for the
// admin's trials view.
type TrialBucketCount struct {
	Bucket    string
	Trials    int // started in the window
	Converted int // of those, claimed by an account
}

// TrialActivity lists the buckets that started trials in the last 24
// hours, busiest first.
func (l *Ledger) TrialActivity(ctx context.Context, limit int) ([]TrialBucketCount, error) {
	var out []TrialBucketCount
	err := l.st.View(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT ip_bucket, count(*), count(converted_to_user_id) FROM anon_trials
			WHERE created_at > ? AND ip_bucket IS NOT NULL GROUP BY ip_bucket ORDER BY count(*) DESC, ip_bucket LIMIT ?`,
			l.now().Add(-TrialWindow).UnixMilli(), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var b TrialBucketCount
			if err := rows.Scan(&b.Bucket, &b.Trials, &b.Converted); err != nil {
				return err
			}
			out = append(out, b)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("credits: trial activity: %w", err)
	}
	return out, nil
}
