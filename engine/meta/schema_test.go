package meta

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tessera-app/tessera/engine/errs"
)

const dealSchema = `{
  "type": "object",
  "properties": {
    "name":   {"type": "string", "maxLength": 100, "x-field": {"type": "text", "label": {"en": "Name", "zh-CN": "名称"}}},
    "amount": {"minimum": 0, "x-field": {"type": "currency"}},
    "stage":  {"x-field": {"type": "select", "options": [{"value": "new"}, {"value": "won"}]}},
    "tags":   {"x-field": {"type": "multiselect", "options": [{"value": "vip"}]}},
    "email":  {"x-field": {"type": "email", "unique": true}},
    "account": {"x-field": {"type": "lookup", "module": "account"}},
    "code":   {"x-field": {"type": "autonumber", "prefix": "D-{YYYY}-", "digits": 4}}
  },
  "required": ["name"]
}`

func TestParseSchemaNormalizes(t *testing.T) {
	p, err := ParseSchema([]byte(dealSchema))
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, f := range p.Fields {
		keys = append(keys, f.Key)
	}
	if got := strings.Join(keys, ","); got != "name,amount,stage,tags,email,account,code" {
		t.Fatalf("field order = %s", got)
	}
	var doc map[string]any
	if err := json.Unmarshal(p.Doc, &doc); err != nil {
		t.Fatal(err)
	}
	props := doc["properties"].(map[string]any)
	if props["amount"].(map[string]any)["type"] != "number" {
		t.Errorf("amount type not filled: %v", props["amount"])
	}
	if props["email"].(map[string]any)["format"] != "email" {
		t.Errorf("email format not filled")
	}
	if enum := props["stage"].(map[string]any)["enum"].([]any); len(enum) != 2 {
		t.Errorf("select enum = %v", enum)
	}
	if doc["additionalProperties"] != false {
		t.Errorf("additionalProperties not false")
	}
	if p.Fields[0].Required != true || p.Fields[1].Required {
		t.Errorf("required flags wrong")
	}
	if c := p.Fields[1].Column(); c.Kind != ColDecimal || c.Precision != 18 || c.Scale != 2 {
		t.Errorf("currency column = %+v", c)
	}
}

func TestParseSchemaRejects(t *testing.T) {
	cases := []struct{ name, doc, field, code string }{
		{"malformed", `{"properties": `, "schema", "malformed"},
		{"sql in key", `{"properties": {"a; DROP TABLE x": {"x-field": {"type": "text"}}}}`, "a; DROP TABLE x", "bad_key"},
		{"upper key", `{"properties": {"Name": {"x-field": {"type": "text"}}}}`, "Name", "bad_key"},
		{"reserved", `{"properties": {"id": {"x-field": {"type": "text"}}}}`, "id", "reserved"},
		{"unknown type", `{"properties": {"a": {"x-field": {"type": "blob"}}}}`, "a.x-field.type", "unknown_type"},
		{"no x-field", `{"properties": {"a": {"type": "string"}}}`, "a.x-field", "x_field_required"},
		{"unknown x-field keyword", `{"properties": {"a": {"x-field": {"type": "text", "sql": "drop"}}}}`, "a.x-field", "schema"},
		{"unknown keyword", `{"properties": {"a": {"$ref": "http://x", "x-field": {"type": "text"}}}}`, "a", "schema"},
		{"type mismatch", `{"properties": {"a": {"type": "number", "x-field": {"type": "text"}}}}`, "a.type", "type_mismatch"},
		{"select without options", `{"properties": {"a": {"x-field": {"type": "select"}}}}`, "a.x-field.options", "options_required"},
		{"lookup without module", `{"properties": {"a": {"x-field": {"type": "lookup"}}}}`, "a.x-field.module", "lookup_target"},
		{"required unknown", `{"properties": {"a": {"x-field": {"type": "text"}}}, "required": ["b"]}`, "required", "unknown_required"},
		{"bad regex", `{"properties": {"a": {"pattern": "(", "x-field": {"type": "text"}}}}`, "a.pattern", "schema"},
		{"duplicate", `{"properties": {"a": {"x-field": {"type": "text"}}, "a": {"x-field": {"type": "text"}}}}`, "a", "duplicate"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseSchema([]byte(c.doc))
			e, ok := errs.As(err)
			if !ok {
				t.Fatalf("want *errs.Error, got %v", err)
			}
			for _, fe := range e.Fields {
				if fe.Field == c.field && fe.Code == c.code {
					return
				}
			}
			t.Fatalf("want field error %s/%s, got %v", c.field, c.code, e)
		})
	}
}

func FuzzParseSchema(f *testing.F) {
	f.Add(dealSchema)
	f.Add(`{"properties": {}}`)
	f.Add(`{"properties": {"a": {"x-field": {"type": "text"}}}}`)
	f.Add(`{"properties": {"a": {"x-field": {"type": "select", "options": [{"value": ""}]}}}}`)
	f.Add(`[1,2,3]`)
	f.Add(`{"properties": []}`)
	f.Add(`{"properties": {"a": {"enum": [1], "x-field": {"type": "text"}}}}`)
	f.Fuzz(func(t *testing.T, doc string) {
		p, err := ParseSchema([]byte(doc))
		if err != nil {
			if errs.CodeOf(err) == errs.Internal {
				t.Fatalf("internal error for %q: %v", doc, err)
			}
			return
		}
		// An accepted schema must be stable: normalizing it again changes nothing.
		p2, err := ParseSchema(p.Doc)
		if err != nil {
			t.Fatalf("normalized doc rejected: %v\n%s", err, p.Doc)
		}
		if string(p2.Doc) != string(p.Doc) {
			t.Fatalf("normalization not idempotent:\n%s\n%s", p.Doc, p2.Doc)
		}
		for _, fl := range p.Fields {
			if !ValidKey(fl.Key, MaxFieldKey) || Reserved(fl.Key) {
				t.Fatalf("accepted bad key %q", fl.Key)
			}
		}
	})
}

func TestWithoutFields(t *testing.T) {
	out := WithoutFields(json.RawMessage(dealSchema), map[string]bool{"amount": true, "name": true})
	p, err := ParseSchema(out)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, f := range p.Fields {
		keys = append(keys, f.Key)
	}
	if got := strings.Join(keys, ","); got != "stage,tags,email,account,code" {
		t.Errorf("fields = %s", got)
	}
	if strings.Contains(string(out), "amount") || strings.Contains(string(out), `"name"`) {
		t.Errorf("hidden field still in %s", out)
	}
	if string(WithoutFields(json.RawMessage(dealSchema), nil)) != dealSchema {
		t.Error("nothing hidden should return the document as it is")
	}
}

func TestTitleField(t *testing.T) {
	for _, tc := range []struct{ schema, want string }{
		{`{"properties": {"n": {"x-field": {"type": "integer"}}, "a": {"x-field": {"type": "text"}}, "b": {"x-field": {"type": "text"}}}, "required": ["b"]}`, "b"},
		{`{"properties": {"n": {"x-field": {"type": "integer"}}, "a": {"x-field": {"type": "text"}}, "b": {"x-field": {"type": "text"}}}}`, "a"},
		{`{"properties": {"n": {"x-field": {"type": "integer"}}}}`, ""},
	} {
		p, err := ParseSchema([]byte(tc.schema))
		if err != nil {
			t.Fatal(err)
		}
		m := &Module{Fields: p.Fields}
		got := ""
		if f := m.TitleField(); f != nil {
			got = f.Key
		}
		if got != tc.want {
			t.Errorf("%s: title = %q, want %q", tc.schema, got, tc.want)
		}
	}
}
