package export

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
)

// kind is how a column's values are written.
type kind int

const (
	kindText kind = iota
	kindInteger
	kindNumber
	kindCurrency
	kindPercent
	kindDate
	kindDateTime
	kindBool
	kindSelect // one option, shown by its localized label
	kindMulti  // several options, labels joined
	kindRef    // a lookup or user, shown by its title or name
	kindJSON
)

// column is one exported column.
type column struct {
	key, label string
	kind       kind
	scale      int          // decimals of decimal and currency columns (-1: as stored)
	target     *meta.Module // lookup target; nil for users
	options    map[string]string
}

// systemColumns are the system keys an export may name, and their kinds.
var systemColumns = map[string]kind{
	"id": kindText, "created_at": kindDateTime, "updated_at": kindDateTime,
	"owner": kindRef, "created_by": kindRef, "updated_by": kindRef,
}

// columns are the fields asked for — each a field of m visible to the
// caller, or a system key — or by default every visible field of m.
func (s *Service) columns(ctx context.Context, m *meta.Module, r *access.ModuleRights, keys []string, locale string) ([]column, error) {
	if len(keys) == 0 {
		for _, f := range m.Fields {
			if !r.Hidden(f.Key) {
				keys = append(keys, f.Key)
			}
		}
	}
	seen := map[string]bool{}
	out := make([]column, 0, len(keys))
	for _, key := range keys {
		if seen[key] {
			return nil, errs.New(errs.Invalid, "export.duplicate_field", "field", key)
		}
		seen[key] = true
		if k, ok := systemColumns[key]; ok {
			out = append(out, column{key: key, label: i18n.T(locale, i18n.M("export.column."+key)), kind: k})
			continue
		}
		f := m.Field(key)
		if f == nil || r.Hidden(key) { // a hidden field is refused like an unknown one
			return nil, errs.New(errs.Invalid, "export.bad_field", "field", key)
		}
		c, err := s.fieldColumn(ctx, m, f, locale)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func (s *Service) fieldColumn(ctx context.Context, m *meta.Module, f *meta.Field, locale string) (column, error) {
	c := column{key: f.Key, label: f.Label.In(locale), scale: -1}
	if c.label == "" {
		c.label = f.Key
	}
	col := f.Column()
	switch f.Type.Name() {
	case "select", "multiselect":
		c.kind = kindSelect
		if f.Type.Name() == "multiselect" {
			c.kind = kindMulti
		}
		c.options = make(map[string]string, len(f.Options))
		for _, o := range f.Options {
			if l := o.Label.In(locale); l != "" {
				c.options[o.Value] = l
			}
		}
		return c, nil
	case "currency":
		c.kind, c.scale = kindCurrency, col.Scale
		return c, nil
	case "percent":
		c.kind = kindPercent
		return c, nil
	}
	switch col.Kind {
	case meta.ColInteger:
		c.kind = kindInteger
	case meta.ColFloat:
		c.kind = kindNumber
	case meta.ColDecimal:
		c.kind, c.scale = kindNumber, col.Scale
	case meta.ColBool:
		c.kind = kindBool
	case meta.ColDate:
		c.kind = kindDate
	case meta.ColTime:
		c.kind = kindDateTime
	case meta.ColJSON:
		c.kind = kindJSON
	case meta.ColRef:
		c.kind = kindRef
		if !col.RefUsers {
			t, err := s.Modules.Module(ctx, m.AppKey, col.RefModule)
			if err != nil {
				return c, err
			}
			c.target = t
		}
	}
	return c, nil
}

// date is a calendar date (no time of day, no zone).
type date struct{ time.Time }

// value is a record's value v for the column as a typed Go value: nil,
// string, int64, float64, bool, date or time.Time (in the caller's zone).
// titles are the names of what the page's ref values point to.
func (c column) value(v any, titles map[string]string, p *Plan) any {
	if v == nil {
		return nil
	}
	switch c.kind {
	case kindInteger, kindNumber, kindCurrency, kindPercent:
		n, ok := v.(json.Number)
		if !ok {
			if i, ok := v.(int64); ok {
				return i
			}
			return nil
		}
		if c.kind == kindInteger {
			if i, err := n.Int64(); err == nil {
				return i
			}
		}
		f, err := n.Float64()
		if err != nil {
			return n.String()
		}
		return f
	case kindBool:
		b, _ := v.(bool)
		return b
	case kindDate:
		s, _ := v.(string)
		t, err := time.Parse(store.DateLayout, s)
		if err != nil {
			return s
		}
		return date{t}
	case kindDateTime:
		s, _ := v.(string)
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return s
		}
		return t.In(p.loc)
	case kindSelect:
		s, _ := v.(string)
		if l, ok := c.options[s]; ok {
			return l
		}
		return s
	case kindMulti:
		var vals []string
		_ = json.Unmarshal(raw(v), &vals)
		for i, s := range vals {
			if l, ok := c.options[s]; ok {
				vals[i] = l
			}
		}
		return strings.Join(vals, ", ")
	case kindRef:
		id, _ := v.(string)
		// What the caller may not read shows as nothing, not as an id.
		return titles[id]
	case kindJSON:
		return string(raw(v))
	}
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	}
	return string(raw(v))
}

func raw(v any) []byte {
	switch x := v.(type) {
	case json.RawMessage:
		return x
	case string:
		return []byte(x)
	}
	b, _ := json.Marshal(v)
	return b
}

// text is a typed value as CSV and PDF show it.
func text(v any, c column) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		if c.scale >= 0 {
			return strconv.FormatFloat(x, 'f', c.scale, 64)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case date:
		return x.Format(store.DateLayout)
	case time.Time:
		return x.Format("2006-01-02 15:04:05")
	}
	return ""
}

func newToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func tokenEqual(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
