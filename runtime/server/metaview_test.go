package server_test

import (
	"strings"
	"testing"
)

// The metadata API shows a non-administrator only the modules they may
// read, without the fields hidden from them — in the module, the list and
// every stored version — so a hidden field's definition never leaves the
// server either.
func TestModuleViewHidesFields(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.crm(t)
		viewer := map[string]any{"key": "viewer", "label": label("Viewer"), "permissions": []map[string]any{{
			"app": "crm", "module": "deal", "actions": []string{"read"},
			"scope": map[string]string{"read": "all"}, "fields": map[string]string{"amount": "hidden"},
		}}}
		e.do(t, "admin", "POST", "/api/roles", viewer).want(t, 201)
		e.do(t, "admin", "PATCH", "/api/users/"+e.ids["user"], map[string]any{"roles": []string{"viewer"}}).want(t, 200)

		for _, path := range []string{"/api/apps/crm/modules", "/api/apps/crm/modules/deal", "/api/apps/crm/modules/deal/versions"} {
			r := e.do(t, "user", "GET", path, nil).want(t, 200)
			if strings.Contains(string(r.Body), `"amount"`) || strings.Contains(string(r.Body), "金额") {
				t.Errorf("%s shows the hidden field: %s", path, r.Body)
			}
			if !strings.Contains(string(r.Body), `"stage"`) {
				t.Errorf("%s lost a visible field: %s", path, r.Body)
			}
			if a := e.do(t, "admin", "GET", path, nil).want(t, 200); !strings.Contains(string(a.Body), `"amount"`) {
				t.Errorf("admin should see amount at %s", path)
			}
		}
		list := e.do(t, "user", "GET", "/api/apps/crm/modules", nil).want(t, 200).list("modules")
		if len(list) != 1 || list[0].(map[string]any)["key"] != "deal" {
			t.Errorf("user may read only deal, list = %v", list)
		}
		e.do(t, "user", "GET", "/api/apps/crm/modules/account", nil).want(t, 403)
		e.do(t, "user", "GET", "/api/apps/crm/modules/account/versions", nil).want(t, 403)
	})
}
