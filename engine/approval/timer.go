package approval

import (
	"context"
	"encoding/json"
	"time"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/jobs"
	"github.com/tessera-app/tessera/engine/store"
)

// Due times are durable timers: one keyed job per pending task
// (approval.due:<task>), planned in the transaction that makes the task
// pending, re-planned (same key) when its due time changes, cancelled when
// the task closes. The jobs live in the database, so they survive
// restarts, and several serve processes share them (the runner's claims).
// A job whose task has moved on since — decided, or given a new due time —
// finds that out from the task and does nothing, so a timeout acts once.

const jobDue = "approval.due"

func dueKey(taskID string) string { return "approval.due:" + taskID }

type duePayload struct {
	Instance string `json:"instance"`
	Task     string `json:"task"`
	Due      string `json:"due"`
}

// plan (re)plans a pending task's timer; a task without a due time has
// none.
func (r *run) plan(t *store.ApprovalTask) error {
	if t.DueAt.IsZero() {
		return cancelDue(r.ctx, r.tx, t.ID)
	}
	body, _ := json.Marshal(duePayload{Instance: r.inst.ID, Task: t.ID, Due: t.DueAt.UTC().Format(time.RFC3339Nano)})
	return jobs.Enqueue(r.ctx, r.tx, jobs.Job{Kind: jobDue, Key: dueKey(t.ID), RunAt: t.DueAt, Payload: body})
}

func cancelDue(ctx context.Context, tx *store.Tx, taskID string) error {
	return jobs.Cancel(ctx, tx, dueKey(taskID))
}

// dueJob applies a step's on_timeout when a task's due time has come:
// remind the approver, escalate to their manager (a new due time), or
// approve or reject in the system's name. Every timeout is in the history
// and fires approval_step_timed_out.
func (s *Service) dueJob(ctx context.Context, tx *store.Tx, job *jobs.Job) error {
	var p duePayload
	if err := json.Unmarshal(job.Payload, &p); err != nil {
		return err
	}
	r, err := s.load(ctx, tx, p.Instance)
	if errs.Is(err, errs.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	var t *store.ApprovalTask
	for _, x := range r.tasks {
		if x.ID == p.Task {
			t = x
		}
	}
	planned, _ := time.Parse(time.RFC3339Nano, p.Due)
	if r.inst.Status != Pending || t == nil || t.Status != taskPending || !t.DueAt.Truncate(time.Millisecond).Equal(planned.Truncate(time.Millisecond)) {
		return nil // decided or re-planned since
	}
	st := r.proc.Steps[t.Step]
	t.TimedOut = true
	if err := s.Store.UpdateApprovalTask(ctx, tx, t); err != nil {
		return err
	}
	if err := r.log("timeout", t.ID, t.StepKey, "", nil, map[string]any{"on_timeout": st.OnTimeout, "assignee": t.AssigneeID, "due": p.Due}); err != nil {
		return err
	}
	if err := r.fire(TriggerTimedOut); err != nil {
		return err
	}
	switch st.OnTimeout {
	case "remind":
		err = r.notify(t.AssigneeID, "approval.notify_overdue")
	case "escalate":
		err = r.escalate(t)
	case "approve":
		err = r.approve(t, Decision{}, "auto_approve")
	case "reject":
		err = r.reject(t, Decision{}, "auto_reject")
	}
	if err != nil {
		return err
	}
	return r.save()
}

// escalate hands an overdue task to the assignee's nearest active manager,
// with a new due time; without one the assignee is reminded instead.
func (r *run) escalate(t *store.ApprovalTask) error {
	var to string
	for level := 1; level <= MaxLevels && to == ""; level++ {
		m, err := r.s.Access.ManagerOf(r.ctx, t.AssigneeID, level)
		if errs.Is(err, errs.NotFound) {
			break
		}
		if err != nil {
			return err
		}
		if !m.Disabled {
			to = m.ID
		}
	}
	if to == "" {
		if err := r.log("escalate_failed", t.ID, t.StepKey, "", nil, map[string]any{"reason": reason("approval.reason_no_manager")}); err != nil {
			return err
		}
		return r.notify(t.AssigneeID, "approval.notify_overdue")
	}
	from := t.AssigneeID
	t.AssigneeID, t.Reason = to, reason("approval.reason_escalated", "user", r.name(from))
	if err := r.due(t); err != nil {
		return err
	}
	if err := r.s.Store.UpdateApprovalTask(r.ctx, r.tx, t); err != nil {
		return err
	}
	if err := r.plan(t); err != nil {
		return err
	}
	if err := r.log("escalate", t.ID, t.StepKey, "", nil, map[string]any{"from": from, "to": to}); err != nil {
		return err
	}
	return r.notify(to, "approval.notify_task")
}
