package flowapi_test

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestBoard(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.pipeline(t)
		a := e.deal(t, "rep", map[string]any{"name": "A", "amount": 100}).str("id")
		e.advance(time.Minute)
		e.deal(t, "rep", map[string]any{"name": "B", "amount": 200})
		e.advance(time.Minute)
		c := e.deal(t, "rep", map[string]any{"name": "C", "amount": 300}).str("id")
		e.advance(time.Minute)
		e.deal(t, "other", map[string]any{"name": "D", "amount": 1000})
		e.fire(t, "rep", c, "qualify", nil).want(t, 200)
		board := "/api/apps/crm/modules/deal/board"

		r := e.do(t, "admin", "GET", board+"?sum=amount&limit=2&sort=name", nil).want(t, 200)
		if r.str("flow") != "pipeline" || r.num("columns.#") != 6 {
			t.Fatalf("board: %s", r.body)
		}
		lead, qualified := "columns.0.", "columns.1."
		if r.str(lead+"state") != "lead" || r.num(lead+"count") != 3 || r.num(lead+"sum") != 1300 || r.num(lead+"records.#") != 2 ||
			r.str(lead+"records.0.name") != "A" || r.str(lead+"next_cursor") == "" {
			t.Errorf("lead column: %s", r.body)
		}
		if r.num(qualified+"count") != 1 || r.num(qualified+"sum") != 300 || r.str(qualified+"records.0.id") != c || r.str(qualified+"next_cursor") != "" {
			t.Errorf("qualified column: %s", r.body)
		}
		if r.num("columns.4.count") != 0 || r.get("columns.4.sum") != float64(0) || r.num("columns.4.records.#") != 0 {
			t.Errorf("empty won column: %s", r.body)
		}
		// One column, its next page.
		next := e.do(t, "admin", "GET", board+"?sum=amount&limit=2&sort=name&state=lead&cursor="+url.QueryEscape(r.str(lead+"next_cursor")), nil).want(t, 200)
		if next.num("columns.#") != 1 || next.num("columns.0.records.#") != 1 || next.str("columns.0.records.0.name") != "D" || next.str("columns.0.next_cursor") != "" {
			t.Errorf("lead page 2: %s", next.body)
		}
		// The list filter applies to counts, sums and records.
		f := e.do(t, "admin", "GET", board+"?sum=amount&filter="+url.QueryEscape("amount > 150"), nil).want(t, 200)
		if f.num("columns.0.count") != 2 || f.num("columns.0.sum") != 1200 {
			t.Errorf("filtered board: %s", f.body)
		}
		// Inside the rep's scope (own) and field permissions.
		rep := e.do(t, "rep", "GET", board+"?sum=amount", nil).want(t, 200)
		if rep.num("columns.0.count") != 2 || rep.num("columns.0.sum") != 300 || strings.Contains(string(rep.body), `"D"`) || strings.Contains(string(rep.body), "margin") {
			t.Errorf("rep's board: %s", rep.body)
		}
		if r := e.do(t, "rep", "GET", board+"?sum=margin", nil).want(t, 400); !strings.Contains(string(r.body), "margin") {
			t.Errorf("summing a hidden field: %s", r.body)
		}
		e.do(t, "rep", "GET", board+"?filter="+url.QueryEscape("margin > 0"), nil).want(t, 400)
		e.do(t, "admin", "GET", board+"?sum=name", nil).want(t, 400)
		e.do(t, "admin", "GET", board+"?cursor=abc", nil).want(t, 400)
		e.do(t, "admin", "GET", board+"?state=limbo", nil).want(t, 400)
		e.do(t, "admin", "GET", board+"?flow=nope", nil).want(t, 404)
		_ = a
	})
}

func TestStats(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.pipeline(t)
		t0 := e.clock() // Monday 2026-03-02 09:00 UTC, 17:00 in Shanghai
		a := e.deal(t, "rep", map[string]any{"name": "A", "amount": 10, "close_on": "2026-04-01"}).str("id")
		b := e.deal(t, "rep", map[string]any{"name": "B"}).str("id")
		e.deal(t, "rep", map[string]any{"name": "C"})
		e.deal(t, "other", map[string]any{"name": "D"})
		e.advance(24 * time.Hour)
		e.fire(t, "rep", a, "qualify", nil).want(t, 200)
		e.fire(t, "rep", b, "qualify", nil).want(t, 200)
		e.advance(48 * time.Hour)
		e.fire(t, "rep", a, "propose", nil).want(t, 200)
		e.fire(t, "rep", b, "lose", map[string]any{"lost_reason": "price"}).want(t, 200)
		e.advance(24 * time.Hour)
		e.fire(t, "boss", a, "negotiate", nil).want(t, 200)
		e.advance(72 * time.Hour)
		e.fire(t, "boss", a, "win", map[string]any{"contract_no": "C-1"}).want(t, 200)

		// Business time: Monday 17:00 → Tuesday 17:00 in Shanghai is
		// 1 + 3 + 4 = 8 working hours on the default calendar.
		h := e.history(t, a)
		if got := h[1].(map[string]any)["business_seconds_in_prev"]; got != float64(8*3600) {
			t.Errorf("business seconds in lead: %v", got)
		}

		e.advance(time.Hour) // the period ends now, after the last move
		from := url.QueryEscape(t0.Format(time.RFC3339))
		r := e.do(t, "admin", "GET", flows+"/pipeline/stats?from="+from, nil).want(t, 200)
		type want struct {
			entered, left       float64
			next, won, avg, med any
		}
		check := func(r *response, i int, w want) {
			t.Helper()
			p := "states." + string(rune('0'+i)) + "."
			got := want{r.num(p + "entered"), r.num(p + "left"), r.get(p + "conversion_next"), r.get(p + "conversion_won"),
				r.get(p + "avg_days"), r.get(p + "median_days")}
			if got != w {
				t.Errorf("%s: %+v, want %+v", r.str(p+"state"), got, w)
			}
		}
		check(r, 0, want{4, 2, 0.5, 0.25, 1.0, 1.0}) // lead
		check(r, 1, want{2, 2, 0.5, 0.5, 2.0, 2.0})  // qualified
		check(r, 2, want{1, 1, 1.0, 1.0, 1.0, 1.0})  // proposal
		check(r, 3, want{1, 1, 1.0, 1.0, 3.0, 3.0})  // negotiation
		check(r, 4, want{1, 0, nil, nil, nil, nil})  // won
		check(r, 5, want{1, 0, nil, nil, nil, nil})  // lost
		if r.get("states.0.avg_business_hours") != 8.0 {
			t.Errorf("lead business hours: %v", r.get("states.0.avg_business_hours"))
		}
		// The rep's figures count the records the rep may read.
		rep := e.do(t, "rep", "GET", flows+"/pipeline/stats?from="+from, nil).want(t, 200)
		check(rep, 0, want{3, 2, 0.6667, 0.3333, 1.0, 1.0})
		// A later period: what entered before it does not count as entered.
		later := url.QueryEscape(t0.Add(36 * time.Hour).Format(time.RFC3339))
		r = e.do(t, "admin", "GET", flows+"/pipeline/stats?from="+later, nil).want(t, 200)
		check(r, 0, want{0, 0, nil, nil, nil, nil})
		check(r, 1, want{0, 2, nil, nil, 2.0, 2.0})
		e.do(t, "admin", "GET", flows+"/pipeline/stats?from=yesterday", nil).want(t, 400)
		e.do(t, "admin", "GET", flows+"/pipeline/stats?from=2026-05-01&to=2026-04-01", nil).want(t, 400)
	})
}

func TestDiagram(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.pipeline(t)
		r := e.doIn(t, "zh-CN", "rep", "GET", flows+"/pipeline/diagram", nil).want(t, 200)
		src := string(r.body)
		for _, want := range []string{
			"stateDiagram-v2\n", "[*] --> lead\n", `state "初步接洽" as lead`, `state "赢单" as won`,
			"lead --> qualified: Qualify\n", "negotiation --> won: Win\n", "qualified --> lost: Lose\n", "won --> lost: Lose\n",
			"lost --> lead: Reopen\n", "won --> [*]\n", "lost --> [*]\n",
		} {
			if !strings.Contains(src, want) {
				t.Errorf("diagram lacks %q:\n%s", want, src)
			}
		}
		if strings.Contains(src, "lost --> lost") {
			t.Errorf("\"*\" includes the target itself:\n%s", src)
		}
		e.do(t, "rep", "GET", flows+"/nope/diagram", nil).want(t, 404)
	})
}

func TestStageChangedTrigger(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.pipeline(t)
		rule := func(key string, trigger map[string]any) *response {
			return e.do(t, "admin", "POST", "/api/apps/crm/rules", map[string]any{"key": key, "label": label(key, key), "module": "deal",
				"trigger": trigger, "actions": []any{map[string]any{"type": "set", "values": map[string]string{"won_note": `concat(coalesce(won_note, ""), "` + key + `;")`}}}})
		}
		rule("to_won", map[string]any{"type": "stage_changed", "to": "won"}).want(t, 201)
		rule("any_move", map[string]any{"type": "stage_changed", "flow": "pipeline"}).want(t, 201)
		rule("from_lead", map[string]any{"type": "stage_changed", "from": "lead", "to": "qualified"}).want(t, 201)
		if r := rule("bad_state", map[string]any{"type": "stage_changed", "to": "nowhere"}).want(t, 422); !strings.Contains(string(r.body), "trigger.to") {
			t.Errorf("unknown state in the trigger: %s", r.body)
		}
		rule("bad_flow", map[string]any{"type": "stage_changed", "flow": "other"}).want(t, 422)
		e.do(t, "admin", "POST", "/api/apps/crm/rules", map[string]any{"key": "on_task", "label": label("t", "t"), "module": "task",
			"trigger": map[string]any{"type": "stage_changed"}, "actions": []any{map[string]any{"type": "set", "values": map[string]string{"title": `"x"`}}}}).want(t, 422)

		id := e.deal(t, "rep", map[string]any{"name": "A", "amount": 5, "close_on": "2026-09-01"}).str("id")
		e.runJobs(t)
		note := func() string { return e.do(t, "admin", "GET", dealPath(id), nil).str("won_note") }
		if n := note(); n != "" {
			t.Errorf("a create fired stage_changed: %q", n)
		}
		e.fire(t, "rep", id, "qualify", nil).want(t, 200)
		e.runJobs(t)
		if n := note(); n != "any_move;from_lead;" && n != "from_lead;any_move;" {
			t.Errorf("after qualify: %q", n)
		}
		e.fire(t, "rep", id, "propose", nil).want(t, 200)
		e.fire(t, "boss", id, "negotiate", nil).want(t, 200)
		e.runJobs(t)
		// The notes written by the rules (a write of won_note only) did not
		// fire stage_changed again.
		e.fire(t, "boss", id, "win", map[string]any{"contract_no": "C"}).want(t, 200)
		for i := 0; i < 3; i++ {
			e.runJobs(t)
		}
		n := note()
		if strings.Count(n, "to_won;") != 1 || strings.Count(n, "any_move;") != 4 || strings.Count(n, "from_lead;") != 1 {
			t.Errorf("notes after the pipeline: %q", n)
		}
	})
}

// Refusals speak the caller's language.
func TestMessagesInChinese(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.pipeline(t)
		id := e.deal(t, "rep", map[string]any{"name": "A"}).str("id")
		e.fire(t, "rep", id, "qualify", nil).want(t, 200)
		r := e.doIn(t, "zh-CN", "rep", "POST", dealPath(id)+"/transitions/propose", map[string]any{"version": 2}).want(t, 422)
		if !strings.Contains(string(r.body), "请先填写预计成交日期") || !strings.Contains(string(r.body), "暂不能执行") ||
			!strings.Contains(string(r.body), "进入“方案报价”前必须填写“amount”") { // the state by its label; amount has none
			t.Errorf("Chinese refusal: %s", r.body)
		}
		o := e.doIn(t, "zh-CN", "rep", "GET", dealPath(id)+"/transitions", nil).want(t, 200)
		if o.str("transitions.0.reasons.0") != "请先填写预计成交日期" {
			t.Errorf("Chinese reasons: %s", o.body)
		}
		p := clone(t, pipeline())
		p["key"] = "x"
		p["field"] = "name"
		if r := e.doIn(t, "zh-CN", "admin", "POST", flows, p).want(t, 422); !strings.Contains(string(r.body), "不是单选字段") {
			t.Errorf("Chinese save refusal: %s", r.body)
		}
	})
}
