package expr

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/expr-lang/expr/builtin"
	"github.com/expr-lang/expr/vm/runtime"
)

// The functions of the expression language. Each is declared with typed
// signatures so the checker knows argument and result types; at run time
// every function accepts nil for any argument and then returns nil (or
// false, 0 or "" where the result type says so), so that an empty field
// makes a result empty rather than an error.
//
// Dates and times are time.Time values, always in UTC; a date is a
// time.Time at 00:00 UTC.

// fnSpec describes one function.
type fnSpec struct {
	name     string
	min, max int  // number of arguments the user writes; max -1: any number
	state    bool // receives the evaluation state as a hidden first argument
	types    []any
	validate func(args []reflect.Type) (reflect.Type, error)
	fn       func(args ...any) (any, error)
}

// Typed signatures (pointers to func types, as expr.Function takes them).
var (
	tTime    = time.Time{}
	sigT_T   = new(func(time.Time) time.Time)
	sigTN_T  = new(func(time.Time, float64) time.Time)
	sigTT_I  = new(func(time.Time, time.Time) int)
	sigT_I   = new(func(time.Time) int)
	sigS_T   = new(func(string) time.Time)
	sigStS_S = new(func(*state, string) string)
	sigS_S   = new(func(string) string)
	sigSN_S  = new(func(string, float64) string)
	sigN_N   = new(func(float64) float64)
	sigNN_N  = new(func(float64, float64) float64)
	sigA_B   = new(func(any) bool)
	sigA_I   = new(func(any) int)
	sigStA_S = new(func(*state, any) string)
	sigStS_B = new(func(*state, string) bool)
)

// functions are the user-visible functions, by name.
var functions = map[string]*fnSpec{}

func def(f *fnSpec) { functions[f.name] = f }

func init() {
	// Dates.
	def(&fnSpec{name: "addDays", min: 2, max: 2, types: []any{sigTN_T}, fn: timeNum(func(t time.Time, n int) time.Time { return t.AddDate(0, 0, n) })})
	def(&fnSpec{name: "addMonths", min: 2, max: 2, types: []any{sigTN_T}, fn: timeNum(addMonths)})
	def(&fnSpec{name: "addYears", min: 2, max: 2, types: []any{sigTN_T}, fn: timeNum(func(t time.Time, n int) time.Time { return addMonths(t, 12*n) })})
	def(&fnSpec{name: "addHours", min: 2, max: 2, types: []any{sigTN_T}, fn: timeDur(time.Hour)})
	def(&fnSpec{name: "addMinutes", min: 2, max: 2, types: []any{sigTN_T}, fn: timeDur(time.Minute)})
	def(&fnSpec{name: "daysBetween", min: 2, max: 2, types: []any{sigTT_I}, fn: twoTimes(daysBetween)})
	def(&fnSpec{name: "hoursBetween", min: 2, max: 2, types: []any{new(func(time.Time, time.Time) float64)}, fn: fnHoursBetween})
	def(&fnSpec{name: "businessDaysBetween", min: 2, max: 2, state: true, types: []any{new(func(*state, time.Time, time.Time) int)}, fn: fnBusinessDays})
	def(&fnSpec{name: "addBusinessHours", min: 2, max: 2, state: true, types: []any{new(func(*state, time.Time, float64) time.Time)}, fn: fnAddBusinessHours})
	def(&fnSpec{name: "businessHoursBetween", min: 2, max: 2, state: true, types: []any{new(func(*state, time.Time, time.Time) float64)}, fn: fnBusinessHours})
	def(&fnSpec{name: "startOfMonth", min: 1, max: 1, types: []any{sigT_T}, fn: oneTime(func(t time.Time) any {
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	})})
	def(&fnSpec{name: "endOfMonth", min: 1, max: 1, types: []any{sigT_T}, fn: oneTime(func(t time.Time) any {
		return time.Date(t.Year(), t.Month()+1, 0, 0, 0, 0, 0, time.UTC)
	})})
	def(&fnSpec{name: "startOfDay", min: 1, max: 1, types: []any{sigT_T}, fn: oneTime(func(t time.Time) any { return dateOf(t) })})
	def(&fnSpec{name: "year", min: 1, max: 1, types: []any{sigT_I}, fn: oneTime(func(t time.Time) any { return t.Year() })})
	def(&fnSpec{name: "month", min: 1, max: 1, types: []any{sigT_I}, fn: oneTime(func(t time.Time) any { return int(t.Month()) })})
	def(&fnSpec{name: "day", min: 1, max: 1, types: []any{sigT_I}, fn: oneTime(func(t time.Time) any { return t.Day() })})
	def(&fnSpec{name: "hour", min: 1, max: 1, types: []any{sigT_I}, fn: oneTime(func(t time.Time) any { return t.Hour() })})
	def(&fnSpec{name: "minute", min: 1, max: 1, types: []any{sigT_I}, fn: oneTime(func(t time.Time) any { return t.Minute() })})
	def(&fnSpec{name: "weekday", min: 1, max: 1, types: []any{sigT_I}, fn: oneTime(func(t time.Time) any { return isoWeekday(t) })})
	def(&fnSpec{name: "date", min: 1, max: 1, types: []any{sigS_T, sigT_T}, fn: fnDate})
	def(&fnSpec{name: "datetime", min: 1, max: 1, types: []any{sigS_T, sigT_T}, fn: fnDatetime})
	def(&fnSpec{name: "format", min: 2, max: 2, state: true, types: []any{new(func(*state, time.Time, string) string)}, fn: fnFormat})

	// Text.
	def(&fnSpec{name: "upper", min: 1, max: 1, state: true, types: []any{sigStS_S}, fn: textMap(strings.ToUpper)})
	def(&fnSpec{name: "lower", min: 1, max: 1, state: true, types: []any{sigStS_S}, fn: textMap(strings.ToLower)})
	def(&fnSpec{name: "trim", min: 1, max: 1, types: []any{sigS_S}, fn: fnTrim})
	def(&fnSpec{name: "left", min: 2, max: 2, types: []any{sigSN_S}, fn: fnLeft})
	def(&fnSpec{name: "right", min: 2, max: 2, types: []any{sigSN_S}, fn: fnRight})
	def(&fnSpec{name: "replace", min: 3, max: 3, state: true, types: []any{new(func(*state, string, string, string) string)}, fn: fnReplace})
	def(&fnSpec{name: "concat", min: 1, max: -1, state: true, types: []any{new(func(*state, ...any) string)}, fn: fnConcat})
	def(&fnSpec{name: "split", min: 2, max: 2, state: true, types: []any{new(func(*state, string, string) []string)}, fn: fnSplit})
	def(&fnSpec{name: "join", min: 1, max: 2, state: true, types: []any{new(func(*state, any, string) string), new(func(*state, any) string)}, fn: fnJoin})
	def(&fnSpec{name: "string", min: 1, max: 1, state: true, types: []any{sigStA_S}, fn: fnString})
	def(&fnSpec{name: "len", min: 1, max: 1, types: []any{sigA_I}, fn: fnLen})

	// Numbers.
	def(&fnSpec{name: "round", min: 1, max: 2, types: []any{sigN_N, sigNN_N}, fn: fnRound})
	def(&fnSpec{name: "floor", min: 1, max: 1, types: []any{sigN_N}, fn: numMap(math.Floor)})
	def(&fnSpec{name: "ceil", min: 1, max: 1, types: []any{sigN_N}, fn: numMap(math.Ceil)})
	def(&fnSpec{name: "abs", min: 1, max: 1, types: []any{sigN_N}, fn: numMap(math.Abs)})
	def(&fnSpec{name: "mod", min: 2, max: 2, types: []any{sigNN_N}, fn: fnMod})

	// Values.
	def(&fnSpec{name: "coalesce", min: 1, max: -1, validate: sameType("coalesce"), fn: fnCoalesce})
	def(&fnSpec{name: "isBlank", min: 1, max: 1, types: []any{sigA_B}, fn: func(a ...any) (any, error) { return blank(a[0]), nil }})
	def(&fnSpec{name: "changed", min: 1, max: 1, state: true, types: []any{sigStS_B}, fn: fnChanged})

}

// The operators the compiler inserts (see hardener) are function values
// held in VM variables, of signatures expr-lang calls without allocating
// (OpCallTyped). Errors are panics, which the VM turns into errors.
var operators = map[string]any{
	"$!lt":  compare(func(c int) bool { return c < 0 }, runtime.Less),
	"$!gt":  compare(func(c int) bool { return c > 0 }, runtime.More),
	"$!le":  compare(func(c int) bool { return c <= 0 }, runtime.LessOrEqual),
	"$!ge":  compare(func(c int) bool { return c >= 0 }, runtime.MoreOrEqual),
	"$!sub": arith(runtime.Subtract),
	"$!mul": arith(runtime.Multiply),
	"$!div": arith(func(a, b any) any { return runtime.Divide(a, b) }),
	"$!pow": arith(func(a, b any) any { return runtime.Exponent(a, b) }),
	"$!neg": func(a any) any {
		if a == nil {
			return nil
		}
		return runtime.Negate(a)
	},
	// Bound to each evaluation's state (see runner); these are their types.
	keyTick: func() bool { return true },
	keyAdd:  func(a, b any) any { return nil },
}

// tickFn is the loop tick: $!tick() in every loop body.
func (s *state) tickFn() bool {
	if err := s.tick(); err != nil {
		panic(err)
	}
	return true
}

// addFn is +.
func (s *state) addFn(a, b any) any {
	v, err := add(s, a, b)
	if err != nil {
		panic(err)
	}
	return v
}

// builtinFunction is the expr-lang declaration of f.
func (f *fnSpec) builtinFunction() *builtin.Function {
	ts := make([]reflect.Type, len(f.types))
	for i, t := range f.types {
		ts[i] = reflect.TypeOf(t).Elem()
	}
	return &builtin.Function{Name: f.name, Func: f.fn, Types: ts, Validate: f.validate}
}

// Errors functions return; the VM adds the position.
func argError(fn, format string, args ...any) error {
	return fmt.Errorf("%s: %s", fn, fmt.Sprintf(format, args...))
}

// ---- argument helpers ----

func timeArg(v any) (time.Time, bool) {
	t, ok := toTime(v)
	return t, ok
}

// intArg reads a count of days, months, … : rounded toward zero, and
// bounded so that date arithmetic stays meaningful.
func intArg(fn string, v any) (int, error) {
	f, ok := number(v)
	if !ok {
		return 0, argError(fn, "%v is not a number", v)
	}
	if math.IsNaN(f) || math.Abs(f) > 1e7 {
		return 0, argError(fn, "%v is out of range", v)
	}
	return int(f), nil
}

// ---- dates ----

func timeNum(op func(time.Time, int) time.Time) func(a ...any) (any, error) {
	return func(a ...any) (any, error) {
		if a[0] == nil || a[1] == nil {
			return nil, nil
		}
		t, ok := timeArg(a[0])
		if !ok {
			return nil, argError("date", "%v is not a date", a[0])
		}
		n, err := intArg("date", a[1])
		if err != nil {
			return nil, err
		}
		return op(t, n), nil
	}
}

func timeDur(unit time.Duration) func(a ...any) (any, error) {
	return func(a ...any) (any, error) {
		if a[0] == nil || a[1] == nil {
			return nil, nil
		}
		t, ok := timeArg(a[0])
		if !ok {
			return nil, argError("date", "%v is not a date", a[0])
		}
		n, ok := number(a[1])
		if !ok || math.IsNaN(n) || math.Abs(n*float64(unit)) > float64(100*365*24*time.Hour) {
			return nil, argError("date", "%v is out of range", a[1])
		}
		return t.Add(time.Duration(n * float64(unit))), nil
	}
}

// addMonths adds n calendar months, keeping the day of the month where it
// exists and otherwise using the month's last day (Jan 31 + 1 month is
// Feb 28, or Feb 29 in a leap year).
func addMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(n), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	if last := daysIn(first); d > last {
		d = last
	}
	return first.AddDate(0, 0, d-1)
}

func daysIn(t time.Time) int {
	return time.Date(t.Year(), t.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func oneTime(op func(time.Time) any) func(a ...any) (any, error) {
	return func(a ...any) (any, error) {
		if a[0] == nil {
			return nil, nil
		}
		t, ok := timeArg(a[0])
		if !ok {
			return nil, argError("date", "%v is not a date", a[0])
		}
		return op(t), nil
	}
}

func twoTimes(op func(a, b time.Time) int) func(a ...any) (any, error) {
	return func(a ...any) (any, error) {
		if a[0] == nil || a[1] == nil {
			return nil, nil
		}
		x, ok1 := timeArg(a[0])
		y, ok2 := timeArg(a[1])
		if !ok1 || !ok2 {
			return nil, argError("date", "%v and %v must be dates", a[0], a[1])
		}
		return op(x, y), nil
	}
}

// dayNumber is the number of days since 1970-01-01 of t's UTC date.
func dayNumber(t time.Time) int64 { return dateOf(t).Unix() / 86400 }

// daysBetween is the number of calendar days from a's date to b's date
// (UTC): negative when b is before a.
func daysBetween(a, b time.Time) int { return int(dayNumber(b) - dayNumber(a)) }

// fnHoursBetween is the time from a to b in hours, to the minute (two
// decimals: 1.25 is an hour and a quarter), negative when b is before a —
// how long a lead waited for its first contact, where daysBetween's whole
// days are too coarse.
func fnHoursBetween(a ...any) (any, error) {
	if a[0] == nil || a[1] == nil {
		return nil, nil
	}
	x, ok1 := timeArg(a[0])
	y, ok2 := timeArg(a[1])
	if !ok1 || !ok2 {
		return nil, argError("hoursBetween", "%v and %v must be dates or date-times", a[0], a[1])
	}
	return math.Round(y.Sub(x).Minutes()/60*100) / 100, nil
}

// fnBusinessDays counts working days with the evaluation's calendar
// (Vars.Calendar: the default business calendar, with holidays and
// make-up workdays), or Monday to Friday without one.
func fnBusinessDays(a ...any) (any, error) {
	st := a[0].(*state)
	count := businessDaysBetween
	if st.vars.Calendar != nil {
		count = st.vars.Calendar.WorkdaysBetween
	}
	return twoTimes(count)(a[1:]...)
}

// workingHours is the evaluation's calendar when it knows working hours
// (the calendar service does), else weekdayHours: Monday to Friday, every
// hour of the day, UTC — the same fallback businessDaysBetween has.
func (st *state) workingHours() WorkingHours {
	if wh, ok := st.vars.Calendar.(WorkingHours); ok {
		return wh
	}
	return weekdayHours{}
}

// fnAddBusinessHours is addBusinessHours(t, hours): the instant hours of
// working time after t (a due time "in 8 business hours"); hours <= 0
// gives t.
func fnAddBusinessHours(a ...any) (any, error) {
	st := a[0].(*state)
	if a[1] == nil || a[2] == nil {
		return nil, nil
	}
	t, ok := timeArg(a[1])
	if !ok {
		return nil, argError("date", "%v is not a date", a[1])
	}
	n, ok := number(a[2])
	if !ok || math.IsNaN(n) || math.Abs(n) > 100*365*24 {
		return nil, argError("date", "%v is out of range", a[2])
	}
	return st.workingHours().AddWorkingHours(t, n), nil
}

// fnBusinessHours is businessHoursBetween(a, b): the working hours from a
// to b (negative when b is before a), for SLA compliance and times to
// resolve counted the way due times are.
func fnBusinessHours(a ...any) (any, error) {
	st := a[0].(*state)
	if a[1] == nil || a[2] == nil {
		return nil, nil
	}
	x, ok1 := timeArg(a[1])
	y, ok2 := timeArg(a[2])
	if !ok1 || !ok2 {
		return nil, argError("date", "%v and %v must be dates", a[1], a[2])
	}
	if y.Sub(x).Abs() > 100*365*24*time.Hour {
		return nil, argError("date", "%v and %v are too far apart", a[1], a[2])
	}
	return st.workingHours().WorkingDuration(x, y).Hours(), nil
}

// weekdayHours is the working time of expressions without a calendar:
// all of Monday to Friday (UTC).
type weekdayHours struct{}

func weekend(t time.Time) bool { return t.Weekday() == time.Saturday || t.Weekday() == time.Sunday }

func (weekdayHours) AddWorkingHours(t time.Time, hours float64) time.Time {
	left := time.Duration(hours * float64(time.Hour)).Round(time.Second)
	cur := t.UTC()
	for left > 0 {
		next := dateOf(cur).AddDate(0, 0, 1)
		if !weekend(cur) {
			if avail := next.Sub(cur); left <= avail {
				return cur.Add(left).In(t.Location())
			}
			left -= next.Sub(cur)
		}
		cur = next
	}
	return t
}

func (w weekdayHours) WorkingDuration(from, to time.Time) time.Duration {
	if to.Before(from) {
		return -w.WorkingDuration(to, from)
	}
	var total time.Duration
	for cur := from.UTC(); cur.Before(to); {
		next := dateOf(cur).AddDate(0, 0, 1)
		if next.After(to) {
			next = to.UTC()
		}
		if !weekend(cur) {
			total += next.Sub(cur)
		}
		cur = next
	}
	return total
}

// businessDaysBetween counts the days Monday to Friday from a's date
// (included) to b's date (excluded); negative when b is before a. Friday
// to the next Monday is 1; Saturday to Monday is 0.
func businessDaysBetween(a, b time.Time) int {
	from, to := dayNumber(a), dayNumber(b)
	sign := 1
	if to < from {
		from, to, sign = to, from, -1
	}
	n := to - from
	count := (n / 7) * 5
	// 1970-01-01 was a Thursday: day d's ISO weekday is (d+3) mod 7 + 1.
	for d := from + (n/7)*7; d < to; d++ {
		if wd := ((d+3)%7+7)%7 + 1; wd <= 5 {
			count++
		}
	}
	return sign * int(count)
}

// isoWeekday is 1 for Monday … 7 for Sunday.
func isoWeekday(t time.Time) int {
	wd := int(t.Weekday())
	if wd == 0 {
		return 7
	}
	return wd
}

func fnDate(a ...any) (any, error) {
	switch x := a[0].(type) {
	case nil:
		return nil, nil
	case time.Time:
		return dateOf(x), nil
	case string:
		if t, ok := parseTime(x); ok {
			return dateOf(t), nil
		}
	}
	return nil, argError("date", "%q is not a date such as 2026-01-31", fmt.Sprint(a[0]))
}

func fnDatetime(a ...any) (any, error) {
	switch x := a[0].(type) {
	case nil:
		return nil, nil
	case time.Time:
		return x.UTC(), nil
	case string:
		if t, ok := parseTime(x); ok {
			return t, nil
		}
	}
	return nil, argError("datetime", "%q is not a date-time such as 2026-01-31T09:30:00Z", fmt.Sprint(a[0]))
}

func fnFormat(a ...any) (any, error) {
	st := a[0].(*state)
	if a[1] == nil || a[2] == nil {
		return nil, nil
	}
	t, ok := timeArg(a[1])
	if !ok {
		return nil, argError("format", "%v is not a date", a[1])
	}
	layout, ok := a[2].(string)
	if !ok {
		return nil, argError("format", "the layout must be text")
	}
	// A layout's output is at most a few times its length.
	if err := st.grow(4*len(layout) + 32); err != nil {
		return nil, err
	}
	return t.Format(layout), nil
}

// ---- text ----

func textMap(op func(string) string) func(a ...any) (any, error) {
	return func(a ...any) (any, error) {
		st := a[0].(*state)
		if a[1] == nil {
			return nil, nil
		}
		s, ok := a[1].(string)
		if !ok {
			return nil, argError("text", "%v is not text", a[1])
		}
		// Case mapping changes a string's length by a small factor at most.
		if err := st.grow(2 * len(s)); err != nil {
			return nil, err
		}
		return op(s), nil
	}
}

func fnTrim(a ...any) (any, error) {
	if a[0] == nil {
		return nil, nil
	}
	s, ok := a[0].(string)
	if !ok {
		return nil, argError("trim", "%v is not text", a[0])
	}
	return strings.TrimSpace(s), nil
}

// runeCount reads the n of left/right: negative counts as 0.
func runeCount(fn string, v any) (int, error) {
	f, ok := number(v)
	if !ok || math.IsNaN(f) {
		return 0, argError(fn, "%v is not a number", v)
	}
	if f < 0 {
		return 0, nil
	}
	if f > math.MaxInt32 {
		return math.MaxInt32, nil
	}
	return int(f), nil
}

func fnLeft(a ...any) (any, error) {
	if a[0] == nil || a[1] == nil {
		return nil, nil
	}
	s, ok := a[0].(string)
	if !ok {
		return nil, argError("left", "%v is not text", a[0])
	}
	n, err := runeCount("left", a[1])
	if err != nil {
		return nil, err
	}
	i := 0
	for k := range s {
		if i == n {
			return s[:k], nil
		}
		i++
	}
	return s, nil
}

func fnRight(a ...any) (any, error) {
	if a[0] == nil || a[1] == nil {
		return nil, nil
	}
	s, ok := a[0].(string)
	if !ok {
		return nil, argError("right", "%v is not text", a[0])
	}
	n, err := runeCount("right", a[1])
	if err != nil {
		return nil, err
	}
	total := utf8.RuneCountInString(s)
	if n >= total {
		return s, nil
	}
	skip := total - n
	i := 0
	for k := range s {
		if i == skip {
			return s[k:], nil
		}
		i++
	}
	return "", nil
}

func fnReplace(a ...any) (any, error) {
	st := a[0].(*state)
	if a[1] == nil {
		return nil, nil
	}
	s, ok1 := a[1].(string)
	old, ok2 := textOrEmpty(a[2])
	repl, ok3 := textOrEmpty(a[3])
	if !ok1 || !ok2 || !ok3 {
		return nil, argError("replace", "all arguments must be text")
	}
	n := strings.Count(s, old)
	if err := st.grow(len(s) + n*(len(repl)-len(old))); err != nil {
		return nil, err
	}
	if n > 0 && n*len(repl) > MaxText {
		return nil, &limitError{key: "expr.eval.text", max: MaxText}
	}
	return strings.ReplaceAll(s, old, repl), nil
}

func textOrEmpty(v any) (string, bool) {
	if v == nil {
		return "", true
	}
	s, ok := v.(string)
	return s, ok
}

func fnConcat(a ...any) (any, error) {
	st := a[0].(*state)
	var b strings.Builder
	for _, v := range a[1:] {
		if err := writeText(st, &b, v); err != nil {
			return nil, err
		}
	}
	return b.String(), nil
}

// writeText appends v as text, counting the bytes against the budget
// before building them. Lists are written comma-separated.
func writeText(st *state, b *strings.Builder, v any) error {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		if err := st.grow(len(x)); err != nil {
			return err
		}
		b.WriteString(x)
		return nil
	case []string:
		for i, e := range x {
			if i > 0 {
				if err := writeText(st, b, ", "); err != nil {
					return err
				}
			}
			if err := writeText(st, b, e); err != nil {
				return err
			}
		}
		return nil
	case []any:
		for i, e := range x {
			if i > 0 {
				if err := writeText(st, b, ", "); err != nil {
					return err
				}
			}
			if err := writeText(st, b, e); err != nil {
				return err
			}
		}
		return nil
	}
	s, err := scalarText(v)
	if err != nil {
		return err
	}
	return writeText(st, b, s)
}

// scalarText is a single value as text: numbers as in JSON, dates as
// 2006-01-02 when at midnight UTC and RFC 3339 otherwise.
func scalarText(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case time.Time:
		x = x.UTC()
		if x.Equal(dateOf(x)) {
			return x.Format(dateLayout), nil
		}
		return x.Format(time.RFC3339Nano), nil
	case time.Duration:
		return x.String(), nil
	}
	if f, ok := number(v); ok {
		return formatNumber(f), nil
	}
	return "", fmt.Errorf("text: cannot turn a %s into text", describe(v))
}

func fnSplit(a ...any) (any, error) {
	st := a[0].(*state)
	if a[1] == nil {
		return []string{}, nil
	}
	s, ok1 := a[1].(string)
	sep, ok2 := textOrEmpty(a[2])
	if !ok1 || !ok2 {
		return nil, argError("split", "both arguments must be text")
	}
	if s == "" {
		return []string{}, nil
	}
	// Each part costs a string header; count it like text.
	if err := st.grow(16 * (strings.Count(s, sep) + 1)); err != nil {
		return nil, err
	}
	return strings.Split(s, sep), nil
}

func fnJoin(a ...any) (any, error) {
	st := a[0].(*state)
	sep := ", "
	if len(a) > 2 {
		s, ok := textOrEmpty(a[2])
		if !ok {
			return nil, argError("join", "the separator must be text")
		}
		sep = s
	}
	var b strings.Builder
	rv := reflect.ValueOf(a[1])
	if a[1] == nil {
		return "", nil
	}
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return nil, argError("join", "%s is not a list", describe(a[1]))
	}
	for i := 0; i < rv.Len(); i++ {
		if i > 0 {
			if err := writeText(st, &b, sep); err != nil {
				return nil, err
			}
		}
		if err := writeText(st, &b, rv.Index(i).Interface()); err != nil {
			return nil, err
		}
	}
	return b.String(), nil
}

func fnString(a ...any) (any, error) {
	st := a[0].(*state)
	if a[1] == nil {
		return "", nil
	}
	s, err := scalarText(a[1])
	if err != nil {
		return nil, err
	}
	if err := st.grow(len(s)); err != nil {
		return nil, err
	}
	return s, nil
}

func fnLen(a ...any) (any, error) {
	switch x := a[0].(type) {
	case nil:
		return 0, nil
	case string:
		return utf8.RuneCountInString(x), nil
	case []string:
		return len(x), nil
	case []any:
		return len(x), nil
	}
	rv := reflect.ValueOf(a[0])
	switch rv.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map, reflect.String:
		return rv.Len(), nil
	}
	return nil, argError("len", "a %s has no length", describe(a[0]))
}

// ---- numbers ----

func numMap(op func(float64) float64) func(a ...any) (any, error) {
	return func(a ...any) (any, error) {
		if a[0] == nil {
			return nil, nil
		}
		f, ok := number(a[0])
		if !ok {
			return nil, argError("number", "%v is not a number", a[0])
		}
		return op(f), nil
	}
}

// fnRound rounds half away from zero on the number's shortest decimal
// form, so round(1.005, 2) is 1.01 as a person expects (binary floating
// point holds 1.00499999…).
func fnRound(a ...any) (any, error) {
	if a[0] == nil {
		return nil, nil
	}
	x, ok := number(a[0])
	if !ok {
		return nil, argError("round", "%v is not a number", a[0])
	}
	digits := 0
	if len(a) > 1 {
		if a[1] == nil {
			return nil, nil
		}
		d, ok := number(a[1])
		if !ok || d != math.Trunc(d) || d < -15 || d > 15 {
			return nil, argError("round", "digits must be a whole number from -15 to 15")
		}
		digits = int(d)
	}
	return roundHalfAway(x, digits), nil
}

func roundHalfAway(x float64, digits int) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	if digits < 0 {
		p := math.Pow(10, float64(-digits))
		return math.Round(x/p) * p
	}
	s := strconv.FormatFloat(x, 'f', -1, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	if len(frac) <= digits {
		return x
	}
	keep := intPart + frac[:digits]
	up := frac[digits] >= '5'
	// Increment the kept digits as a decimal string.
	b := []byte(keep)
	if up {
		i := len(b) - 1
		for ; i >= 0; i-- {
			if b[i] == '9' {
				b[i] = '0'
				continue
			}
			b[i]++
			break
		}
		if i < 0 {
			b = append([]byte{'1'}, b...)
		}
	}
	str := string(b)
	if digits > 0 {
		str = str[:len(str)-digits] + "." + str[len(str)-digits:]
	}
	r, err := strconv.ParseFloat(str, 64)
	if err != nil {
		return math.Round(x)
	}
	if neg {
		r = -r
	}
	return r
}

// fnMod is the remainder of a / b with the sign of a (a % b).
func fnMod(a ...any) (any, error) {
	if a[0] == nil || a[1] == nil {
		return nil, nil
	}
	x, ok1 := number(a[0])
	y, ok2 := number(a[1])
	if !ok1 || !ok2 {
		return nil, argError("mod", "%v and %v must be numbers", a[0], a[1])
	}
	if y == 0 {
		return nil, argError("mod", "division by zero")
	}
	return math.Mod(x, y), nil
}

// ---- values ----

// blank: nil, text that is empty or only spaces, an empty list or map.
func blank(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(x) == ""
	case []string:
		return len(x) == 0
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// empty is what coalesce skips: nil, "" and empty lists.
func empty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []string:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	return false
}

func fnCoalesce(a ...any) (any, error) {
	for _, v := range a {
		if !empty(v) {
			return v, nil
		}
	}
	return nil, nil
}

// sameType is the result type of a function returning one of its
// arguments: their common type, ignoring nil and untyped ones; a mix of
// whole and fractional numbers is a number; any other mix is an error.
func sameType(fn string) func(args []reflect.Type) (reflect.Type, error) {
	return func(args []reflect.Type) (reflect.Type, error) {
		var out reflect.Type
		for _, t := range args {
			if t == nil || t.Kind() == reflect.Interface {
				continue
			}
			switch {
			case out == nil:
				out = t
			case out == t:
			case isNumberType(out) && isNumberType(t):
				out = reflect.TypeOf(float64(0))
			case out.Kind() == reflect.Slice && t.Kind() == reflect.Slice:
				out = reflect.TypeOf([]any{})
			default:
				return nil, fmt.Errorf("the arguments of %s must be of one type (%v and %v)", fn, out, t)
			}
		}
		if out == nil {
			return anyType, nil
		}
		return out, nil
	}
}

func isNumberType(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// fnChanged: on update, whether the field's value differs between Old
// and Record; on create (Old nil), whether the field is set (neither
// null nor "" nor an empty list — false is set).
func fnChanged(a ...any) (any, error) {
	st := a[0].(*state)
	key, _ := a[1].(string)
	k := st.prog.kinds[key]
	now := st.vars.Record[key]
	if st.vars.Old == nil {
		return !empty(now), nil
	}
	x, ok1 := convert(k, now)
	y, ok2 := convert(k, st.vars.Old[key])
	if !ok1 || !ok2 {
		return !reflect.DeepEqual(now, st.vars.Old[key]), nil
	}
	return !sameValue(x, y), nil
}

// sameValue compares two converted values.
func sameValue(a, b any) bool {
	if empty(a) || empty(b) {
		return empty(a) && empty(b)
	}
	switch x := a.(type) {
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y)
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case []string:
		y, ok := b.([]string)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

// ---- operators ----

// compare builds a nil-safe ordering operator: false when either side is
// nil (an empty field matches no comparison, as in filters); numbers,
// dates and text directly, anything else through expr-lang's runtime
// (which fails on mismatched kinds).
func compare(ok func(int) bool, slow func(a, b any) bool) func(a, b any) bool {
	return func(x, y any) bool {
		if x == nil || y == nil {
			return false
		}
		switch l := x.(type) {
		case float64:
			switch r := y.(type) {
			case float64:
				return ok(cmpFloat(l, r))
			case int:
				return ok(cmpFloat(l, float64(r)))
			}
		case int:
			switch r := y.(type) {
			case int:
				return ok(cmpInt(l, r))
			case float64:
				return ok(cmpFloat(float64(l), r))
			}
		case time.Time:
			if r, isTime := y.(time.Time); isTime {
				return ok(l.Compare(r))
			}
		case string:
			if r, isText := y.(string); isText {
				return ok(strings.Compare(l, r))
			}
		}
		return slow(x, y)
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	case a == b:
		return 0
	}
	return 2 // NaN: only != holds, and no ordering operator uses it
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// add is +: numbers, dates plus durations, and text, whose bytes are
// counted. With text on one side a nil other side counts as "", otherwise
// nil makes the sum nil.
func add(st *state, x, y any) (any, error) {
	xs, xText := x.(string)
	ys, yText := y.(string)
	switch {
	case xText && yText:
	case xText && y == nil:
		return xs, nil
	case yText && x == nil:
		return ys, nil
	case x == nil || y == nil:
		return nil, nil
	default:
		if l, isF := x.(float64); isF {
			if r, isF := y.(float64); isF {
				return l + r, nil
			}
		}
		return runtime.Add(x, y), nil
	}
	if err := st.grow(len(xs) + len(ys)); err != nil {
		return nil, err
	}
	return xs + ys, nil
}

// arith makes a binary operator nil-safe: nil on either side gives nil.
func arith(op func(a, b any) any) func(a, b any) any {
	return func(a, b any) any {
		if a == nil || b == nil {
			return nil
		}
		return op(a, b)
	}
}

// describe names the kind of a run-time value for messages.
func describe(v any) string {
	switch v.(type) {
	case nil:
		return "empty value"
	case string:
		return "text"
	case bool:
		return "boolean"
	case time.Time:
		return "date"
	case time.Duration:
		return "duration"
	case []string, []any:
		return "list"
	case map[string]any:
		return "object"
	}
	if _, ok := number(v); ok {
		return "number"
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		return "list"
	case reflect.Map, reflect.Struct:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// formatNumber writes f as a JSON number: whole numbers without a
// fraction, others in their shortest form.
func formatNumber(f float64) string {
	if f == 0 {
		return "0"
	}
	if math.Abs(f) < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}
