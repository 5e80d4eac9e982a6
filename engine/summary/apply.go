package summary

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/record"
	"github.com/tessera-app/tessera/engine/store"
)

// readyKey names a module's ready summaries in a transaction's memo.
type readyKey struct{ app, module string }

// contribution is what one record adds to a summary: its key values
// (owner first, then the def's keys) and, per summed field, whether it
// has a value and the value.
type contribution struct {
	key  []string
	has  []int64
	vals []*big.Rat
}

// Apply is the write path's hook (record.Aggregates): for every ready
// summary of the module, the record's old contribution leaves and its new
// one arrives, as one upsert per summary — on PostgreSQL all of them in
// one statement (data-modifying WITH clauses), so a write with summaries
// costs two round trips more than one without: the lookup and the upserts.
func (s *Service) Apply(ctx context.Context, tx *store.Tx, ev *record.Event) error {
	if s.Off {
		return nil
	}
	m := ev.Module
	// Once per transaction and module, not per record: Apply runs after the
	// record's own write, so a build of this module's summaries (which locks
	// its table, or holds SQLite's one writer) cannot become ready before the
	// transaction ends. An import writes thousands of records in one.
	defs, err := store.Memo(tx, readyKey{m.AppKey, m.Key}, func() ([]live, error) { return s.ready(ctx, tx, m) })
	if err != nil || len(defs) == 0 {
		return err
	}
	var old, next store.Record
	switch ev.Op {
	case record.OpCreate, record.OpRestore:
		next = ev.New
	case record.OpUpdate:
		old, next = ev.Old, ev.New
	case record.OpDelete:
		old = ev.Old
	default:
		return nil
	}
	var stmts []string
	var args []any
	for _, l := range defs {
		if !fits(l.def, m) {
			// The module changed under the summary and ModuleChanged has
			// not marked it yet: it is rebuilt, not kept.
			continue
		}
		var rows []delta
		var o, n *contribution
		if old != nil {
			o = contribute(l.def, m, old)
		}
		if next != nil {
			n = contribute(l.def, m, next)
		}
		switch {
		case o != nil && n != nil && slices.Equal(o.key, n.key):
			d := n.minus(o)
			if !d.zero() {
				rows = append(rows, d)
			}
		default:
			if o != nil {
				rows = append(rows, (&contribution{key: o.key, has: make([]int64, len(o.has)), vals: zeros(len(o.vals))}).minusRow(o))
			}
			if n != nil {
				rows = append(rows, n.row())
			}
		}
		if len(rows) == 0 {
			continue
		}
		// Rows in key order, so that two writers touching the same two keys
		// lock them in the same order.
		slices.SortFunc(rows, func(a, b delta) int { return slices.Compare(a.key, b.key) })
		q, qargs := upsertSQL(tx.D, l, m, rows)
		if tx.D.Name() != "postgres" { // SQLite: in-process calls, and no DML in WITH
			if _, err := tx.ExecContext(ctx, q, qargs...); err != nil {
				return fmt.Errorf("summary %s: %w", l.id, err)
			}
			continue
		}
		stmts = append(stmts, q)
		args = append(args, qargs...)
	}
	var q string
	switch len(stmts) {
	case 0:
		return nil
	case 1:
		q = stmts[0]
	default:
		parts := make([]string, len(stmts))
		for i, st := range stmts {
			parts[i] = fmt.Sprintf("u%d AS (%s)", i, st)
		}
		q = "WITH " + strings.Join(parts, ", ") + " SELECT 1"
	}
	if _, err := tx.ExecContext(ctx, store.Rebind(tx.D, q), args...); err != nil {
		return fmt.Errorf("summaries of %s: %w", m.Key, err)
	}
	return nil
}

// delta is one upserted row: key values, row count, per summed field the
// count of values and the sum.
type delta struct {
	key  []string
	n    int64
	has  []int64
	vals []*big.Rat
}

func (c *contribution) row() delta {
	return delta{key: c.key, n: 1, has: c.has, vals: c.vals}
}

// minus is c's row less o's (same key).
func (c *contribution) minus(o *contribution) delta {
	d := delta{key: c.key, has: make([]int64, len(c.has)), vals: make([]*big.Rat, len(c.vals))}
	for i := range c.has {
		d.has[i] = c.has[i] - o.has[i]
		d.vals[i] = new(big.Rat).Sub(c.vals[i], o.vals[i])
	}
	return d
}

// minusRow is the row taking o out (c is a zero contribution at o's key).
func (c *contribution) minusRow(o *contribution) delta {
	d := c.minus(o)
	d.n = -1
	return d
}

func (d delta) zero() bool {
	if d.n != 0 {
		return false
	}
	for i := range d.has {
		if d.has[i] != 0 || d.vals[i].Sign() != 0 {
			return false
		}
	}
	return true
}

func zeros(n int) []*big.Rat {
	out := make([]*big.Rat, n)
	for i := range out {
		out[i] = new(big.Rat)
	}
	return out
}

// contribute is rec's contribution to def.
func contribute(def Def, m *meta.Module, rec store.Record) *contribution {
	c := &contribution{key: make([]string, 0, 1+len(def.Keys))}
	c.key = append(c.key, idText(rec["owner"]))
	for _, k := range def.Keys {
		c.key = append(c.key, keyText(k, rec[k.Field]))
	}
	for _, f := range def.Sums {
		v := number(rec[f])
		if v == nil {
			c.has = append(c.has, 0)
			c.vals = append(c.vals, new(big.Rat))
			continue
		}
		c.has = append(c.has, 1)
		c.vals = append(c.vals, v)
	}
	return c
}

// keyText is a record value as a key column holds it (” for empty), the
// same text keySQL computes in the database.
func keyText(k Key, v any) string {
	if v == nil {
		return ""
	}
	switch k.Kind {
	case kindBool:
		b, ok := v.(bool)
		if !ok {
			return ""
		}
		return boolText(b)
	case kindDate:
		var day string
		switch x := v.(type) {
		case string:
			day = x
		case time.Time:
			day = x.Format(store.DateLayout)
		}
		if len(day) < 10 {
			return ""
		}
		day = day[:10]
		if k.Grain == grainMonth {
			day = day[:8] + "01"
		}
		return day
	case kindUser:
		return idText(v)
	}
	s, _ := v.(string)
	return s
}

// idText is a user id as text (” for none).
func idText(v any) string {
	switch x := v.(type) {
	case string:
		return strings.ToLower(x)
	case []byte:
		return strings.ToLower(string(x))
	case fmt.Stringer:
		return strings.ToLower(x.String())
	}
	return ""
}

// number is a stored number as an exact rational (nil for none).
func number(v any) *big.Rat {
	var s string
	switch x := v.(type) {
	case nil:
		return nil
	case int64:
		return new(big.Rat).SetInt64(x)
	case json.Number:
		s = x.String()
	case float64:
		s = strconv.FormatFloat(x, 'f', -1, 64)
	case string:
		s = x
	default:
		s = fmt.Sprint(x)
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil
	}
	return r
}

// sumArg is a sum as the value column takes it: PostgreSQL NUMERIC as exact
// decimal text, SQLite an integer in units of the field's last decimal
// (so that its sums are exact; SQLite has no decimal type).
func sumArg(d store.Dialect, r *big.Rat, scale int) any {
	if d.Name() == "postgres" {
		return r.FloatString(scale)
	}
	x := new(big.Rat).Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)))
	q := new(big.Int).Quo(x.Num(), x.Denom()) // the value has at most scale decimals
	return q.Int64()
}

// upsertSQL is the statement adding rows to l's table ("?" placeholders)
// and its args.
func upsertSQL(d store.Dialect, l live, m *meta.Module, rows []delta) (string, []any) {
	cols := columns(l.def)
	slot := 0
	if d.Name() == "postgres" {
		slot = rand.IntN(Slots)
	}
	var vals []string
	var args []any
	for _, r := range rows {
		marks := make([]string, 0, len(cols.all))
		add := func(v any) {
			args = append(args, v)
			marks = append(marks, "?")
		}
		add(slot)
		for _, k := range r.key {
			add(k)
		}
		add(r.n)
		for i, f := range l.def.Sums {
			add(r.has[i])
			add(sumArg(d, r.vals[i], scale(m.Field(f))))
		}
		vals = append(vals, "("+strings.Join(marks, ", ")+")")
	}
	t := store.Quote(l.table)
	var sets []string
	for _, c := range cols.values {
		sets = append(sets, c+" = "+t+"."+c+" + excluded."+c)
	}
	q := fmt.Sprintf(`INSERT INTO %s (%s) VALUES %s ON CONFLICT (%s) DO UPDATE SET %s`, t, strings.Join(cols.all, ", "),
		strings.Join(vals, ", "), strings.Join(cols.keys, ", "), strings.Join(sets, ", "))
	return q, args
}

// cols are a summary table's quoted columns: the key (slot, owner, keys),
// the values, and all of them in table order.
type cols struct {
	keys, values, all []string
}

func columns(d Def) cols {
	c := cols{keys: []string{`"slot"`, `"owner_id"`}}
	for _, k := range d.Keys {
		c.keys = append(c.keys, keyCol(k.Field))
	}
	c.values = []string{`"n"`}
	for _, f := range d.Sums {
		c.values = append(c.values, countCol(f), sumCol(f))
	}
	c.all = append(append([]string{}, c.keys...), c.values...)
	return c
}

func keyCol(field string) string   { return store.Quote("k_" + field) }
func countCol(field string) string { return store.Quote("c_" + field) }
func sumCol(field string) string   { return store.Quote("s_" + field) }
