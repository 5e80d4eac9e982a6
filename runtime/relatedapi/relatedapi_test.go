package relatedapi_test

// Related records and the timeline through the real HTTP stack, on SQLite
// and (TESSERA_TEST_DATABASE_URL) PostgreSQL.

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

var start = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

var field = apitest.Field

// crm: accounts; contacts, deals, notes and secrets look accounts up;
// activities (x-timeline, dated by "at") look up accounts. Role rep reads
// their own contacts, every deal without its amount, notes without their
// account field, activities, and no secret.
func crm(t *testing.T, e *apitest.Env) {
	t.Helper()
	lbl := apitest.Label
	e.Do(t, "admin", "POST", "/api/apps", map[string]any{"key": "crm", "label": lbl("CRM")}).Want(t, 201)
	mod := func(key string, schema map[string]any) {
		e.Do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": key, "label": lbl(key), "schema": schema}).Want(t, 201)
	}
	mod("account", map[string]any{"properties": map[string]any{"name": field("text")}})
	mod("contact", map[string]any{"properties": map[string]any{"name": field("text"), "account": field("lookup", "module", "account")}})
	mod("deal", map[string]any{"properties": map[string]any{"title": field("text"), "amount": field("number"), "account": field("lookup", "module", "account")}})
	mod("note", map[string]any{"properties": map[string]any{"text": field("text"), "account": field("lookup", "module", "account")}})
	mod("secret", map[string]any{"properties": map[string]any{"text": field("text"), "account": field("lookup", "module", "account")}})
	mod("activity", map[string]any{"x-timeline": map[string]any{"date_field": "at"}, "properties": map[string]any{
		"subject": field("text"), "at": field("datetime"), "account": field("lookup", "module", "account")}})
	mod("memo", map[string]any{"x-timeline": map[string]any{"date_field": "on"}, "properties": map[string]any{
		"subject": field("text"), "on": field("date"), "account": field("lookup", "module", "account")}})
	all := []string{"create", "read", "update"}
	perms := []any{
		map[string]any{"app": "crm", "module": "account", "actions": all},
		map[string]any{"app": "crm", "module": "contact", "actions": all, "scope": map[string]string{"read": "own"}},
		map[string]any{"app": "crm", "module": "deal", "actions": all, "fields": map[string]string{"amount": "hidden"}},
		map[string]any{"app": "crm", "module": "note", "actions": all, "fields": map[string]string{"account": "hidden"}},
		map[string]any{"app": "crm", "module": "activity", "actions": all},
		map[string]any{"app": "crm", "module": "memo", "actions": all},
	}
	e.Do(t, "admin", "POST", "/api/roles", map[string]any{"key": "rep", "label": lbl("Rep"), "permissions": perms}).Want(t, 201)
	e.User(t, "rep", access.NewUser{})
	e.Do(t, "admin", "PATCH", "/api/users/"+e.IDs["rep"], map[string]any{"roles": []string{"rep"}}).Want(t, 200)
}

func TestRelated(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := apitest.New(t, s, start)
		crm(t, e)
		rec := func(who, module string, v map[string]any) string {
			return e.Do(t, who, "POST", "/api/apps/crm/modules/"+module+"/records", v).Want(t, 201).Str("id")
		}
		acme := rec("admin", "account", map[string]any{"name": "Acme"})
		other := rec("admin", "account", map[string]any{"name": "Other"})
		rec("rep", "contact", map[string]any{"name": "Mine", "account": acme})
		rec("admin", "contact", map[string]any{"name": "Not mine", "account": acme})
		rec("admin", "contact", map[string]any{"name": "Elsewhere", "account": other})
		for i := range 7 {
			rec("admin", "deal", map[string]any{"title": fmt.Sprintf("Deal %d", i), "amount": 100 + i, "account": acme})
		}
		rec("admin", "note", map[string]any{"text": "n", "account": acme})
		rec("admin", "secret", map[string]any{"text": "s", "account": acme})

		path := "/api/apps/crm/modules/account/records/" + acme + "/related"
		byModule := func(r *apitest.Response) map[string]map[string]any {
			out := map[string]map[string]any{}
			for _, x := range r.List("related") {
				rel := x.(map[string]any)
				out[rel["module"].(string)] = rel
			}
			return out
		}
		admin := byModule(e.Do(t, "admin", "GET", path, nil).Want(t, 200))
		for mod, n := range map[string]string{"contact": "2", "deal": "7", "note": "1", "secret": "1", "activity": "0", "memo": "0"} {
			if got := fmt.Sprint(admin[mod]["count"]); got != n {
				t.Errorf("admin: %s count %s, want %s", mod, got, n)
			}
		}
		if got := len(apitest.Lookup(admin["deal"], "page.records").([]any)); got != 5 {
			t.Errorf("admin: first page of deals has %d records, want the default 5", got)
		}
		rep := e.Do(t, "rep", "GET", path, nil).Want(t, 200)
		repRels := byModule(rep)
		// Own contacts only; the secret module (unreadable) and the notes
		// (lookup field hidden) are not there at all.
		if got := fmt.Sprint(repRels["contact"]["count"]); got != "1" {
			t.Errorf("rep: contact count %s, want 1 (scope own)", got)
		}
		if _, ok := repRels["secret"]; ok {
			t.Errorf("rep sees the secret module's relation: %s", rep.Body)
		}
		if _, ok := repRels["note"]; ok {
			t.Errorf("rep sees a relation through a hidden field: %s", rep.Body)
		}
		for _, r := range apitest.Lookup(repRels["deal"], "page.records").([]any) {
			if _, ok := r.(map[string]any)["amount"]; ok {
				t.Fatalf("rep sees the hidden amount: %v", r)
			}
		}
		// The next page of one relation.
		next, _ := apitest.Lookup(admin["deal"], "page.next_cursor").(string)
		if next == "" {
			t.Fatal("no next cursor for 7 deals")
		}
		more := e.Do(t, "admin", "GET", path+"?module=deal&field=account&cursor="+next, nil).Want(t, 200)
		if n := len(more.List("records")); n != 2 {
			t.Errorf("second page has %d deals, want 2", n)
		}
		e.Do(t, "rep", "GET", path+"?module=secret&field=account", nil).Want(t, 404)
		e.Do(t, "admin", "GET", path+"?module=deal&field=title", nil).Want(t, 404)
		// A record the caller cannot read: not found.
		mine := rec("admin", "contact", map[string]any{"name": "x"})
		e.Do(t, "rep", "GET", "/api/apps/crm/modules/contact/records/"+mine+"/related", nil).Want(t, 404)
		// zh-CN error text.
		zh := e.Do(t, "admin", "GET", path+"?module=deal&field=title", nil, "Accept-Language", "zh-CN").Want(t, 404)
		zh.Contains(t, "没有通过")
	})
}

func TestTimeline(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := apitest.New(t, s, start)
		crm(t, e)
		acme := e.Do(t, "admin", "POST", "/api/apps/crm/modules/account/records", map[string]any{"name": "Acme"}).Want(t, 201).Str("id")
		// Activities dated in the past, interleaved with edits of the account.
		act := func(subject string, at time.Time) {
			e.Do(t, "admin", "POST", "/api/apps/crm/modules/activity/records", map[string]any{
				"subject": subject, "at": at.Format(time.RFC3339), "account": acme}).Want(t, 201)
		}
		act("call before creation", start.Add(-time.Hour))
		e.Advance(time.Minute)
		e.Do(t, "admin", "PATCH", "/api/apps/crm/modules/account/records/"+acme, map[string]any{"version": 1, "name": "Acme Ltd"}).Want(t, 200)
		act("meeting", start.Add(90*time.Second))
		act("undated", start.AddDate(-5, 0, 0)) // the oldest
		e.Advance(time.Minute)
		e.Do(t, "admin", "PATCH", "/api/apps/crm/modules/account/records/"+acme, map[string]any{"version": 2, "name": "Acme Inc"}).Want(t, 200)
		act("follow-up", start.Add(3*time.Minute))
		// Dated memos: a date is its midnight UTC.
		for _, m := range []struct{ subject, on string }{{"memo today", "2026-03-02"}, {"memo yesterday", "2026-03-01"}, {"memo today 2", "2026-03-02"}} {
			e.Do(t, "admin", "POST", "/api/apps/crm/modules/memo/records", map[string]any{"subject": m.subject, "on": m.on, "account": acme}).Want(t, 201)
		}

		path := "/api/apps/crm/modules/account/records/" + acme + "/timeline"
		full := e.Do(t, "rep", "GET", path, nil).Want(t, 200)
		var got []string
		for _, x := range full.List("entries") {
			en := x.(map[string]any)
			switch en["kind"] {
			case "history":
				got = append(got, "history:"+apitest.Lookup(en, "history.action").(string))
			case "activity":
				got = append(got, "activity:"+apitest.Lookup(en, "record.subject").(string))
			default:
				got = append(got, en["kind"].(string))
			}
		}
		want := []string{"activity:follow-up", "history:update", "activity:meeting", "history:update", "history:create",
			"activity:call before creation", "activity:memo today 2", "activity:memo today", "activity:memo yesterday", "activity:undated"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("timeline = %v\nwant       %v", got, want)
		}
		var ids []string
		for _, x := range full.List("entries") {
			ids = append(ids, x.(map[string]any)["id"].(string))
		}
		// Paged by one, two and three (cursors on a memo's midnight, between
		// two memos of one day, on history entries): the same entries, in
		// the same order, none twice.
		for _, limit := range []int{1, 2, 3} {
			var paged []string
			cursor := ""
			for range 20 {
				p := e.Do(t, "rep", "GET", fmt.Sprintf("%s?limit=%d&cursor=%s", path, limit, cursor), nil).Want(t, 200)
				for _, x := range p.List("entries") {
					paged = append(paged, x.(map[string]any)["id"].(string))
				}
				if cursor = p.Str("next_cursor"); cursor == "" {
					break
				}
			}
			if fmt.Sprint(paged) != fmt.Sprint(ids) {
				t.Errorf("timeline paged by %d = %v\nwant %v", limit, paged, ids)
			}
		}
		e.Do(t, "rep", "GET", path+"?cursor=nonsense", nil).Want(t, 400)
		e.Do(t, "rep", "GET", path+"?limit=1000", nil).Want(t, 400)
	})
}

// Stage moves are on the timeline, except to whom the stage field is
// hidden.
func TestTimelineStages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := apitest.New(t, s, start)
		lbl := apitest.Label
		e.Do(t, "admin", "POST", "/api/apps", map[string]any{"key": "crm", "label": lbl("CRM")}).Want(t, 201)
		opts := []any{map[string]any{"value": "open"}, map[string]any{"value": "won"}}
		e.Do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "deal", "label": lbl("Deal"), "schema": map[string]any{
			"properties": map[string]any{"name": field("text"), "stage": field("select", "options", opts)}}}).Want(t, 201)
		e.Do(t, "admin", "POST", "/api/apps/crm/flows", map[string]any{"key": "pipe", "label": lbl("Pipe"), "module": "deal", "field": "stage",
			"states":      []any{map[string]any{"key": "open", "label": lbl("Open"), "kind": "open"}, map[string]any{"key": "won", "label": lbl("Won"), "kind": "won"}},
			"transitions": []any{map[string]any{"key": "win", "label": lbl("Win"), "from": []string{"open"}, "to": "won"}}}).Want(t, 201)
		e.Do(t, "admin", "POST", "/api/roles", map[string]any{"key": "blind", "label": lbl("Blind"), "permissions": []any{
			map[string]any{"app": "crm", "module": "deal", "actions": []string{"read"}, "fields": map[string]string{"stage": "hidden"}}}}).Want(t, 201)
		e.User(t, "blind", access.NewUser{})
		e.Do(t, "admin", "PATCH", "/api/users/"+e.IDs["blind"], map[string]any{"roles": []string{"blind"}}).Want(t, 200)

		id := e.Do(t, "admin", "POST", "/api/apps/crm/modules/deal/records", map[string]any{"name": "D"}).Want(t, 201).Str("id")
		e.Advance(time.Minute)
		e.Do(t, "admin", "POST", "/api/apps/crm/modules/deal/records/"+id+"/transitions/win", map[string]any{"version": 1}).Want(t, 200)
		kinds := func(who string) string {
			var out []string
			for _, x := range e.Do(t, who, "GET", "/api/apps/crm/modules/deal/records/"+id+"/timeline", nil).Want(t, 200).List("entries") {
				en := x.(map[string]any)
				k := en["kind"].(string)
				if to, ok := apitest.Lookup(en, "stage.to").(string); ok {
					k += ":" + to
				}
				out = append(out, k)
			}
			sort.Strings(out) // entries of one write share its instant
			return fmt.Sprint(out)
		}
		if got := kinds("admin"); got != "[history history stage:open stage:won]" {
			t.Errorf("admin's timeline kinds = %s", got)
		}
		if got := kinds("blind"); got != "[history history]" {
			t.Errorf("timeline of a reader without the stage field = %s", got)
		}
	})
}
