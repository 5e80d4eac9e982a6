// Package expr translates the filters users type into list endpoints
// (`?filter=amount > 1000 && stage in ["won","lost"]`) into a SQL boolean
// expression with bound arguments, so that filtering is done by the
// database over the module's real table and never row by row in Go.
//
// Filters use the expr-lang syntax (https://expr-lang.org), but only its
// parser is used: there is no type checker, compiler or VM involved. The
// parse tree is walked and each node is either translated or refused, so
// the accepted language is an explicit whitelist:
//
//   - fields, resolved through a Resolver; literals (strings, numbers,
//     true/false, nil, lists of values on the right of `in`), unary minus
//     on numbers, and the functions now() and today();
//   - comparisons == != < > <= >= between a field and a value (either
//     side) or between two fields of the same kind, and == nil / != nil;
//   - `in` / `not in` with a list, `"label" in tags` for multi-select
//     fields, and contains / startsWith / endsWith on text fields;
//   - under(field, "value") on a tree select or region field: the field
//     holds value or a value below it (field IN the subtree's values);
//   - && and || (or `and`, `or`), ! and `not`, parentheses, and a bare
//     boolean field as a condition.
//
// Everything else (arithmetic, matches, member access, pipes, closures and
// builtins, ternaries, maps, ranges, unknown functions) is refused with an
// *errs.Error of code errs.Invalid whose message names the offending part
// and its position.
//
// Safety: the only text copied into the SQL is Column.SQL, supplied by the
// Resolver, and fixed SQL written in this package; every value from the
// filter is a bound argument. Input is bounded before parsing (MaxLen,
// MaxDepth) and while walking (MaxNodes), so hostile filters cannot exhaust
// the stack or produce huge statements.
//
// NULL semantics follow what a user expects from a filter rather than SQL's
// three-valued logic: a condition on an empty (NULL) field does not match,
// and a negated condition matches exactly the rows the condition does not
// (so `!(stage == "won")` and `stage != "won"` both include rows with no
// stage, as `nil != "won"` is true in expr). To get there, != is emitted as
// a NULL-safe comparison and negation of a condition that may be NULL is
// emitted as NOT COALESCE(cond, false).
//
// Every fragment is fully parenthesised, including the result, so callers
// can splice Where.SQL next to their own conditions as it is.
package expr

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"

	"github.com/tessera-app/tessera/engine/errs"
)

// Kind is the value kind of a column, which decides which operators and
// literals are allowed.
type Kind int

const (
	KindText   Kind = iota // TEXT (text, email, select, autonumber, ...)
	KindNumber             // integer/float/decimal columns
	KindBool               // SQLite stores 0/1 INTEGER, PostgreSQL BOOLEAN
	KindDate               // SQLite TEXT 'YYYY-MM-DD'; PostgreSQL DATE
	KindTime               // SQLite TEXT fixed-width UTC '2006-01-02T15:04:05.000000Z'; PostgreSQL TIMESTAMPTZ
	KindArray              // multiselect: SQLite TEXT holding a JSON array of strings; PostgreSQL JSONB array of strings
	KindRef                // record/user id (uuid): SQLite TEXT; PostgreSQL UUID
	KindJSON               // arbitrary json: only nil checks allowed
)

var kindNames = [...]string{"text", "number", "boolean", "date", "datetime", "multiselect", "reference", "json"}

// String names the kind in error messages.
func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Column is what an identifier in a filter refers to.
type Column struct {
	SQL  string // a ready, quoted SQL column reference, e.g. `"amount"` — inserted verbatim
	Kind Kind
	// Through, when set, makes SQL a column of another table reached
	// through a lookup (`account.region`): a condition on it becomes
	// EXISTS (SELECT 1 FROM <from> WHERE <where> AND <condition>), or NOT
	// EXISTS of the opposite condition where the condition holds for an
	// empty value (!=, == nil), so that a record whose lookup points to
	// nothing it may read reads as empty there.
	Through func(argStart int) (from, where string, args []any, err error)
	// Subtree, set for a field whose values form a tree (a tree select,
	// a region), gives a value and every value below it: under(field,
	// value) becomes field IN (those values), each bound. ok=false means
	// value is not a node of the field.
	Subtree func(value string) (values []string, ok bool)
}

// Resolver maps an identifier used in the filter to a column; ok=false
// means unknown field.
type Resolver func(name string) (Column, bool)

// Dialect selects placeholder style and storage formats.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Where is a translated filter: a SQL boolean expression and its bound args.
// An empty SQL means "no filter".
type Where struct {
	SQL  string
	Args []any
}

// Limits on filter size, checked before (MaxLen, MaxDepth) and during
// (MaxNodes) translation.
const (
	MaxLen   = 4096 // bytes of source
	MaxDepth = 64   // nesting of ( [ {
	MaxNodes = 1000 // parse tree nodes
)

// storageTime is the fixed-width UTC text format of KindTime in SQLite;
// being fixed-width, it orders correctly as text.
const storageTime = "2006-01-02T15:04:05.000000Z"

// storageDate is the text format of KindDate in SQLite.
const storageDate = "2006-01-02"

// clock is the source of now() and today(); tests replace it.
var clock = time.Now

// Filter translates src. Placeholders: SQLite uses "?"; Postgres uses "$N"
// numbered starting at argStart+1 (argStart = number of args already bound
// before this fragment). An empty or blank src yields an empty Where.
func Filter(src string, resolve Resolver, d Dialect, argStart int) (Where, error) {
	return FilterWith(src, resolve, d, argStart, nil)
}

// Consts are named values a filter may read with member syntax, such as
// "user.id" or "user.departments" in a record-scope expression. A string,
// number or bool is bound like a literal; a []string is a list, usable on
// the right of `in`. Only names present here translate.
type Consts map[string]any

// FilterWith is Filter with named constants (see Consts).
func FilterWith(src string, resolve Resolver, d Dialect, argStart int, consts Consts) (Where, error) {
	return FilterAt(src, resolve, d, argStart, consts, time.Time{})
}

// FilterAt is FilterWith with now and today read at instant now (zero:
// the wall clock), so that a store whose clock a test sets filters by the
// same day its rules and formulas see.
func FilterAt(src string, resolve Resolver, d Dialect, argStart int, consts Consts, now time.Time) (Where, error) {
	if strings.TrimSpace(src) == "" {
		return Where{}, nil
	}
	if d != SQLite && d != Postgres {
		return Where{}, fmt.Errorf("expr: unknown dialect %q", d) // a programming error, hence not Invalid
	}
	if len(src) > MaxLen {
		return Where{}, errs.New(errs.Invalid, "expr.too_long", "len", len(src), "max", MaxLen)
	}
	if err := checkNesting(src); err != nil {
		return Where{}, err
	}
	root, err := parse(src)
	if err != nil {
		return Where{}, err
	}
	if resolve == nil {
		resolve = func(string) (Column, bool) { return Column{}, false }
	}
	if now.IsZero() {
		now = clock()
	}
	t := &translator{src: src, resolve: resolve, dialect: d, argStart: argStart, consts: consts, now: now.UTC().Truncate(time.Microsecond)}
	f, err := t.cond(root)
	if err != nil {
		return Where{}, err
	}
	return Where{SQL: f.sql, Args: t.args}, nil
}

// checkNesting refuses sources nesting brackets deeper than MaxDepth. It
// runs before the recursive-descent parser so that deep nesting is
// rejected in linear time without deep recursion. Brackets inside string
// literals and comments do not count. Where this scan and expr-lang's
// lexer could disagree (malformed literals), the lexer fails first, and
// MaxLen bounds what any disagreement could cost.
func checkNesting(src string) error {
	depth := 0
	for i := 0; i < len(src); i++ {
		switch c := src[i]; c {
		case '(', '[', '{':
			depth++
			if depth > MaxDepth {
				return errs.New(errs.Invalid, "expr.too_deep", "max", MaxDepth)
			}
		case ')', ']', '}':
			if depth > 0 {
				depth--
			}
		case '"', '\'':
			i = skipQuoted(src, i, c)
		case '`':
			if j := strings.IndexByte(src[i+1:], '`'); j >= 0 {
				i += j + 1
			}
		case '/':
			i = skipComment(src, i)
		}
	}
	return nil
}

// skipQuoted returns the index of the quote closing the literal opened at
// i, or the index before a newline or the end (the lexer rejects those).
func skipQuoted(src string, i int, quote byte) int {
	for j := i + 1; j < len(src); j++ {
		switch src[j] {
		case '\\':
			j++
		case '\n':
			return j - 1
		case quote:
			return j
		}
	}
	return len(src)
}

// skipComment returns the index of the last byte of a // or /* */ comment
// starting at i, or i when no comment starts there.
func skipComment(src string, i int) int {
	if i+1 >= len(src) {
		return i
	}
	switch src[i+1] {
	case '/':
		if j := strings.IndexByte(src[i:], '\n'); j >= 0 {
			return i + j
		}
		return len(src)
	case '*':
		if j := strings.Index(src[i+2:], "*/"); j >= 0 {
			return i + 2 + j + 1
		}
		return len(src)
	}
	return i
}

// parse runs expr-lang's parser. The parser is third-party code fed
// hostile input, so a panic in it is turned into a syntax error rather
// than a crashed request.
func parse(src string) (node ast.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			node, err = nil, errs.New(errs.Invalid, "expr.syntax", "pos", 1, "detail", "cannot parse")
		}
	}()
	tree, perr := parser.Parse(src)
	if perr != nil {
		pos, detail := 1, perr.Error()
		var fe *file.Error
		if errors.As(perr, &fe) {
			pos, detail = fe.From+1, fe.Message
		}
		return nil, errs.New(errs.Invalid, "expr.syntax", "pos", pos, "detail", detail)
	}
	if tree == nil || tree.Node == nil {
		return nil, errs.New(errs.Invalid, "expr.syntax", "pos", 1, "detail", "empty expression")
	}
	return tree.Node, nil
}

// translator holds the state of one translation.
type translator struct {
	src      string
	resolve  Resolver
	dialect  Dialect
	argStart int
	args     []any
	consts   Consts
	nodes    int
	now      time.Time // one instant for all now()/today() in a filter, at the microsecond precision both stores keep
}

// frag is a translated condition. nullable records whether it can
// evaluate to NULL (it compares a column that may be NULL), which decides
// how it is negated.
type frag struct {
	sql      string
	nullable bool
}

// visit counts a node against MaxNodes. Every node is visited before it
// is recursed into, so the count also bounds recursion depth.
func (t *translator) visit(n ast.Node) error {
	t.nodes++
	if t.nodes > MaxNodes {
		return errs.New(errs.Invalid, "expr.too_complex", "max", MaxNodes)
	}
	if n == nil { // the parser does not produce these without an error; be safe
		return errs.New(errs.Invalid, "expr.syntax", "pos", 1, "detail", "incomplete expression")
	}
	return nil
}

// fail builds an Invalid error naming node n and its position.
func (t *translator) fail(key string, n ast.Node, kv ...any) error {
	args := append([]any{"part", show(n), "pos", n.Location().From + 1}, kv...)
	return errs.New(errs.Invalid, key, args...)
}

// show prints a node for an error message, shortened to stay readable.
func show(n ast.Node) string {
	const max = 80
	s := n.String()
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max]) + "…"
}

// bind records a bound argument and returns its placeholder.
func (t *translator) bind(v any) string {
	t.args = append(t.args, v)
	if t.dialect == Postgres {
		return "$" + strconv.Itoa(t.argStart+len(t.args))
	}
	return "?"
}

// sqlBool is the dialect's boolean constant: SQLite has no boolean type
// (and TRUE/FALSE there can be shadowed by columns so named), so 1/0.
func (t *translator) sqlBool(b bool) string {
	switch {
	case t.dialect == Postgres && b:
		return "true"
	case t.dialect == Postgres:
		return "false"
	case b:
		return "1"
	}
	return "0"
}

// cond translates a node used as a condition.
func (t *translator) cond(n ast.Node) (frag, error) {
	if err := t.visit(n); err != nil {
		return frag{}, err
	}
	switch n := n.(type) {
	case *ast.BinaryNode:
		switch n.Operator {
		case "&&", "and":
			return t.junction(n, "AND")
		case "||", "or":
			return t.junction(n, "OR")
		case "==", "!=", "<", ">", "<=", ">=":
			return t.compare(n)
		case "in":
			return t.in(n)
		case "contains", "startsWith", "endsWith":
			return t.like(n)
		}
	case *ast.UnaryNode:
		if n.Operator == "!" || n.Operator == "not" {
			return t.not(n.Node)
		}
		return frag{}, t.fail("expr.not_condition", n)
	case *ast.IdentifierNode, *ast.MemberNode:
		if _, isConst := t.constValue(n); !isConst {
			return t.boolColumn(n)
		}
	case *ast.BoolNode:
		if n.Value {
			return frag{sql: "(1=1)"}, nil
		}
		return frag{sql: "(1=0)"}, nil
	case *ast.StringNode, *ast.IntegerNode, *ast.FloatNode, *ast.NilNode, *ast.ArrayNode:
		return frag{}, t.fail("expr.not_condition", n)
	case *ast.CallNode:
		if isUnder(n) {
			return t.under(n)
		}
		if isClock(n) {
			return frag{}, t.fail("expr.not_condition", n)
		}
	case *ast.BuiltinNode:
		if isClock(n) {
			return frag{}, t.fail("expr.not_condition", n)
		}
	}
	return frag{}, t.refuse(n)
}

// isUnder reports whether n calls under(…), the subtree condition.
func isUnder(n *ast.CallNode) bool {
	id, ok := n.Callee.(*ast.IdentifierNode)
	return ok && id.Value == "under"
}

// under translates under(field, "value"): the field holds value or a value
// below it in its tree (a tree select's node, a region's code), as
// field IN (the subtree's values), every one bound. The subtree comes from
// the field's metadata (Column.Subtree), so the SQL needs no tree table.
func (t *translator) under(n *ast.CallNode) (frag, error) {
	if len(n.Arguments) != 2 {
		return frag{}, t.fail("expr.under_args", n)
	}
	l, err := t.operand(n.Arguments[0])
	if err != nil {
		return frag{}, err
	}
	if l.col == nil {
		return frag{}, t.fail("expr.under_args", n)
	}
	if l.col.Subtree == nil {
		return frag{}, t.fail("expr.not_tree", n, "field", l.name)
	}
	r, err := t.operand(n.Arguments[1])
	if err != nil {
		return frag{}, err
	}
	key, ok := r.lit.(string)
	if r.col != nil || !ok {
		return frag{}, t.fail("expr.under_args", n)
	}
	values, ok := l.col.Subtree(key)
	if !ok {
		return frag{}, t.fail("expr.unknown_node", n, "field", l.name, "value", key)
	}
	phs := make([]string, len(values))
	for i, v := range values {
		phs[i] = t.bind(v)
	}
	return t.via(l, frag{sql: "(" + l.col.SQL + " IN (" + strings.Join(phs, ", ") + "))", nullable: true}, false), nil
}

// junction translates a chain of && (or of ||) into one flat SQL AND (OR).
// The chain is collected with an explicit stack, so long chains cost no
// recursion and produce no needless parentheses.
func (t *translator) junction(n *ast.BinaryNode, op string) (frag, error) {
	var terms []frag
	nullable := false
	stack := []ast.Node{n.Right, n.Left} // n itself was visited by cond
	for len(stack) > 0 {
		top := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if b, ok := top.(*ast.BinaryNode); ok && junctionOp(b.Operator) == op {
			if err := t.visit(b); err != nil {
				return frag{}, err
			}
			stack = append(stack, b.Right, b.Left)
			continue
		}
		f, err := t.cond(top)
		if err != nil {
			return frag{}, err
		}
		terms = append(terms, f)
		nullable = nullable || f.nullable
	}
	parts := make([]string, len(terms))
	for i, f := range terms {
		parts[i] = f.sql
	}
	return frag{sql: "(" + strings.Join(parts, " "+op+" ") + ")", nullable: nullable}, nil
}

func junctionOp(op string) string {
	switch op {
	case "&&", "and":
		return "AND"
	case "||", "or":
		return "OR"
	}
	return ""
}

// not negates a condition so that it matches exactly the rows the
// condition does not: a condition that may be NULL is coalesced to false
// first, because NOT NULL is NULL and would drop those rows from both.
func (t *translator) not(n ast.Node) (frag, error) {
	inner, err := t.cond(n)
	if err != nil {
		return frag{}, err
	}
	switch {
	case inner.sql == "(1=0)": // `not in []` and the like: keep constants readable
		return frag{sql: "(1=1)"}, nil
	case inner.sql == "(1=1)":
		return frag{sql: "(1=0)"}, nil
	case !inner.nullable:
		return frag{sql: "(NOT " + inner.sql + ")"}, nil
	}
	return frag{sql: "(NOT COALESCE(" + inner.sql + ", " + t.sqlBool(false) + "))"}, nil
}

// boolColumn translates a bare field used as a condition (`active`,
// `account.active`).
func (t *translator) boolColumn(n ast.Node) (frag, error) {
	o, err := t.operand(n)
	if err != nil {
		return frag{}, err
	}
	if o.col == nil || o.col.Kind != KindBool {
		return frag{}, t.fail("expr.not_condition", n)
	}
	return t.via(o, frag{sql: "(" + o.col.SQL + " = " + t.sqlBool(true) + ")", nullable: true}, false), nil
}

// column resolves a field: an identifier, or a dotted read through a
// lookup ("account.region"). A column reached through a lookup binds the
// arguments of its subquery here, before any value of the condition is
// bound, which is their order in the SQL.
func (t *translator) column(n ast.Node, name string) (operand, error) {
	col, ok := t.resolve(name)
	if !ok {
		return operand{}, t.fail("expr.unknown_field", n, "name", name)
	}
	o := operand{col: &col, name: name}
	if col.Through != nil {
		from, where, args, err := col.Through(t.argStart + len(t.args))
		if err != nil {
			return operand{}, err
		}
		t.args = append(t.args, args...)
		o.via = "EXISTS (SELECT 1 FROM " + from + " WHERE " + where
	}
	return o, nil
}

// via puts a condition on a column reached through a lookup into its
// subquery (see Column.Through); negate gives NOT EXISTS.
func (t *translator) via(o operand, f frag, negate bool) frag {
	if o.via == "" {
		return f
	}
	sql := "(" + o.via + " AND " + f.sql + "))"
	if negate {
		sql = "(NOT " + sql + ")"
	}
	return frag{sql: sql}
}

// compare translates == != < > <= >=.
func (t *translator) compare(n *ast.BinaryNode) (frag, error) {
	l, err := t.operand(n.Left)
	if err != nil {
		return frag{}, err
	}
	r, err := t.operand(n.Right)
	if err != nil {
		return frag{}, err
	}
	op := n.Operator
	switch {
	case l.col == nil && r.col == nil:
		return frag{}, t.fail("expr.no_field", n)
	case l.col == nil: // literal on the left: put the field first
		l, r, op = r, l, flip(op)
	}
	if r.col != nil {
		return t.compareColumns(n, op, l, r)
	}
	return t.compareValue(n, op, l, r.lit)
}

// flip mirrors an operator for swapped operands (1 < x is x > 1).
func flip(op string) string {
	switch op {
	case "<":
		return ">"
	case ">":
		return "<"
	case "<=":
		return ">="
	case ">=":
		return "<="
	}
	return op
}

// allows reports whether op applies to a field kind. Equality needs a
// scalar; ordering also needs a meaningful order.
func allows(k Kind, op string) bool {
	switch k {
	case KindText, KindNumber, KindDate, KindTime:
		return true
	case KindBool, KindRef:
		return op == "==" || op == "!="
	}
	return false
}

// compareValue compares field l with a literal value.
func (t *translator) compareValue(n *ast.BinaryNode, op string, l operand, v any) (frag, error) {
	f, negate, err := t.compareValueIn(n, op, l, v)
	if err != nil {
		return frag{}, err
	}
	return t.via(l, f, negate), nil
}

// compareValueIn is compareValue's condition on the column itself; for a
// column reached through a lookup, the conditions that hold for an empty
// value are built as their opposite, to be negated outside the subquery.
func (t *translator) compareValueIn(n *ast.BinaryNode, op string, l operand, v any) (f frag, negate bool, err error) {
	if l.via != "" {
		switch {
		case v == nil && op == "==":
			op, negate = "!=", true
		case v != nil && op == "!=":
			op, negate = "==", true
		}
	}
	c := l.col.SQL
	if v == nil {
		switch op {
		case "==":
			return frag{sql: "(" + c + " IS NULL)"}, negate, nil
		case "!=":
			return frag{sql: "(" + c + " IS NOT NULL)"}, negate, nil
		}
		return frag{}, false, t.fail("expr.nil_operator", n)
	}
	if !allows(l.col.Kind, op) {
		return frag{}, false, t.fail("expr.operator", n, "op", op, "field", l.name)
	}
	ph, err := t.value(n, l, v)
	if err != nil {
		return frag{}, false, err
	}
	if op == "!=" { // NULL-safe: an empty field is "not equal" to a value
		return frag{sql: "(" + c + " " + t.distinct(true) + " " + ph + ")"}, negate, nil
	}
	return frag{sql: "(" + c + " " + sqlOp(op) + " " + ph + ")", nullable: true}, negate, nil
}

// compareColumns compares two fields. Equality is NULL-safe so that == and
// != stay complements and two empty fields are equal, as nil == nil is.
func (t *translator) compareColumns(n *ast.BinaryNode, op string, l, r operand) (frag, error) {
	if l.via != "" || r.via != "" {
		return frag{}, t.fail("expr.lookup_compare", n)
	}
	if l.col.Kind != r.col.Kind {
		return frag{}, t.fail("expr.mismatched_fields", n, "left", l.name, "right", r.name)
	}
	if !allows(l.col.Kind, op) {
		return frag{}, t.fail("expr.operator", n, "op", op, "field", l.name)
	}
	switch op {
	case "==":
		return frag{sql: "(" + l.col.SQL + " " + t.distinct(false) + " " + r.col.SQL + ")"}, nil
	case "!=":
		return frag{sql: "(" + l.col.SQL + " " + t.distinct(true) + " " + r.col.SQL + ")"}, nil
	}
	return frag{sql: "(" + l.col.SQL + " " + op + " " + r.col.SQL + ")", nullable: true}, nil
}

// distinct is the dialect's NULL-safe (in)equality operator.
func (t *translator) distinct(different bool) string {
	switch {
	case t.dialect == Postgres && different:
		return "IS DISTINCT FROM"
	case t.dialect == Postgres:
		return "IS NOT DISTINCT FROM"
	case different:
		return "IS NOT"
	}
	return "IS"
}

// sqlOp maps an expr comparison operator to SQL.
func sqlOp(op string) string {
	if op == "==" {
		return "="
	}
	return op // != is handled NULL-safely by the callers; < > <= >= are the same
}

// in translates `field in [values]` and `"label" in multiselectField`.
func (t *translator) in(n *ast.BinaryNode) (frag, error) {
	if list, ok := t.constList(n.Right); ok {
		return t.inList(n, list)
	}
	if list, ok := n.Right.(*ast.ArrayNode); ok {
		return t.inList(n, list)
	}
	r, err := t.operand(n.Right)
	if err != nil {
		return frag{}, err
	}
	if r.col == nil || r.col.Kind != KindArray {
		return frag{}, t.fail("expr.in_list", n)
	}
	return t.member(n, r)
}

// inList translates `field in [v1, v2]` to `field IN (?, ?)`.
func (t *translator) inList(n *ast.BinaryNode, list *ast.ArrayNode) (frag, error) {
	l, err := t.operand(n.Left)
	if err != nil {
		return frag{}, err
	}
	if l.col == nil {
		return frag{}, t.fail("expr.no_field", n)
	}
	if !allows(l.col.Kind, "==") {
		return frag{}, t.fail("expr.operator", n, "op", "in", "field", l.name)
	}
	if err := t.visit(list); err != nil {
		return frag{}, err
	}
	if len(list.Nodes) == 0 {
		return frag{sql: "(1=0)"}, nil // IN () is not valid SQL; nothing is in an empty list
	}
	phs := make([]string, len(list.Nodes))
	for i, item := range list.Nodes {
		v, err := t.operand(item)
		if err != nil {
			return frag{}, err
		}
		if v.col != nil || v.lit == nil {
			return frag{}, t.fail("expr.list_item", item)
		}
		if phs[i], err = t.value(item, l, v.lit); err != nil {
			return frag{}, err
		}
	}
	return t.via(l, frag{sql: "(" + l.col.SQL + " IN (" + strings.Join(phs, ", ") + "))", nullable: true}, false), nil
}

// member translates `"label" in tags` for a multi-select field.
func (t *translator) member(n *ast.BinaryNode, r operand) (frag, error) {
	l, err := t.operand(n.Left)
	if err != nil {
		return frag{}, err
	}
	label, ok := l.lit.(string)
	if l.col != nil || !ok {
		return frag{}, t.fail("expr.want_label", n, "field", r.name)
	}
	ph := t.bind(label)
	if t.dialect == Postgres {
		// @> is served by a GIN index; the cast pins the parameter type.
		return t.via(r, frag{sql: "(" + r.col.SQL + " @> jsonb_build_array(" + ph + "::text))", nullable: true}, false), nil
	}
	// The column is read in a FROM-less derived table because inside
	// json_each(...) an unqualified name such as "value" or "key" would
	// resolve to json_each's own columns, not to the module's field.
	// json_each of NULL is empty, so EXISTS is never NULL.
	return t.via(r, frag{sql: "(EXISTS (SELECT 1 FROM (SELECT " + r.col.SQL + " AS j) AS src, json_each(src.j) AS je WHERE je.value = " + ph + "))"}, false), nil
}

// like translates contains / startsWith / endsWith to LIKE with the
// pattern's own wildcards escaped, so the match is literal.
func (t *translator) like(n *ast.BinaryNode) (frag, error) {
	l, err := t.operand(n.Left)
	if err != nil {
		return frag{}, err
	}
	r, err := t.operand(n.Right)
	if err != nil {
		return frag{}, err
	}
	s, ok := r.lit.(string)
	if l.col == nil || l.col.Kind != KindText || r.col != nil || !ok {
		return frag{}, t.fail("expr.like", n, "op", n.Operator)
	}
	p := escapeLike(s)
	switch n.Operator {
	case "contains":
		p = "%" + p + "%"
	case "startsWith":
		p += "%"
	case "endsWith":
		p = "%" + p
	}
	return t.via(l, frag{sql: "(" + l.col.SQL + " LIKE " + t.bind(p) + ` ESCAPE '\')`, nullable: true}, false), nil
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// escapeLike makes s match itself in a LIKE pattern with ESCAPE '\'.
func escapeLike(s string) string { return likeEscaper.Replace(s) }

// refuse explains why a node has no translation.
func (t *translator) refuse(n ast.Node) error {
	switch n := n.(type) {
	case *ast.BinaryNode:
		switch n.Operator {
		case "+", "-", "*", "/", "%", "**", "^":
			return t.fail("expr.arithmetic", n)
		case "matches":
			return t.fail("expr.regex", n)
		}
	case *ast.UnaryNode:
		if n.Operator == "-" || n.Operator == "+" {
			return t.fail("expr.arithmetic", n)
		}
	case *ast.MemberNode, *ast.ChainNode, *ast.SliceNode:
		return t.fail("expr.member", n)
	case *ast.BuiltinNode:
		return t.fail("expr.function", n, "name", n.Name)
	case *ast.CallNode:
		if id, ok := n.Callee.(*ast.IdentifierNode); ok {
			return t.fail("expr.function", n, "name", id.Value)
		}
		return t.fail("expr.member", n)
	}
	return t.fail("expr.unsupported", n)
}

// constName returns "a.b" for a member node a.b, if it is one.
func constName(n ast.Node) (string, bool) {
	m, ok := n.(*ast.MemberNode)
	if !ok || m.Optional || m.Method {
		return "", false
	}
	obj, ok1 := m.Node.(*ast.IdentifierNode)
	prop, ok2 := m.Property.(*ast.StringNode)
	if !ok1 || !ok2 {
		return "", false
	}
	return obj.Value + "." + prop.Value, true
}

// constList turns a list constant into the array literal it stands for.
func (t *translator) constList(n ast.Node) (*ast.ArrayNode, bool) {
	name, ok := constName(n)
	if !ok {
		return nil, false
	}
	list, ok := t.consts[name].([]string)
	if !ok {
		return nil, false
	}
	arr := &ast.ArrayNode{Nodes: make([]ast.Node, len(list))}
	for i, s := range list {
		arr.Nodes[i] = &ast.StringNode{Value: s}
	}
	return arr, true
}

// constValue returns the scalar constant a member node names.
func (t *translator) constValue(n ast.Node) (any, bool) {
	name, ok := constName(n)
	if !ok {
		return nil, false
	}
	switch v := t.consts[name].(type) {
	case string, bool, int64, float64:
		return v, true
	case int:
		return int64(v), true
	}
	return nil, false
}

// FilterReads lists, sorted, the names a filter reads: its identifiers
// (fields, system keys, now, today) and dotted member reads such as
// "account.region" (user.* constants excluded). Only the syntax is looked
// at; Filter decides whether the names resolve.
func FilterReads(src string) ([]string, error) {
	if strings.TrimSpace(src) == "" {
		return nil, nil
	}
	if len(src) > MaxLen {
		return nil, errs.New(errs.Invalid, "expr.too_long", "len", len(src), "max", MaxLen)
	}
	if err := checkNesting(src); err != nil {
		return nil, err
	}
	root, err := parse(src)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var walk func(n ast.Node)
	walk = func(n ast.Node) {
		switch n := n.(type) {
		case *ast.IdentifierNode:
			seen[n.Value] = true
			return
		case *ast.MemberNode:
			if name, ok := constName(n); ok {
				if !strings.HasPrefix(name, "user.") {
					seen[name] = true
				}
				return
			}
		}
		for _, c := range children(n) {
			walk(c)
		}
	}
	walk(root)
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out, nil
}

// children are the direct sub-nodes of n that can hold names.
func children(n ast.Node) []ast.Node {
	switch n := n.(type) {
	case *ast.UnaryNode:
		return []ast.Node{n.Node}
	case *ast.BinaryNode:
		return []ast.Node{n.Left, n.Right}
	case *ast.MemberNode:
		return []ast.Node{n.Node, n.Property}
	case *ast.ChainNode:
		return []ast.Node{n.Node}
	case *ast.CallNode:
		if isUnder(n) { // a condition, not a name read
			return n.Arguments
		}
		return append([]ast.Node{n.Callee}, n.Arguments...)
	case *ast.BuiltinNode:
		return n.Arguments
	case *ast.ArrayNode:
		return n.Nodes
	case *ast.ConditionalNode:
		return []ast.Node{n.Cond, n.Exp1, n.Exp2}
	case *ast.SliceNode:
		return []ast.Node{n.Node, n.From, n.To}
	}
	return nil
}
