-- +goose Up
-- The audit log: every record write (in the write's own transaction),
-- metadata change and sign-in attempt. Rows are only ever inserted.
-- actor and record_id carry no foreign key on purpose: the log outlives
-- the users and records it mentions. app and module are keys, not ids, so
-- history stays readable after a module or app is deleted.
CREATE TABLE audit_log (
    id        TEXT PRIMARY KEY,
    at        TEXT NOT NULL,
    actor     TEXT,
    via       TEXT NOT NULL,
    kind      TEXT NOT NULL,
    action    TEXT NOT NULL,
    app       TEXT,
    module    TEXT,
    record_id TEXT,
    diff      TEXT,
    detail    TEXT
);
CREATE INDEX audit_log_record ON audit_log(app, module, record_id, at, id);
CREATE INDEX audit_log_at ON audit_log(at);

-- +goose Down
DROP TABLE audit_log;
