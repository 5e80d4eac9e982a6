package dashboard

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/flow"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/report"
	"github.com/tessera-app/tessera/engine/store"
)

// Pipeline analytics as report sources: a spec with Source set to one of
// these names and Params for its arguments. Every source counts only the
// records of Module that the actor may read and that match the spec's
// filter and the dashboard's (store.RecordSet), and aggregates in SQL
// (engine/store/analytics.go). Range, when given, is the period (dates in
// the viewer's time zone, To excluded) the events counted happened in:
// history entries for the funnel, stage times, win rates and cycles,
// decisions for approval steps; for the forecast it bounds the expected
// close date, for targets the actuals' date field and the targets' period.

// source is one registered source: a check of its spec when a dashboard
// is saved (paths under at) and its run.
type source struct {
	check func(at string, q *report.Spec) []errs.FieldError
	run   func(s *Service, ctx context.Context, a record.Actor, app string, q report.Spec, o report.Options) (*report.Result, error)
}

var sources = map[string]source{
	"pipeline.funnel":     {checkDims(0, 0), (*Service).funnel},
	"pipeline.stage_time": {checkDims(0, 0), (*Service).stageTime},
	"pipeline.forecast":   {checkForecast, (*Service).forecast},
	"pipeline.win_rate":   {checkDims(0, 1), (*Service).winRate},
	"pipeline.cycle":      {checkDims(0, 1), (*Service).cycle},
	"approval.step_time":  {checkApproval, (*Service).approvalSteps},
	"targets":             {checkTargets, (*Service).targets},
}

// bound adapts a source to report.Source.
type bound struct {
	s   *Service
	run func(s *Service, ctx context.Context, a record.Actor, app string, q report.Spec, o report.Options) (*report.Result, error)
}

func (b bound) Run(ctx context.Context, a record.Actor, app string, q report.Spec, o report.Options) (*report.Result, error) {
	return b.run(b.s, ctx, a, app, q, o)
}

func (s *Service) registerSources() {
	if s.Reports == nil {
		return
	}
	for name, src := range sources {
		s.Reports.Register(name, bound{s, src.run})
	}
}

func checkDims(lo, hi int) func(string, *report.Spec) []errs.FieldError {
	return func(at string, q *report.Spec) []errs.FieldError {
		if n := len(q.Dimensions); n < lo || n > hi {
			return []errs.FieldError{errs.Field(at+".dimensions", "shape", "dashboard.source_dimensions", "source", q.Source, "max", hi, "got", n)}
		}
		return nil
	}
}

func checkForecast(at string, q *report.Spec) []errs.FieldError {
	fes := checkDims(0, 0)(at, q)
	for _, p := range []string{"amount", "close"} {
		if param(q, p) == "" {
			fes = append(fes, errs.Field(at+".params."+p, "required", "dashboard.param_required", "param", p, "source", q.Source))
		}
	}
	return fes
}

func checkApproval(at string, q *report.Spec) []errs.FieldError {
	fes := checkDims(0, 0)(at, q)
	if param(q, "process") == "" {
		fes = append(fes, errs.Field(at+".params.process", "required", "dashboard.param_required", "param", "process", "source", q.Source))
	}
	return fes
}

// param is a string parameter of a source's spec.
func param(q *report.Spec, name string) string {
	s, _ := q.Params[name].(string)
	return s
}

// pipe is what every pipeline source starts from.
type pipe struct {
	m        *meta.Module
	f        *flow.Flow
	rs       store.RecordSet // the actor's records matching the filters
	scope    store.RecordSet // the actor's records
	rights   *access.ModuleRights
	from, to time.Time
	locale   string
}

// pipeline resolves a pipeline source's module, pipeline (params.flow; the
// module's only one when not named), records and period for actor a. The
// pipeline's stage field hidden from a makes it unknown to them.
func (s *Service) pipeline(ctx context.Context, a record.Actor, app string, q report.Spec, o report.Options) (*pipe, error) {
	m, err := s.Meta.Module(ctx, app, q.Module)
	if err != nil {
		return nil, err
	}
	p := &pipe{m: m, locale: o.Locale}
	if p.rs, p.rights, err = s.Records.RecordSet(ctx, a, m, q.Filter, o.Filter); err != nil {
		return nil, err
	}
	if p.scope, _, err = s.Records.RecordSet(ctx, a, m); err != nil {
		return nil, err
	}
	flows, err := s.Flows.ForModule(ctx, m)
	if err != nil {
		return nil, err
	}
	key := param(&q, "flow")
	for _, f := range flows {
		if f.Key == key || (key == "" && len(flows) == 1) {
			p.f = f
		}
	}
	if p.f == nil || p.rights.Hidden(p.f.Field) {
		if key == "" {
			return nil, errs.New(errs.Invalid, "dashboard.flow_required", "module", m.Key)
		}
		return nil, errs.New(errs.Invalid, "dashboard.unknown_flow", "flow", key, "module", m.Key)
	}
	if p.from, p.to, err = period(q.Range, o.TimeZone); err != nil {
		return nil, err
	}
	return p, nil
}

// period reads a range's bounds as instants (midnight in the viewer's zone
// for dates); nil: unbounded.
func period(r *report.Range, tz string) (from, to time.Time, err error) {
	if r == nil {
		return
	}
	loc := Zone(tz)
	parse := func(name, v string) (time.Time, error) {
		if v == "" {
			return time.Time{}, nil
		}
		if t, err := time.ParseInLocation(time.DateOnly, v, loc); err == nil {
			return t, nil
		}
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return t, nil
		}
		return time.Time{}, errs.New(errs.Invalid, "dashboard.bad_range", "name", name, "value", v)
	}
	if from, err = parse("from", r.From); err != nil {
		return
	}
	to, err = parse("to", r.To)
	if err == nil && !from.IsZero() && !to.IsZero() && !from.Before(to) {
		err = errs.New(errs.Invalid, "dashboard.bad_range", "name", "to", "value", r.To)
	}
	return
}

// states of kinds, in pipeline order.
func (p *pipe) states(kinds ...string) []string {
	var out []string
	for _, st := range p.f.States {
		k := st.Kind
		if k == "" {
			k = flow.KindOpen
		}
		if slices.Contains(kinds, k) {
			out = append(out, st.Key)
		}
	}
	return out
}

func (p *pipe) label(state string) string {
	if st := p.f.State(state); st != nil {
		return st.Label.In(p.locale)
	}
	return state
}

// col is a result column labelled by a message of this package.
func col(locale, key, typ string) report.Column {
	return report.Column{Key: key, Label: i18n.T(locale, i18n.M("dashboard.col."+key)), Type: typ}
}

// funnel: for each open and won state in order, the records whose history
// in the period reached it or a later one, the sum of params.sum over
// them, and the conversion from the state before and from the first.
func (s *Service) funnel(ctx context.Context, a record.Actor, app string, q report.Spec, o report.Options) (*report.Result, error) {
	p, err := s.pipeline(ctx, a, app, q, o)
	if err != nil {
		return nil, err
	}
	sum := param(&q, "sum")
	if sum != "" && !numeric(p.m, sum, p.rights) {
		return nil, errs.New(errs.Invalid, "dashboard.unknown_field", "field", sum)
	}
	rows, err := s.Store.Funnel(ctx, p.rs, p.f.Key, p.states(flow.KindOpen, flow.KindWon), p.from, p.to, sum)
	if err != nil {
		return nil, err
	}
	res := &report.Result{Columns: []report.Column{col(o.Locale, "stage", "string"), col(o.Locale, "stage_key", "string"),
		col(o.Locale, "records", "number"), col(o.Locale, "conversion", "number"), col(o.Locale, "rate", "number")}, Rows: [][]any{}}
	if sum != "" {
		res.Columns = append(res.Columns, report.Column{Key: "sum_" + sum, Label: fieldLabel(p.m, sum, o.Locale), Type: "number"})
	}
	for _, r := range rows {
		row := []any{p.label(r.State), r.State, r.Records, num(r.Conversion), num(r.Rate)}
		if sum != "" {
			row = append(row, num(r.Sum))
		}
		res.Rows = append(res.Rows, row)
	}
	return res, nil
}

// stageTime: for each state in order, the moves out of it in the period and
// the average days (wall) and business hours records had spent in it.
func (s *Service) stageTime(ctx context.Context, a record.Actor, app string, q report.Spec, o report.Options) (*report.Result, error) {
	p, err := s.pipeline(ctx, a, app, q, o)
	if err != nil {
		return nil, err
	}
	rows, err := s.Store.StageTimes(ctx, p.rs, p.f.Key, p.from, p.to)
	if err != nil {
		return nil, err
	}
	by := map[string]store.StageTime{}
	for _, r := range rows {
		by[r.State] = r
	}
	res := &report.Result{Columns: []report.Column{col(o.Locale, "stage", "string"), col(o.Locale, "stage_key", "string"),
		col(o.Locale, "moves", "number"), col(o.Locale, "avg_days", "number"), col(o.Locale, "avg_business_hours", "number")}, Rows: [][]any{}}
	for _, st := range p.f.States {
		r, ok := by[st.Key]
		if !ok {
			res.Rows = append(res.Rows, []any{p.label(st.Key), st.Key, int64(0), nil, nil})
			continue
		}
		res.Rows = append(res.Rows, []any{p.label(st.Key), st.Key, r.Moves, num(r.AvgDays), num(r.AvgBusinessHours)})
	}
	return res, nil
}

func checkTargets(at string, q *report.Spec) []errs.FieldError {
	var fes []errs.FieldError
	for _, p := range []string{"targets", "value", "period"} {
		if param(q, p) == "" {
			fes = append(fes, errs.Field(at+".params."+p, "required", "dashboard.param_required", "param", p, "source", q.Source))
		}
	}
	if len(q.Measures) != 1 {
		fes = append(fes, errs.Field(at+".measures", "shape", "dashboard.bad_measures", "type", q.Source, "want", "1", "got", len(q.Measures)))
	}
	if q.Range == nil || q.Range.Field == "" {
		fes = append(fes, errs.Field(at+".range", "required", "dashboard.range_required", "source", q.Source))
	}
	if by := param(q, "by"); by != "" && by != "owner" && by != "department" && by != "total" {
		fes = append(fes, errs.Field(at+".params.by", "invalid", "dashboard.bad_by", "value", by))
	}
	return fes
}

// extraModules are the modules a spec reads besides its own (a targets
// spec reads its targets module).
func extraModules(q *report.Spec) []string {
	if q.Source == "targets" {
		return []string{param(q, "targets")}
	}
	return nil
}

// forecast: the open records by month of their expected close date
// (params.close), with their amount (params.amount), the amount weighted
// by each stage's fixed probability, and weighted by the stage's
// historical stage-to-won rate over the last params.months months
// (default 6) of history the actor may read.
func (s *Service) forecast(ctx context.Context, a record.Actor, app string, q report.Spec, o report.Options) (*report.Result, error) {
	closeField, amount := param(&q, "close"), param(&q, "amount")
	rng := q.Range
	q.Range = nil // the period bounds the close date, not history
	p, err := s.pipeline(ctx, a, app, q, o)
	if err != nil {
		return nil, err
	}
	if !numeric(p.m, amount, p.rights) {
		return nil, errs.New(errs.Invalid, "dashboard.unknown_field", "field", amount)
	}
	cf := p.m.Field(closeField)
	if cf == nil || p.rights.Hidden(closeField) {
		return nil, errs.New(errs.Invalid, "dashboard.unknown_field", "field", closeField)
	}
	if cf.Column().Kind != meta.ColDate {
		return nil, errs.New(errs.Invalid, "dashboard.want_date", "field", closeField)
	}
	if rng != nil {
		var conds []string
		if rng.From != "" {
			conds = append(conds, closeField+" >= "+literal(rng.From))
		}
		if rng.To != "" {
			conds = append(conds, closeField+" < "+literal(rng.To))
		}
		p.rs.Filters = append(p.rs.Filters, and(conds...))
	}
	months := 6
	if n, ok := Number(q.Params["months"]); ok {
		if n < 1 || n > 120 || n != float64(int(n)) {
			return nil, errs.New(errs.Invalid, "dashboard.bad_months", "max", 120)
		}
		months = int(n)
	}
	fq := store.ForecastQuery{Flow: p.f.Key, Stage: p.f.Field, Amount: amount, Close: closeField,
		Won: p.states(flow.KindWon), Lost: p.states(flow.KindLost), History: p.scope,
		Since: s.Store.Now().AddDate(0, -months, 0)}
	for _, st := range p.f.States {
		if st.Kind == "" || st.Kind == flow.KindOpen {
			fq.Open = append(fq.Open, st.Key)
			fq.Probability = append(fq.Probability, st.Probability)
		}
	}
	if len(fq.Won) == 0 {
		fq.Won = []string{""} // no won state: nothing is ever won
	}
	rows, err := s.Store.Forecast(ctx, p.rs, fq)
	if err != nil {
		return nil, err
	}
	res := &report.Result{Columns: []report.Column{col(o.Locale, "month", "string"), col(o.Locale, "records", "number"),
		col(o.Locale, "amount", "number"), col(o.Locale, "weighted", "number"), col(o.Locale, "historical", "number")}, Rows: [][]any{}}
	for _, r := range rows {
		res.Rows = append(res.Rows, []any{r.Month, r.Records, num(r.Amount), num(r.Weighted), num(r.Historical)})
	}
	return res, nil
}

// winRate: the records that closed (entered the won or lost state they
// are in now) in the period, how many were won and the share, grouped by
// the spec's one dimension when it has one (owner, source, …).
func (s *Service) winRate(ctx context.Context, a record.Actor, app string, q report.Spec, o report.Options) (*report.Result, error) {
	p, err := s.pipeline(ctx, a, app, q, o)
	if err != nil {
		return nil, err
	}
	by, err := dimension(p, q)
	if err != nil {
		return nil, err
	}
	won := p.states(flow.KindWon)
	if len(won) == 0 {
		won = []string{""}
	}
	rows, err := s.Store.WinRates(ctx, p.rs, p.f.Key, p.f.Field, by, won, p.states(flow.KindLost), p.from, p.to)
	if err != nil {
		return nil, err
	}
	res := &report.Result{Rows: [][]any{}}
	cols := []report.Column{col(o.Locale, "closed", "number"), col(o.Locale, "won", "number"), col(o.Locale, "win_rate", "number")}
	values := make([]any, len(rows))
	for i, r := range rows {
		values[i] = r.Value
	}
	labels, err := s.labels(ctx, a, p, by, values, o.Locale)
	if err != nil {
		return nil, err
	}
	if by != "" {
		cols = append([]report.Column{{Key: by, Label: fieldLabel(p.m, by, o.Locale), Type: "string"}}, cols...)
	}
	res.Columns = cols
	for i, r := range rows {
		row := []any{r.Closed, r.Won, num(r.Rate)}
		if by != "" {
			row = append([]any{labels[i]}, row...)
		}
		res.Rows = append(res.Rows, row)
	}
	return res, nil
}

// cycle: the sales cycle of the records won in the period, in days from
// creation to the win (average, shortest, longest), grouped by the spec's
// one dimension when it has one.
func (s *Service) cycle(ctx context.Context, a record.Actor, app string, q report.Spec, o report.Options) (*report.Result, error) {
	p, err := s.pipeline(ctx, a, app, q, o)
	if err != nil {
		return nil, err
	}
	by, err := dimension(p, q)
	if err != nil {
		return nil, err
	}
	won := p.states(flow.KindWon)
	if len(won) == 0 {
		won = []string{""}
	}
	rows, err := s.Store.Cycles(ctx, p.rs, p.f.Key, by, won, p.from, p.to)
	if err != nil {
		return nil, err
	}
	values := make([]any, len(rows))
	for i, r := range rows {
		values[i] = r.Value
	}
	labels, err := s.labels(ctx, a, p, by, values, o.Locale)
	if err != nil {
		return nil, err
	}
	cols := []report.Column{col(o.Locale, "won", "number"), col(o.Locale, "avg_days", "number"),
		col(o.Locale, "min_days", "number"), col(o.Locale, "max_days", "number")}
	if by != "" {
		cols = append([]report.Column{{Key: by, Label: fieldLabel(p.m, by, o.Locale), Type: "string"}}, cols...)
	}
	res := &report.Result{Columns: cols, Rows: [][]any{}}
	for i, r := range rows {
		row := []any{r.Won, num(r.AvgDays), num(r.MinDays), num(r.MaxDays)}
		if by != "" {
			row = append([]any{labels[i]}, row...)
		}
		res.Rows = append(res.Rows, row)
	}
	return res, nil
}

// approvalSteps: per step of approval process params.process (in the
// current version's order), the tasks decided in the period on records
// the actor may read, the average hours to decide and the approval share.
func (s *Service) approvalSteps(ctx context.Context, a record.Actor, app string, q report.Spec, o report.Options) (*report.Result, error) {
	m, err := s.Meta.Module(ctx, app, q.Module)
	if err != nil {
		return nil, err
	}
	proc, err := s.Approvals.Process(ctx, app, param(&q, "process"))
	if err != nil {
		return nil, err
	}
	if proc.Module != m.Key {
		return nil, errs.New(errs.Invalid, "dashboard.process_module", "process", proc.Key, "module", m.Key)
	}
	rs, _, err := s.Records.RecordSet(ctx, a, m, q.Filter, o.Filter)
	if err != nil {
		return nil, err
	}
	from, to, err := period(q.Range, o.TimeZone)
	if err != nil {
		return nil, err
	}
	rows, err := s.Store.ApprovalStepTimes(ctx, rs, proc.Key, from, to)
	if err != nil {
		return nil, err
	}
	by := map[string]store.StepTime{}
	for _, r := range rows {
		by[r.Step] = r
	}
	res := &report.Result{Columns: []report.Column{col(o.Locale, "step", "string"), col(o.Locale, "step_key", "string"),
		col(o.Locale, "decided", "number"), col(o.Locale, "avg_hours", "number"), col(o.Locale, "approval_rate", "number")}, Rows: [][]any{}}
	add := func(key, label string) {
		r, ok := by[key]
		if !ok {
			res.Rows = append(res.Rows, []any{label, key, int64(0), nil, nil})
			return
		}
		res.Rows = append(res.Rows, []any{label, key, r.Decided, num(r.AvgHours), num(r.ApprovalRate)})
		delete(by, key)
	}
	for _, st := range proc.Steps {
		add(st.Key, st.Label.In(o.Locale))
	}
	for _, r := range rows { // steps of older versions
		if _, left := by[r.Step]; left {
			add(r.Step, r.Step)
		}
	}
	return res, nil
}

// dimension is the field a source groups by: the spec's one dimension
// ("" without), which must be a field (or owner) the actor may see.
func dimension(p *pipe, q report.Spec) (string, error) {
	if len(q.Dimensions) == 0 {
		return "", nil
	}
	d := q.Dimensions[0]
	if d.Bucket != "" {
		return "", errs.New(errs.Invalid, "dashboard.source_bucket", "source", q.Source)
	}
	if _, ok := p.rs.Column(d.Field); !ok || (d.Field != "owner" && p.m.Field(d.Field) == nil) {
		return "", errs.New(errs.Invalid, "dashboard.unknown_field", "field", d.Field)
	}
	return d.Field, nil
}

// numeric reports whether key is a number field of m the rights show.
func numeric(m *meta.Module, key string, r *access.ModuleRights) bool {
	f := m.Field(key)
	if f == nil || r.Hidden(key) {
		return false
	}
	switch f.Column().Kind {
	case meta.ColInteger, meta.ColFloat, meta.ColDecimal:
		return true
	}
	return false
}

func fieldLabel(m *meta.Module, key, locale string) string {
	if f := m.Field(key); f != nil {
		if l := f.Label.In(locale); l != "" {
			return l
		}
	}
	if key == "owner" {
		return i18n.T(locale, i18n.M("dashboard.col.owner"))
	}
	return key
}

// num turns an aggregate from the database into a float64 (nil stays nil).
func num(v any) any {
	if v == nil {
		return nil
	}
	if f, ok := Number(v); ok {
		return f
	}
	return fmt.Sprint(v)
}
