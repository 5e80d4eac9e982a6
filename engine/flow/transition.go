package flow

import (
	"context"
	"strings"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

// Option is one transition a record's current state offers, and whether
// the actor may fire it now: Reasons are the guard messages (and other
// refusals) in the caller's language, Missing the fields the target state
// requires that the record leaves empty; ReasonRequired is the field the
// move itself must fill in.
type Option struct {
	Flow           string     `json:"flow"`
	Key            string     `json:"key"`
	Label          meta.Label `json:"label"`
	From           string     `json:"from"`
	To             string     `json:"to"`
	Allowed        bool       `json:"allowed"`
	Reasons        []string   `json:"reasons"`
	Missing        []string   `json:"missing"`
	ReasonRequired string     `json:"reason_required,omitempty"`
	Approval       string     `json:"approval,omitempty"`
}

// Options lists, for each pipeline of m, the transitions record id's
// current state offers, judged for the actor against the record as it is.
func (s *Service) Options(ctx context.Context, a record.Actor, m *meta.Module, id, locale string) ([]Option, error) {
	reach, rec, flows, err := s.reach(ctx, &a, m, id)
	if err != nil {
		return nil, err
	}
	canUpdate := reach.Rights.Can(access.ActUpdate)
	if canUpdate {
		if canUpdate, err = s.inScope(ctx, m, id, reach.Update); err != nil {
			return nil, err
		}
	}
	now := values(m, rec)
	out := []Option{}
	for _, f := range flows {
		cur := text(rec, f.Field)
		fm := machine(f, cur, nil)
		for _, tr := range f.Transitions {
			if !fm.Can(tr.Key) {
				continue
			}
			v := s.judge(ctx, nil, m, f, tr, a, now, nil, nil, false)
			o := Option{Flow: f.Key, Key: tr.Key, Label: tr.Label, From: cur, To: tr.To, Reasons: []string{},
				Missing: v.missing, ReasonRequired: tr.ReasonRequired, Approval: tr.Approval}
			if o.Missing == nil {
				o.Missing = []string{}
			}
			var why []i18n.Msg
			switch {
			case !canUpdate:
				why = append(why, i18n.M("flow.cannot_update"))
			case reach.Rights.Field(f.Field) == access.FieldRead:
				why = append(why, i18n.M("record.field_read_only", "field", f.Field))
			}
			if len(v.roles) > 0 {
				why = append(why, i18n.M("flow.role_required", append(labelArgs(tr.Label, tr.Key), "roles", strings.Join(v.roles, ", "))...))
			}
			if v.failed != nil {
				why = append(why, i18n.M("flow.guard_error", append(labelArgs(tr.Label, tr.Key), "detail", errs.Detail(v.failed))...))
			}
			why = append(why, v.reasons...)
			for _, w := range why {
				o.Reasons = append(o.Reasons, i18n.T(locale, w))
			}
			o.Allowed = len(why) == 0 && len(o.Missing) == 0
			out = append(out, o)
		}
	}
	return out, nil
}

// reach loads what the actor may see of record id and m's pipelines: a
// record out of read scope is not found, a pipeline on a field hidden from
// the actor is left out.
func (s *Service) reach(ctx context.Context, a *record.Actor, m *meta.Module, id string) (*record.Reach, store.Record, []*Flow, error) {
	reach, err := s.Records.ReachOf(ctx, a, m)
	if err != nil {
		return nil, nil, nil, err
	}
	rec, err := s.Store.Record(ctx, m, id, reach.Read)
	if err != nil {
		return nil, nil, nil, err
	}
	all, err := s.forModule(ctx, m.AppKey, m.Key)
	if err != nil {
		return nil, nil, nil, err
	}
	var flows []*Flow
	for _, f := range all {
		if !reach.Rights.Hidden(f.Field) {
			flows = append(flows, f)
		}
	}
	return reach, rec, flows, nil
}

func (s *Service) inScope(ctx context.Context, m *meta.Module, id string, c store.Cond) (bool, error) {
	var ok bool
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		ok, err = s.Store.InScope(ctx, tx, m, id, c)
		return err
	})
	return ok, err
}

// Fired is the outcome of Fire: the record as the move left it, or — for
// a transition that requires approval — the approval instance it started
// (the record stays where it is).
type Fired struct {
	Record   store.Record
	Approval string
}

// Fire fires transition key (of pipeline flowKey, or the one pipeline of
// m that has it) on record id at version, writing values with the move:
// through the one write path, so the version check, field permissions,
// validation, rules, the stage checks, the history and the audit entry all
// apply as to any write. A transition that requires approval starts it
// instead, after the same checks, in one transaction.
func (s *Service) Fire(ctx context.Context, a record.Actor, m *meta.Module, id, flowKey, key string, version int64, vals map[string]any) (*Fired, error) {
	f, tr, err := s.find(ctx, nil, m, flowKey, key)
	if err != nil {
		return nil, err
	}
	if _, ok := vals[f.Field]; ok {
		return nil, errs.Fields(errs.Field(f.Field, "stage_in_values", "flow.stage_in_values", "field", f.Field))
	}
	if version <= 0 {
		return nil, errs.Fields(errs.Field("version", "required", "record.version_required"))
	}
	if tr.Approval != "" {
		reach, rec, flows, err := s.reach(ctx, &a, m, id)
		if err != nil {
			return nil, err
		}
		if !contains(flows, f) {
			return nil, errs.New(errs.NotFound, "flow.transition_not_found", "key", key)
		}
		if rec["version"] != version {
			return nil, errs.New(errs.Conflict, "store.stale_version", "id", id)
		}
		if cur := text(rec, f.Field); !tr.Leaves(cur) {
			return nil, errs.Fields(errs.Field(f.Field, "bad_transition", "flow.cannot_leave", "transition", f.TransitionName(tr.Key), "state", f.StateName(cur)))
		}
		return s.submit(ctx, a, m, reach, rec, f, tr, vals)
	}
	// A direct move is one write: the write path checks the version and
	// the scope, the stage hook that tr leaves the current state.
	reach, err := s.Records.ReachOf(ctx, &a, m)
	if err != nil {
		return nil, err
	}
	if reach.Rights.Hidden(f.Field) {
		return nil, errs.New(errs.NotFound, "flow.transition_not_found", "key", key)
	}
	patch := make(map[string]any, len(vals)+1)
	for k, v := range vals {
		patch[k] = v
	}
	patch[f.Field] = tr.To
	ctx = withMove(ctx, &move{app: m.AppKey, module: m.Key, id: id, flow: f.Key, transition: tr.Key})
	out, err := s.Records.Update(ctx, a, m, id, version, patch)
	if err != nil {
		return nil, err
	}
	if out["version"] == version {
		// Nothing was written: the record already is in tr.To.
		return nil, errs.Fields(errs.Field(f.Field, "bad_transition", "flow.cannot_leave", "transition", f.TransitionName(tr.Key), "state", f.StateName(text(out, f.Field))))
	}
	return &Fired{Record: out}, nil
}

// submit starts the approval tr requires: the actor must be able to fire
// it (update scope, roles, guard and required fields over the record with
// vals laid on), then the approval engine takes over in one transaction.
func (s *Service) submit(ctx context.Context, a record.Actor, m *meta.Module, reach *record.Reach, rec store.Record, f *Flow, tr *Transition, vals map[string]any) (*Fired, error) {
	if s.Approvals == nil {
		return nil, errs.New(errs.Unprocessable, "flow.approvals_unavailable")
	}
	id := rec["id"].(string)
	ok, err := s.inScope(ctx, m, id, reach.Update)
	if err != nil {
		return nil, err
	}
	if !reach.Rights.Can(access.ActUpdate) || !ok {
		return nil, errs.New(errs.Forbidden, "flow.cannot_update")
	}
	now := values(m, rec)
	for k, v := range vals {
		now[k] = v
	}
	changes := map[string]any{}
	for k, v := range vals {
		changes[k] = v
	}
	if err := s.judge(ctx, nil, m, f, tr, a, now, values(m, rec), changes, false).err(m, f, tr); err != nil {
		return nil, err
	}
	var instance string
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		cur, err := s.Store.RecordInTx(ctx, tx, m, id)
		if err != nil {
			return err
		}
		if cur["version"] != rec["version"] {
			return errs.New(errs.Conflict, "store.stale_version", "id", id)
		}
		instance, err = s.Approvals.StartForTransition(ctx, tx, a, m, cur, f, tr, vals)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &Fired{Approval: instance}, nil
}

// CompleteTransition moves the record along tr after its approval. Roles
// are not checked again (the submitter was allowed to request it); guards
// and required fields are. A refusal returns a *errs.Error the approval
// engine records on the instance. It runs inside the decision's
// transaction tx and writes as a (the write path's permission checks apply
// to a: pass the submitter, or a system actor).
func (s *Service) CompleteTransition(ctx context.Context, tx *store.Tx, a record.Actor, m *meta.Module, recordID, flowKey, transitionKey string) (store.Record, error) {
	f, tr, err := s.find(ctx, tx, m, flowKey, transitionKey)
	if err != nil {
		return nil, err
	}
	rec, err := s.Store.RecordInTx(ctx, tx, m, recordID)
	if err != nil {
		return nil, err
	}
	if cur := text(rec, f.Field); !tr.Leaves(cur) {
		return nil, errs.Fields(errs.Field(f.Field, "bad_transition", "flow.cannot_leave", "transition", f.TransitionName(tr.Key), "state", f.StateName(cur)))
	}
	ctx = withMove(record.WithTx(ctx, tx), &move{app: m.AppKey, module: m.Key, id: recordID, flow: f.Key, transition: tr.Key, approved: true})
	return s.Records.Update(ctx, a, m, recordID, rec["version"].(int64), map[string]any{f.Field: tr.To})
}

// find returns the pipeline of m named flowKey ("" = the one that has
// transition key) and its transition key; tx is the transaction the caller
// is in (nil: none).
func (s *Service) find(ctx context.Context, tx *store.Tx, m *meta.Module, flowKey, key string) (*Flow, *Transition, error) {
	flows, err := s.forModuleIn(ctx, tx, m.AppKey, m.Key)
	if err != nil {
		return nil, nil, err
	}
	var found *Flow
	for _, f := range flows {
		if (flowKey == "" || f.Key == flowKey) && f.Transition(key) != nil {
			if found != nil {
				return nil, nil, errs.New(errs.Invalid, "flow.ambiguous_transition", "key", key)
			}
			found = f
		}
	}
	if found == nil {
		return nil, nil, errs.New(errs.NotFound, "flow.transition_not_found", "key", key)
	}
	return found, found.Transition(key), nil
}

// contains reports whether flows holds f (by key: the cache may have been
// reloaded between the two reads).
func contains(flows []*Flow, f *Flow) bool {
	for _, g := range flows {
		if g.Key == f.Key {
			return true
		}
	}
	return false
}
