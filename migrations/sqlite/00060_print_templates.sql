-- +goose Up
-- Print templates (engine/printtpl): a document layout for one module,
-- rendered to PDF per record. layout is the template's JSON document
-- (blocks, and the logo as a data: URL — small, and kept with the
-- template so one row is the whole template); engine/printtpl owns its
-- meaning. module is a key: a template outlives a renamed or deleted
-- module as a flagged template, not a dangling reference.
CREATE TABLE print_templates (
    id          TEXT PRIMARY KEY,
    app_id      TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    key         TEXT NOT NULL,
    module      TEXT NOT NULL,
    label       TEXT NOT NULL DEFAULT '{}',
    page        TEXT NOT NULL DEFAULT 'A4',
    layout      TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (app_id, key)
);

-- +goose Down
DROP TABLE print_templates;
