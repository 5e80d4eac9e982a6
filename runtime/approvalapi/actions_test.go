package approvalapi_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

// Return (退回) to a named earlier step and to the submitter, transfer
// (转交), add an approver before and after oneself (加签), reject.
func TestReturnTransferAddApproverReject(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := setup(t, s, sh("2026-03-02 09:00"))
		f.process("three", []map[string]any{
			step("manager", managerOf("submitter"), "any"),
			step("director", users(f.IDs["dir"]), "any"),
			step("finance", users(f.IDs["fin"]), "any"),
		})
		q := f.quote("rep", map[string]any{"amount": 1000})
		id := f.submit("rep", q, "three")
		f.act("mgr", id, "approve", nil).Want(t, 200)

		// Return to a step that is not earlier is refused; to "manager" works.
		f.act("dir", id, "return", map[string]any{"to_step": "finance"}).Want(t, 422).Contains(t, `"to_step"`)
		f.act("dir", id, "return", map[string]any{"to_step": "manager", "comment": "check the amount"}).Want(t, 200).Contains(t, `"step":"manager"`)
		if got := f.pendingOf(id); !slices.Equal(got, []string{"mgr"}) {
			t.Fatalf("after return to manager: %v", got)
		}
		// Transfer: bob decides instead of mgr; mgr can no longer act.
		mgrTask := f.task(id, "mgr")
		f.act("mgr", id, "transfer", map[string]any{"user": f.IDs["bob"]}).Want(t, 200)
		f.Do(t, "mgr", "POST", "/api/approvals/"+id+"/tasks/"+mgrTask+"/approve", nil).Want(t, 403)
		f.act("bob", id, "transfer", map[string]any{"user": "00000000-0000-7000-8000-000000000000"}).Want(t, 422)
		f.act("bob", id, "approve", nil).Want(t, 200)

		// 加签 before: carol decides first, then dir again.
		dirTask := f.task(id, "dir")
		f.act("dir", id, "add-approver", map[string]any{"user": f.IDs["carol"], "position": "before"}).Want(t, 200)
		f.Do(t, "dir", "POST", "/api/approvals/"+id+"/tasks/"+dirTask+"/approve", nil).Want(t, 409)
		if got := f.pendingOf(id); !slices.Equal(got, []string{"carol"}) {
			t.Fatalf("after add before: %v", got)
		}
		f.act("carol", id, "approve", nil).Want(t, 200).Contains(t, `"step":"director"`)
		// 加签 after: dir approves, then carol decides, then the step is done.
		f.act("dir", id, "add-approver", map[string]any{"user": f.IDs["carol"], "position": "sideways"}).Want(t, 422)
		f.act("dir", id, "add-approver", map[string]any{"user": f.IDs["carol"], "position": "after"}).Want(t, 200)
		f.act("dir", id, "approve", nil).Want(t, 200).Contains(t, `"step":"director"`)
		if got := f.pendingOf(id); !slices.Equal(got, []string{"carol"}) {
			t.Fatalf("after dir approved with carol added after: %v", got)
		}
		f.act("carol", id, "approve", nil).Want(t, 200).Contains(t, `"step":"finance"`)

		// fin, an approver, sees the record without the field fin's role
		// hides; comments are for the task's assignee and the submitter.
		if v := f.Do(t, "fin", "GET", "/api/approvals/"+id, nil).Want(t, 200); v.Obj("record")["name"] == nil || v.Obj("record")["amount"] != nil {
			t.Fatalf("fin's view of the record: %s", v.Body)
		}
		finTask := f.task(id, "fin")
		f.Do(t, "fin", "POST", "/api/approvals/"+id+"/tasks/"+finTask+"/comment", map[string]any{"comment": "looking"}).Want(t, 200)
		f.Do(t, "rep", "POST", "/api/approvals/"+id+"/tasks/"+finTask+"/comment", map[string]any{"comment": "thanks"}).Want(t, 200)
		f.Do(t, "carol", "POST", "/api/approvals/"+id+"/tasks/"+finTask+"/comment", map[string]any{"comment": "me too"}).Want(t, 403)
		f.Do(t, "fin", "POST", "/api/approvals/"+id+"/tasks/"+finTask+"/comment", map[string]any{}).Want(t, 422)
		f.Do(t, "fin", "POST", "/api/approvals/"+id+"/tasks/"+finTask+"/dance", nil).Want(t, 404)
		if acts := f.actions(id); count(acts, "comment") != 2 {
			t.Fatalf("comments in the history: %v", acts)
		}

		// Return to the submitter: rep may change the record (others may
		// not), then resubmits and the process starts over.
		f.act("fin", id, "return", map[string]any{"comment": "missing details"}).Want(t, 200).Contains(t, `"step":"submitter"`)
		if in := f.Do(t, "rep", "GET", "/api/approvals", nil).Want(t, 200); in.Str("items.0.kind") != "resubmit" || in.Str("items.0.step") != "submitter" {
			t.Fatalf("rep's inbox after a return: %s", in.Body)
		}
		f.act("rep", id, "reject", nil).Want(t, 422)
		rec := f.Do(t, "rep", "GET", recPath(q), nil).Want(t, 200)
		f.Do(t, "rep", "PATCH", recPath(q), map[string]any{"version": rec.Num("version"), "amount": 1200}).Want(t, 200)
		f.act("rep", id, "approve", map[string]any{"comment": "fixed"}).Want(t, 200).Contains(t, `"step":"manager"`)

		// Reject ends the process and fires approval_rejected.
		f.Do(t, "admin", "POST", "/api/apps/crm/rules", map[string]any{"key": "on_reject", "label": apitest.Label("r"), "module": "quote",
			"trigger": map[string]any{"type": "approval_rejected"},
			"actions": []any{map[string]any{"type": "set", "values": map[string]string{"note": `"rejected"`}}}}).Want(t, 201)
		f.act("mgr", id, "reject", map[string]any{"comment": "no"}).Want(t, 200).Contains(t, `"status":"rejected"`)
		f.RunJobs(t)
		if note := f.Do(t, "admin", "GET", recPath(q), nil).Want(t, 200).Str("note"); note != "rejected" {
			t.Fatalf("approval_rejected rule: note = %q", note)
		}
		if got := f.pendingOf(id); len(got) != 0 {
			t.Fatalf("tasks after reject: %v", got)
		}
		acts := f.actions(id)
		for _, want := range []string{"return", "transfer", "add_approver", "resubmit", "reject", "finish"} {
			if !slices.Contains(acts, want) {
				t.Errorf("history lacks %s: %v", want, acts)
			}
		}
		// Acting on a finished instance is a conflict.
		f.Do(t, "admin", "POST", "/api/approvals/"+id+"/withdraw", nil).Want(t, 403)
		f.Do(t, "rep", "POST", "/api/approvals/"+id+"/withdraw", nil).Want(t, 409)
	})
}

// Withdraw (撤回) while nobody acted on the current step, not after; remind
// (催办) by the submitter, at most once an hour.
func TestWithdrawAndRemind(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := setup(t, s, sh("2026-03-02 09:00"))
		f.process("two", []map[string]any{step("manager", managerOf("submitter"), "any"), step("director", users(f.IDs["dir"], f.IDs["carol"]), "any")})
		q := f.quote("rep", map[string]any{})
		id := f.submit("rep", q, "two")

		notes := func(who string) int {
			return len(f.Do(t, who, "GET", "/api/notifications", nil).Want(t, 200).List("notifications"))
		}
		before := notes("mgr")
		f.Do(t, "mgr", "POST", "/api/approvals/"+id+"/remind", nil).Want(t, 403)
		f.Do(t, "rep", "POST", "/api/approvals/"+id+"/remind", map[string]any{"comment": "urgent"}).Want(t, 200)
		if notes("mgr") != before+1 {
			t.Fatalf("remind did not notify the approver")
		}
		f.Do(t, "rep", "POST", "/api/approvals/"+id+"/remind", nil).Want(t, 429).Contains(t, "minute")
		f.Advance(61 * time.Minute)
		f.Do(t, "rep", "POST", "/api/approvals/"+id+"/remind", nil).Want(t, 200)

		// mgr approved step 1; nobody acted on step 2 yet: withdraw works.
		f.act("mgr", id, "approve", nil).Want(t, 200)
		f.Do(t, "mgr", "POST", "/api/approvals/"+id+"/withdraw", nil).Want(t, 403)
		f.Do(t, "rep", "POST", "/api/approvals/"+id+"/withdraw", map[string]any{"comment": "not needed"}).Want(t, 200).Contains(t, `"status":"withdrawn"`)
		if got := f.pendingOf(id); len(got) != 0 {
			t.Fatalf("tasks after withdraw: %v", got)
		}

		// Once someone acted on the current step (a transfer), it is too late.
		id2 := f.submit("rep", q, "two")
		f.act("mgr", id2, "transfer", map[string]any{"user": f.IDs["bob"]}).Want(t, 200)
		f.Do(t, "rep", "POST", "/api/approvals/"+id2+"/withdraw", nil).Want(t, 409).Contains(t, "already acted")
	})
}

// The record is locked while pending: only the current approvers, and
// only their step's editable fields; approvers' field changes are part of
// the decision. Approvers see the record outside their read scope.
func TestLockEditableAndVisibility(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := setup(t, s, sh("2026-03-02 09:00"))
		f.process("locked", []map[string]any{step("manager", managerOf("submitter"), "any", "editable", []string{"discount"})})
		f.process("open", []map[string]any{step("manager", managerOf("submitter"), "any")}, "lock", false)
		q := f.quote("rep", map[string]any{"name": "Locked deal", "discount": 0.3})
		id := f.submit("rep", q, "locked")

		// Nobody edits or deletes it meanwhile, not even the owner or an admin.
		f.Do(t, "rep", "PATCH", recPath(q), map[string]any{"version": 1, "name": "changed"}).Want(t, 403).Contains(t, "locked", "Process locked")
		f.Do(t, "admin", "PATCH", recPath(q), map[string]any{"version": 1, "note": "x"}).Want(t, 403)
		f.Do(t, "rep", "DELETE", recPath(q), nil).Want(t, 403)
		f.Do(t, "rep", "PATCH", recPath(q), map[string]any{"version": 1, "name": "x"}, "Accept-Language", "zh-CN").Want(t, 403).Contains(t, "记录已锁定")

		// mgr reads only own quotes, yet sees this one through the approval.
		f.Do(t, "mgr", "GET", recPath(q), nil).Want(t, 404)
		if v := f.Do(t, "mgr", "GET", "/api/approvals/"+id, nil).Want(t, 200); v.Str("record.name") != "Locked deal" {
			t.Fatalf("approver's view: %s", v.Body)
		}
		f.Do(t, "carol", "GET", "/api/approvals/"+id, nil).Want(t, 404)
		f.Do(t, "fin", "GET", "/api/approvals/"+id, nil).Want(t, 200).Contains(t, `"status":"pending"`)
		if v := f.Do(t, "fin", "GET", "/api/approvals/"+id, nil).Want(t, 200); v.Get("record") != nil {
			t.Fatalf("a reader who is no participant gets the instance without the record: %s", v.Body)
		}

		// mgr may change the editable field with the decision, nothing else.
		f.act("mgr", id, "approve", map[string]any{"values": map[string]any{"name": "mine"}}).Want(t, 422).Contains(t, "values.name")
		f.act("mgr", id, "approve", map[string]any{"values": map[string]any{"discount": 0.2}, "comment": "20% max"}).Want(t, 200).Contains(t, `"status":"approved"`)
		h := f.inst(id)
		var ch map[string]any
		for _, d := range h.List("decisions") {
			if d.(map[string]any)["action"] == "approve" {
				ch = d.(map[string]any)["changes"].(map[string]any)
			}
		}
		if c, _ := ch["discount"].(map[string]any); c == nil || apitest.Lookup(c, "to") == nil {
			t.Fatalf("the decision keeps the field change: %s", h.Body)
		}
		rec := f.Do(t, "rep", "GET", recPath(q), nil).Want(t, 200)
		if rec.Num("discount") != 0.2 || rec.Str("updated_by") != f.IDs["mgr"] {
			t.Fatalf("record after the approver's change: %s", rec.Body)
		}
		// Finished: the lock is gone.
		f.Do(t, "rep", "PATCH", recPath(q), map[string]any{"version": rec.Num("version"), "name": "after"}).Want(t, 200)

		// A field hidden from the approver cannot be edited, even if listed.
		f.process("hidden", []map[string]any{step("finance", users(f.IDs["fin"]), "any", "editable", []string{"amount", "note"})})
		hid := f.submit("rep", f.quote("rep", map[string]any{"amount": 10}), "hidden")
		f.act("fin", hid, "approve", map[string]any{"values": map[string]any{"amount": 99}}).Want(t, 422).Contains(t, "values.amount")
		f.act("fin", hid, "approve", map[string]any{"values": map[string]any{"note": "fine"}}).Want(t, 200)

		// A title field hidden from an approver never reaches them: not in
		// the inbox, the instance or the notification.
		f.Do(t, "admin", "POST", "/api/roles", map[string]any{"key": "blind", "label": apitest.Label("Blind"), "permissions": []any{
			map[string]any{"app": "crm", "module": "quote", "actions": []string{"read"}, "fields": map[string]string{"name": "hidden"}},
		}}).Want(t, 201)
		f.Do(t, "admin", "PATCH", "/api/users/"+f.IDs["carol"], map[string]any{"roles": []string{"blind"}}).Want(t, 200)
		f.process("blind", []map[string]any{step("look", users(f.IDs["carol"]), "any")})
		secret := f.quote("rep", map[string]any{"name": "Secret name"})
		bid := f.submit("rep", secret, "blind")
		for _, r := range []*apitest.Response{
			f.Do(t, "carol", "GET", "/api/approvals", nil).Want(t, 200),
			f.Do(t, "carol", "GET", "/api/approvals/"+bid, nil).Want(t, 200),
			f.Do(t, "carol", "GET", "/api/notifications", nil).Want(t, 200),
		} {
			if contains(r.Body, "Secret name") {
				t.Fatalf("the hidden title leaks: %s", r.Body)
			}
		}
		if in := f.Do(t, "carol", "GET", "/api/approvals", nil).Want(t, 200); in.Str("items.0.title") != secret {
			t.Fatalf("carol's inbox names the record by id: %s", in.Body)
		}

		// A process with "lock": false leaves the record editable.
		q2 := f.quote("rep", map[string]any{})
		f.submit("rep", q2, "open")
		f.Do(t, "rep", "PATCH", recPath(q2), map[string]any{"version": 1, "note": "still editable"}).Want(t, 200)
	})
}

// A disabled approver's task goes to their manager (with the reason in the
// history); an empty approver set goes to the submitter's manager, else to
// the administrators.
func TestDisabledAndEmptyApprovers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := setup(t, s, sh("2026-03-02 09:00"))
		f.process("fixed", []map[string]any{step("one", users(f.IDs["bob"]), "any")})
		f.process("byfield", []map[string]any{step("one", map[string]any{"type": "field", "field": "approver"}, "any")})
		f.Do(t, "admin", "POST", "/api/roles", map[string]any{"key": "nobody", "label": apitest.Label("Nobody"), "permissions": []any{}}).Want(t, 201)
		f.process("byrole", []map[string]any{step("one", map[string]any{"type": "role", "role": "nobody"}, "any")})

		f.Do(t, "admin", "PATCH", "/api/users/"+f.IDs["bob"], map[string]any{"disabled": true}).Want(t, 200)
		id := f.submit("rep", f.quote("rep", map[string]any{}), "fixed")
		if got := f.pendingOf(id); !slices.Equal(got, []string{"mgr"}) {
			t.Fatalf("disabled bob's task went to %v", got)
		}
		h := f.inst(id)
		if !contains(h.Body, "is disabled or has left: assigned to their manager mgr (mgr@example.com)") || h.Str("tasks.0.reason") == "" {
			t.Fatalf("the history says why: %s", h.Body)
		}
		if zh := f.Do(t, "admin", "GET", "/api/approvals/"+id, nil, "Accept-Language", "zh-CN").Want(t, 200); !contains(zh.Body, "已停用或离职，已转给其上级 mgr") {
			t.Fatalf("the reason in Chinese: %s", zh.Body)
		}

		id = f.submit("rep", f.quote("rep", map[string]any{}), "byfield")
		if got := f.pendingOf(id); !slices.Equal(got, []string{"mgr"}) || !contains(f.inst(id).Body, "submitter's manager") {
			t.Fatalf("empty field approver: %v %s", got, f.inst(id).Body)
		}
		// mgr's inbox now holds both, a page at a time.
		p1 := f.Do(t, "mgr", "GET", "/api/approvals?box=pending&limit=1", nil).Want(t, 200)
		p2 := f.Do(t, "mgr", "GET", "/api/approvals?box=pending&limit=1&cursor="+p1.Str("next_cursor"), nil).Want(t, 200)
		if len(p1.List("items")) != 1 || len(p2.List("items")) != 1 || p2.Str("next_cursor") != "" || p1.Str("items.0.task") == p2.Str("items.0.task") {
			t.Fatalf("inbox pages: %s / %s", p1.Body, p2.Body)
		}
		f.Do(t, "mgr", "GET", "/api/approvals?cursor=garbage", nil).Want(t, 400)

		// The administrator has no manager: a role without members goes to
		// the administrators.
		id = f.submit("admin", f.quote("admin", map[string]any{}), "byrole")
		if got := f.pendingOf(id); !slices.Equal(got, []string{"admin"}) || !contains(f.inst(id).Body, "administrators") {
			t.Fatalf("empty role: %v", got)
		}
	})
}

func contains(b []byte, s string) bool { return strings.Contains(string(b), s) }
