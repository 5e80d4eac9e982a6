package meta

import (
	"slices"
	"strings"
)

func init() {
	Register(lookupType{})
	Register(userType{})
}

// lookupType is a many-to-one reference to a record of another module of
// the same app; the store gives it a foreign key.
type lookupType struct{}

func (lookupType) Name() string     { return "lookup" }
func (lookupType) JSONType() string { return "string" }
func (lookupType) Format() string   { return "uuid" }
func (lookupType) Column(f *Field) Column {
	return Column{Kind: ColRef, RefModule: f.Module}
}
func (lookupType) Check(f *Field) []Problem {
	var probs []Problem
	if !ValidKey(f.Module, MaxModuleKey) {
		probs = append(probs, Problem{Path: "x-field.module", Code: "lookup_target", Key: "meta.lookup_target", Args: []any{"module", f.Module}})
	}
	if f.OnDelete != "" && !slices.Contains(OnDeleteRules, f.OnDelete) {
		probs = append(probs, Problem{Path: "x-field.on_delete", Code: "bad_on_delete", Key: "meta.bad_on_delete",
			Args: []any{"value", f.OnDelete, "allowed", strings.Join(OnDeleteRules, ", ")}})
	}
	return probs
}

// checkOnDelete refuses on_delete where it cannot apply: on a field that
// is not a lookup, and "clear" on a required lookup (it would leave the
// referring record without a required value).
func checkOnDelete(f *Field) []Problem {
	switch {
	case f.Schema == nil:
		return nil
	case f.Type.Name() != "lookup":
		if xf, _ := f.Schema["x-field"].(map[string]any); xf != nil {
			if _, set := xf["on_delete"]; set {
				return []Problem{{Field: f.Key, Path: "x-field.on_delete", Code: "on_delete_not_lookup", Key: "meta.on_delete_not_lookup"}}
			}
		}
	case f.OnDelete == OnDeleteClear && f.Required:
		return []Problem{{Field: f.Key, Path: "x-field.on_delete", Code: "on_delete_required", Key: "meta.on_delete_required"}}
	}
	return nil
}

// userType references a Tessera user.
type userType struct{}

func (userType) Name() string         { return "user" }
func (userType) JSONType() string     { return "string" }
func (userType) Format() string       { return "uuid" }
func (userType) Column(*Field) Column { return Column{Kind: ColRef, RefUsers: true} }
