package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Outcomes of a sign-in request.
const (
	OutcomeSent    = "sent"    // a link was (or will be) mailed
	OutcomeLimited = "limited" // refused by a rate limit; nothing sent
)

// SignInRequest is one request for a sign-in link, kept for rate limits
// and for the admin's abuse view.
type SignInRequest struct {
	Email     string // canonical address asked for
	IPBucket  string // IPv4 address, IPv6 /64, or a named bucket such as "tor"
	IPAddress string
	UserAgent string
	CreatedAt time.Time // now if zero
	Outcome   string
}

// SignInLimits bound sign-in requests within a sliding window. A zero
// limit is no limit.
type SignInLimits struct {
	Window    time.Duration
	PerEmail  int // requests for one address
	PerBucket int // requests from one client address bucket
	Total     int // requests overall
}

// Refused requests are not logged one by one: each adds one to the count
// of its client bucket in the current hour (signin_refusals, written in
// batches, see refusals.go), so a flood of them adds one row per bucket
// and hour, and the table is capped at MaxRefusalRows (the oldest hours
// go first).
const (
	refusalWindow = time.Hour
	// MaxRefusalRows bounds signin_refusals.
	MaxRefusalRows = 10000
)

// AdmitSignInRequest decides whether a sign-in request is within the
// limits, counting the requests already admitted in the window. An
// admitted request is logged (OutcomeSent) in a write transaction that
// checks the limits again, so concurrent requests cannot all slip under
// a limit; a refused one costs no write (see refusals.go). Only admitted
// requests count towards later limits.
func (s *Store) AdmitSignInRequest(ctx context.Context, r SignInRequest, lim SignInLimits) (bool, error) {
	if r.CreatedAt.IsZero() {
		r.CreatedAt = s.now()
	}
	if s.refusals.full(lim, r.CreatedAt) {
		s.refusals.add(r.IPBucket, r.CreatedAt)
		return false, nil
	}
	refused, err := s.signInLimited(ctx, s.rdb, r, lim)
	if err != nil {
		return false, fmt.Errorf("store: admit sign-in request: %w", err)
	}
	if !refused {
		err = s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
			if refused, err = s.signInLimited(ctx, tx, r, lim); err != nil || refused {
				return err
			}
			r.Outcome = OutcomeSent
			return insertSignInRequest(ctx, tx, r)
		})
		if err != nil {
			return false, fmt.Errorf("store: admit sign-in request: %w", err)
		}
	}
	if refused {
		s.refusals.add(r.IPBucket, r.CreatedAt)
	}
	return !refused, nil
}

// querier is a read-only connection pool or a transaction.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// signInLimited says whether a limit refuses r. When the overall limit
// does, it also records until when it will (refusals.setFull).
func (s *Store) signInLimited(ctx context.Context, q querier, r SignInRequest, lim SignInLimits) (bool, error) {
	since := ms(r.CreatedAt.Add(-lim.Window))
	checks := []struct {
		limit int
		query string
		args  []any
	}{
		{lim.PerEmail, `SELECT count(*) FROM signin_requests WHERE email = ? AND created_at > ? AND outcome = 'sent'`, []any{r.Email, since}},
		{lim.PerBucket, `SELECT count(*) FROM signin_requests WHERE ip_bucket = ? AND created_at > ? AND outcome = 'sent'`, []any{r.IPBucket, since}},
	}
	for _, c := range checks {
		if c.limit <= 0 {
			continue
		}
		var n int
		if err := q.QueryRowContext(ctx, c.query, c.args...).Scan(&n); err != nil {
			return false, err
		}
		if n >= c.limit {
			return true, nil
		}
	}
	if lim.Total <= 0 {
		return false, nil
	}
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM signin_requests WHERE created_at > ? AND outcome = 'sent'`, since).Scan(&n); err != nil {
		return false, err
	}
	if n < lim.Total {
		return false, nil
	}
	// A request is admitted again once n-Total+1 of the admitted ones have
	// left the window: when the oldest of those still counted leaves.
	var oldest int64
	err := q.QueryRowContext(ctx, `SELECT created_at FROM signin_requests WHERE created_at > ? AND outcome = 'sent'
		ORDER BY created_at LIMIT 1 OFFSET ?`, since, n-lim.Total).Scan(&oldest)
	if err != nil {
		return false, err
	}
	s.refusals.setFull(lim, time.UnixMilli(oldest).Add(lim.Window))
	return true, nil
}

// LogSignInRequest records a request with the outcome the caller decided.
func (s *Store) LogSignInRequest(ctx context.Context, r SignInRequest) error {
	if r.CreatedAt.IsZero() {
		r.CreatedAt = s.now()
	}
	if r.Outcome == "" {
		return errors.New("store: log sign-in request: no outcome")
	}
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return insertSignInRequest(ctx, tx, r)
	})
	if err != nil {
		return fmt.Errorf("store: log sign-in request: %w", err)
	}
	return nil
}

func insertSignInRequest(ctx context.Context, tx *sql.Tx, r SignInRequest) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO signin_requests (email, ip_bucket, ip_address, user_agent, created_at, outcome)
		VALUES (?, ?, ?, ?, ?, ?)`, r.Email, r.IPBucket, nullStr(r.IPAddress), nullStr(r.UserAgent), ms(r.CreatedAt), r.Outcome)
	return err
}

// CountSignInRequests counts the logged requests since a time (admitted
// ones, and any logged with LogSignInRequest; refusals are only counted
// per bucket, see SignInActivity), for one address (email set) or one
// bucket (bucket set) or overall.
func (s *Store) CountSignInRequests(ctx context.Context, email, bucket string, since time.Time) (int, error) {
	var n int
	var err error
	switch {
	case email != "":
		err = s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM signin_requests WHERE email = ? AND created_at > ?`, email, ms(since)).Scan(&n)
	case bucket != "":
		err = s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM signin_requests WHERE ip_bucket = ? AND created_at > ?`, bucket, ms(since)).Scan(&n)
	default:
		err = s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM signin_requests WHERE created_at > ?`, ms(since)).Scan(&n)
	}
	if err != nil {
		return 0, fmt.Errorf("store: count sign-in requests: %w", err)
	}
	return n, nil
}

// BucketActivity sums up the sign-in requests from one client address
// bucket, for spotting abuse.
type BucketActivity struct {
	IPBucket string
	Requests int // all requests in the window (refused ones by the hour they fell in)
	Limited  int // of which refused by a limit
	Emails   int // distinct addresses of the admitted requests
	First    time.Time
	Last     time.Time
}

// SignInActivity groups the requests since a time by client address
// bucket, busiest first.
func (s *Store) SignInActivity(ctx context.Context, since time.Time, limit int) ([]BucketActivity, error) {
	if limit <= 0 {
		limit = 50
	}
	if err := s.FlushRefusals(ctx); err != nil {
		return nil, fmt.Errorf("store: sign-in activity: %w", err)
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT ip_bucket, sum(n), sum(limited), sum(emails), min(first), max(last) FROM (
			SELECT ip_bucket, count(*) AS n, sum(outcome = 'limited') AS limited, count(DISTINCT email) AS emails,
				min(created_at) AS first, max(created_at) AS last
			FROM signin_requests WHERE created_at > ?1 GROUP BY ip_bucket
			UNION ALL
			SELECT ip_bucket, sum(count), sum(count), 0, min(window_start), max(last_at)
			FROM signin_refusals WHERE last_at > ?1 GROUP BY ip_bucket)
		GROUP BY ip_bucket ORDER BY sum(n) DESC, max(last) DESC LIMIT ?2`, ms(since), limit)
	if err != nil {
		return nil, fmt.Errorf("store: sign-in activity: %w", err)
	}
	defer rows.Close()
	out := []BucketActivity{}
	for rows.Next() {
		var a BucketActivity
		var first, last sql.NullInt64
		if err := rows.Scan(&a.IPBucket, &a.Requests, &a.Limited, &a.Emails, &first, &last); err != nil {
			return nil, fmt.Errorf("store: sign-in activity: %w", err)
		}
		a.First, a.Last = fromMS(first), fromMS(last)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: sign-in activity: %w", err)
	}
	return out, nil
}

// RecentSignInRequests lists the latest requests, newest first; bucket
// narrows them to one client address bucket when set.
func (s *Store) RecentSignInRequests(ctx context.Context, bucket string, limit int) ([]SignInRequest, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.rdb.QueryContext(ctx, `SELECT email, ip_bucket, ip_address, user_agent, created_at, outcome
		FROM signin_requests WHERE ?1 = '' OR ip_bucket = ?1
		ORDER BY created_at DESC, id DESC LIMIT ?2`, bucket, limit)
	if err != nil {
		return nil, fmt.Errorf("store: recent sign-in requests: %w", err)
	}
	defer rows.Close()
	out := []SignInRequest{}
	for rows.Next() {
		var r SignInRequest
		var ip, ua sql.NullString
		var at sql.NullInt64
		if err := rows.Scan(&r.Email, &r.IPBucket, &ip, &ua, &at, &r.Outcome); err != nil {
			return nil, fmt.Errorf("store: recent sign-in requests: %w", err)
		}
		r.IPAddress, r.UserAgent, r.CreatedAt = ip.String, ua.String, fromMS(at)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: recent sign-in requests: %w", err)
	}
	return out, nil
}

// DeleteSignInRequestsBefore prunes the log and returns how many rows went.
func (s *Store) DeleteSignInRequestsBefore(ctx context.Context, before time.Time) (int64, error) {
	if err := s.FlushRefusals(ctx); err != nil {
		return 0, fmt.Errorf("store: prune sign-in requests: %w", err)
	}
	defer s.refusals.forgetFull()
	var n int64
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM signin_refusals WHERE last_at < ?`, ms(before)); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM signin_requests WHERE created_at < ?`, ms(before))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: prune sign-in requests: %w", err)
	}
	return n, nil
}

// Setting returns the value of a setting, or ErrNotFound.
func (s *Store) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := s.rdb.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("store: get setting %s: %w", key, err)
	}
	return v, nil
}

// SetSetting stores the value of a setting.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, key, value, ms(s.now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: set setting %s: %w", key, err)
	}
	return nil
}
