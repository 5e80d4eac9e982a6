package dedupeapi_test

// The duplicate check, the duplicates list and merge through the real HTTP
// stack, on SQLite and (TESSERA_TEST_DATABASE_URL) PostgreSQL.

import (
	"fmt"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/dedupe"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

var (
	start = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	xf    = apitest.Field
)

func TestNormalize(t *testing.T) {
	for _, c := range []struct{ kind, in, want string }{
		{"company", "阿里巴巴（中国）有限公司", "阿里巴巴"},
		{"company", "阿里巴巴 集团", "阿里巴巴"},
		{"company", "华为技术股份有限公司", "华为技术"},
		{"company", " ACME  Trading ", "acmetrading"},
		{"company", "ＡＣＭＥ(中国)", "acme"},
		{"phone", "+86 138-0013-8000", "13800138000"},
		{"phone", "0086 13800138000", "13800138000"},
		{"phone", "(010) 6552 1234", "01065521234"},
		{"email", " Li.Lei@Example.COM ", "li.lei@example.com"},
		{"", "Hello World", "helloworld"},
	} {
		if got := dedupe.Normalize(c.kind, c.in); got != c.want {
			t.Errorf("Normalize(%q, %q) = %q, want %q", c.kind, c.in, got, c.want)
		}
	}
}

// crm: accounts with match keys on the name (company) and the phone;
// contacts and deals look accounts up. rep reads, writes and deletes their
// own accounts, all contacts, and no deal; viewer reads and updates all
// accounts but may not delete.
func crm(t *testing.T, e *apitest.Env) {
	t.Helper()
	lbl := apitest.Label
	e.Do(t, "admin", "POST", "/api/apps", map[string]any{"key": "crm", "label": lbl("CRM")}).Want(t, 201)
	mod := func(key string, schema map[string]any) {
		e.Do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": key, "label": map[string]string{"en": key, "zh-CN": "客户"}, "schema": schema}).Want(t, 201)
	}
	mod("account", map[string]any{"x-title": "name",
		"x-duplicates": []any{map[string]any{"key": "name", "field": "name", "normalize": "company"}, map[string]any{"key": "tel", "field": "phone", "normalize": "phone"}},
		"properties":   map[string]any{"name": xf("text"), "phone": xf("phone"), "city": xf("text")}})
	mod("contact", map[string]any{"properties": map[string]any{"name": xf("text"), "account": xf("lookup", "module", "account")}})
	mod("deal", map[string]any{"properties": map[string]any{"title": xf("text"), "account": xf("lookup", "module", "account")}})
	own := map[string]string{"read": "own", "update": "own", "delete": "own"}
	e.Do(t, "admin", "POST", "/api/roles", map[string]any{"key": "rep", "label": lbl("Rep"), "permissions": []any{
		map[string]any{"app": "crm", "module": "account", "actions": []string{"create", "read", "update", "delete"}, "scope": own},
		map[string]any{"app": "crm", "module": "contact", "actions": []string{"create", "read", "update"}},
	}}).Want(t, 201)
	e.Do(t, "admin", "POST", "/api/roles", map[string]any{"key": "viewer", "label": lbl("Viewer"), "permissions": []any{
		map[string]any{"app": "crm", "module": "account", "actions": []string{"read", "update"}},
	}}).Want(t, 201)
	for who, role := range map[string]string{"rep": "rep", "viewer": "viewer"} {
		e.User(t, who, access.NewUser{})
		e.Do(t, "admin", "PATCH", "/api/users/"+e.IDs[who], map[string]any{"roles": []string{role}}).Want(t, 200)
	}
}

const accounts = "/api/apps/crm/modules/account/records"

func TestDuplicateCheck(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := apitest.New(t, s, start)
		crm(t, e)
		e.Do(t, "admin", "POST", accounts, map[string]any{"name": "阿里巴巴（中国）有限公司"}).Want(t, 201)
		// One the rep cannot see: counted, not shown.
		r := e.Do(t, "rep", "POST", accounts, map[string]any{"name": "阿里巴巴 集团"}).Want(t, 409)
		if r.Str("duplicates.0.key") != "name" || r.Num("duplicates.0.hidden") != 1 || len(r.List("duplicates.0.records")) != 0 {
			t.Fatalf("409 = %s", r.Body)
		}
		if r.Str("code") != "conflict" {
			t.Errorf("code = %s", r.Str("code"))
		}
		e.Do(t, "rep", "POST", accounts, map[string]any{"name": "阿里巴巴集团"}, "Accept-Language", "zh-CN").Want(t, 409).Contains(t, "疑似重复")
		mine := e.Do(t, "rep", "POST", accounts, map[string]any{"name": "阿里巴巴 集团", "confirm_duplicate": true}).Want(t, 201).Str("id")

		// A visible match is named with its title; a phone matches by digits.
		acme := e.Do(t, "rep", "POST", accounts, map[string]any{"name": "Acme", "phone": "+86 138 0013 8000"}).Want(t, 201).Str("id")
		r = e.Do(t, "rep", "POST", accounts, map[string]any{"name": "ACME", "phone": "13800138000"}).Want(t, 409)
		keys := map[string]bool{}
		for _, d := range r.List("duplicates") {
			dm := d.(map[string]any)
			keys[dm["key"].(string)] = true
			if apitest.Lookup(dm, "records.0.id") != acme || apitest.Lookup(dm, "records.0.title") != "Acme" {
				t.Errorf("match = %v", dm)
			}
		}
		if !keys["name"] || !keys["tel"] {
			t.Errorf("409 = %s", r.Body)
		}
		e.Do(t, "rep", "POST", accounts+"?confirm_duplicate=true", map[string]any{"name": "Beta", "phone": "138-0013-8000"}).Want(t, 201)
		e.Do(t, "rep", "POST", accounts, map[string]any{"name": "ACME", "confirm_duplicate": true}).Want(t, 201)
		// Updates: a rename onto a name taken is refused; editing another
		// field of a record that is already a duplicate is not.
		other := e.Do(t, "rep", "POST", accounts, map[string]any{"name": "Gamma"}).Want(t, 201).Str("id")
		e.Do(t, "rep", "PATCH", accounts+"/"+other, map[string]any{"version": 1, "name": "acme"}).Want(t, 409)
		e.Do(t, "rep", "PATCH", accounts+"/"+mine, map[string]any{"version": 1, "city": "杭州"}).Want(t, 200)
		// Deleted records match nothing; restored ones again.
		e.Do(t, "rep", "DELETE", accounts+"/"+other, nil).Want(t, 204)
		e.Do(t, "rep", "POST", accounts, map[string]any{"name": "gamma"}).Want(t, 201)

		// The groups: the admin sees 阿里巴巴 twice, the rep only what they
		// see (their own 阿里巴巴 has no visible twin).
		g := e.Do(t, "admin", "GET", "/api/apps/crm/modules/account/duplicates?key=name", nil).Want(t, 200)
		var names []string
		for _, x := range g.List("groups") {
			names = append(names, fmt.Sprintf("%s:%d", x.(map[string]any)["value"], len(x.(map[string]any)["records"].([]any))))
		}
		if fmt.Sprint(names) != "[acme:2 阿里巴巴:2]" {
			t.Errorf("admin's groups = %v", names)
		}
		g = e.Do(t, "rep", "GET", "/api/apps/crm/modules/account/duplicates?key=name", nil).Want(t, 200)
		if n := len(g.List("groups")); n != 1 || g.Str("groups.0.value") != "acme" {
			t.Errorf("rep's groups = %s", g.Body)
		}
		p1 := e.Do(t, "admin", "GET", "/api/apps/crm/modules/account/duplicates?key=name&limit=1", nil).Want(t, 200)
		p2 := e.Do(t, "admin", "GET", "/api/apps/crm/modules/account/duplicates?key=name&limit=1&cursor="+p1.Str("next_cursor"), nil).Want(t, 200)
		if p1.Str("groups.0.value") != "acme" || p2.Str("groups.0.value") != "阿里巴巴" || p2.Str("next_cursor") != "" {
			t.Errorf("pages = %s / %s", p1.Body, p2.Body)
		}
		e.Do(t, "admin", "GET", "/api/apps/crm/modules/account/duplicates?key=nope", nil).Want(t, 404)
	})
}

func TestMerge(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := apitest.New(t, s, start)
		crm(t, e)
		a1 := e.Do(t, "rep", "POST", accounts, map[string]any{"name": "Acme", "phone": "111"}).Want(t, 201).Str("id")
		e.Advance(time.Minute)
		a2 := e.Do(t, "rep", "POST", accounts+"?confirm_duplicate=true", map[string]any{"name": "ACME", "phone": "222", "city": "Shanghai"}).Want(t, 201).Str("id")
		e.Do(t, "rep", "PATCH", accounts+"/"+a2, map[string]any{"version": 1, "city": "Beijing"}).Want(t, 200)
		c1 := e.Do(t, "rep", "POST", "/api/apps/crm/modules/contact/records", map[string]any{"name": "c1", "account": a1}).Want(t, 201).Str("id")
		c2 := e.Do(t, "admin", "POST", "/api/apps/crm/modules/contact/records", map[string]any{"name": "c2", "account": a2}).Want(t, 201).Str("id")
		deal := e.Do(t, "admin", "POST", "/api/apps/crm/modules/deal/records", map[string]any{"title": "d", "account": a2}).Want(t, 201).Str("id")
		body := map[string]any{"others": []string{a2}, "values": map[string]string{"phone": a2, "city": a2}}

		// Who may not delete the merged record: 403, and nothing moved.
		e.Do(t, "viewer", "POST", accounts+"/"+a1+"/merge", body).Want(t, 403)
		if got := e.Do(t, "admin", "GET", "/api/apps/crm/modules/contact/records/"+c2, nil).Want(t, 200).Str("account"); got != a2 {
			t.Fatalf("a refused merge re-pointed c2 to %s", got)
		}
		// Bad requests.
		e.Do(t, "rep", "POST", accounts+"/"+a1+"/merge", map[string]any{"others": []string{a1}}).Want(t, 422)
		e.Do(t, "rep", "POST", accounts+"/"+a1+"/merge", map[string]any{"others": []string{a2}, "values": map[string]string{"nope": a2}}).Want(t, 422)

		m := e.Do(t, "rep", "POST", accounts+"/"+a1+"/merge", body).Want(t, 200)
		if m.Str("name") != "Acme" || m.Str("phone") != "222" || m.Str("city") != "Beijing" {
			t.Errorf("survivor = %s", m.Body)
		}
		e.Do(t, "rep", "GET", accounts+"/"+a2, nil).Want(t, 404)
		// Every lookup points at the survivor — the deal too, which the rep
		// cannot even read.
		for path, want := range map[string]string{"/api/apps/crm/modules/contact/records/" + c1: a1,
			"/api/apps/crm/modules/contact/records/" + c2: a1, "/api/apps/crm/modules/deal/records/" + deal: a1} {
			if got := e.Do(t, "admin", "GET", path, nil).Want(t, 200).Str("account"); got != want {
				t.Errorf("%s: account %s, want the survivor", path, got)
			}
		}
		rel := e.Do(t, "rep", "GET", accounts+"/"+a1+"/related", nil).Want(t, 200)
		if rel.Str("related.0.module") != "contact" || rel.Num("related.0.count") != 2 {
			t.Errorf("related after the merge = %s", rel.Body)
		}
		// Both histories: the survivor's timeline has the merge, its own
		// entries and the merged record's (create, the city edit, merged).
		tl := e.Do(t, "rep", "GET", accounts+"/"+a1+"/timeline", nil).Want(t, 200)
		var got []string
		for _, x := range tl.List("entries") {
			en := x.(map[string]any)
			s := en["kind"].(string)
			if a, ok := apitest.Lookup(en, "history.action").(string); ok {
				s += ":" + a
			}
			if en["merged"] == true {
				s += "(merged)"
			}
			got = append(got, s)
		}
		// (The merge's entries share its transaction's instant: newest
		// first by id, the order they were written in, reversed.)
		want := []string{"history:merge", "history:merged_into(merged)", "merge", "history:update", "history:delete(merged)",
			"history:update(merged)", "history:create(merged)", "history:create"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("timeline = %v\nwant       %v", got, want)
		}
		// The merged record's own history stays readable where it was.
		e.Do(t, "admin", "GET", accounts+"/"+a2+"/history", nil).Want(t, 200).Contains(t, `"merged_into"`)
		// Its match keys went with it: a new ACME is a duplicate of a1 only.
		r := e.Do(t, "rep", "POST", accounts, map[string]any{"name": "acme"}).Want(t, 409)
		if n := len(r.List("duplicates.0.records")); n != 1 || r.Str("duplicates.0.records.0.id") != a1 || r.Num("duplicates.0.hidden") != 0 {
			t.Errorf("after the merge = %s", r.Body)
		}
	})
}

// A rule merges a new account into the oldest one with its phone, and
// match keys declared on a module with records are filled in by a job.
func TestMergeRuleAndBackfill(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := apitest.New(t, s, start)
		crm(t, e)
		e.Do(t, "admin", "POST", "/api/apps/crm/rules", map[string]any{"key": "dedupe_phone", "label": apitest.Label("Merge by phone"), "module": "account",
			"trigger": map[string]any{"type": "created"}, "actions": []any{map[string]any{"type": "merge", "field": "tel"}}}).Want(t, 201)
		old := e.Do(t, "admin", "POST", accounts, map[string]any{"name": "Old Co", "phone": "555"}).Want(t, 201).Str("id")
		e.RunJobs(t)
		e.Advance(time.Minute)
		nw := e.Do(t, "admin", "POST", accounts+"?confirm_duplicate=true", map[string]any{"name": "New Co", "phone": "5-5-5", "city": "Xi'an"}).Want(t, 201).Str("id")
		e.RunJobs(t)
		e.Do(t, "admin", "GET", accounts+"/"+nw, nil).Want(t, 404)
		if o := e.Do(t, "admin", "GET", accounts+"/"+old, nil).Want(t, 200); o.Str("name") != "Old Co" || o.Str("city") != "Xi'an" {
			t.Errorf("survivor = %s", o.Body)
		}
		e.Do(t, "admin", "POST", "/api/apps/crm/rules", map[string]any{"key": "bad", "label": apitest.Label("Bad"), "module": "contact",
			"trigger": map[string]any{"type": "created"}, "actions": []any{map[string]any{"type": "merge"}}}).Want(t, 422)

		// Backfill: contacts get a match key after they exist.
		for _, n := range []string{"Li Lei", "li lei", "Han"} {
			e.Do(t, "admin", "POST", "/api/apps/crm/modules/contact/records", map[string]any{"name": n}).Want(t, 201)
		}
		e.Do(t, "admin", "PUT", "/api/apps/crm/modules/contact", map[string]any{"label": apitest.Label("contact"), "version": 1, "schema": map[string]any{
			"x-duplicates": []any{map[string]any{"key": "name", "field": "name"}},
			"properties":   map[string]any{"name": xf("text"), "account": xf("lookup", "module", "account")}}}).Want(t, 200)
		e.RunJobs(t)
		g := e.Do(t, "admin", "GET", "/api/apps/crm/modules/contact/duplicates", nil).Want(t, 200)
		if n := len(g.List("groups")); n != 1 || g.Str("groups.0.value") != "lilei" || len(g.List("groups.0.records")) != 2 {
			t.Errorf("contact groups after the backfill = %s", g.Body)
		}
	})
}
