-- +goose Up
-- Issue 7 items 9, 13 and 18 (see the SQLite migration for the why).
ALTER TABLE users ADD COLUMN kind TEXT NOT NULL DEFAULT 'person';

ALTER TABLE notifications ADD COLUMN msg_key TEXT NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN msg_params JSONB;

CREATE TABLE record_cascades (
    app           TEXT NOT NULL,
    parent_module TEXT NOT NULL,
    parent_id     UUID NOT NULL,
    child_module  TEXT NOT NULL,
    child_id      UUID NOT NULL,
    at            TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (app, parent_module, parent_id, child_module, child_id)
);

-- +goose Down
DROP TABLE record_cascades;
ALTER TABLE notifications DROP COLUMN msg_params;
ALTER TABLE notifications DROP COLUMN msg_key;
ALTER TABLE users DROP COLUMN kind;
