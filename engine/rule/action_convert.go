package rule

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
)

// convert creates several linked records from one (a lead → an account, a
// contact and an opportunity; a quote → a contract) and marks the source:
//
//	{"type": "convert",
//	 "targets": [{"as": "account", "module": "account", "values": {"name": "company"}},
//	             {"as": "contact", "module": "contact", "values": {"name": "name"}, "links": {"account": "account"}}],
//	 "values": {"status": "\"converted\""}, "links": {"converted_account": "account"}}
//
// Each target is a create through the write path with its values (expressions
// over the source) and links (a lookup field ← the record an earlier target
// created); then the source is updated with values and links. All of it
// happens in the transaction the action runs in — a rule's job, a button's
// press, a transition's on-enter job — so validation, rules and audit apply
// to every record and any failure takes every record back.

// ConvertTarget is one record a convert action creates.
type ConvertTarget struct {
	As     string            `json:"as"`
	Module string            `json:"module"`
	Values map[string]string `json:"values,omitempty"`
	Links  map[string]string `json:"links,omitempty"` // lookup field → the "as" of an earlier target
}

// MaxConvertTargets bounds one conversion.
const MaxConvertTargets = 10

func init() {
	RegisterAction("convert", ActionType{Check: func(a Action, _ *meta.Module, beforeSave bool) []errs.FieldError {
		if beforeSave {
			return []errs.FieldError{errs.Field("type", "after_save_only", "rule.after_save_only")}
		}
		return nil // checkConvert, which can load the targets
	}, After: convert})
}

// checkConvert checks the targets (modules, fields, expressions and links)
// and the source's own values and links.
func (e *Engine) checkConvert(ctx context.Context, prefix, app string, a Action, source *meta.Module) []errs.FieldError {
	var fes []errs.FieldError
	if len(a.Targets) == 0 || len(a.Targets) > MaxConvertTargets {
		return []errs.FieldError{errs.Field(prefix+"targets", "required", "rule.convert_targets", "max", MaxConvertTargets)}
	}
	made := map[string]*meta.Module{} // as → module, for the links after it
	for i, t := range a.Targets {
		tp := prefix + "targets[" + strconv.Itoa(i) + "]."
		if !meta.ValidKey(t.As, meta.MaxFieldKey) || made[t.As] != nil {
			fes = append(fes, errs.Field(tp+"as", "bad_key", "rule.convert_bad_as", "name", t.As))
			continue
		}
		target, err := e.Meta.Module(ctx, app, t.Module)
		if err != nil {
			fes = append(fes, errs.Field(tp+"module", "unknown_module", "rule.unknown_module", "module", t.Module))
			continue
		}
		if len(t.Values) > 0 {
			for _, fe := range checkValues(Action{Values: t.Values}, source, target, true) {
				fe.Field = tp + fe.Field
				fes = append(fes, fe)
			}
		}
		fes = append(fes, checkLinks(tp, t.Links, target, made)...)
		made[t.As] = target
	}
	if len(a.Values) > 0 {
		for _, fe := range checkValues(a, source, source, false) {
			fe.Field = prefix + fe.Field
			fes = append(fes, fe)
		}
	}
	return append(fes, checkLinks(prefix, a.Links, source, made)...)
}

// checkLinks: each field is a lookup of m to the module of an earlier
// target.
func checkLinks(prefix string, links map[string]string, m *meta.Module, made map[string]*meta.Module) []errs.FieldError {
	var fes []errs.FieldError
	for _, field := range slices.Sorted(maps.Keys(links)) {
		as := links[field]
		f := m.Field(field)
		to := made[as]
		switch {
		case f == nil:
			fes = append(fes, errs.Field(prefix+"links."+field, "unknown_field", "rule.unknown_field", "field", field))
		case to == nil:
			fes = append(fes, errs.Field(prefix+"links."+field, "unknown_target", "rule.convert_bad_link", "name", as))
		case f.Column().RefModule != to.Key || f.Column().RefUsers:
			fes = append(fes, errs.Field(prefix+"links."+field, "not_lookup", "rule.convert_not_lookup", "field", f.Named(), "module", to.Label))
		}
	}
	return fes
}

func convert(ctx context.Context, rc *runContext, a Action) error {
	if rc.record == nil {
		return nil
	}
	created := map[string]string{} // as → id
	var names []string
	for _, t := range a.Targets {
		target, err := rc.e.Meta.Module(ctx, rc.module.AppKey, t.Module)
		if err != nil {
			return err
		}
		vals, err := rc.values(ctx, target, t.Values)
		if err != nil {
			return err
		}
		for field, as := range t.Links {
			vals[field] = created[as]
		}
		if _, given := t.Values["owner"]; !given {
			vals["owner"] = rc.record["owner"] // as create: the source's owner owns what it becomes
		}
		names = append(names, t.As)
		if rc.dryRun {
			created[t.As] = "(" + t.As + ")"
			continue
		}
		rec, err := rc.e.Records.Create(ctx, rc.actor, target, vals)
		if err != nil {
			return fmt.Errorf("convert: %s: %w", t.As, err)
		}
		created[t.As] = rec["id"].(string)
	}
	vals, err := rc.values(ctx, rc.module, a.Values)
	if err != nil {
		return err
	}
	for field, as := range a.Links {
		vals[field] = created[as]
	}
	rc.effects = append(rc.effects, "convert to "+strings.Join(names, ", "))
	if rc.dryRun || len(vals) == 0 {
		return nil
	}
	version, _ := rc.record["version"].(int64)
	rec, err := rc.e.Records.Update(ctx, rc.actor, rc.module, rc.record["id"].(string), version, vals)
	if err != nil {
		return fmt.Errorf("convert: marking the source: %w", err)
	}
	rc.record = record.Values(rc.module, rec)
	addSystem(rc.record, rec)
	return nil
}
