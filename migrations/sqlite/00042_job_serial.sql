-- +goose Up
-- serial, when set, names a line of jobs that must run one at a time and
-- in the order they were enqueued (engine/jobs): a claim never takes a
-- pending job while an earlier one of the same serial is running or due.
-- Rule runs on one record share a serial, so on PostgreSQL, where several
-- workers and processes claim at once, two of them never act on the same
-- record concurrently (which made the later one fail its version check).
ALTER TABLE jobs ADD COLUMN serial TEXT;
CREATE INDEX jobs_serial_open ON jobs(serial, created_at, id) WHERE serial IS NOT NULL AND status IN ('pending', 'running');

-- +goose Down
DROP INDEX jobs_serial_open;
ALTER TABLE jobs DROP COLUMN serial;
