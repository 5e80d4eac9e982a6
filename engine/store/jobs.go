package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
)

// Durable jobs (table jobs) are the outbox of after-commit work. A job is
// inserted in the same transaction as the change that asks for it
// (EnqueueJob), so it exists exactly when the change does. A runner
// (engine/jobs) claims due jobs (ClaimJobs: status running, a lease), then
// runs each in a transaction of its own (BeginJob … FinishJob) that both
// makes the job's database effects and marks it done, so those effects
// commit exactly once. A failed attempt is recorded outside that
// transaction (FailJob): back to pending at a later run_at, or dead.
//
// This file is the SQL; scheduling policy (backoff, workers, polling)
// lives in engine/jobs.

func init() {
	i18n.RegisterAll(map[string]map[string]string{
		"store.job_not_found": {i18n.EN: "Job not found.", i18n.ZhCN: "任务不存在。"},
	})
}

// Job statuses.
const (
	JobPending   = "pending"
	JobRunning   = "running"
	JobDone      = "done"
	JobDead      = "dead"
	JobCancelled = "cancelled"
)

// DefaultJobMaxAttempts is a job's number of attempts when it names none.
const DefaultJobMaxAttempts = 8

// leaseExpired is the error of a job dead-lettered because the runner of
// its last attempt stopped (crashed, was killed) before finishing it.
const leaseExpired = "lease expired on the last attempt: its runner stopped without finishing it"

// maxJobError bounds the stored error text.
const maxJobError = 4000

// ErrJobLost reports that a claimed job is no longer held by the caller:
// its lease expired and another runner claimed it, or it was finished.
var ErrJobLost = errors.New("job is no longer held by this runner")

// Job is one row of the jobs table.
type Job struct {
	ID      string
	Kind    string
	Payload json.RawMessage
	// Key optionally names a planned job: at most one pending job has a
	// given key, and enqueueing with the key replaces it.
	Key string
	// Serial optionally names a line of jobs run one at a time, in the
	// order they were enqueued: a pending job is not claimed while an
	// earlier job of its serial (by created_at, then ID) is running, or
	// pending and due. An earlier job waiting out a retry's backoff does
	// not hold the line (a failing job must not stall the others for
	// hours); it runs after the ones claimed meanwhile.
	Serial      string
	RunAt       time.Time
	Attempts    int // attempts started (claims), this one included while running
	MaxAttempts int
	Status      string // pending, running, done, dead, cancelled
	LastError   string // error of the last failed attempt, if any
	LockedBy    string // runner that claimed it last (and ran it, once finished)
	LeaseUntil  time.Time
	StartedAt   time.Time // start of the last attempt
	FinishedAt  time.Time // end of the last attempt (or when cancelled)
	DurationMS  int64     // duration of the last attempt
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// JobFilter selects jobs for ListJobs. Empty fields match anything.
type JobFilter struct {
	Kind      string
	Status    string
	KeyPrefix string
	Limit     int // default DefaultLimit, at most MaxLimit
}

const jobColumns = `id, kind, payload, key, serial, status, run_at, attempts, max_attempts, last_error,
	locked_by, lease_until, started_at, finished_at, duration_ms, created_at, updated_at`

func scanJob(r scanner) (Job, error) {
	var j Job
	var payload string
	var key, serial, lastErr, lockedBy sql.NullString
	var runAt, lease, started, finished, created, updated any
	var dur sql.NullInt64
	if err := r.Scan(&j.ID, &j.Kind, &payload, &key, &serial, &j.Status, &runAt, &j.Attempts, &j.MaxAttempts, &lastErr,
		&lockedBy, &lease, &started, &finished, &dur, &created, &updated); err != nil {
		return j, err
	}
	j.Payload = json.RawMessage(payload)
	j.Key, j.Serial, j.LastError, j.LockedBy = key.String, serial.String, lastErr.String, lockedBy.String
	j.RunAt, j.LeaseUntil, j.StartedAt, j.FinishedAt = DecodeTime(runAt), DecodeTime(lease), DecodeTime(started), DecodeTime(finished)
	j.CreatedAt, j.UpdatedAt = DecodeTime(created), DecodeTime(updated)
	j.DurationMS = dur.Int64
	return j, nil
}

// EnqueueJob inserts j inside tx, so it commits or rolls back with the
// caller's change. Defaults: a new ID, RunAt tx.Now, MaxAttempts
// DefaultJobMaxAttempts, payload {}. With a Key, a pending job with the
// same key is replaced instead (kind, payload, run_at and max_attempts
// taken from j, attempts and error reset) and keeps its ID; j.ID is set to
// the ID of the stored job either way.
func EnqueueJob(ctx context.Context, tx *Tx, j *Job) error {
	if j.Kind == "" {
		return errors.New("job kind is required")
	}
	payload := "{}"
	if len(j.Payload) > 0 {
		if !json.Valid(j.Payload) {
			return fmt.Errorf("job %s: payload is not valid JSON", j.Kind)
		}
		payload = string(j.Payload)
	}
	if j.ID == "" {
		j.ID = NewID()
	}
	if j.RunAt.IsZero() {
		j.RunAt = tx.Now
	}
	if j.MaxAttempts <= 0 {
		j.MaxAttempts = DefaultJobMaxAttempts
	}
	if tx.buf != nil && j.Key == "" {
		// No key, so no pending job to replace: the insert can wait for
		// the buffer's flush (bulk.go).
		j.Payload = json.RawMessage(payload)
		tx.buf.jobs = append(tx.buf.jobs, *j)
		j.Status, j.Attempts = JobPending, 0
		if !j.RunAt.After(tx.Now) {
			tx.enqueued = true
		}
		return nil
	}
	now := TimeArg(tx.D, tx.Now)
	err := tx.QueryRowContext(ctx, Rebind(tx.D, `INSERT INTO jobs (id, kind, payload, key, serial, status, run_at, attempts, max_attempts, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, 'pending', ?, 0, ?, ?, ?)
		ON CONFLICT (key) WHERE status = 'pending' DO UPDATE SET kind = excluded.kind, payload = excluded.payload,
			serial = excluded.serial,
			run_at = excluded.run_at, attempts = 0, max_attempts = excluded.max_attempts, last_error = NULL,
			updated_at = excluded.updated_at
		RETURNING id`),
		j.ID, j.Kind, payload, nullable(j.Key), nullable(j.Serial), TimeArg(tx.D, j.RunAt), j.MaxAttempts, now, now).Scan(&j.ID)
	if err != nil {
		return fmt.Errorf("enqueue job %s: %w", j.Kind, err)
	}
	j.Status, j.Attempts = JobPending, 0
	if !j.RunAt.After(tx.Now) {
		tx.enqueued = true // due at once: wake the runner after the commit
	}
	return nil
}

// CancelJobs cancels the pending jobs with key inside tx and returns how
// many there were. A running job is not interrupted.
func CancelJobs(ctx context.Context, tx *Tx, key string) (int64, error) {
	if key == "" {
		return 0, nil
	}
	now := TimeArg(tx.D, tx.Now)
	res, err := tx.ExecContext(ctx, Rebind(tx.D, `UPDATE jobs SET status = 'cancelled', finished_at = ?, updated_at = ?
		WHERE key = ? AND status = 'pending'`), now, now, key)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// ClaimJobs claims up to limit due jobs of the given kinds for runner by:
// pending ones whose run_at has come, and running ones whose lease expired
// (their runner died). Each claim counts as an attempt; a job whose lease
// expired on its last attempt is dead-lettered instead of claimed. On
// PostgreSQL rows locked by another runner are skipped (FOR UPDATE SKIP
// LOCKED), so several processes share the work; SQLite's single writer
// serializes claims. The jobs come back in run_at order.
func (s *Store) ClaimJobs(ctx context.Context, by string, kinds []string, now time.Time, lease time.Duration, limit int) ([]Job, error) {
	return s.ClaimJobsAlive(ctx, by, kinds, now, lease, 0, limit)
}

// ClaimJobsAlive is ClaimJobs that also takes over running jobs whose
// runner is dead: not seen in job_nodes for nodeTimeout (zero: only leases
// count). The claimer's own heartbeat is written in the same transaction,
// so a runner that claims is known to be alive.
func (s *Store) ClaimJobsAlive(ctx context.Context, by string, kinds []string, now time.Time, lease, nodeTimeout time.Duration, limit int) ([]Job, error) {
	if len(kinds) == 0 || limit <= 0 {
		return nil, nil
	}
	skip := ""
	if s.D.Name() == "postgres" {
		skip = " FOR UPDATE SKIP LOCKED"
	}
	in := "?" + strings.Repeat(", ?", len(kinds)-1)
	kindArgs := make([]any, len(kinds))
	for i, k := range kinds {
		kindArgs[i] = k
	}
	t := TimeArg(s.D, now)
	var out []Job
	// A job of a serial waits while an earlier one of the serial is
	// running or due. Within one claim this also keeps all but the first
	// due job of a serial out (the earlier ones are pending in the same
	// snapshot). Across concurrent claims on PostgreSQL the earlier job is
	// pending (its claimer has not committed: SKIP LOCKED skips it, this
	// check still sees it) or running (committed): either way the later
	// one waits, so a serial never has two jobs running.
	const serialFree = ` AND (j.serial IS NULL OR NOT EXISTS (SELECT 1 FROM jobs e
		WHERE e.serial = j.serial AND e.id <> j.id
			AND (e.status = 'running' OR (e.status = 'pending' AND e.run_at <= ?
				AND (e.created_at < j.created_at OR (e.created_at = j.created_at AND e.id < j.id))))))`
	// A running job is abandoned when its lease is over or, with a node
	// timeout, when its runner has stopped sending heartbeats.
	abandoned, abandonedArgs := `j.lease_until < ?`, []any{t}
	if nodeTimeout > 0 {
		abandoned = `(j.lease_until < ? OR NOT EXISTS (SELECT 1 FROM job_nodes n WHERE n.id = j.locked_by AND n.seen_at >= ?))`
		abandonedArgs = append(abandonedArgs, TimeArg(s.D, now.Add(-nodeTimeout)))
	}
	err := s.InTx(ctx, func(tx *Tx) error {
		if nodeTimeout > 0 {
			if err := heartbeat(ctx, tx, by, now); err != nil {
				return err
			}
		}
		// Dead-letter jobs whose last attempt's runner vanished.
		args := append(append([]any{leaseExpired, t, t}, abandonedArgs...), kindArgs...)
		_, err := tx.ExecContext(ctx, s.q(`UPDATE jobs SET status = 'dead', last_error = ?, lease_until = NULL, finished_at = ?, updated_at = ?
			WHERE id IN (SELECT j.id FROM jobs j WHERE j.status = 'running' AND `+abandoned+` AND j.attempts >= j.max_attempts
				AND j.kind IN (`+in+`)`+skip+`)`), args...)
		if err != nil {
			return err
		}
		// by, lease_until, started_at, updated_at; run_at <= now; serial's run_at <= now; abandoned; kinds.
		args = append(append([]any{by, TimeArg(s.D, now.Add(lease)), t, t, t, t}, abandonedArgs...), kindArgs...)
		rows, err := tx.QueryContext(ctx, s.q(`UPDATE jobs SET status = 'running', locked_by = ?, lease_until = ?,
				started_at = ?, attempts = attempts + 1, updated_at = ?
			WHERE id IN (SELECT j.id FROM jobs j
				WHERE ((j.status = 'pending' AND j.run_at <= ?`+serialFree+`) OR (j.status = 'running' AND `+abandoned+`)) AND j.kind IN (`+in+`)
				ORDER BY j.run_at, j.id LIMIT `+fmt.Sprint(limit)+skip+`)
			RETURNING `+jobColumns), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			j, err := scanJob(rows)
			if err != nil {
				return err
			}
			out = append(out, j)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("claim jobs: %w", err)
	}
	sortJobs(out)
	return out, nil
}

// sortJobs orders claimed jobs by run_at, then id (RETURNING has no order).
func sortJobs(js []Job) {
	slices.SortFunc(js, func(a, b Job) int {
		if c := a.RunAt.Compare(b.RunAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// truncateError bounds an error text, cutting on a character boundary.
func truncateError(msg string) string {
	if len(msg) <= maxJobError {
		return msg
	}
	n := maxJobError
	for n > 0 && !utf8.RuneStart(msg[n]) {
		n--
	}
	return msg[:n] + "…"
}

// BeginJob opens the transaction that runs claimed job j at now: it checks
// that j is still running under the caller's claim (same runner, same
// attempt) and renews its lease. On PostgreSQL this locks the job's row
// until the transaction ends, so no other runner can take it over while
// it runs. It returns ErrJobLost when the claim is gone.
func (s *Store) BeginJob(ctx context.Context, j *Job, now time.Time, lease time.Duration) (*Tx, error) {
	sqlTx, err := s.W.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	t := TimeArg(s.D, now)
	res, err := sqlTx.ExecContext(ctx, s.q(`UPDATE jobs SET started_at = ?, lease_until = ?, updated_at = ?
		WHERE id = ? AND status = 'running' AND locked_by = ? AND attempts = ?`),
		t, TimeArg(s.D, now.Add(lease)), t, j.ID, j.LockedBy, j.Attempts)
	if err == nil {
		var n int64
		if n, err = res.RowsAffected(); err == nil && n == 0 {
			err = ErrJobLost
		}
	}
	if err != nil {
		sqlTx.Rollback()
		return nil, err
	}
	j.StartedAt, j.LeaseUntil = now, now.Add(lease)
	return &Tx{Tx: sqlTx, D: s.D, Now: now}, nil
}

// FinishJob marks j done inside tx (the transaction from BeginJob, in
// which the job made its effects); the caller commits.
func FinishJob(ctx context.Context, tx *Tx, j *Job, finished time.Time) error {
	t := TimeArg(tx.D, finished)
	dur := finished.Sub(j.StartedAt).Milliseconds()
	res, err := tx.ExecContext(ctx, Rebind(tx.D, `UPDATE jobs SET status = 'done', finished_at = ?, duration_ms = ?, lease_until = NULL, updated_at = ?
		WHERE id = ? AND status = 'running' AND locked_by = ? AND attempts = ?`),
		t, dur, t, j.ID, j.LockedBy, j.Attempts)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err == nil {
			err = ErrJobLost
		}
		return err
	}
	j.Status, j.FinishedAt, j.DurationMS, j.LeaseUntil = JobDone, finished, dur, time.Time{}
	return nil
}

// FailJob records a failed attempt of claimed job j in a transaction of its
// own: the job goes back to pending at retryAt, or is dead when it has used
// its attempts. If meanwhile a newer pending job took its key, it is
// cancelled instead (the newer plan wins). It returns the new status;
// ErrJobLost when the claim is gone (another runner took over, or the
// attempt did commit after all).
func (s *Store) FailJob(ctx context.Context, j *Job, now time.Time, msg string, retryAt time.Time) (string, error) {
	msg = truncateError(msg)
	status := JobPending
	if j.Attempts >= j.MaxAttempts {
		status = JobDead
	}
	started := j.StartedAt
	if started.IsZero() {
		started = now
	}
	update := func(status, msg string) (int64, error) {
		t := TimeArg(s.D, now)
		var runAt any = TimeArg(s.D, j.RunAt)
		if status == JobPending {
			runAt = TimeArg(s.D, retryAt)
		}
		res, err := s.W.ExecContext(ctx, s.q(`UPDATE jobs SET status = ?, run_at = ?, last_error = ?, lease_until = NULL,
				finished_at = ?, duration_ms = ?, updated_at = ?
			WHERE id = ? AND status = 'running' AND locked_by = ? AND attempts = ?`),
			status, runAt, msg, t, now.Sub(started).Milliseconds(), t, j.ID, j.LockedBy, j.Attempts)
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	}
	n, err := update(status, msg)
	if _, dup := s.D.UniqueViolation(err); dup && status == JobPending {
		status = JobCancelled
		n, err = update(status, "superseded by a newer job with the same key; last error: "+msg)
	}
	if err != nil {
		return "", err
	}
	if n == 0 {
		return "", ErrJobLost
	}
	j.Status, j.LastError = status, msg
	if status == JobPending {
		j.RunAt = retryAt
	}
	return status, nil
}

// ReleaseJob gives a claimed job that did not run (or was interrupted by a
// shutdown) back: pending again at once, the attempt not counted.
func (s *Store) ReleaseJob(ctx context.Context, j *Job, now time.Time) error {
	t := TimeArg(s.D, now)
	release := func(status string) (sql.Result, error) {
		return s.W.ExecContext(ctx, s.q(`UPDATE jobs SET status = ?, attempts = attempts - 1, lease_until = NULL, updated_at = ?
			WHERE id = ? AND status = 'running' AND locked_by = ? AND attempts = ?`),
			status, t, j.ID, j.LockedBy, j.Attempts)
	}
	res, err := release(JobPending)
	if _, dup := s.D.UniqueViolation(err); dup {
		res, err = release(JobCancelled)
	}
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err == nil {
			err = ErrJobLost
		}
		return err
	}
	return nil
}

// ListJobs returns jobs matching f, newest first.
func (s *Store) ListJobs(ctx context.Context, f JobFilter) ([]Job, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	if limit > MaxLimit {
		return nil, errs.New(errs.Invalid, "store.bad_limit", "max", MaxLimit)
	}
	w := &whereBuilder{d: s.D}
	w.add("1 = 1")
	if f.Kind != "" {
		w.add("kind = ?", f.Kind)
	}
	if f.Status != "" {
		w.add("status = ?", f.Status)
	}
	if f.KeyPrefix != "" {
		w.add(`key LIKE ? ESCAPE '\'`, likePrefix(f.KeyPrefix))
	}
	rows, err := s.rd(ctx).QueryContext(ctx, fmt.Sprintf(`SELECT %s FROM jobs WHERE %s ORDER BY created_at DESC, id DESC LIMIT %d`,
		jobColumns, w.sql(), limit), w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Job{}
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// likePrefix escapes a prefix for LIKE … ESCAPE '\'.
func likePrefix(p string) string {
	return likeEscaper.Replace(p) + "%"
}

// GetJob reads one job.
func (s *Store) GetJob(ctx context.Context, id string) (*Job, error) {
	if s.D.Name() == "postgres" && !validID(id) {
		return nil, errs.New(errs.NotFound, "store.job_not_found", "id", id)
	}
	j, err := scanJob(s.rd(ctx).QueryRowContext(ctx, s.q(`SELECT `+jobColumns+` FROM jobs WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.New(errs.NotFound, "store.job_not_found", "id", id)
	}
	if err != nil {
		return nil, err
	}
	return &j, nil
}

// PurgeJobs deletes done and cancelled jobs that finished before before
// (dead ones stay until someone looks at them) and returns how many.
func (s *Store) PurgeJobs(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.W.ExecContext(ctx, s.q(`DELETE FROM jobs WHERE status IN ('done', 'cancelled') AND finished_at < ?`),
		TimeArg(s.D, before))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
