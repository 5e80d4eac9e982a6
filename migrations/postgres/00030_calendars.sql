-- +goose Up
-- Business calendars (engine/calendar). The product's default calendar is
-- built in; a row exists only once an administrator saved a calendar.
CREATE TABLE calendars (
    key        TEXT PRIMARY KEY,
    doc        JSON NOT NULL,
    version    INTEGER NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by UUID
);

-- +goose Down
DROP TABLE calendars;
