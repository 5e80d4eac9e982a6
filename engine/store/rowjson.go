package store

import (
	"encoding/json"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/tessera-app/tessera/engine/meta"
)

// The JSON of Rows, written from the scanned driver values without the
// map form: keys in schema order (system keys, then fields, then
// "expand"), each value appended by its column kind. It writes exactly
// the JSON encoding/json writes for the map form — Decode's value,
// escaped the same way (HTML characters, U+2028/2029, invalid UTF-8) —
// only in another key order; rowjson_test.go holds it to that for every
// kind and driver type. A value it has no fast way for (a JSON column, a
// driver type Decode passes through) goes through Decode and
// encoding/json, so the two cannot disagree there either.

// AppendJSON appends row i as a JSON object.
func (r *Rows) AppendJSON(b []byte, i int) ([]byte, error) {
	row := r.row(i)
	b = append(b, '{')
	first := true
	var err error
	for j, c := range r.shape.cols {
		if r.omit[j] || (j == deletedCol && row[j] == nil) {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, c.name...)
		if b, err = appendValue(b, c.c, row[j]); err != nil {
			return nil, err
		}
	}
	if ex := r.expansions(i); ex != nil {
		if !first {
			b = append(b, ',')
		}
		raw, err := json.Marshal(ex)
		if err != nil {
			return nil, err
		}
		b = append(b, `"expand":`...)
		b = append(b, raw...)
	}
	return append(b, '}'), nil
}

// AppendJSON appends the page as the JSON of Page: the records, then the
// cursor and the total when set.
func (p *RowPage) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"records":[`...)
	var err error
	for i := 0; i < p.Rows.Len(); i++ {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = p.Rows.AppendJSON(b, i); err != nil {
			return nil, err
		}
	}
	b = append(b, ']')
	if p.Next != "" {
		b = append(b, `,"next_cursor":`...)
		b = appendString(b, p.Next)
	}
	if p.Total != nil {
		b = strconv.AppendInt(append(b, `,"total":`...), *p.Total, 10)
	}
	if p.TotalExact != nil {
		b = strconv.AppendBool(append(b, `,"total_exact":`...), *p.TotalExact)
	}
	if p.TotalEstimate != nil {
		b = strconv.AppendInt(append(b, `,"total_estimate":`...), *p.TotalEstimate, 10)
	}
	return append(b, '}'), nil
}

// appendValue appends the JSON of Decode(c, v).
func appendValue(b []byte, c meta.Column, v any) ([]byte, error) {
	if v == nil {
		return append(b, "null"...), nil
	}
	if s, ok := v.([]byte); ok {
		v = string(s)
	}
	switch c.Kind {
	case meta.ColInteger:
		switch x := v.(type) {
		case int64:
			return strconv.AppendInt(b, x, 10), nil
		case float64:
			return strconv.AppendInt(b, int64(x), 10), nil
		case string:
			n, _ := strconv.ParseInt(x, 10, 64)
			return strconv.AppendInt(b, n, 10), nil
		}
	case meta.ColFloat, meta.ColDecimal:
		switch x := v.(type) {
		case int64:
			return strconv.AppendInt(b, x, 10), nil
		case string:
			if n := trimDecimal(x); plainNumber(n) {
				return append(b, n...), nil
			}
		case float64:
			if !math.IsNaN(x) && !math.IsInf(x, 0) { // those are no JSON numbers: the error below
				return appendFloat(b, x), nil
			}
		}
	case meta.ColBool:
		switch x := v.(type) {
		case bool:
			return strconv.AppendBool(b, x), nil
		case int64:
			return strconv.AppendBool(b, x != 0), nil
		}
	case meta.ColDate:
		switch x := v.(type) {
		case time.Time:
			return appendASCII(b, x, DateLayout), nil
		case string:
			if len(x) > 10 {
				x = x[:10]
			}
			return appendString(b, x), nil
		}
	case meta.ColTime:
		switch x := v.(type) {
		case time.Time:
			return appendASCII(b, x.UTC(), time.RFC3339Nano), nil
		case string:
			if n, ok := storedInstant(x); ok {
				b = append(b, '"')
				b = append(b, x[:n]...)
				return append(b, 'Z', '"'), nil
			}
		}
	case meta.ColRef:
		switch x := v.(type) {
		case [16]byte:
			b = append(b, '"')
			b = append(b, uuid.UUID(x).String()...)
			return append(b, '"'), nil
		case string:
			return appendString(b, x), nil
		}
	case meta.ColJSON:
		// Rare and already JSON: encoding/json compacts and escapes it.
	default:
		if s, ok := v.(string); ok {
			return appendString(b, s), nil
		}
	}
	raw, err := json.Marshal(Decode(c, v))
	if err != nil {
		return nil, err
	}
	return append(b, raw...), nil
}

// appendASCII appends t formatted with layout, quoted: the layouts used
// here write only digits and -:.TZ+, which need no escaping.
func appendASCII(b []byte, t time.Time, layout string) []byte {
	b = append(b, '"')
	b = t.AppendFormat(b, layout)
	return append(b, '"')
}

// storedInstant reads SQLite's fixed-width UTC instant
// (2006-01-02T15:04:05.000000Z, see TimeArg) for Decode's RFC 3339 form
// without parsing it: that form is s[:n] + "Z" — the fraction's trailing
// zeros go, and the point with them when nothing is left. Anything else
// (other widths, a day past 28, which only parsing can check against its
// month) is not handled.
func storedInstant(s string) (n int, ok bool) {
	const layout = "0000-00-00T00:00:00.000000Z"
	if len(s) != len(layout) {
		return 0, false
	}
	for i := 0; i < len(layout); i++ {
		if layout[i] == '0' {
			if s[i] < '0' || s[i] > '9' {
				return 0, false
			}
		} else if s[i] != layout[i] {
			return 0, false
		}
	}
	two := func(i int) int { return int(s[i]-'0')*10 + int(s[i+1]-'0') }
	if mo, d := two(5), two(8); mo < 1 || mo > 12 || d < 1 || d > 28 || two(11) > 23 || two(14) > 59 || two(17) > 59 {
		return 0, false
	}
	end := len(s) - 1 // the Z
	for end > 20 && s[end-1] == '0' {
		end--
	}
	if end == 20 { // only the point is left
		end = 19
	}
	return end, true
}

// plainNumber reports whether n is a JSON number as encoding/json checks a
// json.Number (-?int frac? exp?); NaN, Inf and "" are not.
func plainNumber(n string) bool {
	i := 0
	if i < len(n) && n[i] == '-' {
		i++
	}
	digits := func() int {
		start := i
		for i < len(n) && n[i] >= '0' && n[i] <= '9' {
			i++
		}
		return i - start
	}
	switch {
	case i < len(n) && n[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(n) && n[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(n) && (n[i] == 'e' || n[i] == 'E') {
		i++
		if i < len(n) && (n[i] == '+' || n[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(n)
}

const hexDigits = "0123456789abcdef"

// plainASCII marks the bytes written as they are: ASCII but control
// characters, the quote, the backslash and <, > and &.
var plainASCII = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendString appends s as a JSON string escaped as encoding/json does
// by default: quotes, backslashes, control characters, <, > and &,
// U+2028 and U+2029; invalid UTF-8 becomes U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if plainASCII[s[i]] {
			i++
			continue
		}
		if c := s[i]; c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
