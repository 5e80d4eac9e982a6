package meta

import (
	"strconv"
	"strings"
)

func init() { Register(treeType{}) }

// treeType is one node of a tree of options (行业: 制造业 › 汽车零部件):
// x-field.options as for a select, each naming the node it lies under in
// "parent". Any node may be chosen, inner or leaf. The schema enum is every
// node's value, so validation, the enum shorthand and option edits in a
// schema change work exactly as for a select; a filter's under(field, key)
// matches a node and everything below it.
type treeType struct{}

func (treeType) Name() string         { return "tree" }
func (treeType) JSONType() string     { return "string" }
func (treeType) Column(*Field) Column { return Column{Kind: ColText} }
func (treeType) Check(f *Field) []Problem {
	probs := append(checkColors(f), checkOptions(f)...)
	if len(probs) > 0 {
		return probs
	}
	return checkTree(f)
}
func (treeType) Normalize(f *Field, prop map[string]any) { prop["enum"] = optionValues(f) }

func (treeType) DeriveOptions(prop, xf map[string]any, prev *Field) []Problem {
	enum, ok := prop["enum"]
	return deriveOptions(enum, ok, "enum", xf, prev)
}

// checkTree refuses a parent that is not an option of the field, and
// parents that loop (a node under itself).
func checkTree(f *Field) []Problem {
	parent := make(map[string]string, len(f.Options))
	for _, o := range f.Options {
		parent[o.Value] = o.Parent
	}
	for i, o := range f.Options {
		at := "x-field.options." + strconv.Itoa(i) + ".parent"
		if _, ok := parent[o.Parent]; o.Parent != "" && !ok {
			return []Problem{{Path: at, Code: "bad_parent", Key: "meta.tree_bad_parent", Args: []any{"value", o.Value, "parent", o.Parent}}}
		}
		// A walk up longer than the tree has nodes has gone round a loop.
		for p, steps := o.Parent, 0; p != ""; p, steps = parent[p], steps+1 {
			if p == o.Value || steps > len(f.Options) {
				return []Problem{{Path: at, Code: "tree_cycle", Key: "meta.tree_cycle", Args: []any{"value", o.Value}}}
			}
		}
	}
	return nil
}

// noParents refuses "parent" on the options of a flat select: only a
// tree field has nodes under nodes.
func noParents(f *Field) []Problem {
	for i, o := range f.Options {
		if o.Parent != "" {
			return []Problem{{Path: "x-field.options." + strconv.Itoa(i) + ".parent", Code: "not_tree", Key: "meta.option_parent", Args: []any{"value", o.Value}}}
		}
	}
	return nil
}

// Subtree is value and the values of every node below it, in option
// order; false when value is not a node of the tree.
func (treeType) Subtree(f *Field, value string) ([]string, bool) {
	in := map[string]bool{}
	for _, o := range f.Options {
		if o.Value == value {
			in[value] = true
		}
	}
	if !in[value] {
		return nil, false
	}
	// Options may list a child before its parent, so sweep until no node
	// joins (at most the tree's depth sweeps).
	for grew := true; grew; {
		grew = false
		for _, o := range f.Options {
			if !in[o.Value] && in[o.Parent] {
				in[o.Value], grew = true, true
			}
		}
	}
	out := make([]string, 0, len(in))
	for _, o := range f.Options {
		if in[o.Value] {
			out = append(out, o.Value)
		}
	}
	return out, true
}

// ValueLabel is the node's path of labels, "制造业 › 汽车零部件".
func (treeType) ValueLabel(f *Field, value, locale string) (string, bool) {
	byValue := make(map[string]Option, len(f.Options))
	for _, o := range f.Options {
		byValue[o.Value] = o
	}
	o, ok := byValue[value]
	if !ok {
		return "", false
	}
	var names []string
	for steps := 0; ok && steps <= len(f.Options); steps++ {
		names = append([]string{optionLabel(o, locale)}, names...)
		o, ok = byValue[o.Parent]
	}
	return strings.Join(names, " › "), true
}

// optionLabel is an option's label in locale, or its value.
func optionLabel(o Option, locale string) string {
	if l := o.Label.In(locale); l != "" {
		return l
	}
	return o.Value
}

// Hierarchy is a field type whose values form a tree (tree, region): a
// filter's under(field, value) matches value's subtree.
type Hierarchy interface {
	Subtree(f *Field, value string) ([]string, bool)
}

// valueLabeler is a field type that names its stored values for display.
type valueLabeler interface {
	ValueLabel(f *Field, value, locale string) (string, bool)
}

// ValueLabel is how a stored value of f reads to a person in locale: a
// select option's label, a tree node's path of labels, a region's path of
// names; false for types whose values are shown as they are.
func (f *Field) ValueLabel(value, locale string) (string, bool) {
	if l, ok := f.Type.(valueLabeler); ok {
		return l.ValueLabel(f, value, locale)
	}
	return "", false
}

// ValueLabel of a select is its option's label (false when the option has
// none, so callers show the value).
func (selectType) ValueLabel(f *Field, value, locale string) (string, bool) {
	for _, o := range f.Options {
		if o.Value == value {
			l := o.Label.In(locale)
			return l, l != ""
		}
	}
	return "", false
}

// ValueNormalizer is a field type that rewrites input to the stored form
// before validation (a region name becomes its code).
type ValueNormalizer interface {
	NormalizeValue(f *Field, v any) any
}

// ValueChecker is a field type with a check of stored values that JSON
// Schema cannot say (a region code must be a known division). It returns
// the message key and arguments of the problem, or "" when v is good.
type ValueChecker interface {
	CheckValue(f *Field, v any) (key string, args []any)
}
