package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
)

// Apps and modules live in system tables; a module's own table changes in
// the same transaction as its metadata row (inSchemaTx), so the two never
// disagree.

// CreateApp inserts a new app; a duplicate key is a conflict.
func (s *Store) CreateApp(ctx context.Context, a *meta.App) error {
	a.ID = NewID()
	return s.InTx(ctx, func(tx *Tx) error {
		if err := BumpCacheTx(ctx, tx, CacheModules); err != nil {
			return err
		}
		a.CreatedAt, a.UpdatedAt = tx.Now, tx.Now
		label, _ := json.Marshal(a.Label)
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO apps (id, key, label, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`),
			a.ID, a.Key, string(label), TimeArg(s.D, tx.Now), TimeArg(s.D, tx.Now))
		if _, dup := s.D.UniqueViolation(err); dup {
			return errs.New(errs.Conflict, "store.app_exists", "key", a.Key)
		}
		return err
	})
}

// App returns the app with key.
func (s *Store) App(ctx context.Context, key string) (*meta.App, error) {
	row := s.rd(ctx).QueryRowContext(ctx, s.q(`SELECT `+appCols+` WHERE a.key = ?`), key)
	a, err := scanApp(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.New(errs.NotFound, "store.app_not_found", "key", key)
	}
	return a, err
}

// appCols reads an app with the template it was installed from, if any.
const appCols = `a.id, a.key, a.label, a.created_at, a.updated_at, t.template_key, t.version
	FROM apps a LEFT JOIN templates_installed t ON t.app_id = a.id`

// Apps lists every app by key.
func (s *Store) Apps(ctx context.Context) ([]*meta.App, error) {
	rows, err := s.rd(ctx).QueryContext(ctx, `SELECT `+appCols+` ORDER BY a.key`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*meta.App
	for rows.Next() {
		a, err := scanApp(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// UpdateAppLabel changes an app's label.
func (s *Store) UpdateAppLabel(ctx context.Context, a *meta.App) error {
	return s.InTx(ctx, func(tx *Tx) error {
		if err := BumpCacheTx(ctx, tx, CacheModules); err != nil {
			return err
		}
		label, _ := json.Marshal(a.Label)
		a.UpdatedAt = tx.Now
		_, err := tx.ExecContext(ctx, s.q(`UPDATE apps SET label = ?, updated_at = ? WHERE id = ?`), string(label), TimeArg(s.D, tx.Now), a.ID)
		return err
	})
}

// DeleteApp removes an app, its modules, their versions and their tables.
func (s *Store) DeleteApp(ctx context.Context, a *meta.App) error {
	mods, err := s.Modules(ctx, a.Key)
	if err != nil {
		return err
	}
	defer func() {
		for _, m := range mods {
			s.stmts.forget(m.ID)
		}
	}()
	return s.inSchemaTx(ctx, func(tx *Tx) error {
		// The app's rules and pipelines go too (below).
		if err := BumpCacheTx(ctx, tx, CacheModules, CacheRules, CacheFlows); err != nil {
			return err
		}
		for _, m := range mods {
			// CASCADE on PostgreSQL drops foreign keys between this app's
			// tables; SQLite runs this with foreign keys off.
			ddl := "DROP TABLE " + Quote(m.Table)
			if s.D.Name() == "postgres" {
				ddl += " CASCADE"
			}
			if _, err := tx.ExecContext(ctx, ddl); err != nil {
				return err
			}
		}
		if err := s.deleteModuleRows(ctx, tx, `IN (SELECT id FROM modules WHERE app_id = ?)`, a.ID); err != nil {
			return err
		}
		// The app's rules, pipelines, approval processes, dashboards and
		// print templates and app documents (logs, history and approval instances stay),
		// spelled out for SQLite as above: every table whose app_id
		// references apps.
		for _, q := range []string{`DELETE FROM rules WHERE app_id = ?`, `DELETE FROM flows WHERE app_id = ?`,
			`DELETE FROM approval_processes WHERE app_id = ?`, `DELETE FROM dashboards WHERE app_id = ?`,
			`DELETE FROM print_templates WHERE app_id = ?`, `DELETE FROM templates_installed WHERE app_id = ?`,
			`DELETE FROM app_documents WHERE app_id = ?`} {
			if _, err := tx.ExecContext(ctx, s.q(q), a.ID); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, s.q(`DELETE FROM apps WHERE id = ?`), a.ID)
		return err
	})
}

// deleteModuleRows deletes the metadata rows of the modules matching
// "id <match>", children first. The foreign keys would cascade, but on
// SQLite schema transactions run with foreign keys off (see inSchemaTx), so
// the cascade is spelled out.
func (s *Store) deleteModuleRows(ctx context.Context, tx *Tx, match string, arg any) error {
	for _, q := range []string{
		`DELETE FROM autonumbers WHERE module_id ` + match,
		`DELETE FROM module_versions WHERE module_id ` + match,
		`DELETE FROM modules WHERE id ` + match,
	} {
		if _, err := tx.ExecContext(ctx, s.q(q), arg); err != nil {
			return err
		}
	}
	return nil
}

// CreateModule stores a module's first version and creates its table.
func (s *Store) CreateModule(ctx context.Context, m *meta.Module, by string) error {
	m.ID = NewID()
	m.Version = 1
	m.Table = meta.TableName(m.AppKey, m.Key)
	return s.inSchemaTx(ctx, func(tx *Tx) error {
		if err := BumpCacheTx(ctx, tx, CacheModules); err != nil {
			return err
		}
		m.CreatedAt, m.UpdatedAt = tx.Now, tx.Now
		label, _ := json.Marshal(m.Label)
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO modules (id, app_id, key, label, schema, version, table_name, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			m.ID, m.AppID, m.Key, string(label), string(m.Schema), m.Version, m.Table, TimeArg(s.D, tx.Now), TimeArg(s.D, tx.Now))
		if _, dup := s.D.UniqueViolation(err); dup {
			return errs.New(errs.Conflict, "store.module_exists", "key", m.Key)
		}
		if err != nil {
			return err
		}
		if err := s.insertVersion(ctx, tx, m, by); err != nil {
			return err
		}
		return createModuleTable(ctx, tx, m)
	})
}

// UpdateModule stores next as a new version of old and alters the table to
// match. next.Version must equal old.Version (optimistic concurrency); it
// is incremented on success. When the change leaves the planner without
// statistics for the table (a new index, a retyped column), the table is
// analyzed after the commit, so the next list does not plan blind.
func (s *Store) UpdateModule(ctx context.Context, old, next *meta.Module, by string) error {
	next.ID, next.AppID, next.Table, next.CreatedAt = old.ID, old.AppID, old.Table, old.CreatedAt
	var stale bool
	err := s.inSchemaTx(ctx, func(tx *Tx) error {
		if err := BumpCacheTx(ctx, tx, CacheModules); err != nil {
			return err
		}
		label, _ := json.Marshal(next.Label)
		res, err := tx.ExecContext(ctx, s.q(`UPDATE modules SET label = ?, schema = ?, version = version + 1, updated_at = ?
			WHERE id = ? AND version = ?`),
			string(label), string(next.Schema), TimeArg(s.D, tx.Now), old.ID, old.Version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.New(errs.Conflict, "store.module_stale", "key", old.Key)
		}
		next.Version = old.Version + 1
		next.UpdatedAt = tx.Now
		if err := s.insertVersion(ctx, tx, next, by); err != nil {
			return err
		}
		stale, err = syncModuleTable(ctx, tx, old, next)
		return err
	})
	if err != nil || !stale {
		return err
	}
	// The change is committed: statistics are an optimization, and a
	// failure to gather them (the context ended) must not report the
	// change as failed. Optimize catches up later.
	_ = s.Analyze(context.WithoutCancel(ctx), next)
	return nil
}

// DeleteModule removes a module, its versions and its table.
func (s *Store) DeleteModule(ctx context.Context, m *meta.Module) error {
	defer s.stmts.forget(m.ID)
	return s.inSchemaTx(ctx, func(tx *Tx) error {
		if err := BumpCacheTx(ctx, tx, CacheModules); err != nil {
			return err
		}
		if err := s.deleteModuleRows(ctx, tx, `= ?`, m.ID); err != nil {
			return err
		}
		return dropModuleTable(ctx, tx, m)
	})
}

func (s *Store) insertVersion(ctx context.Context, tx *Tx, m *meta.Module, by string) error {
	label, _ := json.Marshal(m.Label)
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO module_versions (module_id, version, label, schema, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)`),
		m.ID, m.Version, string(label), string(m.Schema), TimeArg(s.D, tx.Now), nullable(by))
	return err
}

const moduleCols = `m.id, m.app_id, a.key, m.key, m.label, m.schema, m.version, m.table_name, m.created_at, m.updated_at`

// Module returns the current version of module key in app.
func (s *Store) Module(ctx context.Context, app, key string) (*meta.Module, error) {
	row := s.rd(ctx).QueryRowContext(ctx, s.q(`SELECT `+moduleCols+` FROM modules m JOIN apps a ON a.id = m.app_id WHERE a.key = ? AND m.key = ?`), app, key)
	m, err := scanModule(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.New(errs.NotFound, "store.module_not_found", "app", app, "key", key)
	}
	return m, err
}

// Modules lists an app's modules by key.
func (s *Store) Modules(ctx context.Context, app string) ([]*meta.Module, error) {
	rows, err := s.rd(ctx).QueryContext(ctx, s.q(`SELECT `+moduleCols+` FROM modules m JOIN apps a ON a.id = m.app_id WHERE a.key = ? ORDER BY m.key`), app)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*meta.Module
	for rows.Next() {
		m, err := scanModule(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// ModuleVersions lists every stored version of a module, newest first.
func (s *Store) ModuleVersions(ctx context.Context, moduleID string) ([]meta.ModuleVersion, error) {
	rows, err := s.rd(ctx).QueryContext(ctx, s.q(`SELECT version, label, schema, created_at, created_by FROM module_versions WHERE module_id = ? ORDER BY version DESC`), moduleID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []meta.ModuleVersion
	for rows.Next() {
		var v meta.ModuleVersion
		var label, schema []byte
		var at any
		var by sql.NullString
		if err := rows.Scan(&v.Version, &label, &schema, &at, &by); err != nil {
			return nil, err
		}
		json.Unmarshal(label, &v.Label)
		v.Schema = json.RawMessage(schema)
		v.CreatedAt = DecodeTime(at)
		v.CreatedBy = by.String
		out = append(out, v)
	}
	return out, rows.Err()
}

type scanner interface{ Scan(dest ...any) error }

func scanApp(r scanner) (*meta.App, error) {
	var a meta.App
	var label []byte
	var c, u any
	var tk, tv sql.NullString
	if err := r.Scan(&a.ID, &a.Key, &label, &c, &u, &tk, &tv); err != nil {
		return nil, err
	}
	json.Unmarshal(label, &a.Label)
	if tk.Valid {
		a.Template = &meta.AppTemplate{Key: tk.String, Version: tv.String}
	}
	a.CreatedAt, a.UpdatedAt = DecodeTime(c), DecodeTime(u)
	return &a, nil
}

func scanModule(r scanner) (*meta.Module, error) {
	var m meta.Module
	var label, schema []byte
	var c, u any
	if err := r.Scan(&m.ID, &m.AppID, &m.AppKey, &m.Key, &label, &schema, &m.Version, &m.Table, &c, &u); err != nil {
		return nil, err
	}
	json.Unmarshal(label, &m.Label)
	m.CreatedAt, m.UpdatedAt = DecodeTime(c), DecodeTime(u)
	// The stored document was normalized when saved, so it parses again.
	// (PostgreSQL keeps it in a JSON, not JSONB, column: JSONB would
	// reorder the properties, and their order is the form's order.)
	p, err := meta.ParseSchema(schema)
	if err != nil {
		return nil, fmt.Errorf("stored schema of module %s no longer parses: %w", m.Key, err)
	}
	m.Schema, m.Fields, m.Validations, m.XTitle, m.Options = p.Doc, p.Fields, p.Validations, p.Title, p.Options
	return m.Titled(), nil
}

// q rewrites "?" placeholders for the store's dialect (see Rebind).
func (s *Store) q(query string) string { return Rebind(s.D, query) }

// Rebind rewrites "?" placeholders for dialect d ($1, $2, … on
// PostgreSQL). Only for static SQL: it does not skip "?" inside string
// literals.
func Rebind(d Dialect, query string) string {
	if d.Name() == "sqlite" {
		return query
	}
	return renumber(query, 0)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
