package server_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// Issue 7 item 17: a module's title field — x-title, else the first
// required text field — is what expands and lookup sorts show of a record
// (notifications: designer/ruleapi TestNotificationShowsRecordTitle).
func TestModuleTitleField(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.createApp(t, "school")
		courseSchema := func(title string) json.RawMessage {
			x := ""
			if title != "" {
				x = `"x-title":"` + title + `",`
			}
			return json.RawMessage(`{"type":"object",` + x + `"properties":{
				"name": {"x-field":{"type":"text"}},
				"code": {"x-field":{"type":"text"}},
				"fee":  {"x-field":{"type":"currency"}}
			},"required":["name"]}`)
		}
		// x-title is checked: a text-like field of the module.
		for _, c := range []struct {
			name string
			sch  json.RawMessage
			want string
		}{
			{"no such field", courseSchema("nosuch"), "x-title:bad_title"},
			{"a number field", courseSchema("fee"), "x-title:bad_title"},
			{"not a string", json.RawMessage(`{"type":"object","x-title":7,"properties":{"name":{"x-field":{"type":"text"}}}}`), "x-title"},
		} {
			for _, loc := range []string{"en", "zh-CN"} {
				r := e.do(t, "admin", "POST", appPath("school")+"/modules", map[string]any{"key": "course", "label": label("Course"), "schema": c.sch},
					"Accept-Language", loc).want(t, 422)
				scenario{status: 422, fieldErrors: []string{c.want}}.assert(t, r)
				if msg, _ := r.fieldError("x-title")["message"].(string); c.want == "x-title:bad_title" && (loc == "zh-CN") != strings.Contains(msg, "文本类字段") {
					t.Errorf("%s %s: message %q", c.name, loc, msg)
				}
			}
		}
		r := e.createModule(t, "school", "course", courseSchema("code"))
		if r.str("title_field") != "code" || r.str("schema.x-title") != "code" {
			t.Errorf("created module: title_field %q, x-title %q", r.str("title_field"), r.str("schema.x-title"))
		}
		if got := e.do(t, "admin", "GET", modPath("school", "course"), nil).want(t, 200); got.str("title_field") != "code" {
			t.Errorf("title_field %q, want code", got.str("title_field"))
		}
		// The default: the first required text field.
		e.createModule(t, "school", "enrolment", json.RawMessage(`{"type":"object","properties":{
			"note":    {"x-field":{"type":"text"}},
			"student": {"x-field":{"type":"text"}},
			"course":  {"x-field":{"type":"lookup","module":"course"}}
		},"required":["student"]}`))
		if got := e.do(t, "admin", "GET", modPath("school", "enrolment"), nil).want(t, 200); got.str("title_field") != "student" {
			t.Errorf("default title_field %q, want student", got.str("title_field"))
		}

		courses := map[string]string{}
		for _, c := range [][2]string{{"Zoology", "A-1"}, {"Algebra", "Z-9"}} {
			courses[c[0]] = e.create(t, "school", "course", map[string]any{"name": c[0], "code": c[1]}).str("id")
		}
		names := map[string]string{}
		for _, en := range [][2]string{{"s1", "Zoology"}, {"s2", "Algebra"}} {
			names[e.create(t, "school", "enrolment", map[string]any{"student": en[0], "course": courses[en[1]]}).str("id")] = en[0]
		}
		check := func(who, wantOrder string, wantTitles map[string]any) {
			t.Helper()
			r := e.do(t, who, "GET", recPath("school", "enrolment")+"?sort=course&expand=course", nil).want(t, 200)
			var order []string
			for _, rec := range r.list("records") {
				m := rec.(map[string]any)
				order = append(order, names[m["id"].(string)])
				if got := lookup(m, "expand.course._title"); got != wantTitles[names[m["id"].(string)]] {
					t.Errorf("%s: %s expand.course._title %v, want %v", who, names[m["id"].(string)], got, wantTitles[names[m["id"].(string)]])
				}
			}
			if strings.Join(order, ",") != wantOrder {
				t.Errorf("%s: sort by course %v, want %s", who, order, wantOrder)
			}
		}
		// Titled by code: s1's course A-1 sorts first.
		check("admin", "s1,s2", map[string]any{"s1": "A-1", "s2": "Z-9"})
		// x-title changes: the name titles it now.
		e.putModule(t, "school", "course", courseSchema("name")).want(t, 200)
		check("admin", "s2,s1", map[string]any{"s1": "Zoology", "s2": "Algebra"})
		e.putModule(t, "school", "course", courseSchema("code")).want(t, 200)

		// A title field hidden from a reader: not named to them, no _title,
		// and a sort by the lookup sorts by id (Zoology was created first).
		e.do(t, "admin", "POST", "/api/roles", map[string]any{"key": "viewer", "label": label("Viewer"), "permissions": []map[string]any{
			{"app": "school", "module": "course", "actions": []string{"read"}, "fields": map[string]string{"code": "hidden"}},
			{"app": "school", "module": "enrolment", "actions": []string{"read"}},
		}}).want(t, 201)
		e.do(t, "admin", "PATCH", "/api/users/"+e.ids["user"], map[string]any{"roles": []string{"viewer"}}).want(t, 200)
		m := e.do(t, "user", "GET", modPath("school", "course"), nil).want(t, 200)
		if m.get("title_field") != nil || m.get("schema.x-title") != nil || strings.Contains(string(m.Body), `"code"`) {
			t.Errorf("viewer's module names the hidden title: %s", m.Body)
		}
		check("user", "s1,s2", map[string]any{"s1": nil, "s2": nil})
		list := e.do(t, "user", "GET", "/api/apps/school/modules", nil).want(t, 200)
		for _, mod := range list.list("modules") {
			if mm := mod.(map[string]any); mm["key"] == "course" && mm["title_field"] != nil {
				t.Errorf("module list names the hidden title: %v", mm["title_field"])
			}
		}
		if !slices.Contains([]string{"student"}, e.do(t, "user", "GET", modPath("school", "enrolment"), nil).want(t, 200).str("title_field")) {
			t.Error("the viewer lost a visible title field")
		}
	})
}
