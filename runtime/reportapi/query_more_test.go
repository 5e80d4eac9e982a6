package reportapi_test

// Labels, sort and limit, ranges, one-lookup-deep dimensions and filters,
// calculated measures, comparison periods and drill-down, through HTTP on
// both dialects. Expected values are computed in Go from the fixture.

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

type macct struct{ who, name, province, secret string }

type mdeal struct {
	who, stage string
	amount     int
	acct       int
	closed     string
}

var (
	maccts = []macct{{"rep", "Acme", "gd", "s0"}, {"admin", "Beta", "zj", "s1"}, {"rep", "Gamma", "zj", "s2"}}
	mdeals = []mdeal{
		{"rep", "won", 100, 0, "2026-01-15"}, {"rep", "lost", 200, 0, "2026-02-10"}, {"rep", "won", 300, 1, "2026-02-20"},
		{"rep", "open", 50, 2, "2026-03-05"}, {"rep", "won", 70, 2, "2025-02-14"},
		{"admin", "won", 1000, 1, "2026-02-01"}, {"admin", "open", 10, 0, "2025-01-20"}, {"admin", "won", 500, 2, "2025-02-03"},
		{"admin", "lost", 40, 1, "2025-03-31"},
	}
	// mreads: who reads which deals and accounts (sales: their own; fin
	// and admin: all).
	mreads = func(who, owner string) bool { return who == "admin" || who == "fin" || who == owner }
)

type mfix struct {
	e     *apitest.Env
	accts []string // ids
	deals []string
}

func moreSetup(t *testing.T, s *store.Store) *mfix {
	e := apitest.New(t, s, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	e.User(t, "rep", access.NewUser{})
	e.User(t, "fin", access.NewUser{})
	label := apitest.Label
	zh := func(en, zh string) map[string]string { return map[string]string{"en": en, "zh-CN": zh} }
	opt := func(v, en, zhl string) map[string]any { return map[string]any{"value": v, "label": zh(en, zhl)} }
	e.Do(t, "admin", "POST", "/api/apps", map[string]any{"key": "crm", "label": label("CRM")}).Want(t, 201)
	e.Do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "account", "label": label("Account"), "schema": map[string]any{
		"properties": map[string]any{
			"name":     map[string]any{"x-field": map[string]any{"type": "text"}},
			"province": map[string]any{"x-field": map[string]any{"type": "select", "label": zh("Province", "省份"), "options": []any{opt("gd", "Guangdong", "广东"), opt("zj", "Zhejiang", "浙江")}}},
			"secret":   map[string]any{"x-field": map[string]any{"type": "text"}},
		},
	}}).Want(t, 201)
	e.Do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "deal", "label": label("Deal"), "schema": map[string]any{
		"properties": map[string]any{
			"stage":   map[string]any{"x-field": map[string]any{"type": "select", "options": []any{opt("open", "Open", "进行中"), opt("won", "Won", "赢单"), opt("lost", "Lost", "输单")}}},
			"amount":  map[string]any{"x-field": map[string]any{"type": "number"}},
			"account": map[string]any{"x-field": map[string]any{"type": "lookup", "module": "account", "label": zh("Account", "客户")}},
			"closed":  map[string]any{"x-field": map[string]any{"type": "date"}},
		},
	}}).Want(t, 201)
	for _, r := range []struct{ key, scope string }{{"sales", "own"}, {"finance", "all"}} {
		perms := []any{}
		for _, m := range []string{"deal", "account"} {
			p := map[string]any{"app": "crm", "module": m, "actions": []string{"create", "read"}, "scope": map[string]string{"read": r.scope}}
			if r.key == "finance" && m == "account" {
				p["fields"] = map[string]string{"secret": "hidden"}
			}
			perms = append(perms, p)
		}
		e.Do(t, "admin", "POST", "/api/roles", map[string]any{"key": r.key, "label": label(r.key), "permissions": perms}).Want(t, 201)
	}
	e.Do(t, "admin", "PATCH", "/api/users/"+e.IDs["rep"], map[string]any{"roles": []string{"sales"}}).Want(t, 200)
	e.Do(t, "admin", "PATCH", "/api/users/"+e.IDs["fin"], map[string]any{"roles": []string{"finance"}}).Want(t, 200)
	f := &mfix{e: e}
	for _, a := range maccts {
		r := e.Do(t, a.who, "POST", "/api/apps/crm/modules/account/records", map[string]any{"name": a.name, "province": a.province, "secret": a.secret}).Want(t, 201)
		f.accts = append(f.accts, r.Str("id"))
	}
	for _, d := range mdeals {
		// Created by the admin for its owner: a rep's deal may point to an
		// account the rep cannot read.
		r := e.Do(t, "admin", "POST", "/api/apps/crm/modules/deal/records", map[string]any{"owner": e.IDs[d.who],
			"stage": d.stage, "amount": d.amount, "account": f.accts[d.acct], "closed": d.closed}).Want(t, 201)
		f.deals = append(f.deals, r.Str("id"))
	}
	return f
}

func (f *mfix) query(t *testing.T, who string, spec map[string]any, hdr ...string) *apitest.Response {
	t.Helper()
	spec["module"] = "deal"
	return f.e.Do(t, who, "POST", "/api/apps/crm/query", spec, hdr...).Want(t, 200)
}

// byKey turns result rows into key (first cell, printed) → remaining cells.
func byKey(rows []any) map[string][]any {
	out := map[string][]any{}
	for _, r := range rows {
		r := r.([]any)
		out[fmt.Sprint(r[0])] = r[1:]
	}
	return out
}

func count() map[string]any { return map[string]any{"op": "count"} }

func TestQueryLabelsAndLookups(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := moreSetup(t, s)
		// Select labels in the caller's language.
		r := f.query(t, "admin", map[string]any{"dimensions": []any{map[string]any{"field": "stage"}}, "measures": []any{count()}}, "Accept-Language", "zh-CN")
		if r.Str("columns.0.labels.won") != "赢单" || r.Str("columns.0.labels.lost") != "输单" {
			t.Errorf("stage labels: %s", r.Body)
		}
		// Lookup titles, only of accounts the reader may read; user names.
		for _, who := range []string{"admin", "rep"} {
			r := f.query(t, who, map[string]any{"dimensions": []any{map[string]any{"field": "account"}, map[string]any{"field": "owner"}}, "measures": []any{count()}})
			labels := r.Obj("columns.0.labels")
			for i, a := range maccts {
				_, has := labels[f.accts[i]]
				seen := slices.ContainsFunc(mdeals, func(d mdeal) bool { return d.acct == i && mreads(who, d.who) })
				if wantLabel := seen && mreads(who, a.who); has != wantLabel || (has && labels[f.accts[i]] != a.name) {
					t.Errorf("%s: account %s label %v (want shown: %v)", who, a.name, labels[f.accts[i]], wantLabel)
				}
			}
			if r.Str("columns.1.labels."+f.e.IDs[who]) == "" {
				t.Errorf("%s: no user name for the owner: %s", who, r.Body)
			}
		}
		// One lookup deep: deals by the account's province, within the
		// reader's scope on accounts (out of scope: no province).
		for _, who := range []string{"admin", "rep", "fin"} {
			want := map[string]int{}
			wantZJ := 0
			for _, d := range mdeals {
				if !mreads(who, d.who) {
					continue
				}
				p := "<nil>"
				if a := maccts[d.acct]; mreads(who, a.who) {
					p = a.province
					if p == "zj" {
						wantZJ++
					}
				}
				want[p]++
			}
			r := f.query(t, who, map[string]any{"dimensions": []any{map[string]any{"field": "account.province"}},
				"measures": []any{count()}, "sort": []any{map[string]any{"key": "account.province"}}}, "Accept-Language", "zh-CN")
			got := byKey(r.List("rows"))
			if len(got) != len(want) {
				t.Fatalf("%s by province: %v, want %v", who, r.List("rows"), want)
			}
			for k, n := range want {
				if g, ok := got[k]; !ok || qnum(g[0]) != float64(n) {
					t.Errorf("%s province %s: %v, want %d", who, k, got[k], n)
				}
			}
			if r.Str("columns.0.label") != "客户 · 省份" || (want["gd"] > 0 && r.Str("columns.0.labels.gd") != "广东") {
				t.Errorf("%s: province column %v", who, r.Get("columns.0"))
			}
			if rows := r.List("rows"); len(want) > 1 && rows[len(rows)-1].([]any)[0] != nil && want["<nil>"] > 0 {
				t.Errorf("%s: empty province should sort last: %v", who, rows)
			}
			r = f.query(t, who, map[string]any{"filter": `account.province == "zj"`, "measures": []any{count()}})
			if n := qnum(r.List("rows")[0].([]any)[0]); n != float64(wantZJ) {
				t.Errorf("%s: zj deals %v, want %d", who, n, wantZJ)
			}
		}
		// A field hidden on the target is unknown through the lookup.
		for _, spec := range []map[string]any{
			{"module": "deal", "dimensions": []any{map[string]any{"field": "account.secret"}}, "measures": []any{count()}},
			{"module": "deal", "dimensions": []any{map[string]any{"field": "account.nope"}}, "measures": []any{count()}},
			{"module": "deal", "dimensions": []any{map[string]any{"field": "stage.x"}}, "measures": []any{count()}},
		} {
			f.e.Do(t, "fin", "POST", "/api/apps/crm/query", spec).Want(t, 400).Contains(t, "Cannot group by")
		}
		f.e.Do(t, "fin", "POST", "/api/apps/crm/query", map[string]any{"module": "deal", "filter": `account.secret == "s1"`, "measures": []any{count()}}).Want(t, 400)
		// The admin may group by it.
		f.query(t, "admin", map[string]any{"dimensions": []any{map[string]any{"field": "account.secret"}}, "measures": []any{count()}})
	})
}

func TestQuerySortRangeCalc(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := moreSetup(t, s)
		type agg struct{ count, won, lost, sum int }
		group := func(who string, keep func(mdeal) bool, key func(mdeal) string) map[string]*agg {
			out := map[string]*agg{}
			for _, d := range mdeals {
				if !mreads(who, d.who) || !keep(d) {
					continue
				}
				a := out[key(d)]
				if a == nil {
					a = &agg{}
					out[key(d)] = a
				}
				a.count++
				a.sum += d.amount
				switch d.stage {
				case "won":
					a.won++
				case "lost":
					a.lost++
				}
			}
			return out
		}
		all := func(mdeal) bool { return true }
		acct := func(d mdeal) string { return f.accts[d.acct] }
		// Sort by a measure, descending, and limit.
		for _, who := range []string{"admin", "rep"} {
			want := group(who, all, acct)
			keys := make([]string, 0, len(want))
			for k := range want {
				keys = append(keys, k)
			}
			sort.Slice(keys, func(i, j int) bool {
				a, b := want[keys[i]].sum, want[keys[j]].sum
				return a > b || a == b && keys[i] < keys[j]
			})
			r := f.query(t, who, map[string]any{"dimensions": []any{map[string]any{"field": "account"}},
				"measures": []any{map[string]any{"op": "sum", "field": "amount"}},
				"sort":     []any{map[string]any{"key": "sum_amount", "desc": true}, map[string]any{"key": "account"}}, "limit": 2})
			rows := r.List("rows")
			if len(rows) != min(2, len(keys)) {
				t.Fatalf("%s: %v", who, rows)
			}
			for i, row := range rows {
				row := row.([]any)
				if row[0] != keys[i] || qnum(row[1]) != float64(want[keys[i]].sum) {
					t.Errorf("%s row %d: %v, want %s %d", who, i, row, keys[i], want[keys[i]].sum)
				}
			}
		}
		// A range on the date field.
		inQ1 := func(d mdeal) bool { return d.closed >= "2026-01-01" && d.closed < "2026-03-01" }
		stage := func(d mdeal) string { return d.stage }
		r := f.query(t, "admin", map[string]any{"dimensions": []any{map[string]any{"field": "stage"}}, "measures": []any{count()},
			"range": map[string]any{"field": "closed", "from": "2026-01-01", "to": "2026-03-01"}})
		want := group("admin", inQ1, stage)
		got := byKey(r.List("rows"))
		if len(got) != len(want) {
			t.Fatalf("range: %v, want %v", got, want)
		}
		for k, a := range want {
			if qnum(got[k][0]) != float64(a.count) {
				t.Errorf("range %s: %v, want %d", k, got[k], a.count)
			}
		}
		// Calculated measures: per row arithmetic over the aggregates;
		// division by zero is null; sorted by the calculated value.
		for _, who := range []string{"admin", "rep"} {
			want := group(who, all, acct)
			r := f.query(t, who, map[string]any{"dimensions": []any{map[string]any{"field": "account"}},
				"measures": []any{
					count(),
					map[string]any{"op": "count", "filter": `stage == "won"`, "as": "count_won"},
					map[string]any{"op": "count", "filter": `stage == "lost"`, "as": "count_lost"},
					map[string]any{"op": "calc", "expr": "count_won / count", "as": "rate"},
					map[string]any{"op": "calc", "expr": "count_won / count_lost", "as": "won_per_lost"},
				},
				"sort": []any{map[string]any{"key": "rate", "desc": true}, map[string]any{"key": "account"}}})
			rows := r.List("rows")
			if len(rows) != len(want) || r.Str("columns.4.key") != "rate" {
				t.Fatalf("%s calc: %s", who, r.Body)
			}
			prev := math.Inf(1)
			for _, row := range rows {
				row := row.([]any)
				a := want[row[0].(string)]
				rate := float64(a.won) / float64(a.count)
				if math.Abs(qnum(row[4])-rate) > 1e-9 {
					t.Errorf("%s %v: rate %v, want %v", who, row[0], row[4], rate)
				}
				if rate > prev {
					t.Errorf("%s: not sorted by rate: %v", who, rows)
				}
				prev = rate
				if a.lost == 0 && row[5] != nil {
					t.Errorf("%s %v: won/lost with no lost = %v, want null", who, row[0], row[5])
				}
				if a.lost > 0 && math.Abs(qnum(row[5])-float64(a.won)/float64(a.lost)) > 1e-9 {
					t.Errorf("%s %v: won/lost %v", who, row[0], row[5])
				}
			}
		}
		// Bad calculated measures and sorts.
		for name, spec := range map[string]map[string]any{
			"unknown name": {"measures": []any{count(), map[string]any{"op": "calc", "expr": "count_won / count", "as": "r"}}},
			"no name":      {"measures": []any{count(), map[string]any{"op": "calc", "expr": "count * 2"}}},
			"not a number": {"measures": []any{count(), map[string]any{"op": "calc", "expr": `"x"`, "as": "r"}}},
			"bad sort":     {"measures": []any{count()}, "sort": []any{map[string]any{"key": "nope"}}},
			"bad range":    {"measures": []any{count()}, "range": map[string]any{"field": "closed", "from": "March"}},
			"range field":  {"measures": []any{count()}, "range": map[string]any{"field": "stage", "from": "2026-01-01"}},
			"compare":      {"measures": []any{count()}, "compare": "previous_period"},
		} {
			spec["module"] = "deal"
			r := f.e.Do(t, "admin", "POST", "/api/apps/crm/query", spec).Want(t, 400)
			zh := f.e.Do(t, "admin", "POST", "/api/apps/crm/query", spec, "Accept-Language", "zh-CN").Want(t, 400)
			if r.Str("detail") == "" || r.Str("detail") == zh.Str("detail") {
				t.Errorf("%s: %s / %s", name, r.Body, zh.Body)
			}
		}
	})
}

func TestQueryCompareAndDrill(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := moreSetup(t, s)
		sum := func(who, from, to string) (n, amount int) {
			for _, d := range mdeals {
				if mreads(who, d.who) && d.closed >= from && d.closed < to {
					n++
					amount += d.amount
				}
			}
			return
		}
		cases := []struct{ compare, from, to, pfrom, pto string }{
			{"previous_year", "2026-01-01", "2026-04-01", "2025-01-01", "2025-04-01"},
			{"previous_period", "2026-02-01", "2026-03-01", "2026-01-01", "2026-02-01"},
			{"previous_period", "2026-02-10", "2026-02-21", "2026-01-30", "2026-02-10"},
		}
		for _, who := range []string{"admin", "rep"} {
			for _, c := range cases {
				r := f.query(t, who, map[string]any{"measures": []any{count(), map[string]any{"op": "sum", "field": "amount"}},
					"compare": c.compare, "range": map[string]any{"field": "closed", "from": c.from, "to": c.to}})
				n, amt := sum(who, c.from, c.to)
				pn, pamt := sum(who, c.pfrom, c.pto)
				row, prow := r.List("rows")[0].([]any), r.List("compare_rows")[0].([]any)
				if qnum(row[0]) != float64(n) || qnum(row[1]) != float64(amt) || qnum(prow[0]) != float64(pn) || qnum(prow[1]) != float64(pamt) {
					t.Errorf("%s %v: rows %v compare %v, want %d %d / %d %d", who, c, row, prow, n, amt, pn, pamt)
				}
			}
		}
		// Drill: the records behind one cell, as the viewer.
		spec := map[string]any{"module": "deal", "filter": `amount > 60`,
			"dimensions": []any{map[string]any{"field": "stage"}, map[string]any{"field": "closed", "bucket": "month"}}, "measures": []any{count()}}
		for _, who := range []string{"admin", "rep"} {
			var want []string
			for i, d := range mdeals {
				if mreads(who, d.who) && d.amount > 60 && d.stage == "won" && strings.HasPrefix(d.closed, "2026-02") {
					want = append(want, f.deals[i])
				}
			}
			r := f.e.Do(t, who, "POST", "/api/apps/crm/query/drill", map[string]any{"spec": spec, "cell": map[string]any{"stage": "won", "closed": "2026-02-01"}}).Want(t, 200)
			var got []string
			for _, rec := range r.List("records") {
				got = append(got, rec.(map[string]any)["id"].(string))
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) || !strings.Contains(r.Str("filter"), "closed") {
				t.Errorf("%s drill: %v, want %v (filter %s)", who, got, want, r.Str("filter"))
			}
			// The filter is a list filter selecting the same records.
			l := f.e.Do(t, who, "GET", "/api/apps/crm/modules/deal/records?filter="+urlQuery(r.Str("filter")), nil).Want(t, 200)
			if len(l.List("records")) != len(want) {
				t.Errorf("%s: list with the drill filter: %s", who, l.Body)
			}
			// The cell's group count agrees with the drilled records.
			q := f.e.Do(t, who, "POST", "/api/apps/crm/query", spec).Want(t, 200)
			for _, row := range q.List("rows") {
				row := row.([]any)
				if row[0] == "won" && row[1] == "2026-02-01" && int(qnum(row[2])) != len(want) {
					t.Errorf("%s: cell count %v, drilled %d", who, row[2], len(want))
				}
			}
		}
		// A lookup-deep cell, and a bad one.
		r := f.e.Do(t, "admin", "POST", "/api/apps/crm/query/drill", map[string]any{"spec": map[string]any{"module": "deal",
			"dimensions": []any{map[string]any{"field": "account.province"}}, "measures": []any{count()}}, "cell": map[string]any{"account.province": "gd"}}).Want(t, 200)
		wantGD := 0
		for _, d := range mdeals {
			if maccts[d.acct].province == "gd" {
				wantGD++
			}
		}
		if len(r.List("records")) != wantGD {
			t.Errorf("drill gd: %s", r.Body)
		}
		f.e.Do(t, "admin", "POST", "/api/apps/crm/query/drill", map[string]any{"spec": spec, "cell": map[string]any{"nope": 1}}).Want(t, 400)
		f.e.Do(t, "admin", "POST", "/api/apps/crm/query/drill", map[string]any{"spec": spec, "cell": map[string]any{"closed": "Feb"}}).Want(t, 400)
	})
}

func urlQuery(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
