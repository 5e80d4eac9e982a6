package approval

import (
	"context"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/rule"
)

// The rule action {"type": "approval", "process": "<key>"} submits the
// rule's record for approval from the rule's job, in its transaction. The
// submitter is the record's owner (else its creator): managers "of the
// submitter" are theirs. A record already waiting for an approval is left
// as it is (the run log says so).

func (s *Service) checkRuleAction(a rule.Action, m *meta.Module) []errs.FieldError {
	if !meta.ValidKey(a.Process, meta.MaxFieldKey) {
		return []errs.FieldError{errs.Field("process", "required", "approval.process_required")}
	}
	return nil
}

func (s *Service) ruleAction(ctx context.Context, c rule.ActionCall) (string, error) {
	id, _ := c.Record["id"].(string)
	if pending, err := s.Store.PendingApproval(ctx, c.Tx, id); err != nil || pending != nil {
		if pending != nil {
			return "approval " + c.Action.Process + ": the record is already waiting for approval " + pending.ID, nil
		}
		return "", err
	}
	rec, err := s.Store.RecordInTx(ctx, c.Tx, c.Module, id)
	if err != nil {
		return "", err
	}
	submitter, _ := rec["owner"].(string)
	if submitter == "" {
		submitter, _ = rec["created_by"].(string)
	}
	instID, err := s.StartInTx(ctx, c.Tx, submitter, c.Module, rec, Submission{Process: c.Action.Process, Source: "rule", Comment: "rule " + c.Rule.Key})
	if err != nil {
		return "", err
	}
	return "approval " + c.Action.Process + " started: " + instID, nil
}
