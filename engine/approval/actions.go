package approval

import (
	"context"
	"encoding/json"
	"math"
	"reflect"
	"slices"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

// Submission starts an instance.
type Submission struct {
	Process string         `json:"process,omitempty"` // "": the first process whose condition holds
	Comment string         `json:"comment,omitempty"`
	Source  string         `json:"-"` // user, transition, rule
	FlowKey string         `json:"-"` // transition: the flow and transition to complete on approval
	Values  map[string]any `json:"-"` // transition: the values sent with it
	// TransitionKey is the transition of FlowKey.
	TransitionKey string `json:"-"`
}

// Submit submits record id of app/module for approval as the actor, who
// must be able to read it. It returns the new instance.
func (s *Service) Submit(ctx context.Context, a record.Actor, app, module, id string, in Submission) (*Instance, error) {
	m, err := s.Meta.Module(ctx, app, module)
	if err != nil {
		return nil, err
	}
	if _, err := s.Records.Get(ctx, a, m, id, nil); err != nil {
		return nil, err
	}
	in.Source = "user"
	var instID string
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		rec, err := s.Store.RecordInTx(ctx, tx, m, id)
		if err != nil {
			return err
		}
		r, err := s.start(ctx, tx, a.User.ID, m, rec, in)
		if err != nil {
			return err
		}
		instID = r.inst.ID
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.instanceFor(ctx, a.User, instID)
}

// StartInTx starts an instance inside the caller's transaction (a stage
// transition's, a rule job's) for submitter, and returns its id.
func (s *Service) StartInTx(ctx context.Context, tx *store.Tx, submitter string, m *meta.Module, rec store.Record, in Submission) (string, error) {
	r, err := s.start(ctx, tx, submitter, m, rec, in)
	if err != nil {
		return "", err
	}
	return r.inst.ID, nil
}

// Decision is what an approver sends with an action.
type Decision struct {
	Comment string `json:"comment,omitempty"`
	// Values are changes to the step's editable fields (approve, reject,
	// return), written to the record with the decision.
	Values map[string]any `json:"values,omitempty"`
	// ToStep: return to this earlier step ("" or "submitter": to the
	// submitter).
	ToStep string `json:"to_step,omitempty"`
	// User and Position: transfer to User; add User as approver before or
	// after oneself.
	User     string `json:"user,omitempty"`
	Position string `json:"position,omitempty"`
}

// Actions on a task.
const (
	ActApprove     = "approve"
	ActReject      = "reject"
	ActReturn      = "return"
	ActTransfer    = "transfer"
	ActAddApprover = "add-approver"
	ActComment     = "comment"
)

// acting are the history actions that count as someone having acted on a
// step (after which the submitter can no longer withdraw).
var acting = []string{"approve", "reject", "return", "transfer", "add_approver"}

// Act performs action on task taskID of instance instanceID as user u.
// Of two decisions at once on one instance, the second sees the first's
// outcome (the instance row is locked): a task already decided is a
// conflict.
func (s *Service) Act(ctx context.Context, u *access.User, instanceID, taskID, action string, d Decision) (*Instance, error) {
	if u == nil || u.Disabled {
		return nil, errs.New(errs.Unauthorized, "access.signin_required")
	}
	switch action {
	case ActApprove, ActReject, ActReturn, ActTransfer, ActAddApprover, ActComment:
	default:
		return nil, errs.New(errs.NotFound, "approval.unknown_action", "action", action)
	}
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		r, err := s.load(ctx, tx, instanceID)
		if err != nil {
			return err
		}
		r.actor = u.ID
		var t *store.ApprovalTask
		for _, x := range r.tasks {
			if x.ID == taskID {
				t = x
			}
		}
		if t == nil {
			return errs.New(errs.NotFound, "approval.task_not_found", "id", taskID)
		}
		if action == ActComment {
			if t.AssigneeID != u.ID && r.inst.SubmitterID != u.ID {
				return errs.New(errs.Forbidden, "approval.not_yours")
			}
			if d.Comment == "" {
				return errs.Fields(errs.Field("comment", "required", "approval.comment_required"))
			}
			return r.log("comment", t.ID, t.StepKey, d.Comment, nil, nil)
		}
		if t.AssigneeID != u.ID {
			return errs.New(errs.Forbidden, "approval.not_yours")
		}
		if r.inst.Status != Pending {
			return errs.New(errs.Conflict, "approval.not_pending", "status", r.inst.Status)
		}
		if t.Status != taskPending || t.Round != r.inst.Round {
			return errs.New(errs.Conflict, "approval.task_closed", "status", t.Status)
		}
		switch action {
		case ActApprove:
			err = r.approve(t, d, "approve")
		case ActReject:
			err = r.reject(t, d, "reject")
		case ActReturn:
			err = r.sendBack(t, d)
		case ActTransfer:
			err = r.transfer(t, d)
		case ActAddApprover:
			err = r.addApprover(t, d)
		}
		if err != nil {
			return err
		}
		return r.save()
	})
	if err != nil {
		return nil, err
	}
	return s.instanceFor(ctx, u, instanceID)
}

// approve closes t as approved (with the approver's field changes) and
// moves the step on when it is complete.
func (r *run) approve(t *store.ApprovalTask, d Decision, action string) error {
	changes, err := r.edit(t, d.Values)
	if err != nil {
		return err
	}
	if err := r.close(t, taskApproved); err != nil {
		return err
	}
	if t.Kind == kindResubmit {
		action = "resubmit"
	}
	if err := r.log(action, t.ID, t.StepKey, d.Comment, changes, nil); err != nil {
		return err
	}
	released, err := r.release(t)
	if err != nil {
		return err
	}
	return r.stepDone(t, released)
}

// reject ends the instance as rejected.
func (r *run) reject(t *store.ApprovalTask, d Decision, action string) error {
	if t.Kind == kindResubmit {
		return errs.New(errs.Unprocessable, "approval.resubmit_only")
	}
	changes, err := r.edit(t, d.Values)
	if err != nil {
		return err
	}
	if err := r.close(t, taskRejected); err != nil {
		return err
	}
	if err := r.log(action, t.ID, t.StepKey, d.Comment, changes, nil); err != nil {
		return err
	}
	return r.finish(Rejected, action)
}

// sendBack returns the instance to the submitter (to_step "" or
// "submitter") or to a named earlier step.
func (r *run) sendBack(t *store.ApprovalTask, d Decision) error {
	if t.Kind == kindResubmit {
		return errs.New(errs.Unprocessable, "approval.resubmit_only")
	}
	target := submitterStep
	if d.ToStep != "" && d.ToStep != "submitter" {
		target = r.proc.step(d.ToStep)
		if target < 0 || target >= t.Step {
			return errs.Fields(errs.Field("to_step", "bad_step", "approval.bad_return", "step", d.ToStep))
		}
	}
	changes, err := r.edit(t, d.Values)
	if err != nil {
		return err
	}
	if err := r.close(t, taskReturned); err != nil {
		return err
	}
	if err := r.log("return", t.ID, t.StepKey, d.Comment, changes, map[string]any{"to_step": d.ToStep}); err != nil {
		return err
	}
	if err := r.cancelOpen(); err != nil {
		return err
	}
	if target >= 0 {
		return r.enter(target, true)
	}
	r.inst.Step, r.inst.Round = submitterStep, r.inst.Round+1
	return r.assign(&store.ApprovalTask{Step: submitterStep, StepKey: "submitter", Kind: kindResubmit, AssigneeID: r.inst.SubmitterID,
		Status: taskPending, Reason: reason("approval.reason_returned")})
}

// transfer hands t to another user (转交); the due time stays.
func (r *run) transfer(t *store.ApprovalTask, d Decision) error {
	to, err := r.otherUser(t, d.User)
	if err != nil {
		return err
	}
	from := t.AssigneeID
	t.AssigneeID, t.Reason = to.ID, reason("approval.reason_transferred", "user", r.name(from))
	if err := r.s.Store.UpdateApprovalTask(r.ctx, r.tx, t); err != nil {
		return err
	}
	if err := r.log("transfer", t.ID, t.StepKey, d.Comment, nil, map[string]any{"from": from, "to": to.ID}); err != nil {
		return err
	}
	return r.notify(to.ID, "approval.notify_task")
}

// addApprover adds an approver (加签) before oneself (they decide first,
// then it is one's turn again) or after (they decide after one approves).
func (r *run) addApprover(t *store.ApprovalTask, d Decision) error {
	if t.Kind == kindResubmit {
		return errs.New(errs.Unprocessable, "approval.resubmit_only")
	}
	to, err := r.otherUser(t, d.User)
	if err != nil {
		return err
	}
	for _, x := range r.open() {
		if x.AssigneeID == to.ID {
			return errs.Fields(errs.Field("user", "already", "approval.already_approver"))
		}
	}
	nt := &store.ApprovalTask{Step: t.Step, StepKey: t.StepKey, Kind: kindApprove, AssigneeID: to.ID, Reason: reason("approval.reason_added", "user", r.name(t.AssigneeID))}
	switch d.Position {
	case "before":
		t.Status = taskWaiting
		t.DueAt = zeroTime
		if err := r.s.Store.UpdateApprovalTask(r.ctx, r.tx, t); err != nil {
			return err
		}
		if err := cancelDue(r.ctx, r.tx, t.ID); err != nil {
			return err
		}
		nt.Status, nt.ParentID = taskPending, t.ID
	case "after":
		nt.Status, nt.AfterID = taskQueued, t.ID
	default:
		return errs.Fields(errs.Field("position", "bad_position", "approval.bad_position"))
	}
	if err := r.assign(nt); err != nil {
		return err
	}
	return r.log("add_approver", t.ID, t.StepKey, d.Comment, nil, map[string]any{"user": to.ID, "position": d.Position, "task": nt.ID})
}

// name names a user in a reason (their id when they cannot be read).
func (r *run) name(id string) string {
	if u, err := r.s.Store.UserByID(r.ctx, id); err == nil {
		return who(u)
	}
	return id
}

// otherUser is the active user id names, who is not t's assignee.
func (r *run) otherUser(t *store.ApprovalTask, id string) (*access.User, error) {
	if id == "" {
		return nil, errs.Fields(errs.Field("user", "required", "approval.user_required"))
	}
	u, err := r.s.Store.UserByID(r.ctx, id)
	if err != nil || u.Disabled {
		return nil, errs.Fields(errs.Field("user", "not_found", "approval.user_inactive", "id", id))
	}
	if u.ID == t.AssigneeID {
		return nil, errs.Fields(errs.Field("user", "self", "approval.user_self"))
	}
	return u, nil
}

// edit writes an approver's changes to the step's editable fields to the
// record, in the decision's transaction, as the approver (channel
// "approval": the approver needs no update right on the record, and the
// lock lets the write through), and returns field → {from, to}.
func (r *run) edit(t *store.ApprovalTask, values map[string]any) (map[string]any, error) {
	if len(values) == 0 {
		return nil, nil
	}
	var editable []string
	if t.Step >= 0 {
		editable = r.proc.Steps[t.Step].Editable
	}
	var fes []errs.FieldError
	for k := range values {
		if !slices.Contains(editable, k) {
			fes = append(fes, errs.Field("values."+k, "not_editable", "approval.not_editable", "field", k))
		}
	}
	if len(fes) > 0 {
		return nil, errs.Fields(fes...)
	}
	// A field the approver's roles hide stays out of reach even when the
	// step lists it.
	if u, err := r.s.Store.UserByID(r.ctx, r.actor); err == nil && !u.IsAdmin {
		p, err := r.s.Access.Principal(r.ctx, u)
		if err != nil {
			return nil, err
		}
		rights := p.Rights(r.m.AppKey, r.m.Key)
		for k := range values {
			if rights.Hidden(k) {
				fes = append(fes, errs.Field("values."+k, "not_editable", "approval.not_editable", "field", k))
			}
		}
		if len(fes) > 0 {
			return nil, errs.Fields(fes...)
		}
	}
	before, err := r.record()
	if err != nil {
		return nil, err
	}
	u, err := r.s.Store.UserByID(r.ctx, r.actor)
	if err != nil {
		return nil, err
	}
	as := *u
	as.IsAdmin = true // the step's editable list is the permission
	after, err := r.s.Records.Update(record.WithTx(r.ctx, r.tx), record.Actor{User: &as, Via: "approval"}, r.m, r.inst.RecordID,
		before["version"].(int64), values)
	if err != nil {
		return nil, err
	}
	old, now := record.Values(r.m, before), record.Values(r.m, after)
	changes := map[string]any{}
	for k := range values {
		if !reflect.DeepEqual(old[k], now[k]) {
			changes[k] = map[string]any{"from": old[k], "to": now[k]}
		}
	}
	r.inst.Title = title(r.m, after)
	return changes, nil
}

// Withdraw ends a pending instance at its submitter's request (撤回),
// while nobody has acted on its current step.
func (s *Service) Withdraw(ctx context.Context, u *access.User, instanceID, comment string) (*Instance, error) {
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		r, err := s.own(ctx, tx, u, instanceID)
		if err != nil {
			return err
		}
		ds, err := s.Store.ApprovalDecisions(ctx, tx, instanceID)
		if err != nil {
			return err
		}
		for _, d := range ds {
			var det struct {
				Round int `json:"round"`
			}
			json.Unmarshal(d.Detail, &det)
			if det.Round == r.inst.Round && slices.Contains(acting, d.Action) && d.ActorID != u.ID {
				return errs.New(errs.Conflict, "approval.withdraw_too_late")
			}
		}
		if err := r.log("withdraw", "", "", comment, nil, nil); err != nil {
			return err
		}
		if err := r.finish(Withdrawn, "withdraw"); err != nil {
			return err
		}
		return r.save()
	})
	if err != nil {
		return nil, err
	}
	return s.instanceFor(ctx, u, instanceID)
}

// Remind notifies the current approvers again (催办): the submitter only,
// at most once per RemindEvery.
func (s *Service) Remind(ctx context.Context, u *access.User, instanceID, comment string) (*Instance, error) {
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		r, err := s.own(ctx, tx, u, instanceID)
		if err != nil {
			return err
		}
		if next := r.inst.LastRemindAt.Add(RemindEvery); !r.inst.LastRemindAt.IsZero() && tx.Now.Before(next) {
			return errs.New(errs.TooMany, "approval.remind_too_soon", "minutes", int(math.Ceil(next.Sub(tx.Now).Minutes())))
		}
		var to []string
		for _, t := range r.open() {
			if t.Status == taskPending && t.AssigneeID != u.ID {
				if err := r.notify(t.AssigneeID, "approval.notify_remind"); err != nil {
					return err
				}
				to = append(to, t.AssigneeID)
			}
		}
		r.inst.LastRemindAt = tx.Now
		if err := r.log("remind", "", stepKey(r), comment, nil, map[string]any{"to": to}); err != nil {
			return err
		}
		return r.save()
	})
	if err != nil {
		return nil, err
	}
	return s.instanceFor(ctx, u, instanceID)
}

// own loads a pending instance for an action its submitter takes.
func (s *Service) own(ctx context.Context, tx *store.Tx, u *access.User, id string) (*run, error) {
	r, err := s.load(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if u == nil || r.inst.SubmitterID != u.ID {
		return nil, errs.New(errs.Forbidden, "approval.submitter_only")
	}
	if r.inst.Status != Pending {
		return nil, errs.New(errs.Conflict, "approval.not_pending", "status", r.inst.Status)
	}
	r.actor = u.ID
	return r, nil
}

func stepKey(r *run) string {
	if r.inst.Step >= 0 && r.inst.Step < len(r.proc.Steps) {
		return r.proc.Steps[r.inst.Step].Key
	}
	return "submitter"
}
