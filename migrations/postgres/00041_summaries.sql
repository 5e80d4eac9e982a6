-- +goose Up
-- Live aggregates (engine/summary): one row per summary, each kept in a
-- table of its own (table_name, created by the build job) whose rows are
-- counts and sums per owner and key values, updated inside every record
-- write's transaction. def is the summary's shape (keys with their grain,
-- summed fields) as JSON; signature is that JSON, unique per module so
-- widgets asking for the same shape share one summary. A summary answers
-- queries only while status is 'ready' and module_version is the
-- module's current version.
CREATE TABLE summaries (
    id             UUID PRIMARY KEY,
    app_key        TEXT NOT NULL,
    module_key     TEXT NOT NULL,
    signature      TEXT NOT NULL,
    def            TEXT NOT NULL,
    table_name     TEXT NOT NULL,
    status         TEXT NOT NULL,
    module_version BIGINT NOT NULL DEFAULT 0,
    source_rows    BIGINT NOT NULL DEFAULT 0,
    summary_rows   BIGINT NOT NULL DEFAULT 0,
    error          TEXT NOT NULL DEFAULT '',
    built_at       TIMESTAMPTZ,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    UNIQUE (app_key, module_key, signature)
);

-- +goose Down
DROP TABLE summaries;
