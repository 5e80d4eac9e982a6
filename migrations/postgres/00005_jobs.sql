-- +goose Up
-- Durable jobs (the outbox): work that must happen after a record change
-- commits is written here in the change's own transaction and run later by
-- engine/jobs. status: pending (waiting for run_at), running (claimed by
-- locked_by until lease_until), done, dead (gave up after max_attempts;
-- last_error says why) or cancelled. attempts counts claims, so a job that
-- kills its process still ends up dead. Finished rows are kept as the job
-- log (started_at, finished_at, duration_ms of the last attempt) and done
-- ones are purged after a retention period.
-- key, when set, names a planned job: at most one pending job per key, so
-- enqueueing with a key replaces (reschedules) the pending one.
CREATE TABLE jobs (
    id           UUID PRIMARY KEY,
    kind         TEXT NOT NULL,
    payload      JSONB NOT NULL DEFAULT '{}',
    key          TEXT,
    status       TEXT NOT NULL DEFAULT 'pending',
    run_at       TIMESTAMPTZ NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 8,
    last_error   TEXT,
    locked_by    TEXT,
    lease_until  TIMESTAMPTZ,
    started_at   TIMESTAMPTZ,
    finished_at  TIMESTAMPTZ,
    duration_ms  BIGINT,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX jobs_pending_key ON jobs(key) WHERE status = 'pending';
CREATE INDEX jobs_due ON jobs(run_at) WHERE status = 'pending';
CREATE INDEX jobs_lease ON jobs(lease_until) WHERE status = 'running';
CREATE INDEX jobs_created ON jobs(created_at, id);
CREATE INDEX jobs_kind_created ON jobs(kind, created_at, id);
CREATE INDEX jobs_status_finished ON jobs(status, finished_at);

-- +goose Down
DROP TABLE jobs;
