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
	"strconv"
	"strings"

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
	meta.CheckFilter = func(src string, m *meta.Module) error {
		_, err := expr.Filter(src, store.Resolver(m), expr.Dialect("sqlite"), 0)
		return err
	}
	i18n.RegisterAll(map[string]map[string]string{
		"record.rule_failed": {i18n.EN: "{en}", i18n.ZhCN: "{zh}"},
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
// module's validation rules. old is the stored record (nil on create).
func (s *Service) computed(ctx context.Context, tx *store.Tx, a *Actor, m *meta.Module, old store.Record, changes map[string]any) error {
	formulas := meta.FormulaOrder(m)
	if len(formulas) == 0 && len(m.Validations) == 0 && old != nil {
		return nil
	}
	merged := map[string]any{}
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
	for _, f := range formulas {
		v := evalFormula(ctx, f, m, expr.Vars{Record: merged, Old: before, User: user, Now: tx.Now, Calendar: s.Calendar})
		merged[f.Key] = v
		if old == nil {
			if v != nil {
				changes[f.Key] = v
			}
		} else if !sameValue(v, before[f.Key]) {
			changes[f.Key] = v
		}
	}
	return validate(ctx, m, expr.Vars{Record: merged, Old: before, User: user, Now: tx.Now, Calendar: s.Calendar})
}

// evalFormula computes one formula; a run-time failure is null.
func evalFormula(ctx context.Context, f *meta.Field, m *meta.Module, vars expr.Vars) any {
	p, err := expr.Compile(f.Formula, m, meta.FormulaWant(f))
	if err != nil {
		return nil
	}
	v, err := p.Eval(ctx, vars)
	if err != nil {
		return nil
	}
	return coerce(f.Column(), v)
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

// validate runs the module's validation rules over vars.Record.
func validate(ctx context.Context, m *meta.Module, vars expr.Vars) error {
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
		if err != nil || !ok {
			fes = append(fes, errs.Field(v.Field, "rule", "record.rule_failed",
				"en", fill(v.Message.In(i18n.EN), vars.Record), "zh", fill(v.Message.In(i18n.ZhCN), vars.Record)))
		}
	}
	if len(fes) > 0 {
		return errs.Fields(fes...)
	}
	return nil
}

// fill replaces {field} in a rule's message with the record's value.
func fill(s string, rec map[string]any) string {
	if !strings.Contains(s, "{") {
		return s
	}
	for k, v := range rec {
		if v != nil {
			s = strings.ReplaceAll(s, "{"+k+"}", fmt.Sprint(v))
		}
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
