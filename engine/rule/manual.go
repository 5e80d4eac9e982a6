package rule

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/expr"
	"github.com/tessera-app/tessera/engine/form"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

// Buttons: a rule with a "manual" trigger is run by a person, on one
// record, from its page or a list's selected rows. Its actions run at once
// in one transaction, through the write path, as that person — their
// permissions apply to every write, and they must be allowed to update the
// record — never as the rule's system user. The trigger may ask for input
// first: trigger.inputs is a module-like document ({"properties": {…},
// "required": […]}, the field types and their checks as in a module), and
// the values, validated by the same validator records get, are read by the
// condition and the actions as input.<key>.

const triggerManual = "manual"

// inputLookup is the name expressions read inputs through (input.note).
const inputLookup = "input"

func init() {
	RegisterTrigger(triggerManual, TriggerType{Check: checkManual})
}

func checkManual(t Trigger, m *meta.Module) []errs.FieldError {
	if m.Field(inputLookup) != nil {
		return []errs.FieldError{errs.Field("trigger.inputs", "reserved", "rule.input_field_taken")}
	}
	if len(t.Inputs) == 0 {
		return nil
	}
	if _, err := meta.ParseSchema(t.Inputs); err != nil {
		e, _ := errs.As(err)
		if e == nil || len(e.Fields) == 0 {
			return []errs.FieldError{errs.Field("trigger.inputs", "invalid", "rule.bad_inputs", "detail", errs.Detail(err))}
		}
		var fes []errs.FieldError
		for _, fe := range e.Fields {
			fe.Field = "trigger.inputs." + fe.Field
			fes = append(fes, fe)
		}
		return fes
	}
	return nil
}

// inputs is the module the input document describes (nil: none), named
// by the rule's id and version so validators and programs are cached per
// rule version.
func inputs(r *Rule) (*meta.Module, error) {
	id := ""
	if r.ID != "" {
		id = r.ID + ":inputs"
	}
	if len(r.Trigger.Inputs) == 0 {
		return &meta.Module{ID: id, Version: r.Version, Key: inputLookup, Schema: json.RawMessage(`{"type":"object","properties":{},"additionalProperties":false}`)}, nil
	}
	p, err := meta.ParseSchema(r.Trigger.Inputs)
	if err != nil {
		return nil, err
	}
	return &meta.Module{ID: id, Version: r.Version, Key: inputLookup, Schema: p.Doc, Fields: p.Fields}, nil
}

// manualEnv is what a manual rule's expressions compile against: the
// record's module with one more lookup, "input", whose target is the
// inputs module; other lookups read nothing (as in any rule). The action
// checks and runs compile through compile(), which finds the environment's
// lookups by the module pointer; release forgets them.
func manualEnv(r *Rule, m *meta.Module, in *meta.Module) (env *meta.Module, release func()) {
	cp := *m
	cp.ID = ""
	if r.ID != "" {
		cp.ID = m.ID + "+" + r.ID // cached per rule version (in's id and version are in the programs' key)
	}
	cp.Fields = append(append([]*meta.Field{}, m.Fields...), &meta.Field{Key: inputLookup, Type: mustType("lookup"), Module: inputLookup})
	empty := &meta.Module{ID: "none", Key: "none"}
	lk := expr.Lookups(func(key string) *meta.Module {
		if key == inputLookup {
			return in
		}
		return empty
	})
	envLookups.Store(&cp, lk)
	return &cp, func() { envLookups.Delete(&cp) }
}

// envLookups are the lookups of the manual environments in use.
var envLookups sync.Map // *meta.Module → expr.Lookups

// compile compiles src over m, reading inputs when m is a manual rule's
// environment.
func compile(src string, m *meta.Module, want string) (*expr.Program, error) {
	if lk, ok := envLookups.Load(m); ok {
		return expr.CompileLookups(src, m, want, lk.(expr.Lookups))
	}
	return expr.Compile(src, m, want)
}

func mustType(name string) meta.FieldType {
	t, _ := meta.LookupType(name)
	return t
}

// envFor is the compile environment of rule r on m: m itself, or for a
// manual rule m with its inputs (release when done).
func envFor(r *Rule, m *meta.Module) (*meta.Module, func()) {
	if r.Trigger.Type != triggerManual {
		return m, func() {}
	}
	in, err := inputs(r)
	if err != nil {
		return m, func() {} // the trigger check reports the inputs
	}
	return manualEnv(r, m, in)
}

// Button is a manual rule as the caller may run it.
type Button struct {
	Key     string          `json:"key"`
	Label   meta.Label      `json:"label"`
	Inputs  json.RawMessage `json:"inputs,omitempty"`
	Applies *bool           `json:"applies,omitempty"` // for one record: whether its condition holds
}

// Buttons lists the manual rules of module m the actor may run: all of
// them for who may update m's records, none for others. With a record id,
// only when that record is within their update scope, each saying whether
// its condition holds for it.
func (e *Engine) Buttons(ctx context.Context, a record.Actor, m *meta.Module, id string) ([]Button, error) {
	rules, err := e.rulesFor(ctx, m.AppKey, m.Key)
	if err != nil {
		return nil, err
	}
	out := []Button{}
	reach, err := e.Records.ReachOf(ctx, &a, m)
	if err != nil {
		return nil, err
	}
	if !reach.Rights.Can(access.ActUpdate) {
		return out, nil
	}
	var rec map[string]any
	if id != "" {
		stored, err := e.Records.Get(ctx, a, m, id, nil)
		if err != nil {
			return nil, err
		}
		ok := false
		err = e.Store.InTx(ctx, func(tx *store.Tx) error {
			ok, err = e.Store.InScope(ctx, tx, m, id, reach.Update)
			return err
		})
		if err != nil || !ok {
			return out, err
		}
		rec = record.Values(m, stored)
		addSystem(rec, stored)
	}
	for _, r := range rules {
		if r.Trigger.Type != triggerManual {
			continue
		}
		b := Button{Key: r.Key, Label: r.Label, Inputs: r.Trigger.Inputs}
		if rec != nil {
			holds, _ := e.holds(ctx, r, m, rec, a) // a broken condition: the button does not apply
			b.Applies = &holds
		}
		out = append(out, b)
	}
	return out, nil
}

// holds evaluates a manual rule's condition on rec (with no input yet:
// input.* reads null).
func (e *Engine) holds(ctx context.Context, r *Rule, m *meta.Module, rec map[string]any, a record.Actor) (bool, error) {
	if r.Condition == "" {
		return true, nil
	}
	env, release := envFor(r, m)
	defer release()
	p, err := compile(r.Condition, env, "bool")
	if err != nil {
		return false, err
	}
	return p.Bool(ctx, e.vars(m, rec, nil, a))
}

// ButtonResult is what a click did: the record afterwards, as the actor
// sees it, and the actions' effects.
type ButtonResult struct {
	Record  store.Record `json:"record"`
	Effects []string     `json:"effects"`
}

// Press runs manual rule key on record id of m as the actor: the input is
// validated against the trigger's inputs (422 with one error per field),
// the actor must be allowed to update the record (403, 404 when they
// cannot see it), the condition must hold (409), and then every action
// runs in one transaction, writing as the actor. Any failure rolls all of
// it back.
func (e *Engine) Press(ctx context.Context, a record.Actor, m *meta.Module, key, id string, input map[string]any) (*ButtonResult, error) {
	r, err := e.Rule(ctx, m.AppKey, key)
	if err != nil {
		return nil, err
	}
	if r.Module != m.Key || r.Trigger.Type != triggerManual || !r.Enabled {
		return nil, errs.New(errs.NotFound, "rule.no_button", "key", key)
	}
	in, err := inputs(r)
	if err != nil {
		return nil, err
	}
	v, err := form.For(in)
	if err != nil {
		return nil, err
	}
	if input == nil {
		input = map[string]any{}
	}
	values, err := v.Create(input)
	if err != nil {
		return nil, err
	}
	reach, err := e.Records.ReachOf(ctx, &a, m)
	if err != nil {
		return nil, err
	}
	if !reach.Rights.Can(access.ActUpdate) {
		return nil, record.Forbidden(m, access.ActUpdate)
	}
	env, release := manualEnv(r, m, in)
	defer release()
	start := time.Now()
	var rc *runContext
	err = e.Store.InTx(ctx, func(tx *store.Tx) error {
		stored, err := e.Store.RecordInTx(ctx, tx, m, id, reach.Read)
		if err != nil {
			return err
		}
		ok, err := e.Store.InScope(ctx, tx, m, id, reach.Update)
		if err != nil {
			return err
		}
		if !ok {
			return errs.New(errs.Forbidden, "record.out_of_scope")
		}
		rec := record.Values(m, stored)
		addSystem(rec, stored)
		given := map[string]any{}
		for k, val := range values {
			given[inputLookup+"."+k] = val
		}
		rc = &runContext{e: e, rule: r, module: m, record: rec, actor: a, tx: tx, env: env, inputs: given}
		if r.Condition != "" {
			p, err := compile(r.Condition, env, "bool")
			if err != nil {
				return err
			}
			holds, err := p.Bool(ctx, e.vars(m, withInputs(rec, given), nil, a))
			if err != nil {
				return err
			}
			if !holds {
				return errs.New(errs.Conflict, "rule.button_not_applicable", "rule", r.Label)
			}
		}
		actx := context.WithValue(record.WithTx(ctx, tx), depthKey{}, 1)
		for _, act := range r.Actions {
			if err := e.mustAction(act.Type).After(actx, rc, act); err != nil {
				return err
			}
		}
		return e.logRun(ctx, tx, r, m, id, triggerManual, "ok", nil, rc.effects, time.Since(start))
	})
	if err != nil {
		if rc != nil && errs.CodeOf(err) == errs.Internal {
			e.logLater(ctx, r, m, id, triggerManual, err, rc.effects, time.Since(start))
		}
		return nil, err
	}
	rec, err := e.Records.Get(ctx, a, m, id, nil)
	if errs.Is(err, errs.NotFound) {
		rec, err = nil, nil // the button took the record out of the actor's sight (deleted, merged, handed over)
	}
	if err != nil {
		return nil, err
	}
	return &ButtonResult{Record: rec, Effects: append([]string{}, rc.effects...)}, nil
}

// MaxPressBatch bounds a bulk press (a list's selected rows).
const MaxPressBatch = 200

// PressResult is one row of a bulk press.
type PressResult struct {
	ID     string        `json:"id"`
	Result *ButtonResult `json:"result,omitempty"`
	Error  error         `json:"-"`
}

// PressMany runs manual rule key on each of ids as the actor, each record
// in its own transaction (one failing leaves the others done), with the
// same input.
func (e *Engine) PressMany(ctx context.Context, a record.Actor, m *meta.Module, key string, ids []string, input map[string]any) ([]PressResult, error) {
	if len(ids) == 0 || len(ids) > MaxPressBatch {
		return nil, errs.New(errs.Invalid, "rule.press_batch", "max", MaxPressBatch)
	}
	out := make([]PressResult, 0, len(ids))
	for _, id := range ids {
		id = strings.ToLower(id)
		res, err := e.Press(ctx, a, m, key, id, cloneInput(input))
		if err != nil && errs.CodeOf(err) == errs.Internal {
			return nil, fmt.Errorf("press %s on %s: %w", key, id, err)
		}
		out = append(out, PressResult{ID: id, Result: res, Error: err})
	}
	return out, nil
}

// withInputs is rec with a manual rule's inputs laid over (rec itself
// when there are none).
func withInputs(rec, inputs map[string]any) map[string]any {
	if len(inputs) == 0 {
		return rec
	}
	out := cloneInput(rec)
	for k, v := range inputs {
		out[k] = v
	}
	return out
}

func cloneInput(in map[string]any) map[string]any {
	out := make(map[string]any, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}
