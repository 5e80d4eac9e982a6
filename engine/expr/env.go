package expr

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr/types"

	"github.com/tessera-app/tessera/engine/meta"
)

// vkind is the kind of value an expression variable holds: what a field's
// stored JSON value becomes inside an expression.
type vkind uint8

const (
	kAny      vkind = iota // json fields: whatever the JSON holds (numbers as float64)
	kText                  // string: text-like, select, lookup and user ids
	kNumber                // float64: number, integer, decimal, currency, percent
	kBool                  // bool; an empty boolean field reads as false
	kDate                  // time.Time at 00:00 UTC
	kDatetime              // time.Time in UTC
	kList                  // []string: multiselect; an empty one reads as []
)

var vkindNames = [...]string{"json", "text", "number", "boolean", "date", "datetime", "list"}

func (k vkind) String() string { return vkindNames[k] }

var (
	timeType     = reflect.TypeOf(time.Time{})
	durationType = reflect.TypeOf(time.Duration(0))
	anyType      = reflect.TypeOf((*any)(nil)).Elem()
)

// typ is the type the checker gives a variable of this kind.
func (k vkind) typ() types.Type {
	switch k {
	case kText:
		return types.String
	case kNumber:
		return types.Float64
	case kBool:
		return types.Bool
	case kDate, kDatetime:
		return types.TypeOf(time.Time{})
	case kList:
		return types.TypeOf([]string{})
	}
	return types.Any
}

// fieldKind maps a field to the kind of its expression variable. The
// column kind decides, so field types added later fall into place.
func fieldKind(f *meta.Field) vkind {
	switch f.Column().Kind {
	case meta.ColText, meta.ColRef:
		return kText
	case meta.ColInteger, meta.ColFloat, meta.ColDecimal:
		return kNumber
	case meta.ColBool:
		return kBool
	case meta.ColDate:
		return kDate
	case meta.ColTime:
		return kDatetime
	case meta.ColJSON:
		if f.Type != nil && f.Type.Name() == "multiselect" {
			return kList
		}
	}
	return kAny
}

// systemKinds are the system keys of a record an expression may read.
var systemKinds = map[string]vkind{
	"id": kText, "version": kNumber, "created_at": kDatetime, "updated_at": kDatetime,
	"created_by": kText, "updated_by": kText, "owner": kText,
}

// fieldKinds is what an expression may read of a record of m: its fields
// and the system keys.
func fieldKinds(m *meta.Module) map[string]vkind {
	out := make(map[string]vkind, len(systemKinds)+8)
	for k, v := range systemKinds {
		out[k] = v
	}
	if m != nil {
		for _, f := range m.Fields {
			out[f.Key] = fieldKind(f)
		}
	}
	return out
}

// envValue converts a stored (JSON form) value into what the expression
// sees. ok is false when the value does not fit the kind.
func envValue(k vkind, v any) (any, bool) {
	x, ok := convert(k, v)
	if x == nil && ok {
		switch k {
		case kBool:
			return false, true
		case kList:
			return []string{}, true
		}
	}
	return x, ok
}

// convert turns a JSON-form value into kind k; nil stays nil. Values
// already of the right Go type are returned as the same interface value,
// so that the hot path boxes nothing it does not have to.
func convert(k vkind, v any) (any, bool) {
	if v == nil {
		return nil, true
	}
	switch k {
	case kText:
		switch x := v.(type) {
		case string:
			return v, true
		case json.Number:
			return string(x), true
		case bool:
			return strconv.FormatBool(x), true
		}
		if f, ok := number(v); ok {
			return formatNumber(f), true
		}
		return nil, false
	case kNumber:
		if _, ok := v.(float64); ok {
			return v, true
		}
		if f, ok := number(v); ok {
			return f, true
		}
		if s, ok := v.(string); ok {
			if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
				return f, true
			}
		}
		return nil, false
	case kBool:
		_, ok := v.(bool)
		if ok {
			return v, true
		}
		return nil, false
	case kDate:
		if t, ok := toTime(v); ok {
			return dateOf(t), true
		}
		return nil, false
	case kDatetime:
		if t, ok := toTime(v); ok {
			return t, true
		}
		return nil, false
	case kList:
		return toList(v)
	}
	return jsonAny(v), true
}

// number converts Go and JSON numbers to float64.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		return f, err == nil && !math.IsInf(f, 0)
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	case int16:
		return float64(x), true
	case int8:
		return float64(x), true
	case uint:
		return float64(x), true
	case uint64:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint16:
		return float64(x), true
	case uint8:
		return float64(x), true
	case float32:
		return float64(x), true
	}
	return 0, false
}

// toTime reads a time.Time, an RFC 3339 date-time or a 2006-01-02 date, in UTC.
func toTime(v any) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x.UTC(), true
	case string:
		return parseTime(x)
	}
	return time.Time{}, false
}

func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if len(s) == len(dateLayout) {
		t, err := time.Parse(dateLayout, s)
		return t, err == nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

const dateLayout = "2006-01-02"

// dateOf is t's UTC calendar date at 00:00 UTC.
func dateOf(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// toList reads a multiselect value: a JSON array of strings, as decoded
// ([]any), typed ([]string) or still encoded (json.RawMessage, as the
// store returns JSON columns).
func toList(v any) (any, bool) {
	switch x := v.(type) {
	case []string:
		return v, true
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out[i] = s
		}
		return out, true
	case json.RawMessage:
		return decodeList(x)
	case []byte:
		return decodeList(x)
	case string:
		return decodeList([]byte(x))
	}
	return nil, false
}

func decodeList(b []byte) (any, bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		return nil, true
	}
	var out []string
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, false
	}
	if out == nil {
		out = []string{}
	}
	return out, true
}

// jsonAny turns a json field's value into plain Go values the VM can
// compute with: numbers become float64, encoded JSON is decoded.
func jsonAny(v any) any {
	switch x := v.(type) {
	case json.RawMessage:
		return decodeAny(x)
	case []byte:
		return decodeAny(x)
	case json.Number:
		f, _ := number(x)
		return f
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonAny(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonAny(e)
		}
		return out
	}
	if f, ok := number(v); ok {
		return f
	}
	return v
}

func decodeAny(b []byte) any {
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil
	}
	return out
}
