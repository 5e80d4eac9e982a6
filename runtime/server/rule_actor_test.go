package server_test

// Issue 7 item 9: records created by rule actions have an owner (what the
// action says, else the triggering record's owner) and a creator (the
// rule's system user "rule:<key>", named so in history).

import (
	"net/url"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

var start = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

// leadsAndTasks is app crm with leads and tasks (a task looks up its lead)
// and role "rep", who creates and reads only their own of both.
func leadsAndTasks(t *testing.T, e *apitest.Env, taskOnDelete string) {
	t.Helper()
	lbl := apitest.Label
	e.Do(t, "admin", "POST", "/api/apps", map[string]any{"key": "crm", "label": lbl("CRM")}).Want(t, 201)
	e.Do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "lead", "label": lbl("Lead"), "schema": map[string]any{
		"properties": map[string]any{"name": map[string]any{"x-field": map[string]any{"type": "text"}}},
		"required":   []string{"name"},
	}}).Want(t, 201)
	lead := map[string]any{"type": "lookup", "module": "lead"}
	if taskOnDelete != "" {
		lead["on_delete"] = taskOnDelete
	}
	e.Do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "task", "label": map[string]string{"en": "Task", "zh-CN": "任务"}, "schema": map[string]any{
		"properties": map[string]any{
			"title": map[string]any{"x-field": map[string]any{"type": "text"}},
			"lead":  map[string]any{"x-field": lead},
		},
		"required": []string{"title"},
	}}).Want(t, 201)
	var perms []any
	for _, m := range []string{"lead", "task"} {
		perms = append(perms, map[string]any{"app": "crm", "module": m, "actions": []string{"create", "read", "update", "delete"},
			"scope": map[string]string{"read": "own", "update": "own", "delete": "own"}})
	}
	e.Do(t, "admin", "POST", "/api/roles", map[string]any{"key": "rep", "label": lbl("Rep"), "permissions": perms}).Want(t, 201)
	for _, who := range []string{"rep", "other"} {
		e.User(t, who, access.NewUser{})
		e.Do(t, "admin", "PATCH", "/api/users/"+e.IDs[who], map[string]any{"roles": []string{"rep"}}).Want(t, 200)
	}
}

func TestRuleCreatedRecordsHaveOwnerAndCreator(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := apitest.New(t, s, start)
		leadsAndTasks(t, e, "")
		e.Do(t, "admin", "POST", "/api/apps/crm/rules", map[string]any{"key": "follow_up", "label": apitest.Label("Follow up"), "module": "lead",
			"trigger": map[string]any{"type": "created"},
			"actions": []any{map[string]any{"type": "task", "module": "task", "values": map[string]string{"title": `"Call " + name`, "lead": "id"}}}}).Want(t, 201)
		// A second rule gives its task to someone else, by expression.
		e.Do(t, "admin", "POST", "/api/apps/crm/rules", map[string]any{"key": "hand_over", "label": apitest.Label("Hand over"), "module": "lead",
			"trigger": map[string]any{"type": "created"}, "condition": `name == "Globex"`,
			"actions": []any{map[string]any{"type": "create", "module": "task", "values": map[string]string{"title": `"Review " + name`, "owner": `"` + e.IDs["other"] + `"`}}}}).Want(t, 201)

		lead := e.Do(t, "rep", "POST", "/api/apps/crm/modules/lead/records", map[string]any{"name": "Acme"}).Want(t, 201)
		e.RunJobs(t)

		// The rep sees the task the rule made for their lead (scope own).
		tasks := e.Do(t, "rep", "GET", "/api/apps/crm/modules/task/records?expand=created_by,owner", nil).Want(t, 200)
		if n := len(tasks.List("records")); n != 1 {
			t.Fatalf("rep sees %d tasks, want the rule's one: %s", n, tasks.Body)
		}
		task := tasks.Obj("records.0")
		if task["owner"] != e.IDs["rep"] || task["lead"] != lead.Str("id") || task["title"] != "Call Acme" {
			t.Errorf("task = %v", task)
		}
		creator, _ := task["created_by"].(string)
		if creator == "" || creator == e.IDs["rep"] || creator == e.IDs["admin"] {
			t.Fatalf("created_by = %v, want the rule's own user", task["created_by"])
		}
		if got := tasks.Str("records.0.expand.created_by.name"); got != "rule:follow_up" {
			t.Errorf("expand created_by name = %q, want rule:follow_up", got)
		}
		if got := tasks.Str("records.0.expand.owner.name"); got != "rep" {
			t.Errorf("expand owner name = %q", got)
		}
		// The history names the rule.
		h := e.Do(t, "rep", "GET", "/api/apps/crm/modules/task/records/"+task["id"].(string)+"/history", nil).Want(t, 200)
		if h.Str("entries.0.actor") != creator || h.Str("entries.0.via") != "rule" || h.Str("entries.0.actor_name") != "rule:follow_up" {
			t.Errorf("history entry = %v", h.Obj("entries.0"))
		}
		// A person's entry is named too.
		h = e.Do(t, "rep", "GET", "/api/apps/crm/modules/lead/records/"+lead.Str("id")+"/history", nil).Want(t, 200)
		if h.Str("entries.0.actor_name") != "rep" {
			t.Errorf("lead history entry = %v", h.Obj("entries.0"))
		}

		// The owner the action names wins; the creator is that rule's user.
		e.Do(t, "rep", "POST", "/api/apps/crm/modules/lead/records", map[string]any{"name": "Globex"}).Want(t, 201)
		e.RunJobs(t)
		mine := e.Do(t, "other", "GET", "/api/apps/crm/modules/task/records?expand=created_by", nil).Want(t, 200)
		if n := len(mine.List("records")); n != 1 || mine.Str("records.0.title") != "Review Globex" ||
			mine.Str("records.0.expand.created_by.name") != "rule:hand_over" {
			t.Errorf("other's tasks = %s", mine.Body)
		}
		if n := len(e.Do(t, "rep", "GET", "/api/apps/crm/modules/task/records", nil).Want(t, 200).List("records")); n != 2 {
			t.Errorf("rep sees %d tasks, want 2 (Acme's and Globex's)", n)
		}

		// A lead in the pool (no owner) makes a task in the pool, not one
		// owned by the rule.
		e.Do(t, "admin", "POST", "/api/apps/crm/rules", map[string]any{"key": "pooled", "label": apitest.Label("Pooled"), "module": "lead",
			"trigger": map[string]any{"type": "updated"}, "condition": "owner == nil",
			"actions": []any{map[string]any{"type": "task", "module": "task", "values": map[string]string{"title": `"Call " + name`}}}}).Want(t, 201)
		initech := e.Do(t, "admin", "POST", "/api/apps/crm/modules/lead/records", map[string]any{"name": "Initech"}).Want(t, 201)
		e.RunJobs(t)
		e.Do(t, "admin", "PATCH", "/api/apps/crm/modules/lead/records/"+initech.Str("id"), map[string]any{"version": 1, "owner": nil}).Want(t, 200)
		e.RunJobs(t)
		pool := e.Do(t, "admin", "GET", "/api/apps/crm/modules/task/records?filter="+url.QueryEscape(`title == "Call Initech" && lead == nil`), nil).Want(t, 200)
		if n := len(pool.List("records")); n != 1 || pool.Get("records.0.owner") != nil || pool.Str("records.0.created_by") == "" {
			t.Errorf("pool task = %s", pool.Body)
		}

		// The rules' users are no people: not listed, no sign-in.
		users := e.Do(t, "admin", "GET", "/api/users", nil).Want(t, 200)
		for _, u := range users.List("users") {
			if id, _ := u.(map[string]any)["id"].(string); id == creator {
				t.Errorf("the rule's user is listed among users: %v", u)
			}
		}
		e.Do(t, "", "POST", "/api/auth/login", map[string]string{"email": "crm/rule:follow_up", "password": ""}).Want(t, 401)
		people := e.Do(t, "admin", "GET", "/api/people?q=rule", nil).Want(t, 200)
		if len(people.List("people")) != 0 {
			t.Errorf("people search finds the rule's user: %s", people.Body)
		}
	})
}
