-- +goose Up
-- Stage pipelines (engine/flow): one row per pipeline, bound to a select
-- field of a module. states and transitions are the pipeline's JSON
-- documents; engine/flow owns their meaning. version guards replaces.
CREATE TABLE flows (
    id          TEXT PRIMARY KEY,
    app_id      TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    key         TEXT NOT NULL,
    label       TEXT NOT NULL DEFAULT '{}',
    module      TEXT NOT NULL,
    field       TEXT NOT NULL,
    definition  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (app_id, key),
    UNIQUE (app_id, module, field)
);

-- Stage history: one row per state a record entered (on create from_state
-- is NULL), written in the transaction of the move. seconds_in_prev is the
-- wall time the record spent in from_state, business_seconds_in_prev the
-- working time by the pipeline's business calendar (NULL when none was
-- available). app, module and flow_key are keys so the history stays
-- readable after a pipeline is deleted; record_id has no foreign key for
-- the same reason (module tables come and go).
CREATE TABLE stage_history (
    id                       TEXT PRIMARY KEY,
    app                      TEXT NOT NULL,
    module                   TEXT NOT NULL,
    record_id                TEXT NOT NULL,
    flow_key                 TEXT NOT NULL,
    from_state               TEXT,
    to_state                 TEXT NOT NULL,
    transition               TEXT,
    actor_id                 TEXT,
    at                       TEXT NOT NULL,
    seconds_in_prev          INTEGER NOT NULL DEFAULT 0,
    business_seconds_in_prev INTEGER
);
CREATE INDEX stage_history_flow ON stage_history(app, module, flow_key, at);
CREATE INDEX stage_history_record ON stage_history(record_id, at);

-- +goose Down
DROP TABLE stage_history;
DROP TABLE flows;
