package publicapi_test

// Public forms and views through the real HTTP stack on both dialects:
// a web-to-lead form whose submissions are records written by the form's
// system user (rules run on them), refused fields and values, the rate
// limit per client address that a forged X-Forwarded-For does not escape,
// tokens revoked and re-issued, and a knowledge-base view that answers
// only its records and fields, page by page.

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

func module(t *testing.T, e *apitest.Env, key, props string) {
	t.Helper()
	var schema map[string]any
	if err := json.Unmarshal([]byte(`{"properties":{`+props+`}}`), &schema); err != nil {
		t.Fatal(err)
	}
	e.Do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": key, "label": apitest.Label(key), "schema": schema}).Want(t, 201)
}

func setup(t *testing.T, s *store.Store) *apitest.Env {
	e := apitest.New(t, s, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	e.Do(t, "admin", "POST", "/api/apps", map[string]any{"key": "crm", "label": apitest.Label("CRM")}).Want(t, 201)
	module(t, e, "lead", `"name":{"x-field":{"type":"text","label":{"en":"Name","zh-CN":"姓名"}}},
		"phone":{"x-field":{"type":"phone","label":{"en":"Phone","zh-CN":"电话"}}},
		"size":{"x-field":{"type":"select","label":{"en":"Size","zh-CN":"规模"},"options":[{"value":"s","label":{"en":"Small","zh-CN":"小"}},{"value":"l","label":{"en":"Large","zh-CN":"大"}}]}},
		"employees":{"x-field":{"type":"integer"}},
		"source":{"x-field":{"type":"text"}},
		"status":{"x-field":{"type":"text"}},
		"score":{"x-field":{"type":"integer"}}`)
	module(t, e, "article", `"title":{"x-field":{"type":"text"}},
		"body":{"x-field":{"type":"textarea"}},
		"state":{"x-field":{"type":"select","options":[{"value":"published"},{"value":"draft"}]}},
		"internal_note":{"x-field":{"type":"text"}}`)
	return e
}

func leadForm(t *testing.T, e *apitest.Env, rate int) string {
	t.Helper()
	r := e.Do(t, "admin", "POST", "/api/apps/crm/public-forms", map[string]any{"key": "web_lead", "module": "lead",
		"label": map[string]string{"en": "Contact us", "zh-CN": "联系我们"}, "fields": []string{"name", "phone", "size", "employees"},
		"required": []string{"phone"}, "values": map[string]any{"source": "web"}, "rate_limit": rate,
		"success": map[string]any{"message": map[string]string{"en": "Thanks!", "zh-CN": "感谢您的留言！"}, "redirect": "https://example.com/thanks"}}).Want(t, 201)
	if !strings.HasPrefix(r.Str("url"), "/api/public/forms/") || len(r.Str("secret")) < 40 || r.Get("token") != true {
		t.Fatalf("created form: %s", r.Body)
	}
	return r.Str("url")
}

func TestPublicForm(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := setup(t, s)
		// A rule on created leads runs on what the form writes.
		e.Do(t, "admin", "POST", "/api/apps/crm/rules", map[string]any{"key": "score", "label": apitest.Label("score"), "module": "lead", "enabled": true,
			"trigger": map[string]any{"type": "created"}, "actions": []any{map[string]any{"type": "set", "values": map[string]string{"status": `"new"`, "score": `coalesce(employees, 0) > 100 ? 10 : 1`}}}}).Want(t, 201)
		url := leadForm(t, e, 100)

		// The schema: the chosen fields only, in the visitor's language.
		f := e.Do(t, "", "GET", url, nil, "Accept-Language", "zh-CN").Want(t, 200)
		var keys []string
		for _, x := range f.List("fields") {
			keys = append(keys, x.(map[string]any)["key"].(string))
		}
		if f.Str("label") != "联系我们" || strings.Join(keys, ",") != "name,phone,size,employees" {
			t.Fatalf("form: %s", f.Body)
		}
		f.Contains(t, `"label":"电话","required":true`, `{"value":"l","label":"大"}`)

		// A submission creates a lead as form:web_lead; the answer says
		// thanks and where to go, never the record.
		r := e.Do(t, "", "POST", url, map[string]any{"name": "李雷", "phone": "13800000000", "employees": 500}, "Accept-Language", "zh-CN").Want(t, 201)
		if r.Str("message") != "感谢您的留言！" || r.Str("redirect") != "https://example.com/thanks" || r.Get("id") != nil {
			t.Fatalf("submitted: %s", r.Body)
		}
		e.RunJobs(t)
		leads := e.Do(t, "admin", "GET", "/api/apps/crm/modules/lead/records?expand=created_by", nil).Want(t, 200).List("records")
		if len(leads) != 1 {
			t.Fatalf("%d leads", len(leads))
		}
		lead := leads[0].(map[string]any)
		if lead["source"] != "web" || lead["status"] != "new" || fmt.Sprint(lead["score"]) != "10" || lead["owner"] != nil {
			t.Fatalf("lead: %v", lead)
		}
		h := e.Do(t, "admin", "GET", "/api/apps/crm/modules/lead/records/"+lead["id"].(string)+"/history", nil).Want(t, 200)
		h.Contains(t, `"actor_name":"form:web_lead","via":"public_form","action":"create"`)

		// A field not on the form (owner, source), a required field left
		// out, a bad value: 422, localized, nothing written.
		r = e.Do(t, "", "POST", url, map[string]any{"name": "x", "phone": "1", "owner": e.IDs["admin"], "source": "ad"}, "Accept-Language", "zh-CN").Want(t, 422)
		r.Contains(t, "“owner”不是此表单的字段", "“source”不是此表单的字段")
		e.Do(t, "", "POST", url, map[string]any{"name": "x"}, "Accept-Language", "zh-CN").Want(t, 422).Contains(t, "电话为必填项")
		e.Do(t, "", "POST", url, map[string]any{"phone": "1", "employees": "many"}).Want(t, 422)
		if n := len(e.Do(t, "admin", "GET", "/api/apps/crm/modules/lead/records", nil).Want(t, 200).List("records")); n != 1 {
			t.Fatalf("%d leads after refused submissions", n)
		}

		// Revoked, the link is gone; a new token works, the old one not.
		e.Do(t, "admin", "DELETE", "/api/apps/crm/public-forms/web_lead/token", nil).Want(t, 204)
		e.Do(t, "", "GET", url, nil).Want(t, 404)
		if e.Do(t, "admin", "GET", "/api/apps/crm/public-forms/web_lead", nil).Want(t, 200).Get("token") != false {
			t.Fatal("token still shown as issued")
		}
		fresh := e.Do(t, "admin", "POST", "/api/apps/crm/public-forms/web_lead/token", nil).Want(t, 200).Str("url")
		e.Do(t, "", "GET", fresh, nil).Want(t, 200)
		e.Do(t, "", "GET", url, nil).Want(t, 404)
		e.Do(t, "", "GET", "/api/public/forms/short", nil).Want(t, 404)
		e.Do(t, "", "GET", "/api/apps/crm/public-forms", nil).Want(t, 401)
		e.User(t, "rep", access.NewUser{})
		e.Do(t, "rep", "GET", "/api/apps/crm/public-forms", nil).Want(t, 403)
	})
}

func TestPublicFormRateLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := setup(t, s)
		url := leadForm(t, e, 3)
		for i := range 3 {
			// The forwarding header of an untrusted peer is dropped: it
			// does not make each request another address.
			e.Do(t, "", "POST", url, map[string]any{"phone": fmt.Sprint(i)}, "X-Forwarded-For", fmt.Sprintf("10.0.0.%d", i)).Want(t, 201)
		}
		r := e.Do(t, "", "POST", url, map[string]any{"phone": "4"}, "X-Forwarded-For", "10.0.0.9", "Accept-Language", "zh-CN").Want(t, 429)
		r.Contains(t, "请求过于频繁")
		if r.Header.Get("Retry-After") == "" {
			t.Fatal("no Retry-After")
		}
		e.Do(t, "", "GET", url, nil).Want(t, 429) // the schema counts too
		e.Advance(time.Minute)
		e.Do(t, "", "POST", url, map[string]any{"phone": "5"}).Want(t, 201)
		if n := len(e.Do(t, "admin", "GET", "/api/apps/crm/modules/lead/records", nil).Want(t, 200).List("records")); n != 4 {
			t.Fatalf("%d leads", n)
		}
	})
}

func TestPublicView(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := setup(t, s)
		for i, state := range []string{"published", "draft", "published", "published"} {
			e.Do(t, "admin", "POST", "/api/apps/crm/modules/article/records", map[string]any{"title": fmt.Sprintf("文章%d", i), "body": "正文",
				"state": state, "internal_note": "内部备注"}).Want(t, 201)
			e.Advance(time.Second)
		}
		draft := e.Do(t, "admin", "GET", "/api/apps/crm/modules/article/records?filter="+`state%20%3D%3D%20%22draft%22`, nil).Want(t, 200).List("records")[0].(map[string]any)["id"].(string)
		e.Do(t, "admin", "POST", "/api/apps/crm/public-views", map[string]any{"key": "kb", "module": "article", "label": apitest.Label("KB"),
			"fields": []string{"title", "body"}, "filter": `state == "published"`, "sort": "title", "values": map[string]any{"x": 1}}).Want(t, 422)
		e.Do(t, "admin", "POST", "/api/apps/crm/public-views", map[string]any{"key": "kb", "module": "article", "label": apitest.Label("KB"),
			"fields": []string{"title", "nosuch"}, "filter": `nosuch == 1`}).Want(t, 422).Contains(t, `"field":"fields.1"`, `"field":"filter"`)
		url := e.Do(t, "admin", "POST", "/api/apps/crm/public-views", map[string]any{"key": "kb", "module": "article", "label": apitest.Label("KB"),
			"fields": []string{"title", "body"}, "filter": `state == "published"`, "sort": "title"}).Want(t, 201).Str("url")
		var titles []string
		cursor := ""
		for page := 0; page < 5; page++ {
			r := e.Do(t, "", "GET", url+"?limit=2&cursor="+cursor, nil).Want(t, 200)
			for _, x := range r.List("records") {
				rec := x.(map[string]any)
				if len(rec) != 3 || rec["body"] != "正文" {
					t.Fatalf("a view record has more or other than id, title, body: %v", rec)
				}
				titles = append(titles, rec["title"].(string))
			}
			if cursor = r.Str("next_cursor"); cursor == "" {
				break
			}
		}
		if strings.Join(titles, ",") != "文章0,文章2,文章3" {
			t.Fatalf("view pages: %v", titles)
		}
		if strings.Contains(string(e.Do(t, "", "GET", url, nil).Want(t, 200).Body), "内部备注") {
			t.Fatal("a field not in the view left the server")
		}
		e.Do(t, "", "GET", url+"/records/"+draft, nil).Want(t, 404)
		e.Do(t, "admin", "DELETE", "/api/apps/crm/public-views/kb", nil).Want(t, 204)
		e.Do(t, "", "GET", url, nil).Want(t, 404)
	})
}
