package poolapi_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/engine/template"
)

// A template package carries pools and public forms and views as kinds of
// their own: installed through their services, exported back the same.
func TestPoolsAndPublicationsInTemplates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := setup(t, s)
		files := map[string][]byte{
			"template.json": []byte(`{"key": "mini-crm", "version": "1.0.0", "name": {"zh-CN": "迷你CRM", "en": "Mini CRM"},
				"description": {"zh-CN": "公海与外链表单", "en": "Pools and public forms"}, "requires": ">=0.11.0 <1.0.0"}`),
			"modules/customer.json":      []byte(`{"label": {"en": "Customer", "zh-CN": "客户"}, "schema": ` + customerProps + `}`),
			"pools/east.json":            []byte(`{"module": "customer", "label": {"en": "East", "zh-CN": "华东公海"}, "filter": "region == \"east\"", "view": {"roles": ["east_rep"]}, "claim_limit": {"count": 5, "period": "day"}}`),
			"public-forms/web_lead.json": []byte(`{"module": "customer", "label": {"en": "Contact us", "zh-CN": "联系我们"}, "fields": ["name", "region"]}`),
			"public-views/kb.json":       []byte(`{"module": "customer", "label": {"en": "List", "zh-CN": "名录"}, "fields": ["name"], "filter": "status == \"cooperating\""}`),
		}
		admin := record.Actor{User: &access.User{ID: e.IDs["admin"], Name: "admin", IsAdmin: true}, Via: "api"}
		if _, err := e.Svc.Templates.Install(context.Background(), admin, files, template.InstallOptions{App: "mini"}); err != nil {
			t.Fatal(err)
		}
		if got := e.Do(t, "e1", "GET", "/api/apps/mini/pools", nil).Want(t, 200).List("pools"); len(got) != 1 {
			t.Fatalf("installed pools visible to e1: %v", got)
		}
		e.Do(t, "admin", "GET", "/api/apps/mini/public-forms/web_lead", nil).Want(t, 200)
		out, err := e.Svc.Templates.Export(context.Background(), admin, "mini")
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"pools/east.json", "public-forms/web_lead.json", "public-views/kb.json"} {
			if !strings.Contains(string(out[f]), `"module": "customer"`) {
				t.Fatalf("%s exported as %q", f, out[f])
			}
		}
		if !strings.Contains(string(out["pools/east.json"]), `"region == \"east\""`) {
			t.Fatalf("pool exported as %s", out["pools/east.json"])
		}
	})
}
