package record

// Computed values on the write path: default expressions, formula fields,
// validation rules (x-validations) and rollups.
//
//   - Default expressions (x-field.default {"expr": "…"}) are evaluated on
//     create for fields the input leaves absent or null, before the input is
//     validated, so their values are validated like typed ones. One that
//     fails at run time (or yields null) leaves the field empty.
//   - Formulas are evaluated in dependency order over the merged record
//     (stored values, the write's changes and what before-save hooks set),
//     after the before-save hooks and before the row is written; changed
//     values join the write's changes (and so its audit entry). A formula
//     that fails at run time (a division by zero, a bad argument) stores
//     null and does not fail the write: the user cannot fix the formula, and
//     one bad value must not block the record; the designer's preview shows
//     such errors.
//   - Validation rules then run over the merged record, formulas included;
//     a rule that is false — or null, or fails at run time — refuses the
//     write with a 422 FieldError on the rule's field, code "rule", with
//     the rule's own message in the caller's language.
//   - Rollups (rollup.go) are kept current by an in-transaction hook on the
//     child module.

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/expr"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
)

func init() {
	// meta cannot import expr (expr imports meta): it checks formulas,
	// default expressions, rules and rollup filters through these.
	meta.CheckExpr = func(src string, m *meta.Module, want string) error {
		_, err := expr.Compile(src, m, want)
		return err
	}
	meta.CheckFormula = func(src string, m *meta.Module, want string, targets func(string) *meta.Module) error {
		lk := expr.Unknown
		if targets != nil {
			lk = targets
		}
		_, err := expr.CompileLookups(src, m, want, lk)
		return err
	}
	meta.ExprReads = expr.Reads
	meta.CheckFilter = func(src string, m *meta.Module) error {
		_, err := expr.Filter(src, store.Resolver(m), expr.Dialect("sqlite"), 0)
		return err
	}
	i18n.RegisterAll(map[string]map[string]string{
		"record.rule_failed": {i18n.EN: "The record does not pass a validation rule.", i18n.ZhCN: "记录未通过校验规则。"}, // a rule's own message (Msg.Text); this only when it has none
	})
}

// userVars are what expressions read of the actor.
func userVars(a *Actor) expr.UserVars {
	var u expr.UserVars
	if a == nil || a.User == nil {
		return u
	}
	u.ID = a.User.ID
	if p := a.Principal; p != nil {
		u.Departments = p.Departments
		for _, r := range p.Roles {
			u.Roles = append(u.Roles, r.Key)
		}
	}
	return u
}

// withDefaults returns input with the default expressions of absent (or
// null) fields evaluated; input itself is not changed.
func (s *Service) withDefaults(ctx context.Context, a *Actor, m *meta.Module, input map[string]any) map[string]any {
	var out map[string]any
	for _, f := range m.Fields {
		if f.DefaultExpr == "" || f.ReadOnly() || input[f.Key] != nil {
			continue
		}
		p, err := expr.Compile(f.DefaultExpr, m, meta.ExprWant(f.Column()))
		if err != nil {
			continue // checked when the schema was saved
		}
		if out == nil {
			out = make(map[string]any, len(input)+1)
			for k, v := range input {
				out[k] = v
			}
		}
		v, err := p.Eval(ctx, expr.Vars{Record: nonNull(out), User: userVars(a), Now: s.Store.Now(), Calendar: s.Calendar})
		if err == nil && v != nil {
			out[f.Key] = v
		}
	}
	if out == nil {
		return input
	}
	return out
}

// computed evaluates the formulas of m into changes and checks the
// module's validation rules. old is the stored record (nil on create; sys
// then holds the system keys the new record will have, such as owner); r
// are the actor's rights (hidden fields stay out of rule messages).
func (s *Service) computed(ctx context.Context, tx *store.Tx, a *Actor, r *access.ModuleRights, m *meta.Module, old, sys store.Record, changes map[string]any) error {
	hidden := r.Hidden
	formulas := meta.FormulaOrder(m)
	if len(formulas) == 0 && len(m.Validations) == 0 && old != nil {
		return nil
	}
	merged := map[string]any{}
	for k, v := range sys {
		merged[k] = v
	}
	var before map[string]any
	if old != nil {
		for k, v := range old {
			merged[k] = v
		}
		before = fieldValues(m, old)
		for k, v := range before {
			merged[k] = v
		}
	} else {
		for _, f := range m.Fields {
			if f.Type.Name() == "rollup" && (f.Op == "sum" || f.Op == "count") {
				changes[f.Key] = json.Number("0") // no children yet
			}
		}
	}
	for k, v := range changes {
		merged[k] = v
	}
	user := userVars(a)
	vars := expr.Vars{Record: merged, Old: before, User: user, Now: tx.Now, Calendar: s.Calendar}
	if err := s.evalFormulas(ctx, tx, m, vars, func(f *meta.Field, v any) {
		if old == nil {
			if v != nil {
				changes[f.Key] = v
			}
		} else if !sameValue(v, before[f.Key]) {
			changes[f.Key] = v
		}
	}); err != nil {
		return err
	}
	return validate(ctx, m, vars, hidden)
}

// evalFormulas computes m's formulas in dependency order over
// vars.Record, which it updates, and tells set each value. The records
// that formulas read through lookups (`account.region`) are read in tx,
// whatever the actor's scope: a formula is the module's, not the reader's
// (who may see its value is decided by the effective field levels,
// engine/access/effective.go).
func (s *Service) evalFormulas(ctx context.Context, tx *store.Tx, m *meta.Module, vars expr.Vars, set func(f *meta.Field, v any)) error {
	lk := s.lookups(ctx, m)
	type compiled struct {
		f *meta.Field
		p *expr.Program
	}
	var progs []compiled
	through := map[string][]string{} // lookup field → target fields read
	for _, f := range meta.FormulaOrder(m) {
		p, err := expr.CompileLookups(f.Formula, m, meta.FormulaWant(f), lk)
		if err != nil {
			p = nil // checked when saved; a target changed since: the formula stores null
		}
		progs = append(progs, compiled{f, p})
		if p == nil {
			continue
		}
		for _, r := range p.Reads() {
			if l, x, ok := strings.Cut(r, "."); ok {
				through[l] = append(through[l], x)
			}
		}
	}
	for l, xs := range through {
		vals, err := s.lookupRecord(ctx, tx, m, l, vars.Record[l])
		if err != nil {
			return err
		}
		for _, x := range xs {
			vars.Record[l+"."+x] = vals[x]
		}
	}
	for _, c := range progs {
		var v any
		if c.p != nil {
			if out, err := c.p.Eval(ctx, vars); err == nil {
				v = coerce(c.f.Column(), out)
			}
		}
		vars.Record[c.f.Key] = v
		set(c.f, v)
	}
	for l, xs := range through {
		for _, x := range xs {
			delete(vars.Record, l+"."+x)
		}
	}
	return nil
}

// lookups are the modules m's lookup fields point to, for formulas.
func (s *Service) lookups(ctx context.Context, m *meta.Module) expr.Lookups {
	return func(key string) *meta.Module {
		t, _ := s.appModule(ctx, m, key)
		return t
	}
}

// LookupsOf are the modules m's lookup fields point to, for expressions
// that read through them (a pipeline's guards).
func (s *Service) LookupsOf(ctx context.Context, m *meta.Module) expr.Lookups {
	return s.lookups(ctx, m)
}

// Through compiles src (an expression over records of m, such as a
// pipeline's guard) with reads through lookup fields (`account.tier`),
// and returns it with rec extended by the values it reads of the records
// rec's lookups point to (a copy; rec itself is not changed). They are
// read in tx, or outside a transaction when tx is nil, whatever the
// actor's scope, as formulas read them.
func (s *Service) Through(ctx context.Context, tx *store.Tx, m *meta.Module, src, want string, rec map[string]any) (*expr.Program, map[string]any, error) {
	p, err := expr.CompileLookups(src, m, want, s.lookups(ctx, m))
	if err != nil {
		return nil, nil, err
	}
	out := rec
	read := map[string]map[string]any{} // lookup field → the record it points to
	for _, r := range p.Reads() {
		l, x, ok := strings.Cut(r, ".")
		if !ok {
			continue
		}
		vals, done := read[l]
		if !done {
			if vals, err = s.lookupRecord(ctx, tx, m, l, rec[l]); err != nil {
				return nil, nil, err
			}
			read[l] = vals
		}
		if len(read) == 1 && !done {
			out = make(map[string]any, len(rec)+4)
			for k, v := range rec {
				out[k] = v
			}
		}
		out[l+"."+x] = vals[x]
	}
	return p, out, nil
}

// appModule is module key of m's app (m itself for its own key), from the
// app's cached module list (see write).
func (s *Service) appModule(ctx context.Context, m *meta.Module, key string) (*meta.Module, error) {
	if key == m.Key {
		return m, nil
	}
	mods, err := s.appModules(ctx, m.AppKey)
	if err != nil {
		return nil, err
	}
	for _, t := range mods {
		if t.Key == key {
			return t, nil
		}
	}
	return s.Modules.Module(ctx, m.AppKey, key)
}

// lookupRecord reads, in tx (nil: outside a transaction), the live record lookup field l of m points
// to (id), as formulas see it: its field values and system keys; nil when
// it points nowhere.
func (s *Service) lookupRecord(ctx context.Context, tx *store.Tx, m *meta.Module, l string, id any) (map[string]any, error) {
	f := m.Field(l)
	sid, _ := id.(string)
	if f == nil || sid == "" {
		return nil, nil
	}
	t, err := s.appModule(ctx, m, f.Module)
	if err != nil {
		return nil, err
	}
	var rec store.Record
	if tx != nil {
		rec, err = s.Store.RecordInTx(ctx, tx, t, sid)
	} else {
		rec, err = s.Store.Record(ctx, t, sid)
	}
	if errs.Is(err, errs.NotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := fieldValues(t, rec)
	for _, k := range meta.SystemFields {
		if _, isField := out[k]; !isField {
			out[k] = rec[k]
		}
	}
	return out, nil
}

// coerce fits a formula's value to its column: integers are rounded,
// decimals rounded to their scale.
func coerce(c meta.Column, v any) any {
	n, ok := v.(json.Number)
	if !ok {
		return v
	}
	x, err := n.Float64()
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	switch c.Kind {
	case meta.ColInteger:
		r := math.Round(x)
		if math.Abs(r) >= 1<<63 {
			return nil
		}
		return json.Number(strconv.FormatInt(int64(r), 10))
	case meta.ColDecimal:
		s := strconv.FormatFloat(x, 'f', c.Scale, 64)
		if c.Precision > 0 {
			digits := strings.TrimLeft(strings.SplitN(strings.TrimPrefix(s, "-"), ".", 2)[0], "0")
			if len(digits) > c.Precision-c.Scale {
				return nil // does not fit NUMERIC(p, s)
			}
		}
		return json.Number(s)
	}
	return n
}

// validate runs the module's validation rules over vars.Record. A failing
// rule that reads a field hidden from the actor (hidden) is reported as
// the generic "a field you cannot see is invalid": its own message, and
// the values it fills in, would describe what they may not see.
func validate(ctx context.Context, m *meta.Module, vars expr.Vars, hidden func(string) bool) error {
	var fes []errs.FieldError
	for _, v := range m.Validations {
		p, err := expr.Compile(v.Rule, m, "bool")
		ok := false
		if err == nil {
			ok, err = p.Bool(ctx, vars)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err == nil && ok {
			continue
		}
		if m.ExprHidden(v.Rule, hidden) {
			fes = append(fes, errs.Field("", "hidden_field_invalid", "record.hidden_invalid"))
			continue
		}
		text := i18n.Text{}
		for loc, s := range v.Message {
			text[loc] = fill(s, m, vars.Record, hidden)
		}
		fes = append(fes, errs.FieldError{Field: v.Field, Code: "rule", Msg: i18n.Msg{Key: "record.rule_failed", Text: text}})
	}
	if len(fes) > 0 {
		return errs.Fields(fes...)
	}
	return nil
}

// fill replaces {field} in a rule's message with the record's value, for
// the fields and system keys of m that are not hidden.
func fill(s string, m *meta.Module, rec map[string]any, hidden func(string) bool) string {
	if !strings.Contains(s, "{") {
		return s
	}
	for k, v := range rec {
		if v == nil || hidden(k) || (m.Field(k) == nil && !slices.Contains(meta.SystemFields, k)) {
			continue
		}
		s = strings.ReplaceAll(s, "{"+k+"}", fmt.Sprint(v))
	}
	return s
}

// sameValue compares JSON-form values, numbers by value.
func sameValue(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if x, ok := num(a); ok {
		y, ok := num(b)
		return ok && x == y
	}
	return reflect.DeepEqual(a, b)
}

func num(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case float64:
		return x, true
	case int64:
		return float64(x), true
	case int:
		return float64(x), true
	}
	return 0, false
}
