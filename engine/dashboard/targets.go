package dashboard

import (
	"context"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/report"
	"github.com/tessera-app/tessera/engine/store"
)

// targets compares targets kept as records of a module (params.targets:
// a number field params.value, a date field params.period saying which
// period a target is for, and who it is for: the record's owner, or with
// by "department" a field params.department holding a department key)
// with the actuals of the spec's module — its one measure (count, or sum
// of a number field) over the records whose Range field falls in the
// period — per owner (by "owner", the default), per department of the
// owner, or in total (by "total"). Targets count when their period field
// falls in the same range. Both sides are read within the actor's scopes;
// attainment is actual / target.
func (s *Service) targets(ctx context.Context, a record.Actor, app string, q report.Spec, o report.Options) (*report.Result, error) {
	if fes := checkTargets("query", &q); len(fes) > 0 {
		return nil, errs.Fields(fes...)
	}
	am, err := s.Meta.Module(ctx, app, q.Module)
	if err != nil {
		return nil, err
	}
	tm, err := s.Meta.Module(ctx, app, param(&q, "targets"))
	if err != nil {
		return nil, err
	}
	aRange, tRange := rangeFilter(q.Range.Field, q.Range), rangeFilter(param(&q, "period"), q.Range)
	actual, ar, err := s.Records.RecordSet(ctx, a, am, q.Filter, o.Filter, aRange)
	if err != nil {
		return nil, err
	}
	target, tr, err := s.Records.RecordSet(ctx, a, tm, tRange)
	if err != nil {
		return nil, err
	}
	meas := q.Measures[0]
	aSide := store.Attainment{Set: actual}
	switch meas.Op {
	case "count":
	case "sum":
		if !numeric(am, meas.Field, ar) {
			return nil, errs.New(errs.Invalid, "dashboard.unknown_field", "field", meas.Field)
		}
		aSide.Sum = meas.Field
	default:
		return nil, errs.New(errs.Invalid, "dashboard.targets_op", "op", meas.Op)
	}
	value := param(&q, "value")
	if !numeric(tm, value, tr) {
		return nil, errs.New(errs.Invalid, "dashboard.unknown_field", "field", value)
	}
	tSide := store.Attainment{Set: target, Sum: value}
	by := param(&q, "by")
	switch by {
	case "", "owner":
		by = "owner"
		tSide.Key, aSide.Key = "owner", "owner"
		if f := param(&q, "owner"); f != "" {
			tSide.Key = f
		}
	case "department":
		aSide.Key = store.ByDepartment
		tSide.Key = param(&q, "department")
		if tSide.Key == "" {
			tSide.Key = "department"
		}
	case "total":
	}
	if tSide.Key != "" && tSide.Key != "owner" && (tm.Field(tSide.Key) == nil || tr.Hidden(tSide.Key)) {
		return nil, errs.New(errs.Invalid, "dashboard.unknown_field", "field", tSide.Key)
	}
	rows, err := s.Store.Attainments(ctx, tSide, aSide)
	if err != nil {
		return nil, err
	}
	res := &report.Result{Columns: []report.Column{col(o.Locale, "target", "number"), col(o.Locale, "actual", "number"),
		col(o.Locale, "attainment", "number")}, Rows: [][]any{}}
	var labels []any
	if by != "total" {
		keys := make([]any, len(rows))
		for i, r := range rows {
			keys[i] = r.Key
		}
		if by == "owner" {
			labels, err = s.userNames(ctx, keys)
		} else {
			labels, err = s.departmentLabels(ctx, keys, o.Locale)
		}
		if err != nil {
			return nil, err
		}
		res.Columns = append([]report.Column{col(o.Locale, by, "string"), col(o.Locale, "key", "string")}, res.Columns...)
	}
	for i, r := range rows {
		t, act := num(r.Target), num(r.Actual)
		var att any
		if tf, ok := t.(float64); ok && tf != 0 {
			af, _ := act.(float64)
			att = round4(af / tf)
		}
		row := []any{t, act, att}
		if by != "total" {
			row = append([]any{labels[i], r.Key}, row...)
		}
		res.Rows = append(res.Rows, row)
	}
	return res, nil
}

// rangeFilter is the expression selecting field within r's dates.
func rangeFilter(field string, r *report.Range) string {
	var conds []string
	if r.From != "" {
		conds = append(conds, field+" >= "+literal(r.From))
	}
	if r.To != "" {
		conds = append(conds, field+" < "+literal(r.To))
	}
	return and(conds...)
}

// labels shows a source's group values: user names for the owner and
// user fields, option labels for selects, titles (as the actor may read
// them) for lookups, the value itself otherwise.
func (s *Service) labels(ctx context.Context, a record.Actor, p *pipe, by string, values []any, locale string) ([]any, error) {
	out := make([]any, len(values))
	if by == "" {
		return out, nil
	}
	f := p.m.Field(by)
	c := meta.Column{Kind: meta.ColRef, RefUsers: true}
	if f != nil {
		c = f.Column()
	}
	for i, v := range values {
		values[i] = store.Decode(c, v)
	}
	switch {
	case c.Kind == meta.ColRef && c.RefUsers:
		return s.userNames(ctx, values)
	case c.Kind == meta.ColRef:
		target, err := s.Meta.Module(ctx, p.m.AppKey, f.Module)
		if err != nil {
			return nil, err
		}
		titles, err := s.Records.Titles(ctx, a, target, ids(values))
		if err != nil {
			return nil, err
		}
		for i, v := range values {
			if t, ok := titles[str(v)]; ok {
				out[i] = t
			} else {
				out[i] = v
			}
		}
		return out, nil
	case f != nil && len(f.Options) > 0:
		for i, v := range values {
			out[i] = v
			for _, op := range f.Options {
				if op.Value == str(v) && op.Label.In(locale) != "" {
					out[i] = op.Label.In(locale)
				}
			}
		}
		return out, nil
	}
	copy(out, values)
	return out, nil
}

// userNames shows user ids as names (nil stays nil: no owner).
func (s *Service) userNames(ctx context.Context, values []any) ([]any, error) {
	for i, v := range values {
		values[i] = store.Decode(meta.Column{Kind: meta.ColRef}, v)
	}
	users, err := s.Store.People(ctx, "", ids(values), len(values)+1)
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for _, u := range users {
		names[u.ID] = u.Name
	}
	out := make([]any, len(values))
	for i, v := range values {
		if n, ok := names[str(v)]; ok {
			out[i] = n
		} else {
			out[i] = v
		}
	}
	return out, nil
}

func (s *Service) departmentLabels(ctx context.Context, values []any, locale string) ([]any, error) {
	depts, _, err := s.Access.Departments(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(values))
	for i, v := range values {
		out[i] = v
		for _, d := range depts {
			if d.Key == str(v) && d.Label.In(locale) != "" {
				out[i] = d.Label.In(locale)
			}
		}
	}
	return out, nil
}

func ids(values []any) []string {
	var out []string
	for _, v := range values {
		if s := str(v); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func init() {
	cols := map[string][2]string{
		"stage": {"Stage", "阶段"}, "stage_key": {"Stage key", "阶段键"}, "records": {"Records", "记录数"},
		"conversion": {"Conversion from previous stage", "较上一阶段转化率"}, "rate": {"Conversion from first stage", "较首阶段转化率"},
		"moves": {"Moves out", "移出次数"}, "avg_days": {"Average days", "平均天数"}, "avg_business_hours": {"Average business hours", "平均工作小时"},
		"month": {"Month", "月份"}, "amount": {"Amount", "金额"}, "weighted": {"Weighted (stage probability)", "加权（阶段概率）"},
		"historical": {"Weighted (historical win rate)", "加权（历史赢单率）"}, "closed": {"Closed", "已结束"}, "won": {"Won", "赢单"},
		"win_rate": {"Win rate", "赢单率"}, "min_days": {"Shortest (days)", "最短（天）"}, "max_days": {"Longest (days)", "最长（天）"},
		"step": {"Step", "步骤"}, "step_key": {"Step key", "步骤键"}, "decided": {"Decided", "已处理"}, "avg_hours": {"Average hours", "平均小时"},
		"approval_rate": {"Approval rate", "通过率"}, "target": {"Target", "目标"}, "actual": {"Actual", "实际"},
		"attainment": {"Attainment", "达成率"}, "owner": {"Owner", "负责人"}, "department": {"Department", "部门"}, "key": {"Key", "键"},
	}
	for k, v := range cols {
		i18n.Register("dashboard.col."+k, map[string]string{i18n.EN: v[0], i18n.ZhCN: v[1]})
	}
}
