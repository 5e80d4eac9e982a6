package store

import (
	"context"
	"fmt"
	"maps"
	"regexp"

	"github.com/tessera-app/tessera/engine/expr"
	"github.com/tessera-app/tessera/engine/meta"
)

// Lookup is the target of a lookup field as one caller may read it, for
// filters through the lookup (`account.region == "east"`) and sorts by it.
// The engine above the store fills it from the caller's rights; a caller
// who may not read the target gets no Lookup, so nothing reads through it.
type Lookup struct {
	Module *meta.Module
	// Where are the caller's read scopes on the target: a record pointing
	// to a target out of scope reads as pointing to nothing.
	Where []Cond
	// Hidden are the target's fields hidden from the caller: unknown
	// fields through the lookup.
	Hidden map[string]bool
	// Title is the key of the target's title field, "" when it has none or
	// it is hidden: a sort by the lookup then sorts by the id.
	Title string
}

// lookupAlias names the target table inside the subqueries of lookups.
// Each condition on a looked-up field has its own subquery, so one alias
// serves all; a table under an alias is not visible by its name there, so
// the outer table (even the same one, for a lookup to its own module) is
// reached by name.
const lookupAlias = `"lk"`

// join renders the subquery that reaches lookup field l's target, with
// "?" placeholders: FROM the target, WHERE it is the record l points to,
// live and within the caller's scope.
func (w *whereBuilder) join(l string, lk Lookup) (from, where string, args []any, err error) {
	sub := &whereBuilder{d: w.d, now: w.now, m: lk.Module, marks: true}
	sub.add(lookupAlias + `."id" = ` + Quote(w.m.Table) + "." + Quote(l))
	sub.add(lookupAlias + `."deleted_at" IS NULL`)
	if err := sub.conds(lk.Where); err != nil {
		return "", "", nil, err
	}
	return tableRef(lk.Module) + " AS " + lookupAlias, sub.sql(), sub.args, nil
}

// through resolves "l.x" in a filter: field (or system key) x of the
// record lookup field l points to, when the caller may read it.
func (w *whereBuilder) through(l, x string, lookups map[string]Lookup) (expr.Column, bool) {
	lk, ok := lookups[l]
	if !ok || lk.Hidden[x] || w.m.Field(l) == nil {
		return expr.Column{}, false
	}
	col, ok := Resolver(lk.Module)(x)
	if !ok {
		return expr.Column{}, false
	}
	col.SQL = lookupAlias + "." + col.SQL
	col.Through = func(argStart int) (string, string, []any, error) {
		from, where, args, err := w.join(l, lk)
		if err == nil && w.numbered() {
			where = renumber(where, argStart)
		}
		return from, where, args, err
	}
	return col, true
}

// titleSort makes sort key k (lookup field k.key) sort by the title of the
// record it points to: a scalar subquery, NULL when it points to nothing
// the caller may read, which sorts last like any empty value.
func (w *whereBuilder) titleSort(k *sortKey, lk Lookup) error {
	from, where, args, err := w.join(k.key, lk)
	if err != nil {
		return err
	}
	k.sql = fmt.Sprintf("(SELECT %s.%s FROM %s WHERE %s)", lookupAlias, Quote(lk.Title), from, where)
	k.args = args
	k.c = lk.Module.Field(lk.Title).Column()
	return nil
}

// sortValues returns the values the sort keys had for rec, for its cursor:
// a title sort's value is read with its own subquery.
func (s *Store) sortValues(ctx context.Context, m *meta.Module, keys []sortKey, rec Record) (Record, error) {
	out, copied := rec, false
	for _, k := range keys {
		if len(k.args) == 0 && k.sql == Quote(k.col) {
			continue
		}
		if !copied {
			out, copied = maps.Clone(rec), true
		}
		var v any
		q := fmt.Sprintf(`SELECT %s FROM %s WHERE "id" = ?`, k.sql, tableRef(m))
		if err := s.rd(ctx).QueryRowContext(ctx, Rebind(s.D, q), append(k.args, rec["id"])...).Scan(&v); err != nil {
			return nil, err
		}
		out[k.key] = Decode(k.c, v)
	}
	return out, nil
}

var dollar = regexp.MustCompile(`\$[0-9]+`)

// dollarsToMarks turns a translated filter's $n placeholders back into
// "?" (in order: the translator numbers them as it binds). Filters bind
// every value, so no "$" occurs in their SQL otherwise.
func dollarsToMarks(sql string) string { return dollar.ReplaceAllString(sql, "?") }
