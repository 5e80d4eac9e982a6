package store

import (
	"context"
	"time"
)

// JobQueueStat is the state of one kind of job in one queue state, as the
// metrics endpoint reports it.
type JobQueueStat struct {
	Kind string
	// State is "due" (pending and past run_at: waiting for a runner),
	// "scheduled" (pending, run_at in the future) or "running".
	State string
	Count int64
	// Oldest is the earliest run_at (due, scheduled) or started_at
	// (running) in the group: how long the oldest one has waited or run.
	Oldest time.Time
}

// JobQueueStats counts unfinished jobs by kind and state in one grouped
// query over the partial indexes' rows (finished jobs are not read).
func (s *Store) JobQueueStats(ctx context.Context, now time.Time) ([]JobQueueStat, error) {
	t := TimeArg(s.D, now)
	rows, err := s.rd(ctx).QueryContext(ctx, s.q(`SELECT kind, state, COUNT(*), MIN(since) FROM (
			SELECT kind,
				CASE WHEN status = 'running' THEN 'running' WHEN run_at <= ? THEN 'due' ELSE 'scheduled' END AS state,
				CASE WHEN status = 'running' THEN COALESCE(started_at, run_at) ELSE run_at END AS since
			FROM jobs WHERE status IN ('pending', 'running')) q
		GROUP BY kind, state ORDER BY kind, state`), t)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []JobQueueStat
	for rows.Next() {
		var st JobQueueStat
		var since any
		if err := rows.Scan(&st.Kind, &st.State, &st.Count, &since); err != nil {
			return nil, err
		}
		st.Oldest = DecodeTime(since)
		out = append(out, st)
	}
	return out, rows.Err()
}
