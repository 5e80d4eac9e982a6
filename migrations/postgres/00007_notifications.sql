-- +goose Up
CREATE TABLE notifications (
    id         UUID PRIMARY KEY,
    user_id    UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title      TEXT NOT NULL,
    app        TEXT NOT NULL DEFAULT '',
    module     TEXT NOT NULL DEFAULT '',
    record_id  UUID,
    source     TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL,
    read_at    TIMESTAMPTZ
);
CREATE INDEX notifications_user ON notifications(user_id, created_at);

CREATE TABLE rule_state (
    rule_id UUID NOT NULL,
    name    TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (rule_id, name)
);

-- +goose Down
DROP TABLE rule_state;
DROP TABLE notifications;
