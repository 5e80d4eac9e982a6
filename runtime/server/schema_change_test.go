package server_test

// Module schemas as JSON Schema users write them, and as the designer
// sends them back (issue 7 items 8 and 19).

import (
	"encoding/json"
	"strings"
	"testing"
)

// moduleProps returns the stored schema's properties of a module.
func (e *env) moduleProps(t *testing.T, app, mod string) map[string]any {
	t.Helper()
	var doc struct {
		Schema struct {
			Properties map[string]any `json:"properties"`
		} `json:"schema"`
	}
	r := e.do(t, "admin", "GET", modPath(app, mod), nil).want(t, 200)
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Schema.Properties
}

// storedSchema is a module's stored document, to edit and send back.
func (e *env) storedSchema(t *testing.T, app, mod string) map[string]any {
	t.Helper()
	r := e.do(t, "admin", "GET", modPath(app, mod), nil).want(t, 200)
	return r.obj("schema")
}

func prop(doc map[string]any, key string) map[string]any {
	return doc["properties"].(map[string]any)[key].(map[string]any)
}

// Item 8: a select (or multiselect) defined by a standard enum alone gets
// its options from it; an enum that disagrees with the options is refused
// naming both; on a change, the side that was edited wins.
func TestSelectFromEnum(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.createApp(t, "crm")
		e.createModule(t, "crm", "deal", props(`
			"stage": {"enum": ["new", "won", "lost"], "x-field": {"type": "select"}},
			"tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}, "x-field": {"type": "multiselect"}},
			"same": {"enum": ["y", "x"], "x-field": {"type": "select", "options": [{"value": "x", "label": {"en": "Ex"}}, {"value": "y"}]}}`))
		ps := e.moduleProps(t, "crm", "deal")
		stage := ps["stage"].(map[string]any)
		if !jsonEqual(stage["x-field"].(map[string]any)["options"], []any{map[string]any{"value": "new"}, map[string]any{"value": "won"}, map[string]any{"value": "lost"}}) ||
			!jsonEqual(stage["enum"], []string{"new", "won", "lost"}) {
			t.Errorf("stage: %v", stage)
		}
		if tags := ps["tags"].(map[string]any); !jsonEqual(tags["x-field"].(map[string]any)["options"], []any{map[string]any{"value": "a"}, map[string]any{"value": "b"}}) {
			t.Errorf("tags: %v", tags)
		}
		p := func(s string) json.RawMessage { return props(s) }
		mod := func(name, key string, sch json.RawMessage, fieldErrors []string, contains ...string) scenario {
			return scenario{name: name, method: "POST", url: appPath("crm") + "/modules", as: "admin", headers: []string{"Accept-Language", "en"},
				body: map[string]any{"key": key, "label": label(key), "schema": sch}, status: 422, fieldErrors: fieldErrors, contains: contains}
		}
		e.run(t, []scenario{
			{name: "a value of the enum", method: "POST", url: recPath("crm", "deal"), as: "admin",
				body: map[string]any{"stage": "won", "tags": []string{"b"}, "same": "x"}, status: 201},
			{name: "a value outside it", method: "POST", url: recPath("crm", "deal"), as: "admin", body: map[string]any{"stage": "maybe"},
				status: 422, fieldErrors: []string{"stage:enum"}},
			mod("enum and options disagree", "m1",
				p(`"stage": {"enum": ["new", "won"], "x-field": {"type": "select", "options": [{"value": "new"}, {"value": "lost"}]}}`),
				[]string{"stage.enum:enum_mismatch"}, "enum (new, won)", "x-field.options (new, lost)"),
			mod("items enum and options disagree", "m2",
				p(`"tags": {"items": {"enum": ["a"]}, "x-field": {"type": "multiselect", "options": [{"value": "b"}]}}`),
				[]string{"tags.items.enum:enum_mismatch"}),
			mod("an enum of numbers is no list of options", "m3", p(`"n": {"enum": [1, 2], "x-field": {"type": "select"}}`),
				[]string{"n.enum:bad_option"}),
			mod("neither enum nor options", "m4", p(`"n": {"x-field": {"type": "select"}}`), []string{"n.x-field.options:options_required"}),
		})

		// The designer sends the stored document back with one side edited.
		doc := e.storedSchema(t, "crm", "deal")
		prop(doc, "stage")["enum"] = []any{"new", "won", "lost", "parked"}
		prop(doc, "same")["x-field"].(map[string]any)["options"] = []any{map[string]any{"value": "x", "label": map[string]any{"en": "Ex"}}, map[string]any{"value": "y"}, map[string]any{"value": "z"}}
		e.putModule(t, "crm", "deal", mustRaw(t, doc)).want(t, 200)
		ps = e.moduleProps(t, "crm", "deal")
		if got := ps["stage"].(map[string]any)["x-field"].(map[string]any)["options"]; !jsonEqual(got, []any{map[string]any{"value": "new"}, map[string]any{"value": "won"},
			map[string]any{"value": "lost"}, map[string]any{"value": "parked"}}) {
			t.Errorf("options did not follow the edited enum: %v", got)
		}
		if got := ps["same"].(map[string]any)["enum"]; !jsonEqual(got, []string{"x", "y", "z"}) {
			t.Errorf("enum did not follow the edited options: %v", got)
		}
		e.create(t, "crm", "deal", map[string]any{"stage": "parked", "same": "z"})
		// Editing both into disagreement is refused.
		doc = e.storedSchema(t, "crm", "deal")
		prop(doc, "stage")["enum"] = []any{"new"}
		prop(doc, "stage")["x-field"].(map[string]any)["options"] = []any{map[string]any{"value": "won"}}
		e.putModule(t, "crm", "deal", mustRaw(t, doc)).want(t, 422)
	})
}

func mustRaw(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Item 19: every problem of a schema is reported at once — a bad formula
// does not hide a bad rollup, a missing lookup target, an unknown type or
// a bad validation rule.
func TestSchemaProblemsInOnePass(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.createApp(t, "crm")
		e.createModule(t, "crm", "line", props(`"amount": {"x-field": {"type": "number"}}`))
		sch := json.RawMessage(`{"properties": {
			"price": {"x-field": {"type": "number"}},
			"total": {"x-field": {"type": "formula", "formula": "price *", "result": "number"}},
			"lines": {"x-field": {"type": "rollup", "module": "line", "via": "order", "op": "sum", "field": "amount"}},
			"acct": {"x-field": {"type": "lookup", "module": "nothere"}},
			"weird": {"x-field": {"type": "money"}},
			"Bad": {"x-field": {"type": "text"}},
			"opt": {"x-field": {"type": "select"}},
			"noisy": {"x-field": {"type": "text", "colour": "red"}},
			"mismatch": {"type": "number", "x-field": {"type": "text"}},
			"later": {"x-field": {"type": "formula", "formula": "nope + 1", "result": "number"}}
		}, "required": ["ghost"], "x-validations": [{"rule": "price >", "message": {"en": "x"}}]}`)
		r := e.do(t, "admin", "POST", appPath("crm")+"/modules", map[string]any{"key": "order", "label": label("Order"), "schema": sch}).want(t, 422)
		for _, fe := range []string{"total.x-field.formula:bad_formula", "lines.x-field.via:bad_rollup", "acct.x-field.module:lookup_target",
			"weird.x-field.type:unknown_type", "Bad:bad_key", "opt.x-field.options:options_required", "noisy.x-field:schema",
			"mismatch.type:type_mismatch", "later.x-field.formula:bad_formula", "required:unknown_required", "x-validations.0.rule:bad_rule"} {
			field, code, _ := strings.Cut(fe, ":")
			got := r.fieldError(field)
			if got == nil || got["code"] != code {
				t.Errorf("missing %s in one pass: %s", fe, r.Body)
			}
		}
		if e.tableExists(t, "t_crm__order") {
			t.Error("table created for a refused schema")
		}
	})
}

// Item 19: changing a field's x-field.type in the stored document (as the
// designer sends it back, with the JSON type, format and enum the old type
// derived) re-derives them instead of failing with type_mismatch. An
// explicit contradiction is still refused.
func TestTypeChangeRederivesJSONType(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.createApp(t, "crm")
		e.createModule(t, "crm", "deal", props(`
			"score": {"x-field": {"type": "text"}},
			"when": {"x-field": {"type": "date"}},
			"stage": {"x-field": {"type": "select", "options": [{"value": "a"}, {"value": "b"}]}},
			"mail": {"x-field": {"type": "email"}},
			"calc": {"x-field": {"type": "formula", "formula": "1 + 1", "result": "number"}}`))
		e.create(t, "crm", "deal", map[string]any{"score": "12", "when": "2026-01-31", "stage": "a", "mail": "a@example.com"})
		doc := e.storedSchema(t, "crm", "deal")
		if prop(doc, "score")["type"] != "string" || prop(doc, "when")["format"] != "date" {
			t.Fatalf("stored schema lacks derived keywords: %v", doc)
		}
		retype := func(key, to string) { prop(doc, key)["x-field"].(map[string]any)["type"] = to }
		retype("score", "integer")
		retype("when", "datetime")
		retype("stage", "text")
		retype("mail", "url")
		prop(doc, "calc")["x-field"].(map[string]any)["result"] = "text"
		prop(doc, "calc")["x-field"].(map[string]any)["formula"] = `"x"`
		e.putModule(t, "crm", "deal", mustRaw(t, doc)).want(t, 200)
		ps := e.moduleProps(t, "crm", "deal")
		want := map[string]map[string]any{
			"score": {"type": "integer"}, "when": {"type": "string", "format": "date-time"},
			"stage": {"type": "string"}, "mail": {"type": "string", "format": "uri"}, "calc": {"type": "string"},
		}
		for key, kw := range want {
			for k, v := range kw {
				if got := ps[key].(map[string]any)[k]; !jsonEqual(got, v) {
					t.Errorf("%s.%s = %v, want %v", key, k, got, v)
				}
			}
		}
		if _, ok := ps["stage"].(map[string]any)["enum"]; ok {
			t.Errorf("a text field kept the select's enum: %v", ps["stage"])
		}
		e.run(t, []scenario{
			{name: "the converted field takes its new values", method: "POST", url: recPath("crm", "deal"), as: "admin",
				body: map[string]any{"score": 7, "when": "2026-02-01T09:00:00Z", "stage": "anything", "mail": "https://example.com"}, status: 201},
			{name: "an explicit contradiction is still refused", method: "PUT", url: modPath("crm", "deal"), as: "admin",
				body:   map[string]any{"label": label("deal"), "schema": props(`"score": {"type": "string", "x-field": {"type": "integer"}}`)},
				status: 422, fieldErrors: []string{"score.type:type_mismatch"}},
		})
	})
}
