-- +goose Up
-- Timestamps are TEXT in fixed-width UTC ('2006-01-02T15:04:05.000000Z') so
-- that text order is time order.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    is_admin      INTEGER NOT NULL DEFAULT 0,
    disabled      INTEGER NOT NULL DEFAULT 0,
    locale        TEXT NOT NULL DEFAULT 'zh-CN',
    time_zone     TEXT NOT NULL DEFAULT 'Asia/Shanghai',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL DEFAULT 'session',
    name         TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    last_used_at TEXT,
    revoked_at   TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE apps (
    id         TEXT PRIMARY KEY,
    key        TEXT NOT NULL UNIQUE,
    label      TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE modules (
    id         TEXT PRIMARY KEY,
    app_id     TEXT NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    key        TEXT NOT NULL,
    label      TEXT NOT NULL DEFAULT '{}',
    schema     TEXT NOT NULL,
    version    INTEGER NOT NULL,
    table_name TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (app_id, key)
);

CREATE TABLE module_versions (
    module_id  TEXT NOT NULL REFERENCES modules(id) ON DELETE CASCADE,
    version    INTEGER NOT NULL,
    label      TEXT NOT NULL,
    schema     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT,
    PRIMARY KEY (module_id, version)
);

CREATE TABLE autonumbers (
    module_id TEXT NOT NULL REFERENCES modules(id) ON DELETE CASCADE,
    field     TEXT NOT NULL,
    value     INTEGER NOT NULL,
    PRIMARY KEY (module_id, field)
);

-- +goose Down
DROP TABLE autonumbers;
DROP TABLE module_versions;
DROP TABLE modules;
DROP TABLE apps;
DROP TABLE sessions;
DROP TABLE users;
