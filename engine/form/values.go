package form

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tessera-app/tessera/engine/meta"
)

// Limits on untrusted values. The jsonschema library turns every number
// into a big.Rat; an exponent like 1e999999999 would make it fail (and
// then dereference nil) or burn CPU, so such numbers never reach it.
const (
	maxNumberLen = 1000 // characters of one number literal
	maxExponent  = 1000 // |e| of a number literal
	maxDepth     = 128  // nesting of arrays/objects inside one value
)

var (
	errSyntax = errors.New("not a JSON number")
	errRange  = errors.New("number out of range")
)

// number is a parsed decimal: value = (neg ? -1 : 1) × 0.digits × 10^pos,
// with digits free of leading and trailing zeros ("" for zero). Two numbers
// are equal exactly when their structs are equal.
type number struct {
	neg    bool
	digits string
	pos    int
}

// parseNumber parses a JSON number literal (RFC 8259 grammar only).
func parseNumber(s string) (number, error) {
	if s == "" {
		return number{}, errSyntax
	}
	if len(s) > maxNumberLen {
		return number{}, errRange
	}
	i := 0
	neg := false
	if s[0] == '-' {
		neg = true
		i++
	}
	start := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	intPart := s[start:i]
	if intPart == "" || (len(intPart) > 1 && intPart[0] == '0') {
		return number{}, errSyntax
	}
	var frac string
	if i < len(s) && s[i] == '.' {
		i++
		fs := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		frac = s[fs:i]
		if frac == "" {
			return number{}, errSyntax
		}
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		es := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if es == i {
			return number{}, errSyntax
		}
		ed := strings.TrimLeft(s[es:i], "0")
		if len(ed) > 4 {
			return number{}, errRange
		}
		if ed != "" {
			exp, _ = strconv.Atoi(ed)
		}
		if exp > maxExponent {
			return number{}, errRange
		}
		if eneg {
			exp = -exp
		}
	}
	if i != len(s) {
		return number{}, errSyntax
	}
	digits := intPart + frac
	pos := len(intPart) + exp
	t := strings.TrimLeft(digits, "0")
	pos -= len(digits) - len(t)
	digits = strings.TrimRight(t, "0")
	if digits == "" {
		return number{}, nil
	}
	return number{neg: neg, digits: digits, pos: pos}, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isInt reports whether n is a whole number.
func (n number) isInt() bool { return len(n.digits) <= n.pos }

// intDigits is the number of digits before the decimal point (0 for |n| < 1).
func (n number) intDigits() int { return max(n.pos, 0) }

// fracDigits is the number of significant digits after the decimal point.
func (n number) fracDigits() int { return max(len(n.digits)-n.pos, 0) }

// int64 returns n when it is whole and fits an int64.
func (n number) int64() (int64, bool) {
	if !n.isInt() {
		return 0, false
	}
	if n.digits == "" {
		return 0, true
	}
	if n.pos > 19 {
		return 0, false
	}
	s := n.digits + strings.Repeat("0", n.pos-len(n.digits))
	if n.neg {
		s = "-" + s
	}
	i, err := strconv.ParseInt(s, 10, 64)
	return i, err == nil
}

// numberLiteral returns the decimal text of a numeric Go value.
func numberLiteral(v any) (string, bool) {
	switch x := v.(type) {
	case json.Number:
		return string(x), true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "", false
		}
		return strconv.FormatFloat(x, 'g', -1, 64), true
	case float32:
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return "", false
		}
		return strconv.FormatFloat(f, 'g', -1, 32), true
	case int:
		return strconv.FormatInt(int64(x), 10), true
	case int8:
		return strconv.FormatInt(int64(x), 10), true
	case int16:
		return strconv.FormatInt(int64(x), 10), true
	case int32:
		return strconv.FormatInt(int64(x), 10), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case uint:
		return strconv.FormatUint(uint64(x), 10), true
	case uint8:
		return strconv.FormatUint(uint64(x), 10), true
	case uint16:
		return strconv.FormatUint(uint64(x), 10), true
	case uint32:
		return strconv.FormatUint(uint64(x), 10), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	}
	return "", false
}

// isNumber reports whether v is a Go value the validator treats as a JSON number.
func isNumber(v any) bool {
	switch v.(type) {
	case json.Number, float64, float32, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return true
	}
	return false
}

// checkValue checks that v is a JSON value this package and the schema
// library can handle safely, and that the store can keep. It returns an
// error code, "" when v is fine.
func checkValue(v any, depth int) string {
	switch x := v.(type) {
	case nil, bool:
		return ""
	case string:
		if !utf8.ValidString(x) || strings.IndexByte(x, 0) >= 0 {
			return "invalid_char"
		}
		return ""
	case []any:
		if depth >= maxDepth {
			return "too_deep"
		}
		for _, e := range x {
			if c := checkValue(e, depth+1); c != "" {
				return c
			}
		}
		return ""
	case map[string]any:
		if depth >= maxDepth {
			return "too_deep"
		}
		for k, e := range x {
			if !utf8.ValidString(k) || strings.IndexByte(k, 0) >= 0 {
				return "invalid_char"
			}
			if c := checkValue(e, depth+1); c != "" {
				return c
			}
		}
		return ""
	}
	if !isNumber(v) {
		return "invalid" // not a JSON value (only possible from Go callers)
	}
	lit, ok := numberLiteral(v)
	if !ok {
		return "out_of_range" // NaN or ±Inf
	}
	if _, err := parseNumber(lit); err != nil {
		if err == errRange {
			return "out_of_range"
		}
		return "invalid"
	}
	return ""
}

// normalizeStored brings a stored value into the JSON form Create returns:
// the store decodes integers as int64 and json columns as json.RawMessage.
func normalizeStored(f *meta.Field, v any) any {
	switch x := v.(type) {
	case json.RawMessage:
		return decodeRaw(x)
	case time.Time:
		if f != nil && f.Column().Kind == meta.ColDate {
			return x.Format("2006-01-02")
		}
		return x.UTC().Format(time.RFC3339Nano)
	}
	if isNumber(v) {
		if _, ok := v.(json.Number); !ok {
			if lit, ok := numberLiteral(v); ok {
				return json.Number(lit)
			}
		}
	}
	return v
}

func decodeRaw(raw json.RawMessage) any {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return raw // checkValue reports it
	}
	return v
}

// equalValue reports whether a and b are the same JSON value: numbers
// compare by value (1.50 = 1.5), date-time strings by instant.
func equalValue(f *meta.Field, a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if isNumber(a) || isNumber(b) {
		la, oka := numberLiteral(a)
		lb, okb := numberLiteral(b)
		if !oka || !okb {
			return false
		}
		na, erra := parseNumber(la)
		nb, errb := parseNumber(lb)
		if erra != nil || errb != nil {
			return la == lb
		}
		return na == nb
	}
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		if !ok {
			return false
		}
		if x == y {
			return true
		}
		if f != nil && f.Column().Kind == meta.ColTime {
			tx, errx := time.Parse(time.RFC3339Nano, x)
			ty, erry := time.Parse(time.RFC3339Nano, y)
			return errx == nil && erry == nil && tx.Equal(ty)
		}
		return false
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalValue(nil, x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !equalValue(nil, xv, yv) {
				return false
			}
		}
		return true
	}
	return false
}

// cloneJSON deep-copies a JSON value, so defaults shared by every record
// are never handed out for the caller to mutate.
func cloneJSON(v any) any {
	switch x := v.(type) {
	case []any:
		c := make([]any, len(x))
		for i, e := range x {
			c[i] = cloneJSON(e)
		}
		return c
	case map[string]any:
		c := make(map[string]any, len(x))
		for k, e := range x {
			c[k] = cloneJSON(e)
		}
		return c
	}
	return v
}
