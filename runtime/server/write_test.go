package server_test

// Writes that should not be writes, text that is blank, restores of live
// records (issue 7 items 7, 10 and 12).

import (
	"encoding/json"
	"strings"
	"testing"
)

// ruleJobs counts the rule jobs ever enqueued (the outbox): a write that
// fires an after-save rule leaves one.
func (e *env) ruleJobs(t *testing.T) int {
	t.Helper()
	var n int
	if err := e.s.R.QueryRow(`SELECT count(*) FROM jobs WHERE kind = 'rule.run'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// notifyRule adds a rule on crm's deals that notifies the owner on the
// trigger: every write it fires on leaves a rule job.
func (e *env) notifyRule(t *testing.T, key, trigger string) {
	t.Helper()
	e.do(t, "admin", "POST", "/api/apps/crm/rules", map[string]any{
		"key": key, "label": label(key), "module": "deal", "trigger": map[string]any{"type": trigger},
		"actions": []any{map[string]any{"type": "notify", "to": "owner", "message": label("changed")}},
	}).want(t, 201)
}

func (e *env) historyLen(t *testing.T, app, mod, id string) int {
	t.Helper()
	return len(e.do(t, "admin", "GET", recIDPath(app, mod, id)+"/history", nil).want(t, 200).list("entries"))
}

// Item 7: a PATCH that changes nothing returns the record as it is — same
// version, same updated_at, no history entry, no rule fired — also when it
// sends back system fields with their current values; a different value of
// a system field is a 422 naming it.
func TestNoopPatch(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.crm(t)
		e.notifyRule(t, "on_update", "updated")
		created := e.create(t, "crm", "deal", map[string]any{"name": "Acme", "amount": 12.5, "stage": "new"})
		id, p := created.str("id"), recIDPath("crm", "deal", created.str("id"))
		whole := created.obj("")
		jobs := e.ruleJobs(t)

		same := func(t *testing.T, r *response) {
			t.Helper()
			r.json(t, map[string]any{"version": 1, "updated_at": created.str("updated_at"), "updated_by": e.ids["admin"], "name": "Acme"})
		}
		e.run(t, []scenario{
			{name: "version only", method: "PATCH", url: p, as: "admin", body: map[string]any{"version": 1}, status: 200, check: same},
			{name: "the same values", method: "PATCH", url: p, as: "admin",
				body: map[string]any{"version": 1, "name": "Acme", "amount": 12.50, "stage": "new"}, status: 200, check: same},
			{name: "the whole record as read", method: "PATCH", url: p, as: "admin", body: whole, status: 200, check: same},
			{name: "system fields as read", method: "PATCH", url: p, as: "admin",
				body: map[string]any{"version": 1, "id": strings.ToUpper(id), "created_at": created.str("created_at"),
					"updated_at": created.str("updated_at"), "created_by": e.ids["admin"], "updated_by": e.ids["admin"], "deleted_at": nil},
				status: 200, check: same},
			{name: "the same instant written differently", method: "PATCH", url: p, as: "admin",
				body: map[string]any{"version": 1, "created_at": strings.Replace(created.str("created_at"), "Z", "+00:00", 1)}, status: 200, check: same},
			{name: "trimmed to the same text", method: "PATCH", url: p, as: "admin", body: map[string]any{"version": 1, "name": "  Acme "},
				status: 200, check: same},
			{name: "another created_at", method: "PATCH", url: p, as: "admin", headers: []string{"Accept-Language", "en"},
				body:   map[string]any{"version": 1, "created_at": "2020-01-01T00:00:00Z", "name": "Changed"},
				status: 422, fieldErrors: []string{"created_at:read_only"}, contains: []string{"Created at is set by the server"}},
			{name: "other system fields, in Chinese", method: "PATCH", url: p, as: "admin", headers: []string{"Accept-Language", "zh-CN"},
				body: map[string]any{"version": 1, "id": noSuchID, "created_by": e.ids["user"], "updated_at": "2020-01-01T00:00:00Z",
					"updated_by": nil, "deleted_at": "2020-01-01T00:00:00Z"},
				status: 422, fieldErrors: []string{"id:read_only", "created_by:read_only", "updated_at:read_only", "updated_by:read_only", "deleted_at:read_only"},
				contains: []string{"创建人由系统设置，不能修改。"}},
			{name: "nothing changed", method: "GET", url: p, as: "admin", status: 200, check: same},
		})
		if n := e.historyLen(t, "crm", "deal", id); n != 1 {
			t.Errorf("history has %d entries, want only the create", n)
		}
		if n := e.ruleJobs(t); n != jobs {
			t.Errorf("no-op patches enqueued %d rule jobs", n-jobs)
		}
		// A real change still is one.
		e.do(t, "admin", "PATCH", p, map[string]any{"version": 1, "amount": 13}).want(t, 200).json(t, map[string]any{"version": 2})
		if n := e.historyLen(t, "crm", "deal", id); n != 2 {
			t.Errorf("history has %d entries after a change, want 2", n)
		}
		if n := e.ruleJobs(t); n != jobs+1 {
			t.Errorf("a change enqueued %d rule jobs, want 1", n-jobs)
		}
		// A stale version is still a conflict, even with nothing to change.
		e.do(t, "admin", "PATCH", p, map[string]any{"version": 1}).want(t, 409)
	})
}

// Item 10: free text is trimmed unless the field opts out, and blank text
// does not fill a required field.
func TestTextIsTrimmedAndBlankIsNotRequired(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.createApp(t, "crm")
		e.createModule(t, "crm", "lead", json.RawMessage(`{"properties": {
			"name": {"x-field": {"type": "text", "label": {"en": "Name", "zh-CN": "姓名"}}},
			"email": {"x-field": {"type": "email"}},
			"note": {"x-field": {"type": "textarea"}},
			"code": {"x-field": {"type": "text", "trim": false}},
			"poem": {"x-field": {"type": "textarea", "trim": false, "label": {"en": "Poem", "zh-CN": "诗"}}},
			"stage": {"x-field": {"type": "select", "options": [{"value": "new"}]}}},
			"required": ["name", "poem"]}`))
		r := e.create(t, "crm", "lead", map[string]any{"name": "  Ann Lee\t", "email": " ann@example.com ", "note": "\n line one \n",
			"code": "  A-1 ", "poem": "  indented\n", "stage": "new"})
		r.json(t, map[string]any{"name": "Ann Lee", "email": "ann@example.com", "note": "line one", "code": "  A-1 ", "poem": "  indented\n"})
		id := r.str("id")
		blank := func(name, method, url, lang string, body map[string]any, field, msg string) scenario {
			return scenario{name: name, method: method, url: url, as: "admin", headers: []string{"Accept-Language", lang}, body: body,
				status: 422, fieldErrors: []string{field + ":required"}, contains: []string{msg}}
		}
		e.run(t, []scenario{
			blank("empty required text", "POST", recPath("crm", "lead"), "en", map[string]any{"name": "", "poem": "x"}, "name", "Name is required."),
			blank("blank required text", "POST", recPath("crm", "lead"), "zh-CN", map[string]any{"name": "   ", "poem": "x"}, "name", "姓名为必填项。"),
			blank("ideographic space is blank too", "POST", recPath("crm", "lead"), "zh-CN", map[string]any{"name": "\u3000", "poem": "x"}, "name", "姓名为必填项。"),
			blank("blank untrimmed required text", "POST", recPath("crm", "lead"), "zh-CN", map[string]any{"name": "x", "poem": " \n "}, "poem", "诗为必填项。"),
			blank("patched to blank", "PATCH", recIDPath("crm", "lead", id), "en", map[string]any{"version": 1, "name": "  "}, "name", "Name is required."),
			{name: "an email with spaces around is an email", method: "PATCH", url: recIDPath("crm", "lead", id), as: "admin",
				body: map[string]any{"version": 1, "email": "  bob@example.com  "}, status: 200, json: map[string]any{"email": "bob@example.com", "version": 2}},
			{name: "a filter finds the trimmed value", method: "GET", url: recPath("crm", "lead") + `?filter=name%20%3D%3D%20%22Ann%20Lee%22`, as: "admin",
				status: 200, json: map[string]any{"records.#": 1}},
		})
		e.run(t, []scenario{{name: "trim must be a boolean", method: "POST", url: appPath("crm") + "/modules", as: "admin",
			body:   map[string]any{"key": "bad", "label": label("bad"), "schema": props(`"t": {"x-field": {"type": "text", "trim": "no"}}`)},
			status: 422, fieldErrors: []string{"t.x-field.trim"}}})
	})
}

// Item 12 (part): restoring a record that is not deleted is a conflict
// saying so; one the caller cannot see stays not found.
func TestRestoreLiveRecord(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.crm(t)
		id := e.create(t, "crm", "deal", map[string]any{"name": "Live"}).str("id")
		e.run(t, []scenario{
			{name: "restore a live record", method: "POST", url: recIDPath("crm", "deal", id) + "/restore", as: "admin",
				headers: []string{"Accept-Language", "en"}, status: 409, json: map[string]any{"code": "conflict"},
				contains: []string{"not deleted"}},
			{name: "in Chinese", method: "POST", url: recIDPath("crm", "deal", id) + "/restore", as: "admin",
				headers: []string{"Accept-Language", "zh-CN"}, status: 409, contains: []string{"该记录未被删除"}},
			{name: "nothing changed", method: "GET", url: recIDPath("crm", "deal", id), as: "admin", status: 200, json: map[string]any{"version": 1}},
			{name: "a missing record is still not found", method: "POST", url: recIDPath("crm", "deal", noSuchID) + "/restore", as: "admin", status: 404},
			{name: "delete", method: "DELETE", url: recIDPath("crm", "deal", id), as: "admin", status: 204},
			{name: "restore", method: "POST", url: recIDPath("crm", "deal", id) + "/restore", as: "admin", status: 200},
			{name: "restore again", method: "POST", url: recIDPath("crm", "deal", id) + "/restore", as: "admin", status: 409},
		})
		// A user who may not see the record learns nothing about it.
		e.do(t, "admin", "POST", "/api/roles", map[string]any{"key": "own", "label": label("Own"), "permissions": []any{
			map[string]any{"app": "crm", "module": "deal", "actions": []string{"read", "delete"}, "scope": map[string]string{"read": "own", "delete": "own"}}}}).want(t, 201)
		e.do(t, "admin", "PATCH", "/api/users/"+e.ids["user"], map[string]any{"roles": []string{"own"}}).want(t, 200)
		e.do(t, "user", "POST", recIDPath("crm", "deal", id)+"/restore", nil).want(t, 404)
	})
}
