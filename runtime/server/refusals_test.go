package server_test

// Issue 7 item 14: GET /api/apps lists only the apps the caller holds a
// permission in (administrators see all), and a non-administrator refused
// an administrator-only route is told what was refused, in their language.

import (
	"slices"
	"strings"
	"testing"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

func TestAppListShowsOnlyAppsWithAPermission(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := apitest.New(t, s, start)
		leadsAndTasks(t, e, "") // app crm; role rep (crm lead and task) given to rep and other
		for _, app := range []string{"hr", "ops"} {
			e.Do(t, "admin", "POST", "/api/apps", map[string]any{"key": app, "label": apitest.Label(strings.ToUpper(app))}).Want(t, 201)
		}
		// A role on every module of ops; a role on everything grants every app.
		e.Do(t, "admin", "POST", "/api/roles", map[string]any{"key": "ops_reader", "label": apitest.Label("Ops reader"),
			"permissions": []any{map[string]any{"app": "ops", "module": "*", "actions": []string{"read"}}}}).Want(t, 201)
		e.Do(t, "admin", "POST", "/api/roles", map[string]any{"key": "auditor", "label": apitest.Label("Auditor"),
			"permissions": []any{map[string]any{"app": "*", "module": "*", "actions": []string{"read"}}}}).Want(t, 201)
		for who, roles := range map[string][]string{"nobody": nil, "opsman": {"ops_reader"}, "both": {"rep", "ops_reader"}, "auditor": {"auditor"}} {
			e.User(t, who, access.NewUser{})
			if roles != nil {
				e.Do(t, "admin", "PATCH", "/api/users/"+e.IDs[who], map[string]any{"roles": roles}).Want(t, 200)
			}
		}
		want := map[string][]string{
			"admin":   {"crm", "hr", "ops"},
			"rep":     {"crm"},
			"nobody":  {},
			"opsman":  {"ops"},
			"both":    {"crm", "ops"},
			"auditor": {"crm", "hr", "ops"},
		}
		for who, keys := range want {
			r := e.Do(t, who, "GET", "/api/apps", nil).Want(t, 200)
			got := []string{}
			for _, a := range r.List("apps") {
				got = append(got, a.(map[string]any)["key"].(string))
			}
			slices.Sort(got)
			if !slices.Equal(got, keys) {
				t.Errorf("%s sees apps %v, want %v", who, got, keys)
			}
			// An app left out of the list is absent by key too.
			for _, app := range []string{"crm", "hr", "ops"} {
				status := 404
				if slices.Contains(keys, app) {
					status = 200
				}
				e.Do(t, who, "GET", "/api/apps/"+app, nil).Want(t, status)
			}
		}
	})
}

func TestAdminOnlyRoutesSayWhatWasRefused(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := apitest.New(t, s, start)
		leadsAndTasks(t, e, "")
		lead := e.Do(t, "rep", "POST", "/api/apps/crm/modules/lead/records", map[string]any{"name": "Acme"}).Want(t, 201)
		cases := []struct {
			method, path string
			body         any
			en, zh       string
		}{
			{"GET", "/api/users", nil, "Only administrators may list users", "只有管理员可以查看用户列表"},
			{"GET", "/api/users/" + e.IDs["other"], nil, "Only administrators may list users or view other users", "只有管理员可以查看用户列表或其他用户"},
			{"POST", "/api/users", map[string]any{"email": "x@example.com", "password": apitest.Password, "name": "X"}, "Only administrators may create or change user accounts", "只有管理员可以创建或修改用户账号"},
			{"GET", "/api/roles", nil, "Only administrators may list or view roles", "只有管理员可以查看角色列表"},
			{"DELETE", "/api/roles/rep", nil, "Only administrators may create, change or delete roles", "只有管理员可以创建、修改或删除角色"},
			{"GET", "/api/departments", nil, "Only administrators may list or view departments", "只有管理员可以查看部门列表"},
			{"POST", "/api/apps", map[string]any{"key": "hr", "label": apitest.Label("HR")}, "Only administrators may create, rename or delete apps", "只有管理员可以创建、重命名或删除应用"},
			{"GET", "/api/apps/crm/rules", nil, "Only administrators may view automation rules", "只有管理员可以查看自动化规则"},
			{"GET", "/api/apps/crm/modules/lead/records/" + lead.Str("id") + "/rule-runs", nil, "Only administrators may view automation rules", "只有管理员可以查看自动化规则"},
			{"POST", "/api/apps/crm/flows", map[string]any{"key": "f"}, "Only administrators may create, change or delete stage flows", "只有管理员可以创建、修改或删除阶段流程"},
			{"POST", "/api/apps/crm/approvals", map[string]any{"key": "a"}, "Only administrators may create, change or delete approval processes", "只有管理员可以创建、修改或删除审批流程"},
			{"PUT", "/api/calendars/default", map[string]any{}, "Only administrators may change working calendars", "只有管理员可以修改工作日历"},
			{"GET", "/api/apps/crm/modules/lead/recompute", nil, "Only administrators may view the recomputation", "只有管理员可以查看计算字段的重新计算进度"},
		}
		for _, c := range cases {
			for _, lang := range []struct{ tag, want string }{{"en", c.en}, {"zh-CN", c.zh}} {
				r := e.Do(t, "rep", c.method, c.path, c.body, "Accept-Language", lang.tag).Want(t, 403)
				d := r.Str("detail")
				if !strings.Contains(d, lang.want) {
					t.Errorf("%s %s (%s): detail %q, want it to say %q", c.method, c.path, lang.tag, d, lang.want)
				}
				if strings.Contains(d, "metadata") || strings.Contains(d, "元数据") || strings.Contains(d, "access.") {
					t.Errorf("%s %s (%s): detail %q names the wrong refusal or a key", c.method, c.path, lang.tag, d)
				}
			}
		}
		// A module is refused by its label, in the reader's language.
		r := e.Do(t, "rep", "PUT", "/api/apps/crm/modules/task", map[string]any{"key": "task", "label": apitest.Label("Task"), "schema": map[string]any{}},
			"Accept-Language", "zh-CN").Want(t, 403)
		if d := r.Str("detail"); !strings.Contains(d, "任务") {
			t.Errorf("manage refusal %q does not name the module by its Chinese label 任务", d)
		}
	})
}
