package flowapi_test

import (
	"strings"
	"testing"
)

// withoutState is pipeline() without state key (and the transitions that
// lead there).
func withoutState(t *testing.T, key string, version float64) map[string]any {
	p := clone(t, pipeline())
	p["version"] = version
	var states, trs []any
	for _, s := range p["states"].([]any) {
		if s.(map[string]any)["key"] != key {
			states = append(states, s)
		}
	}
	for _, tr := range p["transitions"].([]any) {
		m := tr.(map[string]any)
		if m["to"] == key {
			continue
		}
		if from, ok := m["from"].([]any); ok && len(from) == 1 && from[0] == key {
			continue
		}
		trs = append(trs, tr)
	}
	p["states"], p["transitions"] = states, trs
	return p
}

// Removing a state records are in is refused with their number, or moves
// them to a chosen state; then the option can go from the module. Deleting
// the pipeline likewise.
func TestRemovingStatesAndPipelines(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.pipeline(t)
		var ids []string
		for _, name := range []string{"a", "b", "c"} {
			id := e.deal(t, "rep", map[string]any{"name": name}).str("id")
			e.fire(t, "rep", id, "qualify", nil).want(t, 200)
			ids = append(ids, id)
		}
		// qualified holds three deals: removing it is refused, naming them.
		p := withoutState(t, "qualified", 1)
		p["transitions"] = append(p["transitions"].([]any), map[string]any{"key": "advance", "label": label("Advance", "推进"),
			"from": []string{"lead"}, "to": "proposal"})
		r := e.do(t, "admin", "PUT", flows+"/pipeline", p).want(t, 409)
		if !strings.Contains(string(r.body), `3 records are in state \"qualified\"`) {
			t.Errorf("removing a state in use: %s", r.body)
		}
		// move_to must name a state that remains, for a state removed.
		p["move_to"] = map[string]string{"qualified": "qualified"}
		e.do(t, "admin", "PUT", flows+"/pipeline", p).want(t, 422)
		p["move_to"] = map[string]string{"lead": "proposal"}
		e.do(t, "admin", "PUT", flows+"/pipeline", p).want(t, 422)
		// The module cannot drop the option while it is a state.
		r = e.do(t, "admin", "PUT", "/api/apps/crm/modules/deal", map[string]any{"label": label("Deal", "商机"),
			"schema": schema(t, strings.Replace(dealProps(openTasks), `{"value":"qualified"},`, "", 1), "name")}).want(t, 422)
		if !strings.Contains(string(r.body), "remove the states from the pipeline first") {
			t.Errorf("module dropping a state option: %s", r.body)
		}
		p["move_to"] = map[string]string{"qualified": "lead"}
		r = e.do(t, "admin", "PUT", flows+"/pipeline", p).want(t, 200)
		if r.num("states.#") != 5 {
			t.Fatalf("replaced: %s", r.body)
		}
		for _, id := range ids {
			got := e.do(t, "admin", "GET", dealPath(id), nil)
			h := e.history(t, id)
			last := h[len(h)-1].(map[string]any)
			if got.str("stage") != "lead" || last["from"] != "qualified" || last["to"] != "lead" || last["actor"] != e.ids["admin"] {
				t.Errorf("moved deal: %s, history %v", got.body, last)
			}
		}
		// Now the option can go, and the pipeline still saves.
		e.do(t, "admin", "PUT", "/api/apps/crm/modules/deal", map[string]any{"label": label("Deal", "商机"),
			"schema": schema(t, strings.Replace(dealProps(openTasks), `{"value":"qualified"},`, "", 1), "name")}).want(t, 200)
		p = withoutState(t, "qualified", 2)
		p["transitions"] = append(p["transitions"].([]any), map[string]any{"key": "advance", "label": label("Advance", "推进"),
			"from": []string{"lead"}, "to": "proposal"})
		e.do(t, "admin", "PUT", flows+"/pipeline", p).want(t, 200)
		// The stage field cannot change type or go while a pipeline uses it.
		e.do(t, "admin", "PUT", "/api/apps/crm/modules/deal", map[string]any{"label": label("Deal", "商机"),
			"schema": schema(t, strings.Replace(dealProps(openTasks), `"type":"select","options":`+stageOptions, `"type":"text"`, 1), "name")}).want(t, 422)
		e.do(t, "admin", "DELETE", "/api/apps/crm/modules/deal", nil).want(t, 409)

		// Deleting the pipeline: refused with the count, or move_to.
		r = e.do(t, "admin", "DELETE", flows+"/pipeline", nil).want(t, 409)
		if !strings.Contains(string(r.body), "3 records are in the states") {
			t.Errorf("deleting a pipeline in use: %s", r.body)
		}
		e.do(t, "admin", "DELETE", flows+"/pipeline?move_to=nowhere", nil).want(t, 422)
		e.do(t, "admin", "DELETE", flows+"/pipeline?move_to=lost", nil).want(t, 204)
		for _, id := range ids {
			if s := e.do(t, "admin", "GET", dealPath(id), nil).str("stage"); s != "lost" {
				t.Errorf("after deleting the pipeline a deal is %q", s)
			}
		}
		e.do(t, "admin", "GET", flows+"/pipeline", nil).want(t, 404)
		// Without a pipeline the stage is a plain select again.
		v := e.do(t, "admin", "GET", dealPath(ids[0]), nil).num("version")
		e.do(t, "rep", "PATCH", dealPath(ids[0]), map[string]any{"version": v, "stage": "won"}).want(t, 200)
		// The history stays.
		if h := e.history(t, ids[0]); len(h) != 4 {
			t.Errorf("history after the pipeline went: %v", h)
		}
	})
}

// An empty state can be removed without move_to; an unknown version is a
// conflict; the pipeline of a module can only be deleted once.
func TestRemovingAnEmptyState(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.pipeline(t)
		e.deal(t, "rep", map[string]any{"name": "x"})
		p := withoutState(t, "negotiation", 1)
		p["transitions"] = append(p["transitions"].([]any), map[string]any{"key": "close", "label": label("Close", "成交"),
			"from": []string{"proposal"}, "to": "won"})
		e.do(t, "admin", "PUT", flows+"/pipeline", p).want(t, 200)
		// The kept option (negotiation) is now refused at the next save
		// until it leaves the module.
		p["version"] = 2
		r := e.do(t, "admin", "PUT", flows+"/pipeline", p).want(t, 422)
		if !strings.Contains(string(r.body), "are not states of the pipeline: negotiation") {
			t.Errorf("option left behind: %s", r.body)
		}
	})
}

// Deleting an app takes its pipelines along (and leaves their history).
func TestDeletingTheApp(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.pipeline(t)
		e.deal(t, "rep", map[string]any{"name": "x"})
		e.do(t, "admin", "POST", "/api/apps/crm/rules", map[string]any{"key": "r", "label": label("r", "r"), "module": "deal",
			"trigger": map[string]any{"type": "stage_changed"}, "actions": []any{map[string]any{"type": "set", "values": map[string]string{"name": `"y"`}}}}).want(t, 201)
		e.do(t, "admin", "DELETE", "/api/apps/crm", nil).want(t, 204)
		if n := e.count(t, `SELECT count(*) FROM flows`); n != 0 {
			t.Errorf("%d pipelines outlived their app", n)
		}
		if n := e.count(t, `SELECT count(*) FROM stage_history`); n != 1 {
			t.Errorf("history rows: %d", n)
		}
	})
}
