package importer

import (
	"context"
	"encoding/json"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/store"
)

// ErrorsFilename is the errors file's name for an import of filename.
func ErrorsFilename(filename string) string {
	base := filename
	if i := strings.LastIndexByte(base, '.'); i > 0 {
		base = base[:i]
	}
	return base + "-errors.xlsx"
}

// ErrorsFile writes the failed rows of import id, once it has run, as an
// xlsx for its uploader: the row's number in the sheet, its cells under
// the file's own headers (so the fixed file imports as the first did),
// and a last column saying what is wrong, in locale. Rows stream through
// excelize's StreamWriter.
func (s *Service) ErrorsFile(ctx context.Context, u *access.User, id, locale string, w io.Writer) (string, error) {
	row, err := s.own(ctx, u, id)
	if err != nil {
		return "", err
	}
	if row.Status != store.ImportDone && row.Status != store.ImportFailed {
		return "", errs.New(errs.Conflict, "import.not_finished", "status", row.Status)
	}
	var cols []string
	if err := json.Unmarshal([]byte(row.Columns), &cols); err != nil {
		return "", err
	}
	f := excelize.NewFile()
	defer f.Close()
	sheet := i18n.T(locale, i18n.M("import.errors.sheet"))
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return "", err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return "", err
	}
	header := make([]any, 0, len(cols)+2)
	header = append(header, i18n.T(locale, i18n.M("import.errors.row")))
	for _, c := range cols {
		header = append(header, c)
	}
	header = append(header, i18n.T(locale, i18n.M("import.errors.column")))
	if err := sw.SetRow("A1", header); err != nil {
		return "", err
	}
	n := 1
	err = s.Store.ImportErrors(ctx, row.ID, func(e store.ImportError) error {
		var cells []string
		var kept []keptError
		if err := json.Unmarshal([]byte(e.Cells), &cells); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(e.Errors), &kept); err != nil {
			return err
		}
		vals := make([]any, 0, len(cols)+2)
		vals = append(vals, e.Row)
		for i := range cols {
			if i < len(cells) && cells[i] != "" {
				vals = append(vals, cells[i])
			} else {
				vals = append(vals, nil)
			}
		}
		msgs := make([]string, 0, len(kept))
		for _, k := range kept {
			m, err := i18n.Decode(k.Msg)
			if err != nil {
				return err
			}
			text := i18n.T(locale, m)
			switch {
			case k.Column != "":
				text = k.Column + ": " + text
			case k.Field != "":
				text = k.Field + ": " + text
			}
			msgs = append(msgs, text)
		}
		vals = append(vals, strings.Join(msgs, "\n"))
		n++
		cell, _ := excelize.CoordinatesToCellName(1, n)
		return sw.SetRow(cell, vals)
	})
	if err != nil {
		return "", err
	}
	if err := sw.Flush(); err != nil {
		return "", err
	}
	_, err = f.WriteTo(w)
	return ErrorsFilename(row.Filename), err
}
