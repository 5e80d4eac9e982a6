package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
)

// Record is one row in its JSON form: field keys and system keys.
type Record map[string]any

// System columns as they appear in a record (owner is stored as owner_id).
var (
	colID        = meta.Column{Kind: meta.ColRef}
	colTime      = meta.Column{Kind: meta.ColTime}
	colInt       = meta.Column{Kind: meta.ColInteger}
	systemSelect = []struct {
		key, col string
		c        meta.Column
	}{
		{"id", "id", colID}, {"version", "version", colInt},
		{"created_at", "created_at", colTime}, {"updated_at", "updated_at", colTime},
		{"created_by", "created_by", colID}, {"updated_by", "updated_by", colID},
		{"owner", "owner_id", colID}, {"deleted_at", "deleted_at", colTime},
	}
)

// selectList is the column list of a module's records, system columns
// first (built once per module version, rowShape).
func selectList(m *meta.Module) string { return shapeOf(m).selectList }

// scanRecord reads one row selected with selectList.
func scanRecord(r scanner, m *meta.Module) (Record, error) {
	n := len(systemSelect) + len(m.Fields)
	vals := make([]any, n)
	ptrs := make([]any, n)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := r.Scan(ptrs...); err != nil {
		return nil, err
	}
	rec := make(Record, n)
	for i, s := range systemSelect {
		v := Decode(s.c, vals[i])
		if s.key == "deleted_at" && v == nil {
			continue
		}
		rec[s.key] = v
	}
	for i, f := range m.Fields {
		rec[f.Key] = Decode(f.Column(), vals[len(systemSelect)+i])
	}
	return rec, nil
}

// InsertRecord inserts a new record. values holds field values in JSON
// form (already validated); owner may be "". It fills in and returns the
// system keys.
func (s *Store) InsertRecord(ctx context.Context, tx *Tx, m *meta.Module, values map[string]any, owner, by string) (Record, error) {
	id := NewID()
	now := TimeArg(s.D, tx.Now)
	cols := []string{`"id"`, `"version"`, `"created_at"`, `"updated_at"`, `"created_by"`, `"updated_by"`, `"owner_id"`}
	args := []any{id, 1, now, now, nullable(by), nullable(by), nullable(owner)}
	for _, f := range m.Fields {
		v, ok := values[f.Key]
		if !ok {
			continue
		}
		arg, err := Encode(s.D, f.Column(), v)
		if err != nil {
			return nil, valueError(f, err)
		}
		cols = append(cols, Quote(f.Key))
		args = append(args, arg)
	}
	// RETURNING reads the row back in the same statement (both dialects):
	// one round trip less inside the write transaction, which on SQLite
	// holds the only writer.
	q := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) RETURNING %s", tableRef(m), strings.Join(cols, ", "),
		s.placeholders(1, len(args)), selectList(m))
	rec, err := scanRecord(tx.QueryRowContext(ctx, q, args...), m)
	if err != nil {
		return nil, s.writeError(m, err)
	}
	return rec, nil
}

// UpdateRecord writes changes to record id if its version is still
// version, bumping the version. A stale version is a conflict that writes
// nothing; a missing or deleted record is not found.
func (s *Store) UpdateRecord(ctx context.Context, tx *Tx, m *meta.Module, id string, version int64, changes map[string]any, by string) (Record, error) {
	sets := []string{`"version" = "version" + 1`, `"updated_at" = ` + s.D.Placeholder(1), `"updated_by" = ` + s.D.Placeholder(2)}
	args := []any{TimeArg(s.D, tx.Now), nullable(by)}
	for _, f := range m.Fields {
		v, ok := changes[f.Key]
		if !ok {
			continue
		}
		arg, err := Encode(s.D, f.Column(), v)
		if err != nil {
			return nil, valueError(f, err)
		}
		args = append(args, arg)
		sets = append(sets, Quote(f.Key)+" = "+s.D.Placeholder(len(args)))
	}
	if owner, ok := changes["owner"]; ok {
		args = append(args, owner)
		sets = append(sets, `"owner_id" = `+s.D.Placeholder(len(args)))
	}
	args = append(args, id, version)
	q := fmt.Sprintf(`UPDATE %s SET %s WHERE "id" = %s AND "version" = %s AND "deleted_at" IS NULL RETURNING %s`,
		tableRef(m), strings.Join(sets, ", "), s.D.Placeholder(len(args)-1), s.D.Placeholder(len(args)), selectList(m))
	rec, err := scanRecord(tx.QueryRowContext(ctx, q, args...), m)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, s.notUpdated(ctx, tx, m, id)
	}
	if err != nil {
		return nil, s.writeError(m, err)
	}
	return rec, nil
}

// SetDeleted soft-deletes (deleted=true) or restores a record, bumping its
// version. Deleting a deleted record, or restoring a live one, is not found.
func (s *Store) SetDeleted(ctx context.Context, tx *Tx, m *meta.Module, id string, deleted bool, by string) (Record, error) {
	var q string
	if deleted {
		q = `UPDATE %s SET "deleted_at" = %s, "updated_at" = %s, "updated_by" = %s, "version" = "version" + 1 WHERE "id" = %s AND "deleted_at" IS NULL`
	} else {
		q = `UPDATE %s SET "deleted_at" = NULL, "updated_at" = %s, "updated_by" = %s, "version" = "version" + 1 WHERE "id" = %s AND "deleted_at" IS NOT NULL`
	}
	now := TimeArg(s.D, tx.Now)
	var args []any
	if deleted {
		args = []any{now, now, nullable(by), id}
	} else {
		args = []any{now, nullable(by), id}
	}
	ph := make([]any, len(args)+1)
	ph[0] = tableRef(m)
	for i := range args {
		ph[i+1] = s.D.Placeholder(i + 1)
	}
	res, err := tx.ExecContext(ctx, fmt.Sprintf(q, ph...), args...)
	if err != nil {
		return nil, s.writeError(m, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, errs.New(errs.NotFound, "store.record_not_found", "id", id)
	}
	return s.getRecord(ctx, tx, m, id, true, nil)
}

// notUpdated says why an update matched no row: not found (missing or
// deleted) or a conflict (another version).
func (s *Store) notUpdated(ctx context.Context, tx *Tx, m *meta.Module, id string) error {
	if _, err := s.getRecord(ctx, tx, m, id, false, nil); err != nil {
		return err
	}
	return errs.New(errs.Conflict, "store.stale_version", "id", id)
}

// Record reads one live record that meets every condition (record
// scopes); one that does not exist, is deleted or is out of scope is not
// found alike, so ids cannot be probed.
func (s *Store) Record(ctx context.Context, m *meta.Module, id string, where ...Cond) (Record, error) {
	return s.getRecord(ctx, s.rd(ctx), m, id, false, where)
}

// RecordInTx reads one live record inside a write transaction.
func (s *Store) RecordInTx(ctx context.Context, tx *Tx, m *meta.Module, id string, where ...Cond) (Record, error) {
	return s.getRecord(ctx, tx, m, id, false, where)
}

// DeletedRecordInTx reads one soft-deleted record (for restore).
func (s *Store) DeletedRecordInTx(ctx context.Context, tx *Tx, m *meta.Module, id string, where ...Cond) (Record, error) {
	w := append([]Cond{{SQL: `"deleted_at" IS NOT NULL`}}, where...)
	return s.getRecord(ctx, tx, m, id, true, w)
}

// InScope reports whether record id meets every condition.
func (s *Store) InScope(ctx context.Context, tx *Tx, m *meta.Module, id string, where ...Cond) (bool, error) {
	if !validID(id) {
		return false, nil
	}
	w := &whereBuilder{d: s.D, now: s.Now(), m: m}
	w.add(`"id" = ?`, id)
	if err := w.conds(where); err != nil {
		return false, err
	}
	var one int
	err := tx.QueryRowContext(ctx, fmt.Sprintf(`SELECT 1 FROM %s WHERE %s`, tableRef(m), w.sql()), w.args...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

func (s *Store) getRecord(ctx context.Context, q queryer, m *meta.Module, id string, withDeleted bool, where []Cond) (Record, error) {
	sqlText, args, err := s.recordQuery(m, id, withDeleted, where)
	if err != nil {
		return nil, err
	}
	rec, err := scanRecord(q.QueryRowContext(ctx, sqlText, args...), m)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(id)
	}
	return rec, err
}

// recordQuery selects record id when it meets every condition.
func (s *Store) recordQuery(m *meta.Module, id string, withDeleted bool, where []Cond) (string, []any, error) {
	if !validID(id) {
		return "", nil, notFound(id)
	}
	w := &whereBuilder{d: s.D, now: s.Now(), m: m}
	w.add(`"id" = ?`, id)
	if !withDeleted {
		w.add(`"deleted_at" IS NULL`)
	}
	if err := w.conds(where); err != nil {
		return "", nil, err
	}
	return fmt.Sprintf(`SELECT %s FROM %s WHERE %s`, selectList(m), tableRef(m), w.sql()), w.args, nil
}

func notFound(id string) error { return errs.New(errs.NotFound, "store.record_not_found", "id", id) }

// VisibleIDs returns which of ids are live records of m meeting every
// condition (lookup checks: one may only link to what one may read).
func (s *Store) VisibleIDs(ctx context.Context, tx *Tx, m *meta.Module, ids []string, where ...Cond) (map[string]bool, error) {
	found := map[string]bool{}
	valid := validIDs(ids)
	if len(valid) == 0 {
		return found, nil
	}
	w := &whereBuilder{d: s.D, now: s.Now(), m: m}
	w.add(`"deleted_at" IS NULL`)
	w.add(`"id" IN (`+Marks(len(valid))+`)`, valid...)
	if err := w.conds(where); err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, fmt.Sprintf(`SELECT "id" FROM %s WHERE %s`, tableRef(m), w.sql()), w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		found[id] = true
	}
	return found, rows.Err()
}

func validIDs(ids []string) []any {
	var valid []any
	for _, id := range ids {
		if validID(id) {
			valid = append(valid, id)
		}
	}
	return valid
}

// LiveIDs returns which of ids are live records of table (lookup checks).
func (s *Store) LiveIDs(ctx context.Context, tx *Tx, table string, ids []string) (map[string]bool, error) {
	found := map[string]bool{}
	var valid []any
	for _, id := range ids {
		if validID(id) {
			valid = append(valid, id)
		}
	}
	if len(valid) == 0 {
		return found, nil
	}
	cond := `"deleted_at" IS NULL AND `
	if table == "users" {
		cond = `"disabled" = ` + s.boolLit(false) + ` AND `
	}
	q := fmt.Sprintf(`SELECT "id" FROM %s WHERE %s"id" IN (%s)`, Quote(table), cond, s.placeholders(1, len(valid)))
	rows, err := tx.QueryContext(ctx, q, valid...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		found[id] = true
	}
	return found, rows.Err()
}

// RecordsByIDs loads live records by id in batches (for expand): one query
// per 500 ids, never one per row.
func (s *Store) RecordsByIDs(ctx context.Context, m *meta.Module, ids []string, where ...Cond) (map[string]Record, error) {
	out := map[string]Record{}
	valid := validIDs(ids)
	for start := 0; start < len(valid); start += 500 {
		end := min(start+500, len(valid))
		w := &whereBuilder{d: s.D, now: s.Now(), m: m}
		w.add(`"deleted_at" IS NULL`)
		w.add(`"id" IN (`+Marks(end-start)+`)`, valid[start:end]...)
		if err := w.conds(where); err != nil {
			return nil, err
		}
		q := fmt.Sprintf(`SELECT %s FROM %s WHERE %s`, selectList(m), tableRef(m), w.sql())
		rows, err := s.readQuery(ctx, q, w.args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			rec, err := scanRecord(rows, m)
			if err != nil {
				rows.Close()
				return nil, err
			}
			out[rec["id"].(string)] = rec
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// UserSummaries loads id, name and email of users by id (for expand).
func (s *Store) UserSummaries(ctx context.Context, ids []string) (map[string]Record, error) {
	out := map[string]Record{}
	var valid []any
	for _, id := range ids {
		if validID(id) {
			valid = append(valid, id)
		}
	}
	if len(valid) == 0 {
		return out, nil
	}
	rows, err := s.readQuery(ctx, fmt.Sprintf(`SELECT id, name, email FROM users WHERE id IN (%s)`, s.placeholders(1, len(valid))), valid...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, name, email string
		if err := rows.Scan(&id, &name, &email); err != nil {
			return nil, err
		}
		out[id] = Record{"id": id, "name": name, "email": email}
	}
	return out, rows.Err()
}

// NextAutonumber returns the next value of a module field's sequence,
// inside the record's transaction so a rolled-back create uses no number.
func (s *Store) NextAutonumber(ctx context.Context, tx *Tx, moduleID, field string) (int64, error) {
	var n int64
	err := tx.QueryRowContext(ctx, s.q(`INSERT INTO autonumbers (module_id, field, value) VALUES (?, ?, 1)
		ON CONFLICT (module_id, field) DO UPDATE SET value = autonumbers.value + 1 RETURNING value`), moduleID, field).Scan(&n)
	return n, err
}

// writeError maps constraint failures to errors naming the field.
func (s *Store) writeError(m *meta.Module, err error) error {
	if name, ok := s.D.UniqueViolation(err); ok {
		if f, ok := fieldFromIndex(name); ok {
			name = f
		}
		e := errs.Wrap(err, errs.Conflict, "store.duplicate", "field", m.NameOf(name))
		e.Fields = []errs.FieldError{errs.Field(name, "unique", "store.duplicate_value", "field", m.NameOf(name))}
		return e
	}
	return err
}

func (s *Store) placeholders(from, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(s.D.Placeholder(from + i))
	}
	return b.String()
}

func (s *Store) boolLit(b bool) string {
	if s.D.Name() == "sqlite" {
		if b {
			return "1"
		}
		return "0"
	}
	if b {
		return "TRUE"
	}
	return "FALSE"
}

// validID reports whether id looks like a UUID. Ids from URLs are checked
// before they reach PostgreSQL, where a malformed uuid is an error, so a
// guessed or garbled id is a plain 404 on both dialects.
func validID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i, c := range id {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
		default:
			return false
		}
	}
	return true
}

// tableRef names a module's table in record statements, tagged with the
// module's schema version. pgx caches prepared statements by SQL text; after
// a schema change (say a column's type) a cached statement would fail with
// "cached plan must not change result type". The version tag makes the SQL
// of each schema version distinct, so a new schema gets new statements and
// the old ones age out of the cache unused.
func tableRef(m *meta.Module) string {
	return fmt.Sprintf("%s /* v%d */", Quote(m.Table), m.Version)
}

// valueError reports a value the column cannot hold as a 422 on its field.
func valueError(f *meta.Field, err error) error {
	if errors.Is(err, ErrTooPrecise) {
		return errs.Fields(errs.Field(f.Key, "precision", "store.sqlite_digits", "field", f.Named(), "max", SQLiteDecimalDigits))
	}
	e := errs.Fields(errs.Field(f.Key, "type", "store.bad_value", "field", f.Named()))
	e.Err = err // Go's words, for the log only
	return e
}

// Marks is n "?" placeholders separated by commas, for IN lists in
// conditions (Cond.SQL and whereBuilder renumber them per dialect).
func Marks(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}
