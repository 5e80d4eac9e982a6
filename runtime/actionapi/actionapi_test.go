package actionapi_test

// Buttons (rules with a manual trigger) through the real HTTP stack, on
// SQLite and (TESSERA_TEST_DATABASE_URL) PostgreSQL.

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

var start = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

var xf = apitest.Field

// leads and tasks; rep creates, reads and updates their own leads and
// creates tasks; viewer only reads leads. Button quick_follow asks for a
// note, qualifies the lead and makes a task.
func setup(t *testing.T, e *apitest.Env) {
	t.Helper()
	lbl := apitest.Label
	e.Do(t, "admin", "POST", "/api/apps", map[string]any{"key": "crm", "label": lbl("CRM")}).Want(t, 201)
	opts := []any{map[string]any{"value": "new"}, map[string]any{"value": "qualified"}}
	e.Do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "lead", "label": lbl("Lead"), "schema": map[string]any{
		"properties": map[string]any{"name": xf("text"), "status": xf("select", "options", opts, "default", "new"), "note": xf("text")}}}).Want(t, 201)
	e.Do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "task", "label": lbl("Task"), "schema": map[string]any{
		"properties": map[string]any{"title": xf("text"), "lead": xf("lookup", "module", "lead")}, "required": []string{"title"}}}).Want(t, 201)
	e.Do(t, "admin", "POST", "/api/roles", map[string]any{"key": "rep", "label": lbl("Rep"), "permissions": []any{
		map[string]any{"app": "crm", "module": "lead", "actions": []string{"create", "read", "update"}, "scope": map[string]string{"read": "own", "update": "own"}},
		map[string]any{"app": "crm", "module": "task", "actions": []string{"create", "read"}},
	}}).Want(t, 201)
	e.Do(t, "admin", "POST", "/api/roles", map[string]any{"key": "viewer", "label": lbl("Viewer"), "permissions": []any{
		map[string]any{"app": "crm", "module": "lead", "actions": []string{"read"}},
	}}).Want(t, 201)
	for who, role := range map[string]string{"rep": "rep", "rep2": "rep", "viewer": "viewer"} {
		e.User(t, who, access.NewUser{})
		e.Do(t, "admin", "PATCH", "/api/users/"+e.IDs[who], map[string]any{"roles": []string{role}}).Want(t, 200)
	}
	e.Do(t, "admin", "POST", "/api/apps/crm/rules", map[string]any{"key": "quick_follow", "label": map[string]string{"en": "Quick follow-up", "zh-CN": "快速跟进"},
		"module": "lead", "condition": `status != "qualified"`,
		"trigger": map[string]any{"type": "manual", "inputs": map[string]any{
			"properties": map[string]any{"note": xf("text", "label", lbl("Note")), "days": xf("integer")}, "required": []string{"note"}}},
		"actions": []any{
			map[string]any{"type": "set", "values": map[string]string{"status": `"qualified"`, "note": "input.note"}},
			map[string]any{"type": "task", "module": "task", "values": map[string]string{"title": `"Follow up: " + input.note`, "lead": "id"}},
		}}).Want(t, 201)
}

func TestButtons(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := apitest.New(t, s, start)
		setup(t, e)
		lead := func(who, name string) string {
			return e.Do(t, who, "POST", "/api/apps/crm/modules/lead/records", map[string]any{"name": name}).Want(t, 201).Str("id")
		}
		acme := lead("rep", "Acme")
		rec := "/api/apps/crm/modules/lead/records/" + acme
		press := rec + "/actions/quick_follow"

		// The buttons: rep sees it for their lead; viewer (no update) none.
		b := e.Do(t, "rep", "GET", "/api/apps/crm/modules/lead/actions?record="+acme, nil).Want(t, 200)
		if b.Str("actions.0.key") != "quick_follow" || b.Get("actions.0.applies") != true || b.Get("actions.0.inputs.properties.note") == nil {
			t.Fatalf("rep's buttons = %s", b.Body)
		}
		if n := len(e.Do(t, "viewer", "GET", "/api/apps/crm/modules/lead/actions?record="+acme, nil).Want(t, 200).List("actions")); n != 0 {
			t.Errorf("viewer sees %d buttons", n)
		}
		unchanged := func(why string) {
			t.Helper()
			r := e.Do(t, "admin", "GET", rec, nil).Want(t, 200)
			if r.Num("version") != 1 || r.Str("status") != "new" {
				t.Fatalf("%s: the lead changed: %s", why, r.Body)
			}
			if n := len(e.Do(t, "admin", "GET", "/api/apps/crm/modules/task/records", nil).Want(t, 200).List("records")); n != 0 {
				t.Fatalf("%s: %d tasks exist", why, n)
			}
		}
		// Bad input: 422 naming the field, in both languages; nothing changes.
		bad := e.Do(t, "rep", "POST", press, map[string]any{"input": map[string]any{"days": "soon"}}).Want(t, 422)
		fields := map[string]bool{}
		for _, x := range bad.List("errors") {
			fields[x.(map[string]any)["field"].(string)] = true
		}
		if !fields["note"] || !fields["days"] {
			t.Errorf("errors = %s", bad.Body)
		}
		e.Do(t, "rep", "POST", press, map[string]any{"input": map[string]any{}}, "Accept-Language", "zh-CN").Want(t, 422).Contains(t, "必填")
		e.Do(t, "rep", "POST", press, map[string]any{"input": map[string]any{"note": "x"}, "extra": 1}).Want(t, 400)
		unchanged("bad input")
		// A reader who may not update: 403; someone who cannot see it: 404.
		e.Do(t, "viewer", "POST", press, map[string]any{"input": map[string]any{"note": "call"}}).Want(t, 403)
		e.Do(t, "rep2", "POST", press, map[string]any{"input": map[string]any{"note": "call"}}).Want(t, 404)
		unchanged("refused presses")

		// The owner presses: both actions, as them.
		res := e.Do(t, "rep", "POST", press, map[string]any{"input": map[string]any{"note": "call Tuesday"}}).Want(t, 200)
		if res.Str("record.status") != "qualified" || res.Str("record.note") != "call Tuesday" {
			t.Fatalf("press = %s", res.Body)
		}
		tasks := e.Do(t, "admin", "GET", "/api/apps/crm/modules/task/records", nil).Want(t, 200)
		if n := len(tasks.List("records")); n != 1 || tasks.Str("records.0.title") != "Follow up: call Tuesday" ||
			tasks.Str("records.0.lead") != acme || tasks.Str("records.0.created_by") != e.IDs["rep"] {
			t.Fatalf("tasks = %s", tasks.Body)
		}
		h := e.Do(t, "rep", "GET", rec+"/history", nil).Want(t, 200)
		if h.Str("entries.0.actor") != e.IDs["rep"] || h.Str("entries.0.action") != "update" {
			t.Errorf("history = %s", h.Body)
		}
		// The condition no longer holds: 409, and the list says so.
		e.Do(t, "rep", "POST", press, map[string]any{"input": map[string]any{"note": "again"}}).Want(t, 409)
		if b := e.Do(t, "rep", "GET", "/api/apps/crm/modules/lead/actions?record="+acme, nil).Want(t, 200); b.Get("actions.0.applies") != false {
			t.Errorf("after the press: %s", b.Body)
		}

		// Bulk, as row actions on a list: each row on its own.
		l1, l2, other := lead("rep", "L1"), lead("rep", "L2"), lead("rep2", "Theirs")
		bulk := e.Do(t, "rep", "POST", "/api/apps/crm/modules/lead/actions/quick_follow",
			map[string]any{"ids": []string{l1, l2, other}, "input": map[string]any{"note": "bulk"}}).Want(t, 200)
		var statuses []string
		for _, x := range bulk.List("results") {
			statuses = append(statuses, fmt.Sprint(x.(map[string]any)["status"]))
		}
		if fmt.Sprint(statuses) != "[200 200 404]" || bulk.Num("done") != 2 {
			t.Errorf("bulk = %s", bulk.Body)
		}
		q := e.Do(t, "admin", "GET", "/api/apps/crm/modules/lead/records?filter="+url.QueryEscape(`status == "qualified"`), nil).Want(t, 200)
		if n := len(q.List("records")); n != 3 {
			t.Errorf("%d qualified leads, want 3", n)
		}
		e.Do(t, "rep", "POST", "/api/apps/crm/modules/lead/actions/quick_follow", map[string]any{"ids": []string{}}).Want(t, 400)
		e.Do(t, "rep", "POST", "/api/apps/crm/modules/lead/records/"+l1+"/actions/nope", nil).Want(t, 404)
	})
}

// A button's actions are one transaction: the second failing takes the
// first back.
func TestButtonIsAtomic(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := apitest.New(t, s, start)
		setup(t, e)
		e.Do(t, "admin", "POST", "/api/apps/crm/rules", map[string]any{"key": "broken", "label": apitest.Label("Broken"), "module": "lead",
			"trigger": map[string]any{"type": "manual"},
			"actions": []any{
				map[string]any{"type": "set", "values": map[string]string{"status": `"qualified"`}},
				map[string]any{"type": "task", "module": "task", "values": map[string]string{"title": "note"}}, // note is empty: title required
			}}).Want(t, 201)
		id := e.Do(t, "rep", "POST", "/api/apps/crm/modules/lead/records", map[string]any{"name": "Acme"}).Want(t, 201).Str("id")
		e.Do(t, "rep", "POST", "/api/apps/crm/modules/lead/records/"+id+"/actions/broken", nil).Want(t, 422)
		r := e.Do(t, "admin", "GET", "/api/apps/crm/modules/lead/records/"+id, nil).Want(t, 200)
		if r.Str("status") != "new" || r.Num("version") != 1 {
			t.Errorf("the first action stayed: %s", r.Body)
		}
		if h := e.Do(t, "admin", "GET", "/api/apps/crm/modules/lead/records/"+id+"/history", nil).Want(t, 200); len(h.List("entries")) != 1 {
			t.Errorf("history = %s", h.Body)
		}
		// Definitions are checked: inputs and what the expressions read.
		bad := e.Do(t, "admin", "POST", "/api/apps/crm/rules", map[string]any{"key": "bad", "label": apitest.Label("Bad"), "module": "lead",
			"trigger": map[string]any{"type": "manual", "inputs": map[string]any{"properties": map[string]any{"x": xf("nosuchtype")}}},
			"actions": []any{map[string]any{"type": "set", "values": map[string]string{"note": "input.y"}}}}).Want(t, 422)
		bad.Contains(t, "trigger.inputs.x", "actions[0].values.note")
	})
}
