package summary

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/parser"

	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
)

// Key kinds: what a summary can be keyed by. Only stored fields whose
// value changes through the write path qualify — never formulas or
// rollups, which are updated behind it (derived updates, recomputes).
//
// Date grains: a date key is kept by day, or by month when every query it
// serves buckets by month or coarser and its ranges start on the first.
//
// ownerKey is the name queries give the owner (a system key); summaries
// are always keyed by it, in their owner_id column.
const (
	kindText, kindUser, kindBool, kindDate = "select", "user", "boolean", "date"
	grainDay, grainMonth                   = "day", "month"
	ownerKey                               = "owner"
)

// Key is one key column of a summary.
type Key struct {
	Field string `json:"field"`
	Kind  string `json:"kind"`
	Grain string `json:"grain,omitempty"`
}

// Def is a summary's shape: its keys (besides the owner), sorted by
// field, and the fields it counts and sums, sorted. Every summary counts
// rows.
type Def struct {
	Keys []Key    `json:"keys"`
	Sums []string `json:"sums,omitempty"`
}

func (d Def) key(field string) (Key, bool) {
	i := slices.IndexFunc(d.Keys, func(k Key) bool { return k.Field == field })
	if i < 0 {
		return Key{}, false
	}
	return d.Keys[i], true
}

// keyKind is the kind of key field f can be, if any.
func keyKind(f *meta.Field) (string, bool) {
	if f == nil {
		return "", false
	}
	switch n := f.Type.Name(); n {
	case "select", "user", "boolean", "date":
		if n == "select" {
			return kindText, true
		}
		return n, true
	}
	return "", false
}

// summable reports whether f can be summed exactly: integers and decimals
// (not floating-point numbers, whose sums depend on the order of addition,
// so a summary could never equal the GROUP BY).
func summable(f *meta.Field) bool {
	if f == nil {
		return false
	}
	switch f.Type.Name() {
	case "integer", "decimal", "currency", "percent":
		return true
	}
	return false
}

// scale is the number of decimals of a summable field.
func scale(f *meta.Field) int {
	c := f.Column()
	if c.Kind == meta.ColDecimal {
		return c.Scale
	}
	return 0
}

// cond is one condition a summary answers: the key (or the owner) is one
// of values, as stored in key columns.
type cond struct {
	field  string
	values []string
}

// need is what a query asks of a summary: its key fields with the finest
// grain each needs, the fields it sums, and its conditions.
type need struct {
	keys  map[string]Key
	sums  []string
	where []cond
	// measures' conditions, by measure index (nil: every row)
	measureWhere map[int][]cond
}

func (n *need) addKey(k Key) {
	if old, ok := n.keys[k.Field]; ok && (old.Grain == grainDay || k.Grain == "") {
		return
	}
	n.keys[k.Field] = k
}

// def is the smallest summary that serves n.
func (n *need) def() Def {
	var d Def
	for _, k := range n.keys {
		d.Keys = append(d.Keys, k)
	}
	slices.SortFunc(d.Keys, func(a, b Key) int { return strings.Compare(a.Field, b.Field) })
	d.Sums = slices.Clone(n.sums)
	slices.Sort(d.Sums)
	d.Sums = slices.Compact(d.Sums)
	return d
}

// serves reports whether summary d can answer n.
func (d Def) serves(n *need) bool {
	for f, k := range n.keys {
		have, ok := d.key(f)
		if !ok || have.Kind != k.Kind || (k.Grain == grainDay && have.Grain != grainDay) {
			return false
		}
	}
	for _, f := range n.sums {
		if !slices.Contains(d.Sums, f) {
			return false
		}
	}
	return true
}

// shape reads q as a summary need; false when summaries cannot answer it
// (another measure, dimension or filter, a condition on the caller's own
// SQL, a hidden field): the GROUP BY runs then.
func shape(m *meta.Module, q store.AggQuery, postgres bool) (*need, bool) {
	if len(q.Where) > 0 {
		return nil, false
	}
	n := &need{keys: map[string]Key{}, measureWhere: map[int][]cond{}}
	visible := func(name string) bool { return !q.Hidden[name] }
	for _, d := range q.Dims {
		if !visible(d.Field) {
			return nil, false
		}
		if d.Field == ownerKey {
			if d.Bucket != "" {
				return nil, false
			}
			continue
		}
		kind, ok := keyKind(m.Field(d.Field))
		if !ok {
			return nil, false
		}
		k := Key{Field: d.Field, Kind: kind}
		switch {
		case kind == kindDate && (d.Bucket == "month" || d.Bucket == "quarter" || d.Bucket == "year"):
			k.Grain = grainMonth
		case kind == kindDate && (d.Bucket == "" || d.Bucket == "day" || d.Bucket == "week"):
			k.Grain = grainDay
		case d.Bucket != "":
			return nil, false
		}
		n.addKey(k)
	}
	for i, ms := range q.Measures {
		switch {
		case ms.Op == "count" && ms.Field == "":
		case ms.Op == "count" || ms.Op == "sum" || ms.Op == "avg":
			if !visible(ms.Field) || !summable(m.Field(ms.Field)) {
				return nil, false
			}
			n.sums = append(n.sums, ms.Field)
		default:
			return nil, false
		}
		if ms.Filter != "" {
			cs, ok := conds(m, ms.Filter, visible, postgres)
			if !ok {
				return nil, false
			}
			n.measureWhere[i] = cs
			for _, c := range cs {
				n.keyFor(m, c.field)
			}
		}
	}
	cs, ok := conds(m, q.Filter, visible, postgres)
	if !ok {
		return nil, false
	}
	n.where = cs
	for _, c := range cs {
		n.keyFor(m, c.field)
	}
	if r := q.Range; r != nil {
		kind, ok := keyKind(m.Field(r.Field))
		if !ok || kind != kindDate || !visible(r.Field) {
			return nil, false
		}
		k := Key{Field: r.Field, Kind: kindDate, Grain: grainMonth}
		loc := q.Zone
		if loc == nil {
			loc = time.UTC
		}
		for _, t := range []time.Time{r.From, r.To} {
			if !t.IsZero() && t.In(loc).Day() != 1 {
				k.Grain = grainDay
			}
		}
		n.addKey(k)
	}
	return n, true
}

// keyFor adds the key a condition on field needs (the owner needs none).
func (n *need) keyFor(m *meta.Module, field string) {
	if field == ownerKey {
		return
	}
	kind, _ := keyKind(m.Field(field))
	n.addKey(Key{Field: field, Kind: kind})
}

// uuidText is a UUID as PostgreSQL prints it.
var uuidText = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// conds reads a filter made only of conditions summaries answer — ANDs of
// `field == value`, `field in [values]` and bare boolean fields, on select,
// user and boolean fields and the owner — as conditions on key values.
// Anything else is false. The values mean what they mean to the filter
// translator (engine/expr): equality with a stored value, which an empty
// field never has.
func conds(m *meta.Module, src string, visible func(string) bool, postgres bool) ([]cond, bool) {
	if strings.TrimSpace(src) == "" {
		return nil, true
	}
	if len(src) > 4096 {
		return nil, false
	}
	tree, err := parser.Parse(src)
	if err != nil {
		return nil, false
	}
	var out []cond
	var walk func(n ast.Node) bool
	field := func(n ast.Node) (string, string, bool) {
		id, ok := n.(*ast.IdentifierNode)
		if !ok || !visible(id.Value) {
			return "", "", false
		}
		if id.Value == ownerKey {
			return ownerKey, kindUser, true
		}
		kind, ok := keyKind(m.Field(id.Value))
		if !ok || kind == kindDate {
			return "", "", false
		}
		return id.Value, kind, true
	}
	value := func(kind string, n ast.Node) (string, bool) {
		switch x := n.(type) {
		case *ast.StringNode:
			v := x.Value
			if kind == kindUser && postgres {
				// PostgreSQL compares UUIDs, whatever the case of the
				// text; one that is not a UUID is the GROUP BY's error.
				v = strings.ToLower(v)
				if !uuidText.MatchString(v) {
					return "", false
				}
			}
			return v, v != "" && (kind == kindText || kind == kindUser)
		case *ast.BoolNode:
			if kind != kindBool {
				return "", false
			}
			return boolText(x.Value), true
		}
		return "", false
	}
	walk = func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.BinaryNode:
			switch x.Operator {
			case "&&", "and":
				return walk(x.Left) && walk(x.Right)
			case "==":
				f, kind, ok := field(x.Left)
				if !ok {
					return false
				}
				v, ok := value(kind, x.Right)
				if !ok {
					return false
				}
				out = append(out, cond{field: f, values: []string{v}})
				return true
			case "in":
				f, kind, ok := field(x.Left)
				arr, isArr := x.Right.(*ast.ArrayNode)
				if !ok || !isArr || len(arr.Nodes) == 0 || len(arr.Nodes) > 1000 {
					return false
				}
				c := cond{field: f}
				for _, e := range arr.Nodes {
					v, ok := value(kind, e)
					if !ok {
						return false
					}
					c.values = append(c.values, v)
				}
				out = append(out, c)
				return true
			}
		case *ast.IdentifierNode:
			f, kind, ok := field(x)
			if !ok || kind != kindBool {
				return false
			}
			out = append(out, cond{field: f, values: []string{boolText(true)}})
			return true
		}
		return false
	}
	if !walk(tree.Node) {
		return nil, false
	}
	return out, true
}

func boolText(b bool) string {
	if b {
		return "t"
	}
	return "f"
}
