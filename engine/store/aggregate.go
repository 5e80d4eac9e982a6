package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

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

// Buckets are the date buckets a date or datetime dimension may have.
var Buckets = []string{"day", "week", "month", "quarter", "year"}

// RegionBuckets roll a region field's codes up to their province or city:
// the code's first digits (a prefix names the division, engine/region)
// padded back to six with zeros. The value is the province's (city's) own
// code, which the map widget colours by.
var RegionBuckets = map[string]int{"province": 2, "city": 4}

// AggDim is one dimension: a field or system key of the module, or
// "l.x", field (or system key) x of the record lookup field l points to,
// read within the caller's scope there (Lookups). Bucket groups a date or
// datetime by the start date of its day, week (Monday), month, quarter or
// year in AggQuery.Zone. Title also selects the label of a lookup (its
// target's title) or user (their name) dimension.
type AggDim struct {
	Field  string
	Bucket string
	Title  bool
}

// AggMeasure is one aggregate over a field (none for count), counted or
// summed only over the rows matching Filter when it is set.
type AggMeasure struct {
	Op     string // count, count_distinct, sum, avg, min, max
	Field  string
	Filter string
}

// AggSort orders groups by result column Col (dimensions, then measures,
// counting from 0); empty values sort last either way.
type AggSort struct {
	Col  int
	Desc bool
}

// AggRange keeps the rows with From <= Field < To (a zero bound is
// open); a date field compares with the bounds' dates in AggQuery.Zone.
type AggRange struct {
	Field    string
	From, To time.Time
}

// AggQuery asks for live records of a module grouped by Dims with
// Measures: one SELECT … GROUP BY. Where, Hidden, Lookups and Consts are
// as in ListQuery; hidden fields are unknown.
type AggQuery struct {
	Filter   string
	Dims     []AggDim
	Measures []AggMeasure
	Sort     []AggSort
	Limit    int
	Range    *AggRange
	// Zone is the caller's time zone for buckets and date ranges; nil is UTC.
	Zone    *time.Location
	Where   []Cond
	Hidden  map[string]bool
	Lookups map[string]Lookup
	Consts  expr.Consts
}

// aggColumn resolves a groupable or measurable name of the module: a
// field (not JSON) or a system key, never a hidden one.
func aggColumn(m *meta.Module, name string, hidden map[string]bool) (sortKey, bool) {
	if hidden[name] {
		return sortKey{}, false
	}
	return sortColumn(m, name)
}

// aggValue is a dimension's SQL before bucketing, its column, and the SQL
// of its label when one is asked for and exists.
type aggValue struct {
	sql   frag
	c     meta.Column
	title *frag
}

// dimValue resolves a dimension's name: a column of the module, or a
// looked-up one (a scalar subquery reaching the target within the
// caller's scope, NULL when the record points to nothing they may read).
func (w *whereBuilder) dimValue(name string, title bool, hidden map[string]bool, lookups map[string]Lookup) (aggValue, bool) {
	m := w.m
	if l, x, ok := strings.Cut(name, "."); ok {
		lk, ok := lookups[l]
		if !ok || hidden[l] || m.Field(l) == nil || lk.Hidden[x] {
			return aggValue{}, false
		}
		k, ok := sortColumn(lk.Module, x)
		if !ok {
			return aggValue{}, false
		}
		from, where, args, err := w.join(l, lk)
		if err != nil {
			return aggValue{}, false
		}
		return aggValue{sql: frag{fmt.Sprintf("(SELECT %s.%s FROM %s WHERE %s)", lookupAlias, Quote(k.col), from, where), args}, c: k.c}, true
	}
	k, ok := aggColumn(m, name, hidden)
	if !ok {
		return aggValue{}, false
	}
	v := aggValue{sql: frag{sql: Quote(k.col)}, c: k.c}
	if !title || k.c.Kind != meta.ColRef {
		return v, true
	}
	outer := Quote(m.Table) + "." + Quote(k.col)
	if k.c.RefUsers || name == "owner" || name == "created_by" || name == "updated_by" {
		v.title = &frag{sql: `(SELECT u."name" FROM users AS u WHERE u."id" = ` + outer + `)`}
	} else if lk, ok := lookups[name]; ok && lk.Title != "" {
		from, where, args, err := w.join(name, lk)
		if err != nil {
			return aggValue{}, false
		}
		v.title = &frag{fmt.Sprintf("(SELECT %s.%s FROM %s WHERE %s)", lookupAlias, Quote(lk.Title), from, where), args}
	}
	return v, true
}

// dimField is the field a dimension names, on m or (for "l.x") on l's
// target; nil for a system key or an unknown name.
func dimField(m *meta.Module, name string, lookups map[string]Lookup) *meta.Field {
	if l, x, ok := strings.Cut(name, "."); ok {
		if lk, ok := lookups[l]; ok && lk.Module != nil {
			return lk.Module.Field(x)
		}
		return nil
	}
	return m.Field(name)
}

// bucket groups a date or datetime value by the start date of its
// bucket, in loc for an instant.
func (s *Store) bucket(v frag, c meta.Column, bucket string, loc *time.Location) (frag, bool) {
	known := false
	for _, b := range Buckets {
		known = known || b == bucket
	}
	if !known || (c.Kind != meta.ColDate && c.Kind != meta.ColTime) {
		return frag{}, false
	}
	if s.D.Name() == "postgres" {
		// Wall-clock time in the zone (timestamp without time zone), then
		// truncated: PostgreSQL's weeks start on Monday (ISO).
		local := cat("CAST(", v, " AS timestamp)")
		if c.Kind == meta.ColTime {
			local = cat("(", v, frag{" AT TIME ZONE CAST(? AS text))", []any{loc.String()}})
		}
		return cat("CAST(date_trunc('"+bucket+"', ", local, ") AS date)"), true
	}
	day := cat("date(", v, ")")
	if c.Kind == meta.ColTime {
		day = cat("date(", v, ", (", sqliteOffset(v, loc), ") || ' seconds')")
	}
	switch bucket {
	case "week": // the next Sunday (or the day itself), less six days
		return cat("date(", day, ", 'weekday 0', '-6 days')"), true
	case "month":
		return cat("date(", day, ", 'start of month')"), true
	case "quarter": // the day is named once, in a subquery, for its two uses
		return cat("(SELECT date(d, 'start of month', '-' || ((CAST(strftime('%m', d) AS INTEGER) - 1) % 3) || ' months') FROM (SELECT ", day, " AS d))"), true
	case "year":
		return cat("date(", day, ", 'start of year')"), true
	}
	return day, true
}

// rangeConds adds the range's bounds to w.
func (w *whereBuilder) rangeConds(r *AggRange, hidden map[string]bool, loc *time.Location) error {
	k, ok := aggColumn(w.m, r.Field, hidden)
	if !ok || (k.c.Kind != meta.ColDate && k.c.Kind != meta.ColTime) {
		return errs.New(errs.Invalid, "store.bad_range_field", "name", r.Field)
	}
	bound := func(t time.Time) any {
		if k.c.Kind == meta.ColDate {
			return t.In(loc).Format(DateLayout)
		}
		return TimeArg(w.d, t)
	}
	if !r.From.IsZero() {
		w.add(Quote(k.col)+" >= ?", bound(r.From))
	}
	if !r.To.IsZero() {
		w.add(Quote(k.col)+" < ?", bound(r.To))
	}
	return nil
}

// Aggregate runs q and returns one row per group: the dimension values
// (decoded like record values; a bucket is its start date), the
// measures, then the labels of the dimensions with Title, in their order
// (nil when there is none to show).
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
	loc := q.Zone
	if loc == nil {
		loc = time.UTC
	}
	r := readable{q.Hidden, q.Lookups, q.Consts}
	// The select list is built with "?" placeholders and its args in
	// order (frags), numbered for PostgreSQL as each piece is appended.
	b := &whereBuilder{d: s.D, now: s.Now(), m: m}
	var sel, titles []string
	put := func(f frag) string {
		sql := f.sql
		if b.numbered() && len(f.args) > 0 {
			sql = renumber(sql, len(b.args))
		}
		b.args = append(b.args, f.args...)
		return sql
	}
	var cols, titleCols []meta.Column
	var titleFrags []frag
	for _, d := range q.Dims {
		v, ok := b.dimValue(d.Field, d.Title && d.Bucket == "", q.Hidden, q.Lookups)
		if !ok {
			return nil, errs.New(errs.Invalid, "store.bad_group", "name", d.Field)
		}
		if digits, isRegion := RegionBuckets[d.Bucket]; isRegion {
			if f := dimField(m, d.Field, q.Lookups); f == nil || f.Type.Name() != "region" {
				return nil, errs.New(errs.Invalid, "store.bad_bucket", "name", d.Field, "bucket", d.Bucket)
			}
			v.sql = cat("(substr(", v.sql, fmt.Sprintf(", 1, %d) || '%s')", digits, strings.Repeat("0", 6-digits)))
		} else if d.Bucket != "" {
			if v.sql, ok = s.bucket(v.sql, v.c, d.Bucket, loc); !ok {
				return nil, errs.New(errs.Invalid, "store.bad_bucket", "name", d.Field, "bucket", d.Bucket)
			}
			v.c = meta.Column{Kind: meta.ColDate}
		}
		sel = append(sel, put(v.sql))
		cols = append(cols, v.c)
		if d.Title {
			t := frag{sql: "NULL"}
			if v.title != nil {
				t = *v.title
			}
			titleFrags = append(titleFrags, t)
			titleCols = append(titleCols, meta.Column{Kind: meta.ColText})
		}
	}
	for _, ms := range q.Measures {
		arg := "1"
		var c meta.Column
		if ms.Op != "count" || ms.Field != "" {
			k, ok := aggColumn(m, ms.Field, q.Hidden)
			if !ok {
				return nil, errs.New(errs.Invalid, "store.bad_measure_field", "name", ms.Field)
			}
			arg = Quote(k.col)
			c = k.c
		}
		switch ms.Op {
		case "count", "count_distinct":
			c = meta.Column{Kind: meta.ColInteger}
		case "sum", "avg":
			if !isNumber(c) {
				return nil, errs.New(errs.Invalid, "store.bad_measure_field", "name", ms.Field)
			}
			c = meta.Column{Kind: meta.ColDecimal} // sums of integers print as numbers
		case "min", "max":
		default:
			return nil, errs.New(errs.Invalid, "store.bad_measure_op", "op", ms.Op)
		}
		cols = append(cols, c)
		if ms.Filter != "" {
			// A conditional aggregate: the value counts only on the rows the
			// measure's filter selects (CASE WHEN … THEN value END).
			// Its placeholders number on from the select list's so far.
			cw := &whereBuilder{d: s.D, now: s.Now(), m: m, args: b.args}
			if err := cw.filter(ms.Filter, r); err != nil {
				return nil, err
			}
			if len(cw.parts) > 0 {
				arg = "CASE WHEN " + cw.sql() + " THEN " + arg + " END"
				b.args = cw.args
			}
		}
		switch {
		case ms.Op == "count" && arg == "1":
			sel = append(sel, "count(*)")
		case ms.Op == "count":
			sel = append(sel, "count("+arg+")")
		case ms.Op == "count_distinct":
			sel = append(sel, "count(DISTINCT "+arg+")")
		default:
			sel = append(sel, ms.Op+"("+arg+")")
		}
	}
	for _, t := range titleFrags {
		// Labels are not grouped by: each depends only on its dimension's
		// value, which is.
		titles = append(titles, put(t))
	}
	sel = append(sel, titles...)
	cols = append(cols, titleCols...)
	w := &whereBuilder{d: s.D, now: s.Now(), m: m, args: b.args}
	w.add(`"deleted_at" IS NULL`)
	if err := w.conds(q.Where); err != nil {
		return nil, err
	}
	if err := w.filter(q.Filter, r); err != nil {
		return nil, err
	}
	if q.Range != nil {
		if err := w.rangeConds(q.Range, q.Hidden, loc); err != nil {
			return nil, err
		}
	}
	stmt := fmt.Sprintf(`SELECT %s FROM %s WHERE %s`, strings.Join(sel, ", "), tableRef(m), w.sql())
	group, order, err := AggClauses(q)
	if err != nil {
		return nil, err
	}
	stmt += group + order
	stmt += fmt.Sprintf(" LIMIT %d", limit)
	rows, err := s.readQuery(ctx, stmt, w.args...)
	if err != nil {
		return nil, err
	}
	out := [][]any{}
	err = ScanRows(rows, len(cols), func(vals []any) error {
		for i, c := range cols {
			vals[i] = Decode(c, vals[i])
		}
		out = append(out, vals)
		return nil
	})
	return out, err
}

// AggClauses are q's GROUP BY and ORDER BY clauses (each "" when empty,
// else with a leading space), by position: dimensions first, then
// measures, counting from 1. Positions, because a bucket's expression
// carries bound args, which PostgreSQL would not match between SELECT and
// GROUP BY. Groups follow q.Sort, then the other dimensions ascending;
// empty values sort last either way.
func AggClauses(q AggQuery) (group, order string, err error) {
	var groups, orders []string
	for i := range q.Dims {
		groups = append(groups, fmt.Sprint(i+1))
	}
	sorted := map[int]bool{}
	for _, o := range q.Sort {
		if o.Col < 0 || o.Col >= len(q.Dims)+len(q.Measures) {
			return "", "", errs.New(errs.Invalid, "store.bad_sort", "name", fmt.Sprint(o.Col))
		}
		dir := " ASC"
		if o.Desc {
			dir = " DESC"
		}
		orders = append(orders, fmt.Sprint(o.Col+1)+dir+" NULLS LAST")
		sorted[o.Col] = true
	}
	for i := range q.Dims {
		if !sorted[i] {
			orders = append(orders, fmt.Sprint(i+1)+" ASC NULLS LAST")
		}
	}
	if len(groups) > 0 {
		group = " GROUP BY " + strings.Join(groups, ", ")
	}
	if len(orders) > 0 {
		order = " ORDER BY " + strings.Join(orders, ", ")
	}
	return group, order, nil
}

// ScanRows reads every row of rows (width columns, as the driver gives
// them) into each, then closes rows.
func ScanRows(rows *sql.Rows, width int, each func(vals []any) error) error {
	defer rows.Close()
	for rows.Next() {
		vals := make([]any, width)
		ptrs := make([]any, width)
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		if err := each(vals); err != nil {
			return err
		}
	}
	return rows.Err()
}
