package importer

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/xuri/excelize/v2"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/meta"
	"github.com/tessera-app/tessera/engine/store"
)

// Modes and error handlings a run may ask for.
const (
	ModeInsert   = "insert" // create a record per row (with a key: rows whose key exists are skipped)
	ModeUpsert   = "upsert" // update the record with the row's key, else create one
	OnErrorSkip  = "skip"   // bad rows are reported, the others written
	OnErrorAbort = "abort"  // one bad row and nothing is written
)

// Request is what a dry run and a run take: which column fills which
// field (column name → field key; a column not named, or named with "",
// is left out), the mode, the key field of an upsert (or of an insert
// that skips rows already there) and what a bad row does.
type Request struct {
	Mapping map[string]string `json:"mapping"`
	Mode    string            `json:"mode,omitempty"`
	Key     string            `json:"key,omitempty"`
	OnError string            `json:"on_error,omitempty"`
}

// writable reports whether the import may fill field f for these rights.
func writable(f *meta.Field, r *access.ModuleRights) bool {
	return !f.ReadOnly() && r.Field(f.Key) == access.FieldWrite
}

// normal is a header or label as matching compares them: case, width,
// white space and a required-marker asterisk do not count.
func normal(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "*"), "*")
	for _, suffix := range []string{"(必填)", "（必填）", "(required)"} {
		s = strings.TrimSuffix(s, suffix)
	}
	var b strings.Builder
	for _, r := range s {
		if r >= 0xFF01 && r <= 0xFF5E { // full-width ASCII
			r -= 0xFEE0
		}
		if unicode.IsSpace(r) || r == '_' || r == '-' {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// suggest maps each column whose header names a field the actor may fill
// — by key or by its label in either locale — to that field; a field is
// taken by the first column naming it.
func suggest(cols []string, m *meta.Module, r *access.ModuleRights) map[string]string {
	names := map[string]string{} // normal name → field key
	for _, f := range m.Fields {
		if !writable(f, r) {
			continue
		}
		for _, n := range []string{f.Key, f.Label[i18n.EN], f.Label[i18n.ZhCN]} {
			if k := normal(n); k != "" {
				if _, ok := names[k]; !ok {
					names[k] = f.Key
				}
			}
		}
	}
	out := map[string]string{}
	used := map[string]bool{}
	for _, c := range cols {
		if key, ok := names[normal(c)]; ok && !used[key] {
			out[c] = key
			used[key] = true
		}
	}
	return out
}

// column is one mapped column: its index in the rows, and its field.
type column struct {
	index int
	name  string
	field *meta.Field
	col   meta.Column
}

// check validates a request against the file's columns and what the
// actor may write of m, and fills in the defaults.
func check(req *Request, cols []string, m *meta.Module, r *access.ModuleRights) ([]column, error) {
	if req.Mode == "" {
		req.Mode = ModeInsert
	}
	if req.OnError == "" {
		req.OnError = OnErrorSkip
	}
	if req.Mode != ModeInsert && req.Mode != ModeUpsert {
		return nil, errs.New(errs.Invalid, "import.bad_mode", "mode", req.Mode)
	}
	if req.OnError != OnErrorSkip && req.OnError != OnErrorAbort {
		return nil, errs.New(errs.Invalid, "import.bad_on_error", "on_error", req.OnError)
	}
	index := make(map[string]int, len(cols))
	for i, c := range cols {
		index[c] = i
	}
	var out []column
	byField := map[string]string{}
	names := make([]string, 0, len(req.Mapping))
	for c := range req.Mapping {
		names = append(names, c)
	}
	slices.SortFunc(names, func(a, b string) int { return index[a] - index[b] })
	for _, c := range names {
		key := req.Mapping[c]
		if key == "" {
			continue
		}
		i, ok := index[c]
		if !ok {
			return nil, errs.New(errs.Invalid, "import.no_such_column", "column", c)
		}
		f := m.Field(key)
		if f == nil || r.Hidden(key) {
			return nil, errs.New(errs.Invalid, "import.no_such_field", "column", c, "field", key)
		}
		if !writable(f, r) {
			return nil, errs.New(errs.Invalid, "import.read_only_field", "column", c, "field", key)
		}
		if prev, ok := byField[key]; ok {
			return nil, errs.New(errs.Invalid, "import.field_twice", "field", key, "column", prev, "other", c)
		}
		byField[key] = c
		out = append(out, column{index: i, name: c, field: f, col: f.Column()})
	}
	if len(out) == 0 {
		return nil, errs.New(errs.Invalid, "import.no_mapping")
	}
	if req.Mode == ModeUpsert && req.Key == "" {
		return nil, errs.New(errs.Invalid, "import.key_required")
	}
	if req.Key != "" {
		f := m.Field(req.Key)
		if f == nil || r.Hidden(req.Key) {
			return nil, errs.New(errs.Invalid, "import.bad_key", "field", req.Key)
		}
		if !f.Unique {
			return nil, errs.New(errs.Invalid, "import.key_not_unique", "field", req.Key)
		}
		if _, ok := byField[req.Key]; !ok {
			return nil, errs.New(errs.Invalid, "import.key_not_mapped", "field", req.Key)
		}
	}
	return out, nil
}

// cellError is a problem with one cell, or with the whole row (column
// and field empty).
type cellError struct {
	Column, Field string
	Msg           i18n.Msg
}

// convert turns one cell into the value the field takes as JSON input
// (what the record API would be sent), or a problem. Lookups and users
// are resolved by the caller (ref reports them).
func (c column) convert(cell string, loc *time.Location, d1904 bool) (any, *i18n.Msg) {
	s := strings.TrimSpace(cell)
	bad := func(key string, kv ...any) (any, *i18n.Msg) {
		m := i18n.M(key, append([]any{"value", short(s)}, kv...)...)
		return nil, &m
	}
	switch c.field.Type.Name() {
	case "select":
		if v, ok := option(c.field, s); ok {
			return v, nil
		}
		return bad("import.bad_option", "options", optionList(c.field))
	case "multiselect":
		var vals []any
		for _, part := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(",，;；、\n", r) }) {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			v, ok := option(c.field, part)
			if !ok {
				m := i18n.M("import.bad_option", "value", short(part), "options", optionList(c.field))
				return nil, &m
			}
			if !slices.Contains(vals, any(v)) {
				vals = append(vals, v)
			}
		}
		return vals, nil
	case "percent":
		if strings.HasSuffix(s, "%") {
			n, ok := parseNumber(strings.TrimSuffix(s, "%"))
			if !ok {
				return bad("import.bad_number")
			}
			f, _ := strconv.ParseFloat(n, 64)
			return json.Number(strconv.FormatFloat(f/100, 'f', -1, 64)), nil
		}
	}
	switch c.col.Kind {
	case meta.ColInteger:
		n, ok := parseNumber(s)
		if !ok {
			return bad("import.bad_integer")
		}
		if f, err := strconv.ParseFloat(n, 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return json.Number(strconv.FormatInt(int64(f), 10)), nil
		}
		if _, err := strconv.ParseInt(n, 10, 64); err == nil {
			return json.Number(n), nil
		}
		return bad("import.bad_integer")
	case meta.ColFloat, meta.ColDecimal:
		n, ok := parseNumber(s)
		if !ok {
			return bad("import.bad_number")
		}
		if c.col.Kind == meta.ColDecimal {
			n = floatNoise(n, c.col.Scale)
		}
		return json.Number(n), nil
	case meta.ColBool:
		switch strings.ToLower(s) {
		case "1", "true", "yes", "y", "是", "对", "√", "✓", "x":
			return true, nil
		case "0", "false", "no", "n", "否", "错", "×":
			return false, nil
		}
		return bad("import.bad_bool")
	case meta.ColDate:
		if t, ok := parseTime(s, time.UTC, d1904); ok {
			return t.Format(store.DateLayout), nil
		}
		return bad("import.bad_date")
	case meta.ColTime:
		if t, ok := parseTime(s, loc, d1904); ok {
			return t.UTC().Format(time.RFC3339Nano), nil
		}
		return bad("import.bad_datetime")
	case meta.ColJSON:
		var v any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			return bad("import.bad_json")
		}
		return json.RawMessage(s), nil
	}
	if c.field.NoTrim {
		return cell, nil
	}
	return s, nil
}

// option is the value of the field's option whose value or label (in
// either locale, case aside) is s.
func option(f *meta.Field, s string) (string, bool) {
	for _, o := range f.Options {
		if o.Value == s {
			return o.Value, true
		}
	}
	n := normal(s)
	for _, o := range f.Options {
		if normal(o.Value) == n {
			return o.Value, true
		}
		for _, l := range o.Label {
			if normal(l) == n {
				return o.Value, true
			}
		}
	}
	return "", false
}

func optionList(f *meta.Field) string {
	var vals []string
	for i, o := range f.Options {
		if i == 20 {
			vals = append(vals, "…")
			break
		}
		vals = append(vals, o.Value)
	}
	return strings.Join(vals, ", ")
}

// parseNumber reads a number as people write them: thousands separators,
// a currency sign and surrounding blanks are dropped. It returns the
// number as a JSON literal.
func parseNumber(s string) (string, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimLeft(s, "¥￥$€£")
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(s, "元"), "CNY"))
	s = strings.ReplaceAll(s, ",", "")
	if s == "" || len(s) > 100 {
		return "", false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return "", false
	}
	// Keep the digits as written when they are a JSON number already.
	if json.Valid([]byte(s)) {
		return s, true
	}
	return strconv.FormatFloat(f, 'f', -1, 64), true
}

// floatNoise rounds n to scale decimals when what lies beyond them is
// only binary floating-point noise (a spreadsheet's 0.30000000000000004
// for 0.3), so that a decimal field takes it; a number with real digits
// past the scale is left for validation to refuse.
func floatNoise(n string, scale int) string {
	i := strings.IndexByte(n, '.')
	if i < 0 || len(n)-i-1 <= scale || strings.ContainsAny(n, "eE") {
		return n
	}
	f, err := strconv.ParseFloat(n, 64)
	if err != nil {
		return n
	}
	p := math.Pow10(scale)
	r := math.Round(f*p) / p
	if math.Abs(r-f) > 1e-9*math.Max(1, math.Abs(f)) {
		return n
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// dateLayouts are the ways a date or a time is accepted in a cell.
var dateLayouts = []string{
	"2006-01-02", "2006/01/02", "2006.01.02", "2006-1-2", "2006/1/2", "2006.1.2", "2006年1月2日", "20060102",
	"2006-01-02 15:04:05", "2006-01-02 15:04", "2006/01/02 15:04:05", "2006/01/02 15:04", "2006/1/2 15:04:05", "2006/1/2 15:04",
	"2006-1-2 15:04:05", "2006-1-2 15:04", "2006年1月2日 15:04:05", "2006年1月2日 15:04", "2006-01-02T15:04:05", "2006-01-02T15:04",
}

// parseTime reads a date or date-time cell in loc: a spreadsheet serial
// number, an RFC 3339 instant, or one of dateLayouts.
func parseTime(s string, loc *time.Location, d1904 bool) (time.Time, bool) {
	if f, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "-/") && len(s) != 8 {
		if f <= 0 || f > 2958465 { // 9999-12-31
			return time.Time{}, false
		}
		t, err := excelize.ExcelDateToTime(f, d1904)
		if err != nil {
			return time.Time{}, false
		}
		t = t.Round(time.Millisecond)
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc), true
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.In(loc), true
	}
	for _, l := range dateLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// short is a cell's text cut for a message.
func short(s string) string {
	if r := []rune(s); len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return s
}
