package i18n

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Stored messages: what is kept in the database instead of rendered text
// (notifications), so each reader sees it in their language at read time.
// Arguments keep their kind: a localized value is stored with its text in
// every locale ({"$text": {"en": …, "zh-CN": …}}), a nested message as
// {"$msg": {"key": …, "text": …, "args": …}}, anything else as plain JSON
// (rendered as it was given).

type storedMsg struct {
	Key  string         `json:"key,omitempty"`
	Text Text           `json:"text,omitempty"`
	Args map[string]any `json:"args,omitempty"`
}

// Encode returns m as JSON that Decode reads back.
func Encode(m Msg) ([]byte, error) { return json.Marshal(storable(m)) }

// Decode reads a message written by Encode.
func Decode(b []byte) (Msg, error) {
	var s storedMsg
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // numbers are shown as given (1000000, not 1e+06)
	if err := dec.Decode(&s); err != nil {
		return Msg{}, err
	}
	return fromStored(s), nil
}

func storable(m Msg) storedMsg {
	s := storedMsg{Key: m.Key, Text: m.Text}
	if len(m.Args) > 0 {
		s.Args = make(map[string]any, len(m.Args))
		for k, v := range m.Args {
			s.Args[k] = storeArg(v)
		}
	}
	return s
}

func storeArg(v any) any {
	switch x := v.(type) {
	case Msg:
		return map[string]any{"$msg": storable(x)}
	case Text:
		return map[string]any{"$text": x}
	case localized: // meta.Label and the like: their text in every locale
		t := Text{}
		for _, l := range Locales {
			t[l] = x.In(l)
		}
		return map[string]any{"$text": t}
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = storeArg(e)
		}
		return out
	case []Text:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = storeArg(e)
		}
		return out
	case nil, string, bool, float64, int, int64, json.Number, []string:
		return x
	default:
		return fmt.Sprint(x) // rendered as format would have
	}
}

func fromStored(s storedMsg) Msg {
	m := Msg{Key: s.Key, Text: s.Text}
	if len(s.Args) > 0 {
		m.Args = make(map[string]any, len(s.Args))
		for k, v := range s.Args {
			m.Args[k] = loadArg(v)
		}
	}
	return m
}

func loadArg(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if t, ok := x["$text"].(map[string]any); ok && len(x) == 1 {
			out := Text{}
			for l, s := range t {
				out[l], _ = s.(string)
			}
			return out
		}
		if raw, ok := x["$msg"]; ok && len(x) == 1 {
			b, _ := json.Marshal(raw)
			var s storedMsg
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.UseNumber()
			if dec.Decode(&s) == nil {
				return fromStored(s)
			}
		}
		b, _ := json.Marshal(x)
		return string(b)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = loadArg(e)
		}
		return out
	}
	return v
}
