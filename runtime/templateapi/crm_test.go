package templateapi_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

// The CRM template (templates/crm) installed through the API and walked
// along a short lead-to-cash path as the roles it ships: a rep's account,
// contact and opportunity, the stage guards, a quote with lines whose 25%
// discount goes to the sales manager and then the director, the contract,
// the win, a payment, and the sales dashboard.

const crmBase = "/api/apps/crm/modules/"

func num(t *testing.T, v any) float64 {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("not a number: %#v", v)
	}
	f, _ := n.Float64()
	return f
}

func TestCRMLeadToCash(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := apitest.New(t, s, start)
		installExample(t, e, "../../templates/crm")
		for name, role := range map[string]string{"rep": "sales_rep", "rep2": "sales_rep", "mgr": "sales_manager", "dir": "sales_director"} {
			id := e.User(t, name, access.NewUser{})
			e.Do(t, "admin", "PATCH", "/api/users/"+id, map[string]any{"roles": []string{role}}).Want(t, 200)
		}
		get := func(who, module, id string) *apitest.Response {
			return e.Do(t, who, "GET", crmBase+module+"/records/"+id, nil).Want(t, 200)
		}
		create := func(who, module string, body map[string]any) *apitest.Response {
			return e.Do(t, who, "POST", crmBase+module+"/records", body).Want(t, 201)
		}
		fire := func(who, module, id, transition string, values map[string]any) *apitest.Response {
			v := get(who, module, id).Num("version")
			return e.Do(t, who, "POST", crmBase+module+"/records/"+id+"/transitions/"+transition,
				map[string]any{"version": v, "values": values}, "Accept-Language", "zh-CN")
		}

		// The rep's account (unique name), contact and opportunity.
		acc := create("rep", "account", map[string]any{"name": "上海华东精密机械有限公司", "tier": "a", "industry": "manufacturing",
			"lifecycle": "interested", "region": "310000"}).Str("id")
		e.Do(t, "rep", "POST", crmBase+"account/records", map[string]any{"name": "上海华东精密机械有限公司"}).Want(t, 409)
		con := create("rep", "contact", map[string]any{"name": "王建国", "account": acc, "title": "采购总监",
			"decision_role": "decision_maker", "phone": "13900001111"}).Str("id")
		opp := create("rep", "opportunity", map[string]any{"name": "数控机床改造项目", "account": acc, "contact": con,
			"type": "new", "product_line": "hardware", "amount": 500000, "expected_close": "2027-05-31", "source": "trade_show"})
		oid := opp.Str("id")
		if opp.Str("stage") != "qualify" || num(t, opp.Get("weighted_amount")) != 50000 {
			t.Fatalf("new opportunity: %s", opp.Body)
		}
		// Another rep sees none of it (scope own).
		e.Do(t, "rep2", "GET", crmBase+"opportunity/records/"+oid, nil).Want(t, 404)
		e.Do(t, "rep2", "GET", crmBase+"account/records/"+acc, nil).Want(t, 404)

		// 需求分析, then 方案报价 is refused until a quote is approved.
		fire("rep", "opportunity", oid, "analyze", nil).Want(t, 200)
		r := fire("rep", "opportunity", oid, "propose", nil).Want(t, 422)
		if !strings.Contains(string(r.Body), "已批准的报价单") {
			t.Fatalf("propose guard: %s", r.Body)
		}

		// Products (the rep only reads them) and a quote with two lines.
		machine := create("admin", "product", map[string]any{"name": "五轴数控加工中心", "code": "CNC-5X", "product_line": "hardware",
			"unit": "台", "list_price": 100000}).Str("id")
		svc := create("admin", "product", map[string]any{"name": "现场调试服务", "code": "SVC-ON", "product_line": "service",
			"unit": "人天", "list_price": 5000}).Str("id")
		e.Do(t, "rep", "POST", crmBase+"product/records", map[string]any{"name": "x", "code": "x", "list_price": 1}).Want(t, 403)
		q := create("rep", "quote", map[string]any{"name": "数控机床改造报价", "opportunity": oid, "account": acc, "discount": 0.25})
		qid := q.Str("id")
		if !strings.HasPrefix(q.Str("number"), "BJ-") || q.Str("status") != "draft" {
			t.Fatalf("new quote: %s", q.Body)
		}
		create("rep", "quote_line", map[string]any{"quote": qid, "product": machine, "quantity": 2, "unit_price": 100000})
		create("rep", "quote_line", map[string]any{"quote": qid, "product": svc, "quantity": 10, "unit_price": 5000})
		e.Do(t, "rep", "POST", crmBase+"quote_line/records", map[string]any{"quote": qid, "product": svc, "quantity": 0, "unit_price": 5000}).Want(t, 422)
		qr := get("rep", "quote", qid)
		if num(t, qr.Get("subtotal")) != 250000 || num(t, qr.Get("total")) != 187500 {
			t.Fatalf("quote totals: %s", qr.Body)
		}

		// 25% off: direct confirmation is refused; the approval goes to the
		// sales manager, then (over 20%) to the director.
		fire("rep", "quote", qid, "confirm", nil).Want(t, 422)
		fire("rep", "quote", qid, "submit", nil).Want(t, 202)
		approve := func(who, step string) {
			in := e.Do(t, who, "GET", "/api/approvals?box=pending", nil).Want(t, 200)
			if len(in.List("items")) != 1 || in.Str("items.0.record") != qid || in.Str("items.0.step") != step {
				t.Fatalf("%s's inbox: %s", who, in.Body)
			}
			e.Do(t, who, "POST", "/api/approvals/"+in.Str("items.0.instance")+"/tasks/"+in.Str("items.0.task")+"/approve",
				map[string]any{"comment": "同意"}).Want(t, 200)
		}
		if in := e.Do(t, "dir", "GET", "/api/approvals?box=pending", nil).Want(t, 200); len(in.List("items")) != 0 {
			t.Fatalf("the director decides after the manager: %s", in.Body)
		}
		approve("mgr", "manager")
		if st := get("rep", "quote", qid).Str("status"); st != "draft" {
			t.Fatalf("after the manager only: %s", st)
		}
		approve("dir", "director")
		if st := get("rep", "quote", qid).Str("status"); st != "approved" {
			t.Fatalf("after both approvals: %s", st)
		}

		// Now 方案报价 and 商务谈判; 合同签署 needs a contract, which the
		// customer's acceptance of the quote drafts.
		fire("rep", "opportunity", oid, "propose", nil).Want(t, 200)
		if w := num(t, get("rep", "opportunity", oid).Get("weighted_amount")); w != 200000 {
			t.Fatalf("weighted at 40%%: %v", w)
		}
		fire("rep", "opportunity", oid, "negotiate", nil).Want(t, 200)
		fire("rep", "opportunity", oid, "sign", nil).Want(t, 422)
		fire("rep", "quote", qid, "accept", nil).Want(t, 200)
		e.RunJobs(t)
		cts := e.Do(t, "rep", "GET", crmBase+"contract/records?filter="+url.QueryEscape(`quote == "`+qid+`"`), nil).Want(t, 200)
		if len(cts.List("records")) != 1 {
			t.Fatalf("draft contract: %s", cts.Body)
		}
		ct := cts.List("records")[0].(map[string]any)
		if !strings.HasPrefix(ct["number"].(string), "HT-2027-") || ct["status"] != "draft" || num(t, ct["amount"]) != 187500 ||
			ct["account"] != acc || ct["opportunity"] != oid {
			t.Fatalf("draft contract: %v", ct)
		}
		fire("rep", "opportunity", oid, "sign", nil).Want(t, 200)

		// A loss needs its reason; the win records the close date.
		if got := fire("rep", "opportunity", oid, "lose", nil).Want(t, 422); !strings.Contains(string(got.Body), "lost_reason") {
			t.Fatalf("lose without a reason: %s", got.Body)
		}
		fire("rep", "opportunity", oid, "win", nil).Want(t, 200)
		won := get("rep", "opportunity", oid)
		if won.Str("stage") != "won" || won.Str("closed_on") != start.Format("2006-01-02") || num(t, won.Get("weighted_amount")) != 500000 {
			t.Fatalf("won: %s", won.Body)
		}
		a := get("rep", "account", acc)
		if num(t, a.Get("won_amount")) != 500000 || num(t, a.Get("open_opportunities")) != 0 || num(t, a.Get("contracts")) != 1 {
			t.Fatalf("account rollups: %s", a.Body)
		}

		// A payment received; a visit updates the account's last follow-up.
		ctID := ct["id"].(string)
		create("admin", "payment", map[string]any{"contract": ctID, "kind": "receipt", "amount": 100000, "received_on": "2027-04-10", "method": "bank"})
		create("admin", "payment", map[string]any{"contract": ctID, "kind": "plan", "amount": 87500, "due_on": "2027-06-30"})
		c := get("rep", "contract", ctID)
		if num(t, c.Get("received")) != 100000 || num(t, c.Get("outstanding")) != 87500 {
			t.Fatalf("contract payments: %s", c.Body)
		}
		create("rep", "activity", map[string]any{"subject": "签约拜访", "type": "visit", "at": "2027-03-01T10:00:00Z", "account": acc, "contact": con})
		e.RunJobs(t)
		if lf := get("rep", "account", acc).Str("last_followup"); !strings.HasPrefix(lf, "2027-03-01T10:00:00") {
			t.Fatalf("last follow-up: %q", lf)
		}

		// The sales overview counts the win, for the director and the rep;
		// no widget answers an error, and every widget of the package
		// answers.
		var overview struct{ Widgets []any }
		if err := json.Unmarshal(read(t, "../../templates/crm")["dashboards/sales_overview.json"], &overview); err != nil {
			t.Fatal(err)
		}
		for _, who := range []string{"dir", "rep"} {
			d := e.Do(t, who, "GET", "/api/apps/crm/dashboards/sales_overview/data", nil).Want(t, 200)
			for key, w := range d.Obj("widgets") {
				if apitest.Lookup(w, "error") != nil {
					t.Fatalf("%s's dashboard, widget %s: %v", who, key, w)
				}
			}
			if len(d.Obj("widgets")) != len(overview.Widgets) || !strings.Contains(string(d.Body), "500000") {
				t.Fatalf("%s's dashboard: %s", who, d.Body)
			}
		}

		// A lead, contacted, converted by its button into an account, a
		// contact and an opportunity in 初步接洽 — all the rep's.
		lead := create("rep", "lead", map[string]any{"name": "李娜", "company": "杭州云帆科技有限公司", "phone": "13712345678",
			"source": "website", "industry": "it_software", "region": "330100", "budget": 80000, "product_interest": "MES 软件"})
		lid := lead.Str("id")
		if lead.Str("status") != "new" {
			t.Fatalf("new lead: %s", lead.Body)
		}
		e.Do(t, "rep", "POST", crmBase+"lead/records", map[string]any{"name": "x", "phone": "1234"}).Want(t, 422)
		e.Do(t, "rep", "POST", crmBase+"lead/records/"+lid+"/actions/convert_lead", map[string]any{}).Want(t, 409)
		fire("rep", "lead", lid, "contact", nil).Want(t, 200)
		e.Do(t, "rep", "POST", crmBase+"lead/records/"+lid+"/actions/convert_lead", map[string]any{}).Want(t, 200)
		l := get("rep", "lead", lid)
		if l.Str("status") != "converted" || l.Str("account") == "" || l.Str("opportunity") == "" {
			t.Fatalf("converted lead: %s", l.Body)
		}
		na := get("rep", "account", l.Str("account"))
		no := get("rep", "opportunity", l.Str("opportunity"))
		if na.Str("name") != "杭州云帆科技有限公司" || no.Str("stage") != "qualify" || num(t, no.Get("amount")) != 80000 ||
			no.Str("account") != na.Str("id") || no.Str("contact") == "" || no.Str("name") != "杭州云帆科技有限公司 - MES 软件" {
			t.Fatalf("converted into: %s\n%s", na.Body, no.Body)
		}
		// The lead's region (a city) and industry (a tree node) carry over;
		// the account's 战区 follows from the region's province (浙江 → 华东).
		if na.Str("region") != "330100" || na.Str("industry") != "it_software" || na.Str("zone") != "east" {
			t.Fatalf("converted account region/industry/zone: %s", na.Body)
		}
		// The buying committee of the deal.
		create("rep", "opportunity_contact", map[string]any{"opportunity": no.Str("id"), "contact": no.Str("contact"),
			"role": "decision_maker", "influence": "high", "attitude": "champion"})
	})
}
