package demo

import (
	"context"
	"fmt"
	"strings"

	"github.com/expr-lang/expr/vm"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/flow"
	"github.com/tessera-app/tessera/engine/meta"
)

// entry is an Entry checked against the app, its expressions compiled.
type entry struct {
	*Entry
	idx    int
	m      *meta.Module
	owner  *vm.Program
	at     *vm.Program
	values []compiled
	steps  []*step
	count  Range
	share  float64 // of records that walk the steps
	kidsOf []*entry
}

type compiled struct {
	key   string
	field *meta.Field // nil: a scratch value (_key)
	p     *vm.Program
}

type step struct {
	*Step
	when   *vm.Program
	skip   *vm.Program
	fire   *vm.Program
	set    []compiled
	m      *meta.Module // the module acted on (the target's, or the entry's)
	flow   *flow.Flow   // the pipeline of To/Fire
	as     *vm.Program
	create *entry
	or     *step
	p      float64
}

// check compiles the spec against app's modules and pipelines; every
// problem is reported at once at its file and pointer, before anything is
// written.
func (g *gen) check(ctx context.Context, size string) error {
	var ps problems
	file := g.file
	bad := func(ptr, code, key string, kv ...any) { ps.add(file, ptr, code, key, kv...) }
	comp := func(ptr, src string) *vm.Program {
		p, err := g.compile(src)
		if err != nil {
			bad(ptr, "expr", "demo.bad_expr", "error", err.Error())
		}
		return p
	}
	for _, u := range g.spec.Users {
		for _, r := range u.Roles {
			if _, err := g.svc.Access.Role(ctx, r); err != nil {
				bad("/users", "unknown", "demo.unknown_role", "role", r, "user", u.Key)
			}
		}
	}
	byKey := map[string]*entry{}
	for i, e := range g.spec.Records {
		ce := &entry{Entry: e, idx: i, count: e.Count, share: 1}
		if sz, ok := e.Sizes[size]; ok {
			if sz.Count != nil {
				ce.count = *sz.Count
			}
			if sz.Steps != nil {
				ce.share = *sz.Steps
			}
		}
		g.entries = append(g.entries, ce)
		byKey[e.Key] = ce
		m, err := g.svc.Meta.Module(ctx, g.app, e.Module)
		if err != nil {
			bad(e.ptr+"/module", "unknown", "demo.unknown_module", "module", e.Module, "app", g.app)
			continue
		}
		ce.m = m
		if e.Per != "" {
			if p := byKey[e.Per]; p != nil {
				p.kidsOf = append(p.kidsOf, ce)
			}
		}
		ce.owner = comp(e.ptr+"/owner", e.Owner)
		ce.at = comp(e.ptr+"/at", e.At)
		ce.values = g.fields(m, e.Values, e.ptr+"/values", comp, bad)
		for _, u := range e.Unique {
			if _, ok := e.Values.Vals[u]; !ok {
				bad(e.ptr+"/unique", "unknown", "demo.unique_field", "field", u)
			}
		}
	}
	for _, ce := range g.entries {
		if ce.m == nil {
			continue
		}
		for j := range ce.Steps {
			ce.steps = append(ce.steps, g.step(ctx, ce, &ce.Steps[j], fmt.Sprintf("%s/steps/%d", ce.ptr, j), byKey, comp, bad))
		}
	}
	return ps.err(file)
}

// fields compiles field → expression pairs of module m.
func (g *gen) fields(m *meta.Module, vals Ordered, ptr string, comp func(string, string) *vm.Program, bad func(string, string, string, ...any)) []compiled {
	var out []compiled
	for _, k := range vals.Keys {
		if strings.HasPrefix(k, "_") {
			out = append(out, compiled{key: k, p: comp(ptr+"/"+k, vals.Vals[k])})
			continue
		}
		f := m.Field(k)
		switch {
		case f == nil:
			bad(ptr+"/"+k, "unknown", "demo.unknown_field", "field", k, "module", m.Key)
			continue
		case f.ReadOnly() || f.Archived:
			bad(ptr+"/"+k, "read_only", "demo.read_only_field", "field", k, "module", m.Key)
			continue
		}
		out = append(out, compiled{key: k, field: f, p: comp(ptr+"/"+k, vals.Vals[k])})
	}
	return out
}

func (g *gen) step(ctx context.Context, ce *entry, st *Step, ptr string, byKey map[string]*entry,
	comp func(string, string) *vm.Program, bad func(string, string, string, ...any)) *step {
	s := &step{Step: st, m: ce.m}
	if st.Target != nil {
		tm, err := g.svc.Meta.Module(ctx, g.app, st.Target.Module)
		if err != nil {
			bad(ptr+"/target/module", "unknown", "demo.unknown_module", "module", st.Target.Module, "app", g.app)
			return s
		}
		if f := tm.Field(st.Target.Field); f == nil || f.Module != ce.m.Key {
			bad(ptr+"/target/field", "unknown", "demo.bad_target", "field", st.Target.Field, "module", tm.Key, "entry", ce.Module)
		}
		s.m = tm
	}
	if st.When != "" {
		s.when = comp(ptr+"/when", st.When)
	}
	if st.Skip != "" {
		s.skip = comp(ptr+"/skip", st.Skip)
	}
	if st.As != "" {
		s.as = comp(ptr+"/as", st.As)
	}
	if st.Fire != "" {
		s.fire = comp(ptr+"/fire", st.Fire)
	}
	s.set = g.fields(s.m, st.Set, ptr+"/set", comp, bad)
	if st.To != "" || st.Fire != "" {
		flows, err := g.svc.Flows.ForModule(ctx, s.m)
		if err != nil || len(flows) == 0 {
			bad(ptr, "no_flow", "demo.no_flow", "module", s.m.Key)
		} else {
			s.flow = flows[0]
			if st.To != "" && !hasState(s.flow, st.To) {
				bad(ptr+"/to", "unknown", "demo.unknown_state", "state", st.To, "flow", s.flow.Key)
			}
		}
	}
	if st.Create != "" {
		s.create = byKey[st.Create]
	}
	if st.Or != nil {
		s.or = g.step(ctx, ce, &st.Or.Step, ptr+"/or", byKey, comp, bad)
		s.p = st.Or.P
	}
	return s
}

func hasState(f *flow.Flow, key string) bool {
	for _, s := range f.States {
		if s.Key == key {
			return true
		}
	}
	return false
}

// transition is the one transition of f leading from cur to to.
func transition(f *flow.Flow, cur, to string) (*flow.Transition, error) {
	var found *flow.Transition
	for _, tr := range f.Transitions {
		if tr.To == to && tr.Leaves(cur) {
			if found != nil {
				return nil, errs.New(errs.Unprocessable, "demo.two_transitions", "from", cur, "to", to, "flow", f.Key)
			}
			found = tr
		}
	}
	if found == nil {
		return nil, errs.New(errs.Unprocessable, "demo.no_transition", "from", cur, "to", to, "flow", f.Key)
	}
	return found, nil
}

func transitionByKey(f *flow.Flow, key string) *flow.Transition {
	for _, tr := range f.Transitions {
		if tr.Key == key {
			return tr
		}
	}
	return nil
}

// sources are every expression of the entry.
func (e *Entry) sources() []string {
	out := []string{e.Owner, e.At}
	add := func(o Ordered) {
		for _, k := range o.Keys {
			out = append(out, o.Vals[k])
		}
	}
	add(e.Values)
	for i := range e.Steps {
		for _, s := range e.Steps[i].all() {
			out = append(out, s.When, s.Skip, s.Fire, s.As)
			add(s.Set)
		}
	}
	return out
}
