package flow

import (
	"context"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/rule"
)

// The stage_changed trigger of the rule engine: a rule fires when a write
// moves a record between states of a pipeline (optionally only from and to
// given states). It reads the moves the flow engine's in-transaction hook
// checked (record.Event facts), so it fires exactly for the moves that
// commit. Records created into their initial state do not fire it (the
// created trigger does).
func init() {
	rule.RegisterTrigger("stage_changed", rule.TriggerType{Check: checkTriggerShape, Matches: stageChanged})
}

func checkTriggerShape(t rule.Trigger, _ *meta.Module) []errs.FieldError {
	var fes []errs.FieldError
	for name, v := range map[string]any{"trigger.from": t.From, "trigger.to": t.To} {
		if _, ok := v.(string); v != nil && !ok {
			fes = append(fes, errs.Field(name, "type", "flow.trigger_state_text"))
		}
	}
	return fes
}

func stageChanged(t rule.Trigger, ev *record.Event, _ map[string]any) bool {
	for _, c := range StageChanges(ev) {
		if (t.Flow == "" || t.Flow == c.Flow) && (t.From == nil || t.From == c.From) && (t.To == nil || t.To == c.To) {
			return true
		}
	}
	return false
}

// checkTrigger checks a stage_changed trigger against the module's
// pipelines: the pipeline it names (or the module's only one) and its
// states.
func (s *Service) checkTrigger(ctx context.Context, t rule.Trigger, m *meta.Module) []errs.FieldError {
	flows, err := s.forModule(ctx, m.AppKey, m.Key)
	if err != nil {
		return []errs.FieldError{errs.Field("trigger.flow", "internal", "errs.internal")}
	}
	var f *Flow
	for _, g := range flows {
		if g.Key == t.Flow || (t.Flow == "" && len(flows) == 1) {
			f = g
		}
	}
	if f == nil {
		if t.Flow == "" && len(flows) > 1 {
			return []errs.FieldError{errs.Field("trigger.flow", "required", "flow.trigger_flow_required", "module", m.Key)}
		}
		return []errs.FieldError{errs.Field("trigger.flow", "unknown_flow", "flow.trigger_no_flow", "module", m.Key, "flow", t.Flow)}
	}
	var fes []errs.FieldError
	for name, v := range map[string]any{"trigger.from": t.From, "trigger.to": t.To} {
		if st, ok := v.(string); ok && f.State(st) == nil {
			fes = append(fes, errs.Field(name, "unknown_state", "flow.unknown_state", "state", st))
		}
	}
	return fes
}
