-- +goose Up
-- Approval processes (engine/approval): definitions with every version
-- kept (running instances finish on the version they started with),
-- instances, tasks (one per approver and round of a step) and the
-- decision log.
CREATE TABLE approval_processes (
    id         UUID PRIMARY KEY,
    app_id     UUID NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    app        TEXT NOT NULL,
    key        TEXT NOT NULL,
    module     TEXT NOT NULL,
    version    INTEGER NOT NULL,
    doc        JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (app_id, key)
);

CREATE TABLE approval_process_versions (
    process_id UUID NOT NULL,
    version    INTEGER NOT NULL,
    doc        JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (process_id, version)
);

CREATE TABLE approval_instances (
    id              UUID PRIMARY KEY,
    app             TEXT NOT NULL,
    module          TEXT NOT NULL,
    record_id       UUID NOT NULL,
    title           TEXT NOT NULL DEFAULT '',
    process_id      UUID NOT NULL,
    process_key     TEXT NOT NULL,
    process_version INTEGER NOT NULL,
    status          TEXT NOT NULL,
    step            INTEGER NOT NULL,
    round           INTEGER NOT NULL,
    submitter_id    UUID,
    source          TEXT NOT NULL,
    flow_key        TEXT NOT NULL DEFAULT '',
    transition_key  TEXT NOT NULL DEFAULT '',
    values_doc      JSONB,
    lock_record     BOOLEAN NOT NULL,
    error           TEXT NOT NULL DEFAULT '',
    last_remind_at  TIMESTAMPTZ,
    version         INTEGER NOT NULL,
    started_at      TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ
);
-- One pending instance per record.
CREATE UNIQUE INDEX approval_instances_pending ON approval_instances(record_id) WHERE status = 'pending';
CREATE INDEX approval_instances_record ON approval_instances(record_id, started_at);
CREATE INDEX approval_instances_submitter ON approval_instances(submitter_id, started_at, id);
CREATE INDEX approval_instances_process ON approval_instances(process_id, started_at);

CREATE TABLE approval_tasks (
    id          UUID PRIMARY KEY,
    instance_id UUID NOT NULL REFERENCES approval_instances(id) ON DELETE CASCADE,
    step        INTEGER NOT NULL,
    step_key    TEXT NOT NULL,
    round       INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    assignee_id UUID NOT NULL,
    status      TEXT NOT NULL,
    parent_id   UUID,
    after_id    UUID,
    reason      TEXT NOT NULL DEFAULT '',
    due_at      TIMESTAMPTZ,
    timed_out   BOOLEAN NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    acted_at    TIMESTAMPTZ
);
-- The inbox: a user's pending tasks, oldest first.
CREATE INDEX approval_tasks_inbox ON approval_tasks(assignee_id, status, created_at, id);
CREATE INDEX approval_tasks_instance ON approval_tasks(instance_id, step, round);

CREATE TABLE approval_decisions (
    id          UUID PRIMARY KEY,
    instance_id UUID NOT NULL REFERENCES approval_instances(id) ON DELETE CASCADE,
    task_id     UUID,
    step_key    TEXT NOT NULL DEFAULT '',
    actor_id    UUID,
    action      TEXT NOT NULL,
    comment     TEXT NOT NULL DEFAULT '',
    changes     JSONB,
    detail      JSONB,
    at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX approval_decisions_instance ON approval_decisions(instance_id, at);
CREATE INDEX approval_decisions_actor ON approval_decisions(actor_id, at, id);

-- +goose Down
DROP TABLE approval_decisions;
DROP TABLE approval_tasks;
DROP TABLE approval_instances;
DROP TABLE approval_process_versions;
DROP TABLE approval_processes;
