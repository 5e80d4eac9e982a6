package meta

import (
	"fmt"
	"strings"
)

func init() {
	Register(selectType{})
	Register(multiselectType{})
}

// selectType is one value out of x-field.options; the schema enum is
// derived from the options so both always agree.
type selectType struct{}

func (selectType) Name() string         { return "select" }
func (selectType) JSONType() string     { return "string" }
func (selectType) Column(*Field) Column { return Column{Kind: ColText} }
func (selectType) Check(f *Field) []Problem {
	return append(append(checkColors(f), checkOptions(f)...), noParents(f)...)
}
func (selectType) Normalize(f *Field, prop map[string]any) {
	prop["enum"] = optionValues(f)
}

// multiselectType is a set of option values, stored as a JSON array.
type multiselectType struct{}

func (multiselectType) Name() string         { return "multiselect" }
func (multiselectType) JSONType() string     { return "array" }
func (multiselectType) Column(*Field) Column { return Column{Kind: ColJSON} }
func (multiselectType) Check(f *Field) []Problem {
	return append(append(checkColors(f), checkOptions(f)...), noParents(f)...)
}
func (multiselectType) Normalize(f *Field, prop map[string]any) {
	prop["items"] = map[string]any{"type": "string", "enum": optionValues(f)}
	prop["uniqueItems"] = true
}

func optionValues(f *Field) []any {
	vals := make([]any, len(f.Options))
	for i, o := range f.Options {
		vals[i] = o.Value
	}
	return vals
}

func checkOptions(f *Field) []Problem {
	if len(f.Options) == 0 {
		return []Problem{{Path: "x-field.options", Code: "options_required", Key: "meta.options_required"}}
	}
	seen := map[string]bool{}
	for _, o := range f.Options {
		if o.Value == "" || seen[o.Value] {
			return []Problem{{Path: "x-field.options", Code: "bad_option", Key: "meta.bad_option", Args: []any{"value", o.Value}}}
		}
		seen[o.Value] = true
	}
	return nil
}

// enumDeriver is a field type whose options may be given as a standard
// JSON Schema enum instead (select: "enum", multiselect: "items.enum").
type enumDeriver interface {
	DeriveOptions(prop, xf map[string]any, prev *Field) []Problem
}

func (selectType) DeriveOptions(prop, xf map[string]any, prev *Field) []Problem {
	enum, ok := prop["enum"]
	return deriveOptions(enum, ok, "enum", xf, prev)
}

func (multiselectType) DeriveOptions(prop, xf map[string]any, prev *Field) []Problem {
	items, _ := prop["items"].(map[string]any)
	enum, ok := items["enum"]
	return deriveOptions(enum, ok, "items.enum", xf, prev)
}

// deriveOptions reconciles a field's enum (at path) with its x-field
// options: a module is a JSON Schema, so an enum alone defines the options
// (labels are the values); an enum beside options must name the same
// values, unless this is a change that edited only the enum (the options
// are those of the previous version): then the options follow the enum,
// keeping the labels and colours of values that stay.
func deriveOptions(enum any, hasEnum bool, path string, xf map[string]any, prev *Field) []Problem {
	if !hasEnum {
		return nil
	}
	list, _ := enum.([]any)
	values := make([]string, 0, len(list))
	seen := map[string]bool{}
	for _, v := range list {
		s, ok := v.(string)
		if !ok || s == "" || seen[s] {
			return []Problem{{Path: path, Code: "bad_option", Key: "meta.bad_enum", Args: []any{"value", fmt.Sprint(v)}}}
		}
		seen[s] = true
		values = append(values, s)
	}
	given, _ := xf["options"].([]any)
	var prevOpts any
	if prev != nil {
		if pxf, ok := prev.Schema["x-field"].(map[string]any); ok {
			prevOpts = pxf["options"]
		}
	}
	switch {
	case len(given) == 0:
		xf["options"] = optionsFor(values, nil)
	case prev != nil && sameJSON(xf["options"], prevOpts):
		xf["options"] = optionsFor(values, given)
	default:
		have := parseOptions(given)
		same := len(have) == len(values)
		for _, o := range have {
			same = same && seen[o.Value]
		}
		if !same {
			vals := make([]string, len(have))
			for i, o := range have {
				vals[i] = o.Value
			}
			return []Problem{{Path: path, Code: "enum_mismatch", Key: "meta.enum_mismatch",
				Args: []any{"enum", strings.Join(values, ", "), "options", strings.Join(vals, ", ")}}}
		}
	}
	return nil
}

// optionsFor makes the x-field options of values, keeping what was said
// of a value in old (its label and colour).
func optionsFor(values []string, old []any) []any {
	byValue := map[string]any{}
	for _, o := range old {
		if om, ok := o.(map[string]any); ok {
			if v, ok := om["value"].(string); ok {
				byValue[v] = om
			}
		}
	}
	out := make([]any, len(values))
	for i, v := range values {
		if o, ok := byValue[v]; ok {
			out[i] = o
		} else {
			out[i] = map[string]any{"value": v}
		}
	}
	return out
}
