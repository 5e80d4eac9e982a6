package meta

import (
	"fmt"
	"sort"
	"strings"

	"github.com/tessera-app/tessera/engine/errs"
)

func init() { Register(formulaType{}) }

// formulaType is a computed field: x-field.formula is an expression over
// the record (engine/expr), x-field.result its type. The record write path
// evaluates every formula on each write and stores the value in the
// column, so formulas can be filtered, sorted, indexed and aggregated like
// any field. Clients cannot write them.
//
//	"total": {"x-field": {"type": "formula", "formula": "price * quantity", "result": "number"}}
//
// result is number (float), integer (rounded), decimal (NUMERIC with
// x-field.precision/scale, default 18,2; rounded to the scale), text,
// boolean, date or datetime.
type formulaType struct{}

type formulaResult struct {
	jsonType, format, want string
	kind                   ColumnKind
}

var formulaResults = map[string]formulaResult{
	"number":   {"number", "", "number", ColFloat},
	"integer":  {"integer", "", "number", ColInteger},
	"decimal":  {"number", "", "number", ColDecimal},
	"text":     {"string", "", "string", ColText},
	"boolean":  {"boolean", "", "bool", ColBool},
	"date":     {"string", "date", "date", ColDate},
	"datetime": {"string", "date-time", "datetime", ColTime},
}

func (formulaType) Name() string     { return "formula" }
func (formulaType) JSONType() string { return "" } // by result, see Normalize
func (formulaType) ReadOnly() bool   { return true }

func (formulaType) Column(f *Field) Column {
	r, ok := formulaResults[f.Result]
	if !ok {
		return Column{Kind: ColText}
	}
	if r.kind == ColDecimal {
		p, s := 18, 2
		if f.Precision > 0 {
			p, s = f.Precision, f.Scale
		} else if f.Scale > 0 {
			s = f.Scale
		}
		return Column{Kind: ColDecimal, Precision: p, Scale: s}
	}
	return Column{Kind: r.kind}
}

func (formulaType) Check(f *Field) []Problem {
	r, ok := formulaResults[f.Result]
	if !ok {
		return []Problem{{Path: "x-field.result", Code: "bad_result", Key: "meta.bad_formula_result"}}
	}
	if strings.TrimSpace(f.Formula) == "" {
		return []Problem{{Path: "x-field.formula", Code: "required", Key: "meta.formula_required"}}
	}
	if t, ok := f.Schema["type"]; ok && t != r.jsonType {
		return []Problem{{Path: "type", Code: "type_mismatch", Key: "meta.type_mismatch", Args: []any{"type", fmt.Sprint(t), "want", r.jsonType, "fieldtype", "formula"}}}
	}
	if f.Precision < 0 || f.Scale < 0 || (f.Precision > 0 && f.Scale > f.Precision) {
		return []Problem{{Path: "x-field.precision", Code: "bad_precision", Key: "meta.bad_precision"}}
	}
	return nil
}

func (formulaType) Normalize(f *Field, prop map[string]any) {
	r, ok := formulaResults[f.Result]
	if !ok {
		return
	}
	prop["type"] = r.jsonType
	if _, set := prop["format"]; !set && r.format != "" {
		prop["format"] = r.format
	}
}

// ExprWant is the engine/expr result kind ("number", "string", "bool",
// "date", "datetime" or "" for any) a value of column c must have: what a
// default expression of a field must return.
func ExprWant(c Column) string {
	switch c.Kind {
	case ColText, ColRef:
		return "string"
	case ColInteger, ColFloat, ColDecimal:
		return "number"
	case ColBool:
		return "bool"
	case ColDate:
		return "date"
	case ColTime:
		return "datetime"
	}
	return ""
}

// FormulaWant is the engine/expr result kind of a formula field.
func FormulaWant(f *Field) string { return formulaResults[f.Result].want }

// Expressions are compiled by engine/expr, which imports this package, so
// the checks are installed from outside: engine/record sets them at init.
// When they are nil (a program without engine/record), formulas, default
// expressions, validation rules and rollup filters are only checked for
// shape.
var (
	// CheckExpr compiles src against m requiring result kind want.
	CheckExpr func(src string, m *Module, want string) error
	// CheckFormula compiles a formula, which may also read fields of the
	// records its lookups point to (`account.region`): targets returns the
	// module a lookup's target key names; with nil targets (a schema parsed
	// on its own) such reads are not checked.
	CheckFormula func(src string, m *Module, want string, targets func(module string) *Module) error
	// CheckFilter translates src to SQL against m (a rollup filter).
	CheckFilter func(src string, m *Module) error
	// ExprReads lists what an expression over m reads: field keys,
	// "lookup.field" reads and "*" for the whole old record.
	ExprReads func(src string, m *Module) ([]string, error)
)

// checkExpressions compiles the module's formulas, default expressions
// and validation rules against a provisional module of the parsed fields,
// fills each formula's Deps (the formulas it reads) and refuses cycles.
func checkExpressions(fields []*Field, vals []Validation) []Problem {
	if CheckExpr == nil {
		return nil
	}
	prov := &Module{Fields: fields}
	var probs []Problem
	bad := func(key, path, code, msg string, err error) {
		probs = append(probs, Problem{Field: key, Path: path, Code: code, Key: msg, Args: []any{"detail", errDetail(err)}})
	}
	formulas := map[string]*Field{}
	for _, f := range fields {
		if f.Formula != "" && f.Type.Name() == "formula" {
			formulas[f.Key] = f
		}
	}
	for _, f := range fields {
		if f.DefaultExpr != "" {
			if err := CheckExpr(f.DefaultExpr, prov, ExprWant(f.Column())); err != nil {
				bad(f.Key, "x-field.default", "bad_default", "meta.bad_default_expr", err)
			}
		}
		if formulas[f.Key] == nil {
			continue
		}
		want := FormulaWant(f)
		if err := CheckFormula(f.Formula, prov, want, nil); err != nil {
			bad(f.Key, "x-field.formula", "bad_formula", "meta.bad_formula", err)
			delete(formulas, f.Key)
			continue
		}
		// A formula depends on another formula (or on itself) when it no
		// longer compiles without it: the compiler's own name resolution
		// decides, so let variables and closures shadow as they should.
		f.Deps = nil
		for _, g := range fields {
			if g.Type.Name() != "formula" || !strings.Contains(f.Formula, g.Key) {
				continue
			}
			if CheckFormula(f.Formula, &Module{Fields: without(fields, g)}, want, nil) != nil {
				f.Deps = append(f.Deps, g.Key)
			}
		}
	}
	for _, key := range cycles(formulas) {
		probs = append(probs, Problem{Field: key, Path: "x-field.formula", Code: "formula_cycle", Key: "meta.formula_cycle"})
	}
	for i, v := range vals {
		if err := CheckExpr(v.Rule, prov, "bool"); err != nil {
			probs = append(probs, Problem{Path: fmt.Sprintf("x-validations.%d.rule", i), Code: "bad_rule", Key: "meta.bad_rule", Args: []any{"detail", errDetail(err)}})
		}
	}
	return probs
}

func without(fields []*Field, g *Field) []*Field {
	out := make([]*Field, 0, len(fields)-1)
	for _, f := range fields {
		if f != g {
			out = append(out, f)
		}
	}
	return out
}

// errDetail is what a compile error says (an i18n.Msg when it has one).
func errDetail(err error) any {
	if e, ok := errs.As(err); ok {
		return e.Msg
	}
	return err.Error()
}

// cycles returns, sorted, the formulas that are part of a dependency cycle.
func cycles(formulas map[string]*Field) []string {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	inCycle := map[string]bool{}
	var stack []string
	var visit func(k string)
	visit = func(k string) {
		color[k] = grey
		stack = append(stack, k)
		for _, d := range formulas[k].Deps {
			if formulas[d] == nil {
				continue
			}
			switch color[d] {
			case white:
				visit(d)
			case grey:
				for i := len(stack) - 1; i >= 0; i-- {
					inCycle[stack[i]] = true
					if stack[i] == d {
						break
					}
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[k] = black
	}
	keys := make([]string, 0, len(formulas))
	for k := range formulas {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if color[k] == white {
			visit(k)
		}
	}
	var out []string
	for _, k := range keys {
		if inCycle[k] {
			out = append(out, k)
		}
	}
	return out
}

// checkFormulaLookups compiles the formulas of module key (fields) with
// the app's modules at hand, so that reads through lookups name fields
// the target modules have (ParseSchema alone cannot tell). Formulas known
// already reports as bad are not reported twice.
func checkFormulaLookups(key string, fields []*Field, mods []*Module, known []Problem) []Problem {
	if CheckFormula == nil {
		return nil
	}
	self := &Module{Key: key, Fields: fields}
	targets := func(k string) *Module {
		if k == key {
			return self
		}
		for _, m := range mods {
			if m.Key == k {
				return m
			}
		}
		return nil
	}
	var probs []Problem
	for _, f := range fields {
		if f.Type.Name() != "formula" || f.Formula == "" || reported(known, f.Key, "x-field.formula") {
			continue
		}
		if err := CheckFormula(f.Formula, self, FormulaWant(f), targets); err != nil {
			probs = append(probs, Problem{Field: f.Key, Path: "x-field.formula", Code: "bad_formula", Key: "meta.bad_formula", Args: []any{"detail", errDetail(err)}})
		}
	}
	return probs
}

// reported reports whether probs already hold a problem at field.path.
func reported(probs []Problem, field, path string) bool {
	for _, p := range probs {
		if p.Field == field && p.Path == path {
			return true
		}
	}
	return false
}

// FormulaOrder returns m's formula fields in evaluation order: every
// formula after the formulas it reads.
func FormulaOrder(m *Module) []*Field {
	byKey := map[string]*Field{}
	for _, f := range m.Fields {
		if f.Type.Name() == "formula" {
			byKey[f.Key] = f
		}
	}
	var out []*Field
	done := map[string]bool{}
	var visit func(f *Field)
	visit = func(f *Field) {
		if done[f.Key] {
			return
		}
		done[f.Key] = true // cycles are refused when the schema is saved
		for _, d := range f.Deps {
			if g := byKey[d]; g != nil {
				visit(g)
			}
		}
		out = append(out, f)
	}
	for _, f := range m.Fields {
		if byKey[f.Key] != nil {
			visit(f)
		}
	}
	return out
}
