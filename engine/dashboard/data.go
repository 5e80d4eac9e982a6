package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/report"
	"github.com/tessera-app/tessera/engine/store"
)

// Params are the values of a data call's dashboard-level filters: from and
// to (dates, to excluded), owner (a user id or "me"), department (a key)
// and one value per select filter, by its key. Missing values leave the
// filter off.
type Params map[string]string

// View is who looks and how: the viewer, their language and time zone.
type View struct {
	User     *access.User
	Locale   string
	TimeZone string
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// task is one query of a data call; a widget has one or more (a KPI's
// sparkline, a pivot's totals).
type task struct {
	widget string
	part   string // "" for the widget's own query
	run    func(ctx context.Context) (any, error)
	out    any
	err    error
}

// Data returns the data of every widget of dashboard key, by widget key.
// Every widget's queries run concurrently (at most Parallel at once). A
// widget whose query fails — its module was deleted, a field it groups by
// is hidden from whoever it runs as — gets {"error": {code, message}} in
// the viewer's language; the others still return their data. Aggregates
// run as the viewer, or as the publisher on a run-as-publisher dashboard;
// record lists always run as the viewer (they show records, and a record
// is shown only to who may read it).
func (s *Service) Data(ctx context.Context, v View, app, key string, p Params) (map[string]any, error) {
	c, err := s.call(ctx, v, app, key, p)
	if err != nil {
		return nil, err
	}
	var tasks []*task
	for i := range c.d.Widgets {
		tasks = append(tasks, s.widgetTasks(app, &c.d.Widgets[i], c.f, c.viewer, c.runner, c.opts)...)
	}
	s.runAll(ctx, tasks)
	out := map[string]any{}
	parts := map[string]map[string]any{}
	for _, t := range tasks {
		if t.err != nil {
			if _, failed := out[t.widget].(widgetError); !failed {
				out[t.widget] = s.widgetError(v.Locale, t.widget, t.err)
			}
			continue
		}
		if t.part == "" {
			if _, failed := out[t.widget].(widgetError); !failed {
				out[t.widget] = t.out
			}
			continue
		}
		if parts[t.widget] == nil {
			parts[t.widget] = map[string]any{}
		}
		parts[t.widget][t.part] = t.out
	}
	for i := range c.d.Widgets {
		w := &c.d.Widgets[i]
		if res, ok := out[w.Key].(*report.Result); ok {
			out[w.Key] = assemble(w, res, parts[w.Key])
		}
	}
	return out, nil
}

// dataCall is what a data call works with: the dashboard as the viewer
// sees it, who reads (the viewer, and who the aggregates run as), the
// viewer's options and each widget's filters.
type dataCall struct {
	d              *Dashboard
	viewer, runner record.Actor
	opts           report.Options
	f              map[string]applied
}

func (s *Service) call(ctx context.Context, v View, app, key string, p Params) (*dataCall, error) {
	d, err := s.Get(ctx, v.User, app, key)
	if err != nil {
		return nil, err
	}
	c := &dataCall{d: d, viewer: record.Actor{User: v.User, Via: "dashboard"}}
	if c.viewer.Principal, err = s.principal(ctx, v.User); err != nil {
		return nil, err
	}
	c.runner = c.viewer
	if d.RunAs == RunAsPublisher && d.Publisher != v.User.ID {
		if c.runner, err = s.publisher(ctx, d); err != nil {
			return nil, err
		}
	}
	c.opts = report.Options{Locale: v.Locale, TimeZone: v.TimeZone}
	if c.f, err = s.filters(ctx, d, v, p); err != nil {
		return nil, err
	}
	return c, nil
}

// WidgetData is one widget's data as a data call computes it (Data): the
// same queries, as the same actor, with the same dashboard filters.
type WidgetData struct {
	Dashboard *Dashboard
	Widget    *Widget
	// Spec is the widget's query with the dashboard's date range applied
	// to its range; Filter is the dashboard filters' expression on it
	// (a record list reads Spec.Filter and Filter together).
	Spec   report.Spec
	Filter string
	// Result is the widget's data as Data returns it under its key
	// ("columns", "rows" and the type's parts); nil for a record list,
	// whose records the caller reads itself as the viewer (Viewer).
	Result map[string]any
	// Columns and Rows are the result's main table, as report returns it.
	Columns []report.Column
	Rows    [][]any
	Viewer  record.Actor
}

// Widget computes the data of one widget of dashboard key as v sees it,
// with the dashboard filters' values p — the code path of Data, for that
// widget alone. A widget the dashboard does not have is not found; a
// widget whose queries fail (its module deleted, a field hidden from
// whoever it runs as) returns the first failure's error.
func (s *Service) Widget(ctx context.Context, v View, app, key, widget string, p Params) (*WidgetData, error) {
	c, err := s.call(ctx, v, app, key, p)
	if err != nil {
		return nil, err
	}
	var w *Widget
	for i := range c.d.Widgets {
		if c.d.Widgets[i].Key == widget {
			w = &c.d.Widgets[i]
		}
	}
	if w == nil {
		return nil, errs.New(errs.NotFound, "dashboard.widget_not_found", "widget", widget, "key", key)
	}
	out := &WidgetData{Dashboard: c.d, Widget: w, Spec: specOf(w), Viewer: c.viewer}
	af := c.f[w.Key]
	if af.err != nil {
		return nil, s.failed(v.Locale, w, af.err)
	}
	if af.rng != nil {
		out.Spec.Range.From, out.Spec.Range.To = af.rng[0], af.rng[1]
	}
	out.Filter = af.expr
	if w.Type == "list" {
		if _, err := s.Meta.Module(ctx, app, out.Spec.Module); err != nil {
			return nil, s.failed(v.Locale, w, err)
		}
		return out, nil
	}
	tasks := s.widgetTasks(app, w, c.f, c.viewer, c.runner, c.opts)
	s.runAll(ctx, tasks)
	parts := map[string]any{}
	var res *report.Result
	for _, t := range tasks {
		if t.err != nil {
			return nil, s.failed(v.Locale, w, t.err)
		}
		if t.part == "" {
			res, _ = t.out.(*report.Result)
			continue
		}
		parts[t.part] = t.out
	}
	if res == nil {
		return nil, s.failed(v.Locale, w, fmt.Errorf("widget %s: no result", w.Key))
	}
	out.Columns, out.Rows = res.Columns, res.Rows
	out.Result, _ = assemble(w, res, parts).(map[string]any)
	return out, nil
}

// failed is the error of a widget that cannot be computed: "widget X
// cannot be computed" with the reason (the query's own message and field
// errors). What the widget refers to and is gone (its module, a field) is
// a conflict with the dashboard's definition (409), not a missing
// resource of the request; other refusals keep their code, and internal
// failures are logged and told without their detail.
func (s *Service) failed(locale string, w *Widget, err error) error {
	e, ok := errs.As(err)
	if !ok || e.Code == errs.Internal {
		if s.Log != nil {
			s.Log.Error("dashboard widget failed", "widget", w.Key, "err", err)
		}
		return errs.Wrap(err, errs.Internal, "dashboard.widget_failed")
	}
	title := w.Title.In(locale)
	if title == "" {
		title = w.Key
	}
	code := e.Code
	if code == errs.NotFound {
		code = errs.Conflict
	}
	out := errs.Wrap(err, code, "dashboard.widget_error", "widget", title, "reason", errs.Detail(err))
	out.Fields = e.Fields
	return out
}

// publisher is the actor a run-as-publisher dashboard reads as.
func (s *Service) publisher(ctx context.Context, d *Dashboard) (record.Actor, error) {
	u, err := s.Store.UserByID(ctx, d.Publisher)
	if err != nil || u.Disabled {
		return record.Actor{}, errs.New(errs.Conflict, "dashboard.publisher_gone", "key", d.Key)
	}
	a := record.Actor{User: u, Via: "dashboard"}
	if a.Principal, err = s.principal(ctx, u); err != nil {
		return record.Actor{}, err
	}
	return a, nil
}

func (s *Service) runAll(ctx context.Context, tasks []*task) {
	n := s.Parallel
	if n <= 0 {
		n = 4
	}
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, t := range tasks {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() {
				if r := recover(); r != nil {
					t.err = fmt.Errorf("widget %s panicked: %v", t.widget, r)
				}
				<-sem
				wg.Done()
			}()
			t.out, t.err = t.run(ctx)
		}()
	}
	wg.Wait()
}

// widgetError is a widget's error entry.
type widgetError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func (s *Service) widgetError(locale, widget string, err error) widgetError {
	var we widgetError
	e, ok := errs.As(err)
	if !ok || e.Code == errs.Internal {
		if s.Log != nil {
			s.Log.Error("dashboard widget failed", "widget", widget, "err", err)
		}
		e = errs.New(errs.Internal, "dashboard.widget_failed")
	}
	we.Error.Code = string(e.Code)
	we.Error.Message = i18n.T(locale, e.Msg)
	for _, fe := range e.Fields {
		we.Error.Message += " " + i18n.T(locale, fe.Msg)
	}
	return we
}

// widgetTasks are the queries of one widget with the dashboard's filters
// applied (f: widget key → its filter expression and range bounds).
func (s *Service) widgetTasks(app string, w *Widget, f map[string]applied, viewer, runner record.Actor, opts report.Options) []*task {
	spec := specOf(w)
	af := f[w.Key]
	if af.err != nil {
		return []*task{{widget: w.Key, run: func(context.Context) (any, error) { return nil, af.err }}}
	}
	if af.rng != nil {
		spec.Range.From, spec.Range.To = af.rng[0], af.rng[1]
	}
	o := opts
	o.Filter = af.expr
	run := func(part string, sp report.Spec) *task {
		return &task{widget: w.Key, part: part, run: func(ctx context.Context) (any, error) {
			return s.Reports.Run(ctx, runner, app, sp, o)
		}}
	}
	switch w.Type {
	case "list":
		return []*task{{widget: w.Key, run: func(ctx context.Context) (any, error) {
			return s.list(ctx, viewer, app, w, spec, af.expr)
		}}}
	case "kpi":
		tasks := []*task{run("", spec)}
		if sp, ok := w.Options["sparkline"].(map[string]any); ok && spec.Source == "" {
			line := spec
			line.Compare = ""
			bucket, _ := sp["bucket"].(string)
			if bucket == "" {
				bucket = "month"
			}
			field, _ := sp["field"].(string)
			line.Dimensions = []report.Dimension{{Field: field, Bucket: bucket}}
			line.Sort = []report.Sort{{Key: field}}
			tasks = append(tasks, run("sparkline", line))
		}
		return tasks
	case "pivot":
		if spec.Source != "" || len(spec.Dimensions) != 2 {
			break
		}
		rows, cols, total := spec, spec, spec
		rows.Dimensions = spec.Dimensions[:1]
		cols.Dimensions = spec.Dimensions[1:]
		total.Dimensions = nil
		for _, sp := range []*report.Spec{&rows, &cols, &total} {
			sp.Sort, sp.Limit, sp.Compare = nil, 0, ""
		}
		return []*task{run("", spec), run("row_totals", rows), run("column_totals", cols), run("total", total)}
	case "leaderboard":
		if len(spec.Sort) == 0 && len(spec.Measures) > 0 && spec.Source == "" {
			spec.Sort = []report.Sort{{Key: measureKey(spec.Measures[0]), Desc: true}}
		}
		if spec.Limit == 0 {
			spec.Limit = 10
		}
	}
	return []*task{run("", spec)}
}

// measureKey is the result column of a measure: its name, else op_field.
func measureKey(m report.Measure) string {
	if m.As != "" {
		return m.As
	}
	if m.Field == "" {
		return m.Op
	}
	return m.Op + "_" + m.Field
}

// assemble adds a widget's extra parts to its result: a KPI's value,
// previous value, delta and sparkline; a pivot's totals.
func assemble(w *Widget, res *report.Result, parts map[string]any) any {
	out := map[string]any{"columns": res.Columns, "rows": res.Rows}
	if res.CompareRows != nil {
		out["compare_rows"] = res.CompareRows
	}
	for k, v := range parts {
		out[k] = v
	}
	if w.Type == "kpi" || w.Type == "gauge" {
		value := first(res.Rows)
		out["value"] = value
		if res.CompareRows != nil {
			prev := first(res.CompareRows)
			out["previous"] = prev
			if a, ok := Number(value); ok {
				if b, ok := Number(prev); ok && b != 0 {
					out["delta"] = round4((a - b) / b)
				}
			}
		}
	}
	return out
}

// first is the first cell of the last column of a one-row result with no
// dimensions: the first measure (nil without rows).
func first(rows [][]any) any {
	if len(rows) == 0 || len(rows[0]) == 0 {
		return nil
	}
	return rows[0][0]
}

// list is a record-list widget's page: the records of the query's module
// matching its filter and the dashboard's, as the viewer may read them,
// in options.sort order, options.limit of them (default 10), keeping only
// options.fields (and id) when given.
func (s *Service) list(ctx context.Context, viewer record.Actor, app string, w *Widget, spec report.Spec, extra string) (any, error) {
	m, err := s.Meta.Module(ctx, app, spec.Module)
	if err != nil {
		return nil, err
	}
	limit := 10
	if n, ok := Number(w.Options["limit"]); ok {
		limit = int(n)
	}
	sort, _ := w.Options["sort"].(string)
	page, err := s.Records.List(ctx, viewer, m, store.ListQuery{Filter: and(spec.Filter, extra), Sort: sort, Limit: limit}, nil)
	if err != nil {
		return nil, err
	}
	if fields, ok := w.Options["fields"].([]any); ok {
		for i, rec := range page.Records {
			kept := store.Record{"id": rec["id"]}
			for _, f := range fields {
				if k, ok := f.(string); ok {
					if v, ok := rec[k]; ok {
						kept[k] = v
					}
				}
			}
			page.Records[i] = kept
		}
	}
	return map[string]any{"records": page.Records, "next_cursor": page.Next}, nil
}

// and joins filter expressions with &&.
func and(parts ...string) string {
	var kept []string
	for _, p := range parts {
		if strings.TrimSpace(p) != "" {
			kept = append(kept, "("+p+")")
		}
	}
	return strings.Join(kept, " && ")
}

// applied is what the dashboard's filters make of one widget: an extra
// filter expression, range bounds replacing its query's, or an error.
type applied struct {
	expr string
	rng  *[2]string
	err  error
}

// filters turns the request's filter values into each widget's filter
// expression. Bad values are a 400 for the whole call; a field a widget's
// module lost since is that widget's error.
func (s *Service) filters(ctx context.Context, d *Dashboard, v View, p Params) (map[string]applied, error) {
	out := map[string]applied{}
	loc := Zone(v.TimeZone)
	for _, name := range []string{"from", "to"} {
		if val := p[name]; val != "" {
			if _, err := time.Parse(time.DateOnly, val); err != nil {
				return nil, errs.New(errs.Invalid, "dashboard.bad_param", "name", name, "value", val)
			}
		}
	}
	for _, f := range d.Filters {
		var values []string
		switch f.Type {
		case "date_range":
			from, to := p["from"], p["to"]
			if from == "" && to == "" {
				continue
			}
			for name, val := range map[string]string{"from": from, "to": to} {
				if val != "" {
					if _, err := time.Parse(time.DateOnly, val); err != nil {
						return nil, errs.New(errs.Invalid, "dashboard.bad_param", "name", name, "value", val)
					}
				}
			}
			values = []string{from, to}
		case "owner":
			o := p["owner"]
			if o == "" {
				continue
			}
			if o == "me" {
				o = v.User.ID
			}
			if !uuidRE.MatchString(strings.ToLower(o)) {
				return nil, errs.New(errs.Invalid, "dashboard.bad_param", "name", "owner", "value", o)
			}
			values = []string{strings.ToLower(o)}
		case "department":
			key := p["department"]
			if key == "" {
				continue
			}
			ids, err := s.members(ctx, key)
			if err != nil {
				return nil, err
			}
			values = ids
		case "select":
			val := p[f.Key]
			if val == "" {
				continue
			}
			values = []string{val}
		}
		for _, w := range d.Widgets {
			if len(f.Widgets) > 0 && !contains(f.Widgets, w.Key) {
				continue
			}
			a := out[w.Key]
			if a.err != nil {
				continue
			}
			field := f.fieldFor(w.Key)
			if f.Type == "date_range" && field == "" && w.Query != nil && w.Query.Range != nil {
				a.rng = &[2]string{values[0], values[1]}
				if a.rng[0] == "" {
					a.rng[0] = w.Query.Range.From
				}
				if a.rng[1] == "" {
					a.rng[1] = w.Query.Range.To
				}
				out[w.Key] = a
				continue
			}
			cond, err := s.condition(ctx, d, &w, f, field, values, loc)
			if err != nil {
				a.err = err
			} else {
				a.expr = and(a.expr, cond)
			}
			out[w.Key] = a
		}
	}
	return out, nil
}

// condition is filter f with values as an expression on field of widget
// w's module. Values are written as JSON string literals, which the
// expression language reads as strings, so a value cannot become syntax.
func (s *Service) condition(ctx context.Context, d *Dashboard, w *Widget, f Filter, field string, values []string, loc *time.Location) (string, error) {
	m, err := s.Meta.Module(ctx, d.App, w.Query.Module)
	if err != nil {
		return "", err
	}
	if field == "" && (f.Type == "owner" || f.Type == "department") {
		field = "owner"
	}
	if !hasField(m, field) {
		return "", errs.New(errs.Invalid, "dashboard.filter_field_gone", "field", field, "module", m.Key)
	}
	switch f.Type {
	case "date_range":
		datetime := field == "created_at" || field == "updated_at"
		if fd := m.Field(field); fd != nil {
			switch fd.Column().Kind {
			case meta.ColTime:
				datetime = true
			case meta.ColDate:
			default:
				return "", errs.New(errs.Invalid, "dashboard.filter_not_date", "field", field)
			}
		}
		var conds []string
		for i, op := range []string{">=", "<"} {
			if values[i] == "" {
				continue
			}
			bound := values[i]
			if datetime {
				t, _ := time.ParseInLocation(time.DateOnly, bound, loc)
				bound = t.Format(time.RFC3339)
			}
			conds = append(conds, field+" "+op+" "+literal(bound))
		}
		return strings.Join(conds, " && "), nil
	case "select":
		fd := m.Field(field)
		if fd != nil && len(fd.Options) > 0 && !hasOption(fd, values[0]) {
			return "", errs.New(errs.Invalid, "dashboard.bad_option", "value", values[0], "field", field)
		}
		if fd != nil && fd.Type.Name() == "multiselect" {
			return field + " contains " + literal(values[0]), nil
		}
		return field + " == " + literal(values[0]), nil
	default: // owner, department: one user or the members of a department
		if len(values) == 1 && f.Type == "owner" {
			return field + " == " + literal(values[0]), nil
		}
		lits := make([]string, len(values))
		for i, v := range values {
			lits[i] = literal(v)
		}
		return field + " in [" + strings.Join(lits, ", ") + "]", nil
	}
}

// members are the ids of the users of department key and of every
// department below it.
func (s *Service) members(ctx context.Context, key string) ([]string, error) {
	var ids []string
	queue := []string{key}
	seen := map[string]bool{}
	for len(queue) > 0 {
		k := queue[0]
		queue = queue[1:]
		if seen[k] {
			continue
		}
		seen[k] = true
		_, children, users, err := s.Access.Department(ctx, k)
		if err != nil {
			if errs.CodeOf(err) == errs.NotFound {
				return nil, errs.New(errs.Invalid, "dashboard.bad_param", "name", "department", "value", key)
			}
			return nil, err
		}
		for _, u := range users {
			ids = append(ids, u.ID)
		}
		for _, c := range children {
			queue = append(queue, c.Key)
		}
	}
	if len(ids) == 0 {
		ids = []string{"00000000-0000-0000-0000-000000000000"} // nobody: no record matches
	}
	return ids, nil
}

func literal(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func hasOption(f *meta.Field, v string) bool {
	for _, o := range f.Options {
		if o.Value == v {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Zone is the viewer's time zone by name (Asia/Shanghai when empty, UTC
// when unknown), as the dashboard's queries read dates.
func Zone(name string) *time.Location {
	if name == "" {
		name = "Asia/Shanghai"
	}
	if loc, err := time.LoadLocation(name); err == nil {
		return loc
	}
	return time.UTC
}

// Number reads a JSON number (float64 or json.Number) or a numeric string.
func Number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(n, 64)
		return f, err == nil
	}
	return 0, false
}

func round4(x float64) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', 4, 64), 64)
	return f
}
