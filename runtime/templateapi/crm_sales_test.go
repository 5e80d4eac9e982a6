package templateapi_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/pdf/pdftest"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

// crm drives the installed CRM through the API as its users.
type crm struct {
	t *testing.T
	e *apitest.Env
}

func (c crm) get(who, module, id string) *apitest.Response {
	c.t.Helper()
	return c.e.Do(c.t, who, "GET", crmBase+module+"/records/"+id, nil).Want(c.t, 200)
}

func (c crm) create(who, module string, body map[string]any) *apitest.Response {
	c.t.Helper()
	return c.e.Do(c.t, who, "POST", crmBase+module+"/records", body, "Accept-Language", "zh-CN")
}

func (c crm) patch(who, module, id string, body map[string]any) *apitest.Response {
	c.t.Helper()
	body["version"] = c.get(who, module, id).Num("version")
	return c.e.Do(c.t, who, "PATCH", crmBase+module+"/records/"+id, body, "Accept-Language", "zh-CN")
}

func (c crm) fire(who, module, id, transition string, values map[string]any) *apitest.Response {
	c.t.Helper()
	v := c.get(who, module, id).Num("version")
	return c.e.Do(c.t, who, "POST", crmBase+module+"/records/"+id+"/transitions/"+transition,
		map[string]any{"version": v, "values": values}, "Accept-Language", "zh-CN")
}

// pending is who's pending approval tasks on record id, as "step" names.
func (c crm) pending(who, id string) []string {
	c.t.Helper()
	var out []string
	for _, x := range c.e.Do(c.t, who, "GET", "/api/approvals?box=pending", nil).Want(c.t, 200).List("items") {
		it := x.(map[string]any)
		if it["record"] == id {
			out = append(out, it["step"].(string))
		}
	}
	return out
}

// act takes action on who's one pending task on record id at step.
func (c crm) act(who, id, step, action string, body map[string]any) *apitest.Response {
	c.t.Helper()
	for _, x := range c.e.Do(c.t, who, "GET", "/api/approvals?box=pending", nil).Want(c.t, 200).List("items") {
		it := x.(map[string]any)
		if it["record"] == id && it["step"] == step {
			return c.e.Do(c.t, who, "POST", "/api/approvals/"+it["instance"].(string)+"/tasks/"+it["task"].(string)+"/"+action, body)
		}
	}
	c.t.Fatalf("%s has no task at step %s of %s", who, step, id)
	return nil
}

// status is a record's status field.
func (c crm) status(module, id, field string) string {
	c.t.Helper()
	return c.get("admin", module, id).Str(field)
}

// The sales back office of the CRM template: prices per tier, the quote
// discount approval (manager; manager → director; manager → 会签 of
// director and finance; rejection and 退回), the contract drafted from an
// accepted quote and approved legal → finance (→ general manager above
// ¥1,000,000), printed quote and contract with the amount in capitals,
// an order through its delivery states, an invoice request approved by
// finance, payment plans and receipts (received, outstanding, overdue),
// the commission of each receipt, the account's order figures, and the
// targets source over the target module.
func TestCRMSalesBackOffice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := apitest.New(t, s, start)
		installExample(t, e, "../../templates/crm")
		c := crm{t: t, e: e}
		for name, role := range map[string]string{"rep": "sales_rep", "mgr": "sales_manager", "dir": "sales_director",
			"fin": "finance", "law": "legal", "gm": "general_manager"} {
			id := e.User(t, name, access.NewUser{})
			e.Do(t, "admin", "PATCH", "/api/users/"+id, map[string]any{"roles": []string{role}}).Want(t, 200)
		}

		// Products with a price per customer tier; a negative price is refused.
		erp := c.create("admin", "product", map[string]any{"name": "云帆 ERP 企业版", "code": "ERP-EE", "product_line": "software", "unit": "套",
			"list_price": 800000, "price_a": 720000, "price_b": 760000}).Want(t, 201)
		if num(t, erp.Get("price_a")) != 720000 || erp.Get("price_c") != nil {
			t.Fatalf("tier prices: %s", erp.Body)
		}
		c.create("admin", "product", map[string]any{"name": "x", "code": "x", "list_price": 1, "price_b": -5}).Want(t, 422).Contains(t, "价格不能为负数")
		impl := c.create("admin", "product", map[string]any{"name": "实施服务", "code": "SVC-IMPL", "product_line": "service", "unit": "人天",
			"list_price": 4000}).Want(t, 201).Str("id")

		acc := c.create("rep", "account", map[string]any{"name": "苏州工业园区智造有限公司", "tier": "a", "region": "江苏 苏州"}).Want(t, 201).Str("id")
		opp := c.create("rep", "opportunity", map[string]any{"name": "智造 ERP 项目", "account": acc, "type": "new", "product_line": "software",
			"amount": 1600000, "expected_close": "2027-06-30"}).Want(t, 201).Str("id")
		quote := func(name string, discount float64, qty int) string {
			q := c.create("rep", "quote", map[string]any{"name": name, "opportunity": opp, "account": acc, "discount": discount,
				"valid_until": "2027-03-31", "notes": "付款方式：合同签订后分两期支付。"}).Want(t, 201).Str("id")
			c.create("rep", "quote_line", map[string]any{"quote": q, "product": erp.Str("id"), "quantity": qty, "unit_price": 800000}).Want(t, 201)
			return q
		}

		// 25%: the manager, then the director; finance has nothing to do.
		q25 := quote("ERP 报价（标准）", 0.25, 2)
		if qr := c.get("rep", "quote", q25); num(t, qr.Get("total")) != 1200000 || qr.Str("tier") != "a" || qr.Str("product_line") != "software" ||
			qr.Get("new_customer") != true {
			t.Fatalf("quote: %s", qr.Body)
		}
		c.fire("rep", "quote", q25, "submit", nil).Want(t, 202)
		if got := c.pending("mgr", q25); !slices.Equal(got, []string{"manager"}) {
			t.Fatalf("manager's inbox: %v", got)
		}
		c.act("mgr", q25, "manager", "approve", nil).Want(t, 200)
		if got, fin := c.pending("dir", q25), c.pending("fin", q25); !slices.Equal(got, []string{"director"}) || len(fin) != 0 {
			t.Fatalf("after the manager: director %v, finance %v", got, fin)
		}
		c.act("dir", q25, "director", "approve", nil).Want(t, 200)
		if st := c.status("quote", q25, "status"); st != "approved" {
			t.Fatalf("25%% quote after manager and director: %s", st)
		}

		// 35%: the manager, then director AND finance (会签). The director
		// first sends it back to the manager (退回), who approves again.
		q35 := quote("ERP 报价（战略）", 0.35, 1)
		c.fire("rep", "quote", q35, "submit", nil).Want(t, 202)
		c.act("mgr", q35, "manager", "approve", nil).Want(t, 200)
		if d, f := c.pending("dir", q35), c.pending("fin", q35); !slices.Equal(d, []string{"countersign"}) || !slices.Equal(f, []string{"countersign"}) {
			t.Fatalf("countersign: director %v, finance %v", d, f)
		}
		c.act("dir", q35, "countersign", "return", map[string]any{"to_step": "manager", "comment": "请经理再核实折扣"}).Want(t, 200)
		if got, f := c.pending("mgr", q35), c.pending("fin", q35); !slices.Equal(got, []string{"manager"}) || len(f) != 0 {
			t.Fatalf("returned to the manager: manager %v, finance %v", got, f)
		}
		c.act("mgr", q35, "manager", "approve", nil).Want(t, 200)
		c.act("dir", q35, "countersign", "approve", nil).Want(t, 200)
		if st := c.status("quote", q35, "status"); st != "draft" {
			t.Fatalf("35%% quote with the director only: %s", st)
		}
		c.act("fin", q35, "countersign", "approve", nil).Want(t, 200)
		if st := c.status("quote", q35, "status"); st != "approved" {
			t.Fatalf("35%% quote after the countersign: %s", st)
		}

		// 15%: the manager only; a rejection leaves the quote in draft and
		// it can be submitted again.
		q15 := quote("ERP 报价（小折扣）", 0.15, 1)
		c.fire("rep", "quote", q15, "submit", nil).Want(t, 202)
		c.act("mgr", q15, "manager", "reject", map[string]any{"comment": "折扣理由不足"}).Want(t, 200)
		if st := c.status("quote", q15, "status"); st != "draft" {
			t.Fatalf("rejected quote: %s", st)
		}
		if len(c.pending("dir", q15)) != 0 {
			t.Fatal("a 15% quote reached the director")
		}
		c.fire("rep", "quote", q15, "submit", nil).Want(t, 202)

		// The quote PDF: lines, total, the total in capitals, signatures.
		qpdf := e.Do(t, "rep", "GET", crmBase+"quote/records/"+q25+"/print/quote", nil, "Accept-Language", "zh-CN").Want(t, 200)
		qtext := pdftest.Compact(pdftest.Text(t, qpdf.Body))
		for _, want := range []string{"报价单BJ-2027-", "云帆ERP企业版", "1,600,000.00", "整单折扣25%", "报价总额1,200,000.00", "壹佰贰拾万元整", "客户确认（签字盖章）", "苏州工业园区智造有限公司"} {
			if !strings.Contains(qtext, pdftest.Compact(want)) {
				t.Errorf("quote PDF lacks %q:\n%s", want, qtext)
			}
		}

		// The customer accepts the 25% quote: a draft contract for its total.
		c.fire("rep", "quote", q25, "accept", nil).Want(t, 200)
		e.RunJobs(t)
		cts := e.Do(t, "rep", "GET", crmBase+"contract/records?filter="+url.QueryEscape(`quote == "`+q25+`"`), nil).Want(t, 200).List("records")
		if len(cts) != 1 {
			t.Fatalf("draft contracts: %v", cts)
		}
		big := cts[0].(map[string]any)
		bid := big["id"].(string)
		if num(t, big["amount"]) != 1200000 || big["status"] != "draft" || big["product_line"] != "software" || big["new_customer"] != true ||
			!strings.HasPrefix(big["number"].(string), "HT-2027-") {
			t.Fatalf("draft contract: %v", big)
		}

		// Its approval needs the dates; then legal → finance → the general
		// manager (over ¥1,000,000). The locked contract refuses the rep's edit.
		c.fire("rep", "contract", bid, "submit", nil).Want(t, 422).Contains(t, "起止日期")
		c.patch("rep", "contract", bid, map[string]any{"starts_on": "2027-04-01", "ends_on": "2028-03-31",
			"terms": "乙方负责系统部署与培训，质保期一年。"}).Want(t, 200)
		c.fire("rep", "contract", bid, "submit", nil).Want(t, 202)
		c.patch("rep", "contract", bid, map[string]any{"terms": "改"}).Want(t, 403).Contains(t, "记录已锁定")
		for _, st := range [][2]string{{"law", "legal"}, {"fin", "finance"}, {"gm", "general_manager"}} {
			if got := c.pending(st[0], bid); !slices.Equal(got, []string{st[1]}) {
				t.Fatalf("contract step %s: %s has %v", st[1], st[0], got)
			}
			if s := c.status("contract", bid, "status"); s != "draft" {
				t.Fatalf("contract before step %s: %s", st[1], s)
			}
			c.act(st[0], bid, st[1], "approve", nil).Want(t, 200)
		}
		if s := c.status("contract", bid, "status"); s != "approved" {
			t.Fatalf("approved contract: %s", s)
		}
		// Signing needs the date it was signed.
		c.fire("rep", "contract", bid, "sign", nil).Want(t, 422)
		c.fire("rep", "contract", bid, "sign", map[string]any{"signed_on": "2027-03-01"}).Want(t, 200)

		// A smaller contract skips the general manager.
		small := c.create("rep", "contract", map[string]any{"name": "智造实施服务合同", "account": acc, "opportunity": opp, "amount": 300000,
			"starts_on": "2027-04-01", "ends_on": "2027-09-30", "product_line": "service"}).Want(t, 201).Str("id")
		c.fire("rep", "contract", small, "submit", nil).Want(t, 202)
		c.act("law", small, "legal", "approve", nil).Want(t, 200)
		c.act("fin", small, "finance", "approve", nil).Want(t, 200)
		if s := c.status("contract", small, "status"); s != "approved" || len(c.pending("gm", small)) != 0 {
			t.Fatalf("contract under ¥1,000,000: %s", s)
		}

		// Payment plans (one already overdue) and two receipts against them.
		planA := c.create("fin", "payment", map[string]any{"contract": bid, "kind": "plan", "amount": 600000, "due_on": "2027-02-20",
			"notes": "首付款"}).Want(t, 201)
		if planA.Get("overdue") != true || planA.Str("status") != "已逾期" || num(t, planA.Get("overdue_days")) != 9 {
			t.Fatalf("overdue plan: %s", planA.Body)
		}
		planB := c.create("fin", "payment", map[string]any{"contract": bid, "kind": "plan", "amount": 600000, "due_on": "2027-03-31",
			"notes": "验收款"}).Want(t, 201).Str("id")
		c.create("fin", "payment", map[string]any{"contract": bid, "kind": "plan", "amount": 1}).Want(t, 422).Contains(t, "计划回款日")
		r1 := c.create("fin", "payment", map[string]any{"contract": bid, "kind": "receipt", "plan": planA.Str("id"), "amount": 400000,
			"received_on": "2027-03-01", "method": "bank"}).Want(t, 201).Str("id")
		if p := c.get("fin", "payment", planA.Str("id")); p.Get("overdue") != true || p.Str("status") != "已逾期" || num(t, p.Get("received")) != 400000 {
			t.Fatalf("plan partly received: %s", p.Body)
		}
		c.create("fin", "payment", map[string]any{"contract": bid, "kind": "receipt", "plan": planA.Str("id"), "amount": 200000,
			"received_on": "2027-03-01", "method": "acceptance"}).Want(t, 201)
		if p := c.get("fin", "payment", planA.Str("id")); p.Get("overdue") != false || p.Str("status") != "已回款" {
			t.Fatalf("plan received in full: %s", p.Body)
		}
		ct := c.get("rep", "contract", bid)
		if num(t, ct.Get("received")) != 600000 || num(t, ct.Get("outstanding")) != 600000 || num(t, ct.Get("planned")) != 1200000 {
			t.Fatalf("contract after two receipts: %s", ct.Body)
		}
		// The second plan goes overdue overnight after its due date (a
		// formula reading the clock, recomputed daily).
		e.Set(time.Date(2027, 4, 1, 0, 0, 5, 0, time.UTC))
		e.RunJobs(t)
		if p := c.get("fin", "payment", planB); p.Get("overdue") != true || num(t, p.Get("overdue_days")) != 1 {
			t.Fatalf("plan after its due date: %s", p.Body)
		}

		// Each receipt makes the rep's commission: software 8% + 2% for a
		// new customer.
		e.RunJobs(t)
		cms := e.Do(t, "rep", "GET", crmBase+"commission/records?sort=base", nil).Want(t, 200).List("records")
		if len(cms) != 2 {
			t.Fatalf("commissions: %v", cms)
		}
		for i, want := range []float64{20000, 40000} {
			cm := cms[i].(map[string]any)
			if num(t, cm["amount"]) != want || cm["rep"] != e.IDs["rep"] || num(t, cm["rate"]) != 0.08 || num(t, cm["bonus_rate"]) != 0.02 {
				t.Fatalf("commission %d: %v", i, cm)
			}
		}
		if cm := cms[1].(map[string]any); cm["payment"] != r1 || cm["received_on"] != "2027-03-01" {
			t.Fatalf("commission of the first receipt: %v", cm)
		}

		// The contract PDF (as finance, who reads the payments): amount in
		// capitals, the payment schedule, signatures.
		cpdf := e.Do(t, "fin", "GET", crmBase+"contract/records/"+bid+"/print/contract", nil, "Accept-Language", "zh-CN").Want(t, 200)
		ctext := pdftest.Compact(pdftest.Text(t, cpdf.Body))
		for _, want := range []string{"销售合同HT-2027-", "壹佰贰拾万元整", "首付款", "验收款", "回款计划2027-02-20600,000.00首付款", "甲方（签字盖章）", "乙方（签字盖章）", "质保期一年"} {
			if !strings.Contains(ctext, pdftest.Compact(want)) {
				t.Errorf("contract PDF lacks %q:\n%s", want, ctext)
			}
		}

		// Orders: lines, then 待发货 → 已发货 (needs the tracking number;
		// the date is recorded) → 已签收. The account counts them.
		order := func(ordered string, qty int) string {
			o := c.create("rep", "sales_order", map[string]any{"name": "ERP 订单 " + ordered, "account": acc, "contract": bid, "ordered_on": ordered}).Want(t, 201).Str("id")
			c.create("rep", "order_line", map[string]any{"sales_order": o, "product": impl, "quantity": qty, "unit_price": 4000}).Want(t, 201)
			return o
		}
		o1 := order("2026-12-01", 50)
		if st := c.status("sales_order", o1, "delivery_status"); st != "pending" {
			t.Fatalf("new order: %s", st)
		}
		c.fire("rep", "sales_order", o1, "ship", nil).Want(t, 422).Contains(t, "tracking_no")
		c.fire("rep", "sales_order", o1, "ship", map[string]any{"tracking_no": "SF1234567890"}).Want(t, 200)
		if o := c.get("rep", "sales_order", o1); o.Str("delivery_status") != "shipped" || o.Str("shipped_on") != "2027-04-01" || num(t, o.Get("amount")) != 200000 {
			t.Fatalf("shipped order: %s", o.Body)
		}
		c.fire("rep", "sales_order", o1, "receive", nil).Want(t, 200)
		if o := c.get("rep", "sales_order", o1); o.Str("delivery_status") != "received" || o.Str("received_on") != "2027-04-01" {
			t.Fatalf("received order: %s", o.Body)
		}
		order("2027-03-22", 25)
		a := c.get("rep", "account", acc)
		if num(t, a.Get("orders")) != 2 || num(t, a.Get("order_amount")) != 300000 || num(t, a.Get("avg_order_value")) != 150000 ||
			num(t, a.Get("repurchases")) != 1 || num(t, a.Get("recency_days")) != 10 || num(t, a.Get("rfm_r")) != 5 ||
			num(t, a.Get("rfm_f")) != 2 || num(t, a.Get("rfm_m")) != 3 || a.Str("rfm_segment") != "重要发展客户" || num(t, a.Get("clv")) != 900000 {
			t.Fatalf("account order figures: %s", a.Body)
		}

		// An invoice request: a special invoice needs the taxpayer ID, and
		// cannot exceed the contract; finance approves it.
		inv := map[string]any{"contract": bid, "account": acc, "amount": 600000, "title": "苏州工业园区智造有限公司", "invoice_type": "special"}
		c.create("rep", "invoice_request", inv).Want(t, 422).Contains(t, "纳税人识别号")
		inv["tax_id"] = "91320594MA1XXXXX0L"
		inv["amount"] = 1300000
		c.create("rep", "invoice_request", inv).Want(t, 422).Contains(t, "不能超过合同金额")
		inv["amount"] = 600000
		iid := c.create("rep", "invoice_request", inv).Want(t, 201).Str("id")
		c.fire("rep", "invoice_request", iid, "submit", nil).Want(t, 202)
		c.act("fin", iid, "finance", "approve", nil).Want(t, 200)
		if s := c.status("invoice_request", iid, "status"); s != "approved" {
			t.Fatalf("invoice request: %s", s)
		}
		c.fire("fin", "invoice_request", iid, "issue", map[string]any{"invoice_no": "32000123"}).Want(t, 200)
		if num(t, c.get("rep", "contract", bid).Get("invoiced")) != 600000 {
			t.Fatal("the contract's invoiced amount")
		}

		// Targets per rep and quarter feed the targets source.
		c.create("admin", "target", map[string]any{"rep": e.IDs["rep"], "period": "2027-02-01", "amount": 1}).Want(t, 422).Contains(t, "季度起始日")
		tg := c.create("admin", "target", map[string]any{"rep": e.IDs["rep"], "department": "east", "period": "2027-01-01", "amount": 2000000}).Want(t, 201)
		if tg.Str("quarter") != "2027 Q1" {
			t.Fatalf("target: %s", tg.Body)
		}
		c.fire("rep", "opportunity", opp, "analyze", nil).Want(t, 200)
		for _, tr := range []string{"propose", "negotiate", "sign", "win"} {
			c.fire("rep", "opportunity", opp, tr, nil).Want(t, 200)
		}
		rows := e.Do(t, "admin", "POST", "/api/apps/crm/query", map[string]any{"source": "targets", "module": "opportunity",
			"filter": `stage == "won"`, "measures": []any{map[string]any{"op": "sum", "field": "amount"}},
			"range":  map[string]any{"field": "closed_on", "from": "2027-01-01", "to": "2027-07-01"},
			"params": map[string]any{"targets": "target", "value": "amount", "period": "period", "owner": "rep"}}).Want(t, 200).List("rows")
		if len(rows) != 1 {
			t.Fatalf("targets rows: %v", rows)
		}
		row := rows[0].([]any)
		if row[1] != e.IDs["rep"] || num(t, row[2]) != 2000000 || num(t, row[3]) != 1600000 || num(t, row[4]) != 0.8 {
			t.Fatalf("target attainment: %v", row)
		}
	})
}
