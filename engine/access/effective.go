package access

import (
	"strings"

	"github.com/tessera-app/tessera/engine/expr"
	"github.com/tessera-app/tessera/engine/meta"
)

// The effective field level: the one place that decides, for one reader,
// whether a field of a module is hidden.
//
// A stored field has the level the reader's roles give it (Rights). A
// computed field — a formula, a rollup — shows what it reads, so it is, for
// each reader, at least as hidden as the most hidden thing it reads:
//
//   - a formula reads fields of its record (old.<field>, changed("field")
//     and bare old included), and through a lookup the fields of the record
//     the lookup points to (`account.mobile`: the lookup field, and the
//     target module's field at the reader's level there — hidden when the
//     reader may not read the target module at all);
//   - a rollup reads its child module: the lookup pointing back, the
//     rolled-up field and the fields of its filter, at the reader's levels
//     in the child — all hidden when the reader may not read the child.
//
// Computed fields read computed fields, possibly across modules, so the
// levels are a fixed point: every field starts at its stored level and
// computed fields are lowered to the lowest level they read until nothing
// changes. Levels only go down and there are three, so this ends; a cycle
// through lookups cannot raise a level.
//
// Every decision about hidden fields — records, expands, history diffs,
// validation errors, filters and sorts, module schemas, the OpenAPI
// document, expression checks — is made on the rights EffectiveRights
// returns, so a computed field hidden here is hidden everywhere.

// EffectiveRights is p's rights on module m (Rights) with each computed
// field's level lowered to the most hidden thing it reads. app holds the
// modules of m's app (lookup targets and rollup children are found there;
// m itself wins over its entry). Administrators see everything.
func (p *Principal) EffectiveRights(m *meta.Module, app []*meta.Module) *ModuleRights {
	r := p.Rights(m.AppKey, m.Key)
	if r.Admin || !hasComputed(m) {
		return r
	}
	e := &effective{p: p, app: m.AppKey, mods: map[string]*meta.Module{m.Key: m},
		rights: map[string]*ModuleRights{m.Key: r}, level: map[node]int{}}
	for _, other := range app {
		if other.Key != m.Key {
			e.mods[other.Key] = other
		}
	}
	e.solve(m)
	for _, f := range m.Fields {
		if lvl, ok := e.level[node{m.Key, f.Key}]; ok && lvl < level(r.Field(f.Key)) {
			r.Fields[f.Key] = levelNames[lvl]
		}
	}
	return r
}

var levelNames = [...]string{FieldHidden, FieldRead, FieldWrite}

func hasComputed(m *meta.Module) bool {
	for _, f := range m.Fields {
		if computed(f) {
			return true
		}
	}
	return false
}

func computed(f *meta.Field) bool {
	n := f.Type.Name()
	return n == "formula" || n == "rollup"
}

// node is one field of one module of the app.
type node struct{ module, field string }

type effective struct {
	p      *Principal
	app    string
	mods   map[string]*meta.Module
	rights map[string]*ModuleRights
	level  map[node]int      // current level of every node reached
	deps   map[node][]node   // what each computed node reads
	order  []node            // computed nodes, in the order reached
	seen   map[node]struct{} // nodes reached
}

// base is a field's stored level for the reader: hidden in a module they
// may not read.
func (e *effective) base(n node) int {
	r, ok := e.rights[n.module]
	if !ok {
		r = e.p.Rights(e.app, n.module)
		e.rights[n.module] = r
	}
	if !r.Can(ActRead) || e.mods[n.module] == nil {
		return 0
	}
	return level(r.Field(n.field))
}

// solve reaches every field m's computed fields read, transitively, then
// lowers computed levels until they are stable.
func (e *effective) solve(m *meta.Module) {
	e.deps, e.seen = map[node][]node{}, map[node]struct{}{}
	for _, f := range m.Fields {
		if computed(f) {
			e.reach(node{m.Key, f.Key})
		}
	}
	for changed := true; changed; {
		changed = false
		for _, n := range e.order {
			lvl := e.level[n]
			for _, d := range e.deps[n] {
				lvl = min(lvl, e.level[d])
			}
			if lvl < e.level[n] {
				e.level[n], changed = lvl, true
			}
		}
	}
}

func (e *effective) reach(n node) {
	if _, ok := e.seen[n]; ok {
		return
	}
	e.seen[n] = struct{}{}
	e.level[n] = e.base(n)
	m := e.mods[n.module]
	if m == nil {
		return
	}
	f := m.Field(n.field)
	if f == nil || !computed(f) {
		return
	}
	deps := reads(m, f)
	e.deps[n] = deps
	e.order = append(e.order, n)
	for _, d := range deps {
		e.reach(d)
	}
}

// reads lists the fields computed field f of m reads (see the rule above).
func reads(m *meta.Module, f *meta.Field) []node {
	var out []node
	switch f.Type.Name() {
	case "formula":
		names, err := expr.Reads(f.Formula, m)
		if err != nil {
			names = []string{"*"} // no longer compiles (stores null): as hidden as any field of m
		}
		for _, name := range names {
			switch l, x, through := strings.Cut(name, "."); {
			case name == "*":
				for _, g := range m.Fields {
					if g.Key != f.Key {
						out = append(out, node{m.Key, g.Key})
					}
				}
			case through:
				out = append(out, node{m.Key, l})
				if lf := m.Field(l); lf != nil {
					out = append(out, node{lf.Module, x})
				}
			default:
				out = append(out, node{m.Key, name})
			}
		}
	case "rollup":
		out = append(out, node{f.Module, f.Via})
		if f.Op != "count" {
			out = append(out, node{f.Module, f.Of})
		}
		names, _ := expr.FilterReads(f.Filter)
		for _, name := range names {
			out = append(out, node{f.Module, name})
		}
	}
	return out
}
