package audit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Change is one field's value before and after a write, in JSON form
// (null when the field was or became empty).
type Change struct {
	Before json.RawMessage `json:"before"`
	After  json.RawMessage `json:"after"`
}

// Diff compares before and after under keys and returns the keys whose
// values differ, with both values. A nil before (a create) yields every
// key that is set in after. Values are compared in canonical JSON, so a
// JSON field whose document was rewritten with the same content (object
// keys reordered, spacing) is unchanged, and 12.5 and 12.50 are equal.
func Diff(keys []string, before, after map[string]any) (map[string]Change, error) {
	out := map[string]Change{}
	for _, k := range keys {
		b, err := Canonical(before[k])
		if err != nil {
			return nil, fmt.Errorf("audit diff of %q: %w", k, err)
		}
		a, err := Canonical(after[k])
		if err != nil {
			return nil, fmt.Errorf("audit diff of %q: %w", k, err)
		}
		if !bytes.Equal(a, b) {
			out[k] = Change{Before: b, After: a}
		}
	}
	return out, nil
}

var null = json.RawMessage("null")

// Canonical returns v as compact JSON with sorted object keys, HTML left
// unescaped and numbers as written (trailing fraction zeros dropped). v is
// a value in the store's JSON form: nil, bool, string, int64, json.Number,
// json.RawMessage (JSON fields), or what encoding/json decodes to.
func Canonical(v any) (json.RawMessage, error) {
	switch x := v.(type) {
	case nil:
		return null, nil
	case json.RawMessage:
		if len(x) == 0 {
			return null, nil
		}
		dec := json.NewDecoder(bytes.NewReader(x))
		dec.UseNumber()
		var doc any
		if err := dec.Decode(&doc); err != nil {
			return nil, err
		}
		v = doc
	}
	return encode(normalize(v))
}

// normalize rewrites numbers to one spelling, recursively.
func normalize(v any) any {
	switch x := v.(type) {
	case json.Number:
		return json.Number(trimNumber(x.String()))
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	}
	return v
}

// trimNumber drops trailing zeros of a plain decimal fraction ("12.50" →
// "12.5", "3.0" → "3"); exponent forms are left alone.
func trimNumber(s string) string {
	if !strings.Contains(s, ".") || strings.ContainsAny(s, "eE") {
		return s
	}
	for len(s) > 0 && s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if len(s) > 0 && s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s
}

func encode(v any) (json.RawMessage, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// marshal encodes a document for the diff or detail column; nil and empty
// maps stay nil (SQL NULL).
func marshal[T any](m map[string]T) (json.RawMessage, error) {
	if len(m) == 0 {
		return nil, nil
	}
	return encode(m)
}
