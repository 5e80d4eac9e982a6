package importer

import (
	"context"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

// Load writes every row of a csv or xlsx file into module m as actor a,
// in tx, through the same path as an import (mapping, conversion, the
// record write path with its validation, rules and audit): a template's
// sample data. Columns map to fields by header (a field's key or label,
// every column must name one); a lookup cell names the target record by a
// natural key — its unique fields, then its title — never by id. The
// first failing row stops the load with its row number; the caller rolls
// tx back. It returns the number of records created.
func (s *Service) Load(ctx context.Context, tx *store.Tx, a record.Actor, m *meta.Module, filename string, file []byte) (int, error) {
	if len(file) == 0 {
		return 0, errs.New(errs.Invalid, "import.empty_file")
	}
	b, _, _, err := openBook(filename, file, s.limits())
	if err != nil {
		return 0, err
	}
	defer b.close()
	reach, err := s.Records.ReachOf(ctx, &a, m)
	if err != nil {
		return 0, err
	}
	d, err := s.detect(b, Upload{Filename: filename}, m, reach.Rights)
	if err != nil {
		return 0, err
	}
	mapping := suggest(d.columns, m, reach.Rights)
	for _, c := range d.columns {
		if _, ok := mapping[c]; !ok {
			return 0, errs.New(errs.Invalid, "import.load_column", "column", c)
		}
	}
	se, err := s.newSession(ctx, a, m, d.columns, Request{Mapping: mapping, Mode: ModeInsert}, Options{})
	if err != nil {
		return 0, err
	}
	se.row = &store.ImportRow{App: m.AppKey, Module: m.Key, Filename: filename, Sheet: d.sheet, HeaderRow: d.headerRow}
	se.d1904 = b.date1904()
	n := 0
	err = se.each(b, 0, func(dr dataRow) error {
		o, bad, err := se.write(ctx, tx, dr)
		if err != nil {
			return err
		}
		if o == failed {
			fes := make([]errs.FieldError, 0, len(bad))
			for _, c := range bad {
				fes = append(fes, errs.FieldError{Field: c.Field, Code: "bad_cell", Msg: c.Msg})
			}
			e := errs.Fields(fes...)
			e.Msg = errs.New(errs.Invalid, "import.load_row", "row", dr.n).Msg
			return e
		}
		if o == created {
			n++
		}
		return nil
	})
	return n, err
}
