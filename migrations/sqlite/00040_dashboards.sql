-- +goose Up
-- Dashboards (engine/dashboard): a JSON document per dashboard (label,
-- layout of widgets with their query specs, dashboard-level filters, the
-- roles it is shared with, run-as). owner is '' for a shared dashboard and
-- the user's id for a private one, so one key may be shared once and
-- private once per user (UNIQUE treats '' like any value, NULL would not).
-- publisher_id is who last saved it: a run-as-publisher dashboard reads
-- with their rights.
CREATE TABLE dashboards (
    id           TEXT PRIMARY KEY,
    app_id       TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    key          TEXT NOT NULL,
    owner        TEXT NOT NULL DEFAULT '',
    publisher_id TEXT NOT NULL,
    doc          TEXT NOT NULL,
    version      INTEGER NOT NULL DEFAULT 1,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (app_id, owner, key)
);

-- +goose Down
DROP TABLE dashboards;
