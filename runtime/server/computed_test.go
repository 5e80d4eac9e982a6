package server_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// Issue 7 item 1 beyond the permission matrix: what else a hidden field
// could leak through — validation rule messages, default expressions and
// rules in the schema text, scope expressions, the expression checker.
func TestHiddenFieldsStayHiddenInComputedText(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.createApp(t, "crm")
		e.createModule(t, "crm", "contact", json.RawMessage(`{"type":"object","properties":{
			"name":        {"x-field":{"type":"text"}},
			"mobile":      {"x-field":{"type":"phone"}},
			"mobile_copy": {"x-field":{"type":"formula","formula":"mobile","result":"text"}},
			"greeting":    {"x-field":{"type":"text","default":{"expr":"concat(\"Call \", mobile)"}}},
			"city":        {"x-field":{"type":"text","default":{"expr":"upper(\"hz\")"}}}
		},"x-validations":[
			{"rule":"!(name startsWith \"vip\") || mobile_copy != nil","field":"name","message":{"en":"VIP {name} needs a mobile, not {mobile_copy}","zh-CN":"VIP 需要手机"}},
			{"rule":"name != \"nobody\"","field":"name","message":{"en":"{name} is not a name","zh-CN":"{name} 不是名字"}}
		]}`))
		viewer := map[string]any{"key": "viewer", "label": label("Viewer"), "permissions": []map[string]any{{
			"app": "crm", "module": "contact", "actions": []string{"create", "read", "update"},
			"scope": map[string]string{"read": "all", "update": "all"}, "fields": map[string]string{"mobile": "hidden"},
		}}}
		e.do(t, "admin", "POST", "/api/roles", viewer).want(t, 201)
		e.do(t, "admin", "PATCH", "/api/users/"+e.ids["user"], map[string]any{"roles": []string{"viewer"}}).want(t, 200)

		// The schema served to the viewer: no mobile, no mobile_copy, no
		// rule or default expression reading them; the rest is there.
		for _, path := range []string{modPath("crm", "contact"), modPath("crm", "contact") + "/versions", "/api/apps/crm/modules", "/api/openapi.json"} {
			r := e.do(t, "user", "GET", path, nil).want(t, 200)
			for _, bad := range []string{"mobile", "needs a mobile", `Call \"`} {
				if strings.Contains(string(r.Body), bad) {
					t.Errorf("%s shows %q to the viewer: %s", path, bad, r.Body)
				}
			}
			if !strings.Contains(string(r.Body), `upper(\"hz\")`) {
				t.Errorf("%s lost the default expression reading nothing hidden: %s", path, r.Body)
			}
			if path != "/api/openapi.json" && !strings.Contains(string(r.Body), "is not a name") {
				t.Errorf("%s lost the rule reading nothing hidden: %s", path, r.Body)
			}
			if a := e.do(t, "admin", "GET", path, nil).want(t, 200); !strings.Contains(string(a.Body), "mobile_copy") {
				t.Errorf("the administrator should see mobile_copy at %s", path)
			}
		}

		// A rule reading a hidden field fails as "a field you cannot see",
		// without its message or values; the administrator gets the message.
		id := e.create(t, "crm", "contact", map[string]any{"name": "someone", "mobile": "13800000000", "greeting": "hello"}).str("id")
		rec := e.do(t, "user", "GET", recIDPath("crm", "contact", id), nil).want(t, 200)
		if strings.Contains(string(rec.Body), "mobile") || strings.Contains(string(rec.Body), "13800000000") {
			t.Errorf("viewer's record: %s", rec.Body)
		}
		id2 := e.create(t, "crm", "contact", map[string]any{"name": "plain"}).str("id")
		for _, who := range []string{"user", "admin"} {
			r := e.do(t, who, "PATCH", recIDPath("crm", "contact", id2), map[string]any{"version": 1, "name": "vip-2"}, "Accept-Language", "en").want(t, 422)
			checkProblem(t, r)
			if who == "user" {
				if fe := r.fieldError(""); fe == nil || fe["code"] != "hidden_field_invalid" || strings.Contains(string(r.Body), "needs a mobile") {
					t.Errorf("viewer's rule error: %s", r.Body)
				}
			} else if fe := r.fieldError("name"); fe == nil || !strings.Contains(fe["message"].(string), "VIP vip-2 needs a mobile") {
				t.Errorf("admin's rule error: %s", r.Body)
			}
		}
		// A rule reading nothing hidden shows its message, filled in.
		r := e.do(t, "user", "POST", recPath("crm", "contact"), map[string]any{"name": "nobody"}, "Accept-Language", "en").want(t, 422)
		if fe := r.fieldError("name"); fe == nil || fe["message"] != "nobody is not a name" {
			t.Errorf("visible rule error: %s", r.Body)
		}
		// A rule message may not fill in a hidden value: the viewer's
		// update of a record with a mobile passes the rule, and nothing in
		// any answer holds the number.
		r = e.do(t, "user", "PATCH", recIDPath("crm", "contact", id), map[string]any{"version": 1, "name": "vip-1"}).want(t, 200)
		if strings.Contains(string(r.Body), "13800000000") || strings.Contains(string(r.Body), "mobile") {
			t.Errorf("PATCH answer: %s", r.Body)
		}
		h := e.do(t, "user", "GET", recIDPath("crm", "contact", id)+"/history", nil).want(t, 200)
		if strings.Contains(string(h.Body), "13800000000") || strings.Contains(string(h.Body), "mobile") || !strings.Contains(string(h.Body), "vip-1") {
			t.Errorf("viewer's history: %s", h.Body)
		}

		// The expression checker does not know hidden computed fields either.
		r = e.do(t, "user", "POST", "/api/apps/crm/expr/check", map[string]any{"module": "contact", "expr": `mobile_copy != ""`}).want(t, 200)
		if len(r.list("errors")) == 0 || !strings.Contains(string(r.Body), "mobile_copy") {
			t.Errorf("check of a hidden formula: %s", r.Body)
		}

		// A scope may not read a computed field the role cannot see.
		bad := map[string]any{"key": "peeker", "label": label("Peeker"), "permissions": []map[string]any{{
			"app": "crm", "module": "contact", "actions": []string{"read"},
			"scope": map[string]string{"read": `mobile_copy startsWith "138"`}, "fields": map[string]string{"mobile": "hidden"},
		}}}
		r = e.do(t, "admin", "POST", "/api/roles", bad, "Accept-Language", "en").want(t, 422)
		if fe := r.fieldError("permissions[0].scope.read"); fe == nil || fe["code"] != "hidden_field" || !strings.Contains(fe["message"].(string), "mobile_copy") {
			t.Errorf("scope over a hidden formula: %s", r.Body)
		}
		delete(bad["permissions"].([]map[string]any)[0], "fields")
		e.do(t, "admin", "POST", "/api/roles", bad).want(t, 201)
	})
}
