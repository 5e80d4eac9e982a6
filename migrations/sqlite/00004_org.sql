-- +goose Up
-- The organisation: a tree of departments, roles (named sets of module
-- permissions, kept as a JSON array) and who belongs to which. Deleting a
-- user takes them out of their departments and roles and leaves the
-- departments they managed without a manager; a department with
-- sub-departments cannot be deleted (the service also refuses one with
-- members).
CREATE TABLE departments (
    id         TEXT PRIMARY KEY,
    key        TEXT NOT NULL UNIQUE,
    label      TEXT NOT NULL DEFAULT '{}',
    parent_id  TEXT REFERENCES departments(id),
    manager_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX departments_parent ON departments(parent_id);
CREATE INDEX departments_manager ON departments(manager_id);

CREATE TABLE user_departments (
    user_id       TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    department_id TEXT NOT NULL REFERENCES departments(id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, department_id)
);
CREATE INDEX user_departments_department ON user_departments(department_id);

CREATE TABLE roles (
    id          TEXT PRIMARY KEY,
    key         TEXT NOT NULL UNIQUE,
    label       TEXT NOT NULL DEFAULT '{}',
    permissions TEXT NOT NULL DEFAULT '[]',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE user_roles (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role_id TEXT NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, role_id)
);
CREATE INDEX user_roles_role ON user_roles(role_id);

-- +goose Down
DROP TABLE user_roles;
DROP TABLE roles;
DROP TABLE user_departments;
DROP TABLE departments;
