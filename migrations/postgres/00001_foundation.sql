-- +goose Up
CREATE TABLE users (
    id            UUID PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    is_admin      BOOLEAN NOT NULL DEFAULT FALSE,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    locale        TEXT NOT NULL DEFAULT 'zh-CN',
    time_zone     TEXT NOT NULL DEFAULT 'Asia/Shanghai',
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE sessions (
    id           UUID PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,
    user_id      UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL DEFAULT 'session',
    name         TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE apps (
    id         UUID PRIMARY KEY,
    key        TEXT NOT NULL UNIQUE,
    label      JSONB NOT NULL DEFAULT '{}',
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE modules (
    id         UUID PRIMARY KEY,
    app_id     UUID NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
    key        TEXT NOT NULL,
    label      JSONB NOT NULL DEFAULT '{}',
    schema     JSON NOT NULL,
    version    INTEGER NOT NULL,
    table_name TEXT NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (app_id, key)
);

CREATE TABLE module_versions (
    module_id  UUID NOT NULL REFERENCES modules(id) ON DELETE CASCADE,
    version    INTEGER NOT NULL,
    label      JSONB NOT NULL,
    schema     JSON NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    created_by UUID,
    PRIMARY KEY (module_id, version)
);

CREATE TABLE autonumbers (
    module_id UUID NOT NULL REFERENCES modules(id) ON DELETE CASCADE,
    field     TEXT NOT NULL,
    value     BIGINT NOT NULL,
    PRIMARY KEY (module_id, field)
);

-- +goose Down
DROP TABLE autonumbers;
DROP TABLE module_versions;
DROP TABLE modules;
DROP TABLE apps;
DROP TABLE sessions;
DROP TABLE users;
