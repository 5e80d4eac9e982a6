-- +goose Up
-- App documents (engine/pool, engine/publicform): small per-app metadata
-- kept as one JSON document per row — pools (公海) and public forms and
-- views. kind names the owning package, which alone reads doc. module is
-- a key, like print templates'. token_hash is the SHA-256 of a public
-- form's or view's token (hex), unique, so an unauthenticated request
-- finds its document by one index lookup; NULL for kinds without one.
CREATE TABLE app_documents (
    id          UUID PRIMARY KEY,
    app_id      UUID NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    key         TEXT NOT NULL,
    module      TEXT NOT NULL,
    doc         JSON NOT NULL,
    token_hash  TEXT UNIQUE,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (app_id, kind, key)
);

-- Counters with a ceiling per period (a pool's claims per user per day, a
-- public form's posts per address per minute): one row per (scope,
-- subject, period), raised by a conditional UPDATE in the transaction of
-- the counted act, so concurrent acts cannot pass the ceiling together.
-- expires_at lets the jobs runner's purge drop past periods.
CREATE TABLE capped_counters (
    scope       TEXT NOT NULL,
    subject     TEXT NOT NULL,
    period      TEXT NOT NULL,
    n           INTEGER NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (scope, subject, period)
);
CREATE INDEX capped_counters_expires ON capped_counters (expires_at);

-- +goose Down
DROP TABLE capped_counters;
DROP TABLE app_documents;
