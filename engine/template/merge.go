package template

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tessera-app/tessera/engine/i18n"
)

// The three-way merge of an upgrade works on documents: base (the
// installed version as the services normalized it), ours (the app's
// metadata now) and theirs (the new version, normalized the same way).
// What only one side changed is taken from it; what both changed alike is
// taken; what both changed differently is a conflict, decided by a choice
// ("ours" or "theirs"). Objects merge key by key (their order is ours,
// with keys theirs adds placed after their neighbour); arrays of objects
// with a unique "key" (or "value") merge item by item; arrays of strings
// merge as sets (a required list, roles); other arrays and scalars are
// whole values.

// absentT marks a key a side does not have.
type absentT struct{}

var absent any = absentT{}

// Conflict is a place both sides changed differently.
type Conflict struct {
	ID      string `json:"id"` // file#pointer: what a choice names
	File    string `json:"file"`
	Pointer string `json:"pointer"`
	Base    any    `json:"base"`   // nil when the place was not there
	Ours    any    `json:"ours"`   // nil when ours removed it
	Theirs  any    `json:"theirs"` // nil when theirs removed it
	// Choice is the choice made ("" while undecided: the upgrade will not
	// apply).
	Choice string `json:"choice,omitempty"`
}

// Note is one line of a plan about a document.
type Note struct {
	File    string   `json:"file"`
	Pointer string   `json:"pointer,omitempty"`
	Action  string   `json:"action"` // add, update, delete, keep, archive, rename, maybe_rename, conflict
	Changed []string `json:"changed,omitempty"`
	Msg     i18n.Msg `json:"-"`
	Message string   `json:"message"`
}

type merger struct {
	file      string
	module    bool
	choices   map[string]string
	conflicts []Conflict
	notes     []Note
	used      map[string]bool
}

func plainOrNil(v any) any {
	if v == absent {
		return nil
	}
	return Plain(v)
}

func (m *merger) merge(path []string, b, o, t any) any {
	// Above a module's properties the merge always descends: a field
	// theirs drops is archived even where only theirs changed.
	descend := m.module && len(path) <= 2 && (len(path) == 0 || path[0] == "schema") && (len(path) < 2 || path[1] == "properties")
	switch {
	case Equal(o, t):
		return o
	case Equal(b, o) && !descend:
		return t
	case Equal(b, t):
		return o
	}
	if oo, ok := o.(*Object); ok {
		if to, ok := t.(*Object); ok {
			bo, _ := b.(*Object)
			if bo == nil {
				bo = NewObject()
			}
			return m.mergeObject(path, bo, oo, to)
		}
	}
	if oa, ok := o.([]any); ok {
		if ta, ok := t.([]any); ok {
			ba, _ := b.([]any)
			if id := itemID(ba, oa, ta); id != "" {
				return fromKeyed(m.mergeObject(path, keyed(ba, id), keyed(oa, id), keyed(ta, id)))
			}
			if strs(ba) && strs(oa) && strs(ta) {
				return mergeSet(ba, oa, ta)
			}
		}
	}
	id := m.file + "#" + pointer(path...)
	m.used[id] = true
	c := Conflict{ID: id, File: m.file, Pointer: pointer(path...), Base: plainOrNil(b), Ours: plainOrNil(o), Theirs: plainOrNil(t), Choice: m.choices[id]}
	m.conflicts = append(m.conflicts, c)
	if c.Choice == "theirs" {
		return t
	}
	return o
}

func get(o *Object, k string) any {
	if v, ok := o.Get(k); ok {
		return v
	}
	return absent
}

func (m *merger) mergeObject(path []string, b, o, t *Object) *Object {
	out := &Object{Keys: append([]string(nil), o.Keys...), Vals: map[string]any{}}
	for k, v := range o.Vals {
		out.Vals[k] = v
	}
	prev := ""
	for _, k := range t.Keys {
		if _, ok := out.Vals[k]; !ok {
			// New in theirs, or changed by theirs where ours deleted it (a
			// conflict, decided below).
			if bv, wasBase := b.Vals[k]; !wasBase || !Equal(bv, t.Vals[k]) {
				out.SetAfter(prev, k, nil)
			}
		}
		if _, ok := out.Vals[k]; ok {
			prev = k
		}
	}
	props := m.module && len(path) == 2 && path[0] == "schema" && path[1] == "properties"
	for _, k := range slices.Clone(out.Keys) {
		bv, ov, tv := get(b, k), get(o, k), get(t, k)
		if props && bv != absent && ov != absent && tv == absent {
			// The new version drops a field: it is archived, its data kept.
			out.Vals[k] = archive(ov)
			m.notes = append(m.notes, Note{File: m.file, Pointer: pointer(append(path, k)...), Action: "archive",
				Msg: i18n.M("template.plan.archive", "field", k)})
			continue
		}
		v := m.merge(append(slices.Clone(path), k), bv, ov, tv)
		if v == absent {
			out.Delete(k)
		} else {
			out.Vals[k] = v
		}
	}
	return out
}

// archive marks a field's property archived.
func archive(prop any) any {
	p, ok := Clone(prop).(*Object)
	if !ok {
		return prop
	}
	xf := p.Obj("x-field")
	if xf == nil {
		xf = NewObject()
		p.Set("x-field", xf)
	}
	xf.Set("archived", true)
	return p
}

// itemID is the field that identifies the items of three arrays ("key",
// else "value"): every item an object with a distinct string there; ""
// when there is none.
func itemID(arrays ...[]any) string {
	for _, id := range []string{"key", "value"} {
		ok := true
		for _, a := range arrays {
			seen := map[string]bool{}
			for _, e := range a {
				o, isObj := e.(*Object)
				s, isStr := get(o, id).(string)
				if !isObj || !isStr || seen[s] {
					ok = false
					break
				}
				seen[s] = true
			}
		}
		if ok {
			return id
		}
	}
	return ""
}

// keyed turns an array of identified objects into an object by id (the id
// field name kept as the object's first key, "\x00id").
func keyed(a []any, id string) *Object {
	o := NewObject()
	o.Set("\x00id", id)
	for _, e := range a {
		o.Set(e.(*Object).Str(id), e)
	}
	return o
}

func fromKeyed(o *Object) []any {
	out := []any{}
	for _, k := range o.Keys {
		if k != "\x00id" {
			out = append(out, o.Vals[k])
		}
	}
	return out
}

func strs(a []any) bool {
	for _, e := range a {
		if _, ok := e.(string); !ok {
			return false
		}
	}
	return true
}

// mergeSet merges string lists as sets: ours, less what theirs removed,
// plus what theirs added.
func mergeSet(b, o, t []any) []any {
	in := func(a []any, s any) bool { return slices.Contains(a, s) }
	out := []any{}
	for _, s := range o {
		if in(b, s) && !in(t, s) {
			continue
		}
		out = append(out, s)
	}
	for _, s := range t {
		if !in(b, s) && !in(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// diff lists the pointers where two documents differ (descending into
// objects), for a plan's "changed".
func diff(path []string, a, b any, out *[]string) {
	ao, ok1 := a.(*Object)
	bo, ok2 := b.(*Object)
	if !ok1 || !ok2 {
		if !Equal(a, b) {
			*out = append(*out, pointer(path...))
		}
		return
	}
	keys := slices.Clone(ao.Keys)
	for _, k := range bo.Keys {
		if _, ok := ao.Vals[k]; !ok {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		diff(append(slices.Clone(path), k), get(ao, k), get(bo, k), out)
	}
}

// renameFields applies a module's renames (new → old) to a document of
// the old version, so its fields line up with the new version's.
func renameFields(doc *Object, renames map[string]string) *Object {
	if doc == nil || len(renames) == 0 {
		return doc
	}
	doc = Clone(doc).(*Object)
	props := schemaProps(doc.Vals["schema"])
	schema := doc.Obj("schema")
	for to, from := range renames {
		if props == nil || props.Vals[from] == nil || props.Vals[to] != nil {
			continue
		}
		props.Rename(from, to)
		if req, ok := schema.Vals["required"].([]any); ok {
			for i, r := range req {
				if r == from {
					req[i] = to
				}
			}
		}
		if schema.Str("x-title") == from {
			schema.Set("x-title", to)
		}
	}
	return doc
}

// maybeRenames notes fields a module's new version removes while adding a
// field of the same type without renamedFrom: the plan says that this is
// archive + add, not a rename.
func maybeRenames(file string, b, t *Object) []Note {
	bp, tp := schemaProps(b.Vals["schema"]), schemaProps(t.Vals["schema"])
	if bp == nil || tp == nil {
		return nil
	}
	var out []Note
	for _, gone := range bp.Keys {
		if tp.Vals[gone] != nil {
			continue
		}
		typ := bp.Obj(gone).Obj("x-field").Str("type")
		for _, added := range tp.Keys {
			if bp.Vals[added] == nil && tp.Obj(added).Obj("x-field").Str("type") == typ {
				out = append(out, Note{File: file, Pointer: pointer("schema", "properties", added), Action: "maybe_rename",
					Msg: i18n.M("template.plan.maybe_rename", "from", gone, "to", added)})
			}
		}
	}
	return out
}

// archivedWithoutRequired drops archived fields from a module's required
// list (an archived field cannot be required).
func archivedWithoutRequired(doc *Object) {
	schema := doc.Obj("schema")
	props := schemaProps(schema)
	req, ok := schema.Get("required")
	list, isList := req.([]any)
	if !ok || !isList || props == nil {
		return
	}
	var keep []any
	for _, r := range list {
		if archived, _ := props.Obj(fmt.Sprint(r)).Obj("x-field").Get("archived"); archived == true {
			continue
		}
		keep = append(keep, r)
	}
	if len(keep) == 0 {
		schema.Delete("required")
	} else {
		schema.Set("required", keep)
	}
}

func kindOfPath(p string) *Kind {
	dir, _, _ := strings.Cut(p, "/")
	return kindOfDir(dir)
}
