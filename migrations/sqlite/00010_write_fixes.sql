-- +goose Up
-- Issue 7 items 9, 13 and 18.
--
-- users.kind: 'person' for people, 'system' for the actors rules write as
-- ("rule:<key>", engine/rule): real rows, so created_by and the history
-- name them, but disabled, without a password, and left out of user lists.
ALTER TABLE users ADD COLUMN kind TEXT NOT NULL DEFAULT 'person';

-- Notifications keep their message (key and arguments, JSON) so they are
-- rendered in the reader's language when read; title stays the text in
-- the recipient's language at the time, and is all that older rows have.
ALTER TABLE notifications ADD COLUMN msg_key TEXT NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN msg_params TEXT;

-- Which records a delete soft-deleted along with its record (lookups with
-- on_delete: cascade), so restoring the record restores exactly those.
CREATE TABLE record_cascades (
    app           TEXT NOT NULL,
    parent_module TEXT NOT NULL,
    parent_id     TEXT NOT NULL,
    child_module  TEXT NOT NULL,
    child_id      TEXT NOT NULL,
    at            TEXT NOT NULL,
    PRIMARY KEY (app, parent_module, parent_id, child_module, child_id)
);

-- +goose Down
DROP TABLE record_cascades;
ALTER TABLE notifications DROP COLUMN msg_params;
ALTER TABLE notifications DROP COLUMN msg_key;
ALTER TABLE users DROP COLUMN kind;
