package reportapi_test

// Query specs through the real HTTP stack on SQLite and PostgreSQL. The
// expected figures are computed in Go from the inserted qdeals, never by
// running SQL again.

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

type qdeal struct {
	who, stage, region string
	amount, secret     int
}

// qdeals: rep's, bob's and admin's. Role sales (rep, bob) reads its own;
// role finance (fin) reads all but not "secret".
var qdeals = []qdeal{
	{"rep", "won", "east", 100, 1}, {"rep", "lost", "east", 200, 2}, {"rep", "won", "west", 300, 3},
	{"bob", "won", "east", 50, 4}, {"bob", "open", "north", 70, 5},
	{"admin", "open", "east", 1000, 6}, {"admin", "won", "west", 10, 7},
}

func querySetup(t *testing.T, s *store.Store) *apitest.Env {
	e := apitest.New(t, s, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	for _, n := range []string{"rep", "bob", "fin"} {
		e.User(t, n, access.NewUser{})
	}
	label := apitest.Label
	e.Do(t, "admin", "POST", "/api/apps", map[string]any{"key": "crm", "label": label("CRM")}).Want(t, 201)
	e.Do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "deal", "label": label("Deal"), "schema": map[string]any{
		"properties": map[string]any{
			"stage":  map[string]any{"x-field": map[string]any{"type": "select", "options": []any{map[string]any{"value": "open"}, map[string]any{"value": "won"}, map[string]any{"value": "lost"}}}},
			"region": map[string]any{"x-field": map[string]any{"type": "text"}},
			"amount": map[string]any{"x-field": map[string]any{"type": "number"}},
			"secret": map[string]any{"x-field": map[string]any{"type": "number"}},
		},
	}}).Want(t, 201)
	e.Do(t, "admin", "POST", "/api/roles", map[string]any{"key": "sales", "label": label("Sales"), "permissions": []any{
		map[string]any{"app": "crm", "module": "deal", "actions": []string{"create", "read"}, "scope": map[string]string{"read": "own"}},
	}}).Want(t, 201)
	e.Do(t, "admin", "POST", "/api/roles", map[string]any{"key": "finance", "label": label("Finance"), "permissions": []any{
		map[string]any{"app": "crm", "module": "deal", "actions": []string{"read"}, "fields": map[string]string{"secret": "hidden"}},
	}}).Want(t, 201)
	for _, who := range []string{"rep", "bob"} {
		e.Do(t, "admin", "PATCH", "/api/users/"+e.IDs[who], map[string]any{"roles": []string{"sales"}}).Want(t, 200)
	}
	e.Do(t, "admin", "PATCH", "/api/users/"+e.IDs["fin"], map[string]any{"roles": []string{"finance"}}).Want(t, 200)
	for _, d := range qdeals {
		e.Do(t, d.who, "POST", "/api/apps/crm/modules/deal/records", map[string]any{
			"stage": d.stage, "region": d.region, "amount": d.amount, "secret": d.secret}).Want(t, 201)
	}
	return e
}

// qagg is one expected group, computed from qdeals.
type qagg struct {
	count, won, distinctStage int
	sum, min, max             int
}

func queryExpected(reader func(qdeal) bool, filter func(qdeal) bool) map[string]*qagg {
	out := map[string]*qagg{}
	stages := map[string]map[string]bool{}
	for _, d := range qdeals {
		if !reader(d) || !filter(d) {
			continue
		}
		a := out[d.region]
		if a == nil {
			a = &qagg{min: d.amount, max: d.amount}
			out[d.region] = a
			stages[d.region] = map[string]bool{}
		}
		a.count++
		if d.stage == "won" {
			a.won++
		}
		a.sum += d.amount
		a.min, a.max = min(a.min, d.amount), max(a.max, d.amount)
		stages[d.region][d.stage] = true
		a.distinctStage = len(stages[d.region])
	}
	return out
}

func qnum(v any) float64 {
	var f float64
	fmt.Sscan(fmt.Sprint(v), &f)
	return f
}

func TestQueryMeasures(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := querySetup(t, s)
		spec := map[string]any{"module": "deal", "filter": `stage != "lost"`,
			"dimensions": []any{map[string]any{"field": "region"}},
			"measures": []any{
				map[string]any{"op": "count", "as": "count"},
				map[string]any{"op": "count", "filter": `stage == "won"`, "as": "count_won"},
				map[string]any{"op": "count_distinct", "field": "stage"},
				map[string]any{"op": "sum", "field": "amount"},
				map[string]any{"op": "avg", "field": "amount"},
				map[string]any{"op": "min", "field": "amount"},
				map[string]any{"op": "max", "field": "amount"},
			}}
		all := func(qdeal) bool { return true }
		cases := map[string]func(qdeal) bool{
			"admin": all, "fin": all,
			"rep": func(d qdeal) bool { return d.who == "rep" },
			"bob": func(d qdeal) bool { return d.who == "bob" },
		}
		for who, reads := range cases {
			want := queryExpected(reads, func(d qdeal) bool { return d.stage != "lost" })
			r := e.Do(t, who, "POST", "/api/apps/crm/query", spec).Want(t, 200)
			cols := r.List("columns")
			if len(cols) != 8 || r.Str("columns.0.key") != "region" || r.Str("columns.2.key") != "count_won" || r.Str("columns.3.key") != "count_distinct_stage" {
				t.Fatalf("%s: columns %v", who, cols)
			}
			rows := r.List("rows")
			if len(rows) != len(want) {
				t.Fatalf("%s: %d rows, want %d: %v", who, len(rows), len(want), rows)
			}
			for _, row := range rows {
				row := row.([]any)
				w := want[row[0].(string)]
				if w == nil {
					t.Fatalf("%s: unexpected group %v", who, row)
				}
				got := []float64{qnum(row[1]), qnum(row[2]), qnum(row[3]), qnum(row[4]), qnum(row[5]), qnum(row[6]), qnum(row[7])}
				exp := []float64{float64(w.count), float64(w.won), float64(w.distinctStage), float64(w.sum), float64(w.sum) / float64(w.count), float64(w.min), float64(w.max)}
				for i := range got {
					if d := got[i] - exp[i]; d > 1e-9 || d < -1e-9 {
						t.Errorf("%s %v: column %d = %v, want %v", who, row[0], i+1, got[i], exp[i])
					}
				}
			}
		}
		// No dimension: one row over everything the reader may read.
		r := e.Do(t, "rep", "POST", "/api/apps/crm/query", map[string]any{"module": "deal", "measures": []any{map[string]any{"op": "sum", "field": "secret"}}}).Want(t, 200)
		if rows := r.List("rows"); len(rows) != 1 || qnum(rows[0].([]any)[0]) != 6 {
			t.Fatalf("rep's sum of secret: %v", rows)
		}
	})
}

func TestQueryBadInput(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := querySetup(t, s)
		dims := []any{}
		for range 5 {
			dims = append(dims, map[string]any{"field": "region"})
		}
		count := []any{map[string]any{"op": "count"}}
		bad := map[string]struct {
			who    string
			spec   map[string]any
			detail string
		}{
			"hidden dimension":  {"fin", map[string]any{"module": "deal", "dimensions": []any{map[string]any{"field": "secret"}}, "measures": count}, "Cannot group by"},
			"hidden measure":    {"fin", map[string]any{"module": "deal", "measures": []any{map[string]any{"op": "sum", "field": "secret"}}}, "for this measure"},
			"hidden in filter":  {"fin", map[string]any{"module": "deal", "measures": []any{map[string]any{"op": "count", "filter": "secret > 1"}}}, "secret"},
			"unknown dimension": {"admin", map[string]any{"module": "deal", "dimensions": []any{map[string]any{"field": "nope"}}, "measures": count}, "Cannot group by"},
			"too many dims":     {"admin", map[string]any{"module": "deal", "dimensions": dims, "measures": count}, "at most 4 dimensions"},
			"bad op":            {"admin", map[string]any{"module": "deal", "measures": []any{map[string]any{"op": "median", "field": "amount"}}}, "Unknown measure \"median\""},
			"sum of text":       {"admin", map[string]any{"module": "deal", "measures": []any{map[string]any{"op": "sum", "field": "region"}}}, "for this measure"},
			"no measures":       {"admin", map[string]any{"module": "deal", "measures": []any{}}, "between 1 and 20 measures"},
			"duplicate names":   {"admin", map[string]any{"module": "deal", "measures": []any{map[string]any{"op": "count"}, map[string]any{"op": "count"}}}, "Two measures are named"},
			"bucket on text":    {"admin", map[string]any{"module": "deal", "dimensions": []any{map[string]any{"field": "region", "bucket": "month"}}, "measures": count}, "Cannot bucket"},
		}
		for name, c := range bad {
			r := e.Do(t, c.who, "POST", "/api/apps/crm/query", c.spec).Want(t, 400)
			if !strings.Contains(r.Str("detail"), c.detail) {
				t.Errorf("%s: %s", name, r.Body)
			}
			zh := e.Do(t, c.who, "POST", "/api/apps/crm/query", c.spec, "Accept-Language", "zh-CN").Want(t, 400)
			if zh.Str("detail") == r.Str("detail") {
				t.Errorf("%s: message not localized: %s", name, zh.Body)
			}
		}
	})
}
