package templateapi_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

// The CRM's sales rules on real records, as the template ships them: leads
// arriving through the inbound webhook are routed by 战区 (round robin in
// the region's team), by product interest, else to the least loaded rep;
// web events and BANT score a lead to MQL and SQL; the first activity
// measures the time to first contact; a duplicate is merged; a month later
// the pools take back the idle 意向 account but not the 成交 one, a
// contract due in 90 days has its renewal, the stale deal reached the
// manager, the A-tier account and the overdue payment told their people,
// the birthday greeting fired — and no rule run failed.
func TestCRMSalesRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := apitest.New(t, s, start)
		installExample(t, e, "../../templates/crm")

		// The organisation the rules name: 销售部 over the three 战区,
		// the product specialists, finance.
		dir := e.User(t, "dir", access.NewUser{})
		mgrE := e.User(t, "mgr_east", access.NewUser{})
		dept := func(key, zh, parent, manager string) {
			e.Do(t, "admin", "POST", "/api/departments", map[string]any{"key": key, "label": map[string]string{"zh-CN": zh, "en": key},
				"parent": parent, "manager": manager}).Want(t, 201)
		}
		dept("sales", "销售部", "", dir)
		dept("east", "华东", "sales", mgrE)
		dept("north", "华北", "sales", "")
		dept("south", "华南", "sales", "")
		dept("solutions", "解决方案部", "", "")
		dept("finance", "财务部", "", "")
		member := func(name, dep, role string) string {
			id := e.User(t, name, access.NewUser{})
			body := map[string]any{"roles": []string{role}}
			if dep != "" {
				body["departments"] = []string{dep}
			}
			e.Do(t, "admin", "PATCH", "/api/users/"+id, body).Want(t, 200)
			return id
		}
		e1, e2 := member("east1", "east", "sales_rep"), member("east2", "east", "sales_rep")
		n1, s1 := member("north1", "north", "sales_rep"), member("south1", "south", "sales_rep")
		sol := member("solution1", "solutions", "sales_rep")
		member("fin", "finance", "finance")
		member("law", "", "legal")
		e.Do(t, "admin", "PATCH", "/api/users/"+mgrE, map[string]any{"roles": []string{"sales_manager"}}).Want(t, 200)
		e.Do(t, "admin", "PATCH", "/api/users/"+dir, map[string]any{"roles": []string{"sales_director"}}).Want(t, 200)
		names := map[string]string{e1: "east1", e2: "east2", n1: "north1", s1: "south1", sol: "solution1"}

		run := func() {
			for i := 0; i < 20 && e.RunJobs(t) > 0; i++ {
			}
		}
		get := func(module, id string) *apitest.Response {
			return e.Do(t, "admin", "GET", crmBase+module+"/records/"+id, nil).Want(t, 200)
		}
		create := func(who, module string, body map[string]any) string {
			return e.Do(t, who, "POST", crmBase+module+"/records", body).Want(t, 201).Str("id")
		}
		notes := func(who string) string {
			return string(e.Do(t, who, "GET", "/api/notifications?unread=true", nil, "Accept-Language", "zh-CN").Want(t, 200).Body)
		}
		token := e.Do(t, "admin", "GET", "/api/apps/crm/rules/lead_web_event", nil).Want(t, 200).Str("trigger.token")
		if token == "" {
			t.Fatal("the web-event rule has no inbound token")
		}
		hook := func(body map[string]any, status int) string {
			return e.Do(t, "", "POST", "/api/hooks/"+token, body).Want(t, status).Str("id")
		}

		// Routing. Three East China leads (by region, sent by name as a web
		// form would) go round robin to
		// the east team; 北京 goes to the north rep; no region but MES
		// interest to the solutions team; neither to the least loaded rep
		// of 销售部 and below (south1, with none).
		var east []string
		for i, p := range []string{"上海", "江苏省", "浙江"} {
			east = append(east, hook(map[string]any{"name": fmt.Sprintf("华东线索%d", i), "company": fmt.Sprintf("华东公司%d", i),
				"phone": fmt.Sprintf("1390000000%d", i), "region": p, "source": "trade_show"}, 201))
			run()
		}
		owners := []string{}
		for _, id := range east {
			l := get("lead", id)
			if l.Str("zone") != "east" {
				t.Fatalf("zone from %s: %s", l.Str("region"), l.Body)
			}
			owners = append(owners, l.Str("owner"))
		}
		if owners[0] == owners[1] || owners[2] != owners[0] || (owners[0] != e1 && owners[0] != e2) || (owners[1] != e1 && owners[1] != e2) {
			t.Fatalf("round robin in the east team: %v (east1 %s, east2 %s)", owners, e1, e2)
		}
		north := hook(map[string]any{"name": "北京线索", "company": "北京公司", "phone": "13800000001", "region": "北京"}, 201)
		mes := hook(map[string]any{"name": "MES线索", "company": "某制造公司", "phone": "13800000002", "product_interest": "MES 软件"}, 201)
		rest := hook(map[string]any{"name": "其他线索", "company": "某公司", "phone": "13800000003"}, 201)
		run()
		for id, want := range map[string]string{north: n1, mes: sol, rest: s1} {
			if got := get("lead", id).Str("owner"); got != want {
				t.Errorf("lead %s went to %s (%s), want %s", get("lead", id).Str("name"), names[got], got, names[want])
			}
		}
		if n := notes("north1"); !strings.Contains(n, "北京线索") || !strings.Contains(n, "1 小时内") {
			t.Errorf("north1's assignment notice: %s", n)
		}

		// Scoring: 展会 25, three form fills +30 = 55 (not yet MQL), two page
		// views +8 = 63 → MQL; the owner's BANT (+30) = 93 → SQL.
		lead := east[0]
		rep := names[owners[0]]
		for _, ev := range []string{"form:contact", "form:whitepaper", "form:demo"} {
			hook(map[string]any{"id": lead, "last_event": ev}, 200)
			run()
		}
		if l := get("lead", lead); num(t, l.Get("score")) != 55 || l.Str("status") != "new" {
			t.Fatalf("after three form fills: %s", l.Body)
		}
		for _, ev := range []string{"page:pricing", "page:case"} {
			hook(map[string]any{"id": lead, "last_event": ev}, 200)
			run()
		}
		if l := get("lead", lead); num(t, l.Get("score")) != 63 || l.Str("status") != "mql" {
			t.Fatalf("after the page views: %s", l.Body)
		}
		v := e.Do(t, rep, "GET", crmBase+"lead/records/"+lead, nil).Want(t, 200).Num("version")
		e.Do(t, rep, "PATCH", crmBase+"lead/records/"+lead, map[string]any{"version": v, "budget": 300000, "authority": true,
			"need": "两条产线的数控改造", "timing": "2027-06-30"}).Want(t, 200)
		run()
		if l := get("lead", lead); num(t, l.Get("score")) != 93 || l.Str("status") != "sql" {
			t.Fatalf("with BANT: %s", l.Body)
		}

		// The first call, 45 minutes after the lead arrived: the time to
		// first contact is kept; a later call leaves it alone.
		call := func(at time.Time) {
			create(rep, "activity", map[string]any{"subject": "电话沟通", "type": "call", "at": at.Format(time.RFC3339), "lead": lead})
			run()
		}
		call(start.Add(45 * time.Minute))
		call(start.Add(5 * time.Hour))
		if l := get("lead", lead); num(t, l.Get("first_contact_hours")) != 0.75 ||
			!strings.HasPrefix(l.Str("first_contacted_at"), start.Add(45*time.Minute).Format("2006-01-02T15:04")) {
			t.Fatalf("time to first contact: %s", l.Body)
		}

		// A second lead with the same mobile is merged
		// into the first, which takes its email.
		dup := hook(map[string]any{"name": "华东线索0（重复）", "company": "华东公司0", "phone": "13900000000", "email": "li@example.com"}, 201)
		run()
		e.Do(t, "admin", "GET", crmBase+"lead/records/"+dup, nil).Want(t, 404)
		if l := get("lead", lead); l.Str("email") != "li@example.com" || l.Str("status") != "sql" {
			t.Fatalf("survivor of the merge: %s", l.Body)
		}

		// Accounts, a contract, a deal, a payment plan and contacts for the
		// month ahead, all the rep's (the plan is the administrator's).
		idle := create("east1", "account", map[string]any{"name": "上海闲置科技有限公司", "tier": "c", "lifecycle": "interested", "region": "上海"})
		won := create("east1", "account", map[string]any{"name": "上海成交实业有限公司", "tier": "c", "lifecycle": "customer", "region": "上海"})
		strategic := create("east1", "account", map[string]any{"name": "上海战略集团有限公司", "tier": "a", "lifecycle": "loyal", "region": "上海",
			"last_followup": start.Format(time.RFC3339)})
		if z := get("account", idle).Str("zone"); z != "east" {
			t.Fatalf("account zone: %q", z)
		}
		contract := create("admin", "contract", map[string]any{"name": "闲置科技年度服务", "account": won, "amount": 120000,
			"starts_on": "2026-06-01", "ends_on": start.AddDate(0, 0, 90).Format("2006-01-02"), "owner": e1})
		// The contract becomes active through its approval (legal → finance)
		// and signature.
		c := crm{t: t, e: e}
		c.fire("admin", "contract", contract, "submit", nil).Want(t, 202)
		c.act("law", contract, "legal", "approve", nil).Want(t, 200)
		c.act("fin", contract, "finance", "approve", nil).Want(t, 200)
		c.fire("admin", "contract", contract, "sign", map[string]any{"signed_on": "2026-05-20"}).Want(t, 200)
		c.fire("admin", "contract", contract, "activate", nil).Want(t, 200)
		deal := create("east1", "opportunity", map[string]any{"name": "成交实业扩产项目", "account": won, "amount": 400000, "type": "upsell"})
		if get("opportunity", deal).Str("stage_since") == "" {
			t.Fatal("a new deal records when it entered its stage")
		}
		create("admin", "payment", map[string]any{"contract": contract, "kind": "plan", "amount": 60000,
			"due_on": start.AddDate(0, 0, 10).Format("2006-01-02"), "owner": e1})
		key := create("east1", "contact", map[string]any{"name": "赵经理", "account": won, "title": "采购经理", "decision_role": "purchasing",
			"key_contact": true, "birthday": "1980-03-20"})
		plain := create("east1", "contact", map[string]any{"name": "钱工", "account": won, "title": "工程师", "decision_role": "technical"})
		run()

		// The key contact becomes 采购总监: the owner hears of it; a plain
		// contact's change tells nobody.
		for _, id := range []string{key, plain} {
			v := get("contact", id).Num("version")
			e.Do(t, "east1", "PATCH", crmBase+"contact/records/"+id, map[string]any{"version": v, "title": "采购总监"}).Want(t, 200)
		}
		run()
		if n := notes("east1"); !strings.Contains(n, "赵经理") || strings.Contains(n, "钱工") {
			t.Errorf("key contact alert: %s", n)
		}

		// A month later (31 days: past every threshold).
		e.Advance(31 * 24 * time.Hour)
		run()
		if o := get("account", idle).Get("owner"); o != nil {
			t.Errorf("the idle C-tier 意向 account is still %v's", o)
		}
		if o := get("account", won).Str("owner"); o != e1 {
			t.Errorf("the 成交 account left its owner: %q", o)
		}
		if o := get("account", strategic).Str("owner"); o != e1 {
			t.Errorf("the A-tier account is reclaimed only after 90 days: %q", o)
		}
		pool := e.Do(t, "east1", "GET", "/api/apps/crm/pools/account_east/records", nil).Want(t, 200)
		if !strings.Contains(string(pool.Body), idle) {
			t.Errorf("the east account pool lacks the idle account: %s", pool.Body)
		}
		e.Do(t, "north1", "GET", "/api/apps/crm/pools/account_east/records", nil).Want(t, 404) // another 战区's pool is not even there
		if o := get("lead", north).Get("owner"); o != nil {
			t.Errorf("a lead without follow-up for 7 days stays with %v", o)
		}
		renewals := e.Do(t, "admin", "GET", crmBase+"opportunity/records?filter="+url.QueryEscape(`type == "renewal"`), nil).Want(t, 200)
		if rs := renewals.List("records"); len(rs) != 1 {
			t.Fatalf("renewal opportunities: %s", renewals.Body)
		} else if r := rs[0].(map[string]any); r["account"] != won || r["owner"] != e1 || num(t, r["amount"]) != 120000 || r["stage"] != "qualify" {
			t.Errorf("renewal: %v", r)
		}
		if n := notes("mgr_east"); !strings.Contains(n, "成交实业扩产项目") {
			t.Errorf("the east manager was not told of the stale deal: %s", n)
		}
		n := notes("east1")
		for _, want := range []string{"上海战略集团有限公司", "¥60000", "赵经理」的生日"} {
			if !strings.Contains(n, want) {
				t.Errorf("east1's notifications lack %q: %s", want, n)
			}
		}
		if n := notes("fin"); !strings.Contains(n, "¥60000") {
			t.Errorf("finance was not told of the overdue payment: %s", n)
		}

		// Every rule of the package ran without a failure; the sales rules
		// each ran at least once.
		rules := e.Do(t, "admin", "GET", "/api/apps/crm/rules", nil).Want(t, 200)
		ran := map[string]int{}
		for _, x := range rules.List("rules") {
			k := x.(map[string]any)["key"].(string)
			for _, r := range e.Do(t, "admin", "GET", "/api/apps/crm/rules/"+k+"/runs", nil).Want(t, 200).List("runs") {
				r := r.(map[string]any)
				if r["outcome"] == "failed" {
					t.Errorf("rule %s failed on %v: %v", k, r["record"], r["error"])
				}
				if r["outcome"] == "ok" {
					ran[k]++
				}
			}
		}
		for _, k := range []string{"lead_dedupe", "lead_route", "lead_web_event", "lead_mql", "lead_sql", "contract_renewal",
			"opportunity_stale", "account_a_idle", "contact_key_change", "payment_overdue", "contact_birthday"} {
			if ran[k] == 0 {
				t.Errorf("rule %s never ran (runs: %v)", k, ran)
			}
		}
	})
}
