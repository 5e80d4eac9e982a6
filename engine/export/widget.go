package export

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/dashboard"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/report"
	"github.com/tessera-app/tessera/engine/store"
)

// WidgetFormats are the formats a dashboard widget's data exports to.
var WidgetFormats = []string{"xlsx", "csv", "pdf"}

// MaxPivotColumns bounds the columns of a pivot exported as a cross
// table; a pivot with more distinct column values is exported flat.
const MaxPivotColumns = 200

// PrepareWidget checks the export of one widget of dashboard key as user
// u sees it, with the dashboard filters' values params: the widget's data
// is computed by the dashboard's own code path (dashboard.Service.Widget,
// as GET …/dashboards/{key}/data does — the same queries, run as the
// viewer or the publisher, with the same filters). An aggregate widget's
// table is held in the plan (it is bounded by the report's row limit) and
// written at once; a pivot is written as its cross table with totals when
// it has them. A record list is exported as the list export does — every
// record of the widget's module matching its filter and the dashboard's,
// in options.sort, the options.fields the viewer can see — and may run as
// a job like any list.
func (s *Service) PrepareWidget(ctx context.Context, u *access.User, app, key, widget, format string, params dashboard.Params, o Options) (*Plan, error) {
	if !slices.Contains(WidgetFormats, format) {
		return nil, errs.New(errs.Invalid, "export.bad_format", "format", format, "formats", strings.Join(WidgetFormats, ", "))
	}
	wd, err := s.Dashboards.Widget(ctx, dashboard.View{User: u, Locale: o.Locale, TimeZone: o.TimeZone}, app, key, widget, params)
	if err != nil {
		return nil, err
	}
	title := wd.Widget.Title
	if title.In(o.Locale) == "" {
		title = meta.Label{i18n.EN: wd.Widget.Key}
	}
	m, err := s.Modules.Module(ctx, app, wd.Spec.Module)
	if err != nil {
		return nil, err
	}
	if wd.Widget.Type == "list" {
		return s.prepareList(ctx, u, m, wd, format, o, title)
	}
	p := &Plan{Request: Request{Format: format}, Options: o, Module: m, loc: dashboard.Zone(o.TimeZone), title: title}
	if !s.pivot(p, wd) {
		s.flat(p, wd)
	}
	p.Total = int64(len(p.table))
	return p, nil
}

// prepareList is a record-list widget's export: a list export of the
// widget's module with the widget's filter and the dashboard's, its sort
// and the fields it shows that the viewer can see (every visible field
// when it names none, or none of those is left).
func (s *Service) prepareList(ctx context.Context, u *access.User, m *meta.Module, wd *dashboard.WidgetData, format string, o Options, title meta.Label) (*Plan, error) {
	a := record.Actor{User: u, Via: "api"}
	reach, err := s.Records.ReachOf(ctx, &a, m)
	if err != nil {
		return nil, err
	}
	req := Request{Format: format, Filter: and(wd.Spec.Filter, wd.Filter)}
	req.Sort, _ = wd.Widget.Options["sort"].(string)
	if fields, ok := wd.Widget.Options["fields"].([]any); ok {
		for _, f := range fields {
			k, _ := f.(string)
			_, system := systemColumns[k]
			if (system || m.Field(k) != nil) && !reach.Rights.Hidden(k) && !slices.Contains(req.Fields, k) {
				req.Fields = append(req.Fields, k)
			}
		}
	}
	p, err := s.Prepare(ctx, a, m.AppKey, m.Key, req, o)
	if err != nil {
		return nil, err
	}
	p.title = title
	return p, nil
}

func and(parts ...string) string {
	var kept []string
	for _, p := range parts {
		if strings.TrimSpace(p) != "" {
			kept = append(kept, "("+p+")")
		}
	}
	return strings.Join(kept, " && ")
}

// resultColumn is one column of a widget's result as exported: its
// header, how its cells are written, and the labels of its values.
type resultColumn struct {
	column
	typ    string
	labels map[string]string
}

// resultColumns describes the result's columns: dimensions by their
// (localized) labels and value labels; measures by their name in
// options.labels, else by their operation and field ("Sum of Amount"),
// as integers (counts), in the currency format (sum, avg, min or max of
// a currency field) or as numbers.
func (s *Service) resultColumns(p *Plan, wd *dashboard.WidgetData, cols []report.Column) []resultColumn {
	out := make([]resultColumn, len(cols))
	for i, c := range cols {
		rc := resultColumn{column: column{key: c.Key, label: c.Label, scale: -1}, typ: c.Type, labels: c.Labels}
		switch c.Type {
		case "number":
			rc.kind = kindNumber
		case "date":
			rc.kind = kindDate
		case "datetime":
			rc.kind = kindDateTime
		case "bool":
			rc.kind = kindBool
		}
		if ms, ok := measureOf(wd.Spec, c.Key, i, len(cols)); ok {
			rc.label = measureLabel(p, wd.Widget, ms)
			rc.kind = kindNumber
			switch ms.Op {
			case "count", "count_distinct":
				rc.kind = kindInteger
			case "sum", "avg", "min", "max":
				if f := p.Module.Field(ms.Field); f != nil && f.Type.Name() == "currency" {
					rc.kind, rc.scale = kindCurrency, f.Column().Scale
				}
			}
		}
		if rc.label == "" {
			rc.label = c.Key
		}
		out[i] = rc
	}
	return out
}

// measureOf is the spec's measure that result column i (key) is: the
// measures are the last columns of a records query, named as
// report names them.
func measureOf(spec report.Spec, key string, i, n int) (report.Measure, bool) {
	if spec.Source != "" || i < n-len(spec.Measures) {
		return report.Measure{}, false
	}
	for _, ms := range spec.Measures {
		if measureName(ms) == key {
			return ms, true
		}
	}
	return report.Measure{}, false
}

func measureName(ms report.Measure) string {
	if ms.As != "" {
		return ms.As
	}
	if ms.Field == "" {
		return ms.Op
	}
	return ms.Op + "_" + ms.Field
}

// measureLabel is a measure's header: the widget's options.labels entry
// for it ({"<measure>": {"en": …, "zh-CN": …}}), else, for a plain
// aggregate, its operation on its field's label in the caller's locale;
// a conditional or calculated measure without a label keeps its name.
func measureLabel(p *Plan, w *dashboard.Widget, ms report.Measure) string {
	name := measureName(ms)
	if labels, ok := w.Options["labels"].(map[string]any); ok {
		if l, ok := labels[name].(map[string]any); ok {
			lb := meta.Label{}
			for k, v := range l {
				if s, ok := v.(string); ok {
					lb[k] = s
				}
			}
			if t := lb.In(p.Locale); t != "" {
				return t
			}
		}
	}
	if ms.Op == "calc" || ms.Filter != "" {
		return name
	}
	field := ms.Field
	if f := p.Module.Field(ms.Field); f != nil {
		if l := f.Label.In(p.Locale); l != "" {
			field = l
		}
	} else if _, system := systemColumns[ms.Field]; system {
		field = i18n.T(p.Locale, i18n.M("export.column."+ms.Field))
	}
	return i18n.T(p.Locale, i18n.M("export.measure."+ms.Op, "field", field))
}

// cell is one value of the result as the export writes it: a dimension
// value that has a label (an option, a lookup's title, a user's name, a
// month or quarter) as that label — a day's or week's bucket, labelled by
// its own date, stays a date — else typed by the column.
func (rc resultColumn) cell(v any, p *Plan) any {
	if v == nil {
		return nil
	}
	raw := fmt.Sprint(v)
	if l, ok := rc.labels[raw]; ok && !(rc.kind == kindDate && l == raw) {
		return l
	}
	switch rc.kind {
	case kindInteger, kindNumber, kindCurrency:
		f, ok := dashboard.Number(v)
		if !ok {
			return raw
		}
		if rc.kind == kindInteger && f == float64(int64(f)) {
			return int64(f)
		}
		return f
	case kindDate:
		if t, err := time.Parse(store.DateLayout, raw); err == nil {
			return date{t}
		}
		return raw
	case kindDateTime:
		if t, ok := v.(time.Time); ok {
			return t.In(p.loc)
		}
		if t, err := time.Parse(time.RFC3339Nano, raw); err == nil {
			return t.In(p.loc)
		}
		return raw
	case kindBool:
		if b, ok := v.(bool); ok {
			return b
		}
		return raw
	}
	if s, ok := v.(string); ok {
		return s
	}
	return string(raw2(v))
}

func raw2(v any) []byte {
	if n, ok := v.(json.Number); ok {
		return []byte(n.String())
	}
	return raw(v)
}

// flat exports the widget's result as it is: its columns, then its rows.
func (s *Service) flat(p *Plan, wd *dashboard.WidgetData) {
	rcs := s.resultColumns(p, wd, wd.Columns)
	for _, rc := range rcs {
		p.cols = append(p.cols, rc.column)
	}
	p.table = make([][]any, 0, len(wd.Rows))
	for _, r := range wd.Rows {
		row := make([]any, len(rcs))
		for i, rc := range rcs {
			if i < len(r) {
				row[i] = rc.cell(r[i], p)
			}
		}
		p.table = append(p.table, row)
	}
}

// pivot exports a pivot widget as it is shown: one row per value of its
// first dimension, one column per value of its second (at most
// MaxPivotColumns), the measure in the cells, a total column and a total
// row from the widget's totals. It reports false when the data is not of
// that shape (a registered source, no totals, too many columns); the
// widget is then exported flat.
func (s *Service) pivot(p *Plan, wd *dashboard.WidgetData) bool {
	if wd.Widget.Type != "pivot" || wd.Spec.Source != "" || len(wd.Columns) != 3 || len(wd.Spec.Measures) != 1 {
		return false
	}
	rowTotals, ok1 := wd.Result["row_totals"].(*report.Result)
	colTotals, ok2 := wd.Result["column_totals"].(*report.Result)
	total, ok3 := wd.Result["total"].(*report.Result)
	if !ok1 || !ok2 || !ok3 {
		return false
	}
	rcs := s.resultColumns(p, wd, wd.Columns)
	rowDim, colDim, measure := rcs[0], rcs[1], rcs[2]
	key := func(v any) string {
		if v == nil {
			return "\x00"
		}
		return fmt.Sprint(v)
	}
	// Columns: every value of the second dimension, in its order (empty last).
	var colVals []any
	seen := map[string]bool{}
	addCol := func(v any) {
		if !seen[key(v)] {
			seen[key(v)] = true
			colVals = append(colVals, v)
		}
	}
	for _, r := range colTotals.Rows {
		if len(r) == 2 {
			addCol(r[0])
		}
	}
	for _, r := range wd.Rows {
		addCol(r[1])
	}
	if len(colVals) > MaxPivotColumns {
		return false
	}
	slices.SortStableFunc(colVals, compareDim)
	// Rows: in the result's order (its sort), else by value.
	var rowVals []any
	cells := map[string]map[string]any{}
	seenRow := map[string]bool{}
	for _, r := range wd.Rows {
		if !seenRow[key(r[0])] {
			seenRow[key(r[0])] = true
			rowVals = append(rowVals, r[0])
		}
		if cells[key(r[0])] == nil {
			cells[key(r[0])] = map[string]any{}
		}
		cells[key(r[0])][key(r[1])] = r[2]
	}
	if len(wd.Spec.Sort) == 0 {
		slices.SortStableFunc(rowVals, compareDim)
	}
	sums := func(res *report.Result) map[string]any {
		out := map[string]any{}
		for _, r := range res.Rows {
			if len(r) == 2 {
				out[key(r[0])] = r[1]
			}
		}
		return out
	}
	rowSum, colSum := sums(rowTotals), sums(colTotals)
	totalLabel := i18n.T(p.Locale, i18n.M("export.total"))
	header := func(rc resultColumn, v any) string {
		if v == nil {
			return i18n.T(p.Locale, i18n.M("export.empty"))
		}
		return text(rc.cell(v, p), rc.column)
	}
	p.cols = []column{rowDim.column}
	for _, v := range colVals {
		c := measure.column
		c.label = header(colDim, v)
		p.cols = append(p.cols, c)
	}
	tc := measure.column
	tc.label = totalLabel
	p.cols = append(p.cols, tc)
	for _, rv := range rowVals {
		row := []any{rowDim.cell(rv, p)}
		if rv == nil {
			row[0] = header(rowDim, nil)
		}
		for _, cv := range colVals {
			row = append(row, measure.cell(cells[key(rv)][key(cv)], p))
		}
		row = append(row, measure.cell(rowSum[key(rv)], p))
		p.table = append(p.table, row)
	}
	last := []any{totalLabel}
	for _, cv := range colVals {
		last = append(last, measure.cell(colSum[key(cv)], p))
	}
	var grand any
	if len(total.Rows) == 1 && len(total.Rows[0]) == 1 {
		grand = total.Rows[0][0]
	}
	p.table = append(p.table, append(last, measure.cell(grand, p)))
	return true
}

// compareDim orders dimension values: numbers by value, others by text,
// empty last.
func compareDim(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	fa, ok1 := dashboard.Number(a)
	fb, ok2 := dashboard.Number(b)
	if _, isStr := a.(string); ok1 && ok2 && !isStr {
		return cmp.Compare(fa, fb)
	}
	return cmp.Compare(fmt.Sprint(a), fmt.Sprint(b))
}
