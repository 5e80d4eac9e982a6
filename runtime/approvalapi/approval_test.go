package approvalapi_test

import (
	"slices"
	"testing"

	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

// A two-step process: the submitter's manager (或签), then director and
// finance together (会签). The process changes while an instance runs: the
// instance finishes on its version. Rules fire on submission and approval.
// The inbox shows each box.
func TestAnyThenAllAcrossVersions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := setup(t, s, sh("2026-03-02 09:00"))
		f.process("discount", []map[string]any{
			step("manager", managerOf("submitter"), "any"),
			step("board", users(f.IDs["dir"], f.IDs["fin"]), "all"),
		}, "condition", "discount > 0.1")
		for _, r := range []map[string]any{
			{"key": "on_submit", "label": apitest.Label("s"), "module": "quote", "trigger": map[string]any{"type": "approval_submitted"},
				"actions": []any{map[string]any{"type": "set", "values": map[string]string{"note": `"submitted"`}}}},
			{"key": "on_approve", "label": apitest.Label("a"), "module": "quote", "trigger": map[string]any{"type": "approval_approved", "process": "discount"},
				"actions": []any{map[string]any{"type": "set", "values": map[string]string{"note": `"approved"`}}}},
			{"key": "other", "label": apitest.Label("o"), "module": "quote", "trigger": map[string]any{"type": "approval_approved", "process": "nope"},
				"actions": []any{map[string]any{"type": "set", "values": map[string]string{"note": `"wrong process"`}}}},
		} {
			f.Do(t, "admin", "POST", "/api/apps/crm/rules", r).Want(t, 201)
		}

		q := f.quote("rep", map[string]any{"name": "华东大单", "discount": 0.05})
		// The start condition picks the process: not met.
		f.Do(t, "rep", "POST", recPath(q)+"/approvals", map[string]any{"process": "discount"}).Want(t, 422).Contains(t, "start condition")
		f.Do(t, "rep", "POST", recPath(q)+"/approvals", map[string]any{}).Want(t, 422)
		f.Do(t, "rep", "PATCH", recPath(q), map[string]any{"version": 1, "discount": 0.15}).Want(t, 200)
		// Without a process named, the first one whose condition holds.
		r := f.Do(t, "rep", "POST", recPath(q)+"/approvals", map[string]any{"comment": "please"}).Want(t, 201)
		id := r.Str("id")
		if r.Str("status") != "pending" || r.Str("step") != "manager" || r.Num("process_version") != 1 || r.Str("title") != "华东大单" {
			t.Fatalf("submitted: %s", r.Body)
		}
		// A second submission while one is pending is refused.
		f.Do(t, "rep", "POST", recPath(q)+"/approvals", map[string]any{"process": "discount"}).Want(t, 409)
		if got := f.pendingOf(id); !slices.Equal(got, []string{"mgr"}) {
			t.Fatalf("manager step goes to %v", got)
		}
		f.RunJobs(t)
		if note := f.Do(t, "admin", "GET", recPath(q), nil).Want(t, 200).Str("note"); note != "submitted" {
			t.Fatalf("approval_submitted rule: note = %q", note)
		}

		// The inbox of mgr: the record's title, app, module, step.
		in := f.Do(t, "mgr", "GET", "/api/approvals?box=pending", nil).Want(t, 200)
		if len(in.List("items")) != 1 || in.Str("items.0.title") != "华东大单" || in.Str("items.0.instance") != id ||
			in.Str("items.0.app") != "crm" || in.Str("items.0.module") != "quote" || in.Str("items.0.record") != q ||
			in.Str("items.0.step") != "manager" || in.Str("items.0.task") == "" {
			t.Fatalf("inbox: %s", in.Body)
		}
		f.Do(t, "mgr", "GET", "/api/approvals?box=nope", nil).Want(t, 400)

		// The process changes while the instance runs: one step only now.
		f.Do(t, "admin", "PUT", "/api/apps/crm/approvals/discount", map[string]any{"label": apitest.Label("v2"), "module": "quote",
			"steps": []any{step("only", users(f.IDs["carol"]), "any")}, "version": 1}).Want(t, 200).Contains(t, `"version":2`)

		// 或签: mgr's approval completes the step; 会签: both must approve.
		f.act("mgr", id, "approve", map[string]any{"comment": "ok"}).Want(t, 200)
		if got := f.pendingOf(id); !slices.Equal(sorted(got), []string{"dir", "fin"}) {
			t.Fatalf("the running instance stays on version 1: board step goes to %v", got)
		}
		f.act("dir", id, "approve", nil).Want(t, 200).Contains(t, `"status":"pending"`)
		done := f.act("fin", id, "approve", map[string]any{"comment": "同意"}).Want(t, 200)
		if done.Str("status") != "approved" {
			t.Fatalf("after all approvals: %s", done.Body)
		}
		f.RunJobs(t)
		if note := f.Do(t, "admin", "GET", recPath(q), nil).Want(t, 200).Str("note"); note != "approved" {
			t.Fatalf("approval_approved rule (process filter): note = %q", note)
		}
		acts := f.actions(id)
		if !slices.Equal(acts, []string{"submit", "approve", "approve", "approve", "finish"}) {
			t.Fatalf("history: %v", acts)
		}
		// Every decision is kept with who, when and the comment.
		h := f.inst(id)
		if h.Str("decisions.1.actor") != f.IDs["mgr"] || h.Str("decisions.1.comment") != "ok" || h.Str("decisions.1.at") == "" {
			t.Fatalf("decision: %s", h.Body)
		}

		// Boxes: done for the approvers, submitted for the submitter.
		if d := f.Do(t, "fin", "GET", "/api/approvals?box=done", nil).Want(t, 200); d.Str("items.0.action") != "approve" || d.Str("items.0.status") != "approved" {
			t.Fatalf("done box: %s", d.Body)
		}
		if sb := f.Do(t, "rep", "GET", "/api/approvals?box=submitted", nil).Want(t, 200); len(sb.List("items")) != 1 || sb.Str("items.0.instance") != id {
			t.Fatalf("submitted box: %s", sb.Body)
		}
		if p := f.Do(t, "mgr", "GET", "/api/approvals", nil).Want(t, 200); len(p.List("items")) != 0 {
			t.Fatalf("pending box after deciding: %s", p.Body)
		}
		// The record's instances.
		list := f.Do(t, "rep", "GET", recPath(q)+"/approvals", nil).Want(t, 200)
		if len(list.List("approvals")) != 1 || list.Str("approvals.0.status") != "approved" {
			t.Fatalf("record approvals: %s", list.Body)
		}
		// A new instance starts on version 2.
		r2 := f.Do(t, "rep", "POST", recPath(q)+"/approvals", map[string]any{"process": "discount"}).Want(t, 201)
		if r2.Num("process_version") != 2 || r2.Str("step") != "only" {
			t.Fatalf("new instance: %s", r2.Body)
		}
	})
}

func sorted(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }
