-- +goose Up
-- Business calendars (engine/calendar). The product's default calendar is
-- built in; a row exists only once an administrator saved a calendar.
CREATE TABLE calendars (
    key        TEXT PRIMARY KEY,
    doc        TEXT NOT NULL,
    version    INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT
);

-- +goose Down
DROP TABLE calendars;
