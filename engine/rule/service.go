package rule

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/expr"
	"github.com/tessera-app/tessera/engine/jobs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

// Rules lists an app's rules.
func (e *Engine) Rules(ctx context.Context, app string) ([]*Rule, error) {
	if _, err := e.Store.App(ctx, app); err != nil {
		return nil, err
	}
	rows, err := e.Store.Rules(ctx, app)
	if err != nil {
		return nil, err
	}
	out := []*Rule{}
	for _, row := range rows {
		r, err := fromRow(row)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Rule returns one rule.
func (e *Engine) Rule(ctx context.Context, app, key string) (*Rule, error) {
	row, err := e.Store.Rule(ctx, app, key)
	if err != nil {
		return nil, err
	}
	return fromRow(row)
}

// Create validates and stores a new rule.
func (e *Engine) Create(ctx context.Context, app string, r *Rule) (*Rule, error) {
	a, err := e.Store.App(ctx, app)
	if err != nil {
		return nil, err
	}
	r.App = app
	if err := e.check(ctx, r); err != nil {
		return nil, err
	}
	if r.Trigger.Type == "webhook" {
		r.Trigger.Token = newToken()
	}
	row := r.row(a.ID)
	if err := e.Store.CreateRule(ctx, row); err != nil {
		return nil, err
	}
	e.forget()
	out, err := e.Rule(ctx, app, r.Key)
	if err != nil {
		return nil, err
	}
	return out, e.afterRuleChange(ctx, out)
}

// Replace validates and stores a new definition of rule key; version (when
// not 0) must be the current one.
func (e *Engine) Replace(ctx context.Context, app, key string, r *Rule, version int) (*Rule, error) {
	cur, err := e.Store.Rule(ctx, app, key)
	if err != nil {
		return nil, err
	}
	if version == 0 {
		version = cur.Version
	}
	r.ID, r.App, r.Key = cur.ID, app, key
	if err := e.check(ctx, r); err != nil {
		return nil, err
	}
	if r.Trigger.Type == "webhook" {
		// The URL stays the same across edits; a new one comes with a new rule.
		prev, err := fromRow(cur)
		if err != nil {
			return nil, err
		}
		r.Trigger.Token = prev.Trigger.Token
		if r.Trigger.Token == "" {
			r.Trigger.Token = newToken()
		}
	}
	if err := e.Store.UpdateRule(ctx, r.row(cur.AppID), version); err != nil {
		return nil, err
	}
	e.forget()
	out, err := e.Rule(ctx, app, key)
	if err != nil {
		return nil, err
	}
	return out, e.afterRuleChange(ctx, out)
}

// SetEnabled turns a rule on or off.
func (e *Engine) SetEnabled(ctx context.Context, app, key string, on bool) (*Rule, error) {
	r, err := e.Rule(ctx, app, key)
	if err != nil {
		return nil, err
	}
	r.Enabled = on
	return e.Replace(ctx, app, key, r, r.Version)
}

// Delete removes a rule; its pending jobs find it gone and do nothing.
func (e *Engine) Delete(ctx context.Context, app, key string) error {
	row, err := e.Store.Rule(ctx, app, key)
	if err != nil {
		return err
	}
	if err := e.Store.DeleteRule(ctx, row.ID); err != nil {
		return err
	}
	e.forget()
	return e.Store.InTx(ctx, func(tx *store.Tx) error { return jobs.Cancel(ctx, tx, "rule.schedule:"+row.ID) })
}

// Runs lists a rule's logged runs, newest first.
func (e *Engine) Runs(ctx context.Context, app, key string, limit int) ([]*store.RuleRun, error) {
	row, err := e.Store.Rule(ctx, app, key)
	if err != nil {
		return nil, err
	}
	return e.Store.RuleRuns(ctx, store.RuleRunQuery{RuleID: row.ID, Limit: limit})
}

// RecordRuns lists the rule runs on one record, newest first.
func (e *Engine) RecordRuns(ctx context.Context, app, module, id string, limit int) ([]*store.RuleRun, error) {
	m, err := e.Meta.Module(ctx, app, module)
	if err != nil {
		return nil, err
	}
	return e.Store.RuleRuns(ctx, store.RuleRunQuery{App: m.AppKey, Module: m.Key, RecordID: strings.ToLower(id), Limit: limit})
}

// DryRunResult is what a rule would do to a record.
type DryRunResult struct {
	Applies bool     `json:"applies"`
	Effects []string `json:"effects"`
	Error   string   `json:"error,omitempty"`
}

// DryRun shows what rule key would do to record id, without doing it: the
// condition is evaluated as if the record had just been saved, and the
// actions describe their effects.
func (e *Engine) DryRun(ctx context.Context, a record.Actor, app, key, id string) (*DryRunResult, error) {
	r, err := e.Rule(ctx, app, key)
	if err != nil {
		return nil, err
	}
	m, err := e.Meta.Module(ctx, app, r.Module)
	if err != nil {
		return nil, err
	}
	stored, err := e.Records.Get(ctx, a, m, id, nil)
	if err != nil {
		return nil, err
	}
	rec := record.Values(m, stored)
	addSystem(rec, stored)
	res := &DryRunResult{Effects: []string{}}
	if r.Condition != "" {
		p, err := expr.Compile(r.Condition, m, "bool")
		if err != nil {
			return nil, err
		}
		if res.Applies, err = p.Bool(ctx, e.vars(m, rec, nil, a)); err != nil {
			res.Error = err.Error()
			return res, nil
		}
	} else {
		res.Applies = true
	}
	if !res.Applies {
		return res, nil
	}
	rc := &runContext{e: e, rule: r, module: m, record: rec, actor: a, dryRun: true, changes: map[string]any{}}
	for _, act := range r.Actions {
		t := e.mustAction(act.Type)
		run := t.After
		if r.BeforeSave {
			run = t.Before
		}
		if err := run(ctx, rc, act); err != nil {
			res.Error = errText(err)
			break
		}
	}
	res.Effects = append(res.Effects, rc.effects...)
	start := time.Now()
	e.logRun(ctx, nil, r, m, id, "dry_run", "dry_run", nil, rc.effects, time.Since(start))
	return res, nil
}

// check validates a rule against its module: key, trigger, condition and
// every action, with one field error per problem.
func (e *Engine) check(ctx context.Context, r *Rule) error {
	var fes []errs.FieldError
	if !meta.ValidKey(r.Key, meta.MaxFieldKey) {
		fes = append(fes, errs.Field("key", "bad_key", "rule.bad_key"))
	}
	m, err := e.Meta.Module(ctx, r.App, r.Module)
	if err != nil {
		fes = append(fes, errs.Field("module", "unknown_module", "rule.unknown_module", "module", r.Module))
		return errs.Fields(fes...)
	}
	t, ok := triggers[r.Trigger.Type]
	switch {
	case !ok:
		fes = append(fes, errs.Field("trigger.type", "unknown", "rule.unknown_trigger", "type", r.Trigger.Type, "types", names(triggers)))
	default:
		fes = append(fes, t.Check(r.Trigger, m)...)
		if check := e.TriggerChecks[r.Trigger.Type]; check != nil {
			fes = append(fes, check(ctx, r.Trigger, m)...)
		}
		if r.BeforeSave && !t.BeforeSave {
			fes = append(fes, errs.Field("before_save", "not_allowed", "rule.no_before_save", "type", r.Trigger.Type))
		}
	}
	// A manual rule's expressions read its inputs too; checked uncached (a
	// definition being saved has no version of its own yet).
	env, release := envFor(&Rule{Trigger: r.Trigger}, m)
	defer release()
	if r.Condition != "" {
		if _, err := compile(r.Condition, env, "bool"); err != nil {
			fes = append(fes, errs.Field("condition", "expression", "rule.bad_expression", "detail", errs.Detail(err)))
		}
	}
	if len(r.Actions) == 0 || len(r.Actions) > 20 {
		fes = append(fes, errs.Field("actions", "required", "rule.actions_required"))
	}
	fes = append(fes, e.checkActions(ctx, r.App, env, r.Actions, r.BeforeSave)...)
	if len(fes) > 0 {
		err := errs.Fields(fes...)
		err.Msg = errs.New(errs.Unprocessable, "rule.invalid").Msg
		return err
	}
	return nil
}

// CheckActions validates actions that run after save on records of m (the
// flow engine's on-enter actions of transitions), with one field error per
// problem, named "actions[i]. …".
func (e *Engine) CheckActions(ctx context.Context, app string, m *meta.Module, acts []Action) []errs.FieldError {
	return e.checkActions(ctx, app, m, acts, false)
}

func (e *Engine) checkActions(ctx context.Context, app string, m *meta.Module, acts []Action, beforeSave bool) []errs.FieldError {
	var fes []errs.FieldError
	for i, a := range acts {
		at, ok := e.actionType(a.Type)
		prefix := "actions[" + strconv.Itoa(i) + "]."
		if !ok {
			fes = append(fes, errs.Field(prefix+"type", "unknown", "rule.unknown_action", "type", a.Type, "types", e.actionNames()))
			continue
		}
		for _, fe := range at.Check(a, m, beforeSave) {
			fe.Field = prefix + fe.Field
			fes = append(fes, fe)
		}
		if a.Type == "create" || a.Type == "task" {
			fes = append(fes, e.checkTarget(ctx, prefix, app, a, m)...)
		}
		if a.Type == "convert" {
			fes = append(fes, e.checkConvert(ctx, prefix, app, a, m)...)
		}
	}
	return fes
}

func (e *Engine) checkTarget(ctx context.Context, prefix, app string, a Action, source *meta.Module) []errs.FieldError {
	target, err := e.Meta.Module(ctx, app, a.Module)
	if err != nil {
		return []errs.FieldError{errs.Field(prefix+"module", "unknown_module", "rule.unknown_module", "module", a.Module)}
	}
	var fes []errs.FieldError
	for _, fe := range checkValues(a, source, target, true) {
		fe.Field = prefix + fe.Field
		fes = append(fes, fe)
	}
	return fes
}

func names[T any](m map[string]T) string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}
