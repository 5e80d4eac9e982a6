-- +goose Up
-- The job runners that are alive: each running tessera process (a node)
-- writes seen_at here every few seconds while it runs (a heartbeat), and
-- once when it claims jobs. A running job whose runner (jobs.locked_by)
-- has not been seen for the node timeout belongs to a dead process and is
-- claimed again at once, without waiting for its lease_until (which bounds
-- how long a job may run at all). A node that stops cleanly deletes its row.
CREATE TABLE job_nodes (
    id         TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    seen_at    TEXT NOT NULL
);

-- +goose Down
DROP TABLE job_nodes;
