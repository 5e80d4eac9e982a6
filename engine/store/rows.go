package store

import (
	"context"
	"strings"
	"sync"

	"github.com/tessera-app/tessera/engine/meta"
)

// Rows are records as the driver scanned them: one value per column of
// selectList, row after row, with no map per record. The record API
// writes them straight to JSON (AppendJSON, rowjson.go) in schema order;
// Record turns one into the map form the rest of the engine uses. Fields
// a caller may not see or did not ask for are omitted from the output
// (Omit, Only), not deleted from a map.
type Rows struct {
	shape *rowShape
	vals  []any // len(shape.cols) per row
	n     int
	omit  []bool
	// expand holds each row's expansions (SetExpand), nil when none were
	// asked for; a row asked to expand has a map even when empty, as the
	// map form always had.
	expand []map[string]any
	// keepExpand, when set, names the only expansions written (fields=).
	keepExpand map[string]bool
}

// rowShape is the column list of a module version: the keys, their
// column kinds and their JSON names, built once per version.
type rowShape struct {
	version int // the module's, to tell a stale shape
	cols    []rowCol
	index   map[string]int
	// selectList is the quoted column list (selectList).
	selectList string
}

type rowCol struct {
	key  string
	name string // `"key":`, ready to append
	c    meta.Column
}

// deletedCol is the index of deleted_at in every shape (systemSelect):
// it is left out of a record when NULL, as scanRecord leaves it out.
var deletedCol = func() int {
	for i, s := range systemSelect {
		if s.key == "deleted_at" {
			return i
		}
	}
	panic("systemSelect has no deleted_at")
}()

var shapes sync.Map // module id → *rowShape

func shapeOf(m *meta.Module) *rowShape {
	if v, ok := shapes.Load(m.ID); ok {
		if sh := v.(*rowShape); sh.version == m.Version && len(sh.cols) == len(systemSelect)+len(m.Fields) && sameFields(sh, m) {
			return sh
		}
	}
	sh := &rowShape{version: m.Version, index: map[string]int{}}
	add := func(key string, c meta.Column) {
		sh.index[key] = len(sh.cols)
		sh.cols = append(sh.cols, rowCol{key: key, name: string(appendString(nil, key)) + ":", c: c})
	}
	for _, s := range systemSelect {
		add(s.key, s.c)
	}
	for _, f := range m.Fields {
		add(f.Key, f.Column())
	}
	var b strings.Builder
	for i, s := range systemSelect {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(Quote(s.col))
	}
	for _, f := range m.Fields {
		b.WriteString(", ")
		b.WriteString(Quote(f.Key))
	}
	sh.selectList = b.String()
	shapes.Store(m.ID, sh)
	return sh
}

// sameFields checks a cached shape against the module's fields: modules
// made in tests (or read before their first version) may share an id and
// version with different fields.
func sameFields(sh *rowShape, m *meta.Module) bool {
	for i, f := range m.Fields {
		c := sh.cols[len(systemSelect)+i]
		if c.key != f.Key || c.c != f.Column() {
			return false
		}
	}
	return true
}

var valsPool = sync.Pool{New: func() any { return new([]any) }}

func newRows(m *meta.Module) *Rows {
	sh := shapeOf(m)
	p := valsPool.Get().(*[]any)
	return &Rows{shape: sh, vals: (*p)[:0], omit: make([]bool, len(sh.cols))}
}

// Release hands the scanned values back for reuse; r is empty after it.
func (r *Rows) Release() {
	if r == nil || cap(r.vals) > 1<<16 {
		return
	}
	clear(r.vals[:cap(r.vals)])
	v := r.vals[:0]
	valsPool.Put(&v)
	r.vals, r.n = nil, 0
}

// scan appends the current row of rs.
func (r *Rows) scan(rs scanner) error {
	w := len(r.shape.cols)
	start := len(r.vals)
	r.vals = append(r.vals, make([]any, w)...)
	row := r.vals[start : start+w]
	ptrs := ptrsPool.Get().(*[]any)
	if cap(*ptrs) < w {
		*ptrs = make([]any, w)
	}
	p := (*ptrs)[:w]
	for i := range row {
		p[i] = &row[i]
	}
	err := rs.Scan(p...)
	clear(p)
	ptrsPool.Put(ptrs)
	if err != nil {
		r.vals = r.vals[:start]
		return err
	}
	r.n++
	return nil
}

var ptrsPool = sync.Pool{New: func() any { return new([]any) }}

// Len is the number of rows.
func (r *Rows) Len() int { return r.n }

// truncate keeps the first n rows.
func (r *Rows) truncate(n int) {
	if n < r.n {
		clear(r.vals[n*len(r.shape.cols):])
		r.vals = r.vals[:n*len(r.shape.cols)]
		r.n = n
	}
}

func (r *Rows) row(i int) []any {
	w := len(r.shape.cols)
	return r.vals[i*w : (i+1)*w]
}

// Value is row i's key (a field or a system key) in its JSON form, as in
// the map form; nil for an unknown key.
func (r *Rows) Value(i int, key string) any {
	j, ok := r.shape.index[key]
	if !ok {
		return nil
	}
	return Decode(r.shape.cols[j].c, r.row(i)[j])
}

// Record is row i in the map form (as scanRecord reads it), with its
// expansions; omitted keys are left out.
func (r *Rows) Record(i int) Record {
	row := r.row(i)
	rec := make(Record, len(row))
	for j, c := range r.shape.cols {
		if r.omit[j] || (j == deletedCol && row[j] == nil) {
			continue
		}
		rec[c.key] = Decode(c.c, row[j])
	}
	if ex := r.expansions(i); ex != nil {
		rec["expand"] = ex
	}
	return rec
}

// Records are every row in the map form.
func (r *Rows) Records() []Record {
	out := make([]Record, r.n)
	for i := range out {
		out[i] = r.Record(i)
	}
	return out
}

// Omit leaves key out of every record written.
func (r *Rows) Omit(key string) {
	if j, ok := r.shape.index[key]; ok {
		r.omit[j] = true
	}
}

// Only keeps the named keys (and id and version, which every client needs
// to link and to edit) and the expansions of the named ones; nothing
// changes when fields is empty. It trims the output, not the query.
func (r *Rows) Only(fields []string) {
	if len(fields) == 0 {
		return
	}
	keep := map[string]bool{"id": true, "version": true}
	for _, f := range fields {
		keep[f] = true
	}
	for j, c := range r.shape.cols {
		if !keep[c.key] {
			r.omit[j] = true
		}
	}
	r.keepExpand = keep
}

// SetExpand puts v under row i's expand[key]; v nil only makes sure the
// row has an expand object.
func (r *Rows) SetExpand(i int, key string, v any) {
	if r.expand == nil {
		r.expand = make([]map[string]any, r.n)
	}
	if r.expand[i] == nil {
		r.expand[i] = map[string]any{}
	}
	if v != nil {
		r.expand[i][key] = v
	}
}

// expansions is row i's expand object as written: nil when there is
// none, or when fields= keeps none of it.
func (r *Rows) expansions(i int) map[string]any {
	if r.expand == nil || r.expand[i] == nil {
		return nil
	}
	ex := r.expand[i]
	if r.keepExpand == nil {
		return ex
	}
	kept := map[string]any{}
	for k, v := range ex {
		if r.keepExpand[k] {
			kept[k] = v
		}
	}
	if len(kept) == 0 {
		return nil
	}
	return kept
}

// RowPage is a page of records as Rows (ListRows); its Page carries the
// cursor and the total, and no Records.
type RowPage struct {
	Page
	Rows *Rows
}

// ListRows is ListRecords without a map per record: the same query, the
// same page, the records as scanned (for writing out as JSON at once).
// The caller releases p.Rows when done with them.
func (s *Store) ListRows(ctx context.Context, m *meta.Module, lq ListQuery) (*RowPage, error) {
	l, err := s.prepareList(ctx, m, lq)
	if err != nil {
		return nil, err
	}
	rows, err := s.query(ctx, m, l.sql, l.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := &RowPage{Page: *l.page, Rows: newRows(m)}
	for rows.Next() {
		if err := out.Rows.scan(rows); err != nil {
			out.Rows.Release()
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		out.Rows.Release()
		return nil, err
	}
	if out.Rows.Len() > l.limit {
		out.Rows.truncate(l.limit)
		if out.Next, err = s.nextCursor(ctx, m, l, out.Rows.Record(l.limit-1)); err != nil {
			out.Rows.Release()
			return nil, err
		}
	}
	return out, nil
}

// RecordRow is Record as Rows of one row.
func (s *Store) RecordRow(ctx context.Context, m *meta.Module, id string, where ...Cond) (*Rows, error) {
	q, args, err := s.recordQuery(m, id, false, where)
	if err != nil {
		return nil, err
	}
	rows, err := s.query(ctx, m, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := newRows(m)
	if rows.Next() {
		err = out.scan(rows)
	} else if err = rows.Err(); err == nil {
		err = notFound(id)
	}
	if err != nil {
		out.Release()
		return nil, err
	}
	return out, nil
}
