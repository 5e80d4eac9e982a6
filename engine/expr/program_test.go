package expr

import (
	"container/list"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
	"github.com/tessera-app/tessera/engine/meta"
)

// progModule has a field of every type (and a field named "date", which
// must not hide the date function).
const progSchema = `{"type":"object","properties":{
	"name":     {"x-field":{"type":"text"}},
	"notes":    {"x-field":{"type":"textarea"}},
	"mail":     {"x-field":{"type":"email"}},
	"amount":   {"x-field":{"type":"currency"}},
	"score":    {"x-field":{"type":"number"}},
	"qty":      {"x-field":{"type":"integer"}},
	"price":    {"x-field":{"type":"decimal","precision":10,"scale":3}},
	"rate":     {"x-field":{"type":"percent"}},
	"closed":   {"x-field":{"type":"boolean"}},
	"due":      {"x-field":{"type":"date"}},
	"at":       {"x-field":{"type":"datetime"}},
	"stage":    {"x-field":{"type":"select","options":[{"value":"new"},{"value":"won"},{"value":"lost"}]}},
	"region":   {"x-field":{"type":"text"}},
	"tags":     {"x-field":{"type":"multiselect","options":[{"value":"a"},{"value":"b"},{"value":"vip"}]}},
	"account":  {"x-field":{"type":"lookup","module":"account"}},
	"assignee": {"x-field":{"type":"user"}},
	"seq":      {"x-field":{"type":"autonumber","prefix":"S-","digits":3}},
	"extra":    {"x-field":{"type":"json"}},
	"date":     {"x-field":{"type":"date"}}
}}`

var moduleSeq struct {
	sync.Mutex
	n int
}

// testModule parses progSchema into a module with a fresh id, so that
// tests do not share cache entries unless they mean to.
func testModule(t testing.TB) *meta.Module {
	t.Helper()
	p, err := meta.ParseSchema([]byte(progSchema))
	if err != nil {
		t.Fatal(err)
	}
	moduleSeq.Lock()
	moduleSeq.n++
	id := fmt.Sprintf("mod-%d", moduleSeq.n)
	moduleSeq.Unlock()
	return &meta.Module{ID: id, AppKey: "crm", Key: "deal", Version: 1, Fields: p.Fields}
}

var clockNow = time.Date(2026, 3, 18, 15, 4, 5, 0, time.UTC) // a Wednesday

// sampleVars is a record as the store returns it: integers as int64,
// decimals as json.Number, JSON columns still encoded.
func sampleVars() Vars {
	return Vars{
		Record: map[string]any{
			"id": "r1", "version": int64(3), "owner": "u1", "created_at": "2026-01-02T03:04:05.123456Z",
			"name": "Ann Lee", "notes": "  ", "mail": "ann@example.com",
			"amount": json.Number("1500.50"), "score": 7.5, "qty": int64(3), "price": json.Number("12.125"), "rate": json.Number("0.15"),
			"closed": false, "due": "2026-01-31", "at": "2026-03-18T09:30:00Z", "stage": "won", "region": "east",
			"tags": json.RawMessage(`["a","vip"]`), "account": "acc-1", "assignee": "u2", "seq": "S-007",
			"extra": json.RawMessage(`{"n": 2, "list": [1, 2, 3], "s": "x"}`), "date": "2026-02-01",
		},
		User: UserVars{ID: "u1", Departments: []string{"d1", "d2"}, Roles: []string{"sales"}},
		Now:  clockNow,
	}
}

// run compiles src against m (want "") and runs it directly.
func run(t testing.TB, m *meta.Module, src string, v Vars) (any, error) {
	t.Helper()
	p, err := Compile(src, m, "")
	if err != nil {
		t.Fatalf("compile %q: %v", src, err)
	}
	return p.Run(v)
}

// eq evaluates src and compares the JSON-form result with want.
func eq(t *testing.T, m *meta.Module, v Vars, src string, want any) {
	t.Helper()
	got, err := run(t, m, src, v)
	if err != nil {
		t.Errorf("%s: %v", src, err)
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", src, got, want)
	}
}

func num(s string) json.Number { return json.Number(s) }

func TestTypedEnvironment(t *testing.T) {
	m := testModule(t)
	v := sampleVars()
	cases := []struct {
		src, kind string
		want      any
	}{
		{"name", "string", "Ann Lee"},
		{"mail", "string", "ann@example.com"},
		{"amount", "number", num("1500.5")},
		{"amount + 0.5", "number", num("1501")},
		{"score * 2", "number", num("15")},
		{"qty + 1", "number", num("4")},
		{"price * 2", "number", num("24.25")},
		{"rate * 100", "number", num("15")},
		{"closed", "bool", false},
		{"!closed", "bool", true},
		{"due", "date", "2026-01-31"},
		{"at", "datetime", "2026-03-18T09:30:00Z"},
		{"stage", "string", "won"},
		{"tags", "list", []any{"a", "vip"}},
		{`"vip" in tags`, "bool", true},
		{"account", "string", "acc-1"},
		{"assignee", "string", "u2"},
		{"seq", "string", "S-007"},
		{"extra.n + 1", "any", num("3")},
		{"extra.list[1]", "any", num("2")},
		{"extra.s", "any", "x"},
		{"id", "string", "r1"},
		{"version", "number", num("3")},
		{"owner", "string", "u1"},
		{"created_at", "datetime", "2026-01-02T03:04:05.123456Z"},
		// A field named date is the field; date(…) is still the function.
		{"date", "date", "2026-02-01"},
		{`date("2026-05-06")`, "date", "2026-05-06"},
		{"now", "datetime", "2026-03-18T15:04:05Z"},
		{"now()", "datetime", "2026-03-18T15:04:05Z"},
		{"today", "date", "2026-03-18"},
		{"today()", "date", "2026-03-18"},
		{"at < now && due < today", "bool", true},
		{"today - due", "duration", "1104h0m0s"},
		{"let x = amount; x > 1000", "bool", true},
		{"len(name)", "number", num("7")},
	}
	for _, c := range cases {
		p, err := Compile(c.src, m, "")
		if err != nil {
			t.Errorf("%s: %v", c.src, err)
			continue
		}
		if p.Kind() != c.kind {
			t.Errorf("%s: kind %s, want %s", c.src, p.Kind(), c.kind)
		}
		got, err := p.Eval(context.Background(), v)
		if err != nil {
			t.Errorf("%s: %v", c.src, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.src, got, c.want)
		}
	}
}

// Records reach expressions in several shapes: from the store (int64,
// json.Number, encoded JSON), from HTTP input (json.Number, []any), or
// built in Go (float64, []string, time.Time).
func TestValueShapes(t *testing.T) {
	m := testModule(t)
	for _, rec := range []map[string]any{
		{"qty": int64(3), "tags": json.RawMessage(`["a"]`), "due": "2026-01-31", "at": "2026-01-31T10:00:00.5Z"},
		{"qty": json.Number("3"), "tags": []any{"a"}, "due": "2026-01-31T23:00:00Z", "at": "2026-01-31T11:00:00.5+01:00"},
		{"qty": 3.0, "tags": []string{"a"}, "due": time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC), "at": time.Date(2026, 1, 31, 10, 0, 0, 5e8, time.UTC)},
		{"qty": "3", "tags": `["a"]`, "due": "2026-01-31", "at": "2026-01-31T10:00:00.500Z"},
	} {
		v := Vars{Record: rec, Now: clockNow}
		eq(t, m, v, `qty == 3 && "a" in tags && due == date("2026-01-31") && at == datetime("2026-01-31T10:00:00.5Z")`, true)
	}
	// A value that does not fit its field is an evaluation error naming it.
	_, err := run(t, m, "qty + 1", Vars{Record: map[string]any{"qty": "three"}})
	if e, ok := errs.As(err); !ok || e.Code != errs.Invalid || e.Msg.Key != "expr.eval.bad_value" || e.Msg.Args["field"] != "qty" {
		t.Errorf("bad value: %v", err)
	}
}

// Empty values: nil for fields, false for booleans, [] for lists;
// comparisons with nil are false, arithmetic gives nil, text + nil is the
// text, == nil works.
func TestEmptyValues(t *testing.T) {
	m := testModule(t)
	v := Vars{Record: map[string]any{"name": "Ann"}, Now: clockNow}
	for src, want := range map[string]any{
		"amount":                       nil,
		"amount == nil":                true,
		"amount != nil":                false,
		"amount > 1000":                false,
		"amount <= 1000":               false,
		"!(amount > 1000)":             true,
		"amount * 2":                   nil,
		"-amount":                      nil,
		"amount + 1":                   nil,
		"qty % 2":                      nil,
		"closed":                       false,
		"!closed":                      true,
		"tags":                         []any{},
		`"a" in tags`:                  false,
		"len(tags)":                    num("0"),
		"stage == nil":                 true,
		`stage == "won"`:               false,
		`stage != "won"`:               true,
		`stage in ["won", "lost"]`:     false,
		`region + "!"`:                 "!",
		`name + region`:                "Ann",
		`stage contains "o"`:           false,
		`stage startsWith "w"`:         false,
		`stage matches "^w"`:           false,
		"due < today":                  false,
		"addDays(due, 1)":              nil,
		"daysBetween(due, today)":      nil,
		"daysBetween(due, today) == 3": false,
		"upper(stage)":                 nil,
		`upper(stage) == "WON"`:        false,
		"round(amount)":                nil,
		"len(stage)":                   num("0"),
		"isBlank(stage)":               true,
		"coalesce(amount, 0) + 1":      num("1"),
		"amount ?? 5":                  num("5"),
		"extra":                        nil,
		"extra?.n":                     nil,
		"old == nil":                   true,
		"old.amount":                   nil,
		"old.closed":                   false,
		`concat(name, stage, "!")`:     "Ann!",
	} {
		eq(t, m, v, src, want)
	}
}

func TestOldAndChanged(t *testing.T) {
	m := testModule(t)
	rec := map[string]any{"amount": json.Number("200"), "stage": "won", "closed": true, "tags": []any{"a", "b"}, "due": "2026-01-31", "name": "x"}
	old := map[string]any{"amount": json.Number("200.00"), "stage": "new", "closed": false, "tags": json.RawMessage(`["a","b"]`), "due": "2026-01-31T00:00:00Z", "name": ""}
	v := Vars{Record: rec, Old: old, Now: clockNow}
	for src, want := range map[string]any{
		"old.stage":                            "new",
		`old.stage == "new" && stage == "won"`: true,
		"old.amount":                           num("200"),
		"old == nil":                           false,
		`changed("stage")`:                     true,
		`changed("closed")`:                    true,
		`changed("amount")`:                    false, // 200 and 200.00 are the same number
		`changed("tags")`:                      false,
		`changed("due")`:                       false,
		`changed("name")`:                      true,
		`changed("score")`:                     false, // absent on both sides
		`old["stage"]`:                         "new",
	} {
		eq(t, m, v, src, want)
	}
	// On create (Old nil): changed() is true for the fields that are set.
	v = Vars{Record: map[string]any{"stage": "won", "closed": false, "name": "", "tags": []any{}, "amount": nil}, Now: clockNow}
	for src, want := range map[string]any{
		`changed("stage")`:  true,
		`changed("closed")`: true, // false is a value
		`changed("name")`:   false,
		`changed("tags")`:   false,
		`changed("amount")`: false,
		`changed("qty")`:    false,
		"old == nil":        true,
		"old.stage":         nil,
	} {
		eq(t, m, v, src, want)
	}
}

func TestUserVars(t *testing.T) {
	m := testModule(t)
	v := sampleVars()
	eq(t, m, v, "user.id", "u1")
	eq(t, m, v, "user.id == owner", true)
	eq(t, m, v, `"d2" in user.departments`, true)
	eq(t, m, v, `"sales" in user.roles && !("admin" in user.roles)`, true)
	eq(t, m, v, "len(user.roles)", num("1"))
	v.User = UserVars{}
	eq(t, m, v, "user.departments", []any{})
	eq(t, m, v, `"sales" in user.roles`, false)
	eq(t, m, v, "user.id", "")
}

func TestNilModule(t *testing.T) {
	p, err := Compile(`addDays(today, 1) > now && user.id == "u"`, nil, "bool")
	if err != nil {
		t.Fatal(err)
	}
	ok, err := p.Bool(context.Background(), Vars{User: UserVars{ID: "u"}, Now: clockNow})
	if err != nil || !ok {
		t.Fatalf("got %v, %v", ok, err)
	}
	// The record's system keys are known even without a module.
	if _, err := Compile(`id != "" && created_at < now`, nil, "bool"); err != nil {
		t.Fatal(err)
	}
	if _, err := Compile(`amount > 1`, nil, "bool"); !errs.Is(err, errs.Invalid) {
		t.Fatalf("field without module: %v", err)
	}
}

func TestResultKinds(t *testing.T) {
	m := testModule(t)
	v := sampleVars()
	ctx := context.Background()
	for _, c := range []struct {
		src, want string
		out       any
	}{
		{"amount > 1000", "bool", true},
		{"qty * 2", "number", num("6")},
		{"name", "string", "Ann Lee"},
		{"due", "date", "2026-01-31"},
		{"at", "date", "2026-03-18"},
		{"due", "datetime", "2026-01-31T00:00:00Z"},
		{"addHours(at, 1)", "datetime", "2026-03-18T10:30:00Z"},
		{"extra.n", "number", num("2")},
		{"extra.s", "string", "x"},
		{"extra.s", "", "x"},
		{"amount", "", num("1500.5")},
		{"extra.missing", "bool", nil},
	} {
		p, err := Compile(c.src, m, c.want)
		if err != nil {
			t.Errorf("%s as %q: %v", c.src, c.want, err)
			continue
		}
		got, err := p.Eval(ctx, v)
		if err != nil || !reflect.DeepEqual(got, c.out) {
			t.Errorf("%s as %q = %#v, %v; want %#v", c.src, c.want, got, err, c.out)
		}
	}
	// A kind the checker can prove wrong is a compile error with position.
	for src, want := range map[string]string{"amount": "bool", "name": "number", "closed": "string", "qty": "date", "due": "bool"} {
		_, err := Compile(src, m, want)
		if e, ok := errs.As(err); !ok || e.Code != errs.Invalid || e.Msg.Key != "expr.x.result.at" {
			t.Errorf("%s as %s: %v", src, want, err)
		}
	}
	// A kind only known at run time is checked then.
	p, err := Compile("extra.s", m, "number")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Eval(ctx, v); !errs.Is(err, errs.Invalid) {
		t.Errorf("text as number: %v", err)
	}
	// Bool: nil is false, other kinds are errors.
	p, _ = Compile("extra.missing", m, "")
	if ok, err := p.Bool(ctx, v); ok || err != nil {
		t.Errorf("nil as bool: %v, %v", ok, err)
	}
	p, _ = Compile("extra.s", m, "")
	if _, err := p.Bool(ctx, v); !errs.Is(err, errs.Invalid) {
		t.Errorf("text as bool: %v", err)
	}
	if _, err := Compile("1", m, "money"); err == nil || errs.Is(err, errs.Invalid) {
		t.Errorf("unknown want is a programming error: %v", err)
	}
	// Lists and objects come out in JSON form too.
	eq(t, m, v, `{"a": amount, "d": [due, at], "n": nil, "r": 1..3}`, map[string]any{
		"a": num("1500.5"), "d": []any{"2026-01-31", "2026-03-18T09:30:00Z"}, "n": nil, "r": []any{num("1"), num("2"), num("3")}})
	eq(t, m, v, `map(tags, upper(#))`, []any{"A", "VIP"})
	// Infinity is no JSON number.
	if _, err := run(t, m, "amount / 0", v); !errs.Is(err, errs.Invalid) {
		t.Errorf("division by zero: %v", err)
	}
}

// Compile and evaluation errors are Invalid and carry positions.
func TestErrorsWithPositions(t *testing.T) {
	m := testModule(t)
	for _, c := range []struct {
		src       string
		key       string
		line, col int
		contains  string
	}{
		{"nope > 1", "expr.x.unknown_name.at", 1, 1, `"nope"`},
		{"amount > 1 &&\n  stage == \"won\" && nope", "expr.x.unknown_name.at", 2, 21, `"nope"`},
		{`amount + "x"`, "expr.x.type.at", 1, 8, "`+` cannot be used between a number and text"},
		{`due > "2026-01-01"`, "expr.x.type.at", 1, 5, "`>` cannot be used between a date and text"},
		{`upper(amount)`, "expr.x.type.at", 1, 7, "number"},
		{`amount >`, "expr.x.syntax.at", 1, 8, "Syntax error"},
		{`old.nope`, "expr.x.unknown_name.at", 1, 5, `"old.nope"`},
		{`old[name]`, "expr.x.old_dynamic.at", 1, 4, "old.amount"},
		{`user.email`, "expr.x.user_member.at", 1, 6, `"email"`},
		{`user`, "expr.x.user_bare.at", 1, 1, "user.id"},
		{`frobnicate(1)`, "expr.x.unknown_function.at", 1, 1, `"frobnicate"`},
		{`name(1)`, "expr.x.not_function.at", 1, 1, "is a field"},
		{`upper`, "expr.x.not_called.at", 1, 1, "upper(…)"},
		{`addDays(due)`, "expr.x.arity.at", 1, 1, "addDays takes 2"},
		{`changed(stage)`, "expr.x.changed_arg.at", 1, 9, `changed("amount")`},
		{`changed("nope")`, "expr.x.changed_arg.at", 1, 9, `changed("amount")`},
		{`date("2026-02-30")`, "expr.x.bad_date.at", 1, 6, "2026-02-30"},
		{`datetime("noon")`, "expr.x.bad_datetime.at", 1, 10, "noon"},
		{`now.Year()`, "expr.x.method.at", 1, 5, "Method calls"},
		{`$env`, "expr.x.reserved.at", 1, 1, "reserved"},
		{`"ü" + nope`, "expr.x.unknown_name.at", 1, 7, `"nope"`},
		{``, "expr.x.empty.at", 1, 1, "empty"},
	} {
		_, err := Compile(c.src, m, "")
		e, ok := errs.As(err)
		if !ok || e.Code != errs.Invalid || e.Msg.Key != c.key {
			t.Errorf("%q: %v, want key %s", c.src, err, c.key)
			continue
		}
		if e.Msg.Args["line"] != c.line || e.Msg.Args["column"] != c.col {
			t.Errorf("%q: at %v:%v, want %d:%d", c.src, e.Msg.Args["line"], e.Msg.Args["column"], c.line, c.col)
		}
		if msg := i18n.T(i18n.EN, e.Msg); !strings.Contains(msg, c.contains) {
			t.Errorf("%q: message %q lacks %q", c.src, msg, c.contains)
		}
		if zh := i18n.T(i18n.ZhCN, e.Msg); zh == e.Msg.Key || strings.Contains(zh, "{") {
			t.Errorf("%q: zh-CN message %q", c.src, zh)
		}
	}
	// Several problems are all reported.
	_, err := Compile("nope1 + nope2 + upper(nope3, 1)", m, "")
	probs := ProblemsOf(err, i18n.EN)
	if len(probs) != 3 || probs[0].Column != 1 || probs[1].Column != 9 || probs[2].Column != 17 {
		t.Errorf("problems: %+v", probs)
	}
	var ce *CompileError
	if !errors.As(err, &ce) || len(ce.Problems) != 3 {
		t.Errorf("CompileError: %v", err)
	}
	if zh := ProblemsOf(err, i18n.ZhCN); len(zh) != 3 || !strings.Contains(zh[0].Message, "不存在") {
		t.Errorf("zh-CN problems: %+v", zh)
	}
	// Evaluation errors carry the position of the failing part.
	_, err = run(t, m, `amount > 0 && extra.s * 2 > 1`, sampleVars())
	e, ok := errs.As(err)
	if !ok || e.Code != errs.Invalid || e.Msg.Key != "expr.eval.failed" || e.Msg.Args["column"] != 23 {
		t.Errorf("eval error: %v %#v", err, e)
	}
	_, err = run(t, m, `addDays(due, extra.s)`, sampleVars())
	if e, ok := errs.As(err); !ok || e.Msg.Key != "expr.eval.failed" || !strings.Contains(i18n.T(i18n.EN, e.Msg), "not a number") {
		t.Errorf("bad argument: %v", err)
	}
}

func TestCheck(t *testing.T) {
	m := testModule(t)
	res := Check(`amount > 1000 && stage == "won"`, m)
	if res.Type != "bool" || len(res.Errors) != 0 || res.Errors == nil {
		t.Errorf("valid: %+v", res)
	}
	for src, typ := range map[string]string{
		"amount * 2": "number", "upper(name)": "string", "addDays(due, 1)": "date", "addDays(at, 1)": "datetime",
		"extra.x": "any", "tags": "list", "now - at": "duration", `{"a": 1}`: "object", "coalesce(due, today)": "date",
		"closed ? due : today": "date", "coalesce(amount, qty, 0)": "number",
	} {
		if res := Check(src, m); res.Type != typ || len(res.Errors) != 0 {
			t.Errorf("%s: %+v, want type %s", src, res, typ)
		}
	}
	res = Check("amount +\n  nope", m)
	if res.Type != "" || len(res.Errors) != 1 || res.Errors[0] != (Problem{Message: `Unknown field or variable "nope".`, Line: 2, Column: 3, Pos: 12}) {
		t.Errorf("invalid: %+v", res)
	}
	b, _ := json.Marshal(Check("x", nil))
	if string(b) != `{"type":"","errors":[{"message":"Unknown field or variable \"x\".","line":1,"column":1,"pos":1}]}` {
		t.Errorf("json: %s", b)
	}
	if res := CheckLocale("amount", m, "bool", i18n.ZhCN); len(res.Errors) != 1 || res.Errors[0].Message != "表达式的结果是数字，但此处需要布尔值。" {
		t.Errorf("zh-CN want: %+v", res)
	}
	if res := Check("coalesce(amount, name)", m); len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Message, "one type") {
		t.Errorf("mixed coalesce: %+v", res)
	}
}

func TestCompileCache(t *testing.T) {
	m := testModule(t)
	p1, err := Compile("amount > 1", m, "bool")
	if err != nil {
		t.Fatal(err)
	}
	p2, _ := Compile("amount > 1", m, "bool")
	if p1 != p2 {
		t.Error("same module version, source and kind: want the cached program")
	}
	if p3, _ := Compile("amount > 1", m, ""); p3 == p1 {
		t.Error("another result kind shares the program")
	}
	m2 := *m
	m2.Version++
	if p4, _ := Compile("amount > 1", &m2, "bool"); p4 == p1 {
		t.Error("a new module version shares the program")
	}
	// Errors are cached too.
	_, e1 := Compile("nope", m, "")
	_, e2 := Compile("nope", m, "")
	if e1 == nil || e1 != e2 {
		t.Errorf("errors: %v %v", e1, e2)
	}
	// Modules without an id (not stored yet) are not cached.
	m3 := *m
	m3.ID = ""
	a, _ := Compile("amount > 1", &m3, "bool")
	b, _ := Compile("amount > 1", &m3, "bool")
	if a == b {
		t.Error("a module without id was cached")
	}
}

func TestCacheBounded(t *testing.T) {
	c := &lru{max: 3, order: list.New(), items: map[cacheKey]*list.Element{}}
	for i := 0; i < 5; i++ {
		c.put(cacheKey{src: string(rune('a' + i))}, cacheEntry{})
	}
	if c.len() != 3 {
		t.Fatalf("len %d", c.len())
	}
	if _, ok := c.get(cacheKey{src: "a"}); ok {
		t.Error("oldest entry kept")
	}
	c.get(cacheKey{src: "c"}) // c is now the most recently used
	c.put(cacheKey{src: "f"}, cacheEntry{})
	if _, ok := c.get(cacheKey{src: "c"}); !ok {
		t.Error("recently used entry dropped")
	}
	if _, ok := c.get(cacheKey{src: "d"}); ok {
		t.Error("least recently used entry kept")
	}
	if cache.max != CacheSize {
		t.Errorf("cache size %d", cache.max)
	}
}

func TestConcurrentEval(t *testing.T) {
	m := testModule(t)
	srcs := []string{
		`amount > 1000 && stage == "won" && region in ["east","north"] && !closed`,
		`concat(upper(name), "-", string(qty))`,
		`count(tags, # startsWith "v") + daysBetween(due, today)`,
		`filter(1..50, # % 7 == 0) | map(# * qty) | sum()`,
	}
	want := []any{true, "ANN LEE-3", num("47"), num("588")}
	var wg sync.WaitGroup
	errc := make(chan error, 64)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				k := (g + i) % len(srcs)
				p, err := Compile(srcs[k], m, "")
				if err != nil {
					errc <- err
					return
				}
				v := sampleVars()
				var got any
				if i%2 == 0 {
					got, err = p.Eval(context.Background(), v)
				} else {
					got, err = p.Run(v)
				}
				if err != nil || !reflect.DeepEqual(got, want[k]) {
					errc <- errors.New(srcs[k] + ": unexpected result")
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
}

func TestEvalContext(t *testing.T) {
	m := testModule(t)
	p, _ := Compile("amount > 1", m, "bool")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Eval(ctx, sampleVars()); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// Fields may be named like variables and functions: a bare name is the
// field, a call is the function, old.x and user.x are the variables.
func TestNameCollisions(t *testing.T) {
	p, err := meta.ParseSchema([]byte(`{"type":"object","properties":{
		"now":   {"x-field":{"type":"text"}},
		"today": {"x-field":{"type":"date"}},
		"old":   {"x-field":{"type":"number"}},
		"user":  {"x-field":{"type":"user"}},
		"upper": {"x-field":{"type":"text"}},
		"len":   {"x-field":{"type":"integer"}},
		"st":    {"x-field":{"type":"text"}},
		"tick":  {"x-field":{"type":"text"}}
	}}`))
	if err != nil {
		t.Fatal(err)
	}
	m := &meta.Module{ID: "collide", Version: 1, Fields: p.Fields}
	v := Vars{
		Record: map[string]any{"now": "n", "today": "2020-01-01", "old": 5, "user": "u9", "upper": "abc", "len": 7, "st": "s", "tick": "t"},
		Old:    map[string]any{"old": 4, "upper": "x"},
		User:   UserVars{ID: "u1"},
		Now:    clockNow,
	}
	for src, want := range map[string]any{
		"now":                           "n",
		"now()":                         "2026-03-18T15:04:05Z",
		"today":                         "2020-01-01",
		"today()":                       "2026-03-18",
		"old":                           num("5"),
		"old.old":                       num("4"),
		"old.upper":                     "x",
		"user":                          "u9",
		"user.id":                       "u1",
		"upper(upper)":                  "ABC",
		"len(upper) + len":              num("10"),
		`concat(st, tick, upper(tick))`: "stT",
		`changed("old")`:                true,
		`filter([1, 2], # > 1)`:         []any{num("2")},
	} {
		eq(t, m, v, src, want)
	}
}
