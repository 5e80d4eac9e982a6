-- +goose Up
-- A move reads the record's last entry in its pipeline (record_id and
-- flow_key equal, newest at): with the index on (record_id, at) alone, the
-- planner could prefer the pipeline index (app, module, flow_key, at) and
-- scan the whole pipeline's history. This one answers it in one seek and
-- still serves reads by record.
DROP INDEX stage_history_record;
CREATE INDEX stage_history_record ON stage_history(record_id, flow_key, at);

-- +goose Down
DROP INDEX stage_history_record;
CREATE INDEX stage_history_record ON stage_history(record_id, at);
