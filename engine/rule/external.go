package rule

import (
	"context"
	"sort"
	"strings"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/expr"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

// Other engines extend rules without this package importing them: they
// add actions to an Engine (AddAction: the approval engine's "approval"
// action) and fire event triggers that no record write fires (Fire: the
// approval_* triggers), registered like any trigger with RegisterTrigger
// and a nil Matches.

// ActionCall is what an added action sees when it runs: the job's
// transaction, the rule, its module and the record's current values.
type ActionCall struct {
	Tx     *store.Tx
	Rule   *Rule
	Module *meta.Module
	Record map[string]any
	Action Action
	// Actor is who the rule writes as (its system user, or the clicking
	// user of a button).
	Actor record.Actor
}

// AddAction adds an action type to this engine: check validates it in a
// rule (after save only), run performs it inside the rule's job and
// returns a line for the run log.
func (e *Engine) AddAction(name string, check func(a Action, m *meta.Module) []errs.FieldError,
	run func(ctx context.Context, c ActionCall) (string, error)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.extra == nil {
		e.extra = map[string]ActionType{}
	}
	e.extra[name] = ActionType{
		Check: func(a Action, m *meta.Module, beforeSave bool) []errs.FieldError {
			if beforeSave {
				return []errs.FieldError{errs.Field("type", "after_save_only", "rule.after_save_only")}
			}
			return check(a, m)
		},
		After: func(ctx context.Context, rc *runContext, a Action) error {
			if rc.dryRun {
				rc.effects = append(rc.effects, "would run "+name)
				return nil
			}
			effect, err := run(ctx, ActionCall{Tx: rc.tx, Rule: rc.rule, Module: rc.module, Record: rc.record, Action: a, Actor: rc.actor})
			if effect != "" {
				rc.effects = append(rc.effects, effect)
			}
			return err
		},
	}
}

// actionType finds an action type: this engine's added ones, then the
// registry.
func (e *Engine) actionType(name string) (ActionType, bool) {
	e.mu.RLock()
	t, ok := e.extra[name]
	e.mu.RUnlock()
	if ok {
		return t, true
	}
	t, ok = actionTypes[name]
	return t, ok
}

// mustAction is the type of an action that check accepted; a rule whose
// action type went away (an engine no longer wired) fails its run.
func (e *Engine) mustAction(name string) ActionType {
	if t, ok := e.actionType(name); ok {
		return t
	}
	missing := func(context.Context, *runContext, Action) error {
		return errs.New(errs.Unprocessable, "rule.unknown_action", "type", name, "types", e.actionNames())
	}
	return ActionType{Before: missing, After: missing}
}

func (e *Engine) actionNames() string {
	e.mu.RLock()
	defer e.mu.RUnlock()
	var out []string
	for k := range actionTypes {
		out = append(out, k)
	}
	for k := range e.extra {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// Fire fires an event trigger on a record inside tx (the transaction of
// the change that is the event): each enabled rule of the module with that
// trigger type, for which match (when given) accepts the rule's trigger
// and whose condition holds on the record, leaves a rule.run job in tx.
func (e *Engine) Fire(ctx context.Context, tx *store.Tx, m *meta.Module, recordID, trigger string, match func(Trigger) bool) error {
	rules, err := e.rulesFor(ctx, m.AppKey, m.Key)
	if err != nil {
		return err
	}
	var rec map[string]any
	for _, r := range rules {
		if r.Trigger.Type != trigger || (match != nil && !match(r.Trigger)) {
			continue
		}
		if r.Condition != "" {
			if rec == nil {
				stored, err := e.Store.RecordInTx(ctx, tx, m, recordID)
				if err != nil {
					return err
				}
				rec = current(&record.Event{Module: m, New: stored})
			}
			p, err := expr.Compile(r.Condition, m, "bool")
			if err == nil {
				var v any
				if v, err = p.Run(e.vars(m, rec, nil, systemActor)); err == nil && v != true {
					continue
				}
			}
			if err != nil {
				if err := e.logRun(ctx, tx, r, m, recordID, trigger, "failed", err, nil, 0); err != nil {
					return err
				}
				continue
			}
		}
		if err := enqueueRun(ctx, tx, payload{RuleID: r.ID, Version: r.Version, App: r.App, Module: r.Module,
			Record: recordID, Trigger: trigger, Depth: depthOf(ctx) + 1}); err != nil {
			return err
		}
	}
	return nil
}
