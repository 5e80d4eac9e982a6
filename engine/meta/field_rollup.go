package meta

func init() { Register(rollupType{}) }

// rollupType aggregates the records of a child module that point to this
// record through a lookup: x-field.module is the child module, via its
// lookup field pointing here, op one of sum, count, min, max, avg, field
// the child's number field (not for count) and filter an optional filter
// on the child (filter syntax, translated to SQL). The record write path
// keeps the stored value current when children change (engine/record).
//
//	"open_total": {"x-field": {"type": "rollup", "module": "line", "via": "order",
//	    "op": "sum", "field": "amount", "filter": "status != 'cancelled'"}}
//
// count is stored as an integer, the other ops as a number (float); sum
// and count of no children are 0, min, max and avg null.
type rollupType struct{}

var rollupOps = map[string]bool{"sum": true, "count": true, "min": true, "max": true, "avg": true}

func (rollupType) Name() string     { return "rollup" }
func (rollupType) JSONType() string { return "" } // integer for count, else number
func (rollupType) ReadOnly() bool   { return true }

func (rollupType) Column(f *Field) Column {
	if f.Op == "count" {
		return Column{Kind: ColInteger}
	}
	return Column{Kind: ColFloat}
}

func (rollupType) Check(f *Field) []Problem {
	switch {
	case !rollupOps[f.Op]:
		return []Problem{{Path: "x-field.op", Code: "bad_rollup", Key: "meta.bad_rollup_op"}}
	case !ValidKey(f.Module, MaxModuleKey):
		return []Problem{{Path: "x-field.module", Code: "lookup_target", Key: "meta.lookup_target", Args: []any{"module", f.Module}}}
	case !ValidKey(f.Via, MaxFieldKey):
		return []Problem{{Path: "x-field.via", Code: "bad_rollup", Key: "meta.bad_rollup_via", Args: []any{"module", f.Module, "via", f.Via}}}
	case f.Op != "count" && !ValidKey(f.Of, MaxFieldKey):
		return []Problem{{Path: "x-field.field", Code: "bad_rollup", Key: "meta.bad_rollup_field", Args: []any{"module", f.Module, "of", f.Of}}}
	}
	want := "number"
	if f.Op == "count" {
		want = "integer"
	}
	if t, ok := f.Schema["type"]; ok && t != want {
		return []Problem{{Path: "type", Code: "type_mismatch", Key: "meta.type_mismatch", Args: []any{"type", t, "want", want, "fieldtype", "rollup"}}}
	}
	return nil
}

func (rollupType) Normalize(f *Field, prop map[string]any) {
	if f.Op == "count" {
		prop["type"] = "integer"
	} else {
		prop["type"] = "number"
	}
}

// checkRollups checks the rollups of module key (fields) against the
// app's modules: the child module exists, via is its lookup to this
// module, field is a number field of the child, and the filter translates.
func checkRollups(key string, fields []*Field, mods []*Module) []Problem {
	var probs []Problem
	for _, f := range fields {
		if f.Type.Name() != "rollup" {
			continue
		}
		var child *Module
		if f.Module == key {
			child = &Module{Key: key, Fields: fields}
		}
		for _, m := range mods {
			if child == nil && m.Key == f.Module {
				child = m
			}
		}
		if child == nil {
			probs = append(probs, Problem{Field: f.Key, Path: "x-field.module", Code: "lookup_target", Key: "meta.lookup_missing", Args: []any{"module", f.Module}})
			continue
		}
		via := child.Field(f.Via)
		if via == nil || via.Type.Name() != "lookup" || via.Module != key {
			probs = append(probs, Problem{Field: f.Key, Path: "x-field.via", Code: "bad_rollup", Key: "meta.bad_rollup_via", Args: []any{"module", f.Module, "via", f.Via}})
			continue
		}
		if f.Op != "count" {
			of := child.Field(f.Of)
			if of == nil || ExprWant(of.Column()) != "number" {
				probs = append(probs, Problem{Field: f.Key, Path: "x-field.field", Code: "bad_rollup", Key: "meta.bad_rollup_field", Args: []any{"module", f.Module, "of", f.Of}})
				continue
			}
		}
		if f.Filter != "" && CheckFilter != nil {
			if err := CheckFilter(f.Filter, child); err != nil {
				probs = append(probs, Problem{Field: f.Key, Path: "x-field.filter", Code: "bad_filter", Key: "meta.bad_rollup_filter", Args: []any{"detail", errDetail(err)}})
			}
		}
	}
	return probs
}
