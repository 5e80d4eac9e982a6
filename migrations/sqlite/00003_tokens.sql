-- +goose Up
-- Personal API tokens live in sessions beside sign-ins (kind 'token'):
-- listing a user's tokens or sessions filters on kind and sorts by age.
-- The new index also serves the user_id foreign key, so sessions_user goes.
CREATE INDEX sessions_user_kind ON sessions(user_id, kind, created_at);
DROP INDEX sessions_user;

-- +goose Down
CREATE INDEX sessions_user ON sessions(user_id);
DROP INDEX sessions_user_kind;
