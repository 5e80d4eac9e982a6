-- +goose Up
-- A move reads the record's last entry in its pipeline (record_id, app,
-- module and flow_key equal, newest at). With the record index on
-- (record_id, flow_key, at), SQLite's planner (no statistics) preferred the
-- pipeline index (app, module, flow_key, at) — three equalities against two
-- — and scanned the pipeline's whole history on every move: on 20,000 moves
-- (tessera gen crm) that was a third of the run. With every equality of
-- the lookup in the record index, it is one seek on both dialects, and the
-- index still serves the reads by record (its prefix).
DROP INDEX stage_history_record;
CREATE INDEX stage_history_record ON stage_history(record_id, app, module, flow_key, at);

-- +goose Down
DROP INDEX stage_history_record;
CREATE INDEX stage_history_record ON stage_history(record_id, flow_key, at);
