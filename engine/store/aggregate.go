package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/expr"
	"github.com/tessera-app/tessera/engine/meta"
)

// Aggregate limits.
const (
	MaxAggDims     = 4
	MaxAggMeasures = 20
	MaxAggRows     = 1000
)

// AggMeasure is one aggregate over a field (none for count), counted or
// summed only over the rows matching Filter when it is set.
type AggMeasure struct {
	Op     string // count, count_distinct, sum, avg, min, max
	Field  string
	Filter string
}

// AggQuery asks for live records of a module grouped by Dims (fields or
// system keys) with Measures: one SELECT … GROUP BY. Where, Hidden,
// Lookups and Consts are as in ListQuery; hidden fields are unknown.
type AggQuery struct {
	Filter   string
	Dims     []string
	Measures []AggMeasure
	Limit    int
	Where    []Cond
	Hidden   map[string]bool
	Lookups  map[string]Lookup
	Consts   expr.Consts
}

// aggColumn resolves a groupable or measurable name: a field (not JSON)
// or a system key, never a hidden one.
func aggColumn(m *meta.Module, name string, hidden map[string]bool) (sortKey, bool) {
	if hidden[name] {
		return sortKey{}, false
	}
	return sortColumn(m, name)
}

// Aggregate runs q and returns one row per group: the dimension values
// (decoded like record values) followed by the measures.
func (s *Store) Aggregate(ctx context.Context, m *meta.Module, q AggQuery) ([][]any, error) {
	if len(q.Dims) > MaxAggDims {
		return nil, errs.New(errs.Invalid, "store.too_many_dims", "max", MaxAggDims)
	}
	if len(q.Measures) == 0 || len(q.Measures) > MaxAggMeasures {
		return nil, errs.New(errs.Invalid, "store.bad_measures", "max", MaxAggMeasures)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = MaxAggRows
	}
	if limit > MaxAggRows {
		return nil, errs.New(errs.Invalid, "store.bad_limit", "max", MaxAggRows)
	}
	r := readable{q.Hidden, q.Lookups, q.Consts}
	var sel, groups []string
	var selArgs []any
	var dimCols []meta.Column
	for _, d := range q.Dims {
		k, ok := aggColumn(m, d, q.Hidden)
		if !ok {
			return nil, errs.New(errs.Invalid, "store.bad_group", "name", d)
		}
		sel = append(sel, Quote(k.col))
		groups = append(groups, Quote(k.col))
		dimCols = append(dimCols, k.c)
	}
	measureCols := make([]meta.Column, len(q.Measures))
	for i, ms := range q.Measures {
		arg := "1"
		if ms.Op != "count" || ms.Field != "" {
			k, ok := aggColumn(m, ms.Field, q.Hidden)
			if !ok {
				return nil, errs.New(errs.Invalid, "store.bad_measure_field", "name", ms.Field)
			}
			arg = Quote(k.col)
			measureCols[i] = k.c
		}
		switch ms.Op {
		case "count", "count_distinct":
			measureCols[i] = meta.Column{Kind: meta.ColInteger}
		case "sum", "avg":
			if !isNumber(measureCols[i]) {
				return nil, errs.New(errs.Invalid, "store.bad_measure_field", "name", ms.Field)
			}
			measureCols[i] = meta.Column{Kind: meta.ColDecimal} // sums of integers print as numbers
		case "min", "max":
		default:
			return nil, errs.New(errs.Invalid, "store.bad_measure_op", "op", ms.Op)
		}
		if ms.Filter != "" {
			// A conditional aggregate: the value counts only on the rows the
			// measure's filter selects (CASE WHEN … THEN value END).
			// Its placeholders number on from the select list's so far.
			cw := &whereBuilder{d: s.D, m: m, args: selArgs}
			if err := cw.filter(ms.Filter, r); err != nil {
				return nil, err
			}
			if len(cw.parts) > 0 {
				arg = "CASE WHEN " + cw.sql() + " THEN " + arg + " END"
				selArgs = cw.args
			}
		}
		switch ms.Op {
		case "count":
			sel = append(sel, "count("+arg+")")
			if arg == "1" {
				sel[len(sel)-1] = "count(*)"
			}
		case "count_distinct":
			sel = append(sel, "count(DISTINCT "+arg+")")
		default:
			sel = append(sel, ms.Op+"("+arg+")")
		}
	}
	selSQL := strings.Join(sel, ", ")
	w := &whereBuilder{d: s.D, m: m, args: selArgs}
	w.add(`"deleted_at" IS NULL`)
	if err := w.conds(q.Where); err != nil {
		return nil, err
	}
	if err := w.filter(q.Filter, r); err != nil {
		return nil, err
	}
	stmt := fmt.Sprintf(`SELECT %s FROM %s WHERE %s`, selSQL, tableRef(m), w.sql())
	if len(groups) > 0 {
		g := strings.Join(groups, ", ")
		stmt += " GROUP BY " + g + " ORDER BY " + g
	}
	stmt += fmt.Sprintf(" LIMIT %d", limit)
	rows, err := s.R.QueryContext(ctx, stmt, w.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := [][]any{}
	cols := append(dimCols, measureCols...)
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, c := range cols {
			vals[i] = Decode(c, vals[i])
		}
		out = append(out, vals)
	}
	return out, rows.Err()
}
