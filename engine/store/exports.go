package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/tessera-app/tessera/engine/errs"
)

// Export statuses (ExportRow.Status).
const (
	ExportPending = "pending"
	ExportRunning = "running"
	ExportDone    = "done"
	ExportFailed  = "failed"
)

// ExportRow is an export run as a job (engine/export owns its meaning):
// who asked for what, how far it is, and — once done — the file's name,
// size and when its download link expires. The file itself is kept in
// chunks (AppendExportChunk).
type ExportRow struct {
	ID        string
	App       string
	Module    string
	CreatedBy string
	Format    string
	Request   string // the request's JSON
	Status    string
	Done      int64
	Total     int64
	Filename  string
	Size      int64
	Error     string
	Token     string    // the download link's secret (the link also needs the creator's session)
	ExpiresAt time.Time // zero until done
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CreateExport inserts a pending export inside tx, so that it exists
// exactly when the job that fills it does.
func (s *Store) CreateExport(ctx context.Context, tx *Tx, e *ExportRow) error {
	e.ID, e.Status, e.CreatedAt, e.UpdatedAt = NewID(), ExportPending, tx.Now, tx.Now
	_, err := tx.ExecContext(ctx, s.q(`INSERT INTO exports (id, app, module, created_by, format, request, status, total_rows, token, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		e.ID, e.App, e.Module, e.CreatedBy, e.Format, e.Request, e.Status, e.Total, e.Token, TimeArg(s.D, tx.Now), TimeArg(s.D, tx.Now))
	return err
}

// Export returns one export (not found: errs.NotFound).
func (s *Store) Export(ctx context.Context, id string) (*ExportRow, error) {
	if !validID(id) {
		return nil, errs.New(errs.NotFound, "export.not_found", "id", id)
	}
	var e ExportRow
	var expires, created, updated any
	err := s.rd(ctx).QueryRowContext(ctx, s.q(`SELECT id, app, module, created_by, format, request, status, done_rows, total_rows,
		filename, size, error, token, expires_at, created_at, updated_at FROM exports WHERE id = ?`), id).
		Scan(&e.ID, &e.App, &e.Module, &e.CreatedBy, &e.Format, &e.Request, &e.Status, &e.Done, &e.Total,
			&e.Filename, &e.Size, &e.Error, &e.Token, &expires, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.New(errs.NotFound, "export.not_found", "id", id)
	}
	if err != nil {
		return nil, err
	}
	e.ExpiresAt, e.CreatedAt, e.UpdatedAt = DecodeTime(expires), DecodeTime(created), DecodeTime(updated)
	return &e, nil
}

// StartExport marks an export running from row zero and drops the chunks
// of an earlier attempt, so a retried job writes its file afresh.
func (s *Store) StartExport(ctx context.Context, id string, total int64) error {
	return s.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM export_chunks WHERE export_id = ?`), id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`UPDATE exports SET status = ?, done_rows = 0, total_rows = ?, error = '', updated_at = ? WHERE id = ?`),
			ExportRunning, total, TimeArg(s.D, tx.Now), id)
		return err
	})
}

// AppendExportChunk stores the next piece of an export's file.
func (s *Store) AppendExportChunk(ctx context.Context, id string, seq int, data []byte) error {
	return s.InTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO export_chunks (export_id, seq, data) VALUES (?, ?, ?)`), id, seq, data)
		return err
	})
}

// ExportProgress records how many rows an export has written, in a short
// transaction of its own so that readers see it while the job runs.
func (s *Store) ExportProgress(ctx context.Context, id string, done int64) error {
	return s.InTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, s.q(`UPDATE exports SET done_rows = ?, updated_at = ? WHERE id = ?`), done, TimeArg(s.D, tx.Now), id)
		return err
	})
}

// FinishExport marks an export done with its file's name and size; its
// download link is good until expires.
func (s *Store) FinishExport(ctx context.Context, id, filename string, size, done int64, expires time.Time) error {
	return s.InTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, s.q(`UPDATE exports SET status = ?, filename = ?, size = ?, done_rows = ?, expires_at = ?, updated_at = ? WHERE id = ?`),
			ExportDone, filename, size, done, TimeArg(s.D, expires), TimeArg(s.D, tx.Now), id)
		return err
	})
}

// FailExport marks an export failed with a message key (engine/i18n), and
// drops whatever part of the file was written.
func (s *Store) FailExport(ctx context.Context, id, msg string) error {
	return s.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM export_chunks WHERE export_id = ?`), id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`UPDATE exports SET status = ?, error = ?, updated_at = ? WHERE id = ?`),
			ExportFailed, msg, TimeArg(s.D, tx.Now), id)
		return err
	})
}

// ExportChunks calls fn with each chunk of an export's file in order,
// reading one chunk per query so that serving a large file holds one
// chunk in memory, not the file.
func (s *Store) ExportChunks(ctx context.Context, id string, fn func([]byte) error) error {
	for seq := 0; ; seq++ {
		var data []byte
		err := s.rd(ctx).QueryRowContext(ctx, s.q(`SELECT data FROM export_chunks WHERE export_id = ? AND seq = ?`), id, seq).Scan(&data)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(data); err != nil {
			return err
		}
	}
}

// PurgeExports deletes the files of exports whose links expired before
// files, and the exports themselves (failed ones too) last changed before
// rows; it returns how many exports went.
func (s *Store) PurgeExports(ctx context.Context, files, rows time.Time) (int64, error) {
	var n int64
	err := s.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM export_chunks WHERE export_id IN
			(SELECT id FROM exports WHERE expires_at IS NOT NULL AND expires_at < ?)`), TimeArg(s.D, files)); err != nil {
			return err
		}
		// Chunks first: SQLite enforces the cascade only with foreign keys on.
		sel := `SELECT id FROM exports WHERE status IN ('done', 'failed') AND updated_at < ?`
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM export_chunks WHERE export_id IN (`+sel+`)`), TimeArg(s.D, rows)); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM exports WHERE id IN (`+sel+`)`), TimeArg(s.D, rows))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
