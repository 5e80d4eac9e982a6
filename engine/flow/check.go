package flow

import (
	"context"
	"fmt"
	"strings"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/expr"
	"github.com/tessera-app/tessera/engine/meta"
)

// Limits on a pipeline's size.
const (
	MaxStates      = 50
	MaxTransitions = 200
)

// check validates a pipeline against its module with one field error per
// problem. prev is the version being replaced (nil on create): options of
// the select that were states of prev and are removed now may stay in the
// select (the admin removes them from the module next; the module refuses
// removing an option that is still a state).
func (s *Service) check(ctx context.Context, f *Flow, prev *Flow) (*meta.Module, error) {
	var fes []errs.FieldError
	add := func(field, code, key string, kv ...any) {
		fes = append(fes, errs.Field(field, code, key, kv...))
	}
	if !meta.ValidKey(f.Key, meta.MaxFieldKey) {
		add("key", "bad_key", "flow.bad_key")
	}
	if len(f.Label) == 0 {
		add("label", "required", "flow.label_required")
	}
	m, err := s.Meta.Module(ctx, f.App, f.Module)
	if err != nil {
		add("module", "unknown_module", "flow.unknown_module", "module", f.Module)
		return nil, invalid(fes)
	}
	field := m.Field(f.Field)
	switch {
	case field == nil:
		add("field", "unknown_field", "flow.unknown_field", "field", f.Field)
	case field.Type.Name() != "select":
		add("field", "not_select", "flow.not_select", "field", f.Field)
	}
	if f.Calendar != "" && s.Calendars != nil {
		if _, err := s.Calendars.Get(ctx, f.Calendar); err != nil {
			add("calendar", "unknown_calendar", "flow.unknown_calendar", "calendar", f.Calendar)
		}
	}
	if len(f.States) == 0 || len(f.States) > MaxStates {
		add("states", "required", "flow.states_required", "max", MaxStates)
	}
	if len(f.Transitions) > MaxTransitions {
		add("transitions", "too_many", "flow.too_many_transitions", "max", MaxTransitions)
	}
	states := map[string]bool{}
	for i, st := range f.States {
		p := fmt.Sprintf("states[%d].", i)
		switch {
		case !meta.ValidKey(st.Key, meta.MaxFieldKey) && st.Key != "":
			add(p+"key", "bad_key", "flow.bad_state_key", "state", st.Key)
		case st.Key == "":
			add(p+"key", "required", "flow.state_key_required")
		case states[st.Key]:
			add(p+"key", "duplicate", "flow.duplicate_state", "state", st.Key)
		}
		states[st.Key] = true
		if len(st.Label) == 0 {
			add(p+"label", "required", "flow.label_required")
		}
		if st.Kind == "" {
			st.Kind = KindOpen
		}
		if st.Kind != KindOpen && st.Kind != KindWon && st.Kind != KindLost {
			add(p+"kind", "bad_kind", "flow.bad_kind", "kind", st.Kind)
		}
		if st.Probability < 0 || st.Probability > 100 {
			add(p+"probability", "range", "flow.bad_probability")
		}
		if st.Color != "" && !meta.ValidColor(st.Color) {
			add(p+"color", "bad_color", "flow.bad_color", "color", st.Color, "palette", strings.Join(meta.Palette, ", "))
		}
		for _, r := range st.Required {
			if m.Field(r) == nil {
				add(p+"required", "unknown_field", "flow.unknown_field", "field", r)
			}
		}
	}
	if field != nil && field.Type.Name() == "select" {
		fes = append(fes, optionProblems(f, field, prev)...)
	}
	keys := map[string]bool{}
	for i, t := range f.Transitions {
		fes = append(fes, s.checkTransition(ctx, f, m, t, fmt.Sprintf("transitions[%d].", i), states, keys)...)
	}
	if len(fes) == 0 {
		if lost := unreachable(f); len(lost) > 0 {
			add("states", "unreachable", "flow.unreachable", "states", strings.Join(lost, ", "))
		}
	}
	if len(fes) > 0 {
		return nil, invalid(fes)
	}
	return m, nil
}

func (s *Service) checkTransition(ctx context.Context, f *Flow, m *meta.Module, t *Transition, p string, states, keys map[string]bool) []errs.FieldError {
	var fes []errs.FieldError
	add := func(field, code, key string, kv ...any) {
		fes = append(fes, errs.Field(p+field, code, key, kv...))
	}
	switch {
	case !meta.ValidKey(t.Key, meta.MaxFieldKey):
		add("key", "bad_key", "flow.bad_transition_key", "transition", t.Key)
	case keys[t.Key]:
		add("key", "duplicate", "flow.duplicate_transition", "transition", t.Key)
	}
	keys[t.Key] = true
	if len(t.Label) == 0 {
		add("label", "required", "flow.label_required")
	}
	if !states[t.To] {
		add("to", "unknown_state", "flow.unknown_state", "state", t.To)
	}
	if len(t.From) == 0 {
		add("from", "required", "flow.from_required")
	}
	if !t.From.All() {
		for _, src := range t.From {
			switch {
			case src == Any:
				add("from", "bad_any", "flow.bad_any")
			case !states[src]:
				add("from", "unknown_state", "flow.unknown_state", "state", src)
			case src == t.To:
				add("from", "self", "flow.self_transition", "state", src)
			}
		}
	}
	if t.Guard != "" {
		if _, err := expr.CompileLookups(t.Guard, m, "bool", s.Records.LookupsOf(ctx, m)); err != nil {
			add("guard", "expression", "flow.bad_guard", "detail", errs.Detail(err))
		}
	}
	for lang, msg := range t.Message {
		if len(lang) > 10 || len(msg) > 500 {
			add("message", "too_long", "flow.message_too_long")
		}
	}
	if len(t.Roles) > 0 {
		known, err := s.roleKeys(ctx)
		if err != nil {
			return append(fes, errs.FieldError{Field: p + "roles", Code: "internal", Msg: errs.New(errs.Internal, "errs.internal").Msg})
		}
		for _, r := range t.Roles {
			if !known[r] {
				add("roles", "unknown_role", "flow.unknown_role", "role", r)
			}
		}
	}
	if r := t.ReasonRequired; r != "" {
		switch {
		case m.Field(r) == nil:
			add("reason_required", "unknown_field", "flow.unknown_field", "field", r)
		case r == f.Field:
			add("reason_required", "stage_field", "flow.reason_is_stage", "field", r)
		case m.Field(r).ReadOnly():
			add("reason_required", "read_only", "flow.reason_read_only", "field", r)
		}
	}
	if t.Approval != "" {
		checker, ok := s.Approvals.(ApprovalChecker)
		switch {
		case s.Approvals == nil:
			add("approval", "unavailable", "flow.approvals_unavailable")
		case ok:
			if err := checker.CheckProcess(ctx, f.App, m, t.Approval); err != nil {
				add("approval", "unknown_process", "flow.unknown_process", "process", t.Approval, "detail", errs.Detail(err))
			}
		}
	}
	if len(t.Actions) > 20 {
		add("actions", "too_many", "flow.too_many_actions")
	}
	if len(t.Actions) > 0 && s.Rules != nil {
		for _, fe := range s.Rules.CheckActions(ctx, f.App, m, t.Actions) {
			fe.Field = p + fe.Field
			fes = append(fes, fe)
		}
	}
	return fes
}

// optionProblems compares the select's options with the states: each
// state must be an option and each option a state (except options of
// states prev had and f removes).
func optionProblems(f *Flow, field *meta.Field, prev *Flow) []errs.FieldError {
	options := map[string]bool{}
	for _, o := range field.Options {
		options[o.Value] = true
	}
	var noOption, noState []string
	for _, st := range f.States {
		if st.Key != "" && !options[st.Key] {
			noOption = append(noOption, st.Key)
		}
	}
	for _, o := range field.Options {
		if f.State(o.Value) != nil || (prev != nil && prev.State(o.Value) != nil) {
			continue
		}
		noState = append(noState, o.Value)
	}
	var fes []errs.FieldError
	if len(noOption) > 0 {
		fes = append(fes, errs.Field("states", "no_option", "flow.states_without_option", "field", field.Key, "states", strings.Join(noOption, ", ")))
	}
	if len(noState) > 0 {
		fes = append(fes, errs.Field("states", "no_state", "flow.options_without_state", "field", field.Key, "options", strings.Join(noState, ", ")))
	}
	return fes
}

// unreachable lists the states no record can get to: not initial, and
// not the target of a transition from a reachable state.
func unreachable(f *Flow) []string {
	seen := map[string]bool{}
	var queue []string
	for _, st := range f.Initial() {
		seen[st.Key] = true
		queue = append(queue, st.Key)
	}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, t := range f.Transitions {
			if t.Leaves(cur) && !seen[t.To] {
				seen[t.To] = true
				queue = append(queue, t.To)
			}
		}
	}
	var out []string
	for _, st := range f.States {
		if !seen[st.Key] {
			out = append(out, st.Key)
		}
	}
	return out
}

func (s *Service) roleKeys(ctx context.Context) (map[string]bool, error) {
	roles, err := s.Store.Roles(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(roles))
	for _, r := range roles {
		out[r.Key] = true
	}
	return out, nil
}

func invalid(fes []errs.FieldError) error {
	e := errs.Fields(fes...)
	e.Msg = errs.New(errs.Unprocessable, "flow.invalid").Msg
	return e
}
