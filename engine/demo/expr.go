package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// The value expressions are expr-lang (the one expression language) over
// a generator environment: the record being made and its parent, the
// simulated clock and the spec's lists, with functions that draw from the
// run's seeded random source — so one seed makes one company.
//
//	n                  the record's number (0-based) among its parent's (or all)
//	at                 its creation time (a step: the step's time)
//	now                the end of the simulated history
//	owner              the owning user's key
//	parent, self, rec  the parent's values (with id), the values so far, the record as stored (steps)
//	lists              the spec's word lists
//
//	rand() between(a, b) money(a, b, step) chance(p) pick(list) weighted({"a": 3, "b": 1})
//	digits(n) mobile() spread() after(t, minDays, maxDays) addDays(t, n) date(t) datetime(t)
//	users(group[, department]) dept(user) kids(record, entry) records(entry) find(module, field, value)
//
// A values key starting with _ is a scratch value: in self for the keys
// after it, never written (one draw feeding two fields: a city and its
// province).

// vars are the variables of one evaluation.
type vars map[string]any

// exprEnv is what the expressions compile against: each variable with a
// value of its type.
func exprEnv() map[string]any {
	return map[string]any{"n": 0, "at": time.Time{}, "now": time.Time{}, "owner": "",
		"parent": map[string]any{}, "self": map[string]any{}, "rec": map[string]any{}, "lists": map[string][]string{}}
}

// funcs are the generator functions, drawing from r and reading g.
func (g *gen) funcs() []expr.Option {
	r := g.rng
	num := func(v any) float64 {
		switch x := v.(type) {
		case int:
			return float64(x)
		case int64:
			return float64(x)
		case float64:
			return x
		}
		panic(fmt.Sprintf("want a number, got %T", v))
	}
	asTime := func(v any) time.Time {
		t, ok := v.(time.Time)
		if !ok {
			panic(fmt.Sprintf("want a time, got %T", v))
		}
		return t
	}
	fn := func(name string, f func(a ...any) any, types ...any) expr.Option {
		return expr.Function(name, func(a ...any) (any, error) { return f(a...), nil }, types...)
	}
	return []expr.Option{
		fn("rand", func(...any) any { return r.Float64() }, new(func() float64)),
		fn("between", func(a ...any) any {
			lo, hi := int(num(a[0])), int(num(a[1]))
			if hi <= lo {
				return lo
			}
			return lo + r.IntN(hi-lo+1)
		}, new(func(any, any) int)),
		fn("money", func(a ...any) any {
			lo, hi, step := num(a[0]), num(a[1]), num(a[2])
			v := lo + r.Float64()*(hi-lo)
			if step > 0 {
				v = math.Round(v/step) * step
			}
			return v
		}, new(func(any, any, any) float64)),
		fn("chance", func(a ...any) any { return r.Float64() < num(a[0]) }, new(func(any) bool)),
		fn("pick", func(a ...any) any { return pick(r, a[0]) }, new(func(any) any)),
		fn("weighted", func(a ...any) any {
			m, ok := a[0].(map[string]any)
			if !ok || len(m) == 0 {
				panic("weighted wants a map of value → weight")
			}
			keys := make([]string, 0, len(m))
			total := 0.0
			for k, w := range m {
				keys = append(keys, k)
				total += num(w)
			}
			sort.Strings(keys) // map order is random; the draw must not be
			x := r.Float64() * total
			for _, k := range keys {
				if x -= num(m[k]); x < 0 {
					return k
				}
			}
			return keys[len(keys)-1]
		}, new(func(map[string]any) string)),
		fn("digits", func(a ...any) any {
			var b strings.Builder
			for range int(num(a[0])) {
				b.WriteByte(byte('0' + r.IntN(10)))
			}
			return b.String()
		}, new(func(any) string)),
		fn("mobile", func(...any) any {
			// Mainland mobile numbers: 1, then 3–9, then nine digits.
			b := []byte{'1', byte('3' + r.IntN(7))}
			for range 9 {
				b = append(b, byte('0'+r.IntN(10)))
			}
			return string(b)
		}, new(func() string)),
		fn("spread", func(...any) any {
			// A working moment of the period: drawn again when working
			// hours push it past the end (a count must be the count).
			for {
				t := g.workTime(g.start.Add(time.Duration(r.Int64N(int64(g.end.Sub(g.start))))))
				if t.Before(g.end) {
					return t
				}
			}
		}, new(func() time.Time)),
		fn("after", func(a ...any) any {
			lo, hi := num(a[1]), num(a[2])
			d := lo + r.Float64()*(hi-lo)
			return g.workTime(asTime(a[0]).Add(time.Duration(d * 24 * float64(time.Hour))))
		}, new(func(time.Time, any, any) time.Time)),
		fn("addDays", func(a ...any) any { return asTime(a[0]).AddDate(0, 0, int(num(a[1]))) }, new(func(time.Time, any) time.Time)),
		fn("date", func(a ...any) any { return asTime(a[0]).In(g.zone).Format(time.DateOnly) }, new(func(time.Time) string)),
		fn("datetime", func(a ...any) any { return asTime(a[0]).UTC().Format(time.RFC3339) }, new(func(time.Time) string)),
		fn("users", func(a ...any) any {
			group, _ := a[0].(string)
			dept := ""
			if len(a) > 1 {
				dept, _ = a[1].(string)
			}
			var out []any
			for _, u := range g.spec.Users {
				if u.Group == group && (dept == "" || contains(u.Departments, dept)) {
					out = append(out, u.Key)
				}
			}
			if len(out) == 0 {
				panic(fmt.Sprintf("no user in group %q (department %q)", group, dept))
			}
			return out
		}, new(func(string) []any), new(func(string, string) []any)),
		fn("dept", func(a ...any) any {
			k, _ := a[0].(string)
			for _, u := range g.spec.Users {
				if u.Key == k && len(u.Departments) > 0 {
					return u.Departments[0]
				}
			}
			return ""
		}, new(func(string) string)),
		fn("kids", func(a ...any) any {
			nd, _ := a[0].(*node) // a lookup made by the generator (parent.account)
			if m, ok := a[0].(map[string]any); ok {
				nd, _ = m[nodeKey].(*node)
			}
			key, _ := a[1].(string)
			if nd == nil {
				return []any{}
			}
			out := []any{}
			for _, k := range nd.kids[key] {
				out = append(out, k.vals)
			}
			return out
		}, new(func(any, string) []any)),
		fn("records", func(a ...any) any {
			key, _ := a[0].(string)
			out := []any{}
			for _, nd := range g.all[key] {
				out = append(out, nd.vals)
			}
			return out
		}, new(func(string) []any)),
		fn("find", func(a ...any) any {
			module, _ := a[0].(string)
			field, _ := a[1].(string)
			v := a[2]
			if p, ok := v.(*node); ok {
				v = p.id
			}
			rec, err := g.find(module, field, v)
			if err != nil {
				panic(err)
			}
			return rec
		}, new(func(string, string, any) map[string]any)),
	}
}

// nodeKey holds, in the values map expressions see, the node the values
// belong to (kids reads it; it is never written).
const nodeKey = "_node"

func pick(r *rand.Rand, v any) any {
	switch l := v.(type) {
	case []any:
		if len(l) == 0 {
			return nil
		}
		return l[r.IntN(len(l))]
	case []string:
		if len(l) == 0 {
			return nil
		}
		return l[r.IntN(len(l))]
	case nil:
		return nil
	}
	panic(fmt.Sprintf("pick wants a list, got %T", v))
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// compile compiles one expression of the spec.
func (g *gen) compile(src string) (*vm.Program, error) {
	opts := append([]expr.Option{expr.Env(exprEnv())}, g.funcs()...)
	return expr.Compile(src, opts...)
}

// eval runs a program; a panic in a generator function is its error.
func eval(p *vm.Program, v vars) (out any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return expr.Run(p, map[string]any(v))
}

// workTime moves t into working hours (09:00–18:00, Monday to Friday, in
// the spec's zone), keeping the minutes: demo work happens at the office.
func (g *gen) workTime(t time.Time) time.Time {
	l := t.In(g.zone)
	if h := l.Hour(); h < 9 || h >= 18 {
		day := l
		if h >= 18 {
			day = l.AddDate(0, 0, 1)
		}
		l = time.Date(day.Year(), day.Month(), day.Day(), 9+int(g.rng.IntN(9)), l.Minute(), l.Second(), 0, g.zone)
	}
	switch l.Weekday() {
	case time.Saturday:
		l = l.AddDate(0, 0, 2)
	case time.Sunday:
		l = l.AddDate(0, 0, 1)
	}
	return l.UTC()
}
