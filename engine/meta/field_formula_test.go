package meta

import (
	"strings"
	"testing"
)

func TestFormulaAndRollupParse(t *testing.T) {
	p, err := ParseSchema([]byte(`{"properties": {
		"price": {"x-field": {"type": "number"}},
		"total": {"x-field": {"type": "formula", "formula": "price * 2", "result": "decimal", "scale": 3}},
		"when":  {"x-field": {"type": "formula", "formula": "now", "result": "datetime"}},
		"n":     {"x-field": {"type": "rollup", "module": "line", "via": "order", "op": "count"}},
		"s":     {"x-field": {"type": "rollup", "module": "line", "via": "order", "op": "sum", "field": "amount", "filter": "amount > 0"}},
		"due":   {"x-field": {"type": "date", "default": {"expr": "addDays(today, 30)"}}},
		"doc":   {"x-field": {"type": "json", "default": {"expr": "kept as a literal"}}}
	}, "x-validations": [{"rule": "price > 0", "field": "price", "message": {"en": "Positive", "zh-CN": "须为正数"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	m := &Module{Fields: p.Fields}
	if c := m.Field("total").Column(); c.Kind != ColDecimal || c.Precision != 18 || c.Scale != 3 {
		t.Errorf("total column = %+v", c)
	}
	if !m.Field("total").ReadOnly() || !m.Field("n").ReadOnly() {
		t.Error("computed fields must be read-only")
	}
	if m.Field("n").Column().Kind != ColInteger || m.Field("s").Column().Kind != ColFloat {
		t.Error("rollup columns")
	}
	if f := m.Field("due"); f.DefaultExpr != "addDays(today, 30)" || f.Default != nil {
		t.Errorf("due default = %q / %v", f.DefaultExpr, f.Default)
	}
	if f := m.Field("doc"); f.DefaultExpr != "" || f.Default == nil {
		t.Error("a json field's object default is a literal")
	}
	if len(p.Validations) != 1 || p.Validations[0].Message.In("zh-CN") != "须为正数" {
		t.Errorf("validations = %+v", p.Validations)
	}
	doc := string(p.Doc)
	for _, want := range []string{`"x-validations"`, `"total":{"type":"number"`, `"when":{"format":"date-time","type":"string"`, `"n":{"type":"integer"`} {
		if !strings.Contains(doc, want) {
			t.Errorf("normalized doc lacks %s: %s", want, doc)
		}
	}
	p2, err := ParseSchema(p.Doc)
	if err != nil || string(p2.Doc) != doc {
		t.Fatalf("not idempotent: %v\n%s\n%s", err, doc, p2.Doc)
	}
}

func TestFormulaShapeErrors(t *testing.T) {
	for _, c := range []struct{ doc, field, code string }{
		{`{"properties": {"a": {"x-field": {"type": "formula", "formula": "1", "result": "money"}}}}`, "a.x-field.result", "schema"},
		{`{"properties": {"a": {"x-field": {"type": "formula", "result": "number"}}}}`, "a.x-field.formula", "required"},
		{`{"properties": {"a": {"type": "string", "x-field": {"type": "formula", "formula": "1", "result": "number"}}}}`, "a.type", "type_mismatch"},
		{`{"properties": {"a": {"x-field": {"type": "rollup", "module": "line", "via": "order", "op": "sum"}}}}`, "a.x-field.field", "bad_rollup"},
		{`{"properties": {"a": {"x-field": {"type": "text"}}}, "x-validations": [{"rule": "true", "field": "b", "message": {"en": "x"}}]}`, "x-validations.0.field", "unknown_field"},
	} {
		_, err := ParseSchema([]byte(c.doc))
		if err == nil || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%s: want an error on %s, got %v", c.doc, c.field, err)
		}
	}
}

func TestCyclesAndOrder(t *testing.T) {
	f := func(key string, deps ...string) *Field {
		return &Field{Key: key, Type: formulaType{}, Formula: "x", Deps: deps}
	}
	fields := map[string]*Field{"a": f("a", "b"), "b": f("b", "c"), "c": f("c"), "d": f("d", "d"), "e": f("e", "g"), "g": f("g", "e")}
	if got := strings.Join(cycles(fields), ","); got != "d,e,g" {
		t.Errorf("cycles = %s", got)
	}
	m := &Module{Fields: []*Field{f("a", "b"), f("b", "c"), f("c"), {Key: "p", Type: simpleType{name: "number"}}}}
	var order []string
	for _, f := range FormulaOrder(m) {
		order = append(order, f.Key)
	}
	if got := strings.Join(order, ","); got != "c,b,a" {
		t.Errorf("order = %s", got)
	}
}
