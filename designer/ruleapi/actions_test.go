package ruleapi_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tessera-app/tessera/engine/access"
)

// user creates a signed-in non-admin user and returns their id and token.
func (e *env) user(t *testing.T, name string) (string, string) {
	t.Helper()
	u, err := e.svc.Access.CreateUser(context.Background(), access.NewUser{Email: name + "@example.com", Password: password, Name: name})
	if err != nil {
		t.Fatal(err)
	}
	admin := e.token
	e.token = ""
	tok := e.do(t, "POST", "/api/auth/login", map[string]string{"email": name + "@example.com", "password": password}).want(t, 200).str("token")
	e.token = admin
	return u.ID, tok
}

func (e *env) as(token string, fn func()) {
	admin := e.token
	e.token = token
	defer func() { e.token = admin }()
	fn()
}

func TestAssignRoundRobinLeastOpenAndCriteria(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		a, _ := e.user(t, "ann")
		b, _ := e.user(t, "bob")
		c, _ := e.user(t, "cat")
		e.rule(t, map[string]any{"key": "rr", "label": label("RR"), "module": "lead",
			"trigger": map[string]any{"type": "created"}, "condition": `status == "new"`,
			"actions": []any{map[string]any{"type": "assign", "strategy": "round_robin", "users": []string{a, b, c}}}})
		var owners []string
		for i := 0; i < 4; i++ {
			lead := e.create(t, "lead", map[string]any{"name": "rr", "status": "new"})
			e.runJobs(t)
			got := e.do(t, "GET", "/api/apps/crm/modules/lead/records/"+lead["id"].(string), nil).want(t, 200)
			owners = append(owners, got.str("owner"))
		}
		sorted := []string{a, b, c}
		if owners[0] == owners[1] || owners[1] == owners[2] || owners[0] == owners[2] || owners[3] != owners[0] {
			t.Errorf("round robin over %v gave %v", sorted, owners)
		}

		// least_open: the candidate with fewest open (status == "hot") leads wins.
		e.rule(t, map[string]any{"key": "lo", "label": label("LO"), "module": "lead",
			"trigger": map[string]any{"type": "created"}, "condition": `status == "hot"`,
			"actions": []any{map[string]any{"type": "assign", "strategy": "least_open", "users": []string{a, b}, "open": `status == "hot"`}}})
		first := e.create(t, "lead", map[string]any{"name": "h1", "status": "hot"})
		e.runJobs(t)
		second := e.create(t, "lead", map[string]any{"name": "h2", "status": "hot"})
		e.runJobs(t)
		o1 := e.do(t, "GET", "/api/apps/crm/modules/lead/records/"+first["id"].(string), nil).want(t, 200).str("owner")
		o2 := e.do(t, "GET", "/api/apps/crm/modules/lead/records/"+second["id"].(string), nil).want(t, 200).str("owner")
		if o1 == o2 || (o1 != a && o1 != b) || (o2 != a && o2 != b) {
			t.Errorf("least open: %s then %s, want one each of %s, %s", o1, o2, a, b)
		}

		// criteria: an assignment table, to a user or to a department's members in turn.
		e.do(t, "POST", "/api/departments", map[string]any{"key": "east", "label": label("East")}).want(t, 201)
		e.do(t, "PATCH", "/api/users/"+b, map[string]any{"departments": []string{"east"}}).want(t, 200)
		e.rule(t, map[string]any{"key": "table", "label": label("Table"), "module": "lead",
			"trigger": map[string]any{"type": "created"}, "condition": `status == "lost"`,
			"actions": []any{map[string]any{"type": "assign", "strategy": "criteria", "users": []string{a},
				"criteria": []any{map[string]any{"when": "amount > 1000", "user": c},
					map[string]any{"when": `name == "east"`, "department": "east"}}}}})
		east := e.create(t, "lead", map[string]any{"name": "east", "status": "lost"})
		big := e.create(t, "lead", map[string]any{"name": "big", "status": "lost", "amount": 5000})
		small := e.create(t, "lead", map[string]any{"name": "small", "status": "lost", "amount": 5})
		e.runJobs(t)
		if got := e.do(t, "GET", "/api/apps/crm/modules/lead/records/"+big["id"].(string), nil).want(t, 200).str("owner"); got != c {
			t.Errorf("criteria match → %s, want %s", got, c)
		}
		if got := e.do(t, "GET", "/api/apps/crm/modules/lead/records/"+small["id"].(string), nil).want(t, 200).str("owner"); got != a {
			t.Errorf("criteria fallback → %s, want %s", got, a)
		}
		if got := e.do(t, "GET", "/api/apps/crm/modules/lead/records/"+east["id"].(string), nil).want(t, 200).str("owner"); got != b {
			t.Errorf("criteria department → %s, want its member %s", got, b)
		}
	})
}

func TestPoolReleaseAndClaim(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ann, annTok := e.user(t, "ann")
		_, bobTok := e.user(t, "bob")
		_, eveTok := e.user(t, "eve")
		pool := map[string]any{"key": "pool", "label": label("Pool"), "permissions": []any{map[string]any{
			"app": "crm", "module": "lead", "actions": []string{"read", "update", "claim"},
			"scope": map[string]string{"read": "owner == nil || owner == user.id", "update": "own"}}}}
		e.do(t, "POST", "/api/roles", pool).want(t, 201)
		e.do(t, "POST", "/api/roles", map[string]any{"key": "reader", "label": label("Reader"), "permissions": []any{map[string]any{
			"app": "crm", "module": "lead", "actions": []string{"read"}}}}).want(t, 201)
		for _, u := range []struct{ email, role string }{{"ann@example.com", "pool"}, {"bob@example.com", "pool"}, {"eve@example.com", "reader"}} {
			var id string
			r := e.do(t, "GET", "/api/users?limit=200", nil).want(t, 200)
			for _, x := range r.doc["users"].([]any) {
				if m := x.(map[string]any); m["email"] == u.email {
					id = m["id"].(string)
				}
			}
			e.do(t, "PATCH", "/api/users/"+id, map[string]any{"roles": []string{u.role}}).want(t, 200)
		}
		// "When a customer has had no follow-up …, move it back to the pool."
		e.rule(t, map[string]any{"key": "back_to_pool", "label": label("Pool"), "module": "lead",
			"trigger": map[string]any{"type": "field_changed", "field": "status", "to": "lost"},
			"actions": []any{map[string]any{"type": "pool"}}})
		lead := e.create(t, "lead", map[string]any{"name": "cold", "status": "new", "owner": ann})
		id := lead["id"].(string)
		e.do(t, "PATCH", "/api/apps/crm/modules/lead/records/"+id, map[string]any{"version": 1, "status": "lost"}).want(t, 200)
		e.runJobs(t)
		if got := e.do(t, "GET", "/api/apps/crm/modules/lead/records/"+id, nil).want(t, 200); got.doc["owner"] != nil {
			t.Fatalf("not released: owner %v", got.doc["owner"])
		}
		claim := "/api/apps/crm/modules/lead/records/" + id + "/claim"
		e.as(eveTok, func() { e.do(t, "POST", claim, nil).want(t, 403) })
		e.as(bobTok, func() {
			if got := e.do(t, "POST", claim, nil).want(t, 200); got.str("owner") == "" {
				t.Errorf("claimed record has no owner: %s", got.body)
			}
		})
		e.as(annTok, func() {
			// Bob has it now: no longer in Ann's pool scope.
			e.do(t, "POST", claim, nil).want(t, 404)
		})
	})
}

func TestNotifyUpdateRelatedAndEmail(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ann, annTok := e.user(t, "ann")
		e.rule(t, map[string]any{"key": "tell", "label": label("Tell"), "module": "lead",
			"trigger": map[string]any{"type": "field_changed", "field": "status", "to": "hot"},
			"actions": []any{
				map[string]any{"type": "notify", "to": "owner", "message": map[string]string{"en": "Lead {name} is hot", "zh-CN": "线索 {name} 变热了"}},
				map[string]any{"type": "email", "to": "owner", "subject": label("Hot lead"), "message": label("{name} is hot")},
				map[string]any{"type": "update_related", "module": "task", "via": "lead", "values": map[string]string{"title": `concat("HOT: ", name)`}},
			}})
		lead := e.create(t, "lead", map[string]any{"name": "acme", "owner": ann})
		id := lead["id"].(string)
		e.create(t, "task", map[string]any{"title": "call", "lead": id})
		e.create(t, "task", map[string]any{"title": "mail", "lead": id})
		e.create(t, "task", map[string]any{"title": "other"})
		e.do(t, "PATCH", "/api/apps/crm/modules/lead/records/"+id, map[string]any{"version": 1, "status": "hot"}).want(t, 200)
		e.runJobs(t)
		e.runJobs(t) // the email job: no SMTP configured, skipped with a logged reason
		e.as(annTok, func() {
			r := e.do(t, "GET", "/api/notifications?unread=true", nil).want(t, 200)
			list := r.doc["notifications"].([]any)
			if len(list) != 1 || !strings.Contains(string(r.body), "acme") {
				t.Fatalf("notification missing: %s", r.body)
			}
			id := list[0].(map[string]any)["id"].(string)
			e.do(t, "POST", "/api/notifications/"+id+"/read", nil).want(t, 204)
			e.do(t, "POST", "/api/notifications/"+id+"/read", nil).want(t, 404) // already read
			if r := e.do(t, "GET", "/api/notifications?unread=true", nil).want(t, 200); len(r.doc["notifications"].([]any)) != 0 {
				t.Errorf("read notification still unread: %s", r.body)
			}
		})
		// Someone else's notification is not theirs to mark.
		e.do(t, "POST", "/api/notifications/"+"01a20200-0000-7000-8000-000000000000"+"/read", nil).want(t, 404)
		hot := 0
		for _, x := range e.list(t, "task", "") {
			if strings.HasPrefix(x.(map[string]any)["title"].(string), "HOT: acme") {
				hot++
			}
		}
		if hot != 2 {
			t.Errorf("updated %d child tasks, want 2", hot)
		}
		runs := e.runs(t, "tell")
		if len(runs) != 1 || runs[0]["outcome"] != "ok" {
			t.Errorf("runs = %v", runs)
		}
	})
}

func TestInboundWebhookDeletedTriggerAndRecordRuns(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		r := e.do(t, "POST", "/api/apps/crm/rules", map[string]any{"key": "inbound", "label": label("In"), "module": "lead",
			"trigger": map[string]any{"type": "webhook"},
			"actions": []any{map[string]any{"type": "set", "values": map[string]string{"code": `"WEB"`}}}}).want(t, 201)
		token := r.doc["trigger"].(map[string]any)["token"].(string)
		if len(token) < 40 {
			t.Fatalf("webhook token %q is too short to be a secret", token)
		}
		admin := e.token
		e.token = "" // no sign-in: the URL is the secret
		created := e.do(t, "POST", "/api/hooks/"+token, map[string]any{"name": "from the web", "amount": 12}).want(t, 201)
		id := created.str("id")
		e.do(t, "POST", "/api/hooks/"+token, map[string]any{"id": id, "amount": 13}).want(t, 200)
		e.do(t, "POST", "/api/hooks/not-the-token", map[string]any{"name": "x"}).want(t, 404)
		e.do(t, "POST", "/api/hooks/"+token, map[string]any{"amount": "not a number"}).want(t, 422)
		e.token = admin
		e.runJobs(t)
		got := e.do(t, "GET", "/api/apps/crm/modules/lead/records/"+id, nil).want(t, 200)
		if got.doc["amount"].(float64) != 13 || got.doc["code"] != "WEB" {
			t.Errorf("webhook record = %v", got.doc)
		}
		// The delivery wrote as the rule's system user, which owns nothing.
		if got.doc["owner"] != nil || got.str("created_by") == "" {
			t.Errorf("webhook record's owner %v, creator %q", got.doc["owner"], got.str("created_by"))
		}
		if u := e.do(t, "GET", "/api/apps/crm/modules/lead/records/"+id+"?expand=created_by", nil).want(t, 200); !strings.Contains(string(u.body), "rule:inbound") {
			t.Errorf("creator is not the rule's user: %s", u.body)
		}
		h := e.do(t, "GET", "/api/apps/crm/modules/lead/records/"+id+"/history", nil).want(t, 200)
		if !strings.Contains(string(h.body), `"via":"webhook"`) {
			t.Errorf("history lacks the webhook write: %s", h.body)
		}

		// deleted trigger, and the runs of one record across rules.
		e.rule(t, map[string]any{"key": "gone", "label": label("Gone"), "module": "lead",
			"trigger": map[string]any{"type": "deleted"},
			"actions": []any{map[string]any{"type": "task", "module": "task", "values": map[string]string{"title": `concat("Deleted ", name)`}}}})
		e.do(t, "DELETE", "/api/apps/crm/modules/lead/records/"+id, nil).want(t, 204)
		e.runJobs(t)
		tasks := e.list(t, "task", "")
		if len(tasks) != 1 || tasks[0].(map[string]any)["title"] != "Deleted from the web" {
			t.Errorf("deleted trigger: tasks = %v", tasks)
		}
		runs := e.do(t, "GET", "/api/apps/crm/modules/lead/records/"+id+"/rule-runs", nil).want(t, 200)
		if n := len(runs.doc["runs"].([]any)); n < 3 {
			t.Errorf("record runs = %d, want the webhook runs and the delete run: %s", n, runs.body)
		}
	})
}
