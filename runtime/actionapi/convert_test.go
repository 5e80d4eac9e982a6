package actionapi_test

import (
	"net/url"
	"testing"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

// sales: leads become accounts, contacts and opportunities. An opportunity
// needs an amount; a lead's budget maps to it.
func sales(t *testing.T, e *apitest.Env) {
	t.Helper()
	lbl := apitest.Label
	e.Do(t, "admin", "POST", "/api/apps", map[string]any{"key": "sales", "label": lbl("Sales")}).Want(t, 201)
	mod := func(key string, schema map[string]any) {
		e.Do(t, "admin", "POST", "/api/apps/sales/modules", map[string]any{"key": key, "label": lbl(key), "schema": schema}).Want(t, 201)
	}
	mod("account", map[string]any{"properties": map[string]any{"name": xf("text")}, "required": []string{"name"}})
	mod("contact", map[string]any{"properties": map[string]any{"name": xf("text"), "account": xf("lookup", "module", "account")}})
	mod("opportunity", map[string]any{"properties": map[string]any{"title": xf("text"), "amount": xf("number"),
		"account": xf("lookup", "module", "account"), "contact": xf("lookup", "module", "contact")}, "required": []string{"amount"}})
	opts := []any{map[string]any{"value": "new"}, map[string]any{"value": "converted"}}
	mod("lead", map[string]any{"properties": map[string]any{"name": xf("text"), "company": xf("text"), "budget": xf("number"),
		"status":  xf("select", "options", opts, "default", "new"),
		"account": xf("lookup", "module", "account"), "opportunity": xf("lookup", "module", "opportunity")}})
	e.Do(t, "admin", "POST", "/api/apps/sales/rules", map[string]any{"key": "convert_lead", "label": map[string]string{"en": "Convert", "zh-CN": "转换"},
		"module": "lead", "condition": `status != "converted"`, "trigger": map[string]any{"type": "manual"},
		"actions": []any{map[string]any{"type": "convert",
			"targets": []any{
				map[string]any{"as": "account", "module": "account", "values": map[string]string{"name": "company"}},
				map[string]any{"as": "contact", "module": "contact", "values": map[string]string{"name": "name"}, "links": map[string]string{"account": "account"}},
				map[string]any{"as": "deal", "module": "opportunity", "values": map[string]string{"title": `company + " deal"`, "amount": "budget"},
					"links": map[string]string{"account": "account", "contact": "contact"}},
			},
			"values": map[string]string{"status": `"converted"`}, "links": map[string]string{"account": "account", "opportunity": "deal"}}}}).Want(t, 201)
	all := []string{"create", "read", "update"}
	var perms []any
	for _, m := range []string{"lead", "account", "contact", "opportunity"} {
		perms = append(perms, map[string]any{"app": "sales", "module": m, "actions": all})
	}
	e.Do(t, "admin", "POST", "/api/roles", map[string]any{"key": "rep", "label": lbl("Rep"), "permissions": perms}).Want(t, 201)
	e.User(t, "rep", access.NewUser{})
	e.Do(t, "admin", "PATCH", "/api/users/"+e.IDs["rep"], map[string]any{"roles": []string{"rep"}}).Want(t, 200)
}

func count(t *testing.T, e *apitest.Env, module string) int {
	t.Helper()
	return len(e.Do(t, "admin", "GET", "/api/apps/sales/modules/"+module+"/records", nil).Want(t, 200).List("records"))
}

func TestConvert(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := apitest.New(t, s, start)
		sales(t, e)
		lead := e.Do(t, "rep", "POST", "/api/apps/sales/modules/lead/records", map[string]any{"name": "Li Lei", "company": "Acme", "budget": 5000}).Want(t, 201).Str("id")
		res := e.Do(t, "rep", "POST", "/api/apps/sales/modules/lead/records/"+lead+"/actions/convert_lead", nil).Want(t, 200)
		if res.Str("record.status") != "converted" || res.Str("record.account") == "" || res.Str("record.opportunity") == "" {
			t.Fatalf("converted lead = %s", res.Body)
		}
		acc := res.Str("record.account")
		a := e.Do(t, "rep", "GET", "/api/apps/sales/modules/account/records/"+acc, nil).Want(t, 200)
		if a.Str("name") != "Acme" || a.Str("owner") != e.IDs["rep"] || a.Str("created_by") != e.IDs["rep"] {
			t.Errorf("account = %s", a.Body)
		}
		c := e.Do(t, "rep", "GET", "/api/apps/sales/modules/contact/records?filter="+url.QueryEscape(`account == "`+acc+`"`), nil).Want(t, 200)
		if len(c.List("records")) != 1 || c.Str("records.0.name") != "Li Lei" {
			t.Fatalf("contacts of the account = %s", c.Body)
		}
		d := e.Do(t, "rep", "GET", "/api/apps/sales/modules/opportunity/records/"+res.Str("record.opportunity"), nil).Want(t, 200)
		if d.Str("title") != "Acme deal" || d.Num("amount") != 5000 || d.Str("account") != acc || d.Str("contact") != c.Str("records.0.id") {
			t.Errorf("opportunity = %s", d.Body)
		}
		// Every record's creation is audited.
		if h := e.Do(t, "rep", "GET", "/api/apps/sales/modules/opportunity/records/"+d.Str("id")+"/history", nil).Want(t, 200); h.Str("entries.0.action") != "create" {
			t.Errorf("opportunity history = %s", h.Body)
		}
		// Converted once: the condition now refuses.
		e.Do(t, "rep", "POST", "/api/apps/sales/modules/lead/records/"+lead+"/actions/convert_lead", nil).Want(t, 409)

		// A lead without a budget: the opportunity (the third record) fails
		// validation, and the account and contact made before it go too.
		bare := e.Do(t, "rep", "POST", "/api/apps/sales/modules/lead/records", map[string]any{"name": "Han Meimei", "company": "Globex"}).Want(t, 201).Str("id")
		e.Do(t, "rep", "POST", "/api/apps/sales/modules/lead/records/"+bare+"/actions/convert_lead", nil).Want(t, 422).Contains(t, "amount")
		if n, m, o := count(t, e, "account"), count(t, e, "contact"), count(t, e, "opportunity"); n != 1 || m != 1 || o != 1 {
			t.Errorf("after the failed conversion: %d accounts, %d contacts, %d opportunities; want 1 each", n, m, o)
		}
		l := e.Do(t, "admin", "GET", "/api/apps/sales/modules/lead/records/"+bare, nil).Want(t, 200)
		if l.Str("status") != "new" || l.Num("version") != 1 {
			t.Errorf("the failed lead changed: %s", l.Body)
		}
		hist := e.Do(t, "admin", "GET", "/api/apps/sales/modules/account/records?filter="+url.QueryEscape(`name == "Globex"`), nil).Want(t, 200)
		if len(hist.List("records")) != 0 {
			t.Errorf("Globex's account exists: %s", hist.Body)
		}
	})
}

// A conversion from a rule's job (a status change) is atomic too, and its
// definition is checked.
func TestConvertFromRule(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := apitest.New(t, s, start)
		sales(t, e)
		e.Do(t, "admin", "POST", "/api/apps/sales/rules", map[string]any{"key": "auto", "label": apitest.Label("Auto"), "module": "lead",
			"trigger": map[string]any{"type": "field_changed", "field": "budget"},
			"actions": []any{map[string]any{"type": "convert",
				"targets": []any{
					map[string]any{"as": "account", "module": "account", "values": map[string]string{"name": "company"}},
					map[string]any{"as": "deal", "module": "opportunity", "values": map[string]string{"amount": "budget"}, "links": map[string]string{"account": "account"}},
				},
				"values": map[string]string{"status": `"converted"`}, "links": map[string]string{"opportunity": "deal"}}}}).Want(t, 201)
		ok := e.Do(t, "rep", "POST", "/api/apps/sales/modules/lead/records", map[string]any{"name": "A", "company": "Acme", "budget": 10}).Want(t, 201).Str("id")
		e.RunJobs(t)
		if l := e.Do(t, "rep", "GET", "/api/apps/sales/modules/lead/records/"+ok, nil).Want(t, 200); l.Str("status") != "converted" || l.Str("opportunity") == "" {
			t.Fatalf("lead after the job = %s", l.Body)
		}
		// No company: the account fails (name required) and nothing is made.
		e.Do(t, "rep", "POST", "/api/apps/sales/modules/lead/records", map[string]any{"name": "B", "budget": 20}).Want(t, 201)
		e.RunJobs(t)
		if n, o := count(t, e, "account"), count(t, e, "opportunity"); n != 1 || o != 1 {
			t.Errorf("after the failing job: %d accounts, %d opportunities; want 1 each", n, o)
		}
		bad := e.Do(t, "admin", "POST", "/api/apps/sales/rules", map[string]any{"key": "bad", "label": apitest.Label("Bad"), "module": "lead",
			"trigger": map[string]any{"type": "manual"},
			"actions": []any{map[string]any{"type": "convert", "targets": []any{
				map[string]any{"as": "x", "module": "nope"},
				map[string]any{"as": "c", "module": "contact", "values": map[string]string{"nofield": "name"}, "links": map[string]string{"account": "later"}},
			}, "links": map[string]string{"name": "c"}}}}).Want(t, 422)
		bad.Contains(t, "actions[0].targets[0].module", "actions[0].targets[1].values.nofield", "actions[0].targets[1].links.account", "actions[0].links.name")
	})
}
