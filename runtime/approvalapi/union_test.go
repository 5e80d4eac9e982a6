package approvalapi_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

// A 会签 across parties: one step whose approvers are a union of sets (the
// finance role, the submitter's manager, a fixed user who is also in the
// role). In an "all" step each distinct member must approve; in an "any"
// step one of them is enough. A bad union is refused naming its set.
func TestUnionApprovers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := setup(t, s, sh("2026-03-02 09:00"))
		union := func(sets ...map[string]any) map[string]any {
			return map[string]any{"type": "union", "sets": sets}
		}
		finance := map[string]any{"type": "role", "role": "finance"}

		// Refused: one set only, a nested union, an unknown role and a bad
		// manager inside a set — each at its own path.
		bad := map[string]any{"key": "bad", "label": apitest.Label("Bad"), "module": "quote", "steps": []any{
			step("a", union(finance), "all"),
			step("b", union(finance, union(finance, managerOf("submitter"))), "all"),
			step("c", union(map[string]any{"type": "role", "role": "ghost"}, managerOf("nobody")), "all"),
		}}
		r := f.Do(t, "admin", "POST", "/api/apps/crm/approvals", bad, "Accept-Language", "zh-CN").Want(t, 422)
		for _, field := range []string{"steps[0].approvers.sets", "steps[1].approvers.sets[1].type",
			"steps[2].approvers.sets[0].role", "steps[2].approvers.sets[1].of"} {
			r.Contains(t, `"field":"`+field+`"`)
		}
		r.Contains(t, "组合审批人须包含 2 到 10 组审批人")

		f.process("board", []map[string]any{
			step("board", union(finance, managerOf("submitter"), users(f.IDs["fin"], f.IDs["carol"])), "all"),
		})
		f.process("either", []map[string]any{
			step("either", union(finance, managerOf("submitter")), "any"),
		})

		// 会签: fin (in the role and named again), mgr (rep's manager) and
		// carol each get one task; the step waits for all three.
		q := f.quote("rep", map[string]any{"name": "联合审批"})
		id := f.submit("rep", q, "board")
		if got := sorted(f.pendingOf(id)); !slices.Equal(got, []string{"carol", "fin", "mgr"}) {
			t.Fatalf("union approvers: %v", got)
		}
		f.act("mgr", id, "approve", nil).Want(t, 200).Contains(t, `"status":"pending"`)
		f.act("fin", id, "approve", nil).Want(t, 200).Contains(t, `"status":"pending"`)
		if done := f.act("carol", id, "approve", nil).Want(t, 200); done.Str("status") != "approved" {
			t.Fatalf("after all three: %s", done.Body)
		}

		// 或签 over a union: the first approval completes the step and
		// cancels the other task.
		q2 := f.quote("rep", map[string]any{"name": "任一审批"})
		id2 := f.submit("rep", q2, "either")
		if got := sorted(f.pendingOf(id2)); !slices.Equal(got, []string{"fin", "mgr"}) {
			t.Fatalf("any-of union: %v", got)
		}
		if done := f.act("fin", id2, "approve", nil).Want(t, 200); done.Str("status") != "approved" {
			t.Fatalf("one approval of an any step: %s", done.Body)
		}
		if got := f.pendingOf(id2); len(got) != 0 {
			t.Fatalf("still pending after the step: %v", got)
		}

		d := f.Do(t, "admin", "GET", "/api/apps/crm/approvals/board/diagram", nil).Want(t, 200)
		if !strings.Contains(string(d.Body), "role finance + manager of submitter ×1 + 2 user(s)") {
			t.Fatalf("diagram: %s", d.Body)
		}
	})
}
