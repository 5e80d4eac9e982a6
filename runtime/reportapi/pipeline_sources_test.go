package reportapi_test

// The sources without a figure check in TestDashboards —
// pipeline.stage_time, pipeline.forecast, targets and approval.step_time —
// run through POST /api/apps/{app}/query on both dialects over records,
// stage moves and approval decisions made at known times on the test's
// clock; the expected figures are worked out in the test from what it
// made, not read back from the output.

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

// pipeStart is the clock at the start of every test here.
var pipeStart = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// pipeStages are the open stages of the "opp" pipeline with their fixed
// probabilities (percent); won and lost close it.
var pipeStages = []struct {
	key  string
	prob float64
}{{"lead", 10}, {"proposal", 60}}

// pipeSetup is an app "crm" with a module "opp" (name, amount, close
// date, stage) and the pipeline lead → proposal → won, lead/proposal →
// lost, lead → won.
func pipeSetup(t *testing.T, s *store.Store) *apitest.Env {
	e := apitest.New(t, s, pipeStart)
	e.Do(t, "admin", "POST", "/api/apps", map[string]any{"key": "crm", "label": apitest.Label("CRM")}).Want(t, 201)
	var sch map[string]any
	json.Unmarshal([]byte(`{"properties":{"name":{"x-field":{"type":"text"}},"amount":{"x-field":{"type":"number"}},
		"close":{"x-field":{"type":"date"}},
		"stage":{"x-field":{"type":"select","options":[{"value":"lead"},{"value":"proposal"},{"value":"won"},{"value":"lost"}]}}},"required":["name"]}`), &sch)
	e.Do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "opp", "label": apitest.Label("Opp"), "schema": sch}).Want(t, 201)
	st := func(k string, p float64, kind string) map[string]any {
		return map[string]any{"key": k, "label": apitest.Label(k), "probability": p, "kind": kind}
	}
	tr := func(k string, from []string, to string) map[string]any {
		return map[string]any{"key": k, "label": apitest.Label(k), "from": from, "to": to}
	}
	e.Do(t, "admin", "POST", "/api/apps/crm/flows", map[string]any{"key": "sales", "label": apitest.Label("Sales"), "module": "opp", "field": "stage",
		"states": []any{st(pipeStages[0].key, pipeStages[0].prob, "open"), st(pipeStages[1].key, pipeStages[1].prob, "open"), st("won", 100, "won"), st("lost", 0, "lost")},
		"transitions": []any{tr("propose", []string{"lead"}, "proposal"), tr("win", []string{"lead", "proposal"}, "won"),
			tr("lose", []string{"lead", "proposal"}, "lost")}}).Want(t, 201)
	return e
}

// opp creates an opportunity and returns its id and version.
func opp(t *testing.T, e *apitest.Env, amount float64, closeDate string) (string, float64) {
	t.Helper()
	body := map[string]any{"name": "o", "amount": amount}
	if closeDate != "" {
		body["close"] = closeDate
	}
	r := e.Do(t, "admin", "POST", "/api/apps/crm/modules/opp/records", body).Want(t, 201)
	return r.Str("id"), r.Num("version")
}

// move applies transition to record id at the test's current clock.
func move(t *testing.T, e *apitest.Env, id string, version float64, transition string) float64 {
	t.Helper()
	return e.Do(t, "admin", "POST", "/api/apps/crm/modules/opp/records/"+id+"/transitions/"+transition,
		map[string]any{"version": version}).Want(t, 200).Num("version")
}

// step is one move of a record's walk: its moves, each after a wait.
type step struct {
	wait       time.Duration
	transition string
}

// walk creates a record and makes its moves, advancing the clock before each.
func walk(t *testing.T, e *apitest.Env, amount float64, closeDate string, steps ...step) string {
	t.Helper()
	id, v := opp(t, e, amount, closeDate)
	for _, s := range steps {
		e.Advance(s.wait)
		v = move(t, e, id, v, s.transition)
	}
	return id
}

// sourceRows runs a source spec as admin and returns its rows.
func sourceRows(t *testing.T, e *apitest.Env, spec map[string]any) []any {
	t.Helper()
	return e.Do(t, "admin", "POST", "/api/apps/crm/query", spec).Want(t, 200).List("rows")
}

// near reports whether got, a number of a response, is want (to 1e-6).
func near(got any, want float64) bool {
	n, ok := got.(json.Number)
	f, err := n.Float64()
	return ok && err == nil && math.Abs(f-want) < 1e-6
}

const day = 24 * time.Hour

func TestPipelineSourceStageTime(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := pipeSetup(t, s)
		// Each walk is made sequentially, so a stage's time is the wait
		// before the move out of it.
		walks := [][]step{
			{{1 * day, "propose"}, {4 * day, "win"}},
			{{3 * day, "propose"}, {2 * day, "lose"}},
			{{2 * day, "lose"}},
			{{6 * day, "propose"}}, // still in proposal: no move out of it
		}
		moves := map[string]int{}
		days := map[string]float64{}
		for _, w := range walks {
			state := "lead"
			walk(t, e, 100, "", w...)
			for _, s := range w {
				moves[state]++
				days[state] += s.wait.Hours() / 24
				state = map[string]string{"propose": "proposal", "win": "won", "lose": "lost"}[s.transition]
			}
		}
		check := func(rows []any, moves map[string]int, days map[string]float64) {
			t.Helper()
			if len(rows) != 4 {
				t.Fatalf("stage_time rows = %d, want 4 (every state): %v", len(rows), rows)
			}
			for i, key := range []string{"lead", "proposal", "won", "lost"} {
				row := rows[i].([]any)
				if row[1] != key {
					t.Fatalf("row %d is %v, want %s", i, row[1], key)
				}
				if n := moves[key]; n == 0 {
					if !near(row[2], 0) || row[3] != nil {
						t.Fatalf("%s: %v, want no moves and no average", key, row)
					}
				} else if !near(row[2], float64(n)) || !near(row[3], days[key]/float64(n)) {
					t.Fatalf("%s: moves %v avg days %v, want %d and %v", key, row[2], row[3], n, days[key]/float64(n))
				}
			}
		}
		spec := map[string]any{"source": "pipeline.stage_time", "module": "opp"}
		check(sourceRows(t, e, spec), moves, days)

		// A period counts only the moves out made in it: one more record,
		// a month later, out of lead after 10 days.
		e.Advance(30 * day)
		from := e.Now().Format(time.DateOnly)
		walk(t, e, 100, "", step{10 * day, "propose"})
		spec["range"] = map[string]any{"from": from}
		check(sourceRows(t, e, spec), map[string]int{"lead": 1}, map[string]float64{"lead": 10})
	})
}

func TestPipelineSourceForecast(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := pipeSetup(t, s)
		// Closed history: which open stages each record passed, and whether it was won.
		type closed struct {
			steps []step
			won   bool
		}
		history := []closed{
			{[]step{{day, "propose"}, {day, "win"}}, true},
			{[]step{{day, "propose"}, {day, "lose"}}, false},
			{[]step{{day, "lose"}}, false},
			{[]step{{day, "win"}}, true},
			{[]step{{day, "propose"}, {day, "win"}}, true},
		}
		entered, won := map[string]float64{}, map[string]float64{}
		for _, h := range history {
			walk(t, e, 999, "", h.steps...)
			stages := []string{"lead"}
			for _, s := range h.steps {
				if s.transition == "propose" {
					stages = append(stages, "proposal")
				}
			}
			for _, st := range stages {
				entered[st]++
				if h.won {
					won[st]++
				}
			}
		}
		rate := func(st string) float64 { return won[st] / entered[st] }
		prob := map[string]float64{}
		for _, p := range pipeStages {
			prob[p.key] = p.prob / 100
		}

		// Open records: amount, close date, stage.
		type open struct {
			amount float64
			close  string
			stage  string
		}
		opens := []open{
			{1000, "2026-04-10", "lead"},
			{2000, "2026-04-20", "proposal"},
			{500, "2026-05-05", "proposal"},
			{300, "", "lead"},
		}
		for _, o := range opens {
			var steps []step
			if o.stage == "proposal" {
				steps = append(steps, step{time.Hour, "propose"})
			}
			walk(t, e, o.amount, o.close, steps...)
		}
		type figures struct{ records, amount, weighted, historical float64 }
		expect := func(in func(open) bool) map[any]figures {
			out := map[any]figures{}
			for _, o := range opens {
				if !in(o) {
					continue
				}
				var m any
				if o.close != "" {
					m = o.close[:7]
				}
				f := out[m]
				f.records++
				f.amount += o.amount
				f.weighted += o.amount * prob[o.stage]
				f.historical += o.amount * rate(o.stage)
				out[m] = f
			}
			return out
		}
		check := func(rows []any, want map[any]figures) {
			t.Helper()
			if len(rows) != len(want) {
				t.Fatalf("forecast rows %v, want %d months", rows, len(want))
			}
			for _, r := range rows {
				row := r.([]any)
				w, ok := want[row[0]]
				if !ok {
					t.Fatalf("unexpected month %v: %v", row[0], rows)
				}
				if !near(row[1], w.records) || !near(row[2], w.amount) || !near(row[3], w.weighted) || !near(row[4], w.historical) {
					t.Fatalf("month %v: %v, want %+v", row[0], row, w)
				}
			}
		}
		spec := map[string]any{"source": "pipeline.forecast", "module": "opp", "params": map[string]any{"amount": "amount", "close": "close"}}
		check(sourceRows(t, e, spec), expect(func(open) bool { return true }))

		// The range bounds the close date: April only.
		spec["range"] = map[string]any{"from": "2026-04-01", "to": "2026-05-01"}
		check(sourceRows(t, e, spec), expect(func(o open) bool { return o.close >= "2026-04-01" && o.close < "2026-05-01" && o.close != "" }))
		delete(spec, "range")

		// Four months on, with months 2 the old history no longer counts
		// (nor the open records' own entries): two new closed records,
		// one lost from lead, one won through proposal, make lead's rate
		// 1/2 and proposal's 1/1.
		e.Advance(120 * day)
		walk(t, e, 999, "", step{day, "lose"})
		walk(t, e, 999, "", step{day, "propose"}, step{day, "win"})
		entered, won = map[string]float64{"lead": 2, "proposal": 1}, map[string]float64{"lead": 1, "proposal": 1}
		spec["params"] = map[string]any{"amount": "amount", "close": "close", "months": 2}
		check(sourceRows(t, e, spec), expect(func(open) bool { return true }))
	})
}

func TestPipelineSourceTargets(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := pipeSetup(t, s)
		e.Do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "target", "label": apitest.Label("Target"), "schema": map[string]any{
			"properties": map[string]any{
				"value":      map[string]any{"x-field": map[string]any{"type": "number"}},
				"period":     map[string]any{"x-field": map[string]any{"type": "date"}},
				"department": map[string]any{"x-field": map[string]any{"type": "text"}},
			}}}).Want(t, 201)
		for _, d := range []string{"east", "west"} {
			e.Do(t, "admin", "POST", "/api/departments", map[string]any{"key": d, "label": apitest.Label(d)}).Want(t, 201)
		}
		dept := map[string]string{"a": "east", "b": "west", "c": "west"}
		for _, who := range []string{"a", "b", "c"} {
			e.User(t, who, access.NewUser{})
			e.Do(t, "admin", "PATCH", "/api/users/"+e.IDs[who], map[string]any{"departments": []string{dept[who]}}).Want(t, 200)
		}
		const from, to = "2026-04-01", "2026-07-01"
		in := func(date string) bool { return date != "" && date >= from && date < to }

		type target struct {
			who, period string
			value       float64
		}
		targets := []target{{"a", "2026-04-01", 1000}, {"a", "2026-05-01", 500}, {"b", "2026-04-01", 2000}, {"a", "2026-08-01", 9999}}
		for _, g := range targets {
			e.Do(t, "admin", "POST", "/api/apps/crm/modules/target/records", map[string]any{"owner": e.IDs[g.who],
				"value": g.value, "period": g.period, "department": dept[g.who]}).Want(t, 201)
		}
		type actual struct {
			who, close string
			amount     float64
		}
		actuals := []actual{{"a", "2026-04-10", 400}, {"a", "2026-06-30", 300}, {"a", "2026-07-01", 700}, {"b", "2026-05-05", 2500},
			{"c", "2026-04-02", 100}, {"b", "", 50}, {"c", "2026-03-31", 80}}
		for _, x := range actuals {
			body := map[string]any{"owner": e.IDs[x.who], "name": "o", "amount": x.amount}
			if x.close != "" {
				body["close"] = x.close
			}
			e.Do(t, "admin", "POST", "/api/apps/crm/modules/opp/records", body).Want(t, 201)
		}

		// want: per key (owner id, department key or "" for the total), the
		// target and the actual (sum of amounts, or a count); nil when none.
		type figures struct{ target, actual *float64 }
		add := func(p **float64, v float64) {
			if *p == nil {
				*p = new(float64)
			}
			**p += v
		}
		want := func(key func(who string) string, count bool) map[string]figures {
			out := map[string]figures{}
			for _, g := range targets {
				if in(g.period) {
					f := out[key(g.who)]
					add(&f.target, g.value)
					out[key(g.who)] = f
				}
			}
			for _, x := range actuals {
				if in(x.close) {
					f := out[key(x.who)]
					v := x.amount
					if count {
						v = 1
					}
					add(&f.actual, v)
					out[key(x.who)] = f
				}
			}
			return out
		}
		same := func(got any, want *float64) bool {
			if want == nil {
				return got == nil
			}
			return near(got, *want)
		}
		check := func(rows []any, keyed bool, want map[string]figures) {
			t.Helper()
			if len(rows) != len(want) {
				t.Fatalf("targets rows %v, want %d", rows, len(want))
			}
			for _, r := range rows {
				row := r.([]any)
				key := ""
				if keyed {
					key, _ = row[1].(string)
					row = row[2:]
				}
				w, ok := want[key]
				if !ok {
					t.Fatalf("unexpected key %q: %v", key, rows)
				}
				var att *float64
				if w.target != nil && w.actual != nil {
					v := math.Round(*w.actual / *w.target * 1e4) / 1e4
					att = &v
				}
				if !same(row[0], w.target) || !same(row[1], w.actual) || !same(row[2], att) {
					t.Fatalf("%q: %v, want target %v actual %v attainment %v", key, row, w.target, w.actual, att)
				}
			}
		}
		spec := func(op, by string) map[string]any {
			m := map[string]any{"op": op}
			if op == "sum" {
				m["field"] = "amount"
			}
			return map[string]any{"source": "targets", "module": "opp", "measures": []any{m},
				"range":  map[string]any{"field": "close", "from": from, "to": to},
				"params": map[string]any{"targets": "target", "value": "value", "period": "period", "by": by}}
		}
		byOwner := func(who string) string { return e.IDs[who] }
		check(sourceRows(t, e, spec("sum", "owner")), true, want(byOwner, false))
		check(sourceRows(t, e, spec("count", "owner")), true, want(byOwner, true))
		check(sourceRows(t, e, spec("sum", "department")), true, want(func(who string) string { return dept[who] }, false))
		check(sourceRows(t, e, spec("sum", "total")), false, want(func(string) string { return "" }, false))
	})
}

func TestPipelineSourceApprovalStepTime(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := pipeSetup(t, s)
		e.Do(t, "admin", "POST", "/api/roles", map[string]any{"key": "viewer", "label": apitest.Label("Viewer"), "permissions": []any{
			map[string]any{"app": "crm", "module": "opp", "actions": []string{"read"}}}}).Want(t, 201)
		for _, who := range []string{"m1", "f1"} {
			e.User(t, who, access.NewUser{})
			e.Do(t, "admin", "PATCH", "/api/users/"+e.IDs[who], map[string]any{"roles": []string{"viewer"}}).Want(t, 200)
		}
		users := func(who string) map[string]any { return map[string]any{"type": "users", "users": []string{e.IDs[who]}} }
		e.Do(t, "admin", "POST", "/api/apps/crm/approvals", map[string]any{"key": "deal_ok", "label": apitest.Label("Deal OK"), "module": "opp",
			"steps": []any{
				map[string]any{"key": "mgr", "label": apitest.Label("Manager"), "approvers": users("m1"), "mode": "any"},
				map[string]any{"key": "fin", "label": apitest.Label("Finance"), "approvers": users("f1"), "mode": "any"},
			}}).Want(t, 201)
		approver := map[string]string{"mgr": "m1", "fin": "f1"}

		// decision: at step, after wait since the step began, approve or reject.
		type decision struct {
			step   string
			wait   time.Duration
			action string
		}
		runs := [][]decision{
			{{"mgr", 2 * time.Hour, "approve"}, {"fin", 5 * time.Hour, "approve"}},
			{{"mgr", 4 * time.Hour, "reject"}},
			{{"mgr", 3 * time.Hour, "approve"}, {"fin", 7 * time.Hour, "reject"}},
		}
		type figures struct{ decided, hours, approved float64 }
		// want is per step over every decision, since over those made
		// after the first run (a period from then on).
		want, since := map[string]figures{}, map[string]figures{}
		var cut time.Time
		for n, run := range runs {
			if n == 1 {
				cut = e.Now()
			}
			id, _ := opp(t, e, 100, "")
			inst := e.Do(t, "admin", "POST", "/api/apps/crm/modules/opp/records/"+id+"/approvals", map[string]any{"process": "deal_ok"}).Want(t, 201).Str("id")
			for _, d := range run {
				e.Advance(d.wait)
				task := ""
				for _, x := range e.Do(t, "admin", "GET", "/api/approvals/"+inst, nil).Want(t, 200).List("tasks") {
					if tk := x.(map[string]any); tk["assignee"] == e.IDs[approver[d.step]] && tk["status"] == "pending" {
						task = tk["id"].(string)
					}
				}
				if task == "" {
					t.Fatalf("no pending %s task on %s", d.step, inst)
				}
				e.Do(t, approver[d.step], "POST", "/api/approvals/"+inst+"/tasks/"+task+"/"+d.action, map[string]any{"comment": "ok"}).Want(t, 200)
				count := func(m map[string]figures) {
					f := m[d.step]
					f.decided++
					f.hours += d.wait.Hours()
					if d.action == "approve" {
						f.approved++
					}
					m[d.step] = f
				}
				count(want)
				if n > 0 {
					count(since)
				}
			}
			e.Advance(24 * time.Hour)
		}
		check := func(rows []any, want map[string]figures) {
			t.Helper()
			if len(rows) != 2 {
				t.Fatalf("approval.step_time rows %v, want mgr and fin", rows)
			}
			for i, key := range []string{"mgr", "fin"} {
				row, w := rows[i].([]any), want[key]
				if row[1] != key || !near(row[2], w.decided) || !near(row[3], w.hours/w.decided) || !near(row[4], w.approved/w.decided) {
					t.Fatalf("%s: %v, want decided %v, avg hours %v, approval rate %v", key, row, w.decided, w.hours/w.decided, w.approved/w.decided)
				}
			}
		}
		spec := map[string]any{"source": "approval.step_time", "module": "opp", "params": map[string]any{"process": "deal_ok"}}
		check(sourceRows(t, e, spec), want)
		spec["range"] = map[string]any{"from": cut.Format(time.RFC3339)}
		check(sourceRows(t, e, spec), since)
	})
}
