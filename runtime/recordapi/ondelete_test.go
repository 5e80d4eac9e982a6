package recordapi_test

// Lookup fields' on_delete (restrict, clear, cascade and the restore of
// cascades) through the real HTTP stack, on both dialects.

import (
	"context"
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

// odEnv is an app "crm" whose modules look up account and contact:
//
//	contact.account → account  cascade
//	note.contact    → contact  cascade   (a second level)
//	deal.account    → account  clear
//	invoice.account → account  restrict (the default, not written)
//	task.contact    → contact  restrict
type odEnv struct {
	*apitest.Env
}

const odBase = "/api/apps/crm/modules/"

func newODEnv(t *testing.T, s *store.Store) *odEnv {
	t.Helper()
	e := &odEnv{apitest.New(t, s, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))}
	e.Do(t, "admin", "POST", "/api/apps", map[string]any{"key": "crm", "label": apitest.Label("CRM")}).Want(t, 201)
	for _, m := range []struct{ key, en, zh, props string }{
		{"account", "Account", "客户", `"name":{"x-field":{"type":"text"}}`},
		{"contact", "Contact", "联系人", `"name":{"x-field":{"type":"text"}},"account":{"x-field":{"type":"lookup","module":"account","on_delete":"cascade"}}`},
		{"note", "Note", "备注", `"name":{"x-field":{"type":"text"}},"contact":{"x-field":{"type":"lookup","module":"contact","on_delete":"cascade"}}`},
		{"deal", "Deal", "商机", `"name":{"x-field":{"type":"text"}},"account":{"x-field":{"type":"lookup","module":"account","on_delete":"clear"}}`},
		{"invoice", "Invoice", "发票", `"name":{"x-field":{"type":"text"}},"account":{"x-field":{"type":"lookup","module":"account"}}`},
		{"task", "Task", "任务", `"name":{"x-field":{"type":"text"}},"contact":{"x-field":{"type":"lookup","module":"contact","on_delete":"restrict"}}`},
	} {
		e.Do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": m.key, "label": map[string]string{"en": m.en, "zh-CN": m.zh},
			"schema": json.RawMessage(`{"type":"object","required":["name"],"properties":{` + m.props + `}}`)}).Want(t, 201)
	}
	return e
}

// add creates a record as who and returns its id.
func (e *odEnv) add(t *testing.T, who, module string, values map[string]any) string {
	t.Helper()
	return e.Do(t, who, "POST", odBase+module+"/records", values).Want(t, 201).Str("id")
}

// live reports whether record id of module is live (as the admin sees it).
func (e *odEnv) live(t *testing.T, module, id string) bool {
	t.Helper()
	r := e.Do(t, "admin", "GET", odBase+module+"/records/"+id, nil)
	if r.Status != 200 && r.Status != 404 {
		t.Fatalf("GET %s/%s: %d %s", module, id, r.Status, r.Body)
	}
	return r.Status == 200
}

// wantLive fails unless exactly the records given as live are live, and
// the others deleted.
func (e *odEnv) wantLive(t *testing.T, what string, want map[string]bool, names map[string]string) {
	t.Helper()
	for key, live := range want {
		module, id := names[key], key
		if got := e.live(t, module, id); got != live {
			t.Errorf("%s: %s record %s live = %v, want %v", what, module, id, got, live)
		}
	}
}

// auditCount is the number of record audit entries so far.
func (e *odEnv) auditCount(t *testing.T) int {
	t.Helper()
	p, err := e.Store.AuditEntries(context.Background(), store.AuditQuery{Kind: store.AuditRecord, Limit: store.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	return len(p.Entries)
}

func (e *odEnv) cascadeRows(t *testing.T) int {
	t.Helper()
	var n int
	if err := e.Store.R.QueryRowContext(context.Background(), `SELECT count(*) FROM record_cascades`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// role creates a role with the permissions and gives it to a new user.
func (e *odEnv) userWithRole(t *testing.T, name string, perms ...map[string]any) {
	t.Helper()
	e.Do(t, "admin", "POST", "/api/roles", map[string]any{"key": name, "label": apitest.Label(name), "permissions": perms}).Want(t, 201)
	id := e.User(t, name, access.NewUser{})
	e.Do(t, "admin", "PATCH", "/api/users/"+id, map[string]any{"roles": []string{name}}).Want(t, 200)
}

func crmPerm(module string, actions []string, scope map[string]string) map[string]any {
	return map[string]any{"app": "crm", "module": module, "actions": actions, "scope": scope}
}

func TestOnDeleteSchema(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := newODEnv(t, s)
		bad := func(props string) *apitest.Response {
			return e.Do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "bad", "label": apitest.Label("Bad"),
				"schema": json.RawMessage(`{"type":"object","required":["name"],"properties":{"name":{"x-field":{"type":"text"}},` + props + `}}`)})
		}
		r := bad(`"acc":{"x-field":{"type":"lookup","module":"account","on_delete":"nullify"}}`).Want(t, 422)
		if r.Str("errors.0.field") != "acc.x-field.on_delete" || !strings.Contains(r.Str("errors.0.message"), `"nullify" is not known; use one of restrict, clear, cascade`) {
			t.Errorf("bad value: %s", r.Body)
		}
		r = bad(`"acc":{"x-field":{"type":"lookup","module":"account","on_delete":7}}`).Want(t, 422)
		if r.Str("errors.0.field") != "acc.x-field.on_delete" {
			t.Errorf("not a string: %s", r.Body)
		}
		r = bad(`"title":{"x-field":{"type":"text","on_delete":"cascade"}}`).Want(t, 422)
		if r.Str("errors.0.field") != "title.x-field.on_delete" || !strings.Contains(r.Str("errors.0.message"), "only to lookup fields") {
			t.Errorf("not a lookup: %s", r.Body)
		}
		r = e.Do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "bad", "label": apitest.Label("Bad"),
			"schema": json.RawMessage(`{"type":"object","required":["acc"],"properties":{"acc":{"x-field":{"type":"lookup","module":"account","on_delete":"clear"}}}}`)},
			"Accept-Language", "zh-CN").Want(t, 422)
		if r.Str("errors.0.field") != "acc.x-field.on_delete" || !strings.Contains(r.Str("errors.0.message"), "会清空必填的关联字段") {
			t.Errorf("clear on required: %s", r.Body)
		}
		// The accepted values are kept in the stored schema.
		r = e.Do(t, "admin", "GET", "/api/apps/crm/modules/contact", nil).Want(t, 200)
		if got := r.Str("schema.properties.account.x-field.on_delete"); got != "cascade" {
			t.Errorf("stored on_delete = %q", got)
		}
	})
}

func TestOnDeleteRestrict(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := newODEnv(t, s)
		// rep may delete accounts but read no invoice, contact or deal.
		e.userWithRole(t, "rep", crmPerm("account", []string{"create", "read", "update", "delete"}, nil))
		acc := e.add(t, "rep", "account", map[string]any{"name": "Acme"})
		inv1 := e.add(t, "admin", "invoice", map[string]any{"name": "I-1", "account": acc})
		inv2 := e.add(t, "admin", "invoice", map[string]any{"name": "I-2", "account": acc})
		inv3 := e.add(t, "admin", "invoice", map[string]any{"name": "I-3", "account": acc})
		e.Do(t, "admin", "DELETE", odBase+"invoice/records/"+inv3, nil).Want(t, 204) // deleted ones do not count
		con := e.add(t, "admin", "contact", map[string]any{"name": "Ann", "account": acc})
		deal := e.add(t, "admin", "deal", map[string]any{"name": "Big", "account": acc})
		before, beforeCascades := e.auditCount(t), e.cascadeRows(t)

		r := e.Do(t, "rep", "DELETE", odBase+"account/records/"+acc, nil).Want(t, 409)
		if d := r.Str("detail"); !strings.Contains(d, "This Account record cannot be deleted: it is still looked up by 2 record(s) of Invoice.") {
			t.Errorf("detail = %q", d)
		}
		if len(r.List("errors")) != 1 || r.Str("errors.0.field") != "invoice" || r.Str("errors.0.code") != "restrict" {
			t.Errorf("errors = %s", r.Body)
		}
		// Counts only: nothing about the invoices the rep cannot read.
		for _, id := range []string{inv1, inv2, "I-1", "I-2"} {
			if strings.Contains(string(r.Body), id) {
				t.Errorf("the refusal shows %s: %s", id, r.Body)
			}
		}
		// Nothing changed: the account, the contact it would cascade to,
		// the deal it would clear; no audit entry, no cascade remembered.
		names := map[string]string{acc: "account", con: "contact", deal: "deal", inv1: "invoice", inv2: "invoice"}
		e.wantLive(t, "after the refusal", map[string]bool{acc: true, con: true, deal: true, inv1: true, inv2: true}, names)
		if got := e.Do(t, "admin", "GET", odBase+"deal/records/"+deal, nil).Want(t, 200); got.Str("account") != acc || got.Num("version") != 1 {
			t.Errorf("deal after the refusal = %s", got.Body)
		}
		if n := e.auditCount(t); n != before {
			t.Errorf("audit entries %d → %d after a refused delete", before, n)
		}
		if n := e.cascadeRows(t); n != beforeCascades {
			t.Errorf("record_cascades %d → %d after a refused delete", beforeCascades, n)
		}
		// In Chinese, the modules by their Chinese labels.
		r = e.Do(t, "rep", "DELETE", odBase+"account/records/"+acc, nil, "Accept-Language", "zh-CN").Want(t, 409)
		if d := r.Str("detail"); !strings.Contains(d, "该客户记录仍被 发票中的 2 条记录 关联") {
			t.Errorf("zh detail = %q", d)
		}

		// A restrict two levels down refuses the whole delete too.
		e.Do(t, "admin", "DELETE", odBase+"invoice/records/"+inv1, nil).Want(t, 204)
		e.Do(t, "admin", "DELETE", odBase+"invoice/records/"+inv2, nil).Want(t, 204)
		task := e.add(t, "admin", "task", map[string]any{"name": "Call", "contact": con})
		before = e.auditCount(t)
		r = e.Do(t, "admin", "DELETE", odBase+"account/records/"+acc, nil).Want(t, 409)
		if d := r.Str("detail"); !strings.Contains(d, "This Contact record cannot be deleted: it is still looked up by 1 record(s) of Task.") {
			t.Errorf("nested detail = %q", d)
		}
		names[task] = "task"
		e.wantLive(t, "after the nested refusal", map[string]bool{acc: true, con: true, deal: true, task: true}, names)
		if n := e.auditCount(t); n != before {
			t.Errorf("audit entries %d → %d after a refused nested delete", before, n)
		}
		// Without the task, the account goes.
		e.Do(t, "admin", "DELETE", odBase+"task/records/"+task, nil).Want(t, 204)
		e.Do(t, "rep", "DELETE", odBase+"account/records/"+acc, nil).Want(t, 409) // rep may not delete the contact
		e.Do(t, "admin", "DELETE", odBase+"account/records/"+acc, nil).Want(t, 204)
		e.wantLive(t, "after the delete", map[string]bool{acc: false, con: false, deal: true}, names)
	})
}

func TestOnDeleteClear(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := newODEnv(t, s)
		acc := e.add(t, "admin", "account", map[string]any{"name": "Acme"})
		other := e.add(t, "admin", "account", map[string]any{"name": "Other"})
		d1 := e.add(t, "admin", "deal", map[string]any{"name": "D1", "account": acc})
		d2 := e.add(t, "admin", "deal", map[string]any{"name": "D2", "account": acc})
		d3 := e.add(t, "admin", "deal", map[string]any{"name": "D3", "account": other})
		gone := e.add(t, "admin", "deal", map[string]any{"name": "gone", "account": acc})
		e.Do(t, "admin", "DELETE", odBase+"deal/records/"+gone, nil).Want(t, 204)

		e.Do(t, "admin", "DELETE", odBase+"account/records/"+acc, nil).Want(t, 204)
		for id, want := range map[string]any{d1: nil, d2: nil, d3: other} {
			r := e.Do(t, "admin", "GET", odBase+"deal/records/"+id, nil).Want(t, 200)
			wantVersion := 2.0
			if want != nil {
				wantVersion = 1
			}
			if r.Get("account") != want || r.Num("version") != wantVersion {
				t.Errorf("deal %s after the delete: account %v version %v, want %v, %v", r.Str("name"), r.Get("account"), r.Num("version"), want, wantVersion)
			}
		}
		// The deleted deal keeps its pointer: only live records are cleared.
		e.Do(t, "admin", "POST", odBase+"deal/records/"+gone+"/restore", nil).Want(t, 200)
		if r := e.Do(t, "admin", "GET", odBase+"deal/records/"+gone, nil).Want(t, 200); r.Str("account") != acc {
			t.Errorf("the deleted deal was cleared: %s", r.Body)
		}
		// The history shows the update, by whom and why.
		h := e.Do(t, "admin", "GET", odBase+"deal/records/"+d1+"/history", nil).Want(t, 200)
		if h.Str("entries.0.action") != "update" || h.Str("entries.0.actor") != e.IDs["admin"] ||
			h.Get("entries.0.diff.account.before") != acc || h.Get("entries.0.diff.account.after") != nil ||
			len(h.Obj("entries.0.diff")) != 1 {
			t.Errorf("history = %s", h.Body)
		}
		if c := h.Obj("entries.0.cause"); fmt.Sprint(c) != fmt.Sprint(map[string]any{"action": "clear", "module": "account", "id": acc, "field": "account"}) {
			t.Errorf("cause = %v", c)
		}
		// To a reader the lookup is hidden from, the cause names neither
		// the field nor the record it pointed to.
		e.userWithRole(t, "viewer", map[string]any{"app": "crm", "module": "deal", "actions": []string{"read"}, "fields": map[string]string{"account": "hidden"}})
		h = e.Do(t, "viewer", "GET", odBase+"deal/records/"+d1+"/history", nil).Want(t, 200)
		if c := h.Obj("entries.0.cause"); fmt.Sprint(c) != fmt.Sprint(map[string]any{"action": "clear", "module": "account"}) || len(h.Obj("entries.0.diff")) != 0 {
			t.Errorf("history to the viewer = %s", h.Body)
		}
		// A restore does not refill the cleared lookups.
		e.Do(t, "admin", "POST", odBase+"account/records/"+acc+"/restore", nil).Want(t, 200)
		if r := e.Do(t, "admin", "GET", odBase+"deal/records/"+d1, nil).Want(t, 200); r.Get("account") != nil {
			t.Errorf("restore refilled the lookup: %s", r.Body)
		}
	})
}

func TestOnDeleteCascade(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := newODEnv(t, s)
		acc := e.add(t, "admin", "account", map[string]any{"name": "Acme"})
		other := e.add(t, "admin", "account", map[string]any{"name": "Other"})
		c1 := e.add(t, "admin", "contact", map[string]any{"name": "C1", "account": acc})
		c2 := e.add(t, "admin", "contact", map[string]any{"name": "C2", "account": acc})
		c3 := e.add(t, "admin", "contact", map[string]any{"name": "C3 (deleted before)", "account": acc})
		c4 := e.add(t, "admin", "contact", map[string]any{"name": "C4 (other account)", "account": other})
		n1 := e.add(t, "admin", "note", map[string]any{"name": "N1", "contact": c1})
		n2 := e.add(t, "admin", "note", map[string]any{"name": "N2 (deleted before)", "contact": c1})
		n3 := e.add(t, "admin", "note", map[string]any{"name": "N3", "contact": c2})
		e.Do(t, "admin", "DELETE", odBase+"contact/records/"+c3, nil).Want(t, 204)
		e.Do(t, "admin", "DELETE", odBase+"note/records/"+n2, nil).Want(t, 204)
		names := map[string]string{acc: "account", other: "account", c1: "contact", c2: "contact", c3: "contact", c4: "contact", n1: "note", n2: "note", n3: "note"}

		// rep may delete accounts and contacts, but only own notes: the
		// delete would reach the admin's notes, so it is refused whole.
		e.userWithRole(t, "rep",
			crmPerm("account", []string{"read", "delete"}, nil),
			crmPerm("contact", []string{"read", "delete"}, nil),
			crmPerm("note", []string{"read", "delete"}, map[string]string{"read": "all", "delete": "own"}))
		before := e.auditCount(t)
		r := e.Do(t, "rep", "DELETE", odBase+"account/records/"+acc, nil).Want(t, 409)
		if d := r.Str("detail"); !strings.Contains(d, "Deleting this Contact record would also delete 1 record(s) of Note that you may not delete.") {
			t.Errorf("detail = %q", d)
		}
		if r.Str("errors.0.field") != "note" || r.Str("errors.0.code") != "cascade_forbidden" {
			t.Errorf("errors = %s", r.Body)
		}
		e.wantLive(t, "after the refusal", map[string]bool{acc: true, c1: true, c2: true, n1: true, n3: true, c3: false, n2: false}, names)
		if n := e.auditCount(t); n != before {
			t.Errorf("audit entries %d → %d after a refused cascade", before, n)
		}

		// The admin's delete takes the live contacts of the account and
		// their live notes, and nothing else.
		e.Do(t, "admin", "DELETE", odBase+"account/records/"+acc, nil).Want(t, 204)
		e.wantLive(t, "after the delete", map[string]bool{acc: false, c1: false, c2: false, n1: false, n3: false,
			c3: false, n2: false, other: true, c4: true}, names)
		if n := e.cascadeRows(t); n != 4 {
			t.Errorf("record_cascades rows = %d, want 4 (c1, c2, n1, n3)", n)
		}
		h := e.Do(t, "admin", "GET", odBase+"note/records/"+n1+"/history", nil).Want(t, 200)
		if h.Str("entries.0.action") != "delete" || fmt.Sprint(h.Obj("entries.0.cause")) != fmt.Sprint(map[string]any{"action": "cascade", "module": "contact", "id": c1, "field": "contact"}) {
			t.Errorf("note history = %s", h.Body)
		}

		// Restoring the account brings back exactly what its delete took,
		// down both levels; what was deleted before stays deleted.
		e.Do(t, "admin", "POST", odBase+"account/records/"+acc+"/restore", nil).Want(t, 200)
		e.wantLive(t, "after the restore", map[string]bool{acc: true, c1: true, c2: true, n1: true, n3: true, c3: false, n2: false, c4: true}, names)
		if n := e.cascadeRows(t); n != 0 {
			t.Errorf("record_cascades rows after the restore = %d", n)
		}
		h = e.Do(t, "admin", "GET", odBase+"contact/records/"+c2+"/history", nil).Want(t, 200)
		if h.Str("entries.0.action") != "restore" || h.Str("entries.0.cause.action") != "restore" || h.Str("entries.0.cause.id") != acc {
			t.Errorf("contact history = %s", h.Body)
		}

		// A child restored on its own is no longer the parent's: deleting
		// it again separately keeps it out of the parent's restore.
		e.Do(t, "admin", "DELETE", odBase+"account/records/"+acc, nil).Want(t, 204)
		e.Do(t, "admin", "POST", odBase+"contact/records/"+c2+"/restore", nil).Want(t, 200) // brings n3 back with it
		e.Do(t, "admin", "DELETE", odBase+"note/records/"+n3, nil).Want(t, 204)
		e.Do(t, "admin", "DELETE", odBase+"contact/records/"+c2, nil).Want(t, 204)
		e.Do(t, "admin", "POST", odBase+"account/records/"+acc+"/restore", nil).Want(t, 200)
		e.wantLive(t, "after the second restore", map[string]bool{acc: true, c1: true, n1: true, c2: false, n3: false}, names)
		// c2's own delete remembered nothing (n3 was deleted before it).
		e.Do(t, "admin", "POST", odBase+"contact/records/"+c2+"/restore", nil).Want(t, 200)
		e.wantLive(t, "c2 restored alone", map[string]bool{c2: true, n3: false}, names)
		if n := e.cascadeRows(t); n != 0 {
			t.Errorf("record_cascades rows at the end = %d", n)
		}
	})
}

// A module looking itself up (a tree): cascades go down every level,
// a record pointing to itself ends, and deeper trees than the bound are
// refused whole.
func TestOnDeleteCascadeTree(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := newODEnv(t, s)
		e.Do(t, "admin", "POST", "/api/apps/crm/modules", map[string]any{"key": "folder", "label": apitest.Label("Folder"),
			"schema": json.RawMessage(`{"type":"object","required":["name"],"properties":{"name":{"x-field":{"type":"text"}},
				"parent":{"x-field":{"type":"lookup","module":"folder","on_delete":"cascade"}}}}`)}).Want(t, 201)
		root := e.add(t, "admin", "folder", map[string]any{"name": "root"})
		c1 := e.add(t, "admin", "folder", map[string]any{"name": "c1", "parent": root})
		c2 := e.add(t, "admin", "folder", map[string]any{"name": "c2", "parent": root})
		g := e.add(t, "admin", "folder", map[string]any{"name": "g", "parent": c1})
		self := e.add(t, "admin", "folder", map[string]any{"name": "self"})
		e.Do(t, "admin", "PATCH", odBase+"folder/records/"+self, map[string]any{"version": 1, "parent": self}).Want(t, 200)
		names := map[string]string{root: "folder", c1: "folder", c2: "folder", g: "folder", self: "folder"}

		e.Do(t, "admin", "DELETE", odBase+"folder/records/"+self, nil).Want(t, 204)
		e.Do(t, "admin", "DELETE", odBase+"folder/records/"+root, nil).Want(t, 204)
		e.wantLive(t, "after the delete", map[string]bool{root: false, c1: false, c2: false, g: false, self: false}, names)
		e.Do(t, "admin", "POST", odBase+"folder/records/"+root+"/restore", nil).Want(t, 200)
		e.wantLive(t, "after the restore", map[string]bool{root: true, c1: true, c2: true, g: true, self: false}, names)

		// A chain nine levels below its top: one more than the bound.
		chain := []string{e.add(t, "admin", "folder", map[string]any{"name": "l0"})}
		for i := 1; i <= 9; i++ {
			chain = append(chain, e.add(t, "admin", "folder", map[string]any{"name": fmt.Sprint("l", i), "parent": chain[i-1]}))
		}
		before := e.auditCount(t)
		r := e.Do(t, "admin", "DELETE", odBase+"folder/records/"+chain[0], nil).Want(t, 409)
		if d := r.Str("detail"); !strings.Contains(d, "more than 8 levels down") {
			t.Errorf("detail = %q", d)
		}
		if n := e.auditCount(t); n != before {
			t.Errorf("audit entries %d → %d after a refused deep cascade", before, n)
		}
		for i, id := range chain {
			if !e.live(t, "folder", id) {
				t.Errorf("level %d deleted by a refused cascade", i)
			}
		}
		// From the second level, it is within the bound.
		e.Do(t, "admin", "DELETE", odBase+"folder/records/"+chain[1], nil).Want(t, 204)
		for i, id := range chain {
			if got := e.live(t, "folder", id); got != (i == 0) {
				t.Errorf("level %d live = %v after deleting level 1", i, got)
			}
		}
	})
}
