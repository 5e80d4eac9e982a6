-- +goose Up
-- Match keys of the duplicate check (engine/dedupe): one row per record
-- and x-duplicates key, holding the normalized value, written by the
-- record write path in the write's transaction. Readers join the module's
-- table, so rows of deleted records (or of a module deleted and made again)
-- never match. app and module are keys, like the audit log's.
CREATE TABLE match_keys (
    app       TEXT NOT NULL,
    module    TEXT NOT NULL,
    match_key TEXT NOT NULL,
    record_id TEXT NOT NULL,
    value     TEXT NOT NULL,
    PRIMARY KEY (app, module, match_key, record_id)
);
CREATE INDEX match_keys_value ON match_keys(app, module, match_key, value);

-- Merges: each record merged into another (soft-deleted, its lookups and
-- children re-pointed to the survivor). The survivor's timeline reads the
-- merged records' history through it.
CREATE TABLE record_merges (
    id          TEXT PRIMARY KEY,
    app         TEXT NOT NULL,
    module      TEXT NOT NULL,
    merged_id   TEXT NOT NULL UNIQUE,
    survivor_id TEXT NOT NULL,
    actor       TEXT,
    at          TEXT NOT NULL,
    detail      TEXT
);
CREATE INDEX record_merges_survivor ON record_merges(app, module, survivor_id);

-- +goose Down
DROP TABLE record_merges;
DROP TABLE match_keys;
