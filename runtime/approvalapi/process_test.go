package approvalapi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

// Process definitions: every problem refused at save with one error each;
// administrators only; a process with running instances cannot be
// deleted; the Mermaid diagram; per-step figures.
func TestProcessDefinitionsDiagramStats(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := setup(t, s, sh("2026-03-02 09:00"))
		bad := map[string]any{"key": "bad", "label": apitest.Label("Bad"), "module": "quote", "condition": "discount >",
			"steps": []any{
				step("a", map[string]any{"type": "role", "role": "ghost"}, "some", "on_timeout", "escalate"),
				step("a", map[string]any{"type": "field", "field": "name"}, "any", "editable", []string{"nope"}, "due", map[string]any{"hours": 8, "calendar": "mars"}),
				step("c", map[string]any{"type": "department_manager", "department": "ghost"}, "all", "skip_if", "amount >>> 1"),
				step("d", map[string]any{"type": "users", "users": []string{"00000000-0000-7000-8000-000000000001"}}, "any"),
				step("e", map[string]any{"type": "manager", "of": "boss", "levels": 9}, "any"),
			}}
		r := f.Do(t, "admin", "POST", "/api/apps/crm/approvals", bad).Want(t, 422)
		for _, field := range []string{"condition", "steps[0].approvers.role", "steps[0].mode", "steps[0].on_timeout", "steps[1].key",
			"steps[1].approvers.field", "steps[1].editable[0]", "steps[1].due.calendar", "steps[2].approvers.department", "steps[2].skip_if",
			"steps[3].approvers.users[0]", "steps[4].approvers.of", "steps[4].approvers.levels"} {
			r.Contains(t, `"field":"`+field+`"`)
		}
		f.Do(t, "admin", "POST", "/api/apps/crm/approvals", map[string]any{"key": "m", "label": apitest.Label("m"), "module": "ghost",
			"steps": []any{step("a", users(f.IDs["dir"]), "any")}}).Want(t, 422).Contains(t, `"field":"module"`)

		good := map[string]any{"key": "quote_ok", "label": map[string]string{"en": `Quote "approval" <b>`, "zh-CN": "报价审批"}, "module": "quote",
			"steps": []any{
				step("manager", managerOf("submitter"), "any", "due", map[string]any{"hours": 8}, "on_timeout", "escalate"),
				step("director", users(f.IDs["dir"]), "all", "skip_if", "amount < 1000"),
			}}
		f.Do(t, "rep", "POST", "/api/apps/crm/approvals", good).Want(t, 403)
		f.Do(t, "admin", "POST", "/api/apps/crm/approvals", good).Want(t, 201)
		f.Do(t, "admin", "POST", "/api/apps/crm/approvals", good).Want(t, 409)
		if l := f.Do(t, "rep", "GET", "/api/apps/crm/approvals", nil).Want(t, 200); len(l.List("approvals")) != 1 {
			t.Fatalf("list: %s", l.Body)
		}
		f.Do(t, "admin", "PUT", "/api/apps/crm/approvals/quote_ok", map[string]any{"label": apitest.Label("x"), "module": "quote",
			"steps": []any{step("a", users(f.IDs["dir"]), "any")}, "version": 7}).Want(t, 409)

		// Diagram: Mermaid, user text escaped.
		d := f.Do(t, "rep", "GET", "/api/apps/crm/approvals/quote_ok/diagram", nil).Want(t, 200)
		src := string(d.Body)
		for _, want := range []string{"flowchart TD", "submit --> s0", "s0 --> s1", "s1 --> approved", "-- \"reject\" --> rejected",
			"skip if amount #lt; 1000", "due 8h → escalate", "manager of submitter ×1", "#quot;approval#quot; #lt;b#gt;"} {
			if !strings.Contains(src, want) {
				t.Errorf("diagram lacks %q:\n%s", want, src)
			}
		}
		if strings.Contains(src, "<b>") {
			t.Errorf("diagram passes markup through:\n%s", src)
		}
		if zh := f.Do(t, "rep", "GET", "/api/apps/crm/approvals/quote_ok/diagram", nil, "Accept-Language", "zh-CN").Want(t, 200); !strings.Contains(string(zh.Body), "报价审批") {
			t.Errorf("zh diagram:\n%s", zh.Body)
		}

		// Figures: instance 1 approved after 2 h (in time; director skipped,
		// amount < 1000); instance 2 returned after 30 h (overdue: due after
		// 8 business hours), resubmitted, then rejected at once.
		i1 := f.submit("rep", f.quote("rep", map[string]any{"amount": 100}), "quote_ok")
		f.Advance(2 * time.Hour)
		f.act("mgr", i1, "approve", nil).Want(t, 200).Contains(t, `"status":"approved"`)
		i2 := f.submit("rep", f.quote("rep", map[string]any{"amount": 5000}), "quote_ok")
		f.Advance(30 * time.Hour)
		f.act("mgr", i2, "return", nil).Want(t, 200)
		f.act("rep", i2, "approve", nil).Want(t, 200)
		f.act("mgr", i2, "reject", nil).Want(t, 200)
		st := f.Do(t, "rep", "GET", "/api/apps/crm/approvals/quote_ok/stats?from=2026-03-01&to=2026-03-31", nil).Want(t, 200)
		m := st.Obj("steps.0")
		if m["step"] != "manager" || st.Num("steps.0.tasks") != 3 || st.Num("steps.0.decided") != 3 || st.Num("steps.0.approvals") != 1 ||
			st.Num("steps.0.returns") != 1 || st.Num("steps.0.rejections") != 1 || st.Num("steps.0.median_hours") != 2 ||
			st.Num("steps.0.avg_hours") < 10.66 || st.Num("steps.0.avg_hours") > 10.67 || st.Num("steps.0.overdue_share") < 0.33 || st.Num("steps.0.overdue_share") > 0.34 {
			t.Fatalf("manager step figures: %s", st.Body)
		}
		if st.Str("steps.1.step") != "director" || st.Num("steps.1.tasks") != 0 {
			t.Fatalf("director step figures: %s", st.Body)
		}
		if empty := f.Do(t, "rep", "GET", "/api/apps/crm/approvals/quote_ok/stats?from=2027-01-01&to=2027-02-01", nil).Want(t, 200); empty.Num("steps.0.tasks") != 0 {
			t.Fatalf("empty period: %s", empty.Body)
		}
		f.Do(t, "rep", "GET", "/api/apps/crm/approvals/quote_ok/stats?from=yesterday", nil).Want(t, 400)

		// Not deleted while an instance runs; after it is withdrawn, yes.
		i3 := f.submit("rep", f.quote("rep", map[string]any{"amount": 5000}), "quote_ok")
		f.Do(t, "admin", "DELETE", "/api/apps/crm/approvals/quote_ok", nil).Want(t, 409).Contains(t, "1 running")
		f.Do(t, "rep", "POST", "/api/approvals/"+i3+"/withdraw", nil).Want(t, 200)
		f.Do(t, "admin", "DELETE", "/api/apps/crm/approvals/quote_ok", nil).Want(t, 204)
		f.Do(t, "rep", "GET", "/api/apps/crm/approvals/quote_ok", nil).Want(t, 404)
		// Finished instances keep their history.
		f.inst(i2)
	})
}
