// Package jobs runs durable jobs: after-commit work written to the jobs
// table (an outbox in the application's own database) in the same
// transaction as the change that asks for it, then run by a Runner.
//
// Guarantees:
//
//   - A job exists exactly when the change that enqueued it commits
//     (Enqueue takes the caller's transaction).
//   - A job's database effects happen exactly once: its handler makes them
//     in a transaction in which the runner also marks the job done, so a
//     crash before the commit leaves the job to be run again (its effects
//     rolled back) and a crash after it leaves the job done. Effects
//     outside the database (an HTTP call, an email) are at least once: a
//     handler that has them should make them idempotent (e.g. pass the job
//     ID as an idempotency key).
//   - A failed attempt is retried with exponential backoff and jitter, and
//     after MaxAttempts the job is dead, with the last error kept.
//   - A claim is a lease: a job whose runner died is claimed again once the
//     lease expires. On PostgreSQL, several tessera processes share the
//     jobs (FOR UPDATE SKIP LOCKED); the running job's row stays locked
//     until its transaction ends, so no two runners run it at once.
//
// Handlers must use only the transaction they are given for writes, and
// must not commit or roll it back. On SQLite in particular the store has
// a single writer connection, which the job's transaction holds while the
// handler runs: opening another write transaction (Store.InTx, AppendAudit
// …) from a handler waits for that connection forever.
package jobs

import (
	"context"

	"github.com/tessera-app/tessera/engine/store"
)

// Job is one durable job: its kind (which handler runs it), its JSON
// payload, an optional Key, when it is due (RunAt), its attempts and
// status, and — once run — the log of its last attempt.
type Job = store.Job

// Filter selects jobs for List: by kind, status and key prefix, newest
// first, Limit at most store.MaxLimit.
type Filter = store.JobFilter

// Job statuses.
const (
	StatusPending   = store.JobPending
	StatusRunning   = store.JobRunning
	StatusDone      = store.JobDone
	StatusDead      = store.JobDead
	StatusCancelled = store.JobCancelled
)

// DefaultMaxAttempts is a job's number of attempts unless it says otherwise.
const DefaultMaxAttempts = store.DefaultJobMaxAttempts

// Handler runs one job. tx is a write transaction in which the handler
// makes its database effects; the runner marks the job done in the same
// transaction and commits, so the effects happen exactly once even if the
// process dies at any point. Returning an error (or panicking) rolls tx
// back and schedules a retry, or dead-letters the job after its last
// attempt. job.Attempts is the number of this attempt (1 for the first).
type Handler func(ctx context.Context, tx *store.Tx, job *Job) error

// Enqueue adds a job inside the caller's transaction (the outbox): it
// commits or rolls back with the caller's change. A zero RunAt means now
// (tx.Now), a zero MaxAttempts DefaultMaxAttempts, an empty Payload {}.
// With Key set, a pending job with that key is replaced instead — it is
// rescheduled to RunAt with j's kind and payload — so a planned job can be
// moved when what it depends on changes.
func Enqueue(ctx context.Context, tx *store.Tx, j Job) error {
	return store.EnqueueJob(ctx, tx, &j)
}

// EnqueueID is Enqueue returning the job's ID (when Key replaced a pending
// job, that job's ID).
func EnqueueID(ctx context.Context, tx *store.Tx, j Job) (string, error) {
	err := store.EnqueueJob(ctx, tx, &j)
	return j.ID, err
}

// Cancel cancels the pending jobs with key inside tx. A job already
// running finishes its attempt.
func Cancel(ctx context.Context, tx *store.Tx, key string) error {
	_, err := store.CancelJobs(ctx, tx, key)
	return err
}

// List returns jobs matching f, newest first: the job log (done and dead
// jobs keep their last attempt's start, end, duration and error).
func List(ctx context.Context, s *store.Store, f Filter) ([]Job, error) {
	return s.ListJobs(ctx, f)
}

// Get returns one job by ID (not found: an errs.NotFound error).
func Get(ctx context.Context, s *store.Store, id string) (*Job, error) {
	return s.GetJob(ctx, id)
}
