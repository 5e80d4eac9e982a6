package approvalapi_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

// Each on_timeout behaviour with the controllable clock and the default
// calendar's 调休: a step due in 8 business hours, submitted on Friday
// 13 Feb 2026 17:00 (before the Spring Festival), is due on Saturday
// 14 Feb 17:00 — a make-up workday — and nothing happens a minute before.
func TestTimeouts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := setup(t, s, sh("2026-02-13 17:00"))
		due := map[string]any{"hours": 8}
		for _, b := range []string{"remind", "escalate", "approve", "reject"} {
			f.process("t_"+b, []map[string]any{
				step("first", users(f.IDs["mgr"]), "any", "due", due, "on_timeout", b),
				step("second", users(f.IDs["carol"]), "any"),
			})
		}
		f.Do(t, "admin", "POST", "/api/apps/crm/rules", map[string]any{"key": "late", "label": apitest.Label("late"), "module": "quote",
			"trigger": map[string]any{"type": "approval_step_timed_out"},
			"actions": []any{map[string]any{"type": "set", "values": map[string]string{"note": `"overdue"`}}}}).Want(t, 201)
		ids, recs := map[string]string{}, map[string]string{}
		for _, b := range []string{"remind", "escalate", "approve", "reject"} {
			recs[b] = f.quote("rep", map[string]any{"name": b})
			ids[b] = f.submit("rep", recs[b], "t_"+b)
		}
		want := sh("2026-02-14 17:00")
		task := f.inst(ids["remind"]).Obj("tasks.0")
		if got, _ := time.Parse(time.RFC3339Nano, task["due_at"].(string)); !got.Equal(want) {
			t.Fatalf("due %s, want %s (Saturday 14 Feb is a 调休 workday)", got.In(shanghai), want)
		}
		if in := f.Do(t, "mgr", "GET", "/api/approvals", nil).Want(t, 200); in.Str("items.0.due_at") == "" {
			t.Fatalf("inbox lacks the due time: %s", in.Body)
		}
		notes := func(who string) int {
			return len(f.Do(t, who, "GET", "/api/notifications", nil).Want(t, 200).List("notifications"))
		}
		mgrNotes := notes("mgr")

		f.Set(want.Add(-time.Minute))
		f.RunJobs(t)
		for b, id := range ids {
			if slices.Contains(f.actions(id), "timeout") {
				t.Fatalf("%s timed out a minute early", b)
			}
		}
		f.Set(want)
		f.RunJobs(t)
		f.RunJobs(t) // the rules the timeouts fired

		// remind: mgr is notified again, the task stays.
		if got := f.pendingOf(ids["remind"]); !slices.Equal(got, []string{"mgr"}) || notes("mgr") <= mgrNotes {
			t.Errorf("remind: pending %v, notifications %d → %d", got, mgrNotes, notes("mgr"))
		}
		// escalate: the task goes to mgr's manager, dir, with a new due
		// time: 1 h on Saturday, then 7 h on Tuesday 24 Feb (15–23 off).
		e := f.inst(ids["escalate"])
		if got := f.pendingOf(ids["escalate"]); !slices.Equal(got, []string{"dir"}) {
			t.Errorf("escalate: pending %v", got)
		}
		if got, _ := time.Parse(time.RFC3339Nano, e.Str("tasks.0.due_at")); !got.Equal(sh("2026-02-24 17:00")) {
			t.Errorf("escalated due %s, want 2026-02-24 17:00", got.In(shanghai))
		}
		// approve: auto-approved by the system, on to the next step.
		a := f.inst(ids["approve"])
		if a.Str("step") != "second" || !slices.Contains(f.actions(ids["approve"]), "auto_approve") {
			t.Errorf("approve on timeout: %s", a.Body)
		}
		// reject: auto-rejected.
		if r := f.inst(ids["reject"]); r.Str("status") != "rejected" || !slices.Contains(f.actions(ids["reject"]), "auto_reject") {
			t.Errorf("reject on timeout: %s", r.Body)
		}
		// Each fired approval_step_timed_out once.
		for b, id := range ids {
			if n := count(f.actions(id), "timeout"); n != 1 {
				t.Errorf("%s: %d timeouts", b, n)
			}
			if note := f.Do(t, "admin", "GET", recPath(recs[b]), nil).Want(t, 200).Str("note"); note != "overdue" {
				t.Errorf("%s: approval_step_timed_out rule did not run (note %q)", b, note)
			}
		}
		// Running the jobs again changes nothing: each timeout acts once.
		f.RunJobs(t)
		if n := count(f.actions(ids["remind"]), "timeout"); n != 1 {
			t.Errorf("remind timed out %d times", n)
		}
		// The escalated task times out again at its new due time; dir has
		// no manager, so dir is reminded and the history says why.
		f.Set(sh("2026-02-24 17:00"))
		f.RunJobs(t)
		if acts := f.actions(ids["escalate"]); count(acts, "escalate") != 1 || count(acts, "escalate_failed") != 1 || count(acts, "timeout") != 2 {
			t.Errorf("second timeout of the escalated task: %v", acts)
		}
		// Deciding before the due time cancels the timer.
		q := f.quote("rep", map[string]any{})
		id := f.submit("rep", q, "t_reject")
		f.act("mgr", id, "approve", nil).Want(t, 200)
		f.Set(sh("2026-03-10 17:00"))
		f.RunJobs(t)
		if slices.Contains(f.actions(id), "timeout") {
			t.Error("a decided task timed out")
		}
	})
}

// Two approvers of an 或签 step approve at the same instant: one decision
// counts, the other is a conflict, and the process advances once.
func TestConcurrentAnyApprovals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := setup(t, s, sh("2026-03-02 09:00"))
		f.process("pair", []map[string]any{
			step("either", users(f.IDs["bob"], f.IDs["carol"]), "any"),
			step("then", users(f.IDs["dir"]), "any"),
		})
		for round := 0; round < 5; round++ {
			id := f.submit("rep", f.quote("rep", map[string]any{}), "pair")
			tasks := map[string]string{"bob": f.task(id, "bob"), "carol": f.task(id, "carol")}
			var wg sync.WaitGroup
			start := make(chan struct{})
			status := make(chan int, 2)
			for who, task := range tasks {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					r, err := f.Try(who, "POST", fmt.Sprintf("/api/approvals/%s/tasks/%s/approve", id, task), nil)
					if err != nil {
						status <- 0
						return
					}
					status <- r.Status
				}()
			}
			close(start)
			wg.Wait()
			close(status)
			var got []int
			for st := range status {
				got = append(got, st)
			}
			slices.Sort(got)
			if !slices.Equal(got, []int{200, 409}) {
				t.Fatalf("round %d: statuses %v, want one 200 and one 409", round, got)
			}
			acts := f.actions(id)
			if count(acts, "approve") != 1 {
				t.Fatalf("round %d: %d approvals counted: %v", round, count(acts, "approve"), acts)
			}
			if got := f.pendingOf(id); !slices.Equal(got, []string{"dir"}) {
				t.Fatalf("round %d: advanced to %v", round, got)
			}
		}
	})
}

// The rule action {"type": "approval"} submits the record from a rule,
// with its owner as submitter.
func TestRuleActionStartsApproval(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := setup(t, s, sh("2026-03-02 09:00"))
		f.process("auto", []map[string]any{step("manager", managerOf("submitter"), "any")})
		f.Do(t, "admin", "POST", "/api/apps/crm/rules", map[string]any{"key": "big", "label": apitest.Label("big"), "module": "quote",
			"trigger": map[string]any{"type": "created"}, "condition": "amount > 10000",
			"actions": []any{map[string]any{"type": "approval", "process": "nope_missing"}}}).Want(t, 201)
		f.Do(t, "admin", "POST", "/api/apps/crm/rules", map[string]any{"key": "bad", "label": apitest.Label("bad"), "module": "quote",
			"trigger": map[string]any{"type": "created"}, "actions": []any{map[string]any{"type": "approval"}}}).Want(t, 422).Contains(t, "actions[0].process")
		f.Do(t, "admin", "PUT", "/api/apps/crm/rules/big", map[string]any{"label": apitest.Label("big"), "module": "quote", "enabled": true,
			"trigger": map[string]any{"type": "created"}, "condition": "amount > 10000",
			"actions": []any{map[string]any{"type": "approval", "process": "auto"}}}).Want(t, 200)
		small := f.quote("rep", map[string]any{"amount": 10})
		big := f.quote("rep", map[string]any{"amount": 50000})
		f.RunJobs(t)
		if l := f.Do(t, "rep", "GET", recPath(small)+"/approvals", nil).Want(t, 200); len(l.List("approvals")) != 0 {
			t.Fatalf("small quote: %s", l.Body)
		}
		l := f.Do(t, "rep", "GET", recPath(big)+"/approvals", nil).Want(t, 200)
		if len(l.List("approvals")) != 1 || l.Str("approvals.0.source") != "rule" || l.Str("approvals.0.submitter") != f.IDs["rep"] {
			t.Fatalf("big quote: %s", l.Body)
		}
		if got := f.pendingOf(l.Str("approvals.0.id")); !slices.Equal(got, []string{"mgr"}) {
			t.Fatalf("the rule's approval goes to the owner's manager: %v", got)
		}
	})
}
