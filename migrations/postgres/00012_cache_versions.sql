-- +goose Up
-- One row per kind of in-memory cache (modules, rules, flows, calendars,
-- org, sessions): every change of what a kind caches increments its
-- version, in the changing transaction where it can (store.BumpCache). Each
-- process polls this table every few seconds and drops the caches whose
-- version moved, so a node sharing the database with others (or a CLI
-- command changing a running server's database) is never stale for long;
-- on PostgreSQL a NOTIFY on the channel tessera_cache tells at commit.
CREATE TABLE cache_versions (
    kind    TEXT PRIMARY KEY,
    version BIGINT NOT NULL DEFAULT 0
);

-- +goose Down
DROP TABLE cache_versions;
