-- +goose Up
CREATE TABLE rules (
    id          UUID PRIMARY KEY,
    app_id      UUID NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    key         TEXT NOT NULL,
    label       JSONB NOT NULL DEFAULT '{}',
    module      TEXT NOT NULL,
    enabled     BOOLEAN NOT NULL DEFAULT TRUE,
    before_save BOOLEAN NOT NULL DEFAULT FALSE,
    trigger     JSON NOT NULL,
    condition   TEXT NOT NULL DEFAULT '',
    actions     JSON NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (app_id, key)
);
CREATE INDEX rules_module ON rules(app_id, module);

CREATE TABLE rule_runs (
    id          UUID PRIMARY KEY,
    rule_id     UUID NOT NULL,
    app         TEXT NOT NULL,
    rule_key    TEXT NOT NULL,
    module      TEXT NOT NULL,
    record_id   UUID,
    trigger     TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    error       TEXT NOT NULL DEFAULT '',
    detail      JSONB NOT NULL DEFAULT '{}',
    duration_us BIGINT NOT NULL DEFAULT 0,
    at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX rule_runs_rule ON rule_runs(rule_id, at);
CREATE INDEX rule_runs_record ON rule_runs(app, module, record_id, at);

-- +goose Down
DROP TABLE rule_runs;
DROP TABLE rules;
