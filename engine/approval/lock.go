package approval

import (
	"context"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

// lockHook runs before every record write: while a locking instance is
// pending on the record, only its current approvers may change it — and
// only their step's editable fields (the submitter, when the instance was
// returned to them, may change anything before resubmitting). Deleting a
// locked record is refused. The approval engine's own writes (channel
// "approval") and rule actions (channel "rule", automation the
// administrators set up) pass.
func (s *Service) lockHook(ctx context.Context, tx *store.Tx, ev *record.Event) error {
	if ev.Op != record.OpUpdate && ev.Op != record.OpDelete {
		return nil
	}
	if ev.Actor.Via == "approval" || ev.Actor.Via == "rule" {
		return nil
	}
	id, _ := ev.Old["id"].(string)
	inst, err := s.Store.PendingApproval(ctx, tx, id)
	if err != nil || inst == nil || !inst.Lock || inst.App != ev.Module.AppKey || inst.Module != ev.Module.Key {
		return err
	}
	proc, err := s.version(ctx, inst.ProcessID, inst.ProcessVersion)
	if err != nil {
		return err
	}
	locked := errs.New(errs.Forbidden, "approval.locked", "process", proc.Label)
	if ev.Op == record.OpDelete || ev.Actor.User == nil {
		return locked
	}
	tasks, err := s.Store.ApprovalTasks(ctx, tx, inst.ID)
	if err != nil {
		return err
	}
	for _, t := range tasks {
		if t.Round != inst.Round || t.Status != taskPending || t.AssigneeID != ev.Actor.User.ID {
			continue
		}
		if t.Kind == kindResubmit {
			return nil
		}
		editable := proc.Steps[t.Step].Editable
		var denied []string
		for k, v := range ev.Changes {
			if !slices.Contains(editable, k) && !reflect.DeepEqual(v, ev.Old[k]) {
				denied = append(denied, k)
			}
		}
		if len(denied) == 0 {
			return nil
		}
		sort.Strings(denied)
		return errs.New(errs.Forbidden, "approval.locked_fields", "fields", strings.Join(denied, ", "))
	}
	return locked
}
