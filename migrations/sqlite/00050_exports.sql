-- +goose Up
-- List exports (engine/export) that run as jobs: one row per export,
-- with its request, progress and the download link's token; the file is
-- kept in export_chunks, in the database, so any node can serve the
-- download whichever node ran the job. Rows and chunks go when the
-- export expires (engine/export purges them) or its user is deleted.
CREATE TABLE exports (
    id          TEXT PRIMARY KEY,
    app         TEXT NOT NULL,
    module      TEXT NOT NULL,
    created_by  TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    format      TEXT NOT NULL,
    request     TEXT NOT NULL,
    status      TEXT NOT NULL,
    done_rows   INTEGER NOT NULL DEFAULT 0,
    total_rows  INTEGER NOT NULL DEFAULT 0,
    filename    TEXT NOT NULL DEFAULT '',
    size        INTEGER NOT NULL DEFAULT 0,
    error       TEXT NOT NULL DEFAULT '',
    token       TEXT NOT NULL,
    expires_at  TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX exports_expires ON exports (expires_at);

CREATE TABLE export_chunks (
    export_id   TEXT NOT NULL REFERENCES exports(id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    data        BLOB NOT NULL,
    PRIMARY KEY (export_id, seq)
);

-- +goose Down
DROP TABLE export_chunks;
DROP TABLE exports;
