package expr

// The expression language at run time: the one language of rule
// conditions, computed values and designer previews (filters, in
// filter.go, are the same syntax translated to SQL instead).
//
// An expression sees the record's fields by key, typed by field type:
//
//	text, textarea, email, phone, url,      → text (string)
//	select, autonumber, lookup, user
//	number, integer, decimal, currency,     → number (float64)
//	percent
//	boolean                                 → boolean; empty reads as false
//	date                                    → time at 00:00 UTC
//	datetime                                → time (UTC)
//	multiselect                             → list of text; empty reads as []
//	json                                    → the JSON value (numbers float64)
//
// and the system keys id, version, created_at, updated_at, created_by,
// updated_by and owner. A missing or null value is nil, except as noted.
// old.<field> is the value before the change (nil on create; bare old is
// nil on create, so `old == nil` tells a create); user.id,
// user.departments and user.roles describe who acts; now is the clock
// and today its date (at 00:00 UTC); now() and today() work too. A field
// named now, today or old wins as a bare name; now(), today(), old.<field>
// and user.<…> always mean the variables.
//
// Empty values: an ordering comparison (< > <= >=) with nil is false, as
// in filters, and its negation true; arithmetic with nil gives nil; text +
// nil treats nil as ""; functions given nil return nil. == and != compare
// nil like any value.
//
// changed("field") is true when the field's value differs between Old and
// Record (both normalized to the field's kind); on create (Old nil) it is
// true for the fields that are set (not null, "" or an empty list; false
// is set).
//
// Functions: see funcs.go (dates: addDays, addHours, addMinutes,
// addMonths, addYears, daysBetween, hoursBetween, businessDaysBetween,
// addBusinessHours, businessHoursBetween, startOfMonth,
// endOfMonth, startOfDay, year, month, day, hour, minute, weekday, date,
// datetime, format; text: upper, lower, trim, len, concat, left, right,
// replace, split, join, string, and the operators contains, startsWith,
// endsWith, matches; numbers: round, floor, ceil, abs, mod (and %), min,
// max, sum, mean, median, int, float; values: coalesce, isBlank, changed;
// lists: all, any, none, one, filter, map, find…, count, first, last,
// take, reverse, sort, keys, values). Weekdays are ISO (Monday 1 … Sunday
// 7); daysBetween counts calendar days between UTC dates, hoursBetween
// the hours between two instants (two decimals);
// businessDaysBetween(a, b) counts the working days of Vars.Calendar (else
// Monday–Friday) from a (included) to b (excluded); addBusinessHours(t, h)
// and businessHoursBetween(a, b) count the calendar's working hours (a
// Vars.Calendar that is also a WorkingHours; else all of Monday–Friday,
// UTC); addMonths keeps the day or uses the month's last day.
//
// Limits and evaluation: see limits.go.

import (
	"container/list"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/meta"
)

// Vars are the values an expression sees.
type Vars struct {
	Record map[string]any // field key -> value (JSON form as stored/validated); system keys id, owner, created_at... too
	Old    map[string]any // values before the change (nil on create)
	User   UserVars       // id, departments ([]string), roles ([]string)
	Now    time.Time      // the clock (tests control it); today = Now's date in UTC; zero: time.Now()
	// Calendar counts working days for businessDaysBetween (the default
	// business calendar, engine/calendar); nil counts Monday to Friday.
	Calendar Workdays
}

// Workdays is a business calendar as expressions see it: the number of
// working days from a's date (included) to b's date (excluded), negative
// when b is before a. Dates are UTC midnights, read as calendar dates.
type Workdays interface {
	WorkdaysBetween(a, b time.Time) int
}

// WorkingHours is a business calendar's working time, which a Workdays
// may also offer (engine/calendar's service does) for addBusinessHours
// and businessHoursBetween: the instant hours of working time after t,
// and the working time from one instant to another (negative when to is
// before from).
type WorkingHours interface {
	AddWorkingHours(t time.Time, hours float64) time.Time
	WorkingDuration(from, to time.Time) time.Duration
}

// UserVars describe the acting user.
type UserVars struct {
	ID          string   `json:"id"`
	Departments []string `json:"departments"`
	Roles       []string `json:"roles"`
}

// Program is a compiled expression for one module version. It is
// immutable and safe for concurrent use.
type Program struct {
	src   string
	want  string
	kind  string // static result kind, see CheckResult.Type
	prog  *vm.Program
	slots []slot
	state bool // the program calls functions that need the evaluation state
	base  int  // VM variable of the first slot
	nvars int  // VM variables: let variables, slots, the state
	kinds map[string]vkind
	reads []string
	pool  sync.Pool // *runner
}

// Reads lists, sorted, what the expression reads of the record: field and
// system keys (old.<field> and changed("field") read the field), dotted
// lookup reads ("account.region"), and "*" when it reads the whole old
// record (bare old).
func (p *Program) Reads() []string { return p.reads }

// Source is the expression's text.
func (p *Program) Source() string { return p.src }

// Kind is the static result kind (see CheckResult.Type).
func (p *Program) Kind() string { return p.kind }

// Compile checks and compiles src against module m (nil m: no record
// fields). want is the required result kind: "" (any), "bool", "number",
// "string", "date", "datetime". Programs are cached by (m.ID, m.Version,
// src, want), so a module change compiles anew; modules without an ID
// are not cached. A failure is an *errs.Error (Invalid) naming the first
// problem and its position, wrapping a *CompileError with all of them.
func Compile(src string, m *meta.Module, want string) (*Program, error) {
	return CompileLookups(src, m, want, nil)
}

// Lookups lets an expression read a field of the record a lookup field
// points to, one step away: `account.region`, `account.owner`. Formulas
// use it; the write path puts those values into Vars.Record under the
// same dotted name ("account.region"). It returns the module a lookup
// field's target key names, or nil when that module is not at hand (a
// schema being parsed on its own): such a read is then typed any, and is
// checked against the real module when the schema is saved. A nil
// Lookups reads no lookup: `account.region` is then an error, as member
// access on a text value.
type Lookups func(module string) *meta.Module

// Unknown is the Lookups of a module parsed without its app: every lookup
// read is typed any.
func Unknown(string) *meta.Module { return nil }

// CompileLookups is Compile with reads through lookup fields (see
// Lookups). The compile cache tells programs apart by the versions of the
// target modules, so a change of a target compiles anew.
func CompileLookups(src string, m *meta.Module, want string, lk Lookups) (*Program, error) {
	if !wants[want] {
		return nil, fmt.Errorf("expr: unknown result kind %q", want) // a programming error
	}
	k := cacheKey{src: src, want: want, lookups: lookupSig(m, lk)}
	if m != nil {
		k.id, k.version = m.ID, m.Version
	}
	cacheable := m == nil || m.ID != ""
	if cacheable {
		if e, ok := cache.get(k); ok {
			return e.p, e.err
		}
	}
	p, probs := build(src, m, want, lk)
	var err error
	if p == nil {
		err = compileError(probs)
	}
	if cacheable {
		e := cache.put(k, cacheEntry{p: p, err: err})
		return e.p, e.err
	}
	return p, err
}

func compileError(probs []problem) error {
	ce := &CompileError{}
	for _, pr := range probs {
		ce.Problems = append(ce.Problems, pr.render("en"))
	}
	e := &errs.Error{Code: errs.Invalid, Msg: probs[0].msgAt()}
	if len(probs) > 1 {
		e.Err = ce // its Error() lists the problems after the first
	}
	return e
}

// ---- the compile cache: a bounded LRU ----

type cacheKey struct {
	id      string
	version int
	src     string
	want    string
	lookups string // lookupSig
}

// lookupSig names the lookup targets lk gives m's lookup fields, with
// their versions: "" without lookups, "account=<id>@3;…", "account=?" for
// an unknown target.
func lookupSig(m *meta.Module, lk Lookups) string {
	if lk == nil || m == nil {
		return ""
	}
	var b strings.Builder
	b.WriteByte('+')
	for _, f := range m.Fields {
		if f.Type == nil || f.Type.Name() != "lookup" {
			continue
		}
		b.WriteString(f.Key)
		if t := lk(f.Module); t != nil {
			fmt.Fprintf(&b, "=%s@%d;", t.ID, t.Version)
		} else {
			b.WriteString("=?;")
		}
	}
	return b.String()
}

// Reads lists what an expression over m reads (see Program.Reads), with
// lookup targets unknown: enough to decide who may see what it computes.
func Reads(src string, m *meta.Module) ([]string, error) {
	p, err := CompileLookups(src, m, "", Unknown)
	if err != nil {
		return nil, err
	}
	return p.reads, nil
}

type cacheEntry struct {
	p   *Program
	err error
}

type lru struct {
	mu    sync.Mutex
	max   int
	order *list.List // front: most recently used; values *lruItem
	items map[cacheKey]*list.Element
}

type lruItem struct {
	key cacheKey
	val cacheEntry
}

var cache = &lru{max: CacheSize, order: list.New(), items: map[cacheKey]*list.Element{}}

func (c *lru) get(k cacheKey) (cacheEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[k]
	if !ok {
		return cacheEntry{}, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*lruItem).val, true
}

// put stores v under k and returns what k holds: when another goroutine
// compiled the same program meanwhile, the first one stays, so that
// every caller gets the same *Program.
func (c *lru) put(k cacheKey, v cacheEntry) cacheEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[k]; ok {
		c.order.MoveToFront(el)
		return el.Value.(*lruItem).val
	}
	c.items[k] = c.order.PushFront(&lruItem{key: k, val: v})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*lruItem).key)
	}
	return v
}

func (c *lru) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// ---- evaluation ----

// Eval evaluates on the bounded worker pool, within EvalTimeout and ctx.
// The result is in JSON form: json.Number for numbers, "2006-01-02" for
// dates, RFC 3339 for date-times, lists and objects of those. Failures are
// *errs.Error (Invalid): the expression's fault (a limit, a type mismatch
// only visible at run time, a bad argument) or a timeout; a cancelled ctx
// returns ctx.Err().
func (p *Program) Eval(ctx context.Context, v Vars) (any, error) {
	out, err := p.submit(ctx, v)
	if err != nil {
		return nil, err
	}
	return p.result(out)
}

// Bool evaluates a condition: nil is false; a non-boolean result is an
// error.
func (p *Program) Bool(ctx context.Context, v Vars) (bool, error) {
	out, err := p.submit(ctx, v)
	if err != nil {
		return false, err
	}
	switch x := out.(type) {
	case nil:
		return false, nil
	case bool:
		return x, nil
	}
	return false, errs.New(errs.Invalid, "expr.eval.result", "got", describe(out), "want", "bool")
}

// Run evaluates on the calling goroutine, without the pool and its
// timeout: for trusted hot paths that evaluate many records in a loop of
// their own. The budgets (memory, steps, text) still bound it.
func (p *Program) Run(v Vars) (any, error) {
	out, err := p.run(v, nil)
	if err != nil {
		return nil, p.evalError(err)
	}
	return p.result(out)
}

// runner is what one evaluation reuses: the VM (whose variables hold the
// environment, see bindSlots) and the state.
type runner struct {
	vm   vm.VM
	st   state
	tick func() bool        // r.st.tickFn
	add  func(a, b any) any // r.st.addFn
}

// run evaluates; errors are raw (see evalError).
func (p *Program) run(v Vars, stop *atomic.Bool) (any, error) {
	r, _ := p.pool.Get().(*runner)
	if r == nil {
		r = &runner{}
		r.vm.Variables = make([]any, p.nvars)
		r.tick, r.add = r.st.tickFn, r.st.addFn
	}
	r.vm.MemoryBudget = MemoryBudget
	vars := r.vm.Variables[p.base:]
	for i := range p.slots {
		val, err := p.value(r, &p.slots[i], &v)
		if err != nil {
			p.pool.Put(r)
			return nil, err
		}
		vars[i] = val
	}
	if p.state {
		r.st = state{stop: stop, vars: v, prog: p}
		vars[len(p.slots)] = &r.st
	}
	out, err := r.vm.Run(p.prog, nil)
	clear(vars) // keep no record data alive in the pool
	r.st.vars = Vars{}
	p.pool.Put(r)
	return out, err
}

// value fills one environment entry.
func (p *Program) value(r *runner, s *slot, v *Vars) (any, error) {
	switch s.src {
	case fromOperator:
		return s.op, nil
	case fromTick:
		return r.tick, nil
	case fromAdd:
		return r.add, nil
	case fromRecord, fromOld:
		var raw any
		if s.src == fromRecord {
			raw = v.Record[s.name]
		} else if v.Old != nil {
			raw = v.Old[s.name]
		}
		val, ok := envValue(s.kind, raw)
		if !ok {
			return nil, errs.New(errs.Invalid, "expr.eval.bad_value", "field", s.name, "type", s.kind.String())
		}
		return val, nil
	case fromOldMap:
		if v.Old == nil {
			return nil, nil
		}
		m := make(map[string]any, len(p.kinds))
		for k, vk := range p.kinds {
			if strings.Contains(k, ".") {
				continue // a lookup read, not a field
			}
			if val, ok := envValue(vk, v.Old[k]); ok {
				m[k] = val
			}
		}
		return m, nil
	case fromNow:
		return now(v), nil
	case fromToday:
		return dateOf(now(v)), nil
	case fromUserID:
		return v.User.ID, nil
	case fromUserDepts:
		return orEmpty(v.User.Departments), nil
	case fromUserRoles:
		return orEmpty(v.User.Roles), nil
	}
	return nil, nil
}

func now(v *Vars) time.Time {
	if v.Now.IsZero() {
		return time.Now().UTC()
	}
	return v.Now.UTC()
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// evalError turns a raw evaluation error into an *errs.Error (Invalid).
func (p *Program) evalError(err error) error {
	if _, ok := errs.As(err); ok {
		return err
	}
	var le *limitError
	if errors.As(err, &le) {
		if le.key == errStopped.key {
			return timeoutError()
		}
		return errs.New(errs.Invalid, le.key, "max", le.max)
	}
	var fe *file.Error
	if errors.As(err, &fe) {
		if strings.Contains(fe.Message, "memory budget exceeded") {
			return errs.New(errs.Invalid, "expr.eval.memory", "max", MemoryBudget)
		}
		l, c, pos := position(p.src, fe.From)
		return errs.New(errs.Invalid, "expr.eval.failed", "line", l, "column", c, "pos", pos, "detail", libraryDetail(fe.Message))
	}
	return errs.New(errs.Invalid, "expr.eval.failed", "line", 1, "column", 1, "pos", 1, "detail", libraryDetail(err.Error()))
}

// result converts a raw result to JSON form, enforcing the required kind
// where the checker could not (results typed "any").
func (p *Program) result(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	kind := p.kind
	if p.want != "" && p.kind == "any" || p.want == "date" || p.want == "datetime" {
		if !runtimeFits(v, p.want) {
			if s, ok := v.(string); ok && (p.want == "date" || p.want == "datetime") {
				if t, ok := parseTime(s); ok {
					v = t
				}
			}
			if !runtimeFits(v, p.want) {
				return nil, errs.New(errs.Invalid, "expr.eval.result", "got", describe(v), "want", p.want)
			}
		}
		kind = p.want
	}
	return jsonForm(v, kind)
}

func runtimeFits(v any, want string) bool {
	switch want {
	case "bool":
		_, ok := v.(bool)
		return ok
	case "number":
		_, isText := v.(json.Number)
		_, ok := number(v)
		return ok && !isText
	case "string":
		_, ok := v.(string)
		return ok
	case "date", "datetime":
		_, ok := v.(time.Time)
		return ok
	}
	return true
}

// jsonForm converts a value to the JSON form records use. kind says
// whether a time is a date; in lists and objects a time at midnight UTC
// is taken for a date.
func jsonForm(v any, kind string) (any, error) {
	switch x := v.(type) {
	case nil, bool, string:
		return v, nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, errs.New(errs.Invalid, "expr.eval.not_finite")
		}
		return json.Number(formatNumber(x)), nil
	case int:
		return json.Number(strconv.Itoa(x)), nil
	case time.Time:
		x = x.UTC()
		switch kind {
		case "date":
			return x.Format(dateLayout), nil
		case "datetime":
			return x.Format(time.RFC3339Nano), nil
		}
		s, _ := scalarText(x)
		return s, nil
	case time.Duration:
		return x.String(), nil
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out, nil
	case json.Number:
		return x, nil
	}
	if f, ok := number(v); ok {
		return jsonForm(f, kind)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			e, err := jsonForm(rv.Index(i).Interface(), "")
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	case reflect.Map:
		out := make(map[string]any, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			e, err := jsonForm(it.Value().Interface(), "")
			if err != nil {
				return nil, err
			}
			out[fmt.Sprint(it.Key().Interface())] = e
		}
		return out, nil
	}
	return nil, errs.New(errs.Invalid, "expr.eval.result", "got", describe(v), "want", "a value")
}
