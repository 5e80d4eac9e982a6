package expr

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"unicode"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/checker"
	"github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/optimizer"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/types"
	"github.com/expr-lang/expr/vm"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/meta"
)

// Compiling an expression (build) goes through these steps:
//
//  1. limits on the source (MaxLen, MaxDepth), then expr-lang's parser
//     with MaxNodes;
//  2. resolve: a walk over the tree that gives every name its meaning —
//     a let variable, a field of the module (or a system key), old.<field>,
//     user.id/departments/roles, now, today — and renames it to its
//     environment key ("$amount", "$old.amount", "$!now", …: names users
//     cannot write, so fields never collide with function names or with
//     each other); it also checks function names and argument counts and
//     passes the evaluation state to the functions that count work. Every
//     problem found is reported, each with its position;
//  3. expr-lang's type checker over the typed environment, then the
//     required result kind;
//  4. expr-lang's optimizer;
//  5. harden: ordering comparisons and arithmetic become nil-safe
//     operators ($!lt, $!add, …), text + counts its bytes, every loop body
//     ticks the step counter, and typed == is compiled generically so a
//     nil value compares instead of failing;
//  6. expr-lang's compiler;
//  7. bindSlots: environment reads become reads of VM variables.

// Problem is one error in an expression. Line and Column are 1-based
// (columns count characters); Pos is the 1-based character offset.
type Problem struct {
	Message string `json:"message"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Pos     int    `json:"pos"`
}

// CheckResult is the outcome of Check: the expression's result type
// ("bool", "number", "string", "date", "datetime", "duration", "list",
// "object" or "any" when only known at run time) and its errors (empty
// when it compiles).
type CheckResult struct {
	Type   string    `json:"type"`
	Errors []Problem `json:"errors"`
}

// CompileError carries every problem of an expression that failed to
// compile (English messages). Compile's *errs.Error shows the first
// problem; it wraps a CompileError when there are more, whose Error()
// lists the others. ProblemsOf returns them all.
type CompileError struct {
	Problems []Problem
}

func (e *CompileError) Error() string {
	parts := make([]string, 0, len(e.Problems))
	for _, p := range e.Problems[min(1, len(e.Problems)):] {
		parts = append(parts, fmt.Sprintf("%d:%d: %s", p.Line, p.Column, p.Message))
	}
	return "also " + strings.Join(parts, "; ")
}

// ProblemsOf returns the problems of an error from Compile, with
// positions, in locale; nil for other errors.
func ProblemsOf(err error, locale string) []Problem {
	e, ok := errs.As(err)
	if !ok || !strings.HasPrefix(e.Msg.Key, "expr.x.") {
		return nil
	}
	var ce *CompileError
	if errors.As(err, &ce) && locale == i18n.EN {
		return ce.Problems
	}
	a := e.Msg.Args
	p := Problem{Line: toInt(a["line"]), Column: toInt(a["column"]), Pos: toInt(a["pos"])}
	p.Message = i18n.T(locale, i18n.Msg{Key: strings.TrimSuffix(e.Msg.Key, ".at"), Args: a})
	out := []Problem{p}
	if ce != nil && len(ce.Problems) > 1 {
		out = append(out, ce.Problems[1:]...)
	}
	return out
}

func toInt(v any) int {
	n, _ := v.(int)
	return n
}

// Check type-checks src against m and reports errors with positions, in
// English. The designer uses CheckLocale.
func Check(src string, m *meta.Module) CheckResult { return CheckLocale(src, m, "", i18n.EN) }

// CheckLocale is Check requiring result kind want ("" for any) and
// rendering messages in locale.
func CheckLocale(src string, m *meta.Module, want, locale string) CheckResult {
	return CheckLookups(src, m, want, locale, nil)
}

// CheckLookups is CheckLocale with reads through lookup fields (see
// Lookups), as formulas have them.
func CheckLookups(src string, m *meta.Module, want, locale string, lk Lookups) CheckResult {
	p, probs := build(src, m, want, lk)
	res := CheckResult{Errors: []Problem{}}
	if p != nil {
		res.Type = p.kind
	}
	for _, pr := range probs {
		res.Errors = append(res.Errors, pr.render(locale))
	}
	return res
}

// problem is a Problem before rendering: a message key (registered with
// and without the position, see messages) and its arguments.
type problem struct {
	key            string
	args           []any
	line, col, pos int
}

func (p problem) render(locale string) Problem {
	return Problem{Message: i18n.T(locale, i18n.M(p.key, p.args...)), Line: p.line, Column: p.col, Pos: p.pos}
}

// msgAt is the message with its position, for errors.
func (p problem) msgAt() i18n.Msg {
	return i18n.M(p.key+".at", append(p.args, "line", p.line, "column", p.col, "pos", p.pos)...)
}

// position converts a character offset into line and column (1-based).
func position(src string, from int) (line, col, pos int) {
	line, col = 1, 1
	n := 0
	for _, r := range src {
		if n == from {
			break
		}
		if r == '\n' {
			line++
			col = 1
		} else {
			col++
		}
		n++
	}
	return line, col, n + 1
}

func newProblem(src string, from int, key string, args ...any) problem {
	l, c, p := position(src, from)
	return problem{key: key, args: args, line: l, col: c, pos: p}
}

// Result kinds a caller may require.
var wants = map[string]bool{"": true, "bool": true, "number": true, "string": true, "date": true, "datetime": true}

// allowedBuiltins are the expr-lang builtins expressions may use as they
// are: loops over lists (their bodies tick), pure reads, and number
// conversions. Everything else is disabled: it could grow values beyond
// the budgets (repeat, reduce, flatten, toJSON, fromJSON, toBase64,
// sortBy, groupBy, …) or is replaced by a function of our own (len,
// upper, replace, join, string, round, …, date, now).
var allowedBuiltins = map[string]bool{
	"all": true, "none": true, "any": true, "one": true, "filter": true, "map": true,
	"find": true, "findIndex": true, "findLast": true, "findLastIndex": true, "count": true, "sum": true,
	"int": true, "float": true, "trimPrefix": true, "trimSuffix": true,
	"indexOf": true, "lastIndexOf": true, "hasPrefix": true, "hasSuffix": true,
	"max": true, "min": true, "mean": true, "median": true,
	"first": true, "last": true, "get": true, "take": true, "keys": true, "values": true,
	"reverse": true, "sort": true, "duration": true, "type": true,
}

// newConfig is the expr-lang configuration for module kinds: the typed
// environment, our functions, and every other builtin disabled. The
// environment is returned too, for lookup reads to join it once resolved.
func newConfig(kinds map[string]vkind) (*conf.Config, types.Map) {
	c := conf.CreateNew()
	c.MaxNodes = MaxNodes
	env := types.Map{
		keyNow: types.TypeOf(tTime), keyToday: types.TypeOf(tTime),
		"$user.id": types.String, "$user.departments": types.TypeOf([]string{}), "$user.roles": types.TypeOf([]string{}),
		keyOld: types.Any, keyState: types.TypeOf((*state)(nil)),
	}
	for k, vk := range kinds {
		env["$"+k] = vk.typ()
		env["$old."+k] = vk.typ()
	}
	c.WithEnv(env)
	for _, f := range functions {
		c.Functions[f.name] = f.builtinFunction()
	}
	for _, b := range builtin.Builtins {
		if !allowedBuiltins[b.Name] {
			c.Disabled[b.Name] = true // repeat, reduce, … (expr.DisableBuiltin)
			delete(c.Builtins, b.Name)
		}
	}
	return c, env
}

// build compiles src for m requiring result kind want. It returns the
// program, or nil and the problems found.
func build(src string, m *meta.Module, want string, lk Lookups) (p *Program, probs []problem) {
	defer func() {
		// expr-lang is third-party code fed hostile input: a panic in it
		// is a refusal, not a crashed request.
		if r := recover(); r != nil {
			p, probs = nil, []problem{newProblem(src, 0, "expr.x.internal", "detail", fmt.Sprint(r))}
		}
	}()
	if len(src) > MaxLen {
		return nil, []problem{{key: "expr.x.too_long", args: []any{"len", len(src), "max", MaxLen}, line: 1, col: 1, pos: 1}}
	}
	if strings.TrimSpace(src) == "" {
		return nil, []problem{{key: "expr.x.empty", line: 1, col: 1, pos: 1}}
	}
	if err := checkNesting(src); err != nil {
		return nil, []problem{{key: "expr.x.too_deep", args: []any{"max", MaxDepth}, line: 1, col: 1, pos: 1}}
	}
	kinds := fieldKinds(m)
	cfg, env := newConfig(kinds)
	tree, err := parser.ParseWithConfig(src, cfg)
	if err != nil {
		return nil, []problem{fromFileError(src, err, "expr.x.syntax")}
	}
	r := &resolver{src: src, kinds: kinds, used: map[string]slot{}, reads: map[string]bool{}, lookups: lookupTargets(m, lk)}
	r.walk(&tree.Node, nil)
	if len(r.probs) > 0 {
		return nil, r.probs
	}
	all := kinds // field kinds and the lookup reads resolved, for the checker and kindOf
	for _, s := range r.used {
		if s.src == fromRecord && strings.Contains(s.name, ".") {
			if len(all) == len(kinds) {
				all = maps.Clone(kinds)
			}
			all[s.name] = s.kind
			env[s.key] = s.kind.typ()
		}
	}
	if len(all) > len(kinds) {
		cfg.WithEnv(env)
	}
	t, err := checker.Check(tree, cfg)
	if err != nil {
		return nil, []problem{fromFileError(src, err, "expr.x.type")}
	}
	kind := kindOf(t, tree.Node, all)
	if !fits(kind, want) {
		// The whole expression is at fault: point at its start.
		start := len([]rune(src)) - len([]rune(strings.TrimLeftFunc(src, unicode.IsSpace)))
		return nil, []problem{newProblem(src, start, "expr.x.result", "got", kindName(kind), "want", kindName(want))}
	}
	if err := optimizer.Optimize(&tree.Node, cfg); err != nil {
		return nil, []problem{fromFileError(src, err, "expr.x.type")}
	}
	h := &hardener{used: r.used}
	h.walk(&tree.Node)
	prog, err := compiler.Compile(tree, cfg)
	if err != nil {
		return nil, []problem{fromFileError(src, err, "expr.x.type")}
	}
	p = &Program{src: src, want: want, kind: kind, prog: prog, kinds: kinds, state: r.state || h.state, reads: sortedKeys(r.reads)}
	for _, s := range r.used {
		p.slots = append(p.slots, s)
	}
	sort.Slice(p.slots, func(i, j int) bool { return p.slots[i].key < p.slots[j].key })
	if err := p.bindSlots(); err != nil {
		return nil, []problem{newProblem(src, 0, "expr.x.internal", "detail", err.Error())}
	}
	return p, nil
}

// bindSlots turns the program's environment reads (map lookups by name)
// into reads of VM variables, which the evaluation fills by index: the
// environment map disappears from the hot path. Let variables keep the
// first indexes; slot i is variable base+i and the state comes last.
func (p *Program) bindSlots() error {
	bc, args := p.prog.Bytecode, p.prog.Arguments
	base := 0
	for i, op := range bc {
		if op == vm.OpStore || op == vm.OpLoadVar {
			base = max(base, args[i]+1)
		}
	}
	index := make(map[string]int, len(p.slots)+1)
	for i, s := range p.slots {
		index[s.key] = base + i
	}
	index[keyState] = base + len(p.slots)
	for i, op := range bc {
		switch op {
		case vm.OpLoadFast:
			name, _ := p.prog.Constants[args[i]].(string)
			v, ok := index[name]
			if !ok {
				return fmt.Errorf("unbound name %q", name)
			}
			bc[i], args[i] = vm.OpLoadVar, v
		case vm.OpLoadConst, vm.OpLoadField, vm.OpLoadMethod, vm.OpLoadEnv:
			return fmt.Errorf("unexpected environment access (opcode %d)", op)
		}
	}
	p.base, p.nvars = base, base+len(p.slots)+1
	return nil
}

// fromFileError converts an expr-lang error into a problem.
func fromFileError(src string, err error, key string) problem {
	var fe *file.Error
	if !errors.As(err, &fe) {
		return newProblem(src, 0, key, "detail", libraryDetail(err.Error()))
	}
	if strings.Contains(fe.Message, "exceeds maximum allowed nodes") {
		return problem{key: "expr.x.too_complex", args: []any{"max", MaxNodes}, line: 1, col: 1, pos: 1}
	}
	return newProblem(src, fe.From, key, "detail", libraryDetail(fe.Message))
}

// humanize rewrites expr-lang's messages in the words users know: Go
// type names become kinds, environment keys become names.
var (
	typeWords = regexp.MustCompile(`\[\]interface \{\}|\[\]string|map\[string\]interface \{\}|interface \{\}|time\.Time|time\.Duration|\*expr\.state|\bfloat64\b|\bint\b|\bstring\b|\bbool\b`)
	typeNames = map[string]string{
		"[]interface {}": "list", "[]string": "list", "map[string]interface {}": "object", "interface {}": "any",
		"time.Time": "date", "time.Duration": "duration", "*expr.state": "", "float64": "number", "int": "number",
		"string": "text", "bool": "boolean",
	}
	envNames = regexp.MustCompile(`\$!?(old\.|user\.)?([a-z][a-z0-9_]*)`)
)

func humanize(msg string) string {
	msg = typeWords.ReplaceAllStringFunc(msg, func(s string) string { return typeNames[s] })
	return envNames.ReplaceAllString(msg, "$1$2")
}

// kindOf names the static result kind. A time is a date when the
// expression visibly yields one (a date field, today, date(…),
// addDays(date, n), …) and a date-time otherwise.
func kindOf(t reflect.Type, n ast.Node, kinds map[string]vkind) string {
	if t == nil {
		return "any"
	}
	switch {
	case t == timeType:
		if isDate(n, kinds) {
			return "date"
		}
		return "datetime"
	case t == durationType:
		return "duration"
	case t.Kind() == reflect.Bool:
		return "bool"
	case isNumberType(t):
		return "number"
	case t.Kind() == reflect.String:
		return "string"
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		return "list"
	case t.Kind() == reflect.Map || t.Kind() == reflect.Struct:
		return "object"
	}
	return "any"
}

func isDate(n ast.Node, kinds map[string]vkind) bool {
	switch n := n.(type) {
	case *ast.IdentifierNode:
		if n.Value == keyToday {
			return true
		}
		name := strings.TrimPrefix(strings.TrimPrefix(n.Value, "$old."), "$")
		return strings.HasPrefix(n.Value, "$") && kinds[name] == kDate
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok {
			return false
		}
		switch id.Value {
		case "date", "startOfMonth", "endOfMonth", "startOfDay":
			return true
		case "addDays", "addMonths", "addYears":
			return len(n.Arguments) > 0 && isDate(n.Arguments[0], kinds)
		case "coalesce":
			for _, a := range n.Arguments {
				if _, isNil := a.(*ast.NilNode); !isNil && !isDate(a, kinds) {
					return false
				}
			}
			return true
		}
	case *ast.ConditionalNode:
		return isDate(n.Exp1, kinds) && isDate(n.Exp2, kinds)
	case *ast.ChainNode:
		return isDate(n.Node, kinds)
	case *ast.SequenceNode:
		return len(n.Nodes) > 0 && isDate(n.Nodes[len(n.Nodes)-1], kinds)
	case *ast.VariableDeclaratorNode:
		return isDate(n.Expr, kinds)
	case *ast.BinaryNode:
		if n.Operator == "??" {
			return isDate(n.Left, kinds) && isDate(n.Right, kinds)
		}
	}
	return false
}

// fits reports whether a static kind can satisfy want; "any" is checked
// at run time.
func fits(kind, want string) bool {
	switch {
	case want == "" || kind == "any" || kind == want:
		return true
	case want == "date" || want == "datetime":
		return kind == "date" || kind == "datetime"
	}
	return false
}

// ---- resolve ----

// Environment keys: a field is "$"+key, an old value "$old."+key, a user
// property "$user."+name; the others use "!", which no field key holds.
const (
	keyNow   = "$!now"
	keyToday = "$!today"
	keyOld   = "$!old"
	keyState = "$!st"
	keyTick  = "$!tick"
	keyAdd   = "$!add"
)

// slot is one environment entry an evaluation fills.
type slot struct {
	key  string // environment key
	name string // field key in Record/Old
	src  slotSource
	kind vkind
	op   any // fromOperator: the function
}

type slotSource uint8

const (
	fromRecord slotSource = iota
	fromOld
	fromOldMap
	fromNow
	fromToday
	fromUserID
	fromUserDepts
	fromUserRoles
	fromOperator // a function value of operators
	fromTick     // the evaluation's tick
	fromAdd      // the evaluation's +
)

type resolver struct {
	src     string
	kinds   map[string]vkind
	used    map[string]slot
	reads   map[string]bool // see Program.Reads
	lookups map[string]*lookupTarget
	state   bool
	probs   []problem
}

// lookupTarget is what a lookup field of the module reads through.
type lookupTarget struct {
	kinds map[string]vkind // nil: the target is unknown, reads are any
}

// lookupTargets maps m's lookup fields to their targets under lk (nil
// without lookups).
func lookupTargets(m *meta.Module, lk Lookups) map[string]*lookupTarget {
	if lk == nil || m == nil {
		return nil
	}
	out := map[string]*lookupTarget{}
	for _, f := range m.Fields {
		if f.Type == nil || f.Type.Name() != "lookup" {
			continue
		}
		lt := &lookupTarget{}
		if t := lk(f.Module); t != nil {
			lt.kinds = fieldKinds(t)
		}
		out[f.Key] = lt
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

const maxProblems = 20

func (r *resolver) fail(n ast.Node, key string, args ...any) {
	if len(r.probs) < maxProblems {
		r.probs = append(r.probs, newProblem(r.src, n.Location().From, key, args...))
	}
}

// use records an environment entry and renames the node to it.
func (r *resolver) use(node *ast.Node, s slot) {
	r.used[s.key] = s
	ast.Patch(node, &ast.IdentifierNode{Value: s.key})
}

// scope is the chain of let variables in scope.
type scope struct {
	name string
	up   *scope
}

func (s *scope) has(name string) bool {
	for ; s != nil; s = s.up {
		if s.name == name {
			return true
		}
	}
	return false
}

func (r *resolver) walk(node *ast.Node, sc *scope) {
	switch n := (*node).(type) {
	case nil:
	case *ast.IdentifierNode:
		r.ident(node, n, sc)
	case *ast.NilNode, *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.StringNode, *ast.BytesNode, *ast.ConstantNode, *ast.PointerNode:
	case *ast.UnaryNode:
		r.walk(&n.Node, sc)
	case *ast.BinaryNode:
		r.walk(&n.Left, sc)
		r.walk(&n.Right, sc)
		if n.Operator == "%" {
			// Numbers are float64, which expr-lang's % refuses: use mod.
			callee := &ast.IdentifierNode{Value: "mod"}
			callee.SetLocation(n.Location())
			ast.Patch(node, &ast.CallNode{Callee: callee, Arguments: []ast.Node{n.Left, n.Right}})
		}
	case *ast.ChainNode:
		r.walk(&n.Node, sc)
	case *ast.MemberNode:
		r.member(node, n, sc)
	case *ast.SliceNode:
		r.walk(&n.Node, sc)
		r.walk(&n.From, sc)
		r.walk(&n.To, sc)
	case *ast.CallNode:
		r.call(node, n, sc)
	case *ast.BuiltinNode:
		r.builtin(node, n, sc)
	case *ast.PredicateNode:
		r.walk(&n.Node, sc)
	case *ast.VariableDeclaratorNode:
		if strings.HasPrefix(n.Name, "$") {
			r.fail(n, "expr.x.reserved", "name", n.Name)
		}
		r.walk(&n.Value, sc)
		r.walk(&n.Expr, &scope{name: n.Name, up: sc})
	case *ast.SequenceNode:
		for i := range n.Nodes {
			r.walk(&n.Nodes[i], sc)
		}
	case *ast.ConditionalNode:
		r.walk(&n.Cond, sc)
		r.walk(&n.Exp1, sc)
		r.walk(&n.Exp2, sc)
	case *ast.ArrayNode:
		for i := range n.Nodes {
			r.walk(&n.Nodes[i], sc)
		}
	case *ast.MapNode:
		for i := range n.Pairs {
			r.walk(&n.Pairs[i], sc)
		}
	case *ast.PairNode:
		r.walk(&n.Key, sc)
		r.walk(&n.Value, sc)
	default:
		r.fail(*node, "expr.x.unsupported", "part", show(*node))
	}
}

// ident resolves a bare name: let variable, field or system key, then
// now, today and old.
func (r *resolver) ident(node *ast.Node, n *ast.IdentifierNode, sc *scope) {
	name := n.Value
	if sc.has(name) {
		return
	}
	if k, ok := r.kinds[name]; ok {
		r.reads[name] = true
		r.use(node, slot{key: "$" + name, name: name, src: fromRecord, kind: k})
		return
	}
	switch name {
	case "now":
		r.use(node, slot{key: keyNow, src: fromNow})
	case "today":
		r.use(node, slot{key: keyToday, src: fromToday})
	case "old":
		r.reads["*"] = true
		r.use(node, slot{key: keyOld, src: fromOldMap})
	case "user":
		r.fail(n, "expr.x.user_bare")
	default:
		if strings.HasPrefix(name, "$") {
			r.fail(n, "expr.x.reserved", "name", name)
			return
		}
		if _, isFn := functions[name]; isFn {
			r.fail(n, "expr.x.not_called", "name", name)
			return
		}
		r.fail(n, "expr.x.unknown_name", "name", name)
	}
}

// member resolves old.<field> and user.<id|departments|roles> (even
// when a field is named old or user: member syntax means the variables);
// any other member access is left to the checker (json values, lists).
func (r *resolver) member(node *ast.Node, n *ast.MemberNode, sc *scope) {
	id, ok := n.Node.(*ast.IdentifierNode)
	if ok && !sc.has(id.Value) {
		switch id.Value {
		case "old":
			prop, ok := n.Property.(*ast.StringNode)
			if !ok {
				r.fail(n, "expr.x.old_dynamic")
				return
			}
			k, ok := r.kinds[prop.Value]
			if !ok {
				r.fail(n, "expr.x.unknown_name", "name", "old."+prop.Value)
				return
			}
			r.reads[prop.Value] = true
			r.use(node, slot{key: "$old." + prop.Value, name: prop.Value, src: fromOld, kind: k})
			return
		case "user":
			prop, ok := n.Property.(*ast.StringNode)
			if s, known := userProps[propValue(prop, ok)]; known {
				r.use(node, slot{key: "$user." + prop.Value, src: s})
				return
			}
			r.fail(n, "expr.x.user_member", "name", propValue(prop, ok))
			return
		}
		if lt := r.lookups[id.Value]; lt != nil {
			r.lookup(node, n, id.Value, lt)
			return
		}
	}
	r.walk(&n.Node, sc)
	r.walk(&n.Property, sc)
}

// lookup resolves <lookup>.<field>: the field of the record the lookup
// points to (a system key too), read from Vars.Record["<lookup>.<field>"].
func (r *resolver) lookup(node *ast.Node, n *ast.MemberNode, field string, lt *lookupTarget) {
	prop, ok := n.Property.(*ast.StringNode)
	if !ok || n.Optional {
		r.fail(n, "expr.x.lookup_dynamic", "name", field)
		return
	}
	name := field + "." + prop.Value
	k := kAny
	if lt.kinds != nil {
		if k, ok = lt.kinds[prop.Value]; !ok {
			r.fail(n, "expr.x.unknown_name", "name", name)
			return
		}
	}
	r.reads[name] = true
	r.use(node, slot{key: "$" + name, name: name, src: fromRecord, kind: k})
}

var userProps = map[string]slotSource{"id": fromUserID, "departments": fromUserDepts, "roles": fromUserRoles}

func propValue(p *ast.StringNode, ok bool) string {
	if !ok {
		return "[…]"
	}
	return p.Value
}

// call resolves a function call: our functions (argument count checked
// here, for messages that do not count the hidden state), now() and
// today(); anything else is refused.
func (r *resolver) call(node *ast.Node, n *ast.CallNode, sc *scope) {
	id, ok := n.Callee.(*ast.IdentifierNode)
	if !ok {
		if _, isMember := n.Callee.(*ast.MemberNode); isMember {
			r.fail(n, "expr.x.method")
		} else {
			r.fail(n, "expr.x.unsupported", "part", show(n))
		}
		return
	}
	name := id.Value
	if name == "now" || name == "today" {
		if len(n.Arguments) > 0 {
			r.fail(n, "expr.x.arity", "name", name, "want", "0", "got", len(n.Arguments))
			return
		}
		src := fromNow
		if name == "today" {
			src = fromToday
		}
		key := keyNow
		if name == "today" {
			key = keyToday
		}
		r.use(node, slot{key: key, src: src})
		return
	}
	f, ok := functions[name]
	if !ok {
		_, isBuiltin := builtin.Index[name]
		switch {
		case sc.has(name) || isField(r.kinds, name):
			r.fail(n, "expr.x.not_function", "name", name)
		case isBuiltin:
			r.fail(n, "expr.x.disabled", "name", name)
		default:
			r.fail(n, "expr.x.unknown_function", "name", name)
		}
		return
	}
	if got := len(n.Arguments); got < f.min || f.max >= 0 && got > f.max {
		r.fail(n, "expr.x.arity", "name", name, "want", arity(f), "got", got)
		return
	}
	switch name {
	case "changed":
		s, ok := n.Arguments[0].(*ast.StringNode)
		if !ok || !isField(r.kinds, s.Value) {
			r.fail(n.Arguments[0], "expr.x.changed_arg")
			return
		}
		r.reads[s.Value] = true
	case "date", "datetime":
		if s, ok := n.Arguments[0].(*ast.StringNode); ok {
			if _, valid := parseTime(s.Value); !valid {
				r.fail(s, "expr.x.bad_"+name, "value", s.Value)
			}
		}
	}
	for i := range n.Arguments {
		r.walk(&n.Arguments[i], sc)
	}
	if f.state {
		r.state = true
		st := &ast.IdentifierNode{Value: keyState}
		st.SetLocation(n.Location())
		n.Arguments = append([]ast.Node{st}, n.Arguments...)
	}
}

func isField(kinds map[string]vkind, name string) bool {
	_, ok := kinds[name]
	return ok
}

func arity(f *fnSpec) string {
	switch {
	case f.max < 0:
		return fmt.Sprintf("%d+", f.min)
	case f.min == f.max:
		return fmt.Sprint(f.min)
	}
	return fmt.Sprintf("%d-%d", f.min, f.max)
}

// builtin checks a builtin call: now() becomes the clock; only allowed
// builtins pass (the parser only makes nodes of enabled ones; this is a
// second line).
func (r *resolver) builtin(node *ast.Node, n *ast.BuiltinNode, sc *scope) {
	if n.Name == "now" && len(n.Arguments) == 0 {
		r.use(node, slot{key: keyNow, src: fromNow})
		return
	}
	if !allowedBuiltins[n.Name] {
		r.fail(n, "expr.x.disabled", "name", n.Name)
		return
	}
	for i := range n.Arguments {
		r.walk(&n.Arguments[i], sc)
	}
}

// ---- harden ----

// hardener rewrites the checked, optimized tree for safe evaluation (see
// the steps at the top of this file). The operators it inserts are
// function values in the environment (see operators).
type hardener struct {
	used  map[string]slot
	state bool
}

var compareOps = map[string]string{"<": "$!lt", ">": "$!gt", "<=": "$!le", ">=": "$!ge"}
var arithOps = map[string]string{"+": keyAdd, "-": "$!sub", "*": "$!mul", "/": "$!div", "**": "$!pow", "^": "$!pow"}

func (h *hardener) walk(node *ast.Node) {
	switch n := (*node).(type) {
	case nil:
	case *ast.UnaryNode:
		h.walk(&n.Node)
		if n.Operator == "-" && !literal(n.Node) {
			h.replace(node, "$!neg", n.Type(), n.Node)
		}
	case *ast.BinaryNode:
		h.walk(&n.Left)
		h.walk(&n.Right)
		if literal(n.Left) && literal(n.Right) {
			return
		}
		if fn, ok := compareOps[n.Operator]; ok {
			h.replace(node, fn, n.Type(), n.Left, n.Right)
			return
		}
		if fn, ok := arithOps[n.Operator]; ok {
			h.replace(node, fn, n.Type(), n.Left, n.Right)
			return
		}
		if n.Operator == "==" || n.Operator == "!=" {
			// expr-lang compiles == between two ints or two strings to a
			// type assertion, which fails on nil: make it generic.
			lk, rk := n.Left.Type().Kind(), n.Right.Type().Kind()
			if lk == rk && (lk == reflect.Int || lk == reflect.String) {
				if !literal(n.Left) {
					n.Left.SetType(anyType)
				} else {
					n.Right.SetType(anyType)
				}
			}
		}
	case *ast.ChainNode:
		h.walk(&n.Node)
	case *ast.MemberNode:
		h.walk(&n.Node)
		h.walk(&n.Property)
	case *ast.SliceNode:
		h.walk(&n.Node)
		h.walk(&n.From)
		h.walk(&n.To)
	case *ast.CallNode:
		for i := range n.Arguments {
			h.walk(&n.Arguments[i])
		}
	case *ast.BuiltinNode:
		for i := range n.Arguments {
			h.walk(&n.Arguments[i])
		}
		h.walk(&n.Map)
	case *ast.PredicateNode:
		h.walk(&n.Node)
		// Every loop body ticks the step counter first.
		tick := h.call(n, keyTick, reflect.TypeOf(true))
		seq := &ast.SequenceNode{Nodes: []ast.Node{tick, n.Node}}
		seq.SetLocation(n.Node.Location())
		seq.SetType(n.Node.Type())
		n.Node = seq
	case *ast.VariableDeclaratorNode:
		h.walk(&n.Value)
		h.walk(&n.Expr)
	case *ast.SequenceNode:
		for i := range n.Nodes {
			h.walk(&n.Nodes[i])
		}
	case *ast.ConditionalNode:
		h.walk(&n.Cond)
		h.walk(&n.Exp1)
		h.walk(&n.Exp2)
	case *ast.ArrayNode:
		for i := range n.Nodes {
			h.walk(&n.Nodes[i])
		}
	case *ast.MapNode:
		for i := range n.Pairs {
			h.walk(&n.Pairs[i])
		}
	case *ast.PairNode:
		h.walk(&n.Key)
		h.walk(&n.Value)
	}
}

// call builds a call of operator fn at node at, of result type t.
func (h *hardener) call(at ast.Node, fn string, t reflect.Type, args ...ast.Node) *ast.CallNode {
	s := slot{key: fn, src: fromOperator, op: operators[fn]}
	switch fn {
	case keyTick:
		s.src, h.state = fromTick, true
	case keyAdd:
		s.src, h.state = fromAdd, true
	}
	h.used[fn] = s
	callee := &ast.IdentifierNode{Value: fn}
	callee.SetLocation(at.Location())
	callee.SetType(reflect.TypeOf(operators[fn]))
	call := &ast.CallNode{Callee: callee, Arguments: args}
	call.SetLocation(at.Location())
	call.SetType(t)
	return call
}

// replace swaps node for a call of operator fn, keeping its position and
// checked type.
func (h *hardener) replace(node *ast.Node, fn string, t reflect.Type, args ...ast.Node) {
	*node = h.call(*node, fn, t, args...)
}

// literal reports whether n is a constant that can never be nil.
func literal(n ast.Node) bool {
	switch n.(type) {
	case *ast.IntegerNode, *ast.FloatNode, *ast.StringNode, *ast.BoolNode, *ast.ConstantNode, *ast.BytesNode:
		return true
	}
	return false
}
