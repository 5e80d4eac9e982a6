package flowapi_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// clone deep-copies a pipeline document so a test can spoil one part.
func clone(t *testing.T, v map[string]any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(v)
	var out map[string]any
	json.Unmarshal(b, &out)
	return out
}

func TestFlowDefinitions(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		r := e.do(t, "admin", "POST", flows, pipeline()).want(t, 201)
		if r.num("version") != 1 || r.str("field") != "stage" || r.num("states.#") != 6 || r.get("transitions.4.from") != "*" {
			t.Fatalf("created pipeline: %s", r.body)
		}
		e.do(t, "admin", "POST", flows, pipeline()).want(t, 409) // same key
		other := pipeline()
		other["key"] = "second"
		if r := e.do(t, "admin", "POST", flows, other).want(t, 409); !strings.Contains(string(r.body), `already drives pipeline \"pipeline\"`) {
			t.Errorf("second pipeline on one field: %s", r.body)
		}
		if n := e.do(t, "admin", "GET", flows, nil).want(t, 200).num("flows.#"); n != 1 {
			t.Errorf("%v pipelines listed", n)
		}

		// Others who may read deals see the pipeline without guards and
		// actions; they may not change it.
		r = e.do(t, "rep", "GET", flows+"/pipeline", nil).want(t, 200)
		if strings.Contains(string(r.body), "open_tasks") || strings.Contains(string(r.body), "Kick-off") || r.str("transitions.3.message.en") == "" {
			t.Errorf("non-admin view: %s", r.body)
		}
		e.do(t, "rep", "PUT", flows+"/pipeline", pipeline()).want(t, 403)
		e.do(t, "rep", "POST", flows, pipeline()).want(t, 403)

		// Replace with a version check.
		p := pipeline()
		p["label"] = label("Pipeline", "漏斗")
		p["version"] = 1
		r = e.do(t, "admin", "PUT", flows+"/pipeline", p).want(t, 200)
		if r.num("version") != 2 || r.str("label.en") != "Pipeline" {
			t.Errorf("replaced: %s", r.body)
		}
		e.do(t, "admin", "PUT", flows+"/pipeline", p).want(t, 409) // version 1 is stale
		p["module"] = "task"
		p["version"] = 2
		e.do(t, "admin", "PUT", flows+"/pipeline", p).want(t, 422)
	})
}

func TestFlowBadInput(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		type change func(p map[string]any)
		states := func(p map[string]any) []any { return p["states"].([]any) }
		trs := func(p map[string]any) []any { return p["transitions"].([]any) }
		cases := []struct {
			name   string
			change change
			field  string // the field error expected
			text   string // in the body
		}{
			{"unreachable state", func(p map[string]any) {
				// Without reopen and lose, nothing leads to lost.
				p["transitions"] = trs(p)[:4]
			}, "states", "No record can reach these states (not initial, and no transition leads there): lost"},
			{"transition to a missing state", func(p map[string]any) {
				trs(p)[0].(map[string]any)["to"] = "nowhere"
			}, "transitions[0].to", `\"nowhere\" is not a state`},
			{"source that is not a state", func(p map[string]any) {
				trs(p)[0].(map[string]any)["from"] = []string{"lead", "limbo"}
			}, "transitions[0].from", `\"limbo\" is not a state`},
			{"state without option", func(p map[string]any) {
				p["states"] = append(states(p), map[string]any{"key": "paused", "label": label("Paused", "暂停"), "kind": "open"})
				p["transitions"] = append(trs(p), map[string]any{"key": "pause", "label": label("Pause", "暂停"), "from": "*", "to": "paused"})
			}, "states", `These states are not options of field \"stage\": paused`},
			{"option without state", func(p map[string]any) {
				p["states"] = states(p)[:5]
				p["transitions"] = trs(p)[:4]
			}, "states", `These options of field \"stage\" are not states of the pipeline: lost`},
			{"field not a select", func(p map[string]any) { p["field"] = "name" }, "field", `\"name\" is not a select field`},
			{"unknown field", func(p map[string]any) { p["field"] = "phase" }, "field", `\"phase\" is not a field`},
			{"guard does not compile", func(p map[string]any) {
				trs(p)[1].(map[string]any)["guard"] = "close_on >"
			}, "transitions[1].guard", "The guard is not a valid condition"},
			{"guard not boolean", func(p map[string]any) {
				trs(p)[1].(map[string]any)["guard"] = "amount + 1"
			}, "transitions[1].guard", "The guard is not a valid condition"},
			{"unknown role", func(p map[string]any) {
				trs(p)[2].(map[string]any)["roles"] = []string{"nobody"}
			}, "transitions[2].roles", `There is no role \"nobody\"`},
			{"required field missing", func(p map[string]any) {
				states(p)[2].(map[string]any)["required"] = []string{"budget"}
			}, "states[2].required", `\"budget\" is not a field`},
			{"reason field missing", func(p map[string]any) {
				trs(p)[4].(map[string]any)["reason_required"] = "why"
			}, "transitions[4].reason_required", `\"why\" is not a field`},
			{"bad action", func(p map[string]any) {
				trs(p)[3].(map[string]any)["actions"] = []any{map[string]any{"type": "reject", "message": label("no", "不")}}
			}, "transitions[3].actions[0].type", "This action only runs before save"},
			{"self transition", func(p map[string]any) {
				trs(p)[0].(map[string]any)["from"] = []string{"qualified"}
			}, "transitions[0].from", "cannot lead from"},
			{"duplicate state", func(p map[string]any) {
				states(p)[1].(map[string]any)["key"] = "lead"
			}, "states[1].key", `State \"lead\" is declared twice`},
			{"bad kind and probability", func(p map[string]any) {
				states(p)[0].(map[string]any)["kind"] = "maybe"
				states(p)[1].(map[string]any)["probability"] = 120
			}, "states[0].kind", "must be open, won or lost"},
			{"approval process that does not exist", func(p map[string]any) {
				trs(p)[3].(map[string]any)["approval"] = "big_deal"
			}, "transitions[3].approval", `Approval process \"big_deal\" does not exist`},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				p := clone(t, pipeline())
				c.change(p)
				r := e.do(t, "admin", "POST", flows, p).want(t, 422)
				if _, ok := r.fieldCodes()[c.field]; !ok {
					t.Errorf("no error on %s: %s", c.field, r.body)
				}
				if !strings.Contains(string(r.body), c.text) {
					t.Errorf("body lacks %q: %s", c.text, r.body)
				}
			})
		}
		if n := e.count(t, `SELECT count(*) FROM flows`); n != 0 {
			t.Errorf("refused pipelines left %d rows", n)
		}
	})
}

func TestTransitionsThroughThePipeline(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.pipeline(t)
		d := e.deal(t, "rep", map[string]any{"name": "Acme"})
		id := d.str("id")
		if d.str("stage") != "lead" {
			t.Fatalf("created into %q, want the initial state", d.str("stage"))
		}

		// What the lead stage offers the rep.
		r := e.do(t, "rep", "GET", dealPath(id)+"/transitions", nil).want(t, 200)
		if r.num("transitions.#") != 2 || r.str("transitions.0.key") != "qualify" || r.get("transitions.0.allowed") != true ||
			r.str("transitions.1.key") != "lose" || r.str("transitions.1.reason_required") != "lost_reason" {
			t.Fatalf("transitions from lead: %s", r.body)
		}

		e.advance(2 * time.Hour)
		r = e.fire(t, "rep", id, "qualify", nil).want(t, 200)
		if r.str("stage") != "qualified" || r.num("version") != 2 {
			t.Fatalf("qualify: %s", r.body)
		}

		// The guard: a close date first, with the transition's own message.
		r = e.fire(t, "rep", id, "propose", nil).want(t, 422)
		if !strings.Contains(string(r.body), "Set the expected close date first") || r.fieldCodes()["stage"] != "guard" {
			t.Errorf("guard refusal: %s", r.body)
		}
		// The listing says why, and what proposal requires.
		r = e.do(t, "rep", "GET", dealPath(id)+"/transitions", nil).want(t, 200)
		if r.get("transitions.0.allowed") != false || r.str("transitions.0.reasons.0") != "Set the expected close date first" ||
			r.str("transitions.0.missing.0") != "amount" {
			t.Errorf("propose option: %s", r.body)
		}
		// The guard holds, but proposal requires an amount.
		r = e.fire(t, "rep", id, "propose", map[string]any{"close_on": "2026-06-30"}).want(t, 422)
		if r.fieldCodes()["amount"] != "required" || r.fieldCodes()["stage"] != "" {
			t.Errorf("required field refusal: %s", r.body)
		}
		// Nothing changed by the refusals.
		if got := e.do(t, "admin", "GET", dealPath(id), nil).want(t, 200); got.num("version") != 2 || got.get("close_on") != nil {
			t.Errorf("refused moves changed the record: %s", got.body)
		}
		e.advance(24 * time.Hour)
		r = e.fire(t, "rep", id, "propose", map[string]any{"close_on": "2026-06-30", "amount": 12000}).want(t, 200)
		if r.str("stage") != "proposal" || r.num("amount") != 12000 {
			t.Fatalf("propose: %s", r.body)
		}

		// Roles: only managers negotiate.
		r = e.fire(t, "rep", id, "negotiate", nil).want(t, 403)
		if !strings.Contains(string(r.body), "Only the roles manager may do") {
			t.Errorf("role refusal: %s", r.body)
		}
		r = e.do(t, "rep", "GET", dealPath(id)+"/transitions", nil).want(t, 200)
		if r.str("transitions.0.key") != "negotiate" || r.get("transitions.0.allowed") != false {
			t.Errorf("negotiate for the rep: %s", r.body)
		}
		e.fire(t, "boss", id, "negotiate", nil).want(t, 200)

		// The guard reads a rollup: an open task blocks the win.
		task := e.do(t, "rep", "POST", "/api/apps/crm/modules/task/records", map[string]any{"title": "Send contract", "deal": id, "done": false}).want(t, 201)
		r = e.fire(t, "boss", id, "win", map[string]any{"contract_no": "C-1"}).want(t, 422)
		if !strings.Contains(string(r.body), "Close all open tasks first") {
			t.Errorf("rollup guard: %s", r.body)
		}
		e.do(t, "rep", "PATCH", "/api/apps/crm/modules/task/records/"+task.str("id"), map[string]any{"version": 1, "done": true}).want(t, 200)
		// won requires a contract number.
		r = e.fire(t, "boss", id, "win", nil).want(t, 422)
		if r.fieldCodes()["contract_no"] != "required" {
			t.Errorf("won without contract: %s", r.body)
		}
		e.advance(3 * time.Hour)
		r = e.fire(t, "boss", id, "win", map[string]any{"contract_no": "C-1"}).want(t, 200)
		if r.str("stage") != "won" {
			t.Fatalf("win: %s", r.body)
		}
		// The on-enter action runs after commit, as a job, once.
		if n := e.count(t, `SELECT count(*) FROM t_crm__task WHERE title = ?`, "Kick-off: Acme"); n != 0 {
			t.Errorf("on-enter action ran inside the move")
		}
		e.runJobs(t)
		e.runJobs(t)
		if n := e.count(t, `SELECT count(*) FROM t_crm__task WHERE title = ?`, "Kick-off: Acme"); n != 1 {
			t.Errorf("%d kick-off tasks, want 1", n)
		}

		// The history: every state entered, by whom, with the time before.
		h := e.history(t, id)
		want := []struct {
			from, to, tr, who string
			secs              float64
		}{
			{"", "lead", "", "rep", 0},
			{"lead", "qualified", "qualify", "rep", 2 * 3600},
			{"qualified", "proposal", "propose", "rep", 24 * 3600},
			{"proposal", "negotiation", "negotiate", "boss", 0},
			{"negotiation", "won", "win", "boss", 3 * 3600},
		}
		if len(h) != len(want) {
			t.Fatalf("history: %v", h)
		}
		for i, w := range want {
			got := h[i].(map[string]any)
			from, _ := got["from"].(string)
			tr, _ := got["transition"].(string)
			if from != w.from || got["to"] != w.to || tr != w.tr || got["actor"] != e.ids[w.who] || got["seconds_in_prev"] != w.secs {
				t.Errorf("history[%d] = %v, want %+v", i, got, w)
			}
		}
		// The audit diff of the move is in the record's history.
		a := e.do(t, "admin", "GET", dealPath(id)+"/history", nil).want(t, 200)
		if !strings.Contains(string(a.body), `"negotiation"`) || !strings.Contains(string(a.body), `"won"`) {
			t.Errorf("audit lacks the move: %s", a.body)
		}

		// Anything can be lost, with a reason.
		r = e.fire(t, "boss", id, "lose", nil).want(t, 422)
		if r.fieldCodes()["lost_reason"] != "reason_required" {
			t.Errorf("lose without reason: %s", r.body)
		}
		e.fire(t, "boss", id, "lose", map[string]any{"lost_reason": "budget cut"}).want(t, 200)
		// A transition the state does not offer.
		r = e.fire(t, "boss", id, "qualify", nil).want(t, 422)
		if !strings.Contains(string(r.body), `Transition \"Qualify\" does not leave state \"Lost\"`) {
			t.Errorf("qualify from lost: %s", r.body)
		}
		e.fire(t, "boss", id, "nope", nil).want(t, 404)
		// The values of a transition cannot set the stage.
		e.fire(t, "boss", id, "reopen", map[string]any{"stage": "won"}).want(t, 422)
		// Others' records are out of the rep's reach (scope own).
		mine := e.deal(t, "other", map[string]any{"name": "Other's"})
		e.fire(t, "rep", mine.str("id"), "qualify", nil).want(t, 404)
		e.do(t, "rep", "GET", dealPath(mine.str("id"))+"/transitions", nil).want(t, 404)
		e.do(t, "rep", "GET", dealPath(mine.str("id"))+"/stage-history", nil).want(t, 404)
		// A stale version is a conflict.
		e.do(t, "boss", "POST", dealPath(id)+"/transitions/reopen", map[string]any{"version": 1}).want(t, 409)
	})
}
