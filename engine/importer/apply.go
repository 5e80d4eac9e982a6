package importer

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

// session is one pass over an import's rows as the actor: the checked
// request, the mapped columns and what lookups resolve to so far.
type session struct {
	s       *Service
	actor   record.Actor
	m       *meta.Module
	reach   *record.Reach
	row     *store.ImportRow
	req     Request
	opts    Options
	loc     *time.Location
	cols    []column
	width   int
	byField map[string]string // field key → column name
	key     *column
	refs    map[string]*resolver // lookup and user fields by key
	d1904   bool
	counts  Counts
}

// resolver finds the record (or user) a lookup (or user) cell names: a
// lookup by the target's unique fields, then its title field, among the
// records the actor may read there; a user by email, then name.
type resolver struct {
	target *meta.Module // nil: users
	read   store.Cond
	fields []*meta.Field
	cache  map[string]string
}

// open checks req against import row as actor a and opens its file.
func (s *Service) open(ctx context.Context, a record.Actor, row *store.ImportRow, req Request, o Options) (*session, book, error) {
	m, err := s.Modules.Module(ctx, row.App, row.Module)
	if err != nil {
		return nil, nil, err
	}
	var names []string
	if err := json.Unmarshal([]byte(row.Columns), &names); err != nil {
		return nil, nil, err
	}
	se, err := s.newSession(ctx, a, m, names, req, o)
	if err != nil {
		return nil, nil, err
	}
	se.row = row
	file, err := s.Store.ImportFile(ctx, row.ID)
	if err != nil {
		return nil, nil, err
	}
	b, _, _, err := openBook(row.Filename, file, s.limits())
	if err != nil {
		return nil, nil, err
	}
	se.d1904 = b.date1904()
	return se, b, nil
}

// newSession checks req against the columns names of module m as actor a
// and prepares the resolvers of its lookup and user columns.
func (s *Service) newSession(ctx context.Context, a record.Actor, m *meta.Module, names []string, req Request, o Options) (*session, error) {
	reach, err := s.Records.ReachOf(ctx, &a, m)
	if err != nil {
		return nil, err
	}
	cols, err := check(&req, names, m, reach.Rights)
	if err != nil {
		return nil, err
	}
	if req.Mode == ModeInsert && !reach.Rights.Can(access.ActCreate) {
		return nil, record.Forbidden(m, access.ActCreate)
	}
	se := &session{s: s, actor: a, m: m, reach: reach, req: req, opts: o, loc: o.loc(), cols: cols,
		width: len(names), byField: map[string]string{}, refs: map[string]*resolver{}}
	for i := range cols {
		c := &cols[i]
		se.byField[c.field.Key] = c.name
		if c.field.Key == req.Key {
			se.key = c
		}
		if c.col.Kind != meta.ColRef {
			continue
		}
		rs := &resolver{cache: map[string]string{}}
		if !c.col.RefUsers {
			t, err := s.Modules.Module(ctx, m.AppKey, c.col.RefModule)
			if err != nil {
				return nil, err
			}
			tr, err := s.Records.ReachOf(ctx, &a, t)
			if err != nil {
				return nil, err
			}
			rs.target, rs.read = t, tr.Read
			for _, f := range t.Fields {
				if f.Unique && !tr.Rights.Hidden(f.Key) && matchable(f) {
					rs.fields = append(rs.fields, f)
				}
			}
			if tf := t.TitleField(); tf != nil && !tf.Unique && !tr.Rights.Hidden(tf.Key) {
				rs.fields = append(rs.fields, tf)
			}
		}
		se.refs[c.field.Key] = rs
	}
	return se, nil
}

// matchable reports whether a lookup cell may be matched against field f
// (text-like or integer columns).
func matchable(f *meta.Field) bool {
	k := f.Column().Kind
	return k == meta.ColText || k == meta.ColInteger
}

// dataRow is one non-blank row below the header.
type dataRow struct {
	n     int      // its number in the sheet
	index int64    // its number among the data rows (1-based)
	cells []string // fit to the columns
}

// each calls fn with every data row after the first skip.
func (se *session) each(b book, skip int64, fn func(dataRow) error) error {
	var index int64
	return b.rows(se.row.Sheet, true, func(n int, cells []string) error {
		if n <= se.row.HeaderRow || blank(cells) {
			return nil
		}
		index++
		if index > se.s.maxRows() {
			return errs.New(errs.Invalid, "import.too_many_rows", "max", se.s.maxRows())
		}
		if index <= skip {
			return nil
		}
		return fn(dataRow{n: n, index: index, cells: fit(cells, se.width)})
	})
}

// batches calls fn with the data rows after the first skip, size at a
// time, in order. The file is read in a goroutine of its own, one batch
// ahead: parsing the sheet (excelize's XML reader) takes about a third of
// an import's time, and it need not wait for the database.
func (se *session) batches(b book, skip int64, size int, fn func([]dataRow) error) error {
	ready := make(chan []dataRow, 1)
	quit := make(chan struct{})
	read := make(chan error, 1)
	go func() {
		defer close(ready)
		batch := make([]dataRow, 0, size)
		send := func() bool {
			select {
			case ready <- batch:
				batch = make([]dataRow, 0, size)
				return true
			case <-quit:
				return false
			}
		}
		err := se.each(b, skip, func(dr dataRow) error {
			if batch = append(batch, dr); len(batch) >= size && !send() {
				return errStop
			}
			return nil
		})
		if err == nil && len(batch) > 0 {
			send() // a file that cannot be read to its end writes no more
		}
		read <- err
	}()
	var err error
	for batch := range ready {
		if err == nil {
			if err = fn(batch); err != nil {
				close(quit) // the reader stops at its next batch
			}
		}
	}
	if rerr := <-read; err == nil {
		err = rerr
	}
	return err
}

// outcome is what became of one row.
type outcome int

const (
	created outcome = iota
	updated
	skipped
	failed
)

func (c *Counts) add(o outcome) {
	switch o {
	case created:
		c.Created++
	case updated:
		c.Updated++
	case skipped:
		c.Skipped++
	case failed:
		c.Failed++
	}
}

// write writes one row in tx (inside a savepoint, so a bad row leaves
// nothing behind and the transaction goes on). An error returned is not
// the row's fault (the database failed): the whole pass stops.
func (se *session) write(ctx context.Context, tx *store.Tx, dr dataRow) (outcome, []cellError, error) {
	input, bad, err := se.input(ctx, tx, dr)
	if err != nil || len(bad) > 0 {
		return failed, bad, err
	}
	return se.writeInput(ctx, tx, input)
}

// input turns a row's cells into the record input the API would be sent
// (lookups and users resolved to ids); bad holds the cells that cannot be.
func (se *session) input(ctx context.Context, tx *store.Tx, dr dataRow) (map[string]any, []cellError, error) {
	input := map[string]any{}
	var bad []cellError
	for _, c := range se.cols {
		cell := dr.cells[c.index]
		if blank([]string{cell}) {
			continue
		}
		if rs := se.refs[c.field.Key]; rs != nil {
			id, msg, err := se.resolve(ctx, tx, rs, c, cell)
			if err != nil {
				return nil, nil, err
			}
			if msg != nil {
				bad = append(bad, cellError{Column: c.name, Field: c.field.Key, Msg: *msg})
				continue
			}
			input[c.field.Key] = id
			continue
		}
		v, msg := c.convert(cell, se.loc, se.d1904)
		if msg != nil {
			bad = append(bad, cellError{Column: c.name, Field: c.field.Key, Msg: *msg})
			continue
		}
		input[c.field.Key] = v
	}
	return input, bad, nil
}

// writeInput writes one row's input inside a savepoint.
func (se *session) writeInput(ctx context.Context, tx *store.Tx, input map[string]any) (outcome, []cellError, error) {
	if _, err := tx.ExecContext(ctx, `SAVEPOINT import_row`); err != nil {
		return failed, nil, err
	}
	var bad []cellError
	out, err := se.save(ctx, tx, input)
	if err != nil {
		if _, rerr := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT import_row`); rerr != nil {
			return failed, nil, rerr
		}
		e, ok := errs.As(err)
		if !ok || e.Code == errs.Internal {
			return failed, nil, err
		}
		bad = se.rowErrors(e)
		out = failed
	}
	if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT import_row`); err != nil {
		return failed, nil, err
	}
	return out, bad, nil
}

// save creates the row's record, or with a key finds the record holding
// it: an insert skips the row, an upsert updates the record (a row that
// changes nothing is skipped: the write path keeps the version).
func (se *session) save(ctx context.Context, tx *store.Tx, input map[string]any) (outcome, error) {
	wctx := record.WithTx(ctx, tx)
	if se.key != nil {
		if v, ok := input[se.key.field.Key]; ok {
			found, err := se.s.Store.RecordsWhere(ctx, tx, se.m, se.key.field.Key, sqlValue(v), 1, se.reach.Read)
			if err != nil {
				return failed, err
			}
			if len(found) == 1 {
				if se.req.Mode == ModeInsert {
					return skipped, nil
				}
				rec, err := se.s.Records.Update(wctx, se.actor, se.m, found[0].ID, found[0].Version, input)
				if err != nil {
					return failed, err
				}
				if v, _ := rec["version"].(int64); v == found[0].Version {
					return skipped, nil
				}
				return updated, nil
			}
		}
	}
	if _, err := se.s.Records.Create(wctx, se.actor, se.m, input); err != nil {
		return failed, err
	}
	return created, nil
}

// sqlValue is a converted cell as a query argument.
func sqlValue(v any) any {
	if n, ok := v.(json.Number); ok {
		if i, err := n.Int64(); err == nil {
			return i
		}
		f, _ := n.Float64()
		return f
	}
	return v
}

// rowErrors are a refused write's problems, each at the column holding
// its field (none for fields no column fills, or for the whole record).
func (se *session) rowErrors(e *errs.Error) []cellError {
	if len(e.Fields) == 0 {
		return []cellError{{Msg: e.Msg}}
	}
	out := make([]cellError, 0, len(e.Fields))
	for _, fe := range e.Fields {
		out = append(out, cellError{Column: se.byField[fe.Field], Field: fe.Field, Msg: fe.Msg})
	}
	return out
}

// resolve finds what a lookup or user cell names.
func (se *session) resolve(ctx context.Context, tx *store.Tx, rs *resolver, c column, cell string) (string, *i18n.Msg, error) {
	text := strings.TrimSpace(cell)
	if id, ok := rs.cache[text]; ok {
		return id, nil, nil
	}
	var ids []string
	if rs.target == nil {
		var err error
		if ids, err = se.s.Store.ActiveUserIDs(ctx, text); err != nil {
			return "", nil, err
		}
	} else {
		for _, f := range rs.fields {
			var v any = text
			if f.Column().Kind == meta.ColInteger {
				i, err := strconv.ParseInt(text, 10, 64)
				if err != nil {
					continue
				}
				v = i
			}
			found, err := se.s.Store.RecordsWhere(ctx, tx, rs.target, f.Key, v, 2, rs.read)
			if err != nil {
				return "", nil, err
			}
			if len(found) > 0 {
				for _, r := range found {
					ids = append(ids, r.ID)
				}
				break
			}
		}
	}
	switch len(ids) {
	case 0:
		key := "import.lookup_missing"
		if rs.target == nil {
			key = "import.user_missing"
		}
		m := i18n.M(key, "value", short(text))
		if rs.target != nil {
			m.Args["module"] = rs.target.Label
		}
		return "", &m, nil
	case 1:
		// Only what cannot change during the pass is kept: records of
		// another module (this import writes none of them).
		if rs.target == nil || rs.target.ID != se.m.ID {
			rs.cache[text] = ids[0]
		}
		return ids[0], nil, nil
	}
	m := i18n.M("import.lookup_ambiguous", "value", short(text))
	return "", &m, nil
}
