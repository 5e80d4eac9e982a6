package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/tessera-app/tessera/engine/meta"
)

// Bulk writes: the pieces a bulk load (an import) uses to write many
// records through the ordinary write path in few statements. Nothing here
// decides what is written — engine/record still validates, runs the hooks
// and computes every row — only how many round trips it takes.

// maxBulkArgs bounds the bound parameters of one multi-row statement:
// SQLite allows 32,766, PostgreSQL 65,535.
const maxBulkArgs = 30_000

// NewRecord is one row for InsertRecords: the validated field values in
// JSON form, the owner ("" for none) and the writer.
type NewRecord struct {
	Values    map[string]any
	Owner, By string
}

// InsertRecords inserts rows into m's table in multi-row INSERT statements
// with RETURNING, and returns the rows as written in the order given (as
// InsertRecord returns one: system keys filled in). A field absent from a
// row's values is NULL, as InsertRecord leaves it. A unique violation is
// the same field error as InsertRecord's, without saying which row: the
// caller tells by writing the rows one by one.
func (s *Store) InsertRecords(ctx context.Context, tx *Tx, m *meta.Module, rows []NewRecord) ([]Record, error) {
	cols := []string{`"id"`, `"version"`, `"created_at"`, `"updated_at"`, `"created_by"`, `"updated_by"`, `"owner_id"`}
	for _, f := range m.Fields {
		cols = append(cols, Quote(f.Key))
	}
	per := len(cols)
	step := max(1, maxBulkArgs/per)
	now := TimeArg(s.D, tx.Now)
	out := make([]Record, 0, len(rows))
	ids := make([]string, len(rows))
	for from := 0; from < len(rows); from += step {
		part := rows[from:min(from+step, len(rows))]
		args := make([]any, 0, len(part)*per)
		var values strings.Builder
		for i, r := range part {
			id := NewID()
			ids[from+i] = id
			args = append(args, id, 1, now, now, nullable(r.By), nullable(r.By), nullable(r.Owner))
			for _, f := range m.Fields {
				v, ok := r.Values[f.Key]
				if !ok || v == nil {
					args = append(args, nil)
					continue
				}
				arg, err := Encode(s.D, f.Column(), v)
				if err != nil {
					return nil, valueError(f, err)
				}
				args = append(args, arg)
			}
			if i > 0 {
				values.WriteString(", ")
			}
			values.WriteString("(")
			values.WriteString(s.placeholders(i*per+1, per))
			values.WriteString(")")
		}
		q := fmt.Sprintf("INSERT INTO %s (%s) VALUES %s RETURNING %s", tableRef(m), strings.Join(cols, ", "),
			values.String(), selectList(m))
		got, err := s.scanRecords(ctx, tx, m, q, args)
		if err != nil {
			return nil, s.writeError(m, err)
		}
		// RETURNING's order is not promised (SQLite says so): match by id.
		for _, id := range ids[from : from+len(part)] {
			rec, ok := got[id]
			if !ok {
				return nil, fmt.Errorf("store: bulk insert into %s did not return row %s", m.Key, id)
			}
			out = append(out, rec)
		}
	}
	return out, nil
}

func (s *Store) scanRecords(ctx context.Context, tx *Tx, m *meta.Module, q string, args []any) (map[string]Record, error) {
	rs, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	got := map[string]Record{}
	for rs.Next() {
		rec, err := scanRecord(rs, m)
		if err != nil {
			return nil, err
		}
		id, _ := rec["id"].(string)
		got[id] = rec
	}
	return got, rs.Err()
}

// RecordsWhereIn is RecordsWhere for many values at once: the live records
// among those meeting every condition whose field holds one of values, by
// value (as compared in SQL; the caller's values are the query arguments).
// A value held by several records maps to the first by id. An import looks
// its keys up by chunk this way, one query instead of one per row.
func (s *Store) RecordsWhereIn(ctx context.Context, tx *Tx, m *meta.Module, field string, values []any, where ...Cond) (map[any]IDVersion, error) {
	if m.Field(field) == nil {
		return nil, fmt.Errorf("store: module %s has no field %q", m.Key, field)
	}
	out := map[any]IDVersion{}
	step := maxBulkArgs / 2
	for from := 0; from < len(values); from += step {
		part := values[from:min(from+step, len(values))]
		w := &whereBuilder{d: s.D, now: s.Now(), m: m}
		w.add(`"deleted_at" IS NULL`)
		w.add(Quote(field)+` IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(part)), ", ")+`)`, part...)
		if err := w.conds(where); err != nil {
			return nil, err
		}
		rows, err := tx.QueryContext(ctx, fmt.Sprintf(`SELECT "id", "version", %s FROM %s WHERE %s ORDER BY "id"`,
			Quote(field), tableRef(m), w.sql()), w.args...)
		if err != nil {
			return nil, err
		}
		c := m.Field(field).Column()
		for rows.Next() {
			var r IDVersion
			var v any
			if err := rows.Scan(&r.ID, &r.Version, &v); err != nil {
				rows.Close()
				return nil, err
			}
			k := Decode(c, v)
			if _, seen := out[k]; !seen {
				out[k] = r
			}
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// bulk holds the append-only rows a buffered transaction has not written
// yet (see Tx.Buffer).
type bulk struct {
	audit []AuditEntry
	jobs  []Job
}

// Buffer makes the append-only inserts of tx — audit entries and jobs
// without a key — wait in memory until Flush writes them in multi-row
// statements. Nothing reads them back inside a write transaction (the
// audit log is append-only; a job is only claimed once committed), so
// holding them changes when they are written, not what is written. The
// caller must Flush before the transaction commits, and Unbuffer when it
// is done (what was not flushed is dropped: the caller is rolling back).
func (tx *Tx) Buffer() { tx.buf = &bulk{} }

// Unbuffer ends buffering; rows not flushed are dropped.
func (tx *Tx) Unbuffer() { tx.buf = nil }

// Flush writes the buffered rows, in order, and empties the buffer.
func (tx *Tx) Flush(ctx context.Context) error {
	b := tx.buf
	if b == nil {
		return nil
	}
	for _, st := range b.statements(tx) {
		if _, err := tx.ExecContext(ctx, Rebind(tx.D, st.q), st.args...); err != nil {
			return err
		}
	}
	b.audit, b.jobs = b.audit[:0], b.jobs[:0]
	return nil
}

// Buffered says whether tx holds its append-only rows until Flush.
func (tx *Tx) Buffered() bool { return tx.buf != nil }

// QueryFlushing runs query (with ? placeholders) in tx after writing what
// the buffer holds. On PostgreSQL the buffered inserts ride in the same
// statement, as data-modifying WITH clauses (which run exactly once and to
// completion whether or not the query reads them), so a write's audit
// entry and jobs cost no round trip of their own; the query's snapshot is
// taken after every earlier statement of tx, as it would be alone. On
// SQLite, or when the buffer is larger than one statement takes, the
// rows are flushed first.
func (tx *Tx) QueryFlushing(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	b := tx.buf
	if b == nil || (len(b.audit) == 0 && len(b.jobs) == 0) {
		return tx.QueryContext(ctx, Rebind(tx.D, query), args...)
	}
	sts := b.statements(tx)
	if tx.D.Name() != "postgres" || len(sts) > 2 {
		if err := tx.Flush(ctx); err != nil {
			return nil, err
		}
		return tx.QueryContext(ctx, Rebind(tx.D, query), args...)
	}
	var q strings.Builder
	var all []any
	for i, st := range sts {
		if i == 0 {
			q.WriteString("WITH ")
		} else {
			q.WriteString(", ")
		}
		fmt.Fprintf(&q, "flushed%d AS (%s)", i, st.q)
		all = append(all, st.args...)
	}
	q.WriteString(" ")
	q.WriteString(query)
	rows, err := tx.QueryContext(ctx, Rebind(tx.D, q.String()), append(all, args...)...)
	if err == nil {
		b.audit, b.jobs = b.audit[:0], b.jobs[:0]
	}
	return rows, err
}

// statement is one SQL text with ? placeholders and its arguments.
type statement struct {
	q    string
	args []any
}

// statements are the multi-row inserts of what b holds, audit entries
// first, as many rows to a statement as the parameter limit allows.
func (b *bulk) statements(tx *Tx) []statement {
	const perAudit = 11
	out := multiInsert(`INSERT INTO audit_log (id, at, actor, via, kind, action, app, module, record_id, diff, detail) VALUES `,
		perAudit, len(b.audit), func(i int, args []any) []any {
			e := &b.audit[i]
			return append(args, e.ID, TimeArg(tx.D, e.At), nullableID(e.Actor), e.Via, e.Kind, e.Action,
				nullable(e.App), nullable(e.Module), nullableID(e.RecordID), jsonArg(e.Diff), jsonArg(e.Detail))
		}, tuple(perAudit))
	const perJob = 8
	now := TimeArg(tx.D, tx.Now)
	return append(out, multiInsert(`INSERT INTO jobs (id, kind, payload, serial, status, run_at, attempts, max_attempts, created_at, updated_at) VALUES `,
		perJob, len(b.jobs), func(i int, args []any) []any {
			j := &b.jobs[i]
			return append(args, j.ID, j.Kind, string(j.Payload), nullable(j.Serial), TimeArg(tx.D, j.RunAt), j.MaxAttempts, now, now)
		}, "(?, ?, ?, ?, 'pending', ?, 0, ?, ?, ?)")...)
}

// multiInsert returns head followed by n rows of per arguments each, as
// many rows to a statement as the parameter limit allows. shape is a
// row's VALUES tuple.
func multiInsert(head string, per, n int, row func(i int, args []any) []any, shape string) []statement {
	var out []statement
	step := max(1, maxBulkArgs/per)
	for from := 0; from < n; from += step {
		to := min(from+step, n)
		args := make([]any, 0, (to-from)*per)
		var q strings.Builder
		q.WriteString(head)
		for i := from; i < to; i++ {
			if i > from {
				q.WriteString(", ")
			}
			q.WriteString(shape)
			args = row(i, args)
		}
		out = append(out, statement{q.String(), args})
	}
	return out
}

// tuple is a VALUES tuple of n placeholders for multiInsert.
func tuple(n int) string { return "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")" }
