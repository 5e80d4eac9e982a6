package meta

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
)

// Draft2020 is the $schema of every module document.
const Draft2020 = "https://json-schema.org/draft/2020-12/schema"

// MaxSchemaBytes bounds a module document.
const MaxSchemaBytes = 1 << 20

//go:embed metaschema.json
var metaSchemaTemplate string

var (
	metaOnce   sync.Once
	metaSchema *jsonschema.Schema
)

// metaschema compiles the module meta-schema once, with the x-field.type
// enum taken from the field-type registry so the two cannot drift apart.
func metaschema() *jsonschema.Schema {
	metaOnce.Do(func() {
		names, _ := json.Marshal(TypeNames())
		doc := strings.Replace(metaSchemaTemplate, `["__FIELD_TYPES__"]`, string(names), 1)
		c := jsonschema.NewCompiler()
		c.Draft = jsonschema.Draft2020
		c.AssertFormat = true
		if err := c.AddResource("tessera:module-metaschema", strings.NewReader(doc)); err != nil {
			panic(err)
		}
		metaSchema = c.MustCompile("tessera:module-metaschema")
	})
	return metaSchema
}

// MetaSchema returns the meta-schema document (for docs and the designer).
func MetaSchema() json.RawMessage {
	names, _ := json.Marshal(TypeNames())
	return json.RawMessage(strings.Replace(metaSchemaTemplate, `["__FIELD_TYPES__"]`, string(names), 1))
}

// Problem is one thing wrong with a module schema. Path is relative to the
// field ("x-field.type") or to the document root when Field is "".
type Problem struct {
	Field string
	Path  string
	Code  string
	Key   string
	Args  []any
}

func (p Problem) fieldError() errs.FieldError {
	name := p.Field
	if p.Path != "" {
		if name != "" {
			name += "."
		}
		name += p.Path
	}
	args := append([]any{"field", p.Field, "path", name}, p.Args...)
	return errs.Field(name, p.Code, p.Key, args...)
}

// Parsed is a checked and normalized module schema.
type Parsed struct {
	Doc         json.RawMessage // normalized document, properties in declared order
	Fields      []*Field
	Validations []Validation // x-validations
	Title       string       // x-title
	Options     Options      // x-duplicates, x-timeline (module_options.go)
}

// ParseSchema checks a module document against the meta-schema and the
// field rules, and returns it normalized: "type", "format", enums from
// options and additionalProperties:false filled in, so that the stored
// document alone validates records. Errors are *errs.Error with one
// FieldError per problem, all problems of the document at once.
func ParseSchema(raw []byte) (*Parsed, error) {
	p, probs, err := parseSchema(raw, nil)
	if err != nil {
		return nil, err
	}
	if len(probs) > 0 {
		return nil, problemsError(probs)
	}
	return p, nil
}

// parseSchema is ParseSchema collecting problems instead of failing on the
// first kind: key and type problems, the meta-schema's, the field rules',
// the expressions' — everything that can be checked is, so a document is
// fixed in one round. prev is the module's current version on a change (nil
// on create): values that version's normalization derived (a field's JSON
// type, format, enum from options) count as derived again, so changing a
// field's x-field.type re-derives them instead of contradicting them.
// p.Fields holds every field whose key and type are valid (for the
// caller's own checks) even when there are problems; p.Doc only when there
// are none.
func parseSchema(raw []byte, prev *Module) (*Parsed, []Problem, error) {
	if len(raw) > MaxSchemaBytes {
		return nil, nil, errs.New(errs.TooLarge, "meta.schema_too_large", "max", MaxSchemaBytes)
	}
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil || doc == nil {
		return nil, nil, errs.Fields(errs.Field("schema", "malformed", "meta.schema_malformed"))
	}
	order, err := propertyOrder(raw)
	if dup, ok := err.(errDuplicate); ok {
		return nil, []Problem{{Field: string(dup), Code: "duplicate", Key: "meta.duplicate_field"}}, nil
	}
	if err != nil {
		return nil, nil, errs.Fields(errs.Field("schema", "malformed", "meta.schema_malformed"))
	}
	props, _ := doc["properties"].(map[string]any)

	// Key and field-type problems first: they are the most common mistakes
	// and read better than the meta-schema's generic messages, which are
	// left out for those fields.
	var probs []Problem
	broken := map[string]bool{}
	for _, key := range order {
		if kp := checkKeyAndType(key, props[key]); len(kp) > 0 {
			probs = append(probs, kp...)
			broken[key] = true
		}
	}
	metaPaths := map[string]bool{}
	for _, mp := range metaProblems(doc) {
		if !broken[mp.Field] {
			probs = append(probs, mp)
			metaPaths[mp.Field+"."+mp.Path] = true
		}
	}

	p := &Parsed{}
	required := map[string]bool{}
	if req, ok := doc["required"].([]any); ok {
		for _, r := range req {
			name, _ := r.(string)
			if _, ok := props[name]; !ok {
				probs = append(probs, Problem{Path: "required", Code: "unknown_required", Key: "meta.unknown_required", Args: []any{"name", name}})
			}
			required[name] = true
		}
	}
	var kept []string
	normProps := make([]map[string]any, 0, len(order))
	for _, key := range order {
		if broken[key] {
			continue
		}
		prop := props[key].(map[string]any)
		f, fp := buildField(key, prop, prevField(prev, key, prop))
		f.Required = required[key]
		fp = append(fp, checkOnDelete(f)...)
		if f.Archived && f.Required {
			fp = append(fp, Problem{Field: key, Path: "x-field.archived", Code: "archived_required", Key: "meta.archived_required"})
		}
		for _, q := range fp {
			// The meta-schema may have said it already, in its words.
			if !metaPaths[q.Field+"."+q.Path] {
				probs = append(probs, q)
			}
		}
		p.Fields = append(p.Fields, f)
		kept = append(kept, key)
		normProps = append(normProps, prop)
	}
	var vprobs []Problem
	p.Validations, vprobs = parseValidations(doc["x-validations"], p.Fields)
	probs = append(probs, vprobs...)
	probs = append(probs, checkExpressions(p.Fields, p.Validations)...)
	var oprobs []Problem
	p.Options, oprobs = parseModuleOptions(doc, p.Fields)
	probs = append(probs, oprobs...)
	if t, ok := doc["x-title"].(string); ok { // not a string: the meta-schema said so
		p.Title = t
		probs = append(probs, checkTitle(t, p.Fields)...)
	}
	if len(probs) > 0 {
		return p, probs, nil
	}
	p.Doc = encodeDoc(doc, kept, normProps, required)
	if err := compileCheck(p.Doc); err != nil {
		return nil, nil, err
	}
	return p, nil, nil
}

// prevField is the field of the previous version that the property of key
// continues: the same key, or the field it is renamed from.
func prevField(prev *Module, key string, prop map[string]any) *Field {
	if prev == nil {
		return nil
	}
	if f := prev.Field(key); f != nil {
		return f
	}
	if xf, ok := prop["x-field"].(map[string]any); ok {
		if from, ok := xf["renamedFrom"].(string); ok {
			return prev.Field(from)
		}
	}
	return nil
}

func checkKeyAndType(key string, v any) []Problem {
	if !ValidKey(key, MaxFieldKey) {
		return []Problem{{Field: key, Code: "bad_key", Key: "meta.bad_field_key", Args: []any{"max", MaxFieldKey}}}
	}
	if Reserved(key) {
		return []Problem{{Field: key, Code: "reserved", Key: "meta.reserved_field"}}
	}
	prop, ok := v.(map[string]any)
	if !ok {
		return []Problem{{Field: key, Code: "not_object", Key: "meta.field_not_object"}}
	}
	xf, ok := prop["x-field"].(map[string]any)
	if !ok {
		return []Problem{{Field: key, Path: "x-field", Code: "x_field_required", Key: "meta.x_field_required"}}
	}
	name, _ := xf["type"].(string)
	if _, ok := LookupType(name); !ok {
		return []Problem{{Field: key, Path: "x-field.type", Code: "unknown_type", Key: "meta.unknown_type",
			Args: []any{"type", fmt.Sprint(xf["type"]), "types", strings.Join(TypeNames(), ", ")}}}
	}
	return nil
}

// metaProblems validates doc against the meta-schema and flattens the
// library's error tree into one problem per failing leaf.
func metaProblems(doc map[string]any) []Problem {
	err := metaschema().Validate(doc)
	if err == nil {
		return nil
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		p := problemAt(nil, "meta.schema.invalid")
		p.Code = "invalid"
		return []Problem{p}
	}
	var probs []Problem
	for _, leaf := range leaves(ve) {
		probs = append(probs, metaProblem(doc, leaf))
		if len(probs) >= 20 {
			break
		}
	}
	return probs
}

func leaves(ve *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(ve.Causes) == 0 {
		return []*jsonschema.ValidationError{ve}
	}
	var out []*jsonschema.ValidationError
	for _, c := range ve.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}

// buildField reads one property into a Field, checks the field type's
// rules and normalizes the property in place. prev is the field's previous
// version on a change (nil otherwise). The property passed the key and type
// checks but maybe not the meta-schema, so nothing here may assume its
// shape beyond that.
func buildField(key string, prop map[string]any, prev *Field) (*Field, []Problem) {
	xf := prop["x-field"].(map[string]any)
	ft, _ := LookupType(xf["type"].(string))
	if prev != nil {
		// What the previous version derived is derived again (from the
		// new type), so a changed x-field.type never contradicts it.
		for k, v := range derivedProps(prev) {
			if sameJSON(prop[k], v) {
				delete(prop, k)
			}
		}
	}
	f := &Field{Key: key, Type: ft, Schema: prop}
	var probs []Problem
	add := func(ps []Problem) {
		for _, p := range ps {
			p.Field = key
			probs = append(probs, p)
		}
	}
	if d, ok := ft.(enumDeriver); ok {
		add(d.DeriveOptions(prop, xf, prev))
	}
	f.Label = toLabel(xf["label"])
	f.Module, _ = xf["module"].(string)
	f.OnDelete, _ = xf["on_delete"].(string)
	f.Unique, _ = xf["unique"].(bool)
	f.Indexed, _ = xf["indexed"].(bool)
	f.NoTrim = xf["trim"] == false
	f.Default = xf["default"]
	f.Precision = toInt(xf["precision"])
	f.Scale = toInt(xf["scale"])
	f.Prefix, _ = xf["prefix"].(string)
	f.Digits = toInt(xf["digits"])
	f.RenamedFrom, _ = xf["renamedFrom"].(string)
	f.Archived, _ = xf["archived"].(bool)
	f.Level, _ = xf["level"].(string)
	f.Formula, _ = xf["formula"].(string)
	f.Result, _ = xf["result"].(string)
	f.Via, _ = xf["via"].(string)
	f.Op, _ = xf["op"].(string)
	f.Of, _ = xf["field"].(string)
	f.Filter, _ = xf["filter"].(string)
	if src, ok := defaultExpr(xf["default"]); ok && ft.Name() != "json" {
		f.DefaultExpr, f.Default = src, nil
	}
	f.Options = parseOptions(xf["options"])
	if jt := ft.JSONType(); jt != "" {
		if t, ok := prop["type"]; ok && t != jt {
			add([]Problem{{Path: "type", Code: "type_mismatch", Key: "meta.type_mismatch", Args: []any{"type", fmt.Sprint(t), "want", jt, "fieldtype", ft.Name()}}})
		}
	}
	if f.RenamedFrom != "" && !ValidKey(f.RenamedFrom, MaxFieldKey) {
		add([]Problem{{Path: "x-field.renamedFrom", Code: "bad_key", Key: "meta.bad_field_key", Args: []any{"max", MaxFieldKey}}})
	}
	if (f.Unique || f.Indexed) && f.Column().Kind == ColJSON {
		add([]Problem{{Path: "x-field.unique", Code: "not_indexable", Key: "meta.not_indexable"}})
	}
	if c, ok := ft.(checker); ok {
		add(c.Check(f))
	}
	normalize(f, prop)
	return f, probs
}

// normalize fills in what a field's type derives: the JSON type, the
// default format and the type's own normalization (enum from options).
func normalize(f *Field, prop map[string]any) {
	if jt := f.Type.JSONType(); jt != "" {
		prop["type"] = jt
	}
	if fm, ok := f.Type.(formatter); ok && fm.Format() != "" {
		if _, set := prop["format"]; !set {
			prop["format"] = fm.Format()
		}
	}
	if n, ok := f.Type.(normalizer); ok {
		n.Normalize(f, prop)
	}
}

// derivedProps are the schema keywords normalization derives for f.
func derivedProps(f *Field) map[string]any {
	prop := map[string]any{}
	normalize(f, prop)
	return prop
}

// parseOptions reads x-field.options, skipping entries that are not
// objects (the meta-schema reports them).
func parseOptions(v any) []Option {
	opts, _ := v.([]any)
	var out []Option
	for _, o := range opts {
		om, ok := o.(map[string]any)
		if !ok {
			continue
		}
		v, _ := om["value"].(string)
		c, _ := om["color"].(string)
		p, _ := om["parent"].(string)
		out = append(out, Option{Value: v, Label: toLabel(om["label"]), Color: c, Parent: p})
	}
	return out
}

// sameJSON reports whether two decoded JSON values are equal (numbers by
// their text, as json.Number keeps it).
func sameJSON(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	ea, erra := json.Marshal(a)
	eb, errb := json.Marshal(b)
	return erra == nil && errb == nil && bytes.Equal(ea, eb)
}

// encodeDoc writes the normalized document with properties in declared
// order (a Go map would sort them, and field order is the form's order).
func encodeDoc(doc map[string]any, order []string, props []map[string]any, required map[string]bool) json.RawMessage {
	var b bytes.Buffer
	b.WriteString(`{"$schema":"` + Draft2020 + `","type":"object"`)
	for _, k := range []string{"title", "description", "x-title", "x-validations", "x-duplicates", "x-timeline"} {
		if v, ok := doc[k]; ok {
			enc, _ := json.Marshal(v)
			fmt.Fprintf(&b, ",%q:%s", k, enc)
		}
	}
	b.WriteString(`,"properties":{`)
	var req []string
	for i, k := range order {
		if i > 0 {
			b.WriteByte(',')
		}
		enc, _ := json.Marshal(props[i])
		fmt.Fprintf(&b, "%q:%s", k, enc)
		if required[k] {
			req = append(req, k)
		}
	}
	b.WriteString(`}`)
	if len(req) > 0 {
		enc, _ := json.Marshal(req)
		b.WriteString(`,"required":` + string(enc))
	}
	b.WriteString(`,"additionalProperties":false}`)
	return b.Bytes()
}

// compileCheck compiles the normalized document, catching what the
// meta-schema cannot see (an enum value of the wrong type, say).
func compileCheck(doc json.RawMessage) error {
	if _, err := CompileSchema(doc); err != nil {
		e := errs.Fields(errs.Field("schema", "invalid", "meta.schema_uncompilable"))
		e.Err = err // the library's own words, for the log
		return e
	}
	return nil
}

// CompileSchema compiles a module document for validating records, with
// format assertions on (email, date, uuid, ...).
func CompileSchema(doc json.RawMessage) (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.AssertFormat = true
	// Module documents must be self-contained: no remote or file $refs.
	c.LoadURL = func(s string) (io.ReadCloser, error) {
		return nil, fmt.Errorf("external references are not allowed: %s", s)
	}
	if err := c.AddResource("tessera:module", bytes.NewReader(doc)); err != nil {
		return nil, err
	}
	return c.Compile("tessera:module")
}

// problemsError reports probs as one 422, at most one error per place
// (the first: checks that overlap say the same thing twice otherwise).
func problemsError(probs []Problem) error {
	fes := make([]errs.FieldError, 0, len(probs))
	seen := map[string]bool{}
	for _, p := range probs {
		fe := p.fieldError()
		if seen[fe.Field] && fe.Field != "" {
			continue
		}
		seen[fe.Field] = true
		fes = append(fes, fe)
	}
	e := errs.Fields(fes...)
	e.Msg = i18n.M("meta.schema_rejected")
	return e
}

// propertyOrder returns the keys of the top-level "properties" object in
// the order they appear in raw.
func propertyOrder(raw []byte) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("not an object")
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		if t != "properties" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, err
			}
			continue
		}
		return objectKeys(dec)
	}
	return nil, nil
}

func objectKeys(dec *json.Decoder) ([]string, error) {
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if t != json.Delim('{') {
		return nil, nil // not an object: the meta-schema reports it
	}
	var keys []string
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		k := t.(string)
		if seen[k] {
			return nil, errDuplicate(k)
		}
		seen[k] = true
		keys = append(keys, k)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

func toLabel(v any) Label {
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	l := Label{}
	for k, s := range m {
		l[k], _ = s.(string)
	}
	return l
}

func toInt(v any) int {
	switch n := v.(type) {
	case json.Number:
		i, _ := n.Int64()
		return int(i)
	case float64:
		return int(n)
	}
	return 0
}

// errDuplicate reports a property declared twice; encoding/json would
// silently keep the last one.
type errDuplicate string

func (e errDuplicate) Error() string { return "duplicate property " + string(e) }

// WithoutFields returns a module document as someone from whom the fields
// hide names are hidden may see it: without those fields (in "properties"
// and "required"), and without the text that would describe them — the
// validation rules and default expressions that read one of them, and an
// x-title naming one. Property order is kept.
func WithoutFields(doc json.RawMessage, hide map[string]bool) json.RawMessage {
	if len(hide) == 0 {
		return doc
	}
	p, err := ParseSchema(doc)
	if err != nil {
		// Stored documents always parse; should one not, show nothing
		// rather than risk showing a hidden field.
		return json.RawMessage(`{"type":"object","properties":{}}`)
	}
	var full map[string]any
	dec := json.NewDecoder(bytes.NewReader(p.Doc))
	dec.UseNumber()
	if err := dec.Decode(&full); err != nil {
		return doc
	}
	m := &Module{Fields: p.Fields}
	hidden := func(key string) bool { return hide[key] }
	props, _ := full["properties"].(map[string]any)
	var order []string
	var kept []map[string]any
	required := map[string]bool{}
	for _, f := range p.Fields {
		if hide[f.Key] {
			continue
		}
		prop := props[f.Key].(map[string]any)
		if f.DefaultExpr != "" && m.ExprHidden(f.DefaultExpr, hidden) {
			if xf, ok := prop["x-field"].(map[string]any); ok {
				delete(xf, "default")
			}
		}
		order = append(order, f.Key)
		kept = append(kept, prop)
		required[f.Key] = f.Required
	}
	if vals, ok := full["x-validations"].([]any); ok {
		var shown []any
		for i, v := range p.Validations {
			if !hide[v.Field] && !m.ExprHidden(v.Rule, hidden) {
				shown = append(shown, vals[i])
			}
		}
		if len(shown) == 0 {
			delete(full, "x-validations")
		} else {
			full["x-validations"] = shown
		}
	}
	if t, _ := full["x-title"].(string); hide[t] {
		delete(full, "x-title")
	}
	withoutHiddenOptions(full, hide)
	return encodeDoc(full, order, kept, required)
}

// ExprHidden reports whether expression src over m reads a field hidden
// says is hidden. When what it reads cannot be told (no ExprReads, or src
// does not compile), it is taken to read every field of m.
func (m *Module) ExprHidden(src string, hidden func(key string) bool) bool {
	var reads []string
	var err error
	if ExprReads != nil {
		reads, err = ExprReads(src, m)
	}
	if ExprReads == nil || err != nil {
		reads = []string{"*"}
	}
	for _, r := range reads {
		if r != "*" {
			if hidden(r) {
				return true
			}
			continue
		}
		for _, f := range m.Fields {
			if hidden(f.Key) {
				return true
			}
		}
	}
	return false
}

// Validation is one x-validations rule: Rule must hold for every record
// written (a boolean expression over the record, see engine/expr), else
// the write is refused with Message on Field ("" for the record as a
// whole).
type Validation struct {
	Rule    string `json:"rule"`
	Field   string `json:"field,omitempty"`
	Message Label  `json:"message"`
}

// parseValidations reads x-validations (its shape was checked by the
// meta-schema); each rule's field must be a field of the module.
func parseValidations(v any, fields []*Field) ([]Validation, []Problem) {
	list, _ := v.([]any)
	var out []Validation
	var probs []Problem
	for i, item := range list {
		obj, _ := item.(map[string]any)
		var val Validation
		val.Rule, _ = obj["rule"].(string)
		val.Field, _ = obj["field"].(string)
		val.Message = toLabel(obj["message"])
		if val.Field != "" && (&Module{Fields: fields}).Field(val.Field) == nil {
			probs = append(probs, Problem{Path: fmt.Sprintf("x-validations.%d.field", i), Code: "unknown_field", Key: "meta.unknown_rule_field", Args: []any{"name", val.Field}})
		}
		out = append(out, val)
	}
	return out, probs
}

// defaultExpr reports whether an x-field.default is an expression:
// {"expr": "addDays(today, 30)"}, an object with the one key "expr". Any
// other value is a literal default (and so is every default of a json
// field, whose values may be objects).
func defaultExpr(v any) (string, bool) {
	obj, ok := v.(map[string]any)
	if !ok || len(obj) != 1 {
		return "", false
	}
	src, ok := obj["expr"].(string)
	return src, ok && strings.TrimSpace(src) != ""
}
