package ruleapi_test

import (
	"fmt"
	"strings"
	"testing"
)

// An assignment table with an else branch: records no criterion takes go
// by least open over a department and the departments below it; a
// criterion naming a department that does not exist assigns nobody from
// it and falls through, logged in the run's effects, not failed. A notify
// to department:<key> reaches each live member.
func TestAssignElseSubtreeAndDepartmentRecipients(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ann, annTok := e.user(t, "ann")
		bob, bobTok := e.user(t, "bob")
		cat, _ := e.user(t, "cat")
		e.do(t, "POST", "/api/departments", map[string]any{"key": "sales", "label": label("Sales")}).want(t, 201)
		e.do(t, "POST", "/api/departments", map[string]any{"key": "east", "label": label("East"), "parent": "sales"}).want(t, 201)
		e.do(t, "POST", "/api/departments", map[string]any{"key": "east_a", "label": label("East A"), "parent": "east"}).want(t, 201)
		e.do(t, "PATCH", "/api/users/"+ann, map[string]any{"departments": []string{"east"}}).want(t, 200)
		e.do(t, "PATCH", "/api/users/"+bob, map[string]any{"departments": []string{"east_a"}}).want(t, 200)
		e.do(t, "PATCH", "/api/users/"+cat, map[string]any{"departments": []string{"sales"}}).want(t, 200)

		// Refused shapes: else outside criteria, a criteria else, a bad recipient.
		bad := func(action map[string]any, field string) {
			t.Helper()
			r := e.do(t, "POST", "/api/apps/crm/rules", map[string]any{"key": "bad", "label": label("Bad"), "module": "lead",
				"trigger": map[string]any{"type": "created"}, "actions": []any{action}}).want(t, 422)
			if !strings.Contains(string(r.body), field) {
				t.Errorf("%v: want an error at %s: %s", action, field, r.body)
			}
		}
		bad(map[string]any{"type": "assign", "strategy": "round_robin", "users": []string{ann}, "else": map[string]any{"strategy": "least_open", "users": []string{bob}}}, "else")
		bad(map[string]any{"type": "assign", "strategy": "criteria", "criteria": []any{map[string]any{"when": "amount > 1", "user": ann}},
			"else": map[string]any{"strategy": "criteria", "criteria": []any{map[string]any{"when": "true", "user": bob}}}}, "else.strategy")
		bad(map[string]any{"type": "assign", "strategy": "criteria", "criteria": []any{map[string]any{"when": "amount > 1", "user": ann}},
			"else": map[string]any{"strategy": "least_open"}}, "else.users")
		bad(map[string]any{"type": "notify", "to": "department:Bad Key", "message": label("x")}, "department:KEY")

		// ann, bob and cat hold 2, 1 and 0 open leads (made before the rule); a lost one does not count.
		for who, n := range map[string]int{ann: 2, bob: 1} {
			for i := 0; i < n; i++ {
				e.create(t, "lead", map[string]any{"name": "held", "status": "new", "owner": who})
			}
		}
		e.create(t, "lead", map[string]any{"name": "held", "status": "lost", "owner": cat})
		e.rule(t, map[string]any{"key": "table", "label": label("Table"), "module": "lead",
			"trigger": map[string]any{"type": "created"},
			"actions": []any{
				map[string]any{"type": "assign", "strategy": "criteria",
					"criteria": []any{map[string]any{"when": `name == "west"`, "department": "west"}, map[string]any{"when": "amount > 1000", "user": cat}},
					"else":     map[string]any{"strategy": "least_open", "department": "sales", "subtree": true, "open": `status != "lost"`}},
				map[string]any{"type": "notify", "to": "department:east", "message": label("New lead {name}")},
			}})

		owner := func(id string) string {
			return e.do(t, "GET", "/api/apps/crm/modules/lead/records/"+id, nil).want(t, 200).str("owner")
		}
		// No criterion: least open over sales and below — cat (0 open; the lost lead does not count).
		first := e.create(t, "lead", map[string]any{"name": "first", "status": "new"})["id"].(string)
		e.runJobs(t)
		if got := owner(first); got != cat {
			t.Errorf("else least open → %s, want cat %s", got, cat)
		}
		// cat now 1, bob 1, ann 2: the lowest id of the tied wins (sorted candidates) — not ann.
		second := e.create(t, "lead", map[string]any{"name": "second", "status": "new"})["id"].(string)
		e.runJobs(t)
		if got := owner(second); got != cat && got != bob {
			t.Errorf("else least open, second → %s, want bob or cat", got)
		}
		// A criterion's department that does not exist: nobody from it, the
		// else branch decides, the run is ok and says why.
		west := e.create(t, "lead", map[string]any{"name": "west", "status": "new"})["id"].(string)
		e.runJobs(t)
		if got := owner(west); got == "" || got == ann {
			t.Errorf("missing department then else → %q", got)
		}
		runs := e.runs(t, "table")
		if len(runs) != 3 {
			t.Fatalf("runs = %v", runs)
		}
		said := false
		for _, r := range runs {
			if r["outcome"] != "ok" {
				t.Errorf("run failed: %v", r)
			}
			said = said || strings.Contains(fmt.Sprint(r["detail"]), "no department west")
		}
		if !said {
			t.Errorf("no run says the department is missing: %v", runs)
		}
		// A matching criterion still wins over the else branch.
		big := e.create(t, "lead", map[string]any{"name": "big", "status": "new", "amount": 5000})["id"].(string)
		e.runJobs(t)
		if got := owner(big); got != cat {
			t.Errorf("criterion → %s, want cat", got)
		}
		// department:east reached ann (east) and bob (east_a is below east,
		// but a recipient department is its own members only): one each for ann.
		e.as(annTok, func() {
			r := e.do(t, "GET", "/api/notifications?unread=true", nil).want(t, 200)
			if n := len(r.doc["notifications"].([]any)); n != 4 || !strings.Contains(string(r.body), "New lead west") {
				t.Errorf("ann's notifications (%d): %s", n, r.body)
			}
		})
		e.as(bobTok, func() {
			r := e.do(t, "GET", "/api/notifications?unread=true", nil).want(t, 200)
			if n := len(r.doc["notifications"].([]any)); n != 0 {
				t.Errorf("bob is not a member of east itself: %s", r.body)
			}
		})
	})
}
