package dashboard

import (
	"context"
	"fmt"
	"slices"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/report"
	"github.com/tessera-app/tessera/engine/store"
)

// Grid and size limits.
const (
	Columns    = 12
	MaxHeight  = 100
	MaxWidgets = 60
	MaxFilters = 20
)

// shape is what a widget type needs of its query (records source): the
// range of dimensions and of measures (-1: no upper bound).
type shape struct{ minDims, maxDims, minMeasures, maxMeasures int }

// Types are the widget types and the query shape each needs.
var Types = map[string]shape{
	"kpi":         {0, 0, 1, -1}, // first measure is the number; compare gives the delta
	"gauge":       {0, 0, 1, 1},
	"bar":         {1, 2, 1, -1}, // a second dimension stacks
	"line":        {1, 2, 1, -1},
	"area":        {1, 2, 1, -1},
	"pie":         {1, 1, 1, 1},
	"donut":       {1, 1, 1, 1},
	"funnel":      {1, 1, 1, 1},
	"table":       {0, -1, 1, -1},
	"pivot":       {2, 2, 1, 1}, // rows × columns × measure, with totals
	"leaderboard": {1, 1, 1, -1},
	"map":         {1, 1, 1, 1}, // the dimension is a region (province) field
	"list":        {0, 0, 0, 0}, // a record list: module, filter, options.sort/fields/limit
}

// Filter types.
var filterTypes = []string{"date_range", "owner", "department", "select"}

// params are the query parameters the built-in filter types read; a
// select filter reads the parameter named by its key, so keys may not be
// these.
var params = map[string][]string{"date_range": {"from", "to"}, "owner": {"owner"}, "department": {"department"}}

// check validates a dashboard for u to save: layout, widget types and
// query shapes, modules, filters, sharing and run-as, with one localized
// error per problem; a shared one also needs the right to publish.
func (s *Service) check(ctx context.Context, u *access.User, app string, d *Dashboard) error {
	var fes []errs.FieldError
	bad := func(field, code, key string, kv ...any) {
		fes = append(fes, errs.Field(field, code, key, kv...))
	}
	if !meta.ValidKey(d.Key, 40) {
		bad("key", "invalid", "dashboard.bad_key", "key", d.Key)
	}
	if len(d.Widgets) > MaxWidgets {
		bad("widgets", "too_many", "dashboard.too_many_widgets", "max", MaxWidgets)
	}
	modules := map[string]*meta.Module{}
	seen := map[string]int{}
	for i, w := range d.Widgets {
		at := fmt.Sprintf("widgets.%d", i)
		if !meta.ValidKey(w.Key, 40) {
			bad(at+".key", "invalid", "dashboard.bad_key", "key", w.Key)
		} else if j, dup := seen[w.Key]; dup {
			bad(at+".key", "duplicate", "dashboard.duplicate_widget", "key", w.Key, "other", j)
		}
		seen[w.Key] = i
		fes = append(fes, checkPlace(at, w)...)
		for j := range i {
			if overlap(d.Widgets[j], w) {
				bad(at, "overlap", "dashboard.overlap", "key", w.Key, "other", d.Widgets[j].Key)
				break
			}
		}
		fes = append(fes, s.checkQuery(ctx, app, at, w, modules)...)
	}
	fes = append(fes, checkFilters(d, modules)...)
	switch d.RunAs {
	case "", RunAsViewer:
	case RunAsPublisher:
		if d.Private {
			bad("run_as", "invalid", "dashboard.publisher_private")
		} else if len(d.Roles) == 0 {
			bad("run_as", "invalid", "dashboard.publisher_roles")
		}
	default:
		bad("run_as", "invalid", "dashboard.bad_run_as", "value", d.RunAs)
	}
	if d.Private && len(d.Roles) > 0 {
		bad("roles", "invalid", "dashboard.private_roles")
	}
	for i, r := range d.Roles {
		if _, err := s.Access.Role(ctx, r); err != nil {
			if errs.CodeOf(err) != errs.NotFound {
				return err
			}
			bad(fmt.Sprintf("roles.%d", i), "not_found", "dashboard.unknown_role", "role", r)
		}
	}
	if len(fes) > 0 {
		return errs.Fields(fes...)
	}
	if !d.Private {
		return s.mayPublish(ctx, u, app, d)
	}
	return nil
}

func checkPlace(at string, w Widget) []errs.FieldError {
	var fes []errs.FieldError
	if w.X < 0 || w.X >= Columns {
		fes = append(fes, errs.Field(at+".x", "range", "dashboard.bad_x", "max", Columns-1))
	}
	if w.Y < 0 {
		fes = append(fes, errs.Field(at+".y", "range", "dashboard.bad_y"))
	}
	if w.W < 1 || w.W > Columns {
		fes = append(fes, errs.Field(at+".w", "range", "dashboard.bad_w", "max", Columns))
	} else if w.X >= 0 && w.X+w.W > Columns {
		fes = append(fes, errs.Field(at+".w", "range", "dashboard.past_edge", "columns", Columns))
	}
	if w.H < 1 || w.H > MaxHeight {
		fes = append(fes, errs.Field(at+".h", "range", "dashboard.bad_h", "max", MaxHeight))
	}
	return fes
}

// overlap reports whether two widgets' rectangles share a cell.
func overlap(a, b Widget) bool {
	return a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H
}

// checkQuery checks a widget's type and its query's shape and module.
// Modules found are collected for the filter checks.
func (s *Service) checkQuery(ctx context.Context, app, at string, w Widget, modules map[string]*meta.Module) []errs.FieldError {
	sh, known := Types[w.Type]
	if !known {
		return []errs.FieldError{errs.Field(at+".type", "invalid", "dashboard.bad_type", "type", w.Type)}
	}
	q := w.Query
	if q == nil {
		return []errs.FieldError{errs.Field(at+".query", "required", "dashboard.query_required")}
	}
	var fes []errs.FieldError
	m, err := s.Meta.Module(ctx, app, q.Module)
	if err != nil {
		fes = append(fes, errs.Field(at+".query.module", "not_found", "dashboard.unknown_module", "module", q.Module))
	} else {
		modules[w.Key] = m
	}
	if q.Source != "" {
		src, ok := sources[q.Source]
		switch {
		case !ok:
			fes = append(fes, errs.Field(at+".query.source", "invalid", "dashboard.bad_source", "source", q.Source))
		case w.Type == "list":
			fes = append(fes, errs.Field(at+".query.source", "invalid", "dashboard.list_source"))
		case src.check != nil:
			fes = append(fes, src.check(at+".query", q)...)
		}
		return fes
	}
	count := func(field string, n, lo, hi int, key string) {
		if n < lo || (hi >= 0 && n > hi) {
			want := fmt.Sprint(lo)
			if hi != lo {
				want = fmt.Sprintf("%d–%d", lo, hi)
				if hi < 0 {
					want = fmt.Sprintf("≥ %d", lo)
				}
			}
			fes = append(fes, errs.Field(at+".query."+field, "shape", key, "type", w.Type, "want", want, "got", n))
		}
	}
	count("dimensions", len(q.Dimensions), sh.minDims, sh.maxDims, "dashboard.bad_dimensions")
	count("measures", len(q.Measures), sh.minMeasures, sh.maxMeasures, "dashboard.bad_measures")
	if w.Type == "map" && m != nil && len(q.Dimensions) == 1 {
		// The map colours provinces: the dimension is a region field,
		// rolled up to province unless it says city.
		d := q.Dimensions[0]
		f := m.Field(d.Field)
		if _, rollup := store.RegionBuckets[d.Bucket]; f == nil || f.Type.Name() != "region" || (d.Bucket != "" && !rollup) {
			fes = append(fes, errs.Field(at+".query.dimensions.0", "invalid", "dashboard.map_region", "field", d.Field))
		}
	}
	if w.Type == "list" {
		if n, ok := Number(w.Options["limit"]); ok && (n < 1 || n > 50 || n != float64(int(n))) {
			fes = append(fes, errs.Field(at+".options.limit", "range", "dashboard.bad_list_limit", "max", 50))
		}
	}
	if w.Type == "kpi" {
		if sp, ok := w.Options["sparkline"].(map[string]any); ok {
			if f, _ := sp["field"].(string); f == "" || (m != nil && m.Field(f) == nil && f != "created_at" && f != "updated_at") {
				fes = append(fes, errs.Field(at+".options.sparkline.field", "invalid", "dashboard.bad_sparkline", "field", f))
			}
		}
	}
	return fes
}

// checkFilters checks the dashboard-level filters: known types, distinct
// keys and parameters, the widgets they name, and the field on each of
// them (a date range may instead replace a widget's own range).
func checkFilters(d *Dashboard, modules map[string]*meta.Module) []errs.FieldError {
	var fes []errs.FieldError
	if len(d.Filters) > MaxFilters {
		return []errs.FieldError{errs.Field("filters", "too_many", "dashboard.too_many_filters", "max", MaxFilters)}
	}
	used := map[string]string{}
	for i, f := range d.Filters {
		at := fmt.Sprintf("filters.%d", i)
		if !meta.ValidKey(f.Key, 40) {
			fes = append(fes, errs.Field(at+".key", "invalid", "dashboard.bad_key", "key", f.Key))
			continue
		}
		if !slices.Contains(filterTypes, f.Type) {
			fes = append(fes, errs.Field(at+".type", "invalid", "dashboard.bad_filter_type", "type", f.Type))
			continue
		}
		names := params[f.Type]
		if f.Type == "select" {
			names = []string{f.Key}
		}
		for _, n := range names {
			if other, dup := used[n]; dup {
				fes = append(fes, errs.Field(at+".key", "duplicate", "dashboard.duplicate_param", "param", n, "other", other))
			}
			used[n] = f.Key
		}
		targets := f.Widgets
		if len(targets) == 0 {
			for _, w := range d.Widgets {
				targets = append(targets, w.Key)
			}
		}
		for j, wk := range targets {
			w := widget(d, wk)
			if w == nil {
				fes = append(fes, errs.Field(fmt.Sprintf("%s.widgets.%d", at, j), "not_found", "dashboard.unknown_widget", "key", wk))
				continue
			}
			m := modules[wk]
			if m == nil {
				continue // the widget's own error says why
			}
			field := f.fieldFor(wk)
			if f.Type == "date_range" && field == "" && w.Query.Range != nil {
				continue
			}
			if f.Type == "owner" || f.Type == "department" {
				if field == "" {
					continue // the record owner
				}
			}
			if !hasField(m, field) {
				fes = append(fes, errs.Field(at+".field", "not_found", "dashboard.filter_field", "field", field, "widget", wk, "module", m.Key))
			}
		}
	}
	return fes
}

// fieldFor is the field filter f reads on widget w.
func (f *Filter) fieldFor(w string) string {
	if x, ok := f.Fields[w]; ok {
		return x
	}
	return f.Field
}

func hasField(m *meta.Module, key string) bool {
	switch key {
	case "created_at", "updated_at", "owner", "created_by", "updated_by":
		return true
	}
	return key != "" && m.Field(key) != nil
}

func widget(d *Dashboard, key string) *Widget {
	for i := range d.Widgets {
		if d.Widgets[i].Key == key {
			return &d.Widgets[i]
		}
	}
	return nil
}

// specOf returns a copy of a widget's query (a widget's spec is changed
// per request by the filters).
func specOf(w *Widget) report.Spec {
	q := *w.Query
	q.Dimensions = slices.Clone(q.Dimensions)
	if w.Type == "map" && len(q.Dimensions) == 1 && q.Dimensions[0].Bucket == "" {
		q.Dimensions[0].Bucket = "province" // city codes coloured as their province
	}
	q.Measures = slices.Clone(q.Measures)
	if q.Range != nil {
		r := *q.Range
		q.Range = &r
	}
	return q
}
