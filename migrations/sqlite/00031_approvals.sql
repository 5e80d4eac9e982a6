-- +goose Up
-- Approval processes (engine/approval): definitions with every version
-- kept (running instances finish on the version they started with),
-- instances, tasks (one per approver and round of a step) and the
-- decision log.
CREATE TABLE approval_processes (
    id         TEXT PRIMARY KEY,
    app_id     TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    app        TEXT NOT NULL,
    key        TEXT NOT NULL,
    module     TEXT NOT NULL,
    version    INTEGER NOT NULL,
    doc        TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (app_id, key)
);

CREATE TABLE approval_process_versions (
    process_id TEXT NOT NULL,
    version    INTEGER NOT NULL,
    doc        TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (process_id, version)
);

CREATE TABLE approval_instances (
    id              TEXT PRIMARY KEY,
    app             TEXT NOT NULL,
    module          TEXT NOT NULL,
    record_id       TEXT NOT NULL,
    title           TEXT NOT NULL DEFAULT '',
    process_id      TEXT NOT NULL,
    process_key     TEXT NOT NULL,
    process_version INTEGER NOT NULL,
    status          TEXT NOT NULL,
    step            INTEGER NOT NULL,
    round           INTEGER NOT NULL,
    submitter_id    TEXT,
    source          TEXT NOT NULL,
    flow_key        TEXT NOT NULL DEFAULT '',
    transition_key  TEXT NOT NULL DEFAULT '',
    values_doc      TEXT,
    lock_record     INTEGER NOT NULL,
    error           TEXT NOT NULL DEFAULT '',
    last_remind_at  TEXT,
    version         INTEGER NOT NULL,
    started_at      TEXT NOT NULL,
    finished_at     TEXT
);
-- One pending instance per record.
CREATE UNIQUE INDEX approval_instances_pending ON approval_instances(record_id) WHERE status = 'pending';
CREATE INDEX approval_instances_record ON approval_instances(record_id, started_at);
CREATE INDEX approval_instances_submitter ON approval_instances(submitter_id, started_at, id);
CREATE INDEX approval_instances_process ON approval_instances(process_id, started_at);

CREATE TABLE approval_tasks (
    id          TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL REFERENCES approval_instances(id) ON DELETE CASCADE,
    step        INTEGER NOT NULL,
    step_key    TEXT NOT NULL,
    round       INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    assignee_id TEXT NOT NULL,
    status      TEXT NOT NULL,
    parent_id   TEXT,
    after_id    TEXT,
    reason      TEXT NOT NULL DEFAULT '',
    due_at      TEXT,
    timed_out   INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    acted_at    TEXT
);
-- The inbox: a user's pending tasks, oldest first.
CREATE INDEX approval_tasks_inbox ON approval_tasks(assignee_id, status, created_at, id);
CREATE INDEX approval_tasks_instance ON approval_tasks(instance_id, step, round);

CREATE TABLE approval_decisions (
    id          TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL REFERENCES approval_instances(id) ON DELETE CASCADE,
    task_id     TEXT,
    step_key    TEXT NOT NULL DEFAULT '',
    actor_id    TEXT,
    action      TEXT NOT NULL,
    comment     TEXT NOT NULL DEFAULT '',
    changes     TEXT,
    detail      TEXT,
    at          TEXT NOT NULL
);
CREATE INDEX approval_decisions_instance ON approval_decisions(instance_id, at);
CREATE INDEX approval_decisions_actor ON approval_decisions(actor_id, at, id);

-- +goose Down
DROP TABLE approval_decisions;
DROP TABLE approval_tasks;
DROP TABLE approval_instances;
DROP TABLE approval_process_versions;
DROP TABLE approval_processes;
