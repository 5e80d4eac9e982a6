package approvalapi_test

// Approvals through the real HTTP stack, on SQLite and PostgreSQL, with a
// clock the tests move (apitest) and jobs run when a test says so.
//
// The organisation: corp (manager dir) ⊃ sales (manager mgr); rep and bob
// work in sales, mgr too; carol and fin are elsewhere. Role "sales" may
// create, read and update quotes, reading only their own; role "finance"
// (fin) reads them all but not their amount. Module crm/quote: name (required), amount,
// discount, approver (a user field), note.

import (
	"fmt"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/runtime/apitest"
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

// sh is a wall-clock time in Shanghai.
func sh(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

type fx struct {
	*apitest.Env
	t *testing.T
}

func setup(t *testing.T, s *store.Store, start time.Time) *fx {
	t.Helper()
	f := &fx{Env: apitest.New(t, s, start), t: t}
	for _, name := range []string{"dir", "mgr", "rep", "bob", "carol", "fin"} {
		f.User(t, name, access.NewUser{})
	}
	label := apitest.Label
	f.Do(t, "admin", "POST", "/api/apps", map[string]any{"key": "crm", "label": label("CRM")}).Want(t, 201)
	f.Do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "quote", "label": label("Quote"), "schema": map[string]any{
		"properties": map[string]any{
			"name":     map[string]any{"x-field": map[string]any{"type": "text"}},
			"amount":   map[string]any{"x-field": map[string]any{"type": "currency"}},
			"discount": map[string]any{"x-field": map[string]any{"type": "number"}},
			"approver": map[string]any{"x-field": map[string]any{"type": "user"}},
			"note":     map[string]any{"x-field": map[string]any{"type": "text"}},
		},
		"required": []string{"name"},
	}}).Want(t, 201)
	f.Do(t, "admin", "POST", "/api/departments", map[string]any{"key": "corp", "label": label("Corp"), "manager": f.IDs["dir"]}).Want(t, 201)
	f.Do(t, "admin", "POST", "/api/departments", map[string]any{"key": "sales", "label": label("Sales"), "parent": "corp", "manager": f.IDs["mgr"]}).Want(t, 201)
	f.Do(t, "admin", "POST", "/api/roles", map[string]any{"key": "sales", "label": label("Sales"), "permissions": []any{
		map[string]any{"app": "crm", "module": "quote", "actions": []string{"create", "read", "update", "delete"}, "scope": map[string]string{"read": "own", "update": "own", "delete": "own"}},
	}}).Want(t, 201)
	f.Do(t, "admin", "POST", "/api/roles", map[string]any{"key": "finance", "label": label("Finance"), "permissions": []any{
		map[string]any{"app": "crm", "module": "quote", "actions": []string{"read"}, "fields": map[string]string{"amount": "hidden"}},
	}}).Want(t, 201)
	for _, who := range []string{"rep", "bob", "mgr"} {
		f.Do(t, "admin", "PATCH", "/api/users/"+f.IDs[who], map[string]any{"departments": []string{"sales"}, "roles": []string{"sales"}}).Want(t, 200)
	}
	f.Do(t, "admin", "PATCH", "/api/users/"+f.IDs["fin"], map[string]any{"roles": []string{"finance"}}).Want(t, 200)
	return f
}

// step is a step definition.
func step(key string, approvers map[string]any, mode string, more ...any) map[string]any {
	s := map[string]any{"key": key, "label": apitest.Label(key), "approvers": approvers, "mode": mode}
	for i := 0; i+1 < len(more); i += 2 {
		s[more[i].(string)] = more[i+1]
	}
	return s
}

func users(ids ...string) map[string]any { return map[string]any{"type": "users", "users": ids} }

func managerOf(of string) map[string]any {
	return map[string]any{"type": "manager", "of": of, "levels": 1}
}

// process creates approval process key on quote.
func (f *fx) process(key string, steps []map[string]any, more ...any) {
	f.t.Helper()
	p := map[string]any{"key": key, "label": apitest.Label("Process " + key), "module": "quote", "steps": steps}
	for i := 0; i+1 < len(more); i += 2 {
		p[more[i].(string)] = more[i+1]
	}
	f.Do(f.t, "admin", "POST", "/api/apps/crm/approvals", p).Want(f.t, 201)
}

// quote creates a quote as who and returns its id.
func (f *fx) quote(who string, vals map[string]any) string {
	f.t.Helper()
	if vals["name"] == nil {
		vals["name"] = "Q " + who
	}
	return f.Do(f.t, who, "POST", "/api/apps/crm/modules/quote/records", vals).Want(f.t, 201).Str("id")
}

func recPath(id string) string { return "/api/apps/crm/modules/quote/records/" + id }

// submit submits quote id for process as who and returns the instance id.
func (f *fx) submit(who, id, process string) string {
	f.t.Helper()
	return f.Do(f.t, who, "POST", recPath(id)+"/approvals", map[string]any{"process": process, "comment": "please"}).Want(f.t, 201).Str("id")
}

// inst reads an instance as admin.
func (f *fx) inst(id string) *apitest.Response {
	f.t.Helper()
	return f.Do(f.t, "admin", "GET", "/api/approvals/"+id, nil).Want(f.t, 200)
}

// task returns the id of who's pending task on instance id (failing when
// there is none).
func (f *fx) task(id, who string) string {
	f.t.Helper()
	r := f.inst(id)
	for _, x := range r.List("tasks") {
		t := x.(map[string]any)
		if t["assignee"] == f.IDs[who] && t["status"] == "pending" {
			return t["id"].(string)
		}
	}
	f.t.Fatalf("%s has no pending task on %s: %s", who, id, r.Body)
	return ""
}

// pendingOf lists the names of the users with a pending task on id.
func (f *fx) pendingOf(id string) []string {
	f.t.Helper()
	names := map[string]string{}
	for n, uid := range f.IDs {
		names[uid] = n
	}
	var out []string
	for _, x := range f.inst(id).List("tasks") {
		t := x.(map[string]any)
		if t["status"] == "pending" {
			out = append(out, names[t["assignee"].(string)])
		}
	}
	return out
}

// act performs a task action as who.
func (f *fx) act(who, id, action string, body any) *apitest.Response {
	f.t.Helper()
	return f.Do(f.t, who, "POST", fmt.Sprintf("/api/approvals/%s/tasks/%s/%s", id, f.task(id, who), action), body)
}

// actions lists the history's actions in order.
func (f *fx) actions(id string) []string {
	var out []string
	for _, d := range f.inst(id).List("decisions") {
		out = append(out, d.(map[string]any)["action"].(string))
	}
	return out
}

func count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}
