package templateapi_test

import (
	"context"
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"

	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/engine/template"
	"github.com/tessera-app/tessera/runtime/apitest"
)

// The CRM as shipped at 0.1.0 (testdata/crm-0.1.0, a copy of
// templates/crm at commit 55afa69) is installed, changed locally the way
// a customer's administrator would — a field added, a rule switched off, a
// stage relabelled, a record entered — and upgraded to templates/crm as it
// is now. The local changes and the data survive; everything the new
// version adds (modules, dashboards, roles, rules) is there afterwards.
func TestCRMUpgradeFromOldVersionKeepsLocalChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := apitest.New(t, s, start)
		ctx := context.Background()
		old := read(t, "testdata/crm-0.1.0")
		if code, body := post(t, e, "admin", "/api/templates", zipOf(t, old), ""); code != 201 {
			t.Fatalf("install 0.1.0: %d %s", code, body)
		}
		const app = "crm"

		// Local changes: a WeChat field on the account, the activity
		// follow-up rule off, 方案报价 relabelled, and an account entered.
		changeModule(t, e, app, "account", func(o *template.Object) {
			f := fieldProp("text", "WeChat", "微信号")
			o.Obj("schema").Obj("properties").Set("wechat", f)
		})
		if _, err := e.Svc.Rules.SetEnabled(ctx, app, "activity_followup", false); err != nil {
			t.Fatal(err)
		}
		fl := e.Do(t, "admin", "GET", "/api/apps/crm/flows/sales_pipeline", nil).Want(t, 200)
		doc := fl.Doc.(map[string]any)
		for _, st := range doc["states"].([]any) {
			if st := st.(map[string]any); st["key"] == "proposal" {
				st["label"].(map[string]any)["zh-CN"] = "方案与报价"
			}
		}
		e.Do(t, "admin", "PUT", "/api/apps/crm/flows/sales_pipeline", doc).Want(t, 200)
		acc := e.Do(t, "admin", "POST", crmBase+"account/records", map[string]any{"name": "苏州工业园区精工有限公司",
			"tier": "b", "wechat": "jinggong-sz"}).Want(t, 201).Str("id")

		// The new version: templates/crm as it is now, which must be newer
		// than the kept copy (raise template.json's version with a change).
		cur := read(t, "../../templates/crm")
		if v := versionOf(t, cur); !v.GreaterThan(semver.MustParse("0.1.0")) {
			t.Fatalf("templates/crm is at %s, not newer than the kept 0.1.0", v)
		}
		want := versionOf(t, cur).String()

		code, plan, body := upgrade(t, e, app, cur, "")
		if code != 200 || plan["applied"] != false {
			t.Fatalf("plan: %d %s", code, body)
		}
		// Local changes win any conflict the new version brings.
		code, plan, body = upgrade(t, e, app, cur, "apply=true&prefer=ours")
		if code != 200 || plan["applied"] != true {
			t.Fatalf("upgrade: %d %s", code, body)
		}
		if a := e.Do(t, "admin", "GET", "/api/apps/"+app, nil).Want(t, 200); a.Str("template.version") != want {
			t.Fatalf("version after the upgrade: %s (want %s)", a.Body, want)
		}

		// Local changes kept.
		if m := e.Do(t, "admin", "GET", crmBase+"account", nil).Want(t, 200); !strings.Contains(string(m.Body), `"wechat"`) {
			t.Fatalf("the local field is gone: %s", m.Body)
		}
		if got := e.Do(t, "admin", "GET", crmBase+"account/records/"+acc, nil).Want(t, 200); got.Str("wechat") != "jinggong-sz" ||
			got.Str("name") != "苏州工业园区精工有限公司" {
			t.Fatalf("the account after the upgrade: %s", got.Body)
		}
		if r, err := e.Svc.Rules.Rule(ctx, app, "activity_followup"); err != nil || r.Enabled {
			t.Fatalf("the rule switched off: %+v %v", r, err)
		}
		fl = e.Do(t, "admin", "GET", "/api/apps/crm/flows/sales_pipeline", nil).Want(t, 200)
		if !strings.Contains(string(fl.Body), "方案与报价") {
			t.Fatalf("the relabelled stage: %s", fl.Body)
		}

		// Everything of the new version is there: each module, dashboard,
		// role, rule and flow file names an item of the app.
		for name := range cur {
			kind, key, ok := strings.Cut(strings.TrimSuffix(name, ".json"), "/")
			if !ok || strings.Contains(key, "/") {
				continue
			}
			var path string
			switch kind {
			case "modules":
				path = crmBase + key
			case "dashboards", "flows", "rules", "approvals":
				path = "/api/apps/crm/" + kind + "/" + key
			case "roles":
				r := e.Do(t, "admin", "GET", "/api/roles", nil).Want(t, 200)
				if !strings.Contains(string(r.Body), `"key":"`+key+`"`) {
					t.Fatalf("role %s missing after the upgrade: %s", key, r.Body)
				}
				continue
			default:
				continue
			}
			e.Do(t, "admin", "GET", path, nil).Want(t, 200)
		}
	})
}

func versionOf(t *testing.T, files map[string][]byte) *semver.Version {
	t.Helper()
	v, err := template.ParseJSON(files["template.json"])
	if err != nil {
		t.Fatal(err)
	}
	s, _ := v.(*template.Object).Vals["version"].(string)
	ver, err := semver.StrictNewVersion(s)
	if err != nil {
		t.Fatalf("template.json version %q: %v", s, err)
	}
	return ver
}
