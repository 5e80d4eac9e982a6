-- +goose Up
-- Installed templates (engine/template): which template package an app
-- came from, at which version, and the package's files as installed. The
-- files are the base of the next upgrade's three-way merge (base = this,
-- theirs = the new version, ours = the app's metadata now). files is a
-- JSON object of path → file text, kept as TEXT so it is byte-exact.
CREATE TABLE templates_installed (
    app_id        TEXT PRIMARY KEY REFERENCES apps(id) ON DELETE CASCADE,
    template_key  TEXT NOT NULL,
    version       TEXT NOT NULL,
    files         TEXT NOT NULL,
    installed_at  TEXT NOT NULL,
    upgraded_at   TEXT NOT NULL
);

-- +goose Down
DROP TABLE templates_installed;
