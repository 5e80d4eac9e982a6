package rule

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/jobs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

// runContext is one rule's run on one record.
type runContext struct {
	e       *Engine
	rule    *Rule
	module  *meta.Module
	record  map[string]any // current values (fields and system keys)
	old     map[string]any
	actor   record.Actor
	changes map[string]any // before save: the write's changes, which set may extend
	tx      *store.Tx      // after save: the job's transaction
	env     *meta.Module   // what expressions compile against when not module (a manual rule's inputs, manual.go)
	inputs  map[string]any // a manual rule's inputs, as "input.<key>" (they outlive the record's refreshes)
	dryRun  bool
	effects []string // what the run did (or, dry, would do), for the log
}

// ActionType is one kind of action. Before runs inside a write (before-save
// rules); After runs from the rule's job; either may be nil when the action
// cannot run there. Dry describes what After would do without doing it.
type ActionType struct {
	Check  func(a Action, m *meta.Module, beforeSave bool) []errs.FieldError
	Before func(ctx context.Context, rc *runContext, a Action) error
	After  func(ctx context.Context, rc *runContext, a Action) error
}

var actionTypes = map[string]ActionType{}

// RegisterAction adds an action type.
func RegisterAction(name string, t ActionType) { actionTypes[name] = t }

func init() {
	RegisterAction("set", ActionType{Check: checkSet, Before: setBefore, After: setAfter})
	RegisterAction("reject", ActionType{Check: checkReject, Before: reject})
	RegisterAction("create", ActionType{Check: checkCreate, After: create})
	RegisterAction("task", ActionType{Check: checkCreate, After: create})
	RegisterAction("webhook", ActionType{Check: checkWebhook, After: webhook})
}

// values evaluates an action's field expressions against the record.
func (rc *runContext) values(ctx context.Context, target *meta.Module, exprs map[string]string) (map[string]any, error) {
	out := make(map[string]any, len(exprs))
	keys := make([]string, 0, len(exprs))
	for k := range exprs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, field := range keys {
		env := rc.module
		if rc.env != nil {
			env = rc.env
		}
		p, err := compile(exprs[field], env, "")
		if err != nil {
			return nil, fmt.Errorf("%s: %w", field, err)
		}
		v, err := p.Eval(ctx, rc.e.vars(rc.module, withInputs(rc.record, rc.inputs), rc.old, rc.actor))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", field, err)
		}
		out[field] = v
	}
	return out, nil
}

func checkValues(a Action, source, target *meta.Module, allowOwner bool) []errs.FieldError {
	var fes []errs.FieldError
	if len(a.Values) == 0 {
		fes = append(fes, errs.Field("values", "required", "rule.values_required"))
	}
	for field, src := range a.Values {
		if target.Field(field) == nil && !(allowOwner && field == "owner") {
			fes = append(fes, errs.Field("values."+field, "unknown_field", "rule.unknown_field", "field", field))
			continue
		}
		if _, err := compile(src, source, ""); err != nil {
			fes = append(fes, errs.Field("values."+field, "expression", "rule.bad_expression", "detail", errs.Detail(err)))
		}
	}
	return fes
}

func errText(err error) string {
	if e, ok := errs.As(err); ok {
		return e.Error()
	}
	return err.Error()
}

// set: before save, the values join the write; after save, they are a
// second write of the record (with its version check).
func checkSet(a Action, m *meta.Module, _ bool) []errs.FieldError { return checkValues(a, m, m, true) }

func setBefore(ctx context.Context, rc *runContext, a Action) error {
	vals, err := rc.values(ctx, rc.module, a.Values)
	if err != nil {
		return err
	}
	for k, v := range vals {
		rc.changes[k] = v
		rc.record[k] = v
	}
	rc.effects = append(rc.effects, fmt.Sprintf("set %s", keysOf(vals)))
	return nil
}

func setAfter(ctx context.Context, rc *runContext, a Action) error {
	if rc.record == nil {
		return nil
	}
	vals, err := rc.values(ctx, rc.module, a.Values)
	if err != nil {
		return err
	}
	rc.effects = append(rc.effects, fmt.Sprintf("set %s", keysOf(vals)))
	if rc.dryRun {
		rc.effects[len(rc.effects)-1] += " = " + show(vals)
		return nil
	}
	version, _ := rc.record["version"].(int64)
	rec, err := rc.e.Records.Update(ctx, rc.actor, rc.module, rc.record["id"].(string), version, vals)
	if err != nil {
		return err
	}
	rc.record = record.Values(rc.module, rec)
	addSystem(rc.record, rec)
	return nil
}

// reject refuses the write (before save only) with the rule's message.
func checkReject(a Action, _ *meta.Module, beforeSave bool) []errs.FieldError {
	if !beforeSave {
		return []errs.FieldError{errs.Field("type", "before_save_only", "rule.before_save_only")}
	}
	if len(a.Message) == 0 {
		return []errs.FieldError{errs.Field("message", "required", "rule.message_required")}
	}
	return nil
}

func reject(_ context.Context, rc *runContext, a Action) error {
	e := errs.Fields(errs.FieldError{Field: "", Code: "rule:" + rc.rule.Key, Msg: messageOf(a.Message, rc.record)})
	e.Msg = messageOf(a.Message, rc.record)
	return e
}

// create (and task, a create in a task module): a new record in a module
// of the same app, written through the record service.
func checkCreate(a Action, m *meta.Module, beforeSave bool) []errs.FieldError {
	if beforeSave {
		return []errs.FieldError{errs.Field("type", "after_save_only", "rule.after_save_only")}
	}
	return nil // the target module is checked by the service, which can load it
}

func create(ctx context.Context, rc *runContext, a Action) error {
	target, err := rc.e.Meta.Module(ctx, rc.module.AppKey, a.Module)
	if err != nil {
		return err
	}
	vals, err := rc.values(ctx, target, a.Values)
	if err != nil {
		return err
	}
	// The new record belongs to whom the action says ("owner": an
	// expression), else to the triggering record's owner: the rep whose
	// lead made the task sees it under scope "own". The rule's own user
	// only creates it (created_by).
	if _, given := a.Values["owner"]; !given {
		vals["owner"] = rc.record["owner"]
	}
	rc.effects = append(rc.effects, fmt.Sprintf("create %s", a.Module))
	if rc.dryRun {
		rc.effects[len(rc.effects)-1] += " " + show(vals)
		return nil
	}
	rec, err := rc.e.Records.Create(ctx, rc.actor, target, vals)
	if err != nil {
		return err
	}
	rc.effects[len(rc.effects)-1] += " " + fmt.Sprint(rec["id"])
	return nil
}

// webhook queues a signed POST of the record: a job of its own, so a slow
// or failing target retries with backoff without holding anything up.
func checkWebhook(a Action, _ *meta.Module, beforeSave bool) []errs.FieldError {
	switch {
	case beforeSave:
		return []errs.FieldError{errs.Field("type", "after_save_only", "rule.after_save_only")}
	case !strings.HasPrefix(a.URL, "http://") && !strings.HasPrefix(a.URL, "https://"):
		return []errs.FieldError{errs.Field("url", "bad_url", "rule.bad_url")}
	}
	return nil
}

type webhookPayload struct {
	URL    string         `json:"url"`
	Secret string         `json:"secret,omitempty"`
	Body   map[string]any `json:"body"`
}

func webhook(ctx context.Context, rc *runContext, a Action) error {
	body := map[string]any{"rule": rc.rule.Key, "app": rc.module.AppKey, "module": rc.module.Key, "record": rc.record}
	rc.effects = append(rc.effects, "webhook "+a.URL)
	if rc.dryRun {
		return nil
	}
	p, _ := json.Marshal(webhookPayload{URL: a.URL, Secret: a.Secret, Body: body})
	return jobs.Enqueue(ctx, rc.tx, jobs.Job{Kind: jobWebhook, Payload: p})
}

func keysOf(m map[string]any) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

func show(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
