package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"

	"github.com/google/uuid"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/expr"
	"github.com/tessera-app/tessera/engine/meta"
)

// The organisation (tables departments, user_departments, roles,
// user_roles): access decides what is allowed; this file only stores it.
// A role's permissions are one JSON document.

// The store implements access.OrgRepo.
var _ access.OrgRepo = (*Store)(nil)

// FieldResolver is Resolver as a method, so that access can check role
// scope expressions without importing the store.
func (s *Store) FieldResolver(m *meta.Module) expr.Resolver { return Resolver(m) }

const deptCols = `id, key, label, parent_id, manager_id, created_at, updated_at`

// CreateDepartment inserts d; a taken key is a conflict.
func (s *Store) CreateDepartment(ctx context.Context, d *access.Department) error {
	d.ID = NewID()
	return s.InTx(ctx, func(tx *Tx) error {
		d.CreatedAt, d.UpdatedAt = tx.Now, tx.Now
		label, _ := json.Marshal(d.Label)
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO departments (`+deptCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`),
			d.ID, d.Key, string(label), nullable(d.ParentID), nullable(d.ManagerID), TimeArg(s.D, tx.Now), TimeArg(s.D, tx.Now))
		if _, dup := s.D.UniqueViolation(err); dup {
			return errs.New(errs.Conflict, "access.department_exists", "key", d.Key)
		}
		return err
	})
}

// UpdateDepartment stores d's label, parent and manager. A parent at or
// below d is refused inside the transaction, so that two concurrent moves
// cannot build a cycle between them on SQLite (one writer); on PostgreSQL
// the service's own check and this one narrow the window to concurrent
// moves of the same branch.
func (s *Store) UpdateDepartment(ctx context.Context, d *access.Department) error {
	return s.InTx(ctx, func(tx *Tx) error {
		if d.ParentID != "" {
			var n int
			// Walk up from the new parent; UNION stops on a cycle.
			err := tx.QueryRowContext(ctx, s.q(`WITH RECURSIVE up(id, parent_id) AS (
					SELECT id, parent_id FROM departments WHERE id = ?
					UNION SELECT p.id, p.parent_id FROM departments p JOIN up ON p.id = up.parent_id)
				SELECT count(*) FROM up WHERE id = ?`), d.ParentID, d.ID).Scan(&n)
			if err != nil {
				return err
			}
			if n > 0 {
				return errs.Fields(errs.Field("parent", "cycle", "access.department_cycle", "key", d.Key))
			}
		}
		label, _ := json.Marshal(d.Label)
		res, err := tx.ExecContext(ctx, s.q(`UPDATE departments SET label = ?, parent_id = ?, manager_id = ?, updated_at = ? WHERE id = ?`),
			string(label), nullable(d.ParentID), nullable(d.ManagerID), TimeArg(s.D, tx.Now), d.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.New(errs.NotFound, "access.department_not_found", "key", d.Key)
		}
		d.UpdatedAt = tx.Now
		return nil
	})
}

// DeleteDepartment deletes a department that has no sub-departments and
// no members, checked in the delete itself; a conflict otherwise.
func (s *Store) DeleteDepartment(ctx context.Context, id string) error {
	return s.InTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM departments WHERE id = ?
			AND NOT EXISTS (SELECT 1 FROM departments c WHERE c.parent_id = ?)
			AND NOT EXISTS (SELECT 1 FROM user_departments m WHERE m.department_id = ?)`), id, id, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return nil
		}
		var one int
		err = tx.QueryRowContext(ctx, s.q(`SELECT 1 FROM departments WHERE id = ?`), id).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return errs.New(errs.NotFound, "access.department_not_found", "key", id)
		}
		if err != nil {
			return err
		}
		return errs.New(errs.Conflict, "access.department_changed")
	})
}

// Departments lists every department by key.
func (s *Store) Departments(ctx context.Context) ([]*access.Department, error) {
	rows, err := s.rd(ctx).QueryContext(ctx, `SELECT `+deptCols+` FROM departments ORDER BY key`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*access.Department{}
	for rows.Next() {
		var d access.Department
		var label []byte
		var parent, manager sql.NullString
		var c, u any
		if err := rows.Scan(&d.ID, &d.Key, &label, &parent, &manager, &c, &u); err != nil {
			return nil, err
		}
		json.Unmarshal(label, &d.Label)
		d.ParentID, d.ManagerID = parent.String, manager.String
		d.CreatedAt, d.UpdatedAt = DecodeTime(c), DecodeTime(u)
		out = append(out, &d)
	}
	return out, rows.Err()
}

// DepartmentMembers lists the users of department id by email.
func (s *Store) DepartmentMembers(ctx context.Context, id string) ([]*access.User, error) {
	rows, err := s.rd(ctx).QueryContext(ctx, s.q(`SELECT `+prefixed("u.", userCols)+` FROM users u
		JOIN user_departments m ON m.user_id = u.id WHERE m.department_id = ? ORDER BY u.email`), id)
	if err != nil {
		return nil, err
	}
	return scanUsers(rows)
}

const roleCols = `id, key, label, permissions, created_at, updated_at`

// CreateRole inserts r; a taken key is a conflict.
func (s *Store) CreateRole(ctx context.Context, r *access.Role) error {
	r.ID = NewID()
	label, _ := json.Marshal(r.Label)
	perms, err := permissionsJSON(r.Permissions)
	if err != nil {
		return err
	}
	return s.InTx(ctx, func(tx *Tx) error {
		r.CreatedAt, r.UpdatedAt = tx.Now, tx.Now
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO roles (`+roleCols+`) VALUES (?, ?, ?, ?, ?, ?)`),
			r.ID, r.Key, string(label), perms, TimeArg(s.D, tx.Now), TimeArg(s.D, tx.Now))
		if _, dup := s.D.UniqueViolation(err); dup {
			return errs.New(errs.Conflict, "access.role_exists", "key", r.Key)
		}
		return err
	})
}

// UpdateRole stores r's label and permissions.
func (s *Store) UpdateRole(ctx context.Context, r *access.Role) error {
	label, _ := json.Marshal(r.Label)
	perms, err := permissionsJSON(r.Permissions)
	if err != nil {
		return err
	}
	return s.InTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE roles SET label = ?, permissions = ?, updated_at = ? WHERE id = ?`),
			string(label), perms, TimeArg(s.D, tx.Now), r.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.New(errs.NotFound, "access.role_not_found", "key", r.Key)
		}
		r.UpdatedAt = tx.Now
		return nil
	})
}

// DeleteRole deletes a role. Its holders (by email, read in the same
// transaction) refuse the delete with access.ErrRoleHeld unless force,
// which takes the role from them. On PostgreSQL the role's row is locked
// first: a concurrent assignment (its foreign key takes a share lock on
// the row) waits, so no holder is stripped without being returned.
func (s *Store) DeleteRole(ctx context.Context, id string, force bool) ([]*access.User, error) {
	var holders []*access.User
	err := s.InTx(ctx, func(tx *Tx) error {
		lock := ""
		if s.D.Name() == "postgres" {
			lock = " FOR UPDATE"
		}
		var got string
		err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM roles WHERE id = ?`+lock), id).Scan(&got)
		if errors.Is(err, sql.ErrNoRows) {
			return errs.New(errs.NotFound, "access.role_not_found", "key", id)
		}
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, s.q(`SELECT `+prefixed("u.", userCols)+` FROM users u
			JOIN user_roles m ON m.user_id = u.id WHERE m.role_id = ? ORDER BY u.email`), id)
		if err != nil {
			return err
		}
		if holders, err = scanUsers(rows); err != nil {
			return err
		}
		if len(holders) > 0 && !force {
			return access.ErrRoleHeld
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM user_roles WHERE role_id = ?`), id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, s.q(`DELETE FROM roles WHERE id = ?`), id)
		return err
	})
	return holders, err
}

// Roles lists every role by key.
func (s *Store) Roles(ctx context.Context) ([]*access.Role, error) {
	rows, err := s.rd(ctx).QueryContext(ctx, `SELECT `+roleCols+` FROM roles ORDER BY key`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*access.Role{}
	for rows.Next() {
		var r access.Role
		var label, perms []byte
		var c, u any
		if err := rows.Scan(&r.ID, &r.Key, &label, &perms, &c, &u); err != nil {
			return nil, err
		}
		json.Unmarshal(label, &r.Label)
		if err := json.Unmarshal(perms, &r.Permissions); err != nil {
			return nil, errors.Join(errors.New("stored permissions of role "+r.Key+" do not parse"), err)
		}
		if r.Permissions == nil {
			r.Permissions = []access.Permission{}
		}
		r.CreatedAt, r.UpdatedAt = DecodeTime(c), DecodeTime(u)
		out = append(out, &r)
	}
	return out, rows.Err()
}

func permissionsJSON(p []access.Permission) (string, error) {
	if p == nil {
		p = []access.Permission{}
	}
	b, err := json.Marshal(p)
	return string(b), err
}

// CreateMember inserts a user and their memberships in one transaction;
// a taken email is a conflict.
func (s *Store) CreateMember(ctx context.Context, u *access.User, passwordHash string, m access.Membership) error {
	u.ID = NewID()
	return s.InTx(ctx, func(tx *Tx) error {
		u.CreatedAt, u.UpdatedAt = tx.Now, tx.Now
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO users (`+userCols+`, password_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			u.ID, u.Email, u.Name, u.IsAdmin, u.Disabled, u.Locale, u.TimeZone, TimeArg(s.D, tx.Now), TimeArg(s.D, tx.Now), passwordHash)
		if _, dup := s.D.UniqueViolation(err); dup {
			return errs.New(errs.Conflict, "access.user_exists", "email", u.Email)
		}
		if err != nil {
			return err
		}
		return s.setMemberships(ctx, tx, u.ID, m.Departments, m.Roles)
	})
}

// UpdateUser stores u's name, flags, locale and time zone, the password
// when passwordHash is set, and replaces the departments and roles that
// are non-nil.
func (s *Store) UpdateUser(ctx context.Context, u *access.User, passwordHash string, departments, roles []string) error {
	return s.InTx(ctx, func(tx *Tx) error {
		q := `UPDATE users SET name = ?, is_admin = ?, disabled = ?, locale = ?, time_zone = ?, updated_at = ?`
		args := []any{u.Name, u.IsAdmin, u.Disabled, u.Locale, u.TimeZone, TimeArg(s.D, tx.Now)}
		if passwordHash != "" {
			q += `, password_hash = ?`
			args = append(args, passwordHash)
		}
		res, err := tx.ExecContext(ctx, s.q(q+` WHERE id = ?`), append(args, u.ID)...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.New(errs.NotFound, "access.user_not_found")
		}
		u.UpdatedAt = tx.Now
		return s.setMemberships(ctx, tx, u.ID, departments, roles)
	})
}

// setMemberships replaces the user's departments and roles that are
// non-nil.
func (s *Store) setMemberships(ctx context.Context, tx *Tx, userID string, departments, roles []string) error {
	for _, set := range []struct {
		table, col string
		ids        []string
	}{{"user_departments", "department_id", departments}, {"user_roles", "role_id", roles}} {
		if set.ids == nil {
			continue
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM `+set.table+` WHERE user_id = ?`), userID); err != nil {
			return err
		}
		for _, id := range set.ids {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO `+set.table+` (user_id, `+set.col+`) VALUES (?, ?)`), userID, id); err != nil {
				return err
			}
		}
	}
	return nil
}

// Users lists people by email (not the system users rules write as).
func (s *Store) Users(ctx context.Context, limit, offset int) ([]*access.User, error) {
	rows, err := s.rd(ctx).QueryContext(ctx, s.q(`SELECT `+userCols+` FROM users WHERE kind = 'person' ORDER BY email LIMIT ? OFFSET ?`), limit, offset)
	if err != nil {
		return nil, err
	}
	return scanUsers(rows)
}

// Memberships returns the department and role ids of each of the users,
// in one query.
func (s *Store) Memberships(ctx context.Context, userIDs []string) (map[string]*access.Membership, error) {
	out := map[string]*access.Membership{}
	var ids []any
	for _, id := range userIDs {
		// Only well-formed ids reach PostgreSQL's UUID columns.
		if len(id) == 36 && uuid.Validate(id) == nil {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	in := "?" + strings.Repeat(", ?", len(ids)-1)
	rows, err := s.rd(ctx).QueryContext(ctx, s.q(`SELECT user_id, 'd', department_id FROM user_departments WHERE user_id IN (`+in+`)
		UNION ALL SELECT user_id, 'r', role_id FROM user_roles WHERE user_id IN (`+in+`)`), append(ids, ids...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var user, kind, id string
		if err := rows.Scan(&user, &kind, &id); err != nil {
			return nil, err
		}
		m := out[user]
		if m == nil {
			m = &access.Membership{}
			out[user] = m
		}
		if kind == "d" {
			m.Departments = append(m.Departments, id)
		} else {
			m.Roles = append(m.Roles, id)
		}
	}
	return out, rows.Err()
}

func scanUsers(rows *sql.Rows) ([]*access.User, error) {
	defer rows.Close()
	out := []*access.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// prefixed qualifies each column of a column list.
func prefixed(p, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// People finds active users for pickers: those whose name or email
// contains q (case-insensitive for ASCII), or those with the given ids
// when ids is non-empty; by name, at most limit.
func (s *Store) People(ctx context.Context, q string, ids []string, limit int) ([]*access.User, error) {
	where, args := "NOT disabled", []any{}
	if len(ids) > 0 {
		var valid []any
		for _, id := range ids {
			if len(id) == 36 && uuid.Validate(id) == nil { // PostgreSQL's UUID column refuses others
				valid = append(valid, id)
			}
		}
		if len(valid) == 0 {
			return []*access.User{}, nil
		}
		where += " AND id IN (?" + strings.Repeat(", ?", len(valid)-1) + ")"
		args = append(args, valid...)
	}
	if q != "" {
		like := "%" + likeEscaper.Replace(strings.ToLower(q)) + "%"
		where += ` AND (lower(name) LIKE ? ESCAPE '\' OR lower(email) LIKE ? ESCAPE '\')`
		args = append(args, like, like)
	}
	rows, err := s.rd(ctx).QueryContext(ctx, s.q(`SELECT `+userCols+` FROM users WHERE `+where+` ORDER BY name, id LIMIT ?`), append(args, limit)...)
	if err != nil {
		return nil, err
	}
	return scanUsers(rows)
}

// likeEscaper escapes LIKE's wildcards (ESCAPE '\').
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
