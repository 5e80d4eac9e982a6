-- +goose Up
CREATE TABLE rules (
    id          TEXT PRIMARY KEY,
    app_id      TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    key         TEXT NOT NULL,
    label       TEXT NOT NULL DEFAULT '{}',
    module      TEXT NOT NULL,
    enabled     INTEGER NOT NULL DEFAULT 1,
    before_save INTEGER NOT NULL DEFAULT 0,
    trigger     TEXT NOT NULL,
    condition   TEXT NOT NULL DEFAULT '',
    actions     TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (app_id, key)
);
CREATE INDEX rules_module ON rules(app_id, module);

CREATE TABLE rule_runs (
    id          TEXT PRIMARY KEY,
    rule_id     TEXT NOT NULL,
    app         TEXT NOT NULL,
    rule_key    TEXT NOT NULL,
    module      TEXT NOT NULL,
    record_id   TEXT,
    trigger     TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    error       TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT '{}',
    duration_us INTEGER NOT NULL DEFAULT 0,
    at          TEXT NOT NULL
);
CREATE INDEX rule_runs_rule ON rule_runs(rule_id, at);
CREATE INDEX rule_runs_record ON rule_runs(app, module, record_id, at);

-- +goose Down
DROP TABLE rule_runs;
DROP TABLE rules;
