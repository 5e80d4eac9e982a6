package template

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Documents are handled as ordered JSON values: Go maps lose key order,
// and order matters (a module's properties are its form's order) and must
// survive a round trip byte for byte. A value is nil, bool, json.Number,
// string, []any or *Object.

// Object is a JSON object that keeps its keys' order.
type Object struct {
	Keys []string
	Vals map[string]any
}

// NewObject returns an empty object.
func NewObject() *Object { return &Object{Vals: map[string]any{}} }

// Get returns the value of key and whether it is there.
func (o *Object) Get(key string) (any, bool) {
	if o == nil {
		return nil, false
	}
	v, ok := o.Vals[key]
	return v, ok
}

// Str returns the string value of key ("" when absent or not a string).
func (o *Object) Str(key string) string {
	v, _ := o.Get(key)
	s, _ := v.(string)
	return s
}

// Obj returns the object value of key (nil when absent or not an object).
func (o *Object) Obj(key string) *Object {
	v, _ := o.Get(key)
	c, _ := v.(*Object)
	return c
}

// Set sets key, appending it when new.
func (o *Object) Set(key string, v any) {
	if _, ok := o.Vals[key]; !ok {
		o.Keys = append(o.Keys, key)
	}
	o.Vals[key] = v
}

// SetAfter sets a new key right after key after ("" = first), or in place
// when it is there already.
func (o *Object) SetAfter(after, key string, v any) {
	if _, ok := o.Vals[key]; ok {
		o.Vals[key] = v
		return
	}
	o.Vals[key] = v
	at := 0
	for i, k := range o.Keys {
		if k == after {
			at = i + 1
		}
	}
	o.Keys = append(o.Keys[:at], append([]string{key}, o.Keys[at:]...)...)
}

// Delete removes key.
func (o *Object) Delete(key string) {
	if _, ok := o.Vals[key]; !ok {
		return
	}
	delete(o.Vals, key)
	for i, k := range o.Keys {
		if k == key {
			o.Keys = append(o.Keys[:i], o.Keys[i+1:]...)
			break
		}
	}
}

// Rename gives key a new name in the same place.
func (o *Object) Rename(key, to string) {
	v, ok := o.Vals[key]
	if !ok {
		return
	}
	delete(o.Vals, key)
	o.Vals[to] = v
	for i, k := range o.Keys {
		if k == key {
			o.Keys[i] = to
		}
	}
}

// ParseJSON reads one JSON document, keeping key order; numbers stay as
// written (json.Number).
func ParseJSON(data []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	v, err := parseValue(d)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("unexpected data after the document")
	}
	return v, nil
}

func parseValue(d *json.Decoder) (any, error) {
	t, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch t := t.(type) {
	case json.Delim:
		switch t {
		case '{':
			o := NewObject()
			for d.More() {
				kt, err := d.Token()
				if err != nil {
					return nil, err
				}
				k := kt.(string)
				v, err := parseValue(d)
				if err != nil {
					return nil, err
				}
				if _, dup := o.Vals[k]; dup {
					return nil, fmt.Errorf("key %q appears twice", k)
				}
				o.Set(k, v)
			}
			_, err := d.Token()
			return o, err
		case '[':
			a := []any{}
			for d.More() {
				v, err := parseValue(d)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			_, err := d.Token()
			return a, err
		}
		return nil, fmt.Errorf("unexpected %v", t)
	default:
		return t, nil
	}
}

// ParseYAML reads one YAML document into the same ordered values.
func ParseYAML(data []byte) (any, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(data, &n); err != nil {
		return nil, err
	}
	if n.Kind == 0 {
		return nil, fmt.Errorf("the document is empty")
	}
	return fromYAML(&n)
}

func fromYAML(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		return fromYAML(n.Content[0])
	case yaml.AliasNode:
		return nil, fmt.Errorf("line %d: YAML aliases are not accepted", n.Line)
	case yaml.MappingNode:
		o := NewObject()
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if _, dup := o.Vals[k]; dup {
				return nil, fmt.Errorf("line %d: key %q appears twice", n.Content[i].Line, k)
			}
			v, err := fromYAML(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			o.Set(k, v)
		}
		return o, nil
	case yaml.SequenceNode:
		a := []any{}
		for _, c := range n.Content {
			v, err := fromYAML(c)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		return a, nil
	}
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		err := n.Decode(&b)
		return b, err
	case "!!int", "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return nil, err
		}
		if i, err := strconv.ParseInt(n.Value, 10, 64); err == nil {
			return json.Number(strconv.FormatInt(i, 10)), nil
		}
		return json.Number(strconv.FormatFloat(f, 'g', -1, 64)), nil
	}
	return n.Value, nil
}

// Encode writes v as indented JSON (two spaces, no HTML escaping, a final
// newline): the one form files are exported in, so equal documents are
// equal bytes.
func Encode(v any) []byte {
	var b bytes.Buffer
	encode(&b, v, "")
	b.WriteByte('\n')
	return b.Bytes()
}

// Compact writes v as JSON on one line (what services are sent).
func Compact(v any) []byte {
	var b bytes.Buffer
	encodeCompact(&b, v)
	return b.Bytes()
}

func encodeScalar(b *bytes.Buffer, v any) {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case json.Number:
		b.WriteString(v.String())
	case string:
		var s bytes.Buffer
		e := json.NewEncoder(&s)
		e.SetEscapeHTML(false)
		e.Encode(v)
		b.Write(bytes.TrimRight(s.Bytes(), "\n"))
	default:
		j, _ := json.Marshal(v)
		b.Write(j)
	}
}

func encode(b *bytes.Buffer, v any, indent string) {
	in := indent + "  "
	switch v := v.(type) {
	case *Object:
		if len(v.Keys) == 0 {
			b.WriteString("{}")
			return
		}
		b.WriteString("{\n")
		for i, k := range v.Keys {
			b.WriteString(in)
			encodeScalar(b, k)
			b.WriteString(": ")
			encode(b, v.Vals[k], in)
			if i < len(v.Keys)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(indent + "}")
	case []any:
		if len(v) == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteString("[\n")
		for i, e := range v {
			b.WriteString(in)
			encode(b, e, in)
			if i < len(v)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		b.WriteString(indent + "]")
	default:
		encodeScalar(b, v)
	}
}

func encodeCompact(b *bytes.Buffer, v any) {
	switch v := v.(type) {
	case *Object:
		b.WriteByte('{')
		for i, k := range v.Keys {
			if i > 0 {
				b.WriteByte(',')
			}
			encodeScalar(b, k)
			b.WriteByte(':')
			encodeCompact(b, v.Vals[k])
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			encodeCompact(b, e)
		}
		b.WriteByte(']')
	default:
		encodeScalar(b, v)
	}
}

// Equal reports whether two values are the same JSON (object key order
// does not count).
func Equal(a, b any) bool {
	switch a := a.(type) {
	case *Object:
		bo, ok := b.(*Object)
		if !ok || len(a.Keys) != len(bo.Keys) {
			return false
		}
		for _, k := range a.Keys {
			bv, ok := bo.Vals[k]
			if !ok || !Equal(a.Vals[k], bv) {
				return false
			}
		}
		return true
	case []any:
		ba, ok := b.([]any)
		if !ok || len(a) != len(ba) {
			return false
		}
		for i := range a {
			if !Equal(a[i], ba[i]) {
				return false
			}
		}
		return true
	case json.Number:
		bn, ok := b.(json.Number)
		if !ok {
			return false
		}
		if a == bn {
			return true
		}
		fa, e1 := a.Float64()
		fb, e2 := bn.Float64()
		return e1 == nil && e2 == nil && fa == fb
	default:
		return a == b
	}
}

// Clone copies v deeply.
func Clone(v any) any {
	switch v := v.(type) {
	case *Object:
		c := &Object{Keys: append([]string(nil), v.Keys...), Vals: make(map[string]any, len(v.Vals))}
		for k, e := range v.Vals {
			c.Vals[k] = Clone(e)
		}
		return c
	case []any:
		c := make([]any, len(v))
		for i, e := range v {
			c[i] = Clone(e)
		}
		return c
	}
	return v
}

// Plain converts v to what encoding/json would decode (maps, float64s):
// for showing values in a plan.
func Plain(v any) any {
	var out any
	json.Unmarshal(Compact(v), &out)
	return out
}

// pointer joins JSON-pointer tokens ("/a/b~1c").
func pointer(tokens ...string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(t))
	}
	return b.String()
}
