package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/tessera-app/tessera/engine/dashboard"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
	"golang.org/x/sync/errgroup"
)

// dashboardTarget: a dashboard's data call may cost this many times its
// widgets' hand-written queries run side by side.
const dashboardTarget = 1.2

// benchWidget is one widget of the bench dashboard: its query spec, and
// the same aggregate written by hand for each dialect.
type benchWidget struct {
	key, typ       string
	query          map[string]any
	sqlite, postgr string // %s is the table
}

// benchWidgets are six widgets of a sales dashboard over the list table:
// by stage, won by month, top owners, by region, the won total, score by
// active.
var benchWidgets = []benchWidget{
	{"by_stage", "bar", map[string]any{"dimensions": []any{map[string]any{"field": "stage"}},
		"measures": []any{map[string]any{"op": "count"}, map[string]any{"op": "sum", "field": "amount"}}},
		`SELECT "stage", count(*), sum("amount") FROM %s WHERE "deleted_at" IS NULL GROUP BY "stage"`, ""},
	{"won_by_month", "line", map[string]any{"filter": `stage == "won"`,
		"dimensions": []any{map[string]any{"field": "close_date", "bucket": "month"}},
		"measures":   []any{map[string]any{"op": "sum", "field": "amount"}}},
		`SELECT substr("close_date", 1, 7) AS m, sum("amount") FROM %s WHERE "deleted_at" IS NULL AND "stage" = 'won' GROUP BY m ORDER BY m`,
		`SELECT date_trunc('month', "close_date") AS m, sum("amount") FROM %s WHERE "deleted_at" IS NULL AND "stage" = 'won' GROUP BY m ORDER BY m`},
	{"top_owners", "table", map[string]any{"dimensions": []any{map[string]any{"field": "owner"}},
		"measures": []any{map[string]any{"op": "sum", "field": "amount"}},
		"sort":     []any{map[string]any{"key": "sum_amount", "desc": true}}, "limit": 10},
		`SELECT "owner_id", sum("amount") AS s FROM %s WHERE "deleted_at" IS NULL GROUP BY "owner_id" ORDER BY s DESC LIMIT 10`, ""},
	{"by_region", "pie", map[string]any{"dimensions": []any{map[string]any{"field": "region"}},
		"measures": []any{map[string]any{"op": "count"}}},
		`SELECT "region", count(*) FROM %s WHERE "deleted_at" IS NULL GROUP BY "region"`, ""},
	{"won_total", "kpi", map[string]any{"filter": `stage == "won"`,
		"measures": []any{map[string]any{"op": "sum", "field": "amount"}}},
		`SELECT sum("amount") FROM %s WHERE "deleted_at" IS NULL AND "stage" = 'won'`, ""},
	{"score_by_active", "bar", map[string]any{"dimensions": []any{map[string]any{"field": "active"}},
		"measures": []any{map[string]any{"op": "avg", "field": "score"}}},
		`SELECT "active", avg("score") FROM %s WHERE "deleted_at" IS NULL GROUP BY "active"`, ""},
}

// benchDashboard times the data call of a six-widget dashboard over the
// list table (its widgets' queries run concurrently) against the six
// hand-written GROUP BYs, also run concurrently, on the same database.
func benchDashboard(ctx context.Context, env *benchEnv, rep *report) error {
	m, err := env.s.Module(ctx, benchApp, "pipeline")
	if err != nil {
		return err
	}
	hand, err := saveBenchDashboard(ctx, env, m, "sales", "Sales", benchWidgets)
	if err != nil {
		return err
	}
	path := "/api/apps/" + benchApp + "/dashboards/sales/data"
	if err := checkDashboard(ctx, env, path); err != nil {
		return err
	}
	view := dashboard.View{User: env.actor.User, Locale: "en", TimeZone: "UTC"}
	steps := []func() error{
		func() error { return env.do(ctx, http.MethodGet, path, nil, http.StatusOK, nil) },
		func() error { _, err := env.svc.Dashboards.Data(ctx, view, benchApp, "sales", nil); return err },
		func() error { return handDashboard(ctx, env.s, hand) },
	}
	times, err := timeRounds(steps)
	if err != nil {
		return err
	}
	a, e, s := summarize(times[0]), summarize(times[1]), summarize(times[2])
	name := fmt.Sprintf("dashboard: %d widgets (GROUP BYs side by side)", len(benchWidgets))
	rep.add(reportRow{name: name, metric: "mean", api: fmtDur(a.mean), engine: fmtDur(e.mean), sql: fmtDur(s.mean),
		ratio: ratio(a.mean, s.mean), target: dashboardTarget})
	rep.add(reportRow{name: fmt.Sprintf("  (%d rounds)", len(times[0])), metric: "p50", api: fmtDur(a.p50), engine: fmtDur(e.p50), sql: fmtDur(s.p50),
		ratio: ratio(a.p50, s.p50), target: dashboardTarget})
	rep.add(reportRow{name: "", metric: "p95", api: fmtDur(a.p95), engine: fmtDur(e.p95), sql: fmtDur(s.p95), ratio: ratio(a.p95, s.p95)})
	return nil
}

// saveBenchDashboard saves widgets over m as dashboard key (a 2-column
// grid) and returns their hand-written queries for this dialect.
func saveBenchDashboard(ctx context.Context, env *benchEnv, m *meta.Module, key, label string, list []benchWidget) ([]string, error) {
	var widgets []any
	var hand []string
	for i, w := range list {
		q := map[string]any{"module": m.Key}
		for k, v := range w.query {
			q[k] = v
		}
		widgets = append(widgets, map[string]any{"key": w.key, "type": w.typ, "title": map[string]string{"en": w.key},
			"x": (i % 2) * 6, "y": (i / 2) * 4, "w": 6, "h": 4, "query": q})
		sql := w.sqlite
		if env.s.D.Name() == "postgres" && w.postgr != "" {
			sql = w.postgr
		}
		hand = append(hand, fmt.Sprintf(sql, store.Quote(m.Table)))
	}
	body, _ := json.Marshal(map[string]any{"key": key, "label": map[string]string{"en": label}, "widgets": widgets})
	if err := env.do(ctx, http.MethodPost, "/api/apps/"+benchApp+"/dashboards", body, http.StatusCreated, nil); err != nil {
		return nil, fmt.Errorf("create dashboard: %w", err)
	}
	return hand, nil
}

// checkDashboard makes sure every widget answered (no per-widget error)
// and that the stage counts add up to the table, so the timings compare
// real work.
func checkDashboard(ctx context.Context, env *benchEnv, path string) error {
	var out struct {
		Widgets map[string]struct {
			Rows  [][]any `json:"rows"`
			Error *struct {
				Message string `json:"message"`
			} `json:"error"`
		} `json:"widgets"`
	}
	if err := env.do(ctx, http.MethodGet, path, nil, http.StatusOK, &out); err != nil {
		return err
	}
	for _, w := range benchWidgets {
		got, ok := out.Widgets[w.key]
		switch {
		case !ok:
			return fmt.Errorf("dashboard data has no widget %s", w.key)
		case got.Error != nil:
			return fmt.Errorf("widget %s: %s", w.key, got.Error.Message)
		}
	}
	var n, want float64
	for _, r := range out.Widgets["by_stage"].Rows {
		c, _ := r[1].(float64)
		n += c
	}
	m, _ := env.s.Module(ctx, benchApp, "pipeline")
	if err := env.s.R.QueryRowContext(ctx, `SELECT count(*) FROM `+store.Quote(m.Table)+` WHERE "deleted_at" IS NULL`).Scan(&want); err != nil {
		return err
	}
	if n != want {
		return fmt.Errorf("widget by_stage counts %v rows, the table has %v", n, want)
	}
	return nil
}

// handDashboard runs the hand-written queries concurrently and reads every
// row, as the dashboard service does with its widgets.
func handDashboard(ctx context.Context, s *store.Store, queries []string) error {
	g, ctx := errgroup.WithContext(ctx)
	for _, q := range queries {
		g.Go(func() error {
			rows, err := s.R.QueryContext(ctx, q)
			if err != nil {
				return err
			}
			defer rows.Close()
			cols, _ := rows.Columns()
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			for rows.Next() {
				if err := rows.Scan(ptrs...); err != nil {
					return err
				}
			}
			return rows.Err()
		})
	}
	return g.Wait()
}
