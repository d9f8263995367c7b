package credits

import (
	"context"
	"database/sql"
)

// extendTrial holds need more credits of a trial's for its job.
func (l *Ledger) extendTrial(ctx context.Context, tx *sql.Tx, r reservation, need int64) error {
	var left int64
	err := tx.QueryRowContext(ctx, `UPDATE anon_trials SET credits_used = credits_used + ?1
		WHERE cookie_id = ?2 AND credits_total - credits_used >= ?1
		RETURNING credits_total - credits_used`, need, r.trialID.String).Scan(&left)
	if err == sql.ErrNoRows {
		var have int64
		tx.QueryRowContext(ctx, `SELECT max(credits_total - credits_used, 0) FROM anon_trials WHERE cookie_id = ?`, r.trialID.String).Scan(&have)
		return &ShortError{Need: int(r.held() + need), Have: int(have + r.held())}
	}
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE credit_reservations SET trial = trial + ?, updated_at = ? WHERE job_id = ?`,
		need, l.now().UnixMilli(), r.jobID)
	return err
}
