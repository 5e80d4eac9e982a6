package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/expr"
	"github.com/tessera-app/tessera/engine/meta"
)

// Pipeline analytics (engine/dashboard's report sources): aggregates over
// the stage history and the approval tables, each one SQL statement that
// counts only records of a RecordSet — the caller's read scope and
// filters, rendered like a list's WHERE — so figures never include a
// record the caller could not list.

// RecordSet selects the live records of Module one caller may read: Where
// (their record scopes), Filters (expressions, all of which must hold),
// translated with Hidden fields unknown, through the Lookups they may read
// and with the named Consts — the same parts as a ListQuery.
type RecordSet struct {
	Module  *meta.Module
	Where   []Cond
	Filters []string
	Hidden  map[string]bool
	Lookups map[string]Lookup
	Consts  expr.Consts
}

// stmt builds one statement, writing each placeholder as the dialect
// wants it at the point it appears, so text and arguments stay in order.
type stmt struct {
	d    Dialect
	b    strings.Builder
	args []any
	now  time.Time // the store's clock, for now and today in filters
}

func (q *stmt) sql(s string) *stmt { q.b.WriteString(s); return q }

// arg writes a placeholder bound to v.
func (q *stmt) arg(v any) *stmt {
	q.args = append(q.args, v)
	q.b.WriteString(q.d.Placeholder(len(q.args)))
	return q
}

// list writes "(?, ?, …)" bound to vs.
func (q *stmt) list(vs []string) *stmt {
	q.b.WriteString("(")
	for i, v := range vs {
		if i > 0 {
			q.b.WriteString(", ")
		}
		q.arg(v)
	}
	q.b.WriteString(")")
	return q
}

// records writes the WHERE conditions of rs (live rows of its module,
// referred to by its table name).
func (q *stmt) records(rs RecordSet) error {
	w := &whereBuilder{d: q.d, now: q.now, m: rs.Module, args: q.args}
	w.add(Quote(rs.Module.Table) + `."deleted_at" IS NULL`)
	if err := w.conds(rs.Where); err != nil {
		return err
	}
	for _, f := range rs.Filters {
		if err := w.filter(f, readable{rs.Hidden, rs.Lookups, rs.Consts}); err != nil {
			return err
		}
	}
	q.b.WriteString(w.sql())
	q.args = w.args
	return nil
}

// inSet writes `col IN (SELECT "id" FROM <module> WHERE <rs>)`.
func (q *stmt) inSet(col string, rs RecordSet) error {
	q.sql(col + ` IN (SELECT "id" FROM ` + tableRef(rs.Module) + ` WHERE `)
	if err := q.records(rs); err != nil {
		return err
	}
	q.sql(")")
	return nil
}

// period writes "AND col >= from AND col < to" for the bounds that are set.
func (q *stmt) period(col string, from, to time.Time) {
	if !from.IsZero() {
		q.sql(" AND " + col + " >= ").arg(TimeArg(q.d, from))
	}
	if !to.IsZero() {
		q.sql(" AND " + col + " < ").arg(TimeArg(q.d, to))
	}
}

// history writes the conditions selecting a pipeline's rows of h.
func (q *stmt) history(h string, m *meta.Module, flow string) {
	q.sql(h + `.app = `).arg(m.AppKey).sql(` AND ` + h + `.module = `).arg(m.Key).sql(` AND ` + h + `.flow_key = `).arg(flow)
}

func (s *Store) rows(ctx context.Context, q *stmt, n int) ([][]any, error) {
	rows, err := s.readQuery(ctx, q.b.String(), q.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := [][]any{}
	for rows.Next() {
		vals := make([]any, n)
		ptrs := make([]any, n)
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				vals[i] = string(b) // PostgreSQL NUMERIC and text arrive as bytes
			}
		}
		out = append(out, vals)
	}
	return out, rows.Err()
}

// Column returns the SQL of a field (or the system key "owner") of rs's
// module for grouping, or false when it is unknown or hidden.
func (rs RecordSet) Column(key string) (string, bool) {
	if rs.Hidden[key] {
		return "", false
	}
	col, ok := Resolver(rs.Module)(key)
	if !ok || key == "id" {
		return "", false
	}
	return Quote(rs.Module.Table) + "." + col.SQL, true
}

// FunnelRow is one state of a funnel: how many records of the set reached
// it (or a state after it) in the period, and the sum of a field over them.
type FunnelRow struct {
	State   string
	Records int64
	Sum     any
	// Conversion is Records over the previous state's, Rate over the
	// first state's (nil where that is 0 or there is none).
	Conversion, Rate any
}

// Funnel counts, for each of states (in pipeline order, lost states left
// out by the caller), the records of rs whose history in [from, to) entered
// that state or a later one of the list; sum ("" for none) is summed over
// those records. One statement: each record's furthest state, joined to
// the list of states.
func (s *Store) Funnel(ctx context.Context, rs RecordSet, flow string, states []string, from, to time.Time, sum string) ([]FunnelRow, error) {
	if len(states) == 0 {
		return []FunnelRow{}, nil
	}
	m := rs.Module
	q := &stmt{d: s.D, now: s.Now()}
	sumSQL := "NULL"
	if sum != "" {
		col, ok := rs.Column(sum)
		if !ok {
			return nil, errs.New(errs.Invalid, "store.bad_sum", "name", sum)
		}
		sumSQL = "sum(" + col + ")"
	}
	n := `count(r.record_id)`
	q.sql(`SELECT st.column1, ` + n + `, ` + sumSQL + `, ` + n + ` * 1.0 / NULLIF(lag(` + n + `) OVER (ORDER BY st.column2), 0), ` +
		n + ` * 1.0 / NULLIF(first_value(` + n + `) OVER (ORDER BY st.column2), 0) FROM (VALUES `)
	for i, st := range states {
		if i > 0 {
			q.sql(", ")
		}
		q.sql("(").arg(st).sql(fmt.Sprintf(", %d)", i))
	}
	q.sql(`) AS st LEFT JOIN (SELECT h.record_id, max(CASE h.to_state`)
	for i, st := range states {
		q.sql(" WHEN ").arg(st).sql(fmt.Sprintf(" THEN %d", i))
	}
	q.sql(` END) AS ord FROM stage_history h WHERE `)
	q.history("h", m, flow)
	q.period("h.at", from, to)
	q.sql(` AND h.to_state IN `).list(states).sql(` AND `)
	if err := q.inSet("h.record_id", rs); err != nil {
		return nil, err
	}
	q.sql(` GROUP BY h.record_id) r ON r.ord >= st.column2`)
	if sum != "" {
		q.sql(` LEFT JOIN ` + tableRef(m) + ` ON ` + Quote(m.Table) + `."id" = r.record_id`)
	}
	q.sql(` GROUP BY st.column1, st.column2 ORDER BY st.column2`)
	rows, err := s.rows(ctx, q, 5)
	if err != nil {
		return nil, err
	}
	out := make([]FunnelRow, len(rows))
	for i, r := range rows {
		out[i] = FunnelRow{State: fmt.Sprint(r[0]), Records: toInt(r[1]), Sum: r[2], Conversion: r[3], Rate: r[4]}
	}
	return out, nil
}

// StageTime is how long records of a set stayed in one state, over the
// moves out of it: their number, the average days (wall) and the average
// business hours (nil when none were counted).
type StageTime struct {
	State            string
	Moves            int64
	AvgDays          any
	AvgBusinessHours any
}

// StageTimes averages the time in each state over the moves out of it in
// [from, to) of records of rs: one GROUP BY over the history.
func (s *Store) StageTimes(ctx context.Context, rs RecordSet, flow string, from, to time.Time) ([]StageTime, error) {
	q := &stmt{d: s.D, now: s.Now()}
	q.sql(`SELECT h.from_state, count(*), avg(h.seconds_in_prev) / 86400.0, avg(h.business_seconds_in_prev) / 3600.0 FROM stage_history h WHERE `)
	q.history("h", rs.Module, flow)
	q.sql(` AND h.from_state IS NOT NULL`)
	q.period("h.at", from, to)
	q.sql(" AND ")
	if err := q.inSet("h.record_id", rs); err != nil {
		return nil, err
	}
	q.sql(` GROUP BY h.from_state`)
	rows, err := s.rows(ctx, q, 4)
	if err != nil {
		return nil, err
	}
	out := make([]StageTime, len(rows))
	for i, r := range rows {
		out[i] = StageTime{State: fmt.Sprint(r[0]), Moves: toInt(r[1]), AvgDays: r[2], AvgBusinessHours: r[3]}
	}
	return out, nil
}

// ForecastQuery asks for the weighted forecast of the open records of a
// set by month of an expected-close date field.
type ForecastQuery struct {
	Flow  string
	Stage string // the pipeline's field
	// Open are the open states with their fixed probability (percent);
	// Won and Lost the closing states.
	Open        []string
	Probability []float64
	Won, Lost   []string
	Amount      string // number field
	Close       string // date field
	// Since starts the history the stage-to-won rates are learnt from;
	// History is the set whose history counts (the caller's scope,
	// without the widget's filters).
	Since   time.Time
	History RecordSet
}

// ForecastRow is one month: the open records expected to close in it,
// their amount, the amount weighted by each stage's fixed probability and
// weighted by the stage's historical rate.
type ForecastRow struct {
	Month      any // "2026-04", nil for records without a close date
	Records    int64
	Amount     any
	Weighted   any
	Historical any
}

// Forecast computes the forecast in one statement. A stage's historical
// rate is, of the records of q.History that entered it since q.Since and
// have closed since, the share that were won (a record won after being
// lost counts as won); a stage without such records has rate 0.
func (s *Store) Forecast(ctx context.Context, rs RecordSet, fq ForecastQuery) ([]ForecastRow, error) {
	m := rs.Module
	stage, ok1 := rs.Column(fq.Stage)
	amount, ok2 := rs.Column(fq.Amount)
	closeCol, ok3 := rs.Column(fq.Close)
	if !ok1 || !ok2 || !ok3 || len(fq.Open) == 0 {
		return nil, errs.New(errs.Invalid, "store.bad_group", "name", fq.Amount+","+fq.Close)
	}
	month := `to_char(` + closeCol + `, 'YYYY-MM')`
	if s.D.Name() == "sqlite" {
		month = `substr(` + closeCol + `, 1, 7)`
	}
	q := &stmt{d: s.D, now: s.Now()}
	q.sql(`SELECT ` + month + `, count(*), sum(` + amount + `), sum(` + amount + ` * CASE ` + stage)
	for i, st := range fq.Open {
		// A float64 from the pipeline's metadata, written as a literal: a
		// bound parameter would be typed by PostgreSQL from the ELSE branch.
		q.sql(" WHEN ").arg(st).sql(" THEN " + strconv.FormatFloat(fq.Probability[i], 'f', -1, 64))
	}
	q.sql(` ELSE 0 END) / 100.0, sum(` + amount + ` * COALESCE(rt.rate, 0)) FROM ` + tableRef(m) +
		` LEFT JOIN (SELECT e.to_state AS state, avg(c.won) AS rate FROM (SELECT DISTINCT h.record_id, h.to_state FROM stage_history h WHERE `)
	q.history("h", m, fq.Flow)
	q.period("h.at", fq.Since, time.Time{})
	q.sql(` AND h.to_state IN `).list(fq.Open).sql(` AND `)
	if err := q.inSet("h.record_id", fq.History); err != nil {
		return nil, err
	}
	q.sql(`) e JOIN (SELECT c.record_id, max(CASE WHEN c.to_state IN `).list(fq.Won).sql(` THEN 1.0 ELSE 0.0 END) AS won FROM stage_history c WHERE `)
	q.history("c", m, fq.Flow)
	q.sql(` AND c.to_state IN `).list(append(append([]string{}, fq.Won...), fq.Lost...))
	q.sql(` GROUP BY c.record_id) c ON c.record_id = e.record_id GROUP BY e.to_state) rt ON rt.state = ` + stage + ` WHERE `)
	if err := q.records(rs); err != nil {
		return nil, err
	}
	q.sql(` AND ` + stage + ` IN `).list(fq.Open)
	q.sql(` GROUP BY ` + month + ` ORDER BY ` + month)
	rows, err := s.rows(ctx, q, 5)
	if err != nil {
		return nil, err
	}
	out := make([]ForecastRow, len(rows))
	for i, r := range rows {
		out[i] = ForecastRow{Month: r[0], Records: toInt(r[1]), Amount: r[2], Weighted: r[3], Historical: r[4]}
	}
	return out, nil
}

// WinRow is one group of closed records: the group's value, how many
// closed in the period and how many of them were won.
type WinRow struct {
	Value  any
	Closed int64
	Won    int64
	Rate   any
}

// WinRates counts the records of rs that closed (entered the won or lost
// state they are in now) in [from, to), and how many were won, grouped by
// the column of by ("" for no grouping).
func (s *Store) WinRates(ctx context.Context, rs RecordSet, flow, stageField, by string, won, lost []string, from, to time.Time) ([]WinRow, error) {
	m := rs.Module
	stage, ok := rs.Column(stageField)
	if !ok {
		return nil, errs.New(errs.Invalid, "store.bad_group", "name", stageField)
	}
	group := "NULL"
	if by != "" {
		if group, ok = rs.Column(by); !ok {
			return nil, errs.New(errs.Invalid, "store.bad_group", "name", by)
		}
	}
	q := &stmt{d: s.D, now: s.Now()}
	q.sql(`SELECT ` + group + `, count(*), sum(CASE WHEN ` + stage + ` IN `).list(won).sql(` THEN 1 ELSE 0 END), avg(CASE WHEN ` + stage + ` IN `).list(won).sql(` THEN 1.0 ELSE 0.0 END) FROM ` + tableRef(m) + ` WHERE `)
	if err := q.records(rs); err != nil {
		return nil, err
	}
	q.sql(` AND ` + stage + ` IN `).list(append(append([]string{}, won...), lost...))
	q.sql(` AND EXISTS (SELECT 1 FROM stage_history h WHERE h.record_id = ` + Quote(m.Table) + `."id" AND `)
	q.history("h", m, flow)
	q.sql(` AND h.to_state = ` + stage)
	q.period("h.at", from, to)
	q.sql(`)`)
	if by != "" {
		q.sql(` GROUP BY ` + group)
	}
	rows, err := s.rows(ctx, q, 4)
	if err != nil {
		return nil, err
	}
	out := make([]WinRow, 0, len(rows))
	for _, r := range rows {
		if toInt(r[1]) == 0 {
			continue // no grouping and nothing closed: no row
		}
		out = append(out, WinRow{Value: r[0], Closed: toInt(r[1]), Won: toInt(r[2]), Rate: r[3]})
	}
	return out, nil
}

// CycleRow is one group of won records: how many were won in the period
// and their sales cycle (days from creation to the win) on average, at
// least and at most.
type CycleRow struct {
	Value                     any
	Won                       int64
	AvgDays, MinDays, MaxDays any
}

// Cycles measures the sales cycle of the records of rs won in [from, to):
// for each entry into a won state, the sum of the times in state of the
// record's history up to it — from its creation (the first entry's time in
// the previous state counts from creation) to the win — grouped by the
// column of by ("" for none).
func (s *Store) Cycles(ctx context.Context, rs RecordSet, flow, by string, won []string, from, to time.Time) ([]CycleRow, error) {
	m := rs.Module
	group := "NULL"
	if by != "" {
		var ok bool
		if group, ok = rs.Column(by); !ok {
			return nil, errs.New(errs.Invalid, "store.bad_group", "name", by)
		}
	}
	q := &stmt{d: s.D, now: s.Now()}
	q.sql(`SELECT ` + group + `, count(*), avg(c.secs) / 86400.0, min(c.secs) / 86400.0, max(c.secs) / 86400.0 FROM (SELECT w.record_id, ` +
		`(SELECT sum(h.seconds_in_prev) FROM stage_history h WHERE h.record_id = w.record_id AND h.app = w.app AND h.module = w.module AND h.flow_key = w.flow_key AND h.at <= w.at) AS secs ` +
		`FROM stage_history w WHERE `)
	q.history("w", m, flow)
	q.sql(` AND w.to_state IN `).list(won)
	q.period("w.at", from, to)
	q.sql(`) c JOIN ` + tableRef(m) + ` ON ` + Quote(m.Table) + `."id" = c.record_id WHERE `)
	if err := q.records(rs); err != nil {
		return nil, err
	}
	if by != "" {
		q.sql(` GROUP BY ` + group)
	}
	rows, err := s.rows(ctx, q, 5)
	if err != nil {
		return nil, err
	}
	out := make([]CycleRow, 0, len(rows))
	for _, r := range rows {
		if toInt(r[1]) == 0 {
			continue
		}
		out = append(out, CycleRow{Value: r[0], Won: toInt(r[1]), AvgDays: r[2], MinDays: r[3], MaxDays: r[4]})
	}
	return out, nil
}

// StepTime is one approval step's decided tasks in a period: how many,
// the average seconds from assignment to decision, and how many were
// approved.
type StepTime struct {
	Step         string
	Decided      int64
	AvgHours     any
	ApprovalRate any
}

// ApprovalStepTimes averages, per step of process, the time approvers
// took over the approval tasks decided in [from, to) on records of rs.
func (s *Store) ApprovalStepTimes(ctx context.Context, rs RecordSet, process string, from, to time.Time) ([]StepTime, error) {
	secs := `EXTRACT(EPOCH FROM (tk.acted_at - tk.created_at))`
	if s.D.Name() == "sqlite" {
		secs = `(julianday(tk.acted_at) - julianday(tk.created_at)) * 86400.0`
	}
	q := &stmt{d: s.D, now: s.Now()}
	q.sql(`SELECT tk.step_key, count(*), avg(` + secs + `) / 3600.0, avg(CASE WHEN tk.status = 'approved' THEN 1.0 ELSE 0.0 END) ` +
		`FROM approval_tasks tk JOIN approval_instances i ON i.id = tk.instance_id WHERE i.app = `).arg(rs.Module.AppKey)
	q.sql(` AND i.module = `).arg(rs.Module.Key).sql(` AND i.process_key = `).arg(process)
	q.sql(` AND tk.kind = 'approve' AND tk.status IN ('approved', 'rejected', 'returned') AND tk.acted_at IS NOT NULL`)
	q.period("tk.acted_at", from, to)
	q.sql(" AND ")
	if err := q.inSet("i.record_id", rs); err != nil {
		return nil, err
	}
	q.sql(` GROUP BY tk.step_key`)
	rows, err := s.rows(ctx, q, 4)
	if err != nil {
		return nil, err
	}
	out := make([]StepTime, len(rows))
	for i, r := range rows {
		out[i] = StepTime{Step: fmt.Sprint(r[0]), Decided: toInt(r[1]), AvgHours: r[2], ApprovalRate: r[3]}
	}
	return out, nil
}

// Attainment is one side of a targets-against-actuals comparison: a set of
// records, the column its rows are keyed by ("owner", a field, or
// ByDepartment: the owner's departments) and the aggregate (count, or sum
// of a field).
type Attainment struct {
	Set RecordSet
	Key string
	Sum string // "" counts
}

// ByDepartment keys an Attainment side by the keys of the departments of
// each record's owner (a record whose owner is in two departments counts
// for both).
const ByDepartment = "@department"

// AttainmentRow is one key: its target and actual (nil when that side has
// no rows for it).
type AttainmentRow struct {
	Key            any
	Target, Actual any
}

// Attainments compares targets with actuals per key in one statement: a
// GROUP BY on each side, united and grouped again.
func (s *Store) Attainments(ctx context.Context, targets, actuals Attainment) ([]AttainmentRow, error) {
	q := &stmt{d: s.D, now: s.Now()}
	q.sql(`SELECT u.k, sum(u.tgt), sum(u.act) FROM (`)
	if err := q.attainmentSide(targets, true); err != nil {
		return nil, err
	}
	q.sql(` UNION ALL `)
	if err := q.attainmentSide(actuals, false); err != nil {
		return nil, err
	}
	q.sql(`) u GROUP BY u.k ORDER BY u.k`)
	rows, err := s.rows(ctx, q, 3)
	if err != nil {
		return nil, err
	}
	out := make([]AttainmentRow, len(rows))
	for i, r := range rows {
		out[i] = AttainmentRow{Key: r[0], Target: r[1], Actual: r[2]}
	}
	return out, nil
}

// attainmentSide writes one side: its records' key and aggregate, read
// from a subquery so that the conditions of the set (unqualified column
// names) meet no joined table.
func (q *stmt) attainmentSide(a Attainment, target bool) error {
	m := a.Set.Module
	val := "1"
	if a.Sum != "" {
		col, ok := a.Set.Column(a.Sum)
		if !ok {
			return errs.New(errs.Invalid, "store.bad_sum", "name", a.Sum)
		}
		val = col
	}
	agg := "sum(r.v)"
	key, inner, join := "NULL", "NULL", ""
	switch a.Key {
	case "":
		key = "r.k" // the inner NULL: PostgreSQL refuses GROUP BY NULL (a constant)
	case ByDepartment:
		key, inner = "dp.key", Quote(m.Table)+`."owner_id"`
		join = ` JOIN user_departments ud ON ud.user_id = r.k JOIN departments dp ON dp.id = ud.department_id`
	default:
		var ok bool
		if inner, ok = a.Set.Column(a.Key); !ok {
			return errs.New(errs.Invalid, "store.bad_group", "name", a.Key)
		}
		key = "r.k"
		if q.d.Name() == "postgres" {
			key = "r.k::text" // a user id on one side may be a user field on the other
		}
	}
	cols := key + ` AS k, ` + agg + ` AS tgt, NULL AS act`
	if !target {
		cols = key + `, NULL, ` + agg
	}
	q.sql(`SELECT ` + cols + ` FROM (SELECT ` + inner + ` AS k, ` + val + ` AS v FROM ` + tableRef(m) + ` WHERE `)
	if err := q.records(a.Set); err != nil {
		return err
	}
	q.sql(`) r` + join + ` GROUP BY ` + key)
	return nil
}

func toInt(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case int32:
		return int64(n)
	case float64:
		return int64(n)
	case string:
		var i int64
		fmt.Sscan(n, &i)
		return i
	}
	return 0
}
