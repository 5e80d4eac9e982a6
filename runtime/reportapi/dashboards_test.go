package reportapi_test

// Dashboards through the real HTTP stack on both dialects: sharing,
// private dashboards, run-as-publisher, layout validation, and pipeline
// sources whose figures are checked against counts made in the test.

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

func setup(t *testing.T, s *store.Store) *apitest.Env {
	e := apitest.New(t, s, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	e.Do(t, "admin", "POST", "/api/apps", map[string]any{"key": "crm", "label": apitest.Label("CRM")}).Want(t, 201)
	var sch map[string]any
	json.Unmarshal([]byte(`{"properties":{"name":{"x-field":{"type":"text"}},"amount":{"x-field":{"type":"number"}},
		"source":{"x-field":{"type":"select","options":[{"value":"web"},{"value":"ad"}]}},
		"stage":{"x-field":{"type":"select","options":[{"value":"lead"},{"value":"won"},{"value":"lost"}]}}},"required":["name"]}`), &sch)
	e.Do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "deal", "label": apitest.Label("Deal"), "schema": sch}).Want(t, 201)
	st := func(k string, p float64, kind string) map[string]any {
		return map[string]any{"key": k, "label": apitest.Label(k), "probability": p, "kind": kind}
	}
	e.Do(t, "admin", "POST", "/api/apps/crm/flows", map[string]any{"key": "sales", "label": apitest.Label("Sales"), "module": "deal", "field": "stage",
		"states": []any{st("lead", 20, "open"), st("won", 100, "won"), st("lost", 0, "lost")},
		"transitions": []any{map[string]any{"key": "win", "label": apitest.Label("Win"), "from": []string{"lead"}, "to": "won"},
			map[string]any{"key": "lose", "label": apitest.Label("Lose"), "from": []string{"lead"}, "to": "lost"}}}).Want(t, 201)
	perm := map[string]any{"app": "crm", "module": "deal", "actions": []string{"create", "read", "update"},
		"scope": map[string]string{"read": "own", "update": "own"}}
	e.Do(t, "admin", "POST", "/api/roles", map[string]any{"key": "sales", "label": apitest.Label("Sales"), "permissions": []any{perm}}).Want(t, 201)
	e.Do(t, "admin", "POST", "/api/roles", map[string]any{"key": "marketing", "label": apitest.Label("Marketing"), "permissions": []any{}}).Want(t, 201)
	e.User(t, "rep", access.NewUser{})
	e.User(t, "other", access.NewUser{})
	e.User(t, "mkt", access.NewUser{})
	e.Do(t, "admin", "PATCH", "/api/users/"+e.IDs["rep"], map[string]any{"roles": []string{"sales"}}).Want(t, 200)
	e.Do(t, "admin", "PATCH", "/api/users/"+e.IDs["other"], map[string]any{"roles": []string{"sales"}}).Want(t, 200)
	e.Do(t, "admin", "PATCH", "/api/users/"+e.IDs["mkt"], map[string]any{"roles": []string{"marketing"}}).Want(t, 200)
	return e
}

// deal creates a deal as who and moves it with transition ("" stays a lead).
func deal(t *testing.T, e *apitest.Env, who, source string, amount float64, transition string) {
	r := e.Do(t, who, "POST", "/api/apps/crm/modules/deal/records", map[string]any{"name": "d", "amount": amount, "source": source}).Want(t, 201)
	if transition != "" {
		e.Advance(24 * time.Hour)
		e.Do(t, who, "POST", "/api/apps/crm/modules/deal/records/"+r.Str("id")+"/transitions/"+transition,
			map[string]any{"version": r.Num("version")}).Want(t, 200)
	}
}

func widgets() []any {
	return []any{
		map[string]any{"key": "funnel", "type": "funnel", "x": 0, "y": 0, "w": 6, "h": 4,
			"query": map[string]any{"source": "pipeline.funnel", "module": "deal", "params": map[string]any{"sum": "amount"}}},
		map[string]any{"key": "wins", "type": "table", "x": 6, "y": 0, "w": 6, "h": 4,
			"query": map[string]any{"source": "pipeline.win_rate", "module": "deal", "dimensions": []any{map[string]any{"field": "source"}}}},
		map[string]any{"key": "cycle", "type": "kpi", "x": 0, "y": 4, "w": 3, "h": 2,
			"query": map[string]any{"source": "pipeline.cycle", "module": "deal"}},
	}
}

func TestDashboards(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := setup(t, s)
		// rep: web lead 100, web won 200, ad lost 50; other: ad won 400.
		deal(t, e, "rep", "web", 100, "")
		deal(t, e, "rep", "web", 200, "win")
		deal(t, e, "rep", "ad", 50, "lose")
		deal(t, e, "other", "ad", 400, "win")

		// A shared dashboard is published by an administrator, not by a rep.
		dash := map[string]any{"key": "pipe", "label": apitest.Label("Pipeline"), "roles": []string{"sales"}, "widgets": widgets()}
		e.Do(t, "rep", "POST", "/api/apps/crm/dashboards", dash).Want(t, 403)
		e.Do(t, "admin", "POST", "/api/apps/crm/dashboards", dash).Want(t, 201)
		e.Do(t, "mkt", "GET", "/api/apps/crm/dashboards/pipe", nil).Want(t, 404) // not shared with marketing

		// As the viewer: rep counts only rep's deals.
		r := e.Do(t, "rep", "GET", "/api/apps/crm/dashboards/pipe/data", nil).Want(t, 200)
		// funnel rows: lead (3 of rep's deals entered lead or later), won (1)
		if got := r.Num("widgets.funnel.rows.0.2"); got != 3 {
			t.Fatalf("funnel lead = %v, want 3: %s", got, r.Body)
		}
		if got := r.Num("widgets.funnel.rows.1.2"); got != 1 {
			t.Fatalf("funnel won = %v, want 1: %s", got, r.Body)
		}
		if got := r.Num("widgets.funnel.rows.0.5"); got != 350 {
			t.Fatalf("funnel lead sum = %v, want 350: %s", got, r.Body)
		}
		if got := r.Num("widgets.funnel.rows.1.3"); got < 0.3333 || got > 0.3334 {
			t.Fatalf("funnel conversion = %v, want 1/3", got)
		}
		// win rate by source for rep: web 1/1, ad 0/1.
		rates := map[string][2]float64{}
		for i := range r.List("widgets.wins.rows") {
			p := "widgets.wins.rows." + string(rune('0'+i))
			rates[r.Str(p+".0")] = [2]float64{r.Num(p + ".1"), r.Num(p + ".3")}
		}
		if rates["web"] != [2]float64{1, 1} || rates["ad"] != [2]float64{1, 0} {
			t.Fatalf("win rates %v: %s", rates, r.Body)
		}
		// cycle: rep's one win took one day.
		if got := r.Num("widgets.cycle.rows.0.1"); got != 1 {
			t.Fatalf("cycle = %v days, want 1: %s", got, r.Body)
		}

		// As the admin: every deal.
		r = e.Do(t, "admin", "GET", "/api/apps/crm/dashboards/pipe/data", nil).Want(t, 200)
		if got := r.Num("widgets.funnel.rows.0.2"); got != 4 {
			t.Fatalf("admin funnel lead = %v, want 4", got)
		}

		// Run as publisher, shared with marketing (who may read no deal).
		pub := map[string]any{"key": "mkt", "label": apitest.Label("Marketing"), "roles": []string{"marketing"}, "run_as": "publisher", "widgets": widgets()}
		e.Do(t, "admin", "POST", "/api/apps/crm/dashboards", pub).Want(t, 201)
		r = e.Do(t, "mkt", "GET", "/api/apps/crm/dashboards/mkt/data", nil).Want(t, 200)
		if got := r.Num("widgets.funnel.rows.1.2"); got != 2 {
			t.Fatalf("publisher funnel won = %v, want 2: %s", got, r.Body)
		}
		// Marketing still reads no deal record itself.
		e.Do(t, "mkt", "GET", "/api/apps/crm/modules/deal/records", nil).Want(t, 403)

		// Private dashboards: rep's own, invisible to others.
		priv := map[string]any{"key": "mine", "label": apitest.Label("Mine"), "private": true, "widgets": widgets()[:1]}
		e.Do(t, "rep", "POST", "/api/apps/crm/dashboards", priv).Want(t, 201)
		e.Do(t, "other", "GET", "/api/apps/crm/dashboards/mine", nil).Want(t, 404)
		e.Do(t, "admin", "GET", "/api/apps/crm/dashboards/mine", nil).Want(t, 404)
		if n := len(e.Do(t, "rep", "GET", "/api/apps/crm/dashboards", nil).Want(t, 200).List("dashboards")); n != 2 {
			t.Fatalf("rep sees %d dashboards, want 2 (pipe, mine)", n)
		}

		// Bad layouts: overlap, past the 12 columns, unknown type, pivot shape.
		bad := func(w map[string]any, field, code string) {
			t.Helper()
			d := map[string]any{"key": "bad", "label": apitest.Label("Bad"), "widgets": []any{widgets()[0], w}}
			r := e.Do(t, "admin", "POST", "/api/apps/crm/dashboards", d, "Accept-Language", "zh-CN").Want(t, 422)
			for _, fe := range r.List("errors") {
				if m := fe.(map[string]any); m["field"] == field && m["code"] == code {
					return
				}
			}
			t.Fatalf("want %s %s: %s", field, code, r.Body)
		}
		q := map[string]any{"module": "deal", "measures": []any{map[string]any{"op": "count"}}}
		bad(map[string]any{"key": "b", "type": "table", "x": 3, "y": 1, "w": 3, "h": 2, "query": q}, "widgets.1", "overlap")
		bad(map[string]any{"key": "b", "type": "table", "x": 8, "y": 9, "w": 6, "h": 2, "query": q}, "widgets.1.w", "range")
		bad(map[string]any{"key": "b", "type": "radar", "x": 0, "y": 9, "w": 6, "h": 2, "query": q}, "widgets.1.type", "invalid")
		bad(map[string]any{"key": "b", "type": "pivot", "x": 0, "y": 9, "w": 6, "h": 2, "query": q}, "widgets.1.query.dimensions", "shape")
		bad(map[string]any{"key": "b", "type": "kpi", "x": 0, "y": 9, "w": 6, "h": 2, "query": map[string]any{"module": "gone", "measures": []any{map[string]any{"op": "count"}}}}, "widgets.1.query.module", "not_found")
		e.Do(t, "admin", "GET", "/api/apps/crm/dashboards/pipe/data?from=2026-13-01", nil).Want(t, 400)
	})
}
