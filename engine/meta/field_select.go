package meta

func init() {
	Register(selectType{})
	Register(multiselectType{})
}

// selectType is one value out of x-field.options; the schema enum is
// derived from the options so both always agree.
type selectType struct{}

func (selectType) Name() string             { return "select" }
func (selectType) JSONType() string         { return "string" }
func (selectType) Column(*Field) Column     { return Column{Kind: ColText} }
func (selectType) Check(f *Field) []Problem { return checkOptions(f) }
func (selectType) Normalize(f *Field, prop map[string]any) {
	prop["enum"] = optionValues(f)
}

// multiselectType is a set of option values, stored as a JSON array.
type multiselectType struct{}

func (multiselectType) Name() string             { return "multiselect" }
func (multiselectType) JSONType() string         { return "array" }
func (multiselectType) Column(*Field) Column     { return Column{Kind: ColJSON} }
func (multiselectType) Check(f *Field) []Problem { return checkOptions(f) }
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
