package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/tessera-app/tessera/engine/dashboard"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/summary"
)

// The live-aggregate dashboard: the six widgets of a sales dashboard
// answered from summaries (engine/summary) against the same six queries
// written by hand over the records, at liveMinRows rows or more, plus
// creates with the summaries kept against creates without them.
const (
	liveMinRows = 1_000_000
	liveOwners  = 50
	// liveTarget: the dashboard's p50 should be under this at 10M rows on
	// PostgreSQL (issue 10 item 5); liveCreateTarget: creates with
	// summaries kept may cost this much more time than without.
	liveTarget       = 100 * time.Millisecond
	liveCreateTarget = 1.2
	liveRounds       = 30
	liveWarmup       = 3
	liveCreateRounds = 6
)

// liveWidgets are the sales dashboard: by stage, won by month, top 10
// owners, by source (the bench schema's region select stands for the
// lead source), this quarter's won against the previous quarter's, and
// the weighted forecast by month of the open stages.
func liveWidgets() []benchWidget {
	won := `stage == "won"`
	// The first three are the list dashboard's (bench_dashboard.go).
	return append(slices.Clone(benchWidgets[:3]), []benchWidget{
		{"by_source", "bar", map[string]any{"dimensions": []any{map[string]any{"field": "region"}},
			"measures": []any{map[string]any{"op": "count"}, map[string]any{"op": "sum", "field": "amount"}}},
			`SELECT "region", count(*), sum("amount") FROM %s WHERE "deleted_at" IS NULL GROUP BY "region"`, ""},
		{"quarter_vs_quarter", "kpi", map[string]any{"filter": won,
			"measures": []any{map[string]any{"op": "sum", "field": "amount"}}, "compare": "previous_period",
			"range": map[string]any{"field": "close_date", "from": "2026-04-01", "to": "2026-07-01"}},
			`SELECT sum(CASE WHEN "close_date" >= '2026-04-01' THEN "amount" END), sum(CASE WHEN "close_date" < '2026-04-01' THEN "amount" END)
				FROM %s WHERE "deleted_at" IS NULL AND "stage" = 'won' AND "close_date" >= '2026-01-01' AND "close_date" < '2026-07-01'`, ""},
		{"weighted_forecast", "line", map[string]any{
			"dimensions": []any{map[string]any{"field": "close_date", "bucket": "month"}},
			"measures": []any{
				map[string]any{"op": "sum", "field": "amount", "filter": `stage == "new"`, "as": "new"},
				map[string]any{"op": "sum", "field": "amount", "filter": `stage == "qualified"`, "as": "qualified"},
				map[string]any{"op": "sum", "field": "amount", "filter": `stage == "negotiation"`, "as": "negotiation"},
				map[string]any{"op": "calc", "expr": "new * 0.1 + qualified * 0.3 + negotiation * 0.6", "as": "weighted"}}},
			`SELECT substr("close_date", 1, 7) AS m, sum("amount" * CASE "stage" WHEN 'new' THEN 0.1 WHEN 'qualified' THEN 0.3 ELSE 0.6 END)
				FROM %s WHERE "deleted_at" IS NULL AND "stage" IN ('new', 'qualified', 'negotiation') GROUP BY m ORDER BY m`,
			`SELECT date_trunc('month', "close_date") AS m, sum("amount" * CASE "stage" WHEN 'new' THEN 0.1 WHEN 'qualified' THEN 0.3 ELSE 0.6 END)
				FROM %s WHERE "deleted_at" IS NULL AND "stage" IN ('new', 'qualified', 'negotiation') GROUP BY m ORDER BY m`},
	}...)
}

// benchLive loads the rows (owned by liveOwners users), saves the
// dashboard (which plans its summaries), runs the build jobs, checks that
// every widget answers from summaries what the GROUP BY answers, times the
// dashboard against the hand-written queries, and times creates with
// summaries on and off in alternating rounds.
func benchLive(ctx context.Context, env *benchEnv, cfg benchConfig, rep *report, progress func(string, ...any)) error {
	rows := max(cfg.rows, liveMinRows)
	m, err := env.createModule(ctx, "live")
	if err != nil {
		return err
	}
	owners, err := liveUsers(ctx, env)
	if err != nil {
		return err
	}
	progress("live aggregates: loading %d rows owned by %d users", rows, len(owners))
	t0 := time.Now()
	for start := 0; start < rows; start += loadPerTx {
		chunk := benchRows(min(loadPerTx, rows-start), uint64(start)+11)
		if err := bulkLoad(ctx, env, m, chunk, func(i int) string { return owners[(start+i)%len(owners)] }); err != nil {
			return err
		}
	}
	if err := analyze(ctx, env.s, m.Table); err != nil {
		return err
	}
	rep.note(fmt.Sprintf("live aggregates: %s rows loaded", groupDigits(int64(rows))), "time", fmtDur(time.Since(t0)))

	widgets := liveWidgets()
	hand, err := saveBenchDashboard(ctx, env, m, "live", "Live sales", widgets)
	if err != nil {
		return err
	}
	progress("live aggregates: building the summaries (jobs)")
	t0 = time.Now()
	if _, err := env.svc.Jobs.RunDue(ctx); err != nil {
		return err
	}
	sums, err := env.svc.Summaries.List(ctx, benchApp)
	if err != nil {
		return err
	}
	summaryRows := int64(0)
	for _, sm := range sums {
		if sm.Status != "ready" {
			return fmt.Errorf("summary %s is %s after its build: %s", sm.ID, sm.Status, sm.Error)
		}
		summaryRows += sm.SummaryRows
	}
	rep.note(fmt.Sprintf("  %d summaries built (%s rows in all)", len(sums), groupDigits(summaryRows)), "time", fmtDur(time.Since(t0)))

	view := dashboard.View{User: env.actor.User, Locale: "en", TimeZone: "UTC"}
	data := func() (map[string]any, error) {
		out, err := env.svc.Dashboards.Data(ctx, view, benchApp, "live", nil)
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(out)
		var v map[string]any
		if err == nil {
			err = json.Unmarshal(b, &v)
		}
		return v, err
	}
	before := env.svc.Summaries.Answered()
	live, err := data()
	if err != nil {
		return err
	}
	if used := env.svc.Summaries.Answered() - before; used < int64(len(widgets)) {
		return fmt.Errorf("only %d of the dashboard's queries were answered from summaries", used)
	}
	env.svc.Summaries.Off = true
	truth, err := data()
	env.svc.Summaries.Off = false
	if err != nil {
		return err
	}
	for _, w := range widgets {
		if !summary.Agree(live[w.key], truth[w.key], env.s.D.Name() == "postgres") {
			return fmt.Errorf("widget %s from summaries differs from its GROUP BY:\n%v\n%v", w.key, live[w.key], truth[w.key])
		}
	}

	path := "/api/apps/" + benchApp + "/dashboards/live/data"
	steps := []func() error{
		func() error { return env.do(ctx, http.MethodGet, path, nil, http.StatusOK, nil) },
		func() error { _, err := env.svc.Dashboards.Data(ctx, view, benchApp, "live", nil); return err },
		func() error { return handDashboard(ctx, env.s, hand) },
	}
	progress("live aggregates: timing the dashboard (%d rounds)", liveRounds)
	times, err := alternate(steps, liveWarmup, liveRounds)
	if err != nil {
		return err
	}
	a, e, s := summarize(times[0]), summarize(times[1]), summarize(times[2])
	name := fmt.Sprintf("live dashboard: %d widgets from summaries, %s rows", len(widgets), groupDigits(int64(rows)))
	rep.add(reportRow{name: name, metric: "p50", api: fmtDur(a.p50), engine: fmtDur(e.p50), sql: fmtDur(s.p50), ratio: ratio(a.p50, s.p50)})
	rep.add(reportRow{name: fmt.Sprintf("  (%d rounds; API p50 target < %s at 10M on PostgreSQL)", len(times[0]), fmtDur(liveTarget)),
		metric: "min–p95", api: spread(times[0]), engine: spread(times[1]), sql: spread(times[2])})

	progress("live aggregates: creates with summaries on and off")
	on, off, err := liveCreates(ctx, env, m, cfg)
	if err != nil {
		return err
	}
	rep.add(reportRow{name: fmt.Sprintf("create with summaries kept vs without, %d clients", cfg.clients), metric: "rows/s",
		api: fmtRate(on), sql: fmtRate(off), ratio: off / on, target: liveCreateTarget})

	// The rounds without summaries left them behind: rebuilt, they must
	// agree with the GROUP BY again.
	progress("live aggregates: rebuilding and checking the summaries")
	if _, err := env.svc.Summaries.Rebuild(ctx, benchApp); err != nil {
		return err
	}
	return checkSummaries(ctx, env, "after the rebuild")
}

// checkSummaries fails when a summary of the bench app drifts from its
// GROUP BY.
func checkSummaries(ctx context.Context, env *benchEnv, when string) error {
	drift, err := env.svc.Summaries.Check(ctx, benchApp)
	if err != nil {
		return err
	}
	for _, d := range drift {
		if d.Wrong > 0 || d.Error != "" {
			return fmt.Errorf("summary %s drifts from its GROUP BY %s: %d of %d groups wrong %s", d.Summary.ID, when, d.Wrong, d.Groups, d.Error)
		}
	}
	return nil
}

// liveUsers creates the owners of the live rows.
func liveUsers(ctx context.Context, env *benchEnv) ([]string, error) {
	var ids []string
	for i := 0; i < liveOwners; i++ {
		body, _ := json.Marshal(map[string]any{"email": fmt.Sprintf("owner%02d@example.com", i), "password": "bench-owner-password",
			"name": fmt.Sprintf("Owner %d", i)})
		var u struct {
			ID string `json:"id"`
		}
		if err := env.do(ctx, http.MethodPost, "/api/users", body, http.StatusCreated, &u); err != nil {
			return nil, fmt.Errorf("create owner: %w", err)
		}
		ids = append(ids, u.ID)
	}
	return ids, nil
}

// alternate times steps round after round, the order of the steps
// reversed every other round so that neither side always runs on a cache
// the other warmed; warmup rounds are not timed.
func alternate(steps []func() error, warmup, rounds int) ([][]time.Duration, error) {
	times := make([][]time.Duration, len(steps))
	order := make([]int, len(steps))
	for i := range order {
		order[i] = i
	}
	for r := 0; r < warmup+rounds; r++ {
		for _, j := range order {
			t0 := time.Now()
			if err := steps[j](); err != nil {
				return nil, err
			}
			if r >= warmup {
				times[j] = append(times[j], time.Since(t0))
			}
		}
		slices.Reverse(order)
	}
	return times, nil
}

// spread is the fastest and the 95th percentile of ds.
func spread(ds []time.Duration) string {
	return fmtDur(slices.Min(ds)) + "–" + fmtDur(summarize(ds).p95)
}

// liveCreates creates records through the API with cfg.clients workers in
// liveCreateRounds rounds, summaries on and off in turn (ABBA), and
// returns the median rate of each. Off is the summary service switched
// off entirely (no lookup, no deltas), so those rounds leave the
// summaries behind: the caller rebuilds them.
func liveCreates(ctx context.Context, env *benchEnv, m *meta.Module, cfg benchConfig) (on, off float64, err error) {
	per := max(cfg.creates/liveCreateRounds, 200)
	rows := benchRows(per*liveCreateRounds+createWarmup, 99)
	work, err := apiCreates(ctx, env, m, rows)
	if err != nil {
		return 0, 0, err
	}
	if _, err := runPool(ctx, cfg.clients, 0, createWarmup, work); err != nil {
		return 0, 0, err
	}
	var rates [2][]float64 // on, off
	for r := 0; r < liveCreateRounds; r++ {
		which := []int{0, 1, 1, 0}[r%4]
		env.svc.Summaries.Off = which == 1
		from := createWarmup + r*per
		d, err := runPool(ctx, cfg.clients, from, from+per, work)
		env.svc.Summaries.Off = false
		if err != nil {
			return 0, 0, err
		}
		rates[which] = append(rates[which], float64(per)/d.Seconds())
		if r == 0 {
			// Only writes that kept the summaries so far, 8 at a time.
			if err := checkSummaries(ctx, env, "after concurrent creates"); err != nil {
				return 0, 0, err
			}
		}
	}
	median := func(xs []float64) float64 {
		slices.Sort(xs)
		return xs[(len(xs)-1)/2]
	}
	return median(rates[0]), median(rates[1]), nil
}
