-- +goose Up
CREATE TABLE notifications (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title      TEXT NOT NULL,
    app        TEXT NOT NULL DEFAULT '',
    module     TEXT NOT NULL DEFAULT '',
    record_id  TEXT,
    source     TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    read_at    TEXT
);
CREATE INDEX notifications_user ON notifications(user_id, created_at);

-- Small per-rule state, e.g. the round-robin position of an assign action.
CREATE TABLE rule_state (
    rule_id TEXT NOT NULL,
    name    TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (rule_id, name)
);

-- +goose Down
DROP TABLE rule_state;
DROP TABLE notifications;
