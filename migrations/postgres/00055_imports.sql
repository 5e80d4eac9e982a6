-- +goose Up
-- Imports of xlsx and csv files into a module (engine/importer): one row
-- per uploaded file, with what was detected in it (sheet, header row,
-- columns, encoding), the run's request, its progress and counts. The
-- file itself is kept in import_chunks, in the database, so whichever
-- node runs the import's job can read it; the rows that failed (their
-- cells and errors) are kept in import_errors for the errors.xlsx. Only
-- the uploader sees an import; everything goes when it is purged (a week
-- after its last change) or its user is deleted.
CREATE TABLE imports (
    id            UUID PRIMARY KEY,
    app           TEXT NOT NULL,
    module        TEXT NOT NULL,
    created_by    UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    filename      TEXT NOT NULL,
    format        TEXT NOT NULL,
    encoding      TEXT NOT NULL DEFAULT '',
    size          BIGINT NOT NULL,
    sheet         TEXT NOT NULL DEFAULT '',
    header_row    INTEGER NOT NULL,
    columns       TEXT NOT NULL,
    request       TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL,
    total_rows    BIGINT NOT NULL DEFAULT 0,
    done_rows     BIGINT NOT NULL DEFAULT 0,
    created_rows  BIGINT NOT NULL DEFAULT 0,
    updated_rows  BIGINT NOT NULL DEFAULT 0,
    skipped_rows  BIGINT NOT NULL DEFAULT 0,
    failed_rows   BIGINT NOT NULL DEFAULT 0,
    error         TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX imports_updated ON imports (updated_at);

CREATE TABLE import_chunks (
    import_id   UUID NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    data        BYTEA NOT NULL,
    PRIMARY KEY (import_id, seq)
);

CREATE TABLE import_errors (
    import_id   UUID NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    row_num     INTEGER NOT NULL,
    cells       TEXT NOT NULL,
    errors      TEXT NOT NULL,
    PRIMARY KEY (import_id, seq)
);

-- +goose Down
DROP TABLE import_errors;
DROP TABLE import_chunks;
DROP TABLE imports;
