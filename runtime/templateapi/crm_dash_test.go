package templateapi_test

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

// The CRM's dashboards and roles over a handful of records whose figures
// the test works out itself: two reps' deals won last quarter and this
// one, a loss, an open deal, activities, leads, tickets and payments. Each
// role sees the dashboards and modules meant for it (its menu), and the
// figures of its own reach: a rep their own deals, marketing the won
// amount by channel through the dashboard published for it but no
// opportunity or contract, the service agent tickets and contracts.

// crmEnv is an installed CRM with one user per role.
type crmEnv struct {
	t *testing.T
	e *apitest.Env
}

func newCRM(t *testing.T, s *store.Store) *crmEnv {
	e := apitest.New(t, s, start)
	installExample(t, e, "../../templates/crm")
	for name, role := range map[string]string{"rep": "sales_rep", "rep2": "sales_rep", "mgr": "sales_manager", "dir": "sales_director",
		"mkt": "marketing", "svc": "service_agent", "fin": "finance", "exec": "executive", "crmadmin": "admin"} {
		id := e.User(t, name, access.NewUser{})
		e.Do(t, "admin", "PATCH", "/api/users/"+id, map[string]any{"roles": []string{role}}).Want(t, 200)
	}
	return &crmEnv{t: t, e: e}
}

func (c *crmEnv) create(who, module string, body map[string]any) string {
	c.t.Helper()
	return c.e.Do(c.t, who, "POST", crmBase+module+"/records", body).Want(c.t, 201).Str("id")
}

func (c *crmEnv) fire(who, module, id, transition string, values map[string]any) {
	c.t.Helper()
	v := c.e.Do(c.t, who, "GET", crmBase+module+"/records/"+id, nil).Want(c.t, 200).Num("version")
	c.e.Do(c.t, who, "POST", crmBase+module+"/records/"+id+"/transitions/"+transition,
		map[string]any{"version": v, "values": values}).Want(c.t, 200)
}

// deal creates who's opportunity and, when win, takes it through every
// stage to 赢单 the way the guards want: an approved quote (no discount,
// one line) before 方案报价, a contract before 合同签署.
func (c *crmEnv) deal(who, account, product string, fields map[string]any, win bool) string {
	c.t.Helper()
	body := map[string]any{"account": account, "product_line": "software", "expected_close": "2027-04-15"}
	for k, v := range fields {
		body[k] = v
	}
	id := c.create(who, "opportunity", body)
	if !win {
		return id
	}
	c.fire(who, "opportunity", id, "analyze", nil)
	q := c.create(who, "quote", map[string]any{"name": fields["name"].(string) + " 报价", "opportunity": id, "account": account, "discount": 0})
	c.create(who, "quote_line", map[string]any{"quote": q, "product": product, "quantity": 1, "unit_price": fields["amount"]})
	c.fire(who, "quote", q, "confirm", nil)
	c.fire(who, "opportunity", id, "propose", nil)
	c.fire(who, "opportunity", id, "negotiate", nil)
	c.create(who, "contract", map[string]any{"name": fields["name"].(string) + " 合同", "account": account, "opportunity": id, "amount": fields["amount"]})
	c.fire(who, "opportunity", id, "sign", nil)
	c.fire(who, "opportunity", id, "win", nil)
	return id
}

// data is dashboard key's widgets as who sees them; no widget may fail.
func (c *crmEnv) data(who, key string) map[string]any {
	c.t.Helper()
	d := c.e.Do(c.t, who, "GET", "/api/apps/crm/dashboards/"+key+"/data", nil).Want(c.t, 200)
	for k, w := range d.Obj("widgets") {
		if apitest.Lookup(w, "error") != nil {
			c.t.Fatalf("%s's %s, widget %s: %v", who, key, k, w)
		}
	}
	return d.Obj("widgets")
}

// f reads a figure (a JSON number or a decimal string) as a float; nil is NaN.
func f(t *testing.T, v any) float64 {
	t.Helper()
	if v == nil {
		return math.NaN()
	}
	x, err := strconv.ParseFloat(fmt.Sprint(v), 64)
	if err != nil {
		t.Fatalf("not a figure: %#v", v)
	}
	return x
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-3 }

// rows maps a widget's rows by their first cell to the cell in column col.
func rows(t *testing.T, w any, col string) map[string]float64 {
	t.Helper()
	cols := apitest.Lookup(w, "columns").([]any)
	at := slices.IndexFunc(cols, func(c any) bool { return c.(map[string]any)["key"] == col })
	if at < 0 {
		t.Fatalf("no column %s in %v", col, cols)
	}
	out := map[string]float64{}
	for _, r := range apitest.Lookup(w, "rows").([]any) {
		r := r.([]any)
		out[fmt.Sprint(r[0])] = f(t, r[at])
	}
	return out
}

// labelled is rows keyed by the first column's labels (region names,
// option labels) instead of the raw values.
func labelled(t *testing.T, w any, col string) map[string]float64 {
	t.Helper()
	labels, _ := apitest.Lookup(w, "columns.0.labels").(map[string]any)
	out := map[string]float64{}
	for k, v := range rows(t, w, col) {
		if l, ok := labels[k].(string); ok {
			k = l
		}
		out[k] = v
	}
	return out
}

func keysOf(t *testing.T, r *apitest.Response, list, key string) []string {
	t.Helper()
	var out []string
	for _, x := range r.List(list) {
		out = append(out, x.(map[string]any)[key].(string))
	}
	sort.Strings(out)
	return out
}

func TestCRMDashboardsAndRoles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		c := newCRM(t, s)
		e := c.e
		rep, rep2 := e.IDs["rep"], e.IDs["rep2"]
		product := c.create("admin", "product", map[string]any{"name": "MES 软件", "code": "MES", "product_line": "software", "list_price": 100000})

		// Last quarter (10 December 2026): the rep wins ¥300,000 from a
		// trade show.
		e.Set(time.Date(2026, 12, 10, 2, 0, 0, 0, time.UTC))
		acc1 := c.create("rep", "account", map[string]any{"name": "上海华东精密机械有限公司", "tier": "a", "region": "上海",
			"industry": "manufacturing", "source": "trade_show", "lifecycle": "customer"})
		c.deal("rep", acc1, product, map[string]any{"name": "一期", "amount": 300000, "type": "new", "source": "trade_show"}, true)

		// This quarter (1 March 2027): the rep wins an upsell of ¥500,000,
		// rep2 a cross-sale of ¥200,000 and loses an upsell of ¥100,000 on
		// price; the rep has ¥400,000 open.
		e.Set(start)
		acc2 := c.create("rep2", "account", map[string]any{"name": "杭州云帆科技有限公司", "tier": "b", "region": "浙江 杭州",
			"industry": "it", "source": "website", "lifecycle": "churned"})
		acc3 := c.create("rep", "account", map[string]any{"name": "上海浦江物流有限公司", "tier": "c", "region": "上海", "lifecycle": "loyal"})
		b := c.deal("rep", acc1, product, map[string]any{"name": "二期", "amount": 500000, "type": "upsell", "source": "website"}, true)
		c.deal("rep2", acc2, product, map[string]any{"name": "云平台", "amount": 200000, "type": "cross_sell", "source": "website"}, true)
		lost := c.deal("rep2", acc2, product, map[string]any{"name": "扩容", "amount": 100000, "type": "upsell", "source": "website", "competitor": "某竞品"}, false)
		c.fire("rep2", "opportunity", lost, "lose", map[string]any{"lost_reason": "price"})
		c.deal("rep", acc3, product, map[string]any{"name": "仓储系统", "amount": 400000, "type": "new", "source": "partner"}, false)

		// Activities: the rep calls twice (15 and 25 minutes) and visits;
		// rep2 calls once (10 minutes).
		for _, a := range []struct {
			who, typ string
			min      int
		}{{"rep", "call", 15}, {"rep", "call", 25}, {"rep", "visit", 0}, {"rep2", "call", 10}} {
			acc := acc1
			if a.who == "rep2" {
				acc = acc2
			}
			body := map[string]any{"subject": "跟进", "type": a.typ, "at": "2027-03-01T02:00:00Z", "account": acc, "notes": "客户关心交付周期"}
			if a.min > 0 {
				body["duration_minutes"] = a.min
			}
			c.create(a.who, "activity", body)
		}
		e.RunJobs(t)

		// 销售总览 for the director: this quarter ¥700,000 against last
		// quarter's ¥300,000; upsells and cross-sales 2 won of 3 closed.
		d := c.data("dir", "sales_overview")
		if w := d["revenue_quarter"]; f(t, apitest.Lookup(w, "value")) != 700000 || f(t, apitest.Lookup(w, "previous")) != 300000 {
			t.Fatalf("director's quarter: %v", w)
		}
		if w := d["won_count_quarter"]; f(t, apitest.Lookup(w, "value")) != 2 || f(t, apitest.Lookup(w, "previous")) != 1 {
			t.Fatalf("deals won this quarter: %v", w)
		}
		if w := d["win_rate_quarter"]; !near(f(t, apitest.Lookup(w, "value")), 2.0/3) {
			t.Fatalf("win rate this quarter (2 won, 1 lost): %v", w)
		}
		if w := d["upsell_win_rate"]; !near(f(t, apitest.Lookup(w, "value")), 2.0/3) {
			t.Fatalf("upsell and cross-sell win rate: %v", w)
		}
		if top := rows(t, d["top_reps"], "sum_amount"); top[rep] != 800000 || top[rep2] != 200000 || len(top) != 2 {
			t.Fatalf("top reps: %v", top)
		}
		if wl := rows(t, d["win_loss"], "lost"); wl["某竞品"] != 1 {
			t.Fatalf("losses by competitor: %v", wl)
		}
		if w := d["open_pipeline"]; f(t, apitest.Lookup(w, "value")) != 400000 {
			t.Fatalf("open pipeline: %v", w)
		}
		// The forecast counts the open deal in its close month (April),
		// weighted at 初步接洽's 10%.
		if fc := rows(t, d["forecast"], "weighted"); fc["2027-04"] != 40000 {
			t.Fatalf("forecast: %v", d["forecast"])
		}

		// The rep sees only their own: ¥500,000 against ¥300,000, and not
		// rep2's deal.
		d = c.data("rep", "sales_overview")
		if w := d["revenue_quarter"]; f(t, apitest.Lookup(w, "value")) != 500000 || f(t, apitest.Lookup(w, "previous")) != 300000 {
			t.Fatalf("rep's quarter: %v", w)
		}
		if top := rows(t, d["top_reps"], "sum_amount"); len(top) != 1 || top[rep] != 800000 {
			t.Fatalf("rep's top reps: %v", top)
		}
		e.Do(t, "rep", "GET", crmBase+"opportunity/records/"+lost, nil).Want(t, 404)
		e.Do(t, "rep2", "GET", crmBase+"opportunity/records/"+b, nil).Want(t, 404)

		// 销售行为: 3 calls of 50 minutes and a visit this month; per rep.
		d = c.data("dir", "sales_activity")
		if w := d["calls_month"]; f(t, apitest.Lookup(w, "value")) != 3 {
			t.Fatalf("calls this month: %v", w)
		}
		if w := d["call_minutes_month"]; f(t, apitest.Lookup(w, "value")) != 50 {
			t.Fatalf("call minutes: %v", w)
		}
		if w := d["visits_month"]; f(t, apitest.Lookup(w, "value")) != 1 {
			t.Fatalf("visits: %v", w)
		}
		if calls, mins := rows(t, d["per_rep"], "calls"), rows(t, d["per_rep"], "call_minutes"); calls[rep] != 2 || calls[rep2] != 1 ||
			mins[rep] != 40 || mins[rep2] != 10 {
			t.Fatalf("per rep: %v", d["per_rep"])
		}
		// Quotes sent this month: the rep's and rep2's (last quarter's was
		// in December, before the comparison month).
		if w := d["proposals_month"]; f(t, apitest.Lookup(w, "value")) != 2 || f(t, apitest.Lookup(w, "previous")) != 0 {
			t.Fatalf("proposals this month: %v", w)
		}

		// 客户: one of the three customers churned; two of three accounts
		// complete; the loyal account never followed up is at risk.
		d = c.data("dir", "customers")
		if w := d["churn_rate"]; !near(f(t, apitest.Lookup(w, "value")), 1.0/3) {
			t.Fatalf("churn rate: %v", w)
		}
		if w := d["completeness"]; !near(f(t, apitest.Lookup(w, "value")), 2.0/3) {
			t.Fatalf("completeness: %v", w)
		}
		if m := labelled(t, d["by_province"], "count"); m["上海市"] != 2 || m["浙江省"] != 1 || len(m) != 2 {
			t.Fatalf("by province: %v (%v)", m, d["by_province"])
		}
		risk := apitest.Lookup(d["churn_risk"], "records").([]any)
		if len(risk) != 1 || apitest.Lookup(risk[0], "name") != "上海浦江物流有限公司" {
			t.Fatalf("churn risk: %v", risk)
		}

		// Marketing: leads by source and MQL → SQL; won amount by channel
		// through the dashboard run as its publisher, though marketing
		// reads neither opportunities nor contracts nor follow-up notes.
		var leads []string
		for _, src := range []string{"website", "website", "trade_show", "partner"} {
			leads = append(leads, c.create("mkt", "lead", map[string]any{"name": "线索 " + strconv.Itoa(len(leads)), "source": src}))
		}
		c.fire("mkt", "lead", leads[0], "qualify_mql", nil)
		c.fire("mkt", "lead", leads[1], "qualify_sql", nil)
		d = c.data("mkt", "marketing")
		if src := rows(t, d["leads_by_source"], "count"); src["website"] != 2 || src["trade_show"] != 1 || src["partner"] != 1 {
			t.Fatalf("leads by source: %v", src)
		}
		if w := d["mql_sql"]; !near(f(t, apitest.Lookup(w, "value")), 0.5) {
			t.Fatalf("MQL to SQL: %v", w)
		}
		if ch := rows(t, d["won_by_channel"], "sum_amount"); ch["website"] != 700000 || ch["trade_show"] != 300000 || len(ch) != 2 {
			t.Fatalf("won by channel for marketing: %v", ch)
		}
		for _, m := range []string{"opportunity", "contract", "activity", "quote"} {
			e.Do(t, "mkt", "GET", crmBase+m+"/records", nil).Want(t, 403)
		}
		e.Do(t, "mkt", "POST", "/api/apps/crm/query", map[string]any{"module": "opportunity", "measures": []any{map[string]any{"op": "count"}}}).Want(t, 403)
		e.Do(t, "mkt", "GET", "/api/apps/crm/dashboards/sales_overview/data", nil).Want(t, 404)

		// 服务: the agent's tickets; a rep's history of the customer read
		// only.
		tk := func(title, prio string) string {
			return c.create("svc", "ticket", map[string]any{"title": title, "account": acc1, "priority": prio, "type": "fault", "opened_at": "2027-03-01T03:00:00Z"})
		}
		tk("无法登录", "p1")
		t2 := tk("报表导出慢", "p2")
		t3 := tk("咨询开票", "p3")
		c.fire("svc", "ticket", t2, "take", nil)
		c.fire("svc", "ticket", t3, "resolve", map[string]any{"resolution": "已答复"})
		d = c.data("svc", "service")
		if w := d["open_tickets"]; f(t, apitest.Lookup(w, "value")) != 2 {
			t.Fatalf("open tickets: %v", w)
		}
		if w := d["resolution_rate"]; !near(f(t, apitest.Lookup(w, "value")), 1.0/3) {
			t.Fatalf("resolution rate: %v", w)
		}
		if p := rows(t, d["open_by_priority"], "count"); p["p1"] != 1 || p["p2"] != 1 || len(p) != 2 {
			t.Fatalf("open by priority: %v", p)
		}
		if r := e.Do(t, "svc", "GET", crmBase+"contract/records", nil).Want(t, 200); len(r.List("records")) != 3 {
			t.Fatalf("the agent reads the contracts: %s", r.Body)
		}
		e.Do(t, "svc", "PATCH", crmBase+"opportunity/records/"+b, map[string]any{"version": 1, "name": "x"}).Want(t, 403)

		// 回款: a receipt of ¥100,000 today, a plan of ¥87,500 overdue
		// since February and one of ¥50,000 due this month.
		ct := e.Do(t, "fin", "GET", crmBase+"contract/records?sort=amount", nil).Want(t, 200).List("records")[0].(map[string]any)["id"].(string)
		c.create("fin", "payment", map[string]any{"contract": ct, "kind": "receipt", "amount": 100000, "received_on": "2027-03-01", "method": "bank"})
		c.create("fin", "payment", map[string]any{"contract": ct, "kind": "plan", "amount": 87500, "due_on": "2027-02-15"})
		c.create("fin", "payment", map[string]any{"contract": ct, "kind": "plan", "amount": 50000, "due_on": "2027-03-20"})
		d = c.data("fin", "collections")
		if w := d["received_month"]; f(t, apitest.Lookup(w, "value")) != 100000 {
			t.Fatalf("received this month: %v", w)
		}
		if w := d["planned_month"]; f(t, apitest.Lookup(w, "value")) != 50000 {
			t.Fatalf("planned this month: %v", w)
		}
		if w := d["overdue_total"]; f(t, apitest.Lookup(w, "value")) != 87500 {
			t.Fatalf("overdue: %v", w)
		}
		if pl := rows(t, d["planned_by_month"], "sum_amount"); pl["2027-02-01"] != 87500 || pl["2027-03-01"] != 50000 {
			t.Fatalf("planned by month: %v", pl)
		}
		if ov := apitest.Lookup(d["overdue_list"], "records").([]any); len(ov) != 1 || f(t, apitest.Lookup(ov[0], "amount")) != 87500 {
			t.Fatalf("overdue list: %v", ov)
		}

		// Menus: each role lists the dashboards and modules it may use.
		for who, want := range map[string]string{
			"rep":  "customers,sales_activity,sales_overview",
			"mgr":  "customers,sales_activity,sales_overview",
			"dir":  "collections,customers,marketing,sales_activity,sales_overview",
			"mkt":  "marketing",
			"svc":  "service",
			"fin":  "collections",
			"exec": "collections,customers,marketing,sales_activity,sales_overview,service",
		} {
			got := keysOf(t, e.Do(t, who, "GET", "/api/apps/crm/dashboards", nil).Want(t, 200), "dashboards", "key")
			if strings.Join(got, ",") != want {
				t.Errorf("%s's dashboards: %v, want %s", who, got, want)
			}
		}
		mods := func(who string) []string {
			return keysOf(t, e.Do(t, who, "GET", "/api/apps/crm/modules", nil).Want(t, 200), "modules", "key")
		}
		if got := mods("mkt"); slices.Contains(got, "opportunity") || slices.Contains(got, "contract") || slices.Contains(got, "activity") ||
			!slices.Contains(got, "lead") {
			t.Errorf("marketing's modules: %v", got)
		}
		if got := mods("fin"); !slices.Contains(got, "payment") || !slices.Contains(got, "contract") || slices.Contains(got, "lead") ||
			slices.Contains(got, "ticket") {
			t.Errorf("finance's modules: %v", got)
		}
		if got := mods("svc"); !slices.Contains(got, "ticket") || !slices.Contains(got, "contract") || slices.Contains(got, "lead") ||
			slices.Contains(got, "payment") {
			t.Errorf("service agent's modules: %v", got)
		}
		all := mods("admin")
		if got := mods("exec"); !slices.Equal(got, all) {
			t.Errorf("executive's modules: %v, want all %v", got, all)
		}
		// The executive reads everything and changes nothing.
		e.Do(t, "exec", "GET", crmBase+"opportunity/records/"+lost, nil).Want(t, 200)
		e.Do(t, "exec", "POST", crmBase+"account/records", map[string]any{"name": "x"}).Want(t, 403)
		d = c.data("exec", "sales_overview")
		if w := d["revenue_quarter"]; f(t, apitest.Lookup(w, "value")) != 700000 {
			t.Fatalf("executive's quarter: %v", w)
		}
		// The CRM administrator role may reshape the modules.
		e.Do(t, "crmadmin", "GET", crmBase+"ticket/records", nil).Want(t, 200)
	})
}
