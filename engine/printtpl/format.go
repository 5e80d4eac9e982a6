package printtpl

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
)

// formatter shows values as people read them, in the viewer's language
// and time zone.
type formatter struct {
	locale string
	loc    *time.Location
}

// label is the field's label in the viewer's language (system fields by
// their catalogue name).
func (f formatter) label(m *meta.Module, key string) string {
	if fld := m.Field(key); fld != nil {
		if l := fld.Label.In(f.locale); l != "" {
			return l
		}
		return key
	}
	return i18n.T(f.locale, i18n.M("printtpl.system."+key))
}

// value is rec's value of key as text; "" for none. Lookups and users
// show the title of what they point to (expanded, as the viewer may read
// it), never an id.
func (f formatter) value(m *meta.Module, key string, rec store.Record) string {
	v := rec[key]
	if v == nil {
		return ""
	}
	fld := m.Field(key)
	if fld == nil { // system fields
		switch key {
		case "created_at", "updated_at":
			return f.instant(v)
		case "owner", "created_by", "updated_by":
			return f.title(rec, key)
		}
		return fmt.Sprint(v)
	}
	switch fld.Type.Name() {
	case "select":
		return f.option(fld, fmt.Sprint(v))
	case "multiselect":
		var parts []string
		if list, ok := v.([]any); ok {
			for _, x := range list {
				parts = append(parts, f.option(fld, fmt.Sprint(x)))
			}
		}
		return strings.Join(parts, "、")
	case "percent":
		return Percent(fmt.Sprint(v))
	}
	c := fld.Column()
	switch c.Kind {
	case meta.ColRef:
		return f.title(rec, key)
	case meta.ColBool:
		if b, _ := v.(bool); b {
			return i18n.T(f.locale, i18n.M("printtpl.yes"))
		}
		return i18n.T(f.locale, i18n.M("printtpl.no"))
	case meta.ColTime:
		return f.instant(v)
	case meta.ColDecimal:
		return Decimal(fmt.Sprint(v), c.Scale)
	case meta.ColJSON:
		b, _ := json.Marshal(v)
		return string(b)
	}
	return fmt.Sprint(v)
}

func (f formatter) option(fld *meta.Field, v string) string {
	for _, o := range fld.Options {
		if o.Value == v {
			if l := o.Label.In(f.locale); l != "" {
				return l
			}
		}
	}
	return v
}

// title is the "_title" of the record expanded under key.
func (f formatter) title(rec store.Record, key string) string {
	ex, _ := rec["expand"].(map[string]any)
	t, _ := ex[key].(store.Record)
	if t == nil {
		if m, ok := ex[key].(map[string]any); ok {
			t = m
		}
	}
	if s, ok := t["_title"].(string); ok {
		return s
	}
	return ""
}

func (f formatter) instant(v any) string {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case string:
		var err error
		if t, err = time.Parse(time.RFC3339Nano, x); err != nil {
			return x
		}
	default:
		return fmt.Sprint(v)
	}
	return t.In(f.loc).Format("2006-01-02 15:04")
}

// Percent shows a stored fraction as a percentage, exactly (on the digit
// string, never through float64): "0.2500" → "25%", "0.125" → "12.5%".
// Anything that is not a plain decimal is returned as it is.
func Percent(s string) string {
	neg := strings.HasPrefix(s, "-")
	intPart, frac, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	for _, r := range intPart + frac {
		if r < '0' || r > '9' {
			return s
		}
	}
	if intPart+frac == "" {
		return s
	}
	frac += "00"
	ip := strings.TrimLeft(intPart+frac[:2], "0")
	if ip == "" {
		ip = "0"
	}
	out := ip
	if fp := strings.TrimRight(frac[2:], "0"); fp != "" {
		out += "." + fp
	}
	if neg && out != "0" {
		out = "-" + out
	}
	return out + "%"
}

// Decimal shows a decimal number with scale fraction digits (rounded half
// away from zero) and thousands separators: "12000" → "12,000.00".
// Anything that is not a plain decimal is returned as it is.
func Decimal(s string, scale int) string {
	neg := strings.HasPrefix(s, "-")
	digits := strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(digits, ".")
	for _, r := range intPart + frac {
		if r < '0' || r > '9' {
			return s
		}
	}
	if intPart == "" {
		intPart = "0"
	}
	// Round to scale digits on the digit string, exactly.
	frac += strings.Repeat("0", scale+1)
	keep := []byte(intPart + frac[:scale])
	if frac[scale] >= '5' {
		i := len(keep) - 1
		for ; i >= 0; i-- {
			if keep[i] == '9' {
				keep[i] = '0'
				continue
			}
			keep[i]++
			break
		}
		if i < 0 {
			keep = append([]byte{'1'}, keep...)
		}
	}
	ip, fp := string(keep[:len(keep)-scale]), string(keep[len(keep)-scale:])
	ip = strings.TrimLeft(ip, "0")
	if ip == "" {
		ip = "0"
	}
	var b strings.Builder
	for i, r := range ip {
		if i > 0 && (len(ip)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	out := b.String()
	if scale > 0 {
		out += "." + fp
	}
	if neg && strings.Trim(out, "0.,") != "" {
		out = "-" + out
	}
	return out
}
