package summary

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

// Answer answers q from a ready summary of m when one serves it
// (record.Aggregates), with the rows store.Aggregate would return: the
// dimension values, the measures, then the titles asked for. The reader's
// scope sc becomes a condition on the owner.
func (s *Service) Answer(ctx context.Context, m *meta.Module, q store.AggQuery, sc record.AggScope) ([][]any, bool, error) {
	if s.Off {
		return nil, false, nil
	}
	postgres := s.Store.D.Name() == "postgres"
	n, ok := shape(m, q, postgres)
	if !ok {
		return nil, false, nil
	}
	l, ok, err := s.serving(ctx, m, n)
	if err != nil || !ok {
		return nil, false, err
	}
	stmt, args, err := s.query(m, q, n, l, sc)
	if err != nil {
		return nil, false, err
	}
	rows, err := s.Store.R.QueryContext(ctx, store.Rebind(s.Store.D, stmt), args...)
	if err != nil {
		return nil, false, err
	}
	width := len(q.Dims) + len(q.Measures)
	for _, d := range q.Dims {
		if d.Title {
			width++
		}
	}
	out := [][]any{}
	if err := store.ScanRows(rows, width, func(vals []any) error {
		out = append(out, s.decodeRow(m, q, vals))
		return nil
	}); err != nil {
		return nil, false, err
	}
	s.answered.Add(1)
	return out, true, nil
}

// serving finds the smallest ready summary of m, built for its current
// version, that serves n.
func (s *Service) serving(ctx context.Context, m *meta.Module, n *need) (live, bool, error) {
	all, err := s.ready(ctx, s.Store.R, m)
	if err != nil {
		return live{}, false, err
	}
	var best live
	found := false
	for _, l := range all {
		if l.version != int64(m.Version) || !l.def.serves(n) {
			continue
		}
		if !found || len(l.def.Keys)+len(l.def.Sums) < len(best.def.Keys)+len(best.def.Sums) {
			best, found = l, true
		}
	}
	return best, found, nil
}

// query is the SQL answering q from l: one GROUP BY over the summary
// table (the titles of user dimensions added around it).
func (s *Service) query(m *meta.Module, q store.AggQuery, n *need, l live, sc record.AggScope) (string, []any, error) {
	postgres := s.Store.D.Name() == "postgres"
	var sel []string
	var args []any
	for i, d := range q.Dims {
		sel = append(sel, dimSQL(l.def, d, postgres)+fmt.Sprintf(` AS "d%d"`, i))
	}
	for i, ms := range q.Measures {
		when, wargs := condSQL(n.measureWhere[i])
		// Each use of a conditional measure's condition binds its args,
		// in the order the uses appear (Go evaluates them left to right).
		of := func(col string) string {
			if when == "" {
				return "sum(" + col + ")"
			}
			args = append(args, wargs...)
			return "sum(CASE WHEN " + when + " THEN " + col + " END)"
		}
		var e string
		switch {
		case ms.Op == "count" && ms.Field == "":
			e = "COALESCE(" + of(`"n"`) + ", 0)"
		case ms.Op == "count":
			e = "COALESCE(" + of(countCol(ms.Field)) + ", 0)"
		case ms.Op == "sum":
			e = "CASE WHEN " + of(countCol(ms.Field)) + " > 0 THEN " + of(sumCol(ms.Field)) + " END"
		case postgres: // avg: numeric division, as PostgreSQL's avg does
			e = "CASE WHEN " + of(countCol(ms.Field)) + " > 0 THEN " + of(sumCol(ms.Field)) + " / " + of(countCol(ms.Field)) + " END"
		default: // avg on SQLite: floating point, as SQLite's avg
			e = fmt.Sprintf("CASE WHEN %s > 0 THEN (CAST(%s AS REAL) / %s) / %s END", of(countCol(ms.Field)), of(sumCol(ms.Field)),
				pow10(scale(m.Field(ms.Field))), of(countCol(ms.Field)))
		}
		sel = append(sel, e+fmt.Sprintf(` AS "m%d"`, i))
	}
	var where []string
	for _, c := range n.where {
		w, wargs := condSQL([]cond{c})
		where = append(where, w)
		args = append(args, wargs...)
	}
	if w, wargs := scopeSQL(sc); w != "" {
		where = append(where, w)
		args = append(args, wargs...)
	}
	if r := q.Range; r != nil {
		loc := q.Zone
		if loc == nil {
			loc = time.UTC
		}
		col := keyCol(r.Field)
		where = append(where, col+" <> ''")
		if !r.From.IsZero() {
			where = append(where, col+" >= ?")
			args = append(args, r.From.In(loc).Format(store.DateLayout))
		}
		if !r.To.IsZero() {
			where = append(where, col+" < ?")
			args = append(args, r.To.In(loc).Format(store.DateLayout))
		}
	}
	stmt := "SELECT " + strings.Join(sel, ", ") + " FROM " + store.Quote(l.table)
	if len(where) > 0 {
		stmt += " WHERE " + strings.Join(where, " AND ")
	}
	group, orderBy, err := store.AggClauses(q)
	if err != nil {
		return "", nil, err
	}
	if group != "" {
		// Keys whose records all left keep rows of zeros: not groups.
		stmt += group + ` HAVING sum("n") > 0`
	}
	limit := q.Limit
	if limit <= 0 || limit > store.MaxAggRows {
		limit = store.MaxAggRows
	}
	stmt += orderBy + fmt.Sprintf(" LIMIT %d", limit)
	var titles []string
	for i, d := range q.Dims {
		if !d.Title {
			continue
		}
		t := "NULL"
		if d.Bucket == "" && (d.Field == ownerKey || kindOf(l.def, d.Field) == kindUser) {
			id := fmt.Sprintf(`g."d%d"`, i)
			if postgres {
				id = "CAST(" + id + " AS uuid)"
			}
			t = `(SELECT u."name" FROM "users" AS u WHERE u."id" = ` + id + `)`
		}
		titles = append(titles, t)
	}
	if len(titles) == 0 {
		return stmt, args, nil
	}
	return "SELECT g.*, " + strings.Join(titles, ", ") + " FROM (" + stmt + ") AS g" + orderBy, args, nil
}

func kindOf(d Def, field string) string {
	k, _ := d.key(field)
	return k.Kind
}

func pow10(n int) string { return "1" + strings.Repeat("0", n) + ".0" }

// dimSQL is a dimension's value from the key columns: NULL for empty, a
// date bucket as its first day ('YYYY-MM-DD').
func dimSQL(d Def, dim store.AggDim, postgres bool) string {
	if dim.Field == ownerKey {
		return `NULLIF("owner_id", '')`
	}
	v := "NULLIF(" + keyCol(dim.Field) + ", '')"
	switch dim.Bucket {
	case "month":
		return "substr(" + v + ", 1, 7) || '-01'"
	case "quarter":
		return "substr(" + v + ", 1, 5) || CASE WHEN substr(" + v + ", 6, 2) <= '03' THEN '01' WHEN substr(" + v +
			", 6, 2) <= '06' THEN '04' WHEN substr(" + v + ", 6, 2) <= '09' THEN '07' ELSE '10' END || '-01'"
	case "year":
		return "substr(" + v + ", 1, 4) || '-01-01'"
	case "week": // weeks start on Monday, as store.Aggregate's
		if postgres {
			return "to_char(date_trunc('week', CAST(" + v + " AS date)), 'YYYY-MM-DD')"
		}
		return "date(" + v + ", 'weekday 0', '-6 days')"
	}
	return v
}

// condSQL is conditions as SQL over the key columns, with its args.
func condSQL(cs []cond) (string, []any) {
	var parts []string
	var args []any
	for _, c := range cs {
		col := `"owner_id"`
		if c.field != ownerKey {
			col = keyCol(c.field)
		}
		parts = append(parts, col+" IN ("+store.Marks(len(c.values))+")")
		for _, v := range c.values {
			args = append(args, v)
		}
	}
	return strings.Join(parts, " AND "), args
}

// scopeSQL is the reader's scope as a condition on the owner.
func scopeSQL(sc record.AggScope) (string, []any) {
	if sc.All {
		return "", nil
	}
	var alts []string
	var args []any
	if sc.Owner != "" {
		alts = append(alts, `"owner_id" = ?`)
		args = append(args, strings.ToLower(sc.Owner))
	}
	if len(sc.Departments) > 0 {
		alts = append(alts, `"owner_id" IN (SELECT CAST("user_id" AS text) FROM "user_departments" WHERE "department_id" IN (`+
			store.Marks(len(sc.Departments))+`))`)
		for _, d := range sc.Departments {
			args = append(args, d)
		}
	}
	if len(alts) == 0 {
		return "1 = 0", nil
	}
	return "(" + strings.Join(alts, " OR ") + ")", args
}

// decodeRow turns a summary row into store.Aggregate's values.
func (s *Service) decodeRow(m *meta.Module, q store.AggQuery, vals []any) []any {
	for i, v := range vals {
		if b, ok := v.([]byte); ok {
			vals[i] = string(b)
		}
	}
	for i, d := range q.Dims {
		t, _ := vals[i].(string)
		switch {
		case vals[i] == nil || t == "":
			vals[i] = nil
		case d.Bucket == "" && d.Field != ownerKey && kindOfField(m, d.Field) == kindBool:
			vals[i] = t == "t"
		default:
			vals[i] = t
		}
	}
	nd := len(q.Dims)
	for j, ms := range q.Measures {
		v := vals[nd+j]
		switch {
		case ms.Op == "count":
			vals[nd+j] = store.Decode(meta.Column{Kind: meta.ColInteger}, v)
		case ms.Op == "sum" && s.Store.D.Name() == "sqlite" && v != nil:
			vals[nd+j] = scaled(v, scale(m.Field(ms.Field)))
		default:
			vals[nd+j] = store.Decode(meta.Column{Kind: meta.ColDecimal}, v)
		}
	}
	for i := nd + len(q.Measures); i < len(vals); i++ {
		if vals[i] != nil {
			vals[i] = fmt.Sprint(vals[i])
		}
	}
	return vals
}

func kindOfField(m *meta.Module, field string) string {
	k, _ := keyKind(m.Field(field))
	return k
}

// scaled is an integer count of a field's last decimal as the decimal.
func scaled(v any, scale int) any {
	i, ok := v.(int64)
	if !ok {
		return store.Decode(meta.Column{Kind: meta.ColDecimal}, v)
	}
	r := new(big.Rat).SetFrac(big.NewInt(i), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil))
	text := r.FloatString(scale)
	if strings.Contains(text, ".") {
		text = strings.TrimRight(strings.TrimRight(text, "0"), ".")
	}
	return json.Number(text)
}

// Agree reports whether two decoded JSON results (maps, lists, numbers as
// float64 or json.Number) are the same: exactly, or with exact false to 12
// significant digits — what to expect on SQLite, whose GROUP BY sums
// decimals in floating point where summaries sum them exactly.
func Agree(a, b any, exact bool) bool {
	return reflect.DeepEqual(agreeForm(a, exact), agreeForm(b, exact))
}

func agreeForm(v any, exact bool) any {
	var f float64
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = agreeForm(e, exact)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = agreeForm(e, exact)
		}
		return out
	case json.Number:
		var err error
		if f, err = x.Float64(); err != nil || exact {
			return v
		}
	case float64:
		if f = x; exact {
			return v
		}
	default:
		return v
	}
	return strconv.FormatFloat(f, 'g', 12, 64)
}
