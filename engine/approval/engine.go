package approval

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/expr"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/rule"
	"github.com/tessera-app/tessera/engine/store"
)

// Instance statuses.
const (
	Pending   = "pending"
	Approved  = "approved"
	Rejected  = "rejected"
	Withdrawn = "withdrawn"
)

// Task statuses: pending (the assignee's turn), waiting (an approver added
// before them decides first), queued (added after someone: their turn
// comes when that one approves), and the closed ones.
const (
	taskPending   = "pending"
	taskWaiting   = "waiting"
	taskQueued    = "queued"
	taskApproved  = "approved"
	taskRejected  = "rejected"
	taskReturned  = "returned"
	taskCancelled = "cancelled"
)

// Task kinds: an approver's decision, or the submitter's turn to change
// the record and resubmit after a return to the submitter.
const (
	kindApprove  = "approve"
	kindResubmit = "resubmit"
)

// submitterStep is the step index while the instance is returned to the
// submitter.
const submitterStep = -1

// Rule triggers fired by approvals.
const (
	TriggerSubmitted = "approval_submitted"
	TriggerApproved  = "approval_approved"
	TriggerRejected  = "approval_rejected"
	TriggerTimedOut  = "approval_step_timed_out"
)

var zeroTime time.Time

func init() {
	for _, t := range []string{TriggerSubmitted, TriggerApproved, TriggerRejected, TriggerTimedOut} {
		rule.RegisterTrigger(t, rule.TriggerType{Check: func(rule.Trigger, *meta.Module) []errs.FieldError { return nil }})
	}
}

// run is one change of one instance inside one transaction: the instance
// (locked), the process version it runs on, its module, its tasks.
type run struct {
	s     *Service
	ctx   context.Context
	tx    *store.Tx
	inst  *store.ApprovalInstance
	proc  *Process
	m     *meta.Module
	tasks []*store.ApprovalTask
	actor string // who acts ("" for the system: timers, rules)
}

// load locks instance id in tx and loads what a change needs.
func (s *Service) load(ctx context.Context, tx *store.Tx, id string) (*run, error) {
	inst, err := s.Store.LockApprovalInstance(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	proc, err := s.version(ctx, inst.ProcessID, inst.ProcessVersion)
	if err != nil {
		return nil, err
	}
	m, err := s.Meta.Module(ctx, inst.App, inst.Module)
	if err != nil {
		return nil, err
	}
	tasks, err := s.Store.ApprovalTasks(ctx, tx, inst.ID)
	if err != nil {
		return nil, err
	}
	return &run{s: s, ctx: ctx, tx: tx, inst: inst, proc: proc, m: m, tasks: tasks}, nil
}

// record reads the instance's record inside the transaction.
func (r *run) record() (store.Record, error) {
	return r.s.Store.RecordInTx(r.ctx, r.tx, r.m, r.inst.RecordID)
}

// vars is what skip_if and conditions see: the record's current values.
func vars(m *meta.Module, rec store.Record, now time.Time) expr.Vars {
	v := record.Values(m, rec)
	for _, k := range []string{"id", "owner", "created_at", "updated_at", "created_by", "updated_by", "version"} {
		if x, ok := rec[k]; ok {
			v[k] = x
		}
	}
	return expr.Vars{Record: v, Now: now}
}

func title(m *meta.Module, rec store.Record) string {
	if f := m.TitleField(); f != nil {
		if s, ok := rec[f.Key].(string); ok {
			return s
		}
	}
	id, _ := rec["id"].(string)
	return id
}

// log appends a history entry.
func (r *run) log(action, taskID, stepKey, comment string, changes map[string]any, detail map[string]any) error {
	d := &store.ApprovalDecision{InstanceID: r.inst.ID, TaskID: taskID, StepKey: stepKey, ActorID: r.actor, Action: action, Comment: comment}
	if len(changes) > 0 {
		d.Changes, _ = json.Marshal(changes)
	}
	if detail == nil {
		detail = map[string]any{}
	}
	detail["round"] = r.inst.Round
	d.Detail, _ = json.Marshal(detail)
	return r.s.Store.InsertApprovalDecision(r.ctx, r.tx, d)
}

// fire fires an approval trigger for rules on the record.
func (r *run) fire(trigger string) error {
	if r.s.Rules == nil {
		return nil
	}
	key := r.inst.ProcessKey
	return r.s.Rules.Fire(r.ctx, r.tx, r.m, r.inst.RecordID, trigger, func(t rule.Trigger) bool { return t.Process == "" || t.Process == key })
}

// save writes the instance's state (with its version check).
func (r *run) save() error { return r.s.Store.UpdateApprovalInstance(r.ctx, r.tx, r.inst) }

// ---- starting ----

// start creates an instance of process (or of the first process of the
// module whose condition holds, when process is "") on rec, submitted by
// submitter, and enters its first step. The caller's transaction holds it
// all.
func (s *Service) start(ctx context.Context, tx *store.Tx, submitter string, m *meta.Module, rec store.Record, in Submission) (*run, error) {
	proc, err := s.pick(ctx, m, rec, in.Process, tx.Now)
	if err != nil {
		return nil, err
	}
	inst := &store.ApprovalInstance{App: m.AppKey, Module: m.Key, RecordID: rec["id"].(string), Title: title(m, rec),
		ProcessID: proc.ID, ProcessKey: proc.Key, ProcessVersion: proc.Version, Status: Pending, Step: 0, Round: 0,
		SubmitterID: submitter, Source: in.Source, FlowKey: in.FlowKey, TransitionKey: in.TransitionKey, Lock: proc.Locks()}
	if len(in.Values) > 0 {
		inst.Values, _ = json.Marshal(in.Values)
	}
	if err := s.Store.InsertApprovalInstance(ctx, tx, inst); err != nil {
		return nil, err
	}
	r := &run{s: s, ctx: ctx, tx: tx, inst: inst, proc: proc, m: m, actor: submitter}
	if err := r.log("submit", "", "", in.Comment, nil, map[string]any{"source": in.Source, "process_version": proc.Version}); err != nil {
		return nil, err
	}
	if err := r.enter(0, false); err != nil {
		return nil, err
	}
	if err := r.fire(TriggerSubmitted); err != nil {
		return nil, err
	}
	return r, r.save()
}

// pick finds the process to start: the named one (its condition must
// hold), or the first of the module's, by key, whose condition holds.
func (s *Service) pick(ctx context.Context, m *meta.Module, rec store.Record, key string, now time.Time) (*Process, error) {
	var cands []*store.ApprovalProcessRow
	if key != "" {
		row, err := s.Store.ApprovalProcess(ctx, m.AppKey, key)
		if err != nil {
			return nil, err
		}
		if row.Module != m.Key {
			return nil, errs.New(errs.Unprocessable, "approval.wrong_module", "process", key, "module", m.Key)
		}
		cands = append(cands, row)
	} else {
		rows, err := s.Store.ApprovalProcesses(ctx, m.AppKey, m.Key)
		if err != nil {
			return nil, err
		}
		cands = rows
	}
	for _, row := range cands {
		p, err := s.version(ctx, row.ID, row.Version)
		if err != nil {
			return nil, err
		}
		ok, err := holds(ctx, p.Condition, m, rec, now)
		if err != nil {
			return nil, errs.Wrap(err, errs.Unprocessable, "approval.condition_failed", "process", row.Key, "detail", errs.Detail(err))
		}
		if ok {
			return p, nil
		}
	}
	if key != "" {
		return nil, errs.New(errs.Unprocessable, "approval.condition_not_met", "process", key)
	}
	return nil, errs.New(errs.Unprocessable, "approval.no_process", "module", m.Key)
}

// holds evaluates a condition (empty: true) on a record.
func holds(ctx context.Context, cond string, m *meta.Module, rec store.Record, now time.Time) (bool, error) {
	if cond == "" {
		return true, nil
	}
	p, err := expr.Compile(cond, m, "bool")
	if err != nil {
		return false, err
	}
	return p.Bool(ctx, vars(m, rec, now))
}

// ---- steps ----

// enter makes step i current: skipped steps (skip_if holds) are logged and
// passed; past the last step the instance is approved. force enters step i
// even if its skip_if holds (a return to that step).
func (r *run) enter(i int, force bool) error {
	rec, err := r.record()
	if err != nil {
		return err
	}
	for ; i < len(r.proc.Steps); i++ {
		st := r.proc.Steps[i]
		if !force && st.SkipIf != "" {
			skip, err := holds(r.ctx, st.SkipIf, r.m, rec, r.tx.Now)
			if err != nil {
				return errs.Wrap(err, errs.Unprocessable, "approval.skip_failed", "step", st.Key, "detail", errs.Detail(err))
			}
			if skip {
				if err := r.log("skip", "", st.Key, "", nil, map[string]any{"skip_if": st.SkipIf}); err != nil {
					return err
				}
				continue
			}
		}
		force = false
		r.inst.Step, r.inst.Round = i, r.inst.Round+1
		who, err := r.resolve(st, rec)
		if err != nil {
			return err
		}
		for _, a := range who {
			if err := r.assign(&store.ApprovalTask{Step: i, StepKey: st.Key, Kind: kindApprove, AssigneeID: a.id, Status: taskPending, Reason: a.reason}); err != nil {
				return err
			}
			if a.reason != "" {
				if err := r.log("reassign", "", st.Key, "", nil, map[string]any{"user": a.id, "reason": a.reason}); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return r.finish(Approved, "approve")
}

// assign inserts a task; a pending one gets its due time and timer.
func (r *run) assign(t *store.ApprovalTask) error {
	t.InstanceID, t.Round = r.inst.ID, r.inst.Round
	if t.Status == taskPending {
		if err := r.due(t); err != nil {
			return err
		}
	}
	if err := r.s.Store.InsertApprovalTask(r.ctx, r.tx, t); err != nil {
		return err
	}
	r.tasks = append(r.tasks, t)
	if t.Status == taskPending {
		if err := r.plan(t); err != nil {
			return err
		}
		return r.notify(t.AssigneeID, "approval.notify_task")
	}
	return nil
}

// due sets a pending task's due time from its step (none for the
// submitter's turn).
func (r *run) due(t *store.ApprovalTask) error {
	t.DueAt = zeroTime
	if t.Kind != kindApprove || t.Step < 0 {
		return nil
	}
	st := r.proc.Steps[t.Step]
	if st.Due == nil {
		return nil
	}
	cal, err := r.s.Calendars.Get(r.ctx, st.Due.calendar())
	if err != nil {
		return err
	}
	// Milliseconds: what both dialects store exactly, so the timer's
	// payload and the stored task agree.
	t.DueAt = cal.AddWorkingHours(r.tx.Now, st.Due.Hours).UTC().Truncate(time.Millisecond)
	return nil
}

func (r *run) notify(userID, key string) error {
	u, err := r.s.Store.UserByID(r.ctx, userID)
	if err != nil {
		return err
	}
	var p *access.Principal
	if !u.IsAdmin {
		if p, err = r.s.Access.Principal(r.ctx, u); err != nil {
			return err
		}
	}
	title, err := r.s.visibleTitle(r.ctx, p, r.inst)
	if err != nil {
		return err
	}
	// The message is kept (process label in every language), so the
	// reader sees it in their language when they read it.
	msg := i18n.M(key, "process", r.proc.Label, "title", title)
	return r.s.Store.Notify(r.ctx, r.tx, &store.Notification{UserID: userID, Title: i18n.T(u.Locale, msg), Message: &msg,
		App: r.inst.App, Module: r.inst.Module, RecordID: r.inst.RecordID, Source: "approval:" + r.inst.ProcessKey})
}

// open are the current round's tasks still to be decided.
func (r *run) open() []*store.ApprovalTask {
	var out []*store.ApprovalTask
	for _, t := range r.tasks {
		if t.Round == r.inst.Round && (t.Status == taskPending || t.Status == taskWaiting || t.Status == taskQueued) {
			out = append(out, t)
		}
	}
	return out
}

// close sets a task's final status and cancels its timer.
func (r *run) close(t *store.ApprovalTask, status string) error {
	t.Status, t.ActedAt = status, r.tx.Now
	if err := r.s.Store.UpdateApprovalTask(r.ctx, r.tx, t); err != nil {
		return err
	}
	return cancelDue(r.ctx, r.tx, t.ID)
}

// cancelOpen closes the round's remaining tasks.
func (r *run) cancelOpen() error {
	for _, t := range r.open() {
		if err := r.close(t, taskCancelled); err != nil {
			return err
		}
	}
	return nil
}

// finish ends the instance; an approved instance started by a stage
// transition then completes the transition.
func (r *run) finish(status, action string) error {
	if err := r.cancelOpen(); err != nil {
		return err
	}
	r.inst.Status, r.inst.FinishedAt = status, r.tx.Now
	if err := r.log("finish", "", "", "", nil, map[string]any{"status": status, "by": action}); err != nil {
		return err
	}
	if status == Approved && r.inst.FlowKey != "" {
		if err := r.completeTransition(); err != nil {
			return err
		}
	}
	switch status {
	case Approved:
		return r.fire(TriggerApproved)
	case Rejected:
		return r.fire(TriggerRejected)
	}
	return nil
}

func (r *run) completeTransition() error {
	if r.s.Transitions == nil {
		r.inst.Error = "no flow engine is wired to complete transition " + r.inst.FlowKey + "/" + r.inst.TransitionKey
		return nil
	}
	// The move is the submitter's, made by the approval: roles are not
	// checked again (flow's contract), and the lock lets it through.
	u := &access.User{ID: r.inst.SubmitterID}
	if sub, err := r.s.Store.UserByID(r.ctx, r.inst.SubmitterID); err == nil {
		u = sub
	}
	as := *u
	as.IsAdmin = true
	a := record.Actor{User: &as, Via: "approval"}
	ctx := record.WithTx(r.ctx, r.tx)
	var vals map[string]any
	if len(r.inst.Values) > 0 {
		dec := json.NewDecoder(bytes.NewReader(r.inst.Values))
		dec.UseNumber()
		if err := dec.Decode(&vals); err != nil {
			return err
		}
	}
	err := r.refused(func() error {
		if len(vals) == 0 {
			return nil
		}
		rec, err := r.record()
		if err != nil {
			return err
		}
		_, err = r.s.Records.Update(ctx, a, r.m, r.inst.RecordID, rec["version"].(int64), vals)
		return err
	})
	if err != nil || r.inst.Error != "" {
		return err
	}
	return r.refused(func() error {
		_, err := r.s.Transitions.CompleteTransition(ctx, r.tx, a, r.m, r.inst.RecordID, r.inst.FlowKey, r.inst.TransitionKey)
		return err
	})
}

// refused runs a step of completing a transition inside a savepoint: a
// refusal (an *errs.Error other than internal) undoes whatever the step
// wrote and is recorded on the instance and in its history instead of
// failing the decision.
func (r *run) refused(fn func() error) error {
	if _, err := r.tx.ExecContext(r.ctx, "SAVEPOINT approval_transition"); err != nil {
		return err
	}
	err := fn()
	if e, ok := errs.As(err); ok && e.Code != errs.Internal {
		if _, err := r.tx.ExecContext(r.ctx, "ROLLBACK TO SAVEPOINT approval_transition"); err != nil {
			return err
		}
		r.inst.Error = e.Error()
		return r.log("transition_refused", "", "", "", nil, map[string]any{"error": e.Error()})
	}
	if err != nil {
		return err
	}
	_, err = r.tx.ExecContext(r.ctx, "RELEASE SAVEPOINT approval_transition")
	return err
}

// stepDone checks, after task t was approved, whether its step is
// complete, and if so moves to the next step. released is how many tasks
// t's approval handed the turn to (approvers added after t, or the one t
// was added before).
func (r *run) stepDone(t *store.ApprovalTask, released int) error {
	if t.Kind == kindResubmit { // the submitter resubmitted: from the first step again
		return r.enter(0, false)
	}
	st := r.proc.Steps[t.Step]
	done := len(r.open()) == 0
	if st.Mode == "any" {
		done = released == 0
	}
	if !done {
		return nil
	}
	if err := r.cancelOpen(); err != nil {
		return err
	}
	return r.enter(t.Step+1, false)
}

// release hands the turn on after t was approved: queued tasks added after
// t become pending, and so does the task t was added before.
func (r *run) release(t *store.ApprovalTask) (int, error) {
	n := 0
	for _, q := range r.tasks {
		wake := (q.Status == taskQueued && q.AfterID == t.ID) || (q.Status == taskWaiting && q.ID == t.ParentID)
		if !wake || q.Round != t.Round {
			continue
		}
		q.Status = taskPending
		if err := r.due(q); err != nil {
			return n, err
		}
		if err := r.s.Store.UpdateApprovalTask(r.ctx, r.tx, q); err != nil {
			return n, err
		}
		if err := r.plan(q); err != nil {
			return n, err
		}
		if err := r.notify(q.AssigneeID, "approval.notify_task"); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// ---- approvers ----

type assignee struct{ id, reason string }

// reason encodes why a task is someone's as a message (key and
// arguments), stored with the task and in the history and rendered in the
// reader's language when shown.
func reason(key string, kv ...any) string {
	b, _ := json.Marshal(i18n.M(key, kv...))
	return string(b)
}

// renderReason shows a stored reason in locale (text stored before
// reasons were messages is shown as it is).
func renderReason(locale, stored string) string {
	var m i18n.Msg
	if err := json.Unmarshal([]byte(stored), &m); err != nil || m.Key == "" {
		return stored
	}
	return i18n.T(locale, m)
}

// who names a user in a reason.
func who(u *access.User) string { return fmt.Sprintf("%s (%s)", u.Name, u.Email) }

// resolve finds a step's approvers. A disabled approver is replaced by
// their nearest active manager; an empty set goes to the submitter's
// manager, else to the administrators (each with the reason in the
// history); only when nobody at all is left is it an error.
func (r *run) resolve(st Step, rec store.Record) ([]assignee, error) {
	ids, err := r.approverIDs(st.Approvers, rec)
	if err != nil {
		return nil, err
	}
	var out []assignee
	seen := map[string]bool{}
	for _, id := range ids {
		got, reason, err := r.active(id)
		if err != nil {
			return nil, err
		}
		if got != "" && !seen[got] && len(out) < MaxApprovers {
			seen[got] = true
			out = append(out, assignee{got, reason})
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	// Nobody: the submitter's manager, else the administrators.
	if r.inst.SubmitterID != "" {
		if u, err := r.s.Access.ManagerOf(r.ctx, r.inst.SubmitterID, 1); err == nil && !u.Disabled {
			return []assignee{{u.ID, reason("approval.reason_no_approver_manager", "step", st.Key)}}, nil
		}
	}
	admins, err := r.s.Store.AdminIDs(r.ctx)
	if err != nil {
		return nil, err
	}
	for _, id := range admins {
		out = append(out, assignee{id, reason("approval.reason_no_approver_admins", "step", st.Key)})
	}
	if len(out) == 0 {
		return nil, errs.New(errs.Unprocessable, "approval.no_approvers", "step", st.Key)
	}
	return out, nil
}

// approverIDs are the user ids an approver set names, in order (a
// union's sets one after the other; duplicates are dropped by resolve).
func (r *run) approverIDs(a Approvers, rec store.Record) ([]string, error) {
	switch a.Type {
	case "users":
		return a.Users, nil
	case "role":
		return r.s.Store.RoleMemberIDs(r.ctx, a.Role)
	case "manager":
		of := r.inst.SubmitterID
		if a.Of == "owner" {
			of, _ = rec["owner"].(string)
		}
		if of == "" {
			return nil, nil
		}
		u, err := r.s.Access.ManagerOf(r.ctx, of, max(a.Levels, 1))
		if errs.Is(err, errs.NotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return []string{u.ID}, nil
	case "department_manager":
		d, _, _, err := r.s.Access.Department(r.ctx, a.Department)
		if errs.Is(err, errs.NotFound) || (err == nil && d.ManagerID == "") {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return []string{d.ManagerID}, nil
	case "field":
		if id, ok := rec[a.Field].(string); ok && id != "" {
			return []string{id}, nil
		}
	case "union":
		var ids []string
		for _, set := range a.Sets {
			got, err := r.approverIDs(set, rec)
			if err != nil {
				return nil, err
			}
			ids = append(ids, got...)
		}
		return ids, nil
	}
	return nil, nil
}

// active returns userID when that user is active, else their nearest
// active manager with the reason; "" when there is none (or the user does
// not exist).
func (r *run) active(userID string) (string, string, error) {
	u, err := r.s.Store.UserByID(r.ctx, userID)
	if errs.Is(err, errs.NotFound) {
		return "", "", nil
	}
	if err != nil {
		return "", "", err
	}
	if !u.Disabled {
		return u.ID, "", nil
	}
	for level := 1; level <= MaxLevels; level++ {
		m, err := r.s.Access.ManagerOf(r.ctx, userID, level)
		if errs.Is(err, errs.NotFound) {
			break
		}
		if err != nil {
			return "", "", err
		}
		if !m.Disabled {
			return m.ID, reason("approval.reason_disabled", "user", who(u), "manager", who(m)), nil
		}
	}
	return "", "", nil
}
