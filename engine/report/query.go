package report

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/expr"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

// plan is a records spec compiled for the store: the aggregate query and
// how its rows become the result's.
type plan struct {
	m    *meta.Module
	loc  *time.Location
	q    store.AggQuery
	cols []Column
	dims []dimPlan
	// per measure column of the result: its index among the SQL
	// measures, or -1 for a calculated one (calcs).
	sqlOf   []int
	sqlKeys []string
	calcs   map[int]*expr.Program
	// goSort: a sort key is a calculated measure, so the rows are sorted
	// (and cut to limit) after the arithmetic, not in SQL.
	goSort bool
	limit  int
}

// dimPlan is how a dimension's values are labelled.
type dimPlan struct {
	key    string
	field  string // the field key (or path) in filters
	c      meta.Column
	bucket string
	// labelled: a field whose values have labels (a select's option, a
	// tree node's path, a region's names), read in locale.
	labelled *meta.Field
	locale   string
	title    int // index of its label among the SQL titles, or -1
}

// regionBucket reports whether the dimension rolls region codes up.
func (d dimPlan) regionBucket() bool {
	_, ok := store.RegionBuckets[d.bucket]
	return ok
}

// zone is the viewer's time zone (Asia/Shanghai by default).
func zone(name string) (*time.Location, error) {
	if name == "" {
		name = "Asia/Shanghai"
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, errs.New(errs.Invalid, "report.bad_zone", "zone", name)
	}
	return loc, nil
}

// measureName is a measure's result key: its name (As), else op_field.
func measureName(ms Measure) string {
	if ms.As != "" {
		return ms.As
	}
	if ms.Field == "" {
		return ms.Op
	}
	return ms.Op + "_" + ms.Field
}

// resolved is a dimension's field as the report sees it: on the module or,
// for "l.x", on l's target.
type resolved struct {
	f      *meta.Field // nil for a system key
	label  string
	kind   meta.Column
	system bool
}

// resolveDim finds a dimension's field for labels and types. Whether the
// caller may read it is the store's decision (it refuses hidden fields and
// unreadable targets as unknown), so this only describes it.
func (s *Service) resolveDim(ctx context.Context, m *meta.Module, name, locale string) (resolved, bool) {
	on, key, label := m, name, ""
	if l, x, ok := strings.Cut(name, "."); ok {
		lf := m.Field(l)
		if lf == nil || lf.Type.Name() != "lookup" {
			return resolved{}, false
		}
		t, err := s.Records.Modules.Module(ctx, m.AppKey, lf.Module)
		if err != nil {
			return resolved{}, false
		}
		on, key, label = t, x, fieldLabel(m, l, locale)+" · "
	}
	if f := on.Field(key); f != nil {
		return resolved{f: f, label: label + fieldLabel(on, key, locale), kind: f.Column()}, true
	}
	c, ok := systemColumns[key]
	return resolved{label: label + key, kind: c, system: true}, ok
}

// systemColumns are the groupable system keys and their columns.
var systemColumns = map[string]meta.Column{
	"id": {Kind: meta.ColRef}, "version": {Kind: meta.ColInteger},
	"created_at": {Kind: meta.ColTime}, "updated_at": {Kind: meta.ColTime},
	"created_by": {Kind: meta.ColRef, RefUsers: true}, "updated_by": {Kind: meta.ColRef, RefUsers: true},
	"owner": {Kind: meta.ColRef, RefUsers: true},
}

// compile checks spec and builds its plan.
func (s *Service) compile(ctx context.Context, m *meta.Module, spec Spec, o Options) (*plan, error) {
	loc, err := zone(o.TimeZone)
	if err != nil {
		return nil, err
	}
	if spec.Limit < 0 || spec.Limit > store.MaxAggRows {
		return nil, errs.New(errs.Invalid, "store.bad_limit", "max", store.MaxAggRows)
	}
	p := &plan{m: m, loc: loc, limit: spec.Limit, calcs: map[int]*expr.Program{}}
	p.q = store.AggQuery{Filter: joinFilters(spec.Filter, o.Filter), Limit: spec.Limit, Zone: loc}
	if p.q.Range, err = parseRange(absoluteRange(spec.Range, s.now(), loc), loc); err != nil {
		return nil, err
	}
	if len(spec.Dimensions) > store.MaxAggDims {
		return nil, errs.New(errs.Invalid, "store.too_many_dims", "max", store.MaxAggDims)
	}
	titles := 0
	for _, d := range spec.Dimensions {
		r, ok := s.resolveDim(ctx, m, d.Field, o.Locale)
		if !ok {
			return nil, errs.New(errs.Invalid, "store.bad_group", "name", d.Field)
		}
		dp := dimPlan{key: d.Field, field: d.Field, c: r.kind, bucket: d.Bucket, title: -1}
		col := Column{Key: d.Field, Label: r.label, Type: columnType(r.kind)}
		ad := store.AggDim{Field: d.Field, Bucket: d.Bucket}
		switch {
		case dp.regionBucket():
			// Codes rolled up to their province (city), labelled by name:
			// what the map widget colours.
			dp.labelled, dp.locale = r.f, o.Locale
		case d.Bucket != "":
			col.Type = "date"
		case r.kind.Kind == meta.ColRef && !strings.Contains(d.Field, "."):
			// A lookup's title or a user's name, selected in the same
			// statement (within the caller's scope on the target).
			ad.Title, dp.title = true, titles
			titles++
		case r.f != nil:
			dp.labelled, dp.locale = r.f, o.Locale
		}
		p.q.Dims = append(p.q.Dims, ad)
		p.dims = append(p.dims, dp)
		p.cols = append(p.cols, col)
	}
	seen := map[string]bool{}
	for _, ms := range spec.Measures {
		key := measureName(ms)
		if seen[key] {
			return nil, errs.New(errs.Invalid, "report.duplicate_measure", "name", key)
		}
		seen[key] = true
		p.cols = append(p.cols, Column{Key: key, Label: key, Type: "number"})
		if ms.Op == "calc" {
			p.sqlOf = append(p.sqlOf, -1)
			continue
		}
		p.sqlOf = append(p.sqlOf, len(p.q.Measures))
		p.sqlKeys = append(p.sqlKeys, key)
		p.q.Measures = append(p.q.Measures, store.AggMeasure{Op: ms.Op, Field: ms.Field, Filter: ms.Filter})
	}
	if err := p.compileCalcs(spec.Measures); err != nil {
		return nil, err
	}
	return p, p.compileSort(spec.Sort)
}

// compileCalcs compiles the calculated measures: number expressions over
// the other (SQL) measures' names.
func (p *plan) compileCalcs(ms []Measure) error {
	vars := &meta.Module{Key: "query"}
	number, _ := meta.LookupType("number")
	for _, k := range p.sqlKeys {
		vars.Fields = append(vars.Fields, &meta.Field{Key: k, Type: number})
	}
	for i, m := range ms {
		if m.Op != "calc" {
			continue
		}
		if m.As == "" || strings.TrimSpace(m.Expr) == "" || m.Field != "" || m.Filter != "" {
			return errs.New(errs.Invalid, "report.bad_calc", "name", measureName(m))
		}
		prog, err := expr.Compile(m.Expr, vars, "number")
		if err != nil {
			return errs.New(errs.Invalid, "report.bad_calc_expr", "name", m.As, "detail", err.Error())
		}
		p.calcs[len(p.dims)+i] = prog
	}
	return nil
}

// compileSort maps sort keys to result columns; a sort by a calculated
// measure is done after the arithmetic.
func (p *plan) compileSort(sorts []Sort) error {
	for _, so := range sorts {
		i := slices.IndexFunc(p.cols, func(c Column) bool { return c.Key == so.Key })
		if i < 0 {
			return errs.New(errs.Invalid, "report.bad_sort", "key", so.Key)
		}
		if _, calc := p.calcs[i]; calc {
			p.goSort = true
		}
	}
	if p.goSort {
		p.q.Limit = 0 // every group (up to the store's maximum), cut after sorting
		return nil
	}
	for _, so := range sorts {
		i := slices.IndexFunc(p.cols, func(c Column) bool { return c.Key == so.Key })
		if i >= len(p.dims) {
			i = len(p.dims) + p.sqlOf[i-len(p.dims)]
		}
		p.q.Sort = append(p.q.Sort, store.AggSort{Col: i, Desc: so.Desc})
	}
	return nil
}

// rows turns the store's rows into the result's: dimensions, then the
// measures in the spec's order with the calculated ones computed from
// the row's aggregates; the dimensions' labels go to the columns.
func (p *plan) rows(in [][]any, cols []Column, sorts []Sort) ([][]any, error) {
	nd, ns := len(p.dims), len(p.sqlKeys)
	out := make([][]any, 0, len(in))
	for _, r := range in {
		row := make([]any, 0, len(cols))
		row = append(row, r[:nd]...)
		vars := map[string]any{}
		for j, k := range p.sqlKeys {
			vars[k] = numberOrNil(r[nd+j])
		}
		for j, si := range p.sqlOf {
			if si >= 0 {
				row = append(row, r[nd+si])
				continue
			}
			v, err := calc(p.calcs[nd+j], vars)
			if err != nil {
				return nil, err
			}
			row = append(row, v)
		}
		for i, d := range p.dims {
			var title any
			if d.title >= 0 {
				title = r[nd+ns+d.title]
			}
			if l, ok := d.label(r[i], title); ok {
				if cols[i].Labels == nil {
					cols[i].Labels = map[string]string{}
				}
				cols[i].Labels[fmt.Sprint(r[i])] = l
			}
		}
		out = append(out, row)
	}
	if p.goSort {
		sortRows(out, cols, sorts)
		if p.limit > 0 && len(out) > p.limit {
			out = out[:p.limit]
		}
	}
	return out, nil
}

// label is the label of one value of the dimension, if it has one.
func (d dimPlan) label(v, title any) (string, bool) {
	if v == nil {
		return "", false
	}
	switch {
	case d.labelled != nil:
		s, ok := v.(string)
		if !ok {
			return "", false
		}
		return d.labelled.ValueLabel(s, d.locale)
	case d.bucket != "":
		s, _ := v.(string)
		t, err := time.Parse(store.DateLayout, s)
		if err != nil {
			return "", false
		}
		switch d.bucket {
		case "month":
			return t.Format("2006-01"), true
		case "quarter":
			return fmt.Sprintf("%d-Q%d", t.Year(), (int(t.Month())+2)/3), true
		case "year":
			return t.Format("2006"), true
		}
		return s, true
	case d.title >= 0:
		s, ok := title.(string)
		return s, ok
	}
	return "", false
}

// numberOrNil reads an aggregate as a float64 for calculated measures.
func numberOrNil(v any) any {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return nil
		}
		return f
	}
	return nil
}

// calc evaluates a calculated measure on one row's aggregates. Division
// by zero (and any other non-finite result) is null, like an aggregate
// over no rows; arithmetic with a null aggregate is null.
func calc(p *expr.Program, vars map[string]any) (any, error) {
	out, err := p.Run(expr.Vars{Record: vars})
	var e *errs.Error
	if errors.As(err, &e) && e.Msg.Key == "expr.eval.not_finite" {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	n, ok := out.(json.Number)
	if !ok {
		return out, nil
	}
	f, err := n.Float64()
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, nil
	}
	return n, nil
}

// sortRows sorts result rows by the sort keys, empty values last.
func sortRows(rows [][]any, cols []Column, sorts []Sort) {
	idx := make([]int, len(sorts))
	for i, so := range sorts {
		idx[i] = slices.IndexFunc(cols, func(c Column) bool { return c.Key == so.Key })
	}
	slices.SortStableFunc(rows, func(a, b []any) int {
		for i, so := range sorts {
			x, y := a[idx[i]], b[idx[i]]
			switch {
			case x == nil && y == nil:
				continue
			case x == nil:
				return 1
			case y == nil:
				return -1
			}
			c := compareValues(x, y)
			if so.Desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
}

func compareValues(x, y any) int {
	fx, ok1 := numberOrNil(x).(float64)
	fy, ok2 := numberOrNil(y).(float64)
	if ok1 && ok2 {
		return cmp.Compare(fx, fy)
	}
	return cmp.Compare(fmt.Sprint(x), fmt.Sprint(y))
}

// runRecords runs a spec over a module's records: one GROUP BY, and one
// more for the comparison period.
func (s *Service) runRecords(ctx context.Context, a record.Actor, app string, spec Spec, o Options) (*Result, error) {
	m, err := s.Records.Modules.Module(ctx, app, spec.Module)
	if err != nil {
		return nil, err
	}
	p, err := s.compile(ctx, m, spec, o)
	if err != nil {
		return nil, err
	}
	var prev *store.AggRange
	if spec.Compare != "" {
		if prev, err = previous(spec.Compare, p.q.Range, p.loc); err != nil {
			return nil, err
		}
	}
	raw, err := s.Records.Aggregate(ctx, a, m, p.q)
	if err != nil {
		return nil, err
	}
	res := &Result{Columns: p.cols}
	if res.Rows, err = p.rows(raw, res.Columns, spec.Sort); err != nil {
		return nil, err
	}
	if prev != nil {
		q := p.q
		q.Range = prev
		if raw, err = s.Records.Aggregate(ctx, a, m, q); err != nil {
			return nil, err
		}
		if res.CompareRows, err = p.rows(raw, res.Columns, spec.Sort); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// parseRange reads a range's bounds: a date is its midnight in loc, else
// an RFC 3339 instant; either may be empty (open), not both.
func parseRange(r *Range, loc *time.Location) (*store.AggRange, error) {
	if r == nil {
		return nil, nil
	}
	out := &store.AggRange{Field: r.Field}
	parse := func(name, v string) (time.Time, error) {
		if v == "" {
			return time.Time{}, nil
		}
		if t, err := time.ParseInLocation(time.DateOnly, v, loc); err == nil {
			return t, nil
		}
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return t, nil
		}
		return time.Time{}, errs.New(errs.Invalid, "report.bad_range", "name", name, "value", v)
	}
	var err error
	if out.From, err = parse("from", r.From); err != nil {
		return nil, err
	}
	if out.To, err = parse("to", r.To); err != nil {
		return nil, err
	}
	if out.From.IsZero() && out.To.IsZero() || !out.From.IsZero() && !out.To.IsZero() && !out.From.Before(out.To) {
		return nil, errs.New(errs.Invalid, "report.bad_range", "name", "to", "value", r.To)
	}
	return out, nil
}

// previous is the comparison period of r: the period of the same length
// just before it (whole months shift by months, whole days by calendar
// days in loc, so DST and month lengths do not skew it), or the same
// period a year before.
func previous(kind string, r *store.AggRange, loc *time.Location) (*store.AggRange, error) {
	if kind != "previous_period" && kind != "previous_year" {
		return nil, errs.New(errs.Invalid, "report.bad_compare", "compare", kind)
	}
	if r == nil || r.From.IsZero() || r.To.IsZero() {
		return nil, errs.New(errs.Invalid, "report.compare_range")
	}
	from, to := r.From.In(loc), r.To.In(loc)
	out := &store.AggRange{Field: r.Field}
	if kind == "previous_year" {
		out.From, out.To = from.AddDate(-1, 0, 0), to.AddDate(-1, 0, 0)
		return out, nil
	}
	midnight := func(t time.Time) bool {
		return t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0
	}
	switch {
	case midnight(from) && midnight(to) && from.Day() == 1 && to.Day() == 1:
		months := (to.Year()-from.Year())*12 + int(to.Month()) - int(from.Month())
		out.From = from.AddDate(0, -months, 0)
	case midnight(from) && midnight(to):
		days := int(math.Round(civil(to).Sub(civil(from)).Hours() / 24))
		out.From = from.AddDate(0, 0, -days)
	default:
		out.From = from.Add(-to.Sub(from))
	}
	out.To = from
	return out, nil
}

// civil is t's wall-clock date as a UTC midnight, for counting days.
func civil(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func joinFilters(parts ...string) string {
	var kept []string
	for _, p := range parts {
		if strings.TrimSpace(p) != "" {
			kept = append(kept, "("+p+")")
		}
	}
	return strings.Join(kept, " && ")
}

// fieldLabel is a field's label in locale; system keys are labelled by
// their key.
func fieldLabel(m *meta.Module, key, locale string) string {
	if f := m.Field(key); f != nil {
		if l := f.Label.In(locale); l != "" {
			return l
		}
	}
	return key
}

// columnType is the result column type of a dimension's column.
func columnType(c meta.Column) string {
	switch c.Kind {
	case meta.ColInteger, meta.ColFloat, meta.ColDecimal:
		return "number"
	case meta.ColBool:
		return "bool"
	case meta.ColDate:
		return "date"
	case meta.ColTime:
		return "datetime"
	}
	return "string"
}

// Drill returns the list filter selecting the records behind one cell
// (the spec's filter, its range, and each dimension of the cell equal to
// its value, a bucket as the range of its dates), and the first page of
// them as a, newest first. The next pages come from the records list with
// that filter and the returned cursor.
func (s *Service) Drill(ctx context.Context, a record.Actor, app string, spec Spec, cell map[string]any, o Options) (string, *store.Page, error) {
	if spec.Source != "" {
		return "", nil, errs.New(errs.Invalid, "report.bad_source", "source", spec.Source)
	}
	m, err := s.Records.Modules.Module(ctx, app, spec.Module)
	if err != nil {
		return "", nil, err
	}
	p, err := s.compile(ctx, m, spec, o)
	if err != nil {
		return "", nil, err
	}
	parts := []string{spec.Filter, o.Filter}
	if r := p.q.Range; r != nil {
		c, _ := s.resolveDim(ctx, m, r.Field, o.Locale)
		if !r.From.IsZero() {
			parts = append(parts, r.Field+" >= "+strconv.Quote(literal(c.kind, r.From, p.loc)))
		}
		if !r.To.IsZero() {
			parts = append(parts, r.Field+" < "+strconv.Quote(literal(c.kind, r.To, p.loc)))
		}
	}
	for key := range cell {
		if !slices.ContainsFunc(p.dims, func(d dimPlan) bool { return d.key == key }) {
			return "", nil, errs.New(errs.Invalid, "report.bad_cell", "key", key)
		}
	}
	for _, d := range p.dims {
		v, ok := cell[d.key]
		if !ok {
			continue // a total over this dimension
		}
		c, err := d.cond(v, p.loc)
		if err != nil {
			return "", nil, err
		}
		parts = append(parts, c)
	}
	filter := joinFilters(parts...)
	page, err := s.Records.List(ctx, a, m, store.ListQuery{Filter: filter}, nil)
	if err != nil {
		return "", nil, err
	}
	return filter, page, nil
}

// literal is an instant as a filter literal for a column of kind c.
func literal(c meta.Column, t time.Time, loc *time.Location) string {
	if c.Kind == meta.ColDate {
		return t.In(loc).Format(store.DateLayout)
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// cond is the filter selecting the dimension's value v.
func (d dimPlan) cond(v any, loc *time.Location) (string, error) {
	bad := errs.New(errs.Invalid, "report.bad_cell_value", "key", d.key)
	if v == nil {
		return d.field + " == nil", nil
	}
	if d.regionBucket() {
		s, ok := v.(string)
		if !ok {
			return "", bad
		}
		return "under(" + d.field + ", " + strconv.Quote(s) + ")", nil
	}
	if d.bucket != "" {
		s, _ := v.(string)
		start, err := time.ParseInLocation(store.DateLayout, s, loc)
		if err != nil {
			return "", bad
		}
		end := map[string]time.Time{"day": start.AddDate(0, 0, 1), "week": start.AddDate(0, 0, 7),
			"month": start.AddDate(0, 1, 0), "quarter": start.AddDate(0, 3, 0), "year": start.AddDate(1, 0, 0)}[d.bucket]
		return fmt.Sprintf("%s >= %s && %s < %s", d.field, strconv.Quote(literal(d.c, start, loc)), d.field, strconv.Quote(literal(d.c, end, loc))), nil
	}
	switch x := v.(type) {
	case string:
		return d.field + " == " + strconv.Quote(x), nil
	case bool:
		return d.field + " == " + strconv.FormatBool(x), nil
	case float64:
		return d.field + " == " + strconv.FormatFloat(x, 'f', -1, 64), nil
	case json.Number:
		if _, err := x.Float64(); err != nil {
			return "", bad
		}
		return d.field + " == " + x.String(), nil
	}
	return "", bad
}

// Query is spec compiled to the store's aggregate query, before the
// caller's scope is added, with its module: what live aggregates are
// planned from (engine/summary).
func (s *Service) Query(ctx context.Context, app string, spec Spec, o Options) (*meta.Module, store.AggQuery, error) {
	if spec.Source != "" {
		return nil, store.AggQuery{}, errs.New(errs.Invalid, "report.bad_source", "source", spec.Source)
	}
	m, err := s.Records.Modules.Module(ctx, app, spec.Module)
	if err != nil {
		return nil, store.AggQuery{}, err
	}
	p, err := s.compile(ctx, m, spec, o)
	if err != nil {
		return nil, store.AggQuery{}, err
	}
	return m, p.q, nil
}
