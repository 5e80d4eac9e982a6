package orgapi_test

// The organisation API through the real HTTP stack (server.New), once per
// dialect.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/server"
)

const password = "correct-horse-battery"

type env struct {
	s      *store.Store
	url    string
	tokens map[string]string // who → session token
	ids    map[string]string // who → user id
}

func each(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) { fn(t, newEnv(t, s)) })
}

func newEnv(t *testing.T, s *store.Store) *env {
	t.Helper()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv := httptest.NewServer(server.New(server.NewServices(s), log))
	t.Cleanup(srv.Close)
	e := &env{s: s, url: srv.URL, tokens: map[string]string{}, ids: map[string]string{}}
	acc := access.NewService(s)
	for who, admin := range map[string]bool{"admin": true, "user": false} {
		u, err := acc.CreateUser(context.Background(), access.NewUser{Email: who + "@example.com", Password: password, Name: who, IsAdmin: admin})
		if err != nil {
			t.Fatal(err)
		}
		e.ids[who] = u.ID
		e.tokens[who] = e.login(t, who+"@example.com", password)
	}
	return e
}

func (e *env) login(t *testing.T, email, pw string) string {
	t.Helper()
	r := e.do(t, "", "POST", "/api/auth/login", map[string]string{"email": email, "password": pw}).want(t, 200)
	return r.str("token")
}

type response struct {
	Status int
	Body   []byte
	doc    any
}

// do sends a request as who ("admin", "user", a raw token, or "" for
// none) with body encoded as JSON (nil: none).
func (e *env) do(t *testing.T, who, method, path string, body any) *response {
	t.Helper()
	return e.doLang(t, "en", who, method, path, body)
}

// doLang is do in another language.
func (e *env) doLang(t *testing.T, lang, who, method, path string, body any) *response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if who != "" {
		tok, ok := e.tokens[who]
		if !ok {
			tok = who
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	req.Header.Set("Accept-Language", lang)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := &response{Status: res.StatusCode, Body: b}
	json.Unmarshal(b, &r.doc)
	return r
}

func (r *response) want(t *testing.T, status int) *response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d; body: %s", r.Status, status, r.Body)
	}
	return r
}

// get returns the value at a dotted path ("errors.0.field"; "x.#" is a
// length).
func (r *response) get(path string) any {
	cur := r.doc
	for _, seg := range strings.Split(path, ".") {
		switch x := cur.(type) {
		case map[string]any:
			if seg == "#" {
				return float64(len(x))
			}
			cur = x[seg]
		case []any:
			if seg == "#" {
				return float64(len(x))
			}
			var i int
			if _, err := fmt.Sscan(seg, &i); err != nil || i < 0 || i >= len(x) {
				return nil
			}
			cur = x[i]
		default:
			return nil
		}
	}
	return cur
}

func (r *response) str(path string) string {
	s, _ := r.get(path).(string)
	return s
}

// fieldErrors maps each error's field to its message.
func (r *response) fieldErrors() map[string]string {
	out := map[string]string{}
	list, _ := r.get("errors").([]any)
	for _, x := range list {
		m := x.(map[string]any)
		out[m["field"].(string)] = m["message"].(string)
	}
	return out
}

// wantFields fails unless the response is a 422 with errors on exactly
// the fields given, each message containing its text.
func (r *response) wantFields(t *testing.T, want map[string]string) {
	t.Helper()
	r.want(t, 422)
	got := r.fieldErrors()
	if len(got) != len(want) {
		t.Errorf("errors = %v, want fields %v", got, want)
	}
	for f, text := range want {
		if msg, ok := got[f]; !ok || !strings.Contains(msg, text) {
			t.Errorf("error on %s = %q, want it to contain %q (all: %v)", f, msg, text, got)
		}
	}
}

func label(s string) map[string]string { return map[string]string{"en": s} }

func TestDepartments(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		boss := e.ids["user"]
		r := e.do(t, "admin", "POST", "/api/departments", map[string]any{"key": "company", "label": label("Company")}).want(t, 201)
		if r.get("parent") != nil || r.get("manager") != nil || r.str("id") == "" {
			t.Errorf("company = %s", r.Body)
		}
		e.do(t, "admin", "POST", "/api/departments", map[string]any{"key": "sales", "label": label("Sales"), "parent": "company", "manager": boss}).want(t, 201)
		r = e.do(t, "admin", "POST", "/api/departments", map[string]any{"key": "east", "label": label("East"), "parent": "sales"}).want(t, 201)
		if r.str("parent") != "sales" {
			t.Errorf("east parent = %v", r.get("parent"))
		}
		e.do(t, "admin", "POST", "/api/departments", map[string]any{"key": "audit", "label": label("Audit"), "parent": "company"}).want(t, 201)

		// Refusals on create.
		e.do(t, "admin", "POST", "/api/departments", map[string]any{"key": "sales", "label": label("Again")}).want(t, 409)
		e.do(t, "admin", "POST", "/api/departments", map[string]any{"key": "Bad Key", "label": label("x"), "parent": "nope",
			"manager": "0190a000-0000-7000-8000-000000000000"}).wantFields(t, map[string]string{
			"key": "lower-case", "parent": "no department nope", "manager": "no user"})
		e.do(t, "admin", "POST", "/api/departments", map[string]any{"key": "x"}).wantFields(t, map[string]string{"label": "label"})

		// The list is in tree order with parent keys and depths.
		r = e.do(t, "admin", "GET", "/api/departments", nil).want(t, 200)
		var order []string
		for i := 0; i < int(r.get("departments.#").(float64)); i++ {
			order = append(order, fmt.Sprintf("%s<%v:%v", r.str(fmt.Sprintf("departments.%d.key", i)),
				r.get(fmt.Sprintf("departments.%d.parent", i)), r.get(fmt.Sprintf("departments.%d.depth", i))))
		}
		if got := strings.Join(order, " "); got != "company<<nil>:0 audit<company:1 sales<company:1 east<sales:2" {
			t.Errorf("tree = %s", got)
		}
		r = e.do(t, "admin", "GET", "/api/departments/sales", nil).want(t, 200)
		if r.str("manager") != boss || r.get("children.0") != "east" || r.get("members.#") != 0.0 {
			t.Errorf("sales = %s", r.Body)
		}
		e.do(t, "admin", "GET", "/api/departments/nope", nil).want(t, 404)

		// Cycles are refused: under itself, under a descendant.
		e.do(t, "admin", "PATCH", "/api/departments/company", map[string]any{"parent": "east"}).wantFields(t, map[string]string{"parent": "sub-departments"})
		e.do(t, "admin", "PATCH", "/api/departments/sales", map[string]any{"parent": "sales"}).wantFields(t, map[string]string{"parent": "itself"})
		e.do(t, "admin", "PATCH", "/api/departments/sales", map[string]any{"parent": "ghost"}).wantFields(t, map[string]string{"parent": "ghost"})
		// A move, a relabel, a manager removed; absent members stay.
		r = e.do(t, "admin", "PATCH", "/api/departments/east", map[string]any{"parent": "audit", "label": label("East!")}).want(t, 200)
		if r.str("parent") != "audit" || r.str("label.en") != "East!" {
			t.Errorf("moved east = %s", r.Body)
		}
		r = e.do(t, "admin", "PATCH", "/api/departments/sales", map[string]any{"manager": nil}).want(t, 200)
		if r.get("manager") != nil || r.str("parent") != "company" || r.str("label.en") != "Sales" {
			t.Errorf("sales without manager = %s", r.Body)
		}
		r = e.do(t, "admin", "PATCH", "/api/departments/east", map[string]any{"parent": ""}).want(t, 200)
		if r.get("parent") != nil {
			t.Errorf("east at the top = %s", r.Body)
		}
		e.do(t, "admin", "PATCH", "/api/departments/east", map[string]any{"parent": "sales"}).want(t, 200)

		// Deleting a department with children or members is refused,
		// naming them.
		r = e.do(t, "admin", "DELETE", "/api/departments/sales", nil).want(t, 409)
		if d := r.str("detail"); !strings.Contains(d, "east") {
			t.Errorf("detail = %q", d)
		}
		e.do(t, "admin", "PATCH", "/api/users/"+e.ids["user"], map[string]any{"departments": []string{"east"}}).want(t, 200)
		r = e.do(t, "admin", "DELETE", "/api/departments/east", nil).want(t, 409)
		if d := r.str("detail"); !strings.Contains(d, "user@example.com") {
			t.Errorf("detail = %q", d)
		}
		if r := e.do(t, "admin", "GET", "/api/departments/east", nil).want(t, 200); r.str("members.0.email") != "user@example.com" {
			t.Errorf("east members = %s", r.Body)
		}
		e.do(t, "admin", "PATCH", "/api/users/"+e.ids["user"], map[string]any{"departments": []string{}}).want(t, 200)
		e.do(t, "admin", "DELETE", "/api/departments/east", nil).want(t, 204)
		e.do(t, "admin", "GET", "/api/departments/east", nil).want(t, 404)
		e.do(t, "admin", "DELETE", "/api/departments/east", nil).want(t, 404)
		e.do(t, "admin", "DELETE", "/api/departments/sales", nil).want(t, 204)

		// Every change is in the audit log.
		page, err := e.s.AuditEntries(context.Background(), store.AuditQuery{Kind: "org", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		counts := map[string]int{}
		for _, en := range page.Entries {
			counts[en.Action]++
			if en.Actor != e.ids["admin"] || en.Via != "api" {
				t.Errorf("entry %s: actor %q via %q", en.Action, en.Actor, en.Via)
			}
		}
		if counts["department.create"] != 4 || counts["department.update"] != 4 || counts["department.delete"] != 2 || counts["user.update"] != 2 {
			t.Errorf("audit actions = %v", counts)
		}
	})
}

// setupCRM creates app crm with modules deal and lead over HTTP.
func setupCRM(t *testing.T, e *env) {
	t.Helper()
	e.do(t, "admin", "POST", "/api/apps", map[string]any{"key": "crm", "label": label("CRM")}).want(t, 201)
	deal := json.RawMessage(`{"type":"object","properties":{
		"name":{"x-field":{"type":"text"}},
		"amount":{"x-field":{"type":"currency"}},
		"margin":{"x-field":{"type":"number"}},
		"region":{"x-field":{"type":"text"}}}}`)
	e.do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "deal", "label": label("Deal"), "schema": deal}).want(t, 201)
	lead := json.RawMessage(`{"type":"object","properties":{"name":{"x-field":{"type":"text"}}}}`)
	e.do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "lead", "label": label("Lead"), "schema": lead}).want(t, 201)
}

func perm(module string, actions []string, scope map[string]string, fields map[string]string) map[string]any {
	p := map[string]any{"app": "crm", "module": module, "actions": actions, "scope": scope}
	if fields != nil {
		p["fields"] = fields
	}
	return p
}

func TestRoles(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		setupCRM(t, e)
		rw := []string{"read", "update", "delete"}
		// Every kind of scope.
		for i, scope := range []map[string]string{
			{"read": "own", "update": "own", "delete": "own"},
			{"read": "department", "update": "department_tree"},
			{"read": "all", "update": "", "delete": "all"},
			{},
			{"read": "amount > 100 && owner == user.id", "update": "owner in user.departments || region == \"east\"", "delete": "region in user.roles"},
		} {
			r := e.do(t, "admin", "POST", "/api/roles", map[string]any{"key": fmt.Sprintf("r%d", i), "label": label("R"),
				"permissions": []any{perm("deal", rw, scope, map[string]string{"margin": "hidden", "amount": "read"})}}).want(t, 201)
			if r.str("permissions.0.scope.read") != scope["read"] || r.str("permissions.0.fields.margin") != "hidden" || r.get("permissions.0.stale") != nil {
				t.Errorf("role r%d = %s", i, r.Body)
			}
		}
		// Actions are normalized.
		r := e.do(t, "admin", "POST", "/api/roles", map[string]any{"key": "rep", "label": label("Rep"), "permissions": []any{
			perm("deal", []string{"update", "read", "read", "create"}, map[string]string{"read": " own "}, nil),
			perm("lead", []string{"read"}, nil, nil),
		}}).want(t, 201)
		if got := fmt.Sprint(r.get("permissions.0.actions")); got != "[create read update]" || r.str("permissions.0.scope.read") != "own" {
			t.Errorf("normalized = %s", r.Body)
		}
		e.do(t, "admin", "POST", "/api/roles", map[string]any{"key": "rep", "label": label("Rep")}).want(t, 409)

		// Wildcards: every app, every module of an app. Their scopes may
		// read only system fields; their field keys need only be well-formed.
		r = e.do(t, "admin", "POST", "/api/roles", map[string]any{"key": "wild", "label": label("Wild"), "permissions": []any{
			map[string]any{"app": "*", "module": "*", "actions": []string{"read"}, "scope": map[string]string{"read": "owner == user.id || created_by == user.id"},
				"fields": map[string]string{"salary": "hidden"}},
			map[string]any{"app": "crm", "module": "*", "actions": []string{"read"}, "scope": map[string]string{"read": "department_tree"}},
		}}).want(t, 201)
		if r.get("permissions.0.stale") != nil || r.get("permissions.1.stale") != nil {
			t.Errorf("wildcards stale: %s", r.Body)
		}
		e.do(t, "admin", "POST", "/api/roles", map[string]any{"key": "wild2", "label": label("Wild"), "permissions": []any{
			map[string]any{"app": "crm", "module": "*", "actions": []string{"read"}, "scope": map[string]string{"read": "amount > 1"}},
			map[string]any{"app": "erp", "module": "*", "actions": []string{"read"}},
			map[string]any{"app": "*", "module": "deal", "actions": []string{"read"}, "fields": map[string]string{"Bad Key": "read"},
				"scope": map[string]string{"update": "owner == user.id", "delete": "owner == user.id && salary > 1"}},
		}}).wantFields(t, map[string]string{
			"permissions[0].scope.read":     "not in every module",
			"permissions[1].app":            "no app erp",
			"permissions[2].fields.Bad Key": "not a valid field key",
			"permissions[2].scope.delete":   "salary",
		})

		// Validation names the part at fault.
		e.do(t, "admin", "POST", "/api/roles", map[string]any{"key": "bad", "label": label("Bad"), "permissions": []any{
			perm("nope", []string{"read"}, nil, nil),
			perm("deal", []string{"read", "fly"}, nil, nil),
			perm("deal", []string{"read"}, map[string]string{"read": "amount >"}, nil),
			perm("deal", []string{"read"}, map[string]string{"update": "ghost == 1"}, nil),
			perm("deal", []string{"read"}, map[string]string{"delete": "len(name) > 3"}, nil),
			perm("deal", []string{"read", "update"}, map[string]string{"read": "own", "update": "margin > 0.3 || amount > 5"},
				map[string]string{"margin": "hidden", "ghost": "read", "name": "secret"}),
			perm("deal", []string{}, nil, nil),
			map[string]any{"module": "deal", "actions": []string{"read"}},
		}}).wantFields(t, map[string]string{
			"permissions[0].module":       "no module nope",
			"permissions[1].actions[1]":   "Unknown action fly",
			"permissions[2].scope.read":   "syntax error",
			"permissions[3].scope.update": "unknown field \"ghost\"",
			"permissions[4].scope.delete": "len",
			"permissions[5].scope.update": "reads field margin, which this permission hides",
			"permissions[5].fields.ghost": "no field ghost",
			"permissions[5].fields.name":  "secret",
			"permissions[6].actions":      "at least one",
			"permissions[7].app":          "app",
		})
		e.do(t, "admin", "POST", "/api/roles", map[string]any{"key": "Bad!", "permissions": []any{}}).wantFields(t, map[string]string{"key": "lower-case", "label": "label"})
		e.do(t, "admin", "POST", "/api/roles", map[string]any{"key": "x", "label": label("X"), "permissions": []any{
			map[string]any{"app": "crm", "module": "deal", "actions": []string{"read"}, "extra": 1}}}).want(t, 400)

		// Read back, replace, list.
		r = e.do(t, "admin", "GET", "/api/roles/rep", nil).want(t, 200)
		if r.get("permissions.#") != 2.0 || r.str("permissions.1.module") != "lead" {
			t.Errorf("rep = %s", r.Body)
		}
		// The GET document can be sent back as it is (stale included).
		var doc map[string]any
		json.Unmarshal(r.Body, &doc)
		body := map[string]any{"key": "rep", "label": label("Sales rep"), "permissions": doc["permissions"]}
		r = e.do(t, "admin", "PUT", "/api/roles/rep", body).want(t, 200)
		if r.str("label.en") != "Sales rep" {
			t.Errorf("replaced = %s", r.Body)
		}
		e.do(t, "admin", "PUT", "/api/roles/rep", map[string]any{"key": "other", "label": label("x")}).wantFields(t, map[string]string{"key": "cannot be changed"})
		e.do(t, "admin", "PUT", "/api/roles/ghost", map[string]any{"label": label("x")}).want(t, 404)
		r = e.do(t, "admin", "GET", "/api/roles", nil).want(t, 200)
		if r.get("roles.#") != 7.0 || r.str("roles.0.key") != "r0" || r.str("roles.5.key") != "rep" || r.str("roles.6.key") != "wild" {
			t.Errorf("roles = %s", r.Body)
		}

		// A module deleted later leaves its grants stored but stale.
		e.do(t, "admin", "DELETE", "/api/apps/crm/modules/lead", nil).want(t, 204)
		r = e.do(t, "admin", "GET", "/api/roles/rep", nil).want(t, 200)
		if r.get("permissions.0.stale") != nil || r.get("permissions.1.stale") != true {
			t.Errorf("stale = %s", r.Body)
		}
		r = e.do(t, "admin", "GET", "/api/roles", nil).want(t, 200)
		if r.get("roles.5.permissions.1.stale") != true {
			t.Errorf("list stale = %s", r.Body)
		}
		// Saving it again asks to drop the stale grant.
		json.Unmarshal(r.Body, &doc)
		perms := doc["roles"].([]any)[5].(map[string]any)["permissions"]
		e.do(t, "admin", "PUT", "/api/roles/rep", map[string]any{"label": label("x"), "permissions": perms}).
			wantFields(t, map[string]string{"permissions[1].module": "no module lead"})

		// Deleting a role that users hold is refused, naming them, and
		// changes nothing; ?force=true takes it from them (audited).
		r = e.do(t, "admin", "POST", "/api/users", map[string]any{"email": "rita@example.com", "password": password, "roles": []string{"rep", "r1"}}).want(t, 201)
		rita := r.str("id")
		e.do(t, "admin", "PATCH", "/api/users/"+e.ids["user"], map[string]any{"roles": []string{"rep"}}).want(t, 200)
		r = e.do(t, "admin", "DELETE", "/api/roles/rep", nil).want(t, 409)
		if d := r.str("detail"); !strings.Contains(d, "rita@example.com, user@example.com") || !strings.Contains(d, "2 user") || !strings.Contains(d, "force=true") {
			t.Errorf("detail = %q", d)
		}
		e.do(t, "admin", "GET", "/api/roles/rep", nil).want(t, 200)
		if r := e.do(t, "admin", "GET", "/api/users/"+rita, nil).want(t, 200); fmt.Sprint(r.get("roles")) != "[r1 rep]" {
			t.Errorf("rita's roles after a refused delete = %v", r.get("roles"))
		}
		e.do(t, "admin", "DELETE", "/api/roles/rep?force=maybe", nil).want(t, 400)
		e.do(t, "admin", "DELETE", "/api/roles/rep?force=false", nil).want(t, 409)
		e.do(t, "admin", "DELETE", "/api/roles/rep?force=true", nil).want(t, 204)
		e.do(t, "admin", "GET", "/api/roles/rep", nil).want(t, 404)
		e.do(t, "admin", "DELETE", "/api/roles/rep", nil).want(t, 404)
		if r := e.do(t, "admin", "GET", "/api/users/"+rita, nil).want(t, 200); fmt.Sprint(r.get("roles")) != "[r1]" {
			t.Errorf("rita's roles = %v", r.get("roles"))
		}
		if r := e.do(t, "admin", "GET", "/api/users/"+e.ids["user"], nil).want(t, 200); fmt.Sprint(r.get("roles")) != "[]" {
			t.Errorf("user's roles = %v", r.get("roles"))
		}
		del, err := e.s.AuditEntries(context.Background(), store.AuditQuery{Kind: "org", Action: "role.delete", Limit: 10})
		if err != nil || len(del.Entries) != 1 {
			t.Fatalf("role.delete audit = %+v, %v", del, err)
		}
		var detail struct {
			Key       string   `json:"key"`
			Forced    bool     `json:"forced"`
			TakenFrom []string `json:"taken_from"`
		}
		json.Unmarshal(del.Entries[0].Detail, &detail)
		if detail.Key != "rep" || !detail.Forced || fmt.Sprint(detail.TakenFrom) != "[rita@example.com user@example.com]" {
			t.Errorf("role.delete detail = %s", del.Entries[0].Detail)
		}
		// A role nobody holds goes without force.
		e.do(t, "admin", "DELETE", "/api/roles/r4", nil).want(t, 204)
		// In Chinese too.
		r = e.doLang(t, "zh-CN", "admin", "DELETE", "/api/roles/r1", nil).want(t, 409)
		if d := r.str("detail"); !strings.Contains(d, "rita@example.com") || !strings.Contains(d, "仍有 1 名用户") {
			t.Errorf("zh detail = %q", d)
		}

		page, err := e.s.AuditEntries(context.Background(), store.AuditQuery{Kind: "org", Action: "role.update", Limit: 10})
		if err != nil || len(page.Entries) != 1 || !strings.Contains(string(page.Entries[0].Diff), "Sales rep") {
			t.Errorf("role.update audit = %+v, %v", page, err)
		}
	})
}

func TestUsers(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		setupCRM(t, e)
		e.do(t, "admin", "POST", "/api/departments", map[string]any{"key": "sales", "label": label("Sales")}).want(t, 201)
		e.do(t, "admin", "POST", "/api/departments", map[string]any{"key": "east", "label": label("East"), "parent": "sales"}).want(t, 201)
		for _, k := range []string{"rep", "viewer"} {
			e.do(t, "admin", "POST", "/api/roles", map[string]any{"key": k, "label": label(k), "permissions": []any{perm("deal", []string{"read"}, nil, nil)}}).want(t, 201)
		}

		r := e.do(t, "admin", "POST", "/api/users", map[string]any{
			"email": "Bob@Example.com", "password": password, "name": "Bob", "departments": []string{"east", "sales"},
			"roles": []string{"viewer", "rep"}, "locale": "en", "time_zone": "Europe/Berlin",
		}).want(t, 201)
		bob := r.str("id")
		if r.str("email") != "bob@example.com" || fmt.Sprint(r.get("departments")) != "[east sales]" || fmt.Sprint(r.get("roles")) != "[rep viewer]" ||
			r.str("locale") != "en" || r.str("time_zone") != "Europe/Berlin" || r.get("is_admin") != false || r.get("password") != nil {
			t.Errorf("bob = %s", r.Body)
		}
		e.do(t, "admin", "POST", "/api/users", map[string]any{"email": "bob@example.com", "password": password}).want(t, 409)
		e.do(t, "admin", "POST", "/api/users", map[string]any{
			"email": "nope", "password": "short", "departments": []string{"ghost"}, "roles": []string{"rep", "boss"},
			"locale": "fr", "time_zone": "Mars/Olympus",
		}).wantFields(t, map[string]string{"email": "email", "password": "8", "departments[0]": "no department ghost",
			"roles[1]": "no role boss", "locale": "en, zh-CN", "time_zone": "Mars/Olympus"})

		// The new user signs in and may read themselves, no one else.
		e.tokens["bob"] = e.login(t, "bob@example.com", password)
		if r := e.do(t, "bob", "GET", "/api/users/"+bob, nil).want(t, 200); fmt.Sprint(r.get("roles")) != "[rep viewer]" {
			t.Errorf("bob reads bob = %s", r.Body)
		}
		e.do(t, "bob", "GET", "/api/users/"+e.ids["admin"], nil).want(t, 403)
		e.do(t, "admin", "GET", "/api/users/nope", nil).want(t, 404)
		e.do(t, "admin", "GET", "/api/users/0190a000-0000-7000-8000-000000000000", nil).want(t, 404)

		// The list is by email, paged.
		r = e.do(t, "admin", "GET", "/api/users?limit=2", nil).want(t, 200)
		if r.get("users.#") != 2.0 || r.str("users.0.email") != "admin@example.com" || r.str("users.1.email") != "bob@example.com" ||
			r.get("next_offset") != 2.0 || fmt.Sprint(r.get("users.1.departments")) != "[east sales]" {
			t.Errorf("page 1 = %s", r.Body)
		}
		r = e.do(t, "admin", "GET", "/api/users?limit=2&offset=2", nil).want(t, 200)
		if r.get("users.#") != 1.0 || r.str("users.0.email") != "user@example.com" || r.get("next_offset") != nil {
			t.Errorf("page 2 = %s", r.Body)
		}
		e.do(t, "admin", "GET", "/api/users?limit=x", nil).want(t, 400)
		e.do(t, "admin", "GET", "/api/users?limit=1000", nil).want(t, 400)

		// PATCH: roles replaced, departments kept, unknown keys named.
		r = e.do(t, "admin", "PATCH", "/api/users/"+bob, map[string]any{"roles": []string{"viewer"}, "name": "Robert"}).want(t, 200)
		if fmt.Sprint(r.get("roles")) != "[viewer]" || fmt.Sprint(r.get("departments")) != "[east sales]" || r.str("name") != "Robert" {
			t.Errorf("patched = %s", r.Body)
		}
		e.do(t, "admin", "PATCH", "/api/users/"+bob, map[string]any{"roles": []string{"viewer", "ghost"}, "departments": []string{"nowhere"}}).
			wantFields(t, map[string]string{"roles[1]": "ghost", "departments[0]": "nowhere"})
		e.do(t, "admin", "PATCH", "/api/users/"+bob, map[string]any{"email": "x@example.com"}).want(t, 400)
		e.do(t, "admin", "PATCH", "/api/users/0190a000-0000-7000-8000-000000000000", map[string]any{"name": "x"}).want(t, 404)

		// The Principal follows the memberships.
		svc := access.NewService(e.s)
		u, err := e.s.UserByID(context.Background(), bob)
		if err != nil {
			t.Fatal(err)
		}
		p, err := svc.Principal(context.Background(), u)
		if err != nil || len(p.Departments) != 2 || len(p.Tree) != 2 || len(p.Roles) != 1 || p.Roles[0].Key != "viewer" {
			t.Errorf("principal = %+v, %v", p, err)
		}

		// A new password works, the old one no longer does.
		e.do(t, "admin", "PATCH", "/api/users/"+bob, map[string]any{"password": "another-password"}).want(t, 200)
		e.do(t, "", "POST", "/api/auth/login", map[string]string{"email": "bob@example.com", "password": password}).want(t, 401)
		e.login(t, "bob@example.com", "another-password")

		// Disabling ends access at once: the token is refused.
		e.do(t, "bob", "GET", "/api/auth/me", nil).want(t, 200)
		r = e.do(t, "admin", "PATCH", "/api/users/"+bob, map[string]any{"disabled": true}).want(t, 200)
		if r.get("disabled") != true {
			t.Errorf("disabled = %s", r.Body)
		}
		e.do(t, "bob", "GET", "/api/auth/me", nil).want(t, 401)
		e.do(t, "", "POST", "/api/auth/login", map[string]string{"email": "bob@example.com", "password": "another-password"}).want(t, 401)
		e.do(t, "admin", "PATCH", "/api/users/"+bob, map[string]any{"disabled": false}).want(t, 200)
		e.do(t, "bob", "GET", "/api/auth/me", nil).want(t, 200)

		// Admins cannot lock themselves out; they can promote others.
		e.do(t, "admin", "PATCH", "/api/users/"+e.ids["admin"], map[string]any{"is_admin": false, "disabled": true}).
			wantFields(t, map[string]string{"is_admin": "yourself", "disabled": "yourself"})
		e.do(t, "admin", "PATCH", "/api/users/"+bob, map[string]any{"is_admin": true}).want(t, 200)
		e.do(t, "bob", "GET", "/api/users", nil).want(t, 200)

		page, err := e.s.AuditEntries(context.Background(), store.AuditQuery{Kind: "org", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var pw int
		for _, en := range page.Entries {
			if strings.Contains(string(en.Diff), "hash") || strings.Contains(string(en.Diff), password) {
				t.Errorf("password in the audit log: %s", en.Diff)
			}
			if strings.Contains(string(en.Detail), "password_changed") {
				pw++
			}
		}
		if pw != 1 {
			t.Errorf("%d password changes logged, want 1", pw)
		}
	})
}

func TestAdminOnly(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		other := e.ids["admin"]
		self := e.ids["user"]
		for _, c := range []struct {
			method, path string
			body         any
		}{
			{"POST", "/api/departments", map[string]any{"key": "d", "label": label("D")}},
			{"GET", "/api/departments", nil},
			{"GET", "/api/departments/d", nil},
			{"PATCH", "/api/departments/d", map[string]any{"label": label("D")}},
			{"DELETE", "/api/departments/d", nil},
			{"POST", "/api/users", map[string]any{"email": "x@example.com", "password": password}},
			{"GET", "/api/users", nil},
			{"GET", "/api/users/" + other, nil},
			{"PATCH", "/api/users/" + other, map[string]any{"name": "x"}},
			{"PATCH", "/api/users/" + self, map[string]any{"is_admin": true}},
			{"POST", "/api/roles", map[string]any{"key": "r", "label": label("R")}},
			{"GET", "/api/roles", nil},
			{"GET", "/api/roles/r", nil},
			{"PUT", "/api/roles/r", map[string]any{"label": label("R")}},
			{"DELETE", "/api/roles/r", nil},
		} {
			if r := e.do(t, "user", c.method, c.path, c.body); r.Status != 403 {
				t.Errorf("%s %s as a user: %d %s", c.method, c.path, r.Status, r.Body)
			}
			if r := e.do(t, "", c.method, c.path, c.body); r.Status != 401 {
				t.Errorf("%s %s signed out: %d", c.method, c.path, r.Status)
			}
		}
		e.do(t, "user", "GET", "/api/users/"+self, nil).want(t, 200)
	})
}
