package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
)

// Import statuses (ImportRow.Status).
const (
	ImportUploaded = "uploaded" // checked and stored; dry runs may be made
	ImportPending  = "pending"  // its run's job is queued
	ImportRunning  = "running"
	ImportDone     = "done"
	ImportFailed   = "failed"
)

// ImportRow is an uploaded file being imported into a module
// (engine/importer owns its meaning): what was detected in it, the run's
// request, progress and counts. The file is kept in chunks
// (ImportChunks), the rows that failed in import_errors.
type ImportRow struct {
	ID        string
	App       string
	Module    string
	CreatedBy string
	Filename  string
	Format    string
	Encoding  string
	Size      int64
	Sheet     string
	HeaderRow int
	Columns   string // JSON: the columns' names
	Request   string // JSON: the run's request
	Status    string
	Total     int64
	Done      int64
	Created   int64
	Updated   int64
	Skipped   int64
	Failed    int64
	Error     string // JSON of an i18n.Msg
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ImportCounts are a run's outcomes so far.
type ImportCounts struct {
	Done, Created, Updated, Skipped, Failed int64
}

// ImportError is one failed row: its number in the sheet, its cells and
// its errors (JSON, engine/importer's).
type ImportError struct {
	Row    int
	Cells  string
	Errors string
}

// CreateImport stores an uploaded import and its file (in chunks of at
// most chunk bytes) in one transaction.
func (s *Store) CreateImport(ctx context.Context, r *ImportRow, file []byte, chunk int) error {
	return s.InTx(ctx, func(tx *Tx) error {
		r.ID, r.Status, r.CreatedAt, r.UpdatedAt = NewID(), ImportUploaded, tx.Now, tx.Now
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO imports (id, app, module, created_by, filename, format, encoding, size, sheet,
			header_row, columns, status, total_rows, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			r.ID, r.App, r.Module, r.CreatedBy, r.Filename, r.Format, r.Encoding, r.Size, r.Sheet, r.HeaderRow, r.Columns,
			r.Status, r.Total, TimeArg(s.D, tx.Now), TimeArg(s.D, tx.Now))
		if err != nil {
			return err
		}
		for seq := 0; len(file) > 0; seq++ {
			n := min(chunk, len(file))
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO import_chunks (import_id, seq, data) VALUES (?, ?, ?)`), r.ID, seq, file[:n]); err != nil {
				return err
			}
			file = file[n:]
		}
		return nil
	})
}

// Import returns one import (not found: errs.NotFound).
func (s *Store) Import(ctx context.Context, id string) (*ImportRow, error) {
	return s.importRow(ctx, s.rd(ctx), id)
}

// ImportInTx reads an import inside tx.
func (s *Store) ImportInTx(ctx context.Context, tx *Tx, id string) (*ImportRow, error) {
	return s.importRow(ctx, tx, id)
}

func (s *Store) importRow(ctx context.Context, q queryer, id string) (*ImportRow, error) {
	if !validID(id) {
		return nil, errs.New(errs.NotFound, "import.not_found", "id", id)
	}
	var r ImportRow
	var created, updated any
	err := q.QueryRowContext(ctx, s.q(`SELECT id, app, module, created_by, filename, format, encoding, size, sheet, header_row,
		columns, request, status, total_rows, done_rows, created_rows, updated_rows, skipped_rows, failed_rows, error,
		created_at, updated_at FROM imports WHERE id = ?`), id).
		Scan(&r.ID, &r.App, &r.Module, &r.CreatedBy, &r.Filename, &r.Format, &r.Encoding, &r.Size, &r.Sheet, &r.HeaderRow,
			&r.Columns, &r.Request, &r.Status, &r.Total, &r.Done, &r.Created, &r.Updated, &r.Skipped, &r.Failed, &r.Error,
			&created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.New(errs.NotFound, "import.not_found", "id", id)
	}
	if err != nil {
		return nil, err
	}
	r.CreatedAt, r.UpdatedAt = DecodeTime(created), DecodeTime(updated)
	return &r, nil
}

// ImportFile returns an import's file, its chunks put together (the
// upload limit bounds it).
func (s *Store) ImportFile(ctx context.Context, id string) ([]byte, error) {
	rows, err := s.rd(ctx).QueryContext(ctx, s.q(`SELECT data FROM import_chunks WHERE import_id = ? ORDER BY seq`), id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []byte
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	return out, rows.Err()
}

// QueueImport sets an uploaded import's run request and marks it pending,
// inside tx (with its job); an import already run or running is a
// conflict.
func (s *Store) QueueImport(ctx context.Context, tx *Tx, id, request string) error {
	res, err := tx.ExecContext(ctx, s.q(`UPDATE imports SET status = ?, request = ?, updated_at = ? WHERE id = ? AND status = ?`),
		ImportPending, request, TimeArg(s.D, tx.Now), id, ImportUploaded)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.New(errs.Conflict, "import.already_run")
	}
	return nil
}

// StartImport marks an import running (its counts stay: a retried job
// goes on from the rows already done).
func (s *Store) StartImport(ctx context.Context, id string) error {
	return s.InTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, s.q(`UPDATE imports SET status = ?, updated_at = ? WHERE id = ?`), ImportRunning, TimeArg(s.D, tx.Now), id)
		return err
	})
}

// ImportProgress records an import's counts inside tx, with the failed
// rows of the batch they count, so that the rows written and the counts
// commit together.
func (s *Store) ImportProgress(ctx context.Context, tx *Tx, id string, c ImportCounts, failed []ImportError) error {
	if len(failed) > 0 {
		var seq int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COALESCE(MAX(seq), -1) + 1 FROM import_errors WHERE import_id = ?`), id).Scan(&seq); err != nil {
			return err
		}
		for _, f := range failed {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO import_errors (import_id, seq, row_num, cells, errors) VALUES (?, ?, ?, ?, ?)`),
				id, seq, f.Row, f.Cells, f.Errors); err != nil {
				return err
			}
			seq++
		}
	}
	_, err := tx.ExecContext(ctx, s.q(`UPDATE imports SET done_rows = ?, created_rows = ?, updated_rows = ?, skipped_rows = ?,
		failed_rows = ?, updated_at = ? WHERE id = ?`), c.Done, c.Created, c.Updated, c.Skipped, c.Failed, TimeArg(s.D, tx.Now), id)
	return err
}

// FinishImport marks an import done or failed (msg: a JSON i18n.Msg, or
// "") inside tx.
func (s *Store) FinishImport(ctx context.Context, tx *Tx, id, status, msg string) error {
	_, err := tx.ExecContext(ctx, s.q(`UPDATE imports SET status = ?, error = ?, updated_at = ? WHERE id = ?`),
		status, msg, TimeArg(s.D, tx.Now), id)
	return err
}

// ResetImportErrors drops the failed rows recorded for an import (an
// all-or-nothing run records them afresh on each attempt).
func (s *Store) ResetImportErrors(ctx context.Context, tx *Tx, id string) error {
	_, err := tx.ExecContext(ctx, s.q(`DELETE FROM import_errors WHERE import_id = ?`), id)
	return err
}

// ImportErrors calls fn with an import's failed rows in order, reading
// them a page at a time.
func (s *Store) ImportErrors(ctx context.Context, id string, fn func(ImportError) error) error {
	last := -1
	for {
		rows, err := s.rd(ctx).QueryContext(ctx, s.q(`SELECT seq, row_num, cells, errors FROM import_errors WHERE import_id = ? AND seq > ? ORDER BY seq LIMIT 500`), id, last)
		if err != nil {
			return err
		}
		var page []ImportError
		for rows.Next() {
			var e ImportError
			if err := rows.Scan(&last, &e.Row, &e.Cells, &e.Errors); err != nil {
				rows.Close()
				return err
			}
			page = append(page, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, e := range page {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(page) < 500 {
			return nil
		}
	}
}

// PurgeImports deletes the imports (files, failed rows) last changed
// before t that are not queued or running; it returns how many went.
func (s *Store) PurgeImports(ctx context.Context, t time.Time) (int64, error) {
	var n int64
	err := s.InTx(ctx, func(tx *Tx) error {
		sel := `SELECT id FROM imports WHERE status IN ('uploaded', 'done', 'failed') AND updated_at < ?`
		// Children first: SQLite enforces the cascade only with foreign keys on.
		for _, child := range []string{"import_chunks", "import_errors"} {
			if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM `+child+` WHERE import_id IN (`+sel+`)`), TimeArg(s.D, t)); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM imports WHERE id IN (`+sel+`)`), TimeArg(s.D, t))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// IDVersion is a record's id and version.
type IDVersion struct {
	ID      string
	Version int64
}

// RecordsWhere returns the id and version of at most limit live records
// of m whose field holds value and that meet every condition, read inside
// tx (an import's key and lookup matches: rows it wrote earlier count).
// field must be one of m's fields.
func (s *Store) RecordsWhere(ctx context.Context, tx *Tx, m *meta.Module, field string, value any, limit int, where ...Cond) ([]IDVersion, error) {
	if m.Field(field) == nil {
		return nil, fmt.Errorf("store: module %s has no field %q", m.Key, field)
	}
	w := &whereBuilder{d: s.D, now: s.Now(), m: m}
	w.add(`"deleted_at" IS NULL`)
	w.add(Quote(field)+` = ?`, value)
	if err := w.conds(where); err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, fmt.Sprintf(`SELECT "id", "version" FROM %s WHERE %s ORDER BY "id" LIMIT %d`, tableRef(m), w.sql(), limit), w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []IDVersion
	for rows.Next() {
		var r IDVersion
		if err := rows.Scan(&r.ID, &r.Version); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ActiveUserIDs returns the ids of at most 2 enabled users whose email
// (case-insensitively) or else name is s (an import's user cells).
func (s *Store) ActiveUserIDs(ctx context.Context, text string) ([]string, error) {
	text = strings.TrimSpace(text)
	for _, q := range []string{`SELECT id FROM users WHERE LOWER(email) = LOWER(?) AND disabled = ` + s.boolLit(false) + ` ORDER BY id LIMIT 2`,
		`SELECT id FROM users WHERE name = ? AND disabled = ` + s.boolLit(false) + ` ORDER BY id LIMIT 2`} {
		rows, err := s.rd(ctx).QueryContext(ctx, s.q(q), text)
		if err != nil {
			return nil, err
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if len(ids) > 0 {
			return ids, nil
		}
	}
	return nil, nil
}
