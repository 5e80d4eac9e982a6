package form

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
)

// maxUnknown bounds the unknown_field errors of one request (sorted by
// key), so a body with thousands of junk keys gets a short answer.
const maxUnknown = 20

// collector gathers at most one FieldError per field (the first) and
// returns them in form order: declared fields as the schema lists them,
// then unknown keys sorted, then record-level problems.
type collector struct {
	v        *Validator
	byField  map[string]errs.FieldError
	unknowns []string
	record   *errs.FieldError // a record-level problem (Field "")
	internal error
}

func newCollector(v *Validator) *collector {
	return &collector{v: v}
}

func (c *collector) has(field string) bool {
	_, ok := c.byField[field]
	return ok
}

// add records a problem with field unless it already has one. kv are
// extra message arguments; field (the key) and label (the field as the
// reader's language names it: its label, else its key) are added here.
func (c *collector) add(field, code, key string, kv ...any) {
	if c.has(field) {
		return
	}
	if c.byField == nil {
		c.byField = map[string]errs.FieldError{}
	}
	label := meta.Named{Key: field}
	if fi := c.v.byKey[field]; fi != nil {
		label = fi.Named()
	}
	args := append([]any{"field", field, "label", label}, kv...)
	c.byField[field] = errs.Field(field, code, key, args...)
}

func (c *collector) unknown(key string) {
	if !c.has(key) {
		c.unknowns = append(c.unknowns, key)
		c.add(key, "unknown_field", "form.unknown_field")
	}
}

// fail records an error that is not the input's fault.
func (c *collector) fail(err error) {
	if c.internal == nil {
		c.internal = err
	}
}

func (c *collector) err() error {
	if c.internal != nil {
		return errs.Wrap(c.internal, errs.Internal, "errs.internal")
	}
	if len(c.byField) == 0 && c.record == nil {
		return nil
	}
	fes := make([]errs.FieldError, 0, len(c.byField))
	for _, fi := range c.v.fields {
		if fe, ok := c.byField[fi.Key]; ok {
			fes = append(fes, fe)
		}
	}
	sort.Strings(c.unknowns)
	for i, k := range c.unknowns {
		if i == maxUnknown {
			break
		}
		fes = append(fes, c.byField[k])
	}
	if c.record != nil {
		fes = append(fes, *c.record)
	}
	return errs.Fields(fes...)
}

// sortedLeaves flattens the library's error tree into its failing
// keywords, ordered by instance location (stable, so one location keeps
// the library's keyword order). A failed anyOf/oneOf is one leaf: its
// branches' errors describe alternatives, not problems.
func sortedLeaves(ve *jsonschema.ValidationError) []*jsonschema.ValidationError {
	var out []*jsonschema.ValidationError
	var walk func(*jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		kw := lastSegment(e.KeywordLocation)
		if len(e.Causes) == 0 || kw == "anyOf" || kw == "oneOf" {
			out = append(out, e)
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	sort.SliceStable(out, func(i, j int) bool { return out[i].InstanceLocation < out[j].InstanceLocation })
	return out
}

// assertions are the keywords that name an error code; any other failing
// location (a false schema, say) is reported as "invalid".
var assertions = map[string]bool{
	"type": true, "enum": true, "const": true, "format": true,
	"minimum": true, "maximum": true, "exclusiveMinimum": true, "exclusiveMaximum": true, "multipleOf": true,
	"minLength": true, "maxLength": true, "pattern": true,
	"minItems": true, "maxItems": true, "uniqueItems": true, "minContains": true, "maxContains": true,
	"required": true, "additionalProperties": true, "minProperties": true, "maxProperties": true,
	"dependentRequired": true, "unevaluatedProperties": true, "unevaluatedItems": true, "additionalItems": true,
	"propertyNames": true, "not": true, "anyOf": true, "oneOf": true,
	"contentEncoding": true, "contentMediaType": true, "contentSchema": true,
}

// leafError maps one failing keyword to a FieldError. The field is the
// first instance-location segment; the code is the keyword; limits are
// read from the field's own schema, never from the library's message.
func (v *Validator) leafError(c *collector, doc map[string]any, leaf *jsonschema.ValidationError) {
	inst := meta.PointerTokens(leaf.InstanceLocation)
	kwPath := meta.PointerTokens(leaf.KeywordLocation)
	code := "invalid"
	if n := len(kwPath); n > 0 && assertions[kwPath[n-1]] {
		code = kwPath[n-1]
	}
	if len(inst) == 0 {
		// Record level: required is computed by validate, and doc holds
		// declared fields only, so additionalProperties cannot fire.
		if code != "required" && code != "additionalProperties" && c.record == nil {
			fe := errs.Field("", code, "form.record_invalid", "code", code)
			c.record = &fe
		}
		return
	}
	field := inst[0]
	fi := v.byKey[field]
	if fi == nil {
		c.unknown(field)
		return
	}
	// The schema object holding the keyword: follow the keyword path
	// below /properties/<field> through the field's schema.
	var parent map[string]any
	if len(kwPath) >= 3 && kwPath[0] == "properties" && kwPath[1] == field {
		parent, _ = meta.Navigate(fi.Schema, kwPath[2:len(kwPath)-1]).(map[string]any)
	}
	nested := len(inst) > 1
	key, args := message(code, nested, parent, meta.Navigate(doc, inst), leaf.InstanceLocation)
	if key == "form.enum" && len(fi.Options) > 0 {
		// A select's allowed values as its users know them: by label.
		for i := 0; i+1 < len(args); i += 2 {
			if args[i] == "allowed" {
				args[i+1] = optionList(fi.Options)
			}
		}
	}
	c.add(field, code, key, args...)
}

// optionList names a select's options in the reader's language: each by
// its label with its value, "Beginner (beg)", or by the value alone when
// that is its label. At most 50 are named.
type optionList []meta.Option

func (l optionList) In(locale string) string {
	parts := make([]string, 0, min(len(l), 51))
	for i, o := range l {
		if i == 50 {
			parts = append(parts, "…")
			break
		}
		label := o.Label.In(locale)
		if label == "" || label == o.Value {
			parts = append(parts, short(o.Value))
		} else {
			parts = append(parts, short(label)+" ("+short(o.Value)+")")
		}
	}
	return strings.Join(parts, ", ")
}

// message picks the template and arguments for a failing keyword. A
// template is only used when its arguments are known; otherwise the
// generic one is.
func message(code string, nested bool, parent map[string]any, value any, path string) (string, []any) {
	limit := func(name string) (string, []any) {
		if lim, ok := parent[code]; ok && !nested {
			return "form." + code, []any{name, lim}
		}
		return invalidAt(code, path, nested)
	}
	switch code {
	case "type":
		if t, ok := parent["type"].(string); ok {
			if _, known := typeWords[t]; known {
				if nested {
					return "form.item_type." + t, []any{"expected", t}
				}
				return "form.type." + t, []any{"expected", t}
			}
		}
		return "form.type", []any{"expected", typeNames(parent["type"])}
	case "enum":
		if allowed, ok := parent["enum"].([]any); ok {
			return "form.enum", []any{"value", short(value), "allowed", enumList(allowed)}
		}
	case "const":
		if cv, ok := parent["const"]; ok && !nested {
			return "form.const", []any{"expected", short(cv)}
		}
	case "format":
		f, _ := parent["format"].(string)
		if _, known := formatWords[f]; known {
			return "form.format." + f, []any{"format", f}
		}
		if f != "" {
			return "form.format", []any{"format", f}
		}
	case "minimum", "exclusiveMinimum", "minLength", "minItems":
		return limit("min")
	case "maximum", "exclusiveMaximum", "maxLength", "maxItems":
		return limit("max")
	case "multipleOf":
		return limit("step")
	case "pattern":
		if p, ok := parent["pattern"]; ok && !nested {
			return "form.pattern", []any{"pattern", p}
		}
	case "uniqueItems":
		if !nested {
			return "form.uniqueItems", nil
		}
	}
	return invalidAt(code, path, nested)
}

func invalidAt(code, path string, nested bool) (string, []any) {
	if nested {
		return "form.invalid_at", []any{"path", path, "code", code}
	}
	return "form.invalid", []any{"code", code}
}

func lastSegment(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

func typeNames(t any) string {
	switch x := t.(type) {
	case string:
		return x
	case []any:
		names := make([]string, 0, len(x))
		for _, e := range x {
			names = append(names, fmt.Sprint(e))
		}
		return strings.Join(names, " | ")
	}
	return "?"
}

// enumList renders allowed values for a message, at most 50 of them.
func enumList(vals []any) []string {
	out := make([]string, 0, min(len(vals), 51))
	for i, v := range vals {
		if i == 50 {
			out = append(out, "…")
			break
		}
		out = append(out, short(v))
	}
	return out
}

// short renders a value for a message, cut to 60 characters: the value is
// untrusted and may be huge.
func short(v any) string {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case json.Number:
		s = string(x)
	default:
		b, err := json.Marshal(x)
		if err != nil {
			s = fmt.Sprint(x)
		} else {
			s = string(b)
		}
	}
	if utf8.RuneCountInString(s) > 60 {
		r := []rune(s)
		s = string(r[:60]) + "…"
	}
	return s
}
