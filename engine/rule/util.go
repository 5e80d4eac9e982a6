package rule

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/meta"
)

// messageOf renders a rule's own message in both languages, with {field}
// replaced by the record's value of field.
func messageOf(l meta.Label, rec map[string]any) i18n.Msg {
	text := i18n.Text{}
	for loc, s := range l {
		text[loc] = fillIn(s, rec)
	}
	return i18n.Msg{Key: "rule.message", Text: text}
}

// fillIn replaces {field} with the record's value of field.
func fillIn(s string, rec map[string]any) string {
	for k, v := range rec {
		if v != nil {
			s = strings.ReplaceAll(s, "{"+k+"}", fmt.Sprint(v))
		}
	}
	return s
}

// normalize makes JSON-form values comparable: numbers as float64, lists
// as []any.
func normalize(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return x.String()
		}
		return f
	case int64:
		return float64(x)
	case int:
		return float64(x)
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
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
