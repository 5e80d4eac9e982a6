package flowapi_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/flow"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

// A plain PATCH of the stage field is a transition like any other: the
// same checks, the same history, no side door.
func TestPlainPatchIsChecked(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.pipeline(t)
		id := e.deal(t, "rep", map[string]any{"name": "Acme"}).str("id")
		patch := func(who string, v map[string]any) *response {
			v["version"] = e.do(t, "admin", "GET", dealPath(id), nil).want(t, 200).num("version")
			return e.do(t, who, "PATCH", dealPath(id), v)
		}
		// No transition leads from lead to won.
		r := patch("rep", map[string]any{"stage": "won", "contract_no": "C-9"}).want(t, 422)
		if r.fieldCodes()["stage"] != "no_transition" || !strings.Contains(string(r.body), `Pipeline \"Sales pipeline\" has no transition from \"Lead\" to \"Won\"`) {
			t.Errorf("lead → won: %s", r.body)
		}
		// Clearing the stage is not a move either.
		if r := patch("rep", map[string]any{"stage": nil}).want(t, 422); r.fieldCodes()["stage"] != "required" {
			t.Errorf("clearing the stage: %s", r.body)
		}
		patch("rep", map[string]any{"stage": "qualified"}).want(t, 200)
		// The guard and the required fields apply to PATCH.
		if r := patch("rep", map[string]any{"stage": "proposal", "amount": 5}).want(t, 422); r.fieldCodes()["stage"] != "guard" {
			t.Errorf("PATCH past a guard: %s", r.body)
		}
		if r := patch("rep", map[string]any{"stage": "proposal", "close_on": "2026-05-01"}).want(t, 422); r.fieldCodes()["amount"] != "required" {
			t.Errorf("PATCH without a required field: %s", r.body)
		}
		patch("rep", map[string]any{"stage": "proposal", "close_on": "2026-05-01", "amount": 5}).want(t, 200)
		// Roles apply to PATCH.
		patch("rep", map[string]any{"stage": "negotiation"}).want(t, 403)
		// The reason must come with the move.
		if r := patch("rep", map[string]any{"stage": "lost"}).want(t, 422); r.fieldCodes()["lost_reason"] != "reason_required" {
			t.Errorf("PATCH lose without a reason: %s", r.body)
		}
		patch("rep", map[string]any{"stage": "lost", "lost_reason": "price"}).want(t, 200)
		// Other fields change freely.
		patch("rep", map[string]any{"name": "Acme Ltd"}).want(t, 200)

		h := e.history(t, id)
		var moves []string
		for _, x := range h {
			moves = append(moves, x.(map[string]any)["to"].(string))
		}
		if strings.Join(moves, ",") != "lead,qualified,proposal,lost" {
			t.Errorf("history after PATCHes: %v", moves)
		}
		if v := e.do(t, "admin", "GET", dealPath(id), nil).num("version"); v != 5 {
			t.Errorf("version %v: refused PATCHes wrote something", v)
		}
	})
}

// Creating a record sets or checks the initial state.
func TestCreateStartsInAnInitialState(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.pipeline(t)
		r := e.do(t, "rep", "POST", deals, map[string]any{"name": "Skip", "stage": "won"}).want(t, 422)
		if r.fieldCodes()["stage"] != "not_initial" || !strings.Contains(string(r.body), "Records start in Lead, not in \\\"Won\\\"") {
			t.Errorf("create into won: %s", r.body)
		}
		if n := e.count(t, `SELECT count(*) FROM stage_history`); n != 0 {
			t.Errorf("a refused create left %d history rows", n)
		}
		// A second initial state that requires a field.
		p := pipeline()
		p["version"] = 1
		st := p["states"].([]any)
		st[0].(map[string]any)["initial"] = true
		st[1].(map[string]any)["initial"] = true
		st[1].(map[string]any)["required"] = []string{"amount"}
		e.do(t, "admin", "PUT", flows+"/pipeline", p).want(t, 200)
		if r := e.do(t, "rep", "POST", deals, map[string]any{"name": "Q", "stage": "qualified"}).want(t, 422); r.fieldCodes()["amount"] != "required" {
			t.Errorf("create into qualified without amount: %s", r.body)
		}
		r = e.deal(t, "rep", map[string]any{"name": "Q", "stage": "qualified", "amount": 100})
		if h := e.history(t, r.str("id")); len(h) != 1 || h[0].(map[string]any)["to"] != "qualified" {
			t.Errorf("history of a record created into qualified: %v", h)
		}
	})
}

// Rule actions write through the same path: a rule that sets the stage
// cannot jump the pipeline, and one that makes a valid move is recorded.
func TestRuleActionsAreChecked(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.pipeline(t)
		e.do(t, "admin", "POST", "/api/apps/crm/rules", map[string]any{"key": "jump", "label": label("Jump", "跳"), "module": "deal",
			"trigger": map[string]any{"type": "created"}, "condition": `name == "jump"`,
			"actions": []any{map[string]any{"type": "set", "values": map[string]string{"stage": `"won"`}}}}).want(t, 201)
		e.do(t, "admin", "POST", "/api/apps/crm/rules", map[string]any{"key": "step", "label": label("Step", "步"), "module": "deal",
			"trigger": map[string]any{"type": "created"}, "condition": `name == "step"`,
			"actions": []any{map[string]any{"type": "set", "values": map[string]string{"stage": `"qualified"`}}}}).want(t, 201)
		jump := e.deal(t, "rep", map[string]any{"name": "jump"}).str("id")
		step := e.deal(t, "rep", map[string]any{"name": "step"}).str("id")
		for i := 0; i < 3; i++ {
			e.runJobs(t)
		}
		if s := e.do(t, "admin", "GET", dealPath(jump), nil).str("stage"); s != "lead" {
			t.Errorf("a rule moved a deal lead → %s, past the pipeline", s)
		}
		runs := e.do(t, "admin", "GET", "/api/apps/crm/rules/jump/runs", nil).want(t, 200)
		if !strings.Contains(string(runs.body), "no transition") {
			t.Errorf("the refused rule run is not logged with the reason: %s", runs.body)
		}
		if s := e.do(t, "admin", "GET", dealPath(step), nil).str("stage"); s != "qualified" {
			t.Errorf("a rule's valid move did not happen: %s", s)
		}
		if h := e.history(t, step); len(h) != 2 || h[1].(map[string]any)["transition"] != "qualify" {
			t.Errorf("history of the rule's move: %v", h)
		}
	})
}

// A guard that fails at run time refuses the move with the error and
// changes nothing.
func TestGuardErrorRefusesTheMove(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		p := pipeline()
		p["transitions"].([]any)[0].(map[string]any)["guard"] = `date(name) < today`
		e.do(t, "admin", "POST", flows, p).want(t, 201)
		id := e.deal(t, "rep", map[string]any{"name": "not a date"}).str("id")
		r := e.fire(t, "rep", id, "qualify", nil).want(t, 422)
		if r.fieldCodes()["stage"] != "guard_error" || !strings.Contains(string(r.body), `could not be evaluated`) {
			t.Errorf("guard error: %s", r.body)
		}
		got := e.do(t, "admin", "GET", dealPath(id), nil)
		if got.str("stage") != "lead" || got.num("version") != 1 || len(e.history(t, id)) != 1 {
			t.Errorf("a failed guard changed something: %s", got.body)
		}
		o := e.do(t, "boss", "GET", dealPath(id)+"/transitions", nil).want(t, 200)
		if o.get("transitions.0.allowed") != false || !strings.Contains(o.str("transitions.0.reasons.0"), "could not be evaluated") {
			t.Errorf("listing of a failing guard: %s", o.body)
		}
	})
}

// 50 concurrent transition requests on one record at one version: exactly
// one moves it, the others are 409, and the history has one entry for the
// move.
func TestConcurrentTransitions(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.pipeline(t)
		id := e.deal(t, "rep", map[string]any{"name": "Race"}).str("id")
		const n = 50
		var wg sync.WaitGroup
		statuses := make([]int, n)
		errs := make([]error, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				r, err := e.try("rep", "POST", dealPath(id)+"/transitions/qualify", map[string]any{"version": 1})
				if err != nil {
					errs[i] = err
					return
				}
				statuses[i] = r.status
			}(i)
		}
		wg.Wait()
		count := map[int]int{}
		for i, s := range statuses {
			if errs[i] != nil {
				t.Fatal(errs[i])
			}
			count[s]++
		}
		if count[200] != 1 || count[409] != n-1 {
			t.Errorf("statuses %v, want one 200 and %d 409", count, n-1)
		}
		h := e.history(t, id)
		if len(h) != 2 || h[1].(map[string]any)["to"] != "qualified" {
			t.Errorf("history after the race: %v", h)
		}
		if v := e.do(t, "admin", "GET", dealPath(id), nil).num("version"); v != 2 {
			t.Errorf("version %v after one move", v)
		}
	})
}

// fakeApprovals stands in for engine/approval: it records the transitions
// submitted for approval.
type fakeApprovals struct {
	mu        sync.Mutex
	submitted []string
}

func (f *fakeApprovals) StartForTransition(ctx context.Context, tx *store.Tx, a record.Actor, m *meta.Module,
	rec store.Record, fl *flow.Flow, tr *flow.Transition, values map[string]any) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.submitted = append(f.submitted, fmt.Sprintf("%s %s %v", rec["id"], tr.Key, values))
	return store.NewID(), nil
}

func (f *fakeApprovals) CheckProcess(ctx context.Context, app string, m *meta.Module, process string) error {
	if process != "big_deal" {
		return fmt.Errorf("no process %s", process)
	}
	return nil
}

// A transition that requires approval starts it and leaves the record
// where it is (202); no other path moves it there; CompleteTransition
// does, checking guards and required fields but not roles again.
func TestTransitionWithApproval(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		fake := &fakeApprovals{}
		e.svc.Flows.Approvals = fake
		p := pipeline()
		win := p["transitions"].([]any)[3].(map[string]any)
		win["approval"] = "big_deal"
		win["roles"] = []string{"manager"}
		bad := clone(t, p)
		bad["transitions"].([]any)[3].(map[string]any)["approval"] = "nope"
		if r := e.do(t, "admin", "POST", flows, bad).want(t, 422); r.fieldCodes()["transitions[3].approval"] != "unknown_process" {
			t.Errorf("unknown approval process: %s", r.body)
		}
		e.do(t, "admin", "POST", flows, p).want(t, 201)

		id := e.deal(t, "rep", map[string]any{"name": "Big", "amount": 900000, "close_on": "2026-04-01"}).str("id")
		e.fire(t, "rep", id, "qualify", nil).want(t, 200)
		e.fire(t, "rep", id, "propose", nil).want(t, 200)
		e.fire(t, "boss", id, "negotiate", nil).want(t, 200)
		// The submission is checked like the move: won needs a contract.
		e.fire(t, "boss", id, "win", nil).want(t, 422)
		e.fire(t, "rep", id, "win", map[string]any{"contract_no": "C-7"}).want(t, 403) // managers only
		r := e.fire(t, "boss", id, "win", map[string]any{"contract_no": "C-7"}).want(t, 202)
		if r.str("instance.id") == "" || len(fake.submitted) != 1 || !strings.Contains(fake.submitted[0], "contract_no:C-7") {
			t.Fatalf("approval start: %s %v", r.body, fake.submitted)
		}
		if s := e.do(t, "admin", "GET", dealPath(id), nil).str("stage"); s != "negotiation" {
			t.Errorf("the record moved before approval: %s", s)
		}
		// No side door: PATCH to won needs the approval.
		v := e.do(t, "admin", "GET", dealPath(id), nil).num("version")
		if r := e.do(t, "admin", "PATCH", dealPath(id), map[string]any{"version": v, "stage": "won", "contract_no": "C-7"}).want(t, 422); r.fieldCodes()["stage"] != "needs_approval" {
			t.Errorf("PATCH into an approval transition: %s", r.body)
		}
		o := e.do(t, "boss", "GET", dealPath(id)+"/transitions", nil).want(t, 200)
		if o.str("transitions.0.approval") != "big_deal" {
			t.Errorf("listing lacks the approval: %s", o.body)
		}

		// The approval engine completes it in its own transaction, as the
		// rep: roles are not checked again (the rep is no manager).
		m, err := e.svc.Meta.Module(context.Background(), "crm", "deal")
		if err != nil {
			t.Fatal(err)
		}
		rep := record.Actor{User: &access.User{ID: e.ids["rep"], Name: "rep"}, Via: "approval"}
		complete := func() error {
			return e.s.InTx(context.Background(), func(tx *store.Tx) error {
				_, err := e.svc.Flows.CompleteTransition(context.Background(), tx, rep, m, id, "pipeline", "win")
				return err
			})
		}
		// Guards are checked again: without the contract number, refused.
		err = complete()
		if err == nil || !strings.Contains(err.Error(), "contract_no") {
			t.Fatalf("complete without contract: %v", err)
		}
		v = e.do(t, "admin", "GET", dealPath(id), nil).num("version")
		e.do(t, "boss", "PATCH", dealPath(id), map[string]any{"version": v, "contract_no": "C-7"}).want(t, 200)
		if err := complete(); err != nil {
			t.Fatal(err)
		}
		if s := e.do(t, "admin", "GET", dealPath(id), nil).str("stage"); s != "won" {
			t.Errorf("after approval the deal is %s", s)
		}
		h := e.history(t, id)
		if last := h[len(h)-1].(map[string]any); last["to"] != "won" || last["transition"] != "win" || last["actor"] != e.ids["rep"] {
			t.Errorf("history of the approved move: %v", last)
		}
		// Completing again: the record no longer is where win leaves.
		if err := complete(); err == nil {
			t.Error("a second completion moved nothing but did not fail")
		}
	})
}

// A guard reads related records through lookups (and rollups, see
// TestTransitionsThroughThePipeline).
func TestGuardReadsLookups(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		p := pipeline()
		p["transitions"].([]any)[0].(map[string]any)["guard"] = `account != nil && account.tier == "gold"`
		p["transitions"].([]any)[0].(map[string]any)["message"] = label("Only gold accounts qualify", "仅金牌客户可进入")
		bad := clone(t, p)
		bad["transitions"].([]any)[0].(map[string]any)["guard"] = `account.nope == "x"`
		e.do(t, "admin", "POST", flows, bad).want(t, 422)
		e.do(t, "admin", "POST", flows, p).want(t, 201)
		accounts := "/api/apps/crm/modules/account/records"
		gold := e.do(t, "admin", "POST", accounts, map[string]any{"name": "G", "tier": "gold"}).want(t, 201).str("id")
		silver := e.do(t, "admin", "POST", accounts, map[string]any{"name": "S", "tier": "silver"}).want(t, 201).str("id")
		g := e.deal(t, "rep", map[string]any{"name": "g", "account": gold}).str("id")
		sv := e.deal(t, "rep", map[string]any{"name": "s", "account": silver}).str("id")
		if r := e.fire(t, "rep", sv, "qualify", nil).want(t, 422); !strings.Contains(string(r.body), "Only gold accounts qualify") {
			t.Errorf("silver account: %s", r.body)
		}
		o := e.do(t, "rep", "GET", dealPath(sv)+"/transitions", nil).want(t, 200)
		if o.get("transitions.0.allowed") != false {
			t.Errorf("listing for a silver account: %s", o.body)
		}
		e.fire(t, "rep", g, "qualify", nil).want(t, 200)
		// The account turns gold: the guard reads it live.
		e.do(t, "admin", "PATCH", accounts+"/"+silver, map[string]any{"version": 1, "tier": "gold"}).want(t, 200)
		e.fire(t, "rep", sv, "qualify", nil).want(t, 200)
	})
}

// Someone who may read a record but not change it sees its transitions,
// none allowed, and why; a role with the stage field read-only likewise.
func TestTransitionsForReaders(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.pipeline(t)
		e.do(t, "admin", "POST", "/api/roles", map[string]any{"key": "viewer", "label": label("Viewer", "只读"),
			"permissions": []any{map[string]any{"app": "crm", "module": "deal", "actions": []string{"read"}}}}).want(t, 201)
		e.do(t, "admin", "POST", "/api/roles", map[string]any{"key": "clerk", "label": label("Clerk", "文员"),
			"permissions": []any{map[string]any{"app": "crm", "module": "deal", "actions": []string{"read", "update"},
				"fields": map[string]string{"stage": "read"}}}}).want(t, 201)
		for _, who := range []string{"viewer", "clerk"} {
			r := e.do(t, "admin", "POST", "/api/users", map[string]any{"email": who + "@example.com", "password": password,
				"name": who, "roles": []string{who}}).want(t, 201)
			e.ids[who] = r.str("id")
			e.tokens[who] = e.login(t, who+"@example.com")
		}
		id := e.deal(t, "rep", map[string]any{"name": "A"}).str("id")
		r := e.do(t, "viewer", "GET", dealPath(id)+"/transitions", nil).want(t, 200)
		if r.get("transitions.0.allowed") != false || r.str("transitions.0.reasons.0") != "You may not change this record." {
			t.Errorf("viewer's transitions: %s", r.body)
		}
		e.fire(t, "viewer", id, "qualify", nil).want(t, 403)
		r = e.do(t, "clerk", "GET", dealPath(id)+"/transitions", nil).want(t, 200)
		if r.get("transitions.0.allowed") != false || !strings.Contains(r.str("transitions.0.reasons.0"), "stage") {
			t.Errorf("clerk's transitions: %s", r.body)
		}
		e.fire(t, "clerk", id, "qualify", nil).want(t, 403)
		if s := e.do(t, "admin", "GET", dealPath(id), nil).str("stage"); s != "lead" {
			t.Errorf("a reader moved the deal to %s", s)
		}
	})
}
