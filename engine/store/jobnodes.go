package store

import (
	"context"
	"time"
)

// Job nodes (table job_nodes) are the heartbeats of the job runners: each
// runner writes its seen_at every few seconds while it runs and whenever
// it claims. A running job whose runner has not been seen for the node
// timeout is taken over at once by the next claim (ClaimJobsAlive), so
// the jobs of a killed process run again within seconds instead of
// waiting out their leases. lease_until stays the bound on how long one
// attempt may run.

// heartbeat records that runner node is alive at now, inside tx.
func heartbeat(ctx context.Context, tx *Tx, node string, now time.Time) error {
	t := TimeArg(tx.D, now)
	_, err := tx.ExecContext(ctx, Rebind(tx.D, `INSERT INTO job_nodes (id, started_at, seen_at) VALUES (?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at`), node, t, t)
	return err
}

// JobHeartbeat records that runner node is alive at now.
func (s *Store) JobHeartbeat(ctx context.Context, node string, now time.Time) error {
	return s.InTx(ctx, func(tx *Tx) error { return heartbeat(ctx, tx, node, now) })
}

// JobNodeStopped removes runner node's heartbeat: it stopped cleanly, so
// any job it still shows as running is abandoned.
func (s *Store) JobNodeStopped(ctx context.Context, node string) error {
	_, err := s.W.ExecContext(ctx, s.q(`DELETE FROM job_nodes WHERE id = ?`), node)
	return err
}

// AbandonJobsOfOthers marks every job running under a runner other than
// node as abandoned (its lease over at now), so the next claim takes it
// over. It is for SQLite, where a starting process is the only one on its
// file that can hold a job: a job transaction holds the file's write lock,
// so this waits for any job another live process is in the middle of
// (which then finishes), and what is left running is a dead process's.
func (s *Store) AbandonJobsOfOthers(ctx context.Context, node string, now time.Time) (int64, error) {
	t := TimeArg(s.D, now)
	res, err := s.W.ExecContext(ctx, s.q(`UPDATE jobs SET lease_until = ?, updated_at = ?
		WHERE status = 'running' AND (locked_by IS NULL OR locked_by <> ?) AND lease_until > ?`), t, t, node, t)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// PurgeJobNodes deletes the heartbeats of runners not seen since before.
func (s *Store) PurgeJobNodes(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.W.ExecContext(ctx, s.q(`DELETE FROM job_nodes WHERE seen_at < ?`), TimeArg(s.D, before))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
