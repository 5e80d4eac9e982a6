package form

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/meta"
)

const dealSchema = `{
  "type": "object",
  "properties": {
    "name":     {"minLength": 2, "maxLength": 10, "x-field": {"type": "text", "label": {"en": "Name", "zh-CN": "名称"}}},
    "email":    {"x-field": {"type": "email", "label": {"en": "Email", "zh-CN": "邮箱"}}},
    "qty":      {"minimum": 1, "maximum": 100, "x-field": {"type": "integer", "default": 1, "label": {"en": "Quantity", "zh-CN": "数量"}}},
    "seq":      {"x-field": {"type": "integer"}},
    "amount":   {"minimum": 0, "x-field": {"type": "currency", "label": {"en": "Amount", "zh-CN": "金额"}}},
    "rate":     {"x-field": {"type": "decimal", "precision": 5, "scale": 3}},
    "score":    {"x-field": {"type": "number"}},
    "stage":    {"x-field": {"type": "select", "default": "new", "options": [{"value": "new"}, {"value": "won"}, {"value": "lost"}]}},
    "tags":     {"maxItems": 2, "x-field": {"type": "multiselect", "label": {"en": "Tags", "zh-CN": "标签"}, "options": [{"value": "vip"}, {"value": "hot"}, {"value": "cold"}]}},
    "close_on": {"x-field": {"type": "date"}},
    "remind":   {"x-field": {"type": "datetime"}},
    "active":   {"x-field": {"type": "boolean", "default": true}},
    "meta":     {"x-field": {"type": "json"}},
    "code":     {"x-field": {"type": "autonumber", "prefix": "D-", "digits": 4}}
  },
  "required": ["name", "amount", "code"]
}`

func module(t testing.TB, id string, version int, schema string) *meta.Module {
	t.Helper()
	p, err := meta.ParseSchema([]byte(schema))
	if err != nil {
		t.Fatalf("parse schema: %v", err)
	}
	return &meta.Module{ID: id, Key: "deal", Version: version, Schema: p.Doc, Fields: p.Fields}
}

func validator(t testing.TB) *Validator {
	t.Helper()
	v, err := Compile(module(t, "", 1, dealSchema))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func decode(t testing.TB, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return m
}

// codes returns the field→code map of a validation error.
func codes(t *testing.T, err error) map[string]string {
	t.Helper()
	if err == nil {
		return nil
	}
	e, ok := errs.As(err)
	if !ok || e.Code != errs.Unprocessable {
		t.Fatalf("want 422 *errs.Error, got %v", err)
	}
	got := map[string]string{}
	for _, fe := range e.Fields {
		if _, dup := got[fe.Field]; dup {
			t.Fatalf("field %q reported twice: %v", fe.Field, e)
		}
		got[fe.Field] = fe.Code
	}
	return got
}

func TestCreateValid(t *testing.T) {
	v := validator(t)
	out, err := v.Create(decode(t, `{
		"id": "x", "version": 3, "owner": "u", "created_at": "2020-01-01T00:00:00Z", "expand": "account",
		"name": "Acme", "email": "a@example.com", "amount": 12.5, "rate": 12.345,
		"seq": 9223372036854775807, "score": 1.5e10,
		"tags": ["vip", "hot"], "close_on": "2026-02-28", "remind": "2026-01-31T09:30:00+08:00",
		"meta": {"nested": [1, {"a": null}], "s": "x"}, "email": null
	}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"name": "Acme", "amount": json.Number("12.5"), "rate": json.Number("12.345"),
		"seq": json.Number("9223372036854775807"), "score": json.Number("1.5e10"),
		"tags": []any{"vip", "hot"}, "close_on": "2026-02-28", "remind": "2026-01-31T09:30:00+08:00",
		"meta": map[string]any{"nested": []any{json.Number("1"), map[string]any{"a": nil}}, "s": "x"},
		// defaults
		"qty": json.Number("1"), "stage": "new", "active": true,
	}
	if !reflect.DeepEqual(out, want) {
		t.Fatalf("got  %#v\nwant %#v", out, want)
	}
}

func TestCreateDefaultsDoNotOverride(t *testing.T) {
	v := validator(t)
	out, err := v.Create(decode(t, `{"name": "Acme", "amount": 0, "qty": 5, "stage": "won", "active": false}`))
	if err != nil {
		t.Fatal(err)
	}
	if out["qty"] != json.Number("5") || out["stage"] != "won" || out["active"] != false {
		t.Fatalf("defaults overrode input: %v", out)
	}
	// Explicit null counts as absent: the default applies.
	out, err = v.Create(decode(t, `{"name": "Acme", "amount": 0, "stage": null}`))
	if err != nil || out["stage"] != "new" {
		t.Fatalf("null stage: %v %v", out, err)
	}
	if _, ok := out["email"]; ok {
		t.Fatalf("absent field without default returned: %v", out)
	}
}

func TestCreateIntegerCanonical(t *testing.T) {
	v := validator(t)
	out, err := v.Create(decode(t, `{"name": "Acme", "amount": 1, "qty": 1e2, "seq": -5.000}`))
	if err != nil {
		t.Fatal(err)
	}
	if out["qty"] != json.Number("100") || out["seq"] != json.Number("-5") {
		t.Fatalf("integers not canonical: qty=%v seq=%v", out["qty"], out["seq"])
	}
}

func TestCreateRejects(t *testing.T) {
	ok := `"name": "Acme", "amount": 1`
	cases := []struct {
		name, input string
		want        map[string]string
	}{
		{"wrong types", `{"name": 5, "amount": "x", "active": "yes", "tags": "vip", "qty": 1.5, "close_on": 20260101, "email": true, "stage": 1, "remind": [], "score": "1"}`,
			map[string]string{"name": "type", "amount": "type", "active": "type", "tags": "type", "qty": "type", "close_on": "type", "email": "type", "stage": "type", "remind": "type", "score": "type"}},
		{"multiselect item type", `{` + ok + `, "tags": ["vip", 3]}`, map[string]string{"tags": "type"}},
		{"extra fields", `{` + ok + `, "foo": 1, "Name": "x", "": 2, "owner_id": "x"}`,
			map[string]string{"foo": "unknown_field", "Name": "unknown_field", "": "unknown_field"}},
		{"missing required", `{}`, map[string]string{"name": "required", "amount": "required"}},
		{"null required", `{"name": null, "amount": null}`, map[string]string{"name": "required", "amount": "required"}},
		{"bad formats", `{` + ok + `, "email": "nope", "close_on": "2026-02-30", "remind": "2026-01-01 10:00"}`,
			map[string]string{"email": "format", "close_on": "format", "remind": "format"}},
		{"too long", `{"name": "abcdefghijk", "amount": 1}`, map[string]string{"name": "maxLength"}},
		{"too short", `{"name": "a", "amount": 1}`, map[string]string{"name": "minLength"}},
		{"too long runes", `{"name": "一二三四五六七八九十一", "amount": 1}`, map[string]string{"name": "maxLength"}},
		{"enum", `{` + ok + `, "stage": "maybe", "tags": ["vip", "nope"]}`, map[string]string{"stage": "enum", "tags": "enum"}},
		{"unique items", `{` + ok + `, "tags": ["vip", "vip"]}`, map[string]string{"tags": "uniqueItems"}},
		{"max items", `{` + ok + `, "tags": ["vip", "hot", "cold"]}`, map[string]string{"tags": "maxItems"}},
		{"excess decimals", `{"name": "Acme", "amount": 1.234, "rate": 1.0001}`, map[string]string{"amount": "scale", "rate": "scale"}},
		{"exponent decimals", `{"name": "Acme", "amount": 1e-3}`, map[string]string{"amount": "scale"}},
		{"precision", `{"name": "Acme", "amount": 12345678901234567, "rate": 123.5}`, map[string]string{"amount": "precision", "rate": "precision"}},
		{"precision exponent", `{"name": "Acme", "amount": 1e16}`, map[string]string{"amount": "precision"}},
		{"minimum", `{"name": "Acme", "amount": -1, "qty": 0}`, map[string]string{"amount": "minimum", "qty": "minimum"}},
		{"maximum", `{` + ok + `, "qty": 101}`, map[string]string{"qty": "maximum"}},
		{"int64 overflow", `{` + ok + `, "seq": 9223372036854775808}`, map[string]string{"seq": "out_of_range"}},
		{"int64 underflow", `{` + ok + `, "seq": -9223372036854775809}`, map[string]string{"seq": "out_of_range"}},
		{"huge exponent", `{` + ok + `, "seq": 1e999999999, "meta": [0E-99999]}`, map[string]string{"seq": "out_of_range", "meta": "out_of_range"}},
		{"float overflow", `{` + ok + `, "score": 1e400}`, map[string]string{"score": "out_of_range"}},
		{"read only", `{` + ok + `, "code": "D-0001"}`, map[string]string{"code": "read_only"}},
		{"nul", `{"name": "a\u0000b", "amount": 1, "meta": {"k\u0000": 1}}`, map[string]string{"name": "invalid_char", "meta": "invalid_char"}},
		{"deep json", `{` + ok + `, "meta": ` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}`, map[string]string{"meta": "too_deep"}},
		{"everything", `{"name": "a", "foo": 1, "code": "x", "stage": "?"}`,
			map[string]string{"name": "minLength", "foo": "unknown_field", "code": "read_only", "stage": "enum", "amount": "required"}},
	}
	v := validator(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := v.Create(decode(t, c.input))
			if err == nil {
				t.Fatalf("accepted: %v", out)
			}
			if out != nil {
				t.Fatalf("values returned with error: %v", out)
			}
			if got := codes(t, err); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got  %v\nwant %v", got, c.want)
			}
		})
	}
}

func TestErrorOrder(t *testing.T) {
	v := validator(t)
	for range 20 {
		_, err := v.Create(decode(t, `{"zz": 1, "aa": 2, "tags": 1, "name": 1, "amount": "x", "stage": 0}`))
		e, _ := errs.As(err)
		var got []string
		for _, fe := range e.Fields {
			got = append(got, fe.Field)
		}
		if s := strings.Join(got, ","); s != "name,amount,stage,tags,aa,zz" {
			t.Fatalf("order = %s", s)
		}
	}
}

func TestUnknownKeysCapped(t *testing.T) {
	v := validator(t)
	in := map[string]any{"name": "Acme", "amount": json.Number("1")}
	for i := range 1000 {
		in[fmt.Sprintf("junk%04d", i)] = true
	}
	_, err := v.Create(in)
	e, _ := errs.As(err)
	if len(e.Fields) != maxUnknown || e.Fields[0].Field != "junk0000" {
		t.Fatalf("got %d errors, first %v", len(e.Fields), e.Fields[0])
	}
}

func TestMessages(t *testing.T) {
	v := validator(t)
	_, err := v.Create(decode(t, `{"name": "abcdefghijk", "amount": 1.234, "qty": 0, "rate": 199.5, "seq": 1e19,
		"stage": "maybe", "tags": ["vip", "hot", "cold"], "email": "x", "close_on": "x", "remind": "x",
		"active": 1, "score": 1e400, "code": "x", "bogus": 1, "meta": "a\u0000"}`))
	e, ok := errs.As(err)
	if !ok {
		t.Fatalf("want error, got %v", err)
	}
	// What each message must mention, per locale.
	mention := map[string][]string{
		"name":   {"10"},
		"amount": {"2"},
		"qty":    {"1"},
		"rate":   {"2"},
		"seq":    {"9223372036854775807"},
		"stage":  {"maybe", "new, won, lost"},
		"tags":   {"2"},
		"bogus":  {"bogus"},
	}
	labels := map[string][2]string{"name": {"Name", "名称"}, "amount": {"Amount", "金额"}, "qty": {"Quantity", "数量"}, "tags": {"Tags", "标签"}}
	seen := map[string]bool{}
	for _, fe := range e.Fields {
		seen[fe.Field] = true
		for i, loc := range []string{i18n.EN, i18n.ZhCN} {
			s := i18n.T(loc, fe.Msg)
			if s == "" || s == fe.Msg.Key || strings.Contains(s, "{") || !i18n.Has(fe.Msg.Key) {
				t.Errorf("%s %s: bad message %q (key %s)", loc, fe.Field, s, fe.Msg.Key)
			}
			for _, want := range mention[fe.Field] {
				if !strings.Contains(s, want) {
					t.Errorf("%s %s: %q does not mention %q", loc, fe.Field, s, want)
				}
			}
			if l, ok := labels[fe.Field]; ok && !strings.Contains(s, l[i]) {
				t.Errorf("%s %s: %q does not mention label %q", loc, fe.Field, s, l[i])
			}
			t.Logf("%-6s %-8s %-13s %s", loc, fe.Field, fe.Code, s)
		}
		if zh, en := i18n.T(i18n.ZhCN, fe.Msg), i18n.T(i18n.EN, fe.Msg); zh == en {
			t.Errorf("%s: zh-CN message is the English one: %q", fe.Field, zh)
		}
	}
	for _, f := range []string{"name", "amount", "qty", "rate", "seq", "stage", "tags", "email", "close_on", "remind", "active", "score", "code", "bogus", "meta"} {
		if !seen[f] {
			t.Errorf("no error for %s", f)
		}
	}
}

// existingDeal is a stored record in the form Create returns, plus the
// server-generated autonumber.
func existingDeal(t *testing.T, v *Validator) map[string]any {
	t.Helper()
	rec, err := v.Create(decode(t, `{"name": "Acme", "amount": 10, "email": "a@example.com", "tags": ["vip"], "remind": "2026-01-01T02:00:00Z"}`))
	if err != nil {
		t.Fatal(err)
	}
	rec["code"] = "D-0001"
	return rec
}

func TestUpdate(t *testing.T) {
	v := validator(t)
	cases := []struct {
		name, patch string
		want        map[string]any
	}{
		{"required satisfied by existing", `{"amount": 12.5}`, map[string]any{"amount": json.Number("12.5")}},
		{"null clears", `{"email": null}`, map[string]any{"email": nil}},
		{"null on empty field is no change", `{"close_on": null}`, map[string]any{}},
		{"unchanged read-only ignored", `{"code": "D-0001", "name": "Beta"}`, map[string]any{"name": "Beta"}},
		{"equal values left out", `{"amount": 10.00, "name": "Acme", "tags": ["vip"], "remind": "2026-01-01T10:00:00+08:00"}`, map[string]any{}},
		{"integer canonical", `{"qty": 5e1}`, map[string]any{"qty": json.Number("50")}},
		{"system keys ignored", `{"id": "r1", "version": 7, "updated_at": "x", "owner": "u", "deleted_at": null, "name": "Gamma"}`, map[string]any{"name": "Gamma"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := v.Update(existingDeal(t, v), decode(t, c.patch))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(out, c.want) {
				t.Fatalf("got  %#v\nwant %#v", out, c.want)
			}
		})
	}
}

func TestUpdateWholeRecordBack(t *testing.T) {
	v := validator(t)
	rec := existingDeal(t, v)
	// A client reads the record (system fields included) and sends it back with one change.
	back := map[string]any{"id": "r1", "version": json.Number("2"), "created_at": "2026-01-01T00:00:00Z", "owner": "u1"}
	for k, val := range rec {
		back[k] = val
	}
	back["stage"] = "won"
	out, err := v.Update(rec, back)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out, map[string]any{"stage": "won"}) {
		t.Fatalf("got %v", out)
	}
}

func TestUpdateStoredForms(t *testing.T) {
	v := validator(t)
	// The store decodes integers as int64 and json columns as raw JSON.
	existing := map[string]any{"name": "Acme", "amount": json.Number("10"), "qty": int64(3), "meta": json.RawMessage(`{"a": [1, 2]}`), "gone": "field removed"}
	out, err := v.Update(existing, decode(t, `{"qty": 3, "meta": {"a": [1, 2.0]}}`))
	if err != nil || len(out) != 0 {
		t.Fatalf("got %v, %v", out, err)
	}
	out, err = v.Update(existing, decode(t, `{"qty": 4}`))
	if err != nil || !reflect.DeepEqual(out, map[string]any{"qty": json.Number("4")}) {
		t.Fatalf("got %v, %v", out, err)
	}
}

func TestUpdateRejects(t *testing.T) {
	v := validator(t)
	cases := []struct {
		name     string
		existing map[string]any // nil: existingDeal
		patch    string
		want     map[string]string
	}{
		{"null required", nil, `{"name": null, "amount": null}`, map[string]string{"name": "required", "amount": "required"}},
		{"changed read-only", nil, `{"code": "D-9999"}`, map[string]string{"code": "read_only"}},
		{"null read-only", nil, `{"code": null}`, map[string]string{"code": "read_only"}},
		{"required missing in stored record", map[string]any{"amount": json.Number("1")}, `{"email": "b@example.com"}`, map[string]string{"name": "required"}},
		{"bad values", nil, `{"amount": 0.001, "tags": ["x"], "foo": 1, "email": "nope"}`,
			map[string]string{"amount": "scale", "tags": "enum", "foo": "unknown_field", "email": "format"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			existing := c.existing
			if existing == nil {
				existing = existingDeal(t, v)
			}
			out, err := v.Update(existing, decode(t, c.patch))
			if err == nil {
				t.Fatalf("accepted: %v", out)
			}
			if got := codes(t, err); !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got  %v\nwant %v", got, c.want)
			}
		})
	}
}

func TestReadOnlyNotRequiredOnCreate(t *testing.T) {
	// "code" is required and read-only: the server fills it, so Create
	// must not demand it and Update must not demand it either.
	v := validator(t)
	if _, err := v.Create(decode(t, `{"name": "Acme", "amount": 1}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := v.Update(map[string]any{"name": "Acme", "amount": json.Number("1")}, decode(t, `{"name": "Beta"}`)); err != nil {
		t.Fatal(err)
	}
}

func TestGoValuesDoNotPanic(t *testing.T) {
	v := validator(t)
	weird := []any{struct{}{}, []string{"a"}, map[string]string{}, json.Number("abc"), json.Number("0x10"),
		json.Number(""), math.Inf(1), func() {}, make(chan int), []any{nil, json.Number("1/2")}}
	for _, w := range weird {
		for _, key := range []string{"name", "amount", "meta", "tags", "seq"} {
			_, err := v.Create(map[string]any{"name": "Acme", "amount": json.Number("1"), key: w})
			if c := errs.CodeOf(err); c != errs.Unprocessable {
				t.Errorf("%s=%#v: got %v", key, w, err)
			}
			_, err = v.Update(map[string]any{key: w}, map[string]any{"name": "Beta"})
			if c := errs.CodeOf(err); c == errs.Internal {
				t.Errorf("update existing %s=%#v: got %v", key, w, err)
			}
		}
	}
}

func TestParseNumber(t *testing.T) {
	cases := []struct {
		in          string
		err         error
		isInt       bool
		intD, fracD int
		canon       string // for integers fitting int64
		canonicalOK bool
	}{
		{"0", nil, true, 0, 0, "0", true},
		{"-0.0e5", nil, true, 0, 0, "0", true},
		{"12.50", nil, false, 2, 1, "", false},
		{"1e2", nil, true, 3, 0, "100", true},
		{"1.5e1", nil, true, 2, 0, "15", true},
		{"0.001", nil, false, 0, 3, "", false},
		{"120e-1", nil, true, 2, 0, "12", true},
		{"-9223372036854775808", nil, true, 19, 0, "-9223372036854775808", true},
		{"9223372036854775808", nil, true, 19, 0, "", false},
		{"1e20", nil, true, 21, 0, "", false},
		{"01", errSyntax, false, 0, 0, "", false},
		{"1.", errSyntax, false, 0, 0, "", false},
		{".5", errSyntax, false, 0, 0, "", false},
		{"+1", errSyntax, false, 0, 0, "", false},
		{"1e", errSyntax, false, 0, 0, "", false},
		{"0x10", errSyntax, false, 0, 0, "", false},
		{"1e1001", errRange, false, 0, 0, "", false},
		{"1e00000000000000000001", nil, true, 2, 0, "10", true},
		{"1e-99999", errRange, false, 0, 0, "", false},
		{strings.Repeat("1", 1001), errRange, false, 0, 0, "", false},
	}
	for _, c := range cases {
		n, err := parseNumber(c.in)
		if err != c.err {
			t.Errorf("%s: err %v, want %v", c.in, err, c.err)
			continue
		}
		if err != nil {
			continue
		}
		if n.isInt() != c.isInt || n.intDigits() != c.intD || n.fracDigits() != c.fracD {
			t.Errorf("%s: %+v isInt=%v int=%d frac=%d", c.in, n, n.isInt(), n.intDigits(), n.fracDigits())
		}
		i, ok := n.int64()
		if ok != c.canonicalOK || (ok && fmt.Sprint(i) != c.canon) {
			t.Errorf("%s: int64 = %d, %v", c.in, i, ok)
		}
	}
}

func TestForCache(t *testing.T) {
	m1 := module(t, "mod-cache", 1, dealSchema)
	v1, err := For(m1)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := For(m1); again != v1 {
		t.Fatal("same version not cached")
	}
	m2 := module(t, "mod-cache", 2, `{"properties": {"title": {"x-field": {"type": "text"}}}, "required": ["title"]}`)
	v2, _ := For(m2)
	if v2 == v1 {
		t.Fatal("new version served the old validator")
	}
	if _, err := v2.Create(map[string]any{"title": "x"}); err != nil {
		t.Fatalf("v2 uses the wrong schema: %v", err)
	}
	if again, _ := For(m2); again != v2 {
		t.Fatal("v2 not cached")
	}
	// An old version still validates correctly but does not evict v2.
	old, _ := For(m1)
	if old == v2 {
		t.Fatal("old version served the new validator")
	}
	if again, _ := For(m2); again != v2 {
		t.Fatal("old version evicted the new one")
	}
	cache.Lock()
	n := 0
	for id := range cache.byModule {
		if id == "mod-cache" {
			n++
		}
	}
	cache.Unlock()
	if n != 1 {
		t.Fatalf("%d cache entries for one module", n)
	}
	Forget("mod-cache")
	if again, _ := For(m2); again == v2 {
		t.Fatal("Forget kept the entry")
	}

	// Concurrent use, for the race detector.
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := module(t, fmt.Sprintf("mod-par-%d", i%4), 1+i%2, dealSchema)
			v, err := For(m)
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := v.Create(map[string]any{"name": "Acme", "amount": json.Number("1")}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}

func TestForRejectsBadModule(t *testing.T) {
	for _, m := range []*meta.Module{nil, {ID: "bad", Schema: json.RawMessage(`{`)}, {ID: "bad2"}} {
		if _, err := For(m); errs.CodeOf(err) != errs.Internal {
			t.Errorf("%v: got %v", m, err)
		}
	}
	// Fields are parsed from the schema when the module carries none.
	p, _ := meta.ParseSchema([]byte(dealSchema))
	v, err := For(&meta.Module{ID: "schema-only", Version: 1, Schema: p.Doc})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Create(map[string]any{"name": "Acme"}); !reflect.DeepEqual(codes(t, err), map[string]string{"amount": "required"}) {
		t.Fatalf("got %v", err)
	}
}

func FuzzCreate(f *testing.F) {
	seeds := []string{
		`{}`,
		`{"name": "Acme", "amount": 12.5, "tags": ["vip"], "meta": {"a": [1, null]}}`,
		`{"name": null, "amount": -0.0e5, "qty": 1e2, "seq": 9223372036854775808}`,
		`{"name": "a\u0000", "amount": 1e999999999, "score": 1e400, "rate": 0.0001}`,
		`{"id": 1, "version": "x", "code": "D-1", "foo": {"bar": []}}`,
		`{"close_on": "2026-02-30", "remind": "2026-01-31T09:30:00Z", "email": "x@y.z"}`,
		`{"tags": ["vip", "vip", 1, null], "stage": ["new"], "active": null, "meta": [[[[]]]]}`,
	}
	for _, s := range seeds {
		f.Add(s)
	}
	v := validator(f)
	f.Fuzz(func(t *testing.T, s string) {
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		var in map[string]any
		if err := dec.Decode(&in); err != nil {
			return
		}
		out, err := v.Create(in)
		if err != nil {
			if c := errs.CodeOf(err); c != errs.Unprocessable && c != errs.Invalid {
				t.Fatalf("%q: error code %s: %v", s, c, err)
			}
			e, _ := errs.As(err)
			seen := map[string]bool{}
			for _, fe := range e.Fields {
				if seen[fe.Field] || fe.Code == "" || !i18n.Has(fe.Msg.Key) {
					t.Fatalf("%q: bad field error %+v", s, fe)
				}
				seen[fe.Field] = true
			}
			return
		}
		for k := range out {
			fi := v.byKey[k]
			if fi == nil || fi.readOnly || out[k] == nil {
				t.Fatalf("%q: returned %s=%v", s, k, out[k])
			}
		}
		// Accepted values are accepted again, unchanged.
		again, err := v.Create(out)
		if err != nil || !reflect.DeepEqual(again, out) {
			t.Fatalf("%q: not idempotent: %v, %v", s, again, err)
		}
		// And as a patch over themselves they change nothing.
		if ch, err := v.Update(out, out); err != nil || len(ch) != 0 {
			t.Fatalf("%q: self-update changed %v, %v", s, ch, err)
		}
	})
}

func BenchmarkCreate(b *testing.B) {
	v := validator(b)
	raw := `{"name": "Acme", "email": "a@example.com", "qty": 3, "amount": 1234.56, "rate": 1.25,
		"stage": "won", "tags": ["vip", "hot"], "close_on": "2026-02-28", "remind": "2026-01-31T09:30:00Z", "active": true}`
	in := decode(b, raw)
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) != 10 {
		b.Fatalf("want 10 fields, got %d", len(keys))
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Create(in); err != nil {
			b.Fatal(err)
		}
	}
}
