package approval

import (
	"context"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/flow"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

// The approval engine is engine/flow's ApprovalStarter: a transition with
// "approval": "<process>" starts an instance in the transition's
// transaction (the record stays in its stage), and when the instance is
// approved the transition completes (completeTransition), with the values
// sent with it (a reason, say) written first.

var (
	_ flow.ApprovalStarter = (*Service)(nil)
	_ flow.ApprovalChecker = (*Service)(nil)
)

// StartForTransition starts the approval tr requires, submitted by the
// actor who fired it.
func (s *Service) StartForTransition(ctx context.Context, tx *store.Tx, a record.Actor, m *meta.Module,
	rec store.Record, f *flow.Flow, tr *flow.Transition, values map[string]any) (string, error) {
	if a.User == nil {
		return "", errs.New(errs.Unauthorized, "access.signin_required")
	}
	return s.StartInTx(ctx, tx, a.User.ID, m, rec, Submission{Process: tr.Approval, Source: "transition",
		FlowKey: f.Key, TransitionKey: tr.Key, Values: values})
}

// CheckProcess reports whether process exists for module m (a pipeline
// naming a missing one is refused when saved).
func (s *Service) CheckProcess(ctx context.Context, app string, m *meta.Module, process string) error {
	row, err := s.Store.ApprovalProcess(ctx, app, process)
	if err != nil {
		return err
	}
	if row.Module != m.Key {
		return errs.New(errs.Unprocessable, "approval.wrong_module", "process", process, "module", m.Key)
	}
	return nil
}
