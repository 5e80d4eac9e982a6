package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/expr"
	"github.com/tessera-app/tessera/engine/meta"
)

// List limits.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// ListQuery is a page request over one module.
type ListQuery struct {
	Filter string // expr-lang expression, translated to SQL
	Sort   string // "-amount,name"; default "-created_at"
	Limit  int
	Cursor string // opaque, from a previous Page.Next
	Total  bool
	// TotalCap, when set with Total, counts at most this many records: a
	// count that would pass it stops there (Page.TotalExact false; on
	// PostgreSQL Page.TotalEstimate is the planner's estimate), so a
	// total costs the same on a million rows as on ten thousand.
	TotalCap int
	// Where holds extra conditions from callers above the store (record
	// scopes), all of which must hold.
	Where []Cond
	// Hidden names fields the caller may not see: the filter and the sort
	// cannot use them (they are reported as unknown fields).
	Hidden map[string]bool
	// Lookups are the targets of the module's lookup fields as the caller
	// may read them (through.go): the filter may read their fields
	// (`account.region`) and a sort by a lookup field sorts by the target's
	// title. A lookup field not here reads nothing through it.
	Lookups map[string]Lookup
	// Consts are named values the filter may read (user.id, …).
	Consts expr.Consts
	// Fields, when set, are the only fields the caller wants back (the
	// API's fields=); engine/record checks them and trims each record.
	Fields []string
}

// Cond is a condition from above the store, one of: raw SQL with "?"
// placeholders and its Args; an expression (Expr, with named Consts such as
// user.id) translated against the module like a filter; or Any, which
// holds when any of its conditions does. The zero Cond is always true.
type Cond struct {
	SQL    string
	Args   []any
	Expr   string
	Consts expr.Consts
	Any    []Cond
}

// Never is a condition no record meets.
var Never = Cond{SQL: "1 = 0"}

// Page is one page of records.
type Page struct {
	Records []Record `json:"records"`
	Next    string   `json:"next_cursor,omitempty"`
	Total   *int64   `json:"total,omitempty"`
	// TotalExact says whether Total is the exact count (false: there are
	// more than Total, the cap); set whenever Total is.
	TotalExact *bool `json:"total_exact,omitempty"`
	// TotalEstimate is the planner's estimate of the count when it passed
	// the cap (PostgreSQL only).
	TotalEstimate *int64 `json:"total_estimate,omitempty"`
}

// sortKey is one ORDER BY term.
type sortKey struct {
	key, col string
	c        meta.Column
	desc     bool
	nullable bool
	// sql is the sorted expression with "?" placeholders for args: the
	// quoted column, or the looked-up title's subquery (through.go).
	sql  string
	args []any
}

// ListRecords returns a page of live records. Filtering, ordering and
// paging all happen in SQL; the cursor is keyset-based, so deep pages cost
// the same as the first.
func (s *Store) ListRecords(ctx context.Context, m *meta.Module, lq ListQuery) (*Page, error) {
	l, err := s.prepareList(ctx, m, lq)
	if err != nil {
		return nil, err
	}
	page := l.page
	rows, err := s.query(ctx, m, l.sql, l.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		rec, err := scanRecord(rows, m)
		if err != nil {
			return nil, err
		}
		page.Records = append(page.Records, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(page.Records) > l.limit {
		page.Records = page.Records[:l.limit]
		if page.Next, err = s.nextCursor(ctx, m, l, page.Records[l.limit-1]); err != nil {
			return nil, err
		}
	}
	return page, nil
}

// listPlan is a list query ready to run: its SQL and args (limit+1 rows,
// to tell whether there is a next page), the sort keys, and the page with
// its total already counted when asked.
type listPlan struct {
	sql   string
	args  []any
	keys  []sortKey
	limit int
	sort  string
	page  *Page
}

func (s *Store) prepareList(ctx context.Context, m *meta.Module, lq ListQuery) (*listPlan, error) {
	limit := lq.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	if limit > MaxLimit {
		return nil, errs.New(errs.Invalid, "store.bad_limit", "max", MaxLimit)
	}
	w := &whereBuilder{d: s.D, now: s.Now(), m: m}
	keys, err := w.parseSort(lq.Sort, lq.Hidden, lq.Lookups)
	if err != nil {
		return nil, err
	}
	w.add(`"deleted_at" IS NULL`)
	if err := w.conds(lq.Where); err != nil {
		return nil, err
	}
	if err := w.filter(lq.Filter, readable{lq.Hidden, lq.Lookups, lq.Consts}); err != nil {
		return nil, err
	}
	page := &Page{Records: []Record{}}
	if lq.Total {
		if err := s.count(ctx, page, m, w, lq.TotalCap); err != nil {
			return nil, err
		}
	}
	if lq.Cursor != "" {
		if err := w.after(keys, lq.Cursor, lq.Sort); err != nil {
			return nil, err
		}
	}
	order, orderArgs := orderBy(s.D, keys, len(w.args))
	q := fmt.Sprintf(`SELECT %s FROM %s WHERE %s ORDER BY %s LIMIT %d`,
		selectList(m), tableRef(m), w.sql(), order, limit+1)
	return &listPlan{sql: q, args: append(w.args, orderArgs...), keys: keys, limit: limit, sort: lq.Sort, page: page}, nil
}

// nextCursor is the cursor after last, the page's last record.
func (s *Store) nextCursor(ctx context.Context, m *meta.Module, l *listPlan, last Record) (string, error) {
	vals, err := s.sortValues(ctx, m, l.keys, last)
	if err != nil {
		return "", err
	}
	return encodeCursor(l.keys, vals, l.sort), nil
}

// whereBuilder appends conditions and their args together, so
// placeholders and arguments cannot drift apart.
type whereBuilder struct {
	d     Dialect
	m     *meta.Module
	parts []string
	args  []any
	// marks: leave every placeholder "?" whatever the dialect (for
	// fragments spliced into other statements, see through.go).
	marks bool
	// now is the store's clock when the statement is built: what now and
	// today mean in its filters (zero: the wall clock).
	now time.Time
}

// numbered reports whether placeholders are written as $n.
func (w *whereBuilder) numbered() bool { return w.d.Name() == "postgres" && !w.marks }

// add appends a condition written with "?" placeholders.
func (w *whereBuilder) add(cond string, args ...any) {
	if w.numbered() && len(args) > 0 {
		cond = renumber(cond, len(w.args))
	}
	w.parts = append(w.parts, cond)
	w.args = append(w.args, args...)
}

func (w *whereBuilder) sql() string { return "(" + strings.Join(w.parts, ") AND (") + ")" }

// conds appends conditions that must all hold.
func (w *whereBuilder) conds(cs []Cond) error {
	for _, c := range cs {
		sql, err := w.cond(c)
		if err != nil {
			return err
		}
		if sql != "" {
			w.parts = append(w.parts, sql)
		}
	}
	return nil
}

// cond renders one condition, binding its args in order; "" is true.
func (w *whereBuilder) cond(c Cond) (string, error) {
	switch {
	case c.Any != nil:
		var ors []string
		for _, sub := range c.Any {
			sql, err := w.cond(sub)
			if err != nil {
				return "", err
			}
			if sql == "" {
				return "", nil // one alternative is always true
			}
			ors = append(ors, "("+sql+")")
		}
		if len(ors) == 0 {
			return "1 = 0", nil
		}
		return strings.Join(ors, " OR "), nil
	case c.Expr != "":
		where, err := expr.FilterAt(c.Expr, Resolver(w.m), expr.Dialect(w.d.Name()), len(w.args), c.Consts, w.now)
		if err != nil {
			return "", err
		}
		w.args = append(w.args, where.Args...)
		if w.marks {
			return dollarsToMarks(where.SQL), nil
		}
		return where.SQL, nil
	case c.SQL != "":
		sql := c.SQL
		if w.numbered() {
			sql = renumber(sql, len(w.args))
		}
		w.args = append(w.args, c.Args...)
		return sql, nil
	}
	return "", nil
}

// renumber rewrites "?" placeholders as $n, $n+1, … after n bound args.
func renumber(cond string, n int) string {
	var b strings.Builder
	for i := 0; i < len(cond); i++ {
		if cond[i] == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteByte(cond[i])
	}
	return b.String()
}

// readable is what a caller's filter may read of a module: not the
// hidden fields; the lookups' targets as the caller may read them; the
// named constants.
type readable struct {
	hidden  map[string]bool
	lookups map[string]Lookup
	consts  expr.Consts
}

// filter translates an expr-lang filter and appends it.
func (w *whereBuilder) filter(src string, r readable) error {
	if strings.TrimSpace(src) == "" {
		return nil
	}
	all := Resolver(w.m)
	visible := func(name string) (expr.Column, bool) {
		if l, x, ok := strings.Cut(name, "."); ok && !r.hidden[l] {
			return w.through(l, x, r.lookups)
		}
		if r.hidden[name] {
			return expr.Column{}, false
		}
		return all(name)
	}
	where, err := expr.FilterAt(src, visible, expr.Dialect(w.d.Name()), len(w.args), r.consts, w.now)
	if err != nil {
		return err
	}
	if where.SQL != "" {
		w.parts = append(w.parts, where.SQL)
		w.args = append(w.args, where.Args...)
	}
	return nil
}

// Resolver maps filter identifiers to a module's columns: its fields and
// the system keys.
func Resolver(m *meta.Module) expr.Resolver {
	return func(name string) (expr.Column, bool) {
		for _, s := range systemSelect {
			if s.key == name && name != "deleted_at" {
				return expr.Column{SQL: Quote(s.col), Kind: exprKind(s.c)}, true
			}
		}
		f := m.Field(name)
		if f == nil {
			return expr.Column{}, false
		}
		k := exprKind(f.Column())
		if k == expr.KindArray && f.Type.Name() != "multiselect" {
			k = expr.KindJSON // plain JSON: only nil checks translate
		}
		col := expr.Column{SQL: Quote(f.Key), Kind: k}
		if h, ok := f.Type.(meta.Hierarchy); ok {
			col.Subtree = func(v string) ([]string, bool) { return h.Subtree(f, v) }
		}
		return col, true
	}
}

func exprKind(c meta.Column) expr.Kind {
	switch c.Kind {
	case meta.ColInteger, meta.ColFloat, meta.ColDecimal:
		return expr.KindNumber
	case meta.ColBool:
		return expr.KindBool
	case meta.ColDate:
		return expr.KindDate
	case meta.ColTime:
		return expr.KindTime
	case meta.ColRef:
		return expr.KindRef
	case meta.ColJSON:
		return expr.KindArray
	}
	return expr.KindText
}

// parseSort reads "-amount,name" into ORDER BY terms, always ending with
// id so that the order is total and the keyset cursor exact. A lookup
// field with a target in lookups sorts by the target's title.
func (w *whereBuilder) parseSort(spec string, hidden map[string]bool, lookups map[string]Lookup) ([]sortKey, error) {
	m := w.m
	if strings.TrimSpace(spec) == "" {
		spec = "-created_at"
	}
	var keys []sortKey
	seen := map[string]bool{}
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		desc := strings.HasPrefix(part, "-")
		name := strings.TrimPrefix(strings.TrimPrefix(part, "-"), "+")
		k, ok := sortColumn(m, name)
		if !ok || hidden[name] || seen[name] || len(keys) >= 5 {
			return nil, errs.New(errs.Invalid, "store.bad_sort", "name", name)
		}
		seen[name] = true
		k.desc = desc
		k.sql = Quote(k.col)
		if lk, ok := lookups[name]; ok && lk.Title != "" {
			if err := w.titleSort(&k, lk); err != nil {
				return nil, err
			}
		}
		keys = append(keys, k)
	}
	if !seen["id"] {
		last := keys[len(keys)-1].desc
		keys = append(keys, sortKey{key: "id", col: "id", c: colID, desc: last, sql: Quote("id")})
	}
	return keys, nil
}

func sortColumn(m *meta.Module, name string) (sortKey, bool) {
	for _, s := range systemSelect {
		if s.key == name && name != "deleted_at" {
			nullable := name == "created_by" || name == "updated_by" || name == "owner"
			return sortKey{key: s.key, col: s.col, c: s.c, nullable: nullable}, true
		}
	}
	f := m.Field(name)
	if f == nil || f.Column().Kind == meta.ColJSON {
		return sortKey{}, false
	}
	return sortKey{key: f.Key, col: f.Key, c: f.Column(), nullable: true}, true
}

// orderBy renders the terms, their placeholders numbered after n bound
// args, and returns their args. NULL sorts as the largest value on both
// dialects (PostgreSQL's default), so results and cursors agree.
func orderBy(d Dialect, keys []sortKey, n int) (string, []any) {
	parts := make([]string, len(keys))
	var args []any
	for i, k := range keys {
		p := k.sql
		if len(k.args) > 0 && d.Name() == "postgres" {
			p = renumber(p, n+len(args))
		}
		args = append(args, k.args...)
		if k.desc {
			p += " DESC"
		}
		if k.nullable && d.Name() == "sqlite" {
			if k.desc {
				p += " NULLS FIRST"
			} else {
				p += " NULLS LAST"
			}
		}
		parts[i] = p
	}
	return strings.Join(parts, ", "), args
}

type cursor struct {
	Sort   string `json:"s"`
	Values []any  `json:"v"`
}

func encodeCursor(keys []sortKey, last Record, sort string) string {
	c := cursor{Sort: sort}
	for _, k := range keys {
		c.Values = append(c.Values, last[k.key])
	}
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// after adds the keyset condition "strictly after the cursor row":
// OR over i of (k0 = v0 AND … AND k(i-1) = v(i-1) AND ki after vi).
func (w *whereBuilder) after(keys []sortKey, token, sort string) error {
	bad := errs.New(errs.Invalid, "store.bad_cursor")
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) > 8192 {
		return bad
	}
	var c cursor
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	if dec.Decode(&c) != nil || c.Sort != sort || len(c.Values) != len(keys) {
		return bad
	}
	args := make([]any, len(keys))
	for i, k := range keys {
		if c.Values[i] == nil {
			continue
		}
		if args[i], err = Encode(w.d, k.c, c.Values[i]); err != nil {
			return bad
		}
	}
	if cond, a, ok := rowAfter(keys, args); ok {
		w.add(cond, a...)
		return nil
	}
	var ors []string
	var orArgs []any
	for i, k := range keys {
		var ands []string
		var andArgs []any
		for j := 0; j < i; j++ {
			cond, a := equalTo(keys[j], args[j])
			ands = append(ands, cond)
			andArgs = append(andArgs, a...)
		}
		cond, a, possible := afterValue(k, args[i])
		if !possible {
			continue
		}
		ands = append(ands, cond)
		andArgs = append(andArgs, a...)
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
		orArgs = append(orArgs, andArgs...)
	}
	if len(ors) == 0 {
		w.add("1 = 0")
		return nil
	}
	// Every row after the cursor has k0 at or past v0: said on its own,
	// the planner can start an index range scan there instead of reading
	// the index from its start and testing the OR on each row (which made
	// deep pages slower the deeper they were).
	// (NULL sorts last: after a value, descending, none come; ascending,
	// all of them do.)
	if k := keys[0]; args[0] != nil && len(k.args) == 0 {
		switch {
		case k.desc:
			w.add(k.sql+" <= ?", args[0])
		case k.nullable:
			w.add("("+k.sql+" >= ? OR "+k.sql+" IS NULL)", args[0])
		default:
			w.add(k.sql+" >= ?", args[0])
		}
	}
	w.add(strings.Join(ors, " OR "), orArgs...)
	return nil
}

// rowAfter is the keyset condition as one row-value comparison,
// (k0, k1, …) > (v0, v1, …), which both dialects answer with a range scan
// of a matching index. It applies when every key sorts the same way, no
// cursor value is NULL and no key is computed (a lookup's title), and —
// ascending — no key can be NULL: NULL sorts last, so ascending the rows
// with a NULL key come after the cursor, but a row comparison with a NULL
// is unknown. Descending they come before it, which the unknown also
// says: a row whose first differing key is NULL is left out.
func rowAfter(keys []sortKey, args []any) (string, []any, bool) {
	cols := make([]string, len(keys))
	for i, k := range keys {
		if args[i] == nil || len(k.args) > 0 || k.desc != keys[0].desc || (k.nullable && !k.desc) {
			return "", nil, false
		}
		cols[i] = k.sql
	}
	op := " > "
	if keys[0].desc {
		op = " < "
	}
	marks := "?" + strings.Repeat(", ?", len(keys)-1)
	return "(" + strings.Join(cols, ", ") + ")" + op + "(" + marks + ")", args, true
}

func equalTo(k sortKey, v any) (string, []any) {
	if v == nil {
		return k.sql + " IS NULL", k.args
	}
	return k.sql + " = ?", append(slices.Clone(k.args), v)
}

// afterValue is "k comes after v" in the key's direction, NULL being the
// largest value. possible is false when nothing can come after.
func afterValue(k sortKey, v any) (cond string, args []any, possible bool) {
	col := k.sql // its own args go with each use of it, in order
	own := func(more ...any) []any { return append(slices.Clone(k.args), more...) }
	switch {
	case !k.desc && v == nil:
		return "", nil, false
	case !k.desc:
		if k.nullable {
			return "(" + col + " > ? OR " + col + " IS NULL)", append(own(v), k.args...), true
		}
		return col + " > ?", own(v), true
	case v == nil:
		return col + " IS NOT NULL", own(), true
	default:
		return col + " < ?", own(v), true
	}
}

// count sets page.Total: exact, or at most limit when limit > 0 (the
// subquery stops reading at limit+1 rows, whatever the table's size).
func (s *Store) count(ctx context.Context, page *Page, m *meta.Module, w *whereBuilder, limit int) error {
	var n int64
	q := fmt.Sprintf(`SELECT count(*) FROM %s WHERE %s`, tableRef(m), w.sql())
	if limit > 0 {
		q = fmt.Sprintf(`SELECT count(*) FROM (SELECT 1 FROM %s WHERE %s LIMIT %d) capped`, tableRef(m), w.sql(), limit+1)
	}
	if err := s.readRow(ctx, q, w.args, &n); err != nil {
		return err
	}
	exact := limit <= 0 || n <= int64(limit)
	if !exact {
		n = int64(limit)
		if est, ok := s.estimate(ctx, m, w); ok && est > n {
			page.TotalEstimate = &est
		}
	}
	page.Total, page.TotalExact = &n, &exact
	return nil
}

// estimate is PostgreSQL's planner estimate of the rows matching w (from
// the statistics ANALYZE keeps); SQLite has none to give.
func (s *Store) estimate(ctx context.Context, m *meta.Module, w *whereBuilder) (int64, bool) {
	if s.D.Name() != "postgres" {
		return 0, false
	}
	var plan string
	q := fmt.Sprintf(`EXPLAIN (FORMAT JSON) SELECT 1 FROM %s WHERE %s`, tableRef(m), w.sql())
	if err := s.readRow(ctx, q, w.args, &plan); err != nil {
		return 0, false
	}
	var out []struct {
		Plan struct {
			Rows float64 `json:"Plan Rows"`
		} `json:"Plan"`
	}
	if err := json.Unmarshal([]byte(plan), &out); err != nil || len(out) == 0 {
		return 0, false
	}
	return int64(out[0].Plan.Rows), true
}
