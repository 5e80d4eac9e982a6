package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/tessera-app/tessera/engine/errs"
)

// PrintTemplateRow is a stored print template. engine/printtpl owns its
// meaning; the store keeps the layout as one JSON document.
type PrintTemplateRow struct {
	ID        string
	AppID     string
	App       string
	Key       string
	Module    string
	Label     json.RawMessage
	Page      string
	Layout    json.RawMessage
	Version   int
	CreatedAt time.Time
	UpdatedAt time.Time
}

const printTemplateCols = `p.id, p.app_id, a.key, p.key, p.module, p.label, p.page, p.layout, p.version, p.created_at, p.updated_at`

// CreatePrintTemplate inserts a template; a duplicate key in the app is a
// conflict.
func (s *Store) CreatePrintTemplate(ctx context.Context, p *PrintTemplateRow) error {
	return s.InTx(ctx, func(tx *Tx) error {
		p.ID, p.Version, p.CreatedAt, p.UpdatedAt = NewID(), 1, tx.Now, tx.Now
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO print_templates (id, app_id, key, module, label, page, layout, version, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			p.ID, p.AppID, p.Key, p.Module, string(p.Label), p.Page, string(p.Layout), p.Version, TimeArg(s.D, tx.Now), TimeArg(s.D, tx.Now))
		if _, dup := s.D.UniqueViolation(err); dup {
			return errs.New(errs.Conflict, "printtpl.exists", "key", p.Key)
		}
		return err
	})
}

// UpdatePrintTemplate replaces a template's label, page and layout if its
// version is still version.
func (s *Store) UpdatePrintTemplate(ctx context.Context, p *PrintTemplateRow, version int) error {
	return s.InTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE print_templates SET module = ?, label = ?, page = ?, layout = ?, version = version + 1, updated_at = ?
			WHERE id = ? AND version = ?`), p.Module, string(p.Label), p.Page, string(p.Layout), TimeArg(s.D, tx.Now), p.ID, version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.New(errs.Conflict, "printtpl.stale", "key", p.Key)
		}
		p.Version, p.UpdatedAt = version+1, tx.Now
		return nil
	})
}

// DeletePrintTemplate removes a template.
func (s *Store) DeletePrintTemplate(ctx context.Context, id string) error {
	return s.InTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, s.q(`DELETE FROM print_templates WHERE id = ?`), id)
		return err
	})
}

// PrintTemplate returns one template of an app.
func (s *Store) PrintTemplate(ctx context.Context, app, key string) (*PrintTemplateRow, error) {
	rows, err := s.printTemplates(ctx, `a.key = ? AND p.key = ?`, app, key)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, errs.New(errs.NotFound, "printtpl.not_found", "key", key)
	}
	return rows[0], nil
}

// PrintTemplates lists an app's templates by key.
func (s *Store) PrintTemplates(ctx context.Context, app string) ([]*PrintTemplateRow, error) {
	return s.printTemplates(ctx, `a.key = ?`, app)
}

func (s *Store) printTemplates(ctx context.Context, where string, args ...any) ([]*PrintTemplateRow, error) {
	rows, err := s.rd(ctx).QueryContext(ctx, s.q(`SELECT `+printTemplateCols+` FROM print_templates p JOIN apps a ON a.id = p.app_id
		WHERE `+where+` ORDER BY p.key`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*PrintTemplateRow
	for rows.Next() {
		var p PrintTemplateRow
		var label, layout []byte
		var c, u any
		if err := rows.Scan(&p.ID, &p.AppID, &p.App, &p.Key, &p.Module, &label, &p.Page, &layout, &p.Version, &c, &u); err != nil {
			return nil, err
		}
		p.Label, p.Layout = json.RawMessage(label), json.RawMessage(layout)
		p.CreatedAt, p.UpdatedAt = DecodeTime(c), DecodeTime(u)
		out = append(out, &p)
	}
	return out, rows.Err()
}
