package expr

import (
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/google/uuid"
)

// operand is one side of a comparison: a field (col set) or a literal
// value (col nil; lit is string, int64, float64, bool, clockFn or nil for
// the nil literal).
type operand struct {
	col  *Column
	name string // the field's identifier, for messages
	lit  any
	via  string // a column reached through a lookup: its EXISTS subquery, open (see column)
}

// clockFn is a call to now() or today(), bound once the column it is
// compared with decides the storage format.
type clockFn int

const (
	fnNow clockFn = iota
	fnToday
)

// operand translates a node used as a value.
func (t *translator) operand(n ast.Node) (operand, error) {
	if err := t.visit(n); err != nil {
		return operand{}, err
	}
	switch n := n.(type) {
	case *ast.IdentifierNode:
		if fn, ok := bareClock(n.Value); ok {
			if _, isField := t.resolve(n.Value); !isField {
				return operand{lit: fn}, nil // now and today without parentheses, as in expressions
			}
		}
		return t.column(n, n.Value)
	case *ast.StringNode:
		return operand{lit: n.Value}, nil
	case *ast.IntegerNode:
		return operand{lit: int64(n.Value)}, nil
	case *ast.FloatNode:
		if text := t.source(n); significant(text) > 15 {
			return operand{lit: decimalLit(text)}, nil
		}
		return operand{lit: n.Value}, nil
	case *ast.BoolNode:
		return operand{lit: n.Value}, nil
	case *ast.NilNode:
		return operand{}, nil
	case *ast.UnaryNode:
		return t.signed(n)
	case *ast.BuiltinNode, *ast.CallNode:
		if fn, ok := clockCall(n); ok {
			return operand{lit: fn}, nil
		}
		if c, ok := n.(*ast.CallNode); ok && isUnder(c) {
			return operand{}, t.fail("expr.not_value", n)
		}
	case *ast.BinaryNode:
		if junctionOp(n.Operator) != "" || isCondition(n.Operator) {
			return operand{}, t.fail("expr.not_value", n)
		}
	case *ast.ArrayNode:
		return operand{}, t.fail("expr.list_place", n)
	case *ast.MemberNode:
		if v, ok := t.constValue(n); ok {
			return operand{lit: v}, nil
		}
		if name, ok := constName(n); ok {
			_, isConst := t.consts[name]
			_, through := t.resolve(name)
			base, _, _ := strings.Cut(name, ".")
			_, isField := t.resolve(base)
			if !isConst && (through || !isField) {
				return t.column(n, name) // a field through a lookup: account.region
			}
		}
	}
	return operand{}, t.refuse(n)
}

// isCondition reports whether a binary operator yields a boolean.
func isCondition(op string) bool {
	switch op {
	case "==", "!=", "<", ">", "<=", ">=", "in", "contains", "startsWith", "endsWith", "matches":
		return true
	}
	return false
}

// clockCall recognises now() and today(). The parser makes now() a
// BuiltinNode (it is an expr-lang builtin) and today() a CallNode.
func clockCall(n ast.Node) (clockFn, bool) {
	var name string
	switch n := n.(type) {
	case *ast.BuiltinNode:
		if len(n.Arguments) != 0 {
			return 0, false
		}
		name = n.Name
	case *ast.CallNode:
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok || len(n.Arguments) != 0 {
			return 0, false
		}
		name = id.Value
	}
	switch name {
	case "now":
		return fnNow, true
	case "today":
		return fnToday, true
	}
	return 0, false
}

// bareClock recognises now and today written without parentheses.
func bareClock(name string) (clockFn, bool) {
	switch name {
	case "now":
		return fnNow, true
	case "today":
		return fnToday, true
	}
	return 0, false
}

func isClock(n ast.Node) bool {
	_, ok := clockCall(n)
	return ok
}

// signed translates unary minus and plus, which apply to number literals
// only; on anything else they would be arithmetic.
func (t *translator) signed(n *ast.UnaryNode) (operand, error) {
	if n.Operator != "-" && n.Operator != "+" {
		return operand{}, t.fail("expr.not_value", n)
	}
	inner, err := t.operand(n.Node)
	if err != nil {
		return operand{}, err
	}
	neg := n.Operator == "-"
	switch v := inner.lit.(type) {
	case int64:
		if neg {
			v = -v
		}
		return operand{lit: v}, nil
	case float64:
		if neg {
			v = -v
		}
		return operand{lit: v}, nil
	case decimalLit:
		if neg {
			v = "-" + v
		}
		return operand{lit: v}, nil
	}
	return operand{}, t.fail("expr.arithmetic", n)
}

// value binds literal v for comparison with field f, converted to the
// field's storage format, and returns the placeholder. n is the node
// named if v does not fit the field.
func (t *translator) value(n ast.Node, f operand, v any) (string, error) {
	var (
		out any
		ok  bool
		key string
	)
	switch f.col.Kind {
	case KindText:
		out, ok = v.(string)
		key = "expr.want_text"
	case KindNumber:
		switch x := v.(type) {
		case int64, float64:
			out, ok = v, true
		case decimalLit:
			out, ok = x.bind(t.dialect)
		}
		key = "expr.want_number"
	case KindBool:
		out, ok = t.boolValue(v)
		key = "expr.want_bool"
	case KindDate:
		out, ok = t.dateValue(v)
		key = "expr.want_date"
	case KindTime:
		out, ok = t.timeValue(v)
		key = "expr.want_time"
	case KindRef:
		out, ok = refValue(v)
		key = "expr.want_ref"
	default: // arrays and JSON compare with nothing but nil; callers check
		key = "expr.operator"
	}
	if !ok {
		return "", t.fail(key, n, "field", f.name, "op", "==")
	}
	return t.bind(out), nil
}

// boolValue: SQLite stores booleans as 0/1 integers.
func (t *translator) boolValue(v any) (any, bool) {
	b, ok := v.(bool)
	if !ok {
		return nil, false
	}
	if t.dialect == Postgres {
		return b, true
	}
	if b {
		return int64(1), true
	}
	return int64(0), true
}

// dateValue accepts "2006-01-02", now() and today(). Timestamps are
// refused: truncating one to a date would silently change the comparison.
func (t *translator) dateValue(v any) (any, bool) {
	var d time.Time
	switch v := v.(type) {
	case string:
		p, err := time.Parse(storageDate, v)
		if err != nil {
			return nil, false
		}
		d = p
	case clockFn:
		d = midnight(t.now)
	default:
		return nil, false
	}
	if t.dialect == Postgres {
		return d, true // pgx encodes a DATE from the time's year, month and day
	}
	return d.Format(storageDate), true
}

// timeValue accepts an RFC 3339 timestamp, a date (its midnight UTC),
// now() and today() (midnight UTC).
func (t *translator) timeValue(v any) (any, bool) {
	var ts time.Time
	switch v := v.(type) {
	case string:
		if p, err := time.Parse(storageDate, v); err == nil {
			ts = p
		} else if p, err := time.Parse(time.RFC3339Nano, v); err == nil {
			ts = p
		} else {
			return nil, false
		}
	case clockFn:
		ts = t.now
		if v == fnToday {
			ts = midnight(t.now)
		}
	default:
		return nil, false
	}
	ts = ts.UTC()
	if t.dialect == Postgres {
		return ts, true
	}
	return ts.Format(storageTime), true
}

func midnight(ts time.Time) time.Time {
	y, m, d := ts.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// refValue accepts a uuid in any form uuid.Parse knows and binds its
// canonical form, which is how ids are stored; a malformed id is refused
// here rather than failing inside PostgreSQL's uuid cast.
func refValue(v any) (any, bool) {
	s, ok := v.(string)
	if !ok {
		return nil, false
	}
	id, err := uuid.Parse(s)
	if err != nil {
		return nil, false
	}
	return id.String(), true
}

// decimalLit is a number literal with more significant digits than a
// float64 holds (expr-lang parses it to float64). PostgreSQL gets the exact
// source text, so a NUMERIC column compares at full precision; SQLite, which
// stores such numbers as floats anyway, gets the float.
type decimalLit string

func (d decimalLit) bind(dialect Dialect) (any, bool) {
	if dialect == Postgres {
		return string(d), true
	}
	f, err := strconv.ParseFloat(string(d), 64)
	return f, err == nil
}

// source returns the source text of node n (locations count runes).
func (t *translator) source(n ast.Node) string {
	loc := n.Location()
	r := []rune(t.src)
	if loc.From < 0 || loc.To > len(r) || loc.From >= loc.To {
		return ""
	}
	return string(r[loc.From:loc.To])
}

// significant counts the significant digits of a decimal literal.
func significant(text string) int {
	if i := strings.IndexAny(text, "eE"); i >= 0 {
		text = text[:i]
	}
	text = strings.ReplaceAll(text, "_", "")
	if strings.Contains(text, ".") {
		text = strings.TrimRight(text, "0")
	}
	return len(strings.TrimLeft(strings.Replace(text, ".", "", 1), "0"))
}
