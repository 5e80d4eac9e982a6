-- +goose Up
-- Sign-in attempts, for throttling (engine/access/limit.go). An attempt is
-- stored when it starts and counts as failed until it succeeds (then the
-- account's attempts from that address are deleted) or is cancelled. Kept
-- in the database, the counts hold across restarts and across several
-- serve processes; rows older than the window are purged.
CREATE TABLE login_attempts (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account TEXT NOT NULL, -- the email tried, normalized (whether or not a user has it)
    addr    TEXT NOT NULL, -- the client address; '' when unknown
    at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_attempts_pair ON login_attempts(account, addr, at);
CREATE INDEX login_attempts_addr ON login_attempts(addr, at);
CREATE INDEX login_attempts_account ON login_attempts(account, at);
CREATE INDEX login_attempts_at ON login_attempts(at);

-- +goose Down
DROP TABLE login_attempts;
