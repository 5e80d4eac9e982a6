package expr

import (
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
)

// fixedNow is what now() returns in every test.
var fixedNow = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

func TestMain(m *testing.M) {
	clock = func() time.Time { return fixedNow }
	os.Exit(m.Run())
}

// testColumns has one field of every kind, plus a second number field for
// field-to-field comparisons and a multi-select stored in a column named
// "value", which is also the name of json_each's result column.
var testColumns = map[string]Column{
	"name":      {SQL: `"name"`, Kind: KindText},
	"stage":     {SQL: `"stage"`, Kind: KindText},
	"amount":    {SQL: `"amount"`, Kind: KindNumber},
	"score":     {SQL: `"score"`, Kind: KindNumber},
	"active":    {SQL: `"active"`, Kind: KindBool},
	"due":       {SQL: `"due"`, Kind: KindDate},
	"closed_at": {SQL: `"closed_at"`, Kind: KindTime},
	"tags":      {SQL: `"tags"`, Kind: KindArray},
	"labels":    {SQL: `"value"`, Kind: KindArray},
	"owner":     {SQL: `"owner"`, Kind: KindRef},
	"data":      {SQL: `"data"`, Kind: KindJSON},
}

func testResolver(name string) (Column, bool) {
	c, ok := testColumns[name]
	return c, ok
}

const (
	uuid1 = "0193d2a4-5b6c-7d8e-9f00-112233445566"
	uuid2 = "0193d2a4-5b6c-7d8e-9f00-aabbccddeeff"
	uuid3 = "0193d2a4-5b6c-7d8e-9f00-000000000003"
)

func TestFilterSQL(t *testing.T) {
	utc := func(s string) time.Time {
		ts, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return ts.UTC()
	}
	cases := []struct {
		src      string
		lite     string
		liteArgs []any
		pg       string // with argStart 2
		pgArgs   []any
	}{
		{`amount > 1000 && stage in ["won","lost"] && name startsWith "华"`,
			`(("amount" > ?) AND ("stage" IN (?, ?)) AND ("name" LIKE ? ESCAPE '\'))`, []any{int64(1000), "won", "lost", "华%"},
			`(("amount" > $3) AND ("stage" IN ($4, $5)) AND ("name" LIKE $6 ESCAPE '\'))`, []any{int64(1000), "won", "lost", "华%"}},
		{`closed_at == nil || closed_at >= "2026-01-01"`,
			`(("closed_at" IS NULL) OR ("closed_at" >= ?))`, []any{"2026-01-01T00:00:00.000000Z"},
			`(("closed_at" IS NULL) OR ("closed_at" >= $3))`, []any{utc("2026-01-01T00:00:00Z")}},
		{`closed_at < "2026-01-01T08:30:00.5+08:00"`,
			`("closed_at" < ?)`, []any{"2026-01-01T00:30:00.500000Z"},
			`("closed_at" < $3)`, []any{utc("2026-01-01T00:30:00.5Z")}},
		{`closed_at <= now() and due > today()`,
			`(("closed_at" <= ?) AND ("due" > ?))`, []any{"2026-06-15T12:00:00.000000Z", "2026-06-15"},
			`(("closed_at" <= $3) AND ("due" > $4))`, []any{fixedNow, utc("2026-06-15T00:00:00Z")}},
		{`today() <= closed_at`,
			`("closed_at" >= ?)`, []any{"2026-06-15T00:00:00.000000Z"},
			`("closed_at" >= $3)`, []any{utc("2026-06-15T00:00:00Z")}},
		{`due == "2026-02-28"`,
			`("due" = ?)`, []any{"2026-02-28"},
			`("due" = $3)`, []any{utc("2026-02-28T00:00:00Z")}},
		{`!(active) `,
			`(NOT COALESCE(("active" = 1), 0))`, nil,
			`(NOT COALESCE(("active" = true), false))`, nil},
		{`active`, `("active" = 1)`, nil, `("active" = true)`, nil},
		{`active == true`, `("active" = ?)`, []any{int64(1)}, `("active" = $3)`, []any{true}},
		{`false != active`, `("active" IS NOT ?)`, []any{int64(0)}, `("active" IS DISTINCT FROM $3)`, []any{false}},
		{`"vip" in tags`,
			`(EXISTS (SELECT 1 FROM (SELECT "tags" AS j) AS src, json_each(src.j) AS je WHERE je.value = ?))`, []any{"vip"},
			`("tags" @> jsonb_build_array($3::text))`, []any{"vip"}},
		{`"vip" not in tags`,
			`(NOT (EXISTS (SELECT 1 FROM (SELECT "tags" AS j) AS src, json_each(src.j) AS je WHERE je.value = ?)))`, []any{"vip"},
			`(NOT COALESCE(("tags" @> jsonb_build_array($3::text)), false))`, []any{"vip"}},
		{`owner == "` + strings.ToUpper(uuid1) + `"`,
			`("owner" = ?)`, []any{uuid1},
			`("owner" = $3)`, []any{uuid1}},
		{`owner in ["` + uuid1 + `", "` + uuid2 + `"]`,
			`("owner" IN (?, ?))`, []any{uuid1, uuid2},
			`("owner" IN ($3, $4))`, []any{uuid1, uuid2}},
		{`name contains "100%"`, `("name" LIKE ? ESCAPE '\')`, []any{`%100\%%`}, `("name" LIKE $3 ESCAPE '\')`, []any{`%100\%%`}},
		{`name endsWith "a_b\\"`, `("name" LIKE ? ESCAPE '\')`, []any{`%a\_b\\`}, `("name" LIKE $3 ESCAPE '\')`, []any{`%a\_b\\`}},
		{`name not contains "x"`,
			`(NOT COALESCE(("name" LIKE ? ESCAPE '\'), 0))`, []any{`%x%`},
			`(NOT COALESCE(("name" LIKE $3 ESCAPE '\'), false))`, []any{`%x%`}},
		{`stage in []`, `(1=0)`, nil, `(1=0)`, nil},
		{`stage not in []`, `(1=1)`, nil, `(1=1)`, nil},
		{`!true`, `(1=0)`, nil, `(1=0)`, nil},
		{`stage not in ["won"]`,
			`(NOT COALESCE(("stage" IN (?)), 0))`, []any{"won"},
			`(NOT COALESCE(("stage" IN ($3)), false))`, []any{"won"}},
		{`1000 < amount`, `("amount" > ?)`, []any{int64(1000)}, `("amount" > $3)`, []any{int64(1000)}},
		{`-2.5 >= amount`, `("amount" <= ?)`, []any{-2.5}, `("amount" <= $3)`, []any{-2.5}},
		{`1 < amount < 10`, `(("amount" > ?) AND ("amount" < ?))`, []any{int64(1), int64(10)},
			`(("amount" > $3) AND ("amount" < $4))`, []any{int64(1), int64(10)}},
		{`amount in [1, -2, 3.5]`, `("amount" IN (?, ?, ?))`, []any{int64(1), int64(-2), 3.5},
			`("amount" IN ($3, $4, $5))`, []any{int64(1), int64(-2), 3.5}},
		{`stage != "won"`, `("stage" IS NOT ?)`, []any{"won"}, `("stage" IS DISTINCT FROM $3)`, []any{"won"}},
		{`nil == stage`, `("stage" IS NULL)`, nil, `("stage" IS NULL)`, nil},
		{`data != nil`, `("data" IS NOT NULL)`, nil, `("data" IS NOT NULL)`, nil},
		{`amount == score`, `("amount" IS "score")`, nil, `("amount" IS NOT DISTINCT FROM "score")`, nil},
		{`amount != score`, `("amount" IS NOT "score")`, nil, `("amount" IS DISTINCT FROM "score")`, nil},
		{`amount < score`, `("amount" < "score")`, nil, `("amount" < "score")`, nil},
		{`(amount > 1 || active) and not (stage == "lost" or name == nil)`,
			`((("amount" > ?) OR ("active" = 1)) AND (NOT COALESCE((("stage" = ?) OR ("name" IS NULL)), 0)))`, []any{int64(1), "lost"},
			`((("amount" > $3) OR ("active" = true)) AND (NOT COALESCE((("stage" = $4) OR ("name" IS NULL)), false)))`, []any{int64(1), "lost"}},
		{`!!(name == nil)`, `(NOT (NOT ("name" IS NULL)))`, nil, `(NOT (NOT ("name" IS NULL)))`, nil},
		{`true`, `(1=1)`, nil, `(1=1)`, nil},
		{"name == `raw \"quoted\"` // trailing comment", `("name" = ?)`, []any{`raw "quoted"`}, `("name" = $3)`, []any{`raw "quoted"`}},
	}
	for _, c := range cases {
		t.Run(c.src, func(t *testing.T) {
			w, err := Filter(c.src, testResolver, SQLite, 0)
			if err != nil {
				t.Fatalf("sqlite: %v", err)
			}
			if w.SQL != c.lite || !reflect.DeepEqual(w.Args, c.liteArgs) {
				t.Errorf("sqlite:\n got %s %#v\nwant %s %#v", w.SQL, w.Args, c.lite, c.liteArgs)
			}
			w, err = Filter(c.src, testResolver, Postgres, 2)
			if err != nil {
				t.Fatalf("postgres: %v", err)
			}
			if w.SQL != c.pg || !reflect.DeepEqual(w.Args, c.pgArgs) {
				t.Errorf("postgres:\n got %s %#v\nwant %s %#v", w.SQL, w.Args, c.pg, c.pgArgs)
			}
		})
	}
}

func TestFilterEmpty(t *testing.T) {
	for _, src := range []string{"", "   ", "\n\t "} {
		w, err := Filter(src, testResolver, Postgres, 3)
		if err != nil || w.SQL != "" || w.Args != nil {
			t.Errorf("Filter(%q) = %#v, %v; want empty", src, w, err)
		}
	}
}

// wantInvalid asserts err is an Invalid *errs.Error with the given message
// key whose English text contains every one of parts.
func wantInvalid(t *testing.T, err error, key string, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want %s", key)
	}
	if errs.CodeOf(err) != errs.Invalid {
		t.Fatalf("code %s, want invalid: %v", errs.CodeOf(err), err)
	}
	e, _ := errs.As(err)
	if e.Msg.Key != key {
		t.Errorf("key %s, want %s: %v", e.Msg.Key, key, err)
	}
	en := i18n.T(i18n.EN, e.Msg)
	for _, p := range parts {
		if !strings.Contains(en, p) {
			t.Errorf("message %q does not name %q", en, p)
		}
	}
	zh := i18n.T(i18n.ZhCN, e.Msg)
	if zh == en || placeholder.MatchString(en) || placeholder.MatchString(zh) {
		t.Errorf("message %s not localized or has unfilled placeholders: en %q zh %q", key, en, zh)
	}
}

var placeholder = regexp.MustCompile(`\{[a-z_]+\}`)

func TestFilterErrors(t *testing.T) {
	cases := []struct {
		src   string
		key   string
		parts []string
	}{
		{`nope == 1`, "expr.unknown_field", []string{`"nope"`, "position 1"}},
		{`name == "a" && stagee in ["x"]`, "expr.unknown_field", []string{`"stagee"`, "position 16"}},
		{`amount; DROP TABLE`, "expr.syntax", []string{"position 14"}},
		{`amount >`, "expr.syntax", nil},
		{`name == "unterminated`, "expr.syntax", nil},
		{`(amount > 1`, "expr.syntax", nil},
		{`amount > 1; amount < 2`, "expr.unsupported", nil},
		{`let x = 1; amount > x`, "expr.unsupported", nil},
		{`amount * 2 > 3`, "expr.arithmetic", []string{"`amount * 2`", "position 8"}},
		{`amount + 1 > 2`, "expr.arithmetic", []string{"`amount + 1`"}},
		{`amount > 2 ** 3`, "expr.arithmetic", []string{"`2 ** 3`"}},
		{`-amount > 3`, "expr.arithmetic", []string{"`-amount`"}},
		{`name matches "^a"`, "expr.regex", []string{"`name matches \"^a\"`"}},
		{`name.length > 1`, "expr.member", []string{"`name.length`"}},
		{`tags[0] == "a"`, "expr.member", []string{"`tags[0]`"}},
		{`tags[0:1] == "a"`, "expr.member", []string{"`tags[0:1]`"}},
		{`name?.x == "a"`, "expr.member", nil},
		{`name.upper() == "A"`, "expr.member", nil},
		{`len(tags) > 0`, "expr.function", []string{"`len(tags)`", "len"}},
		{`tags | len() > 1`, "expr.function", []string{"len"}},
		{`all(tags, # == "vip")`, "expr.function", []string{"all"}},
		{`filter(tags, {# == "a"}) == nil`, "expr.function", []string{"filter"}},
		{`foo(1)`, "expr.function", []string{"`foo(1)`", "foo"}},
		{`due > today(1)`, "expr.function", []string{"today"}},
		{`closed_at > date("2026-01-01")`, "expr.function", []string{"date"}},
		{`amount > 1 ? true : false`, "expr.unsupported", []string{"`amount > 1 ? true : false`"}},
		{`if amount > 1 { true } else { false }`, "expr.unsupported", nil},
		{`{a: 1}`, "expr.unsupported", []string{"`{a: 1}`"}},
		{`amount in 1..3`, "expr.unsupported", []string{"`1..3`"}},
		{`(name ?? "x") == "a"`, "expr.unsupported", []string{"??"}},
		{`b"abc" == name`, "expr.unsupported", nil},
		{`amount`, "expr.not_condition", []string{"`amount`"}},
		{`"abc"`, "expr.not_condition", []string{"`\"abc\"`"}},
		{`now()`, "expr.not_condition", []string{"`now()`"}},
		{`name == nil && amount`, "expr.not_condition", []string{"`amount`"}},
		{`(name == "a") == true`, "expr.not_value", []string{"`name == \"a\"`"}},
		{`!active == true`, "expr.not_value", []string{"`!active`"}},
		{`1 == 1`, "expr.no_field", []string{"`1 == 1`"}},
		{`"a" in ["a"]`, "expr.no_field", nil},
		{`name == amount`, "expr.mismatched_fields", []string{`"name"`, `"amount"`}},
		{`due < closed_at`, "expr.mismatched_fields", nil},
		{`active > true`, "expr.operator", []string{">", `"active"`}},
		{`owner < "` + uuid1 + `"`, "expr.operator", []string{"<", `"owner"`}},
		{`tags == "a"`, "expr.operator", []string{"==", `"tags"`}},
		{`data == "{}"`, "expr.operator", []string{`"data"`}},
		{`tags in ["a"]`, "expr.operator", []string{"in", `"tags"`}},
		{`tags == labels`, "expr.operator", []string{`"tags"`}},
		{`amount > nil`, "expr.nil_operator", []string{"`amount > nil`"}},
		{`name == 5`, "expr.want_text", []string{"`name == 5`", `"name"`}},
		{`name == now()`, "expr.want_text", nil},
		{`amount == "abc"`, "expr.want_number", []string{"`amount == \"abc\"`", `"amount"`}},
		{`amount == true`, "expr.want_number", nil},
		{`active == 1`, "expr.want_bool", []string{`"active"`}},
		{`due > "2026-13-01"`, "expr.want_date", []string{`"2026-13-01"`, `"due"`}},
		{`due > "2026-01-01T00:00:00Z"`, "expr.want_date", nil},
		{`due > now() && due < "2026-1-5"`, "expr.want_date", []string{`"2026-1-5"`}},
		{`closed_at > "yesterday"`, "expr.want_time", []string{`"yesterday"`, `"closed_at"`}},
		{`closed_at > "2026-01-01 10:00:00"`, "expr.want_time", nil},
		{`owner == "abc"`, "expr.want_ref", []string{`"abc"`, `"owner"`}},
		{`owner in ["` + uuid1 + `", 5]`, "expr.want_ref", []string{"`5`"}},
		{`5 in tags`, "expr.want_label", []string{`"tags"`}},
		{`name in tags`, "expr.want_label", nil},
		{`name in "abc"`, "expr.in_list", []string{"`name in \"abc\"`"}},
		{`"a" in name`, "expr.in_list", nil},
		{`amount in [score]`, "expr.list_item", []string{"`score`"}},
		{`stage in ["a", nil]`, "expr.list_item", []string{"`nil`"}},
		{`stage in [["a"]]`, "expr.list_place", nil},
		{`tags == ["a"]`, "expr.list_place", []string{"`[\"a\"]`"}},
		{`name contains 5`, "expr.like", []string{"contains"}},
		{`amount startsWith "1"`, "expr.like", []string{"startsWith"}},
		{`"abc" endsWith name`, "expr.like", []string{"endsWith"}},
		{`name contains stage`, "expr.like", nil},
	}
	for _, c := range cases {
		t.Run(c.src, func(t *testing.T) {
			for _, d := range []Dialect{SQLite, Postgres} {
				w, err := Filter(c.src, testResolver, d, 0)
				if err == nil {
					t.Fatalf("%s: got %s %v, want error", d, w.SQL, w.Args)
				}
				wantInvalid(t, err, c.key, c.parts...)
			}
		})
	}
}

func TestFilterLimits(t *testing.T) {
	deep := func(n int, open, close string) string {
		return strings.Repeat(open, n) + "active" + strings.Repeat(close, n)
	}
	t.Run("10000 nested parentheses", func(t *testing.T) {
		start := time.Now()
		_, err := Filter(deep(10000, "(", ")"), testResolver, SQLite, 0)
		wantInvalid(t, err, "expr.too_long", "4096")
		if d := time.Since(start); d > 100*time.Millisecond {
			t.Errorf("took %v", d)
		}
	})
	t.Run("too deep within the length limit", func(t *testing.T) {
		_, err := Filter(deep(2000, "(", ")"), testResolver, SQLite, 0)
		wantInvalid(t, err, "expr.too_deep", "64")
		_, err = Filter(deep(MaxDepth+1, "(", ")"), testResolver, SQLite, 0)
		wantInvalid(t, err, "expr.too_deep")
		_, err = Filter("stage in "+strings.Repeat("[", 100)+strings.Repeat("]", 100), testResolver, SQLite, 0)
		wantInvalid(t, err, "expr.too_deep")
	})
	t.Run("exactly the depth limit", func(t *testing.T) {
		w, err := Filter(deep(MaxDepth, "(", ")"), testResolver, SQLite, 0)
		if err != nil || w.SQL != `("active" = 1)` {
			t.Fatalf("got %q, %v", w.SQL, err)
		}
	})
	t.Run("brackets in strings and comments do not count", func(t *testing.T) {
		many := strings.Repeat("((([[[", 30)
		srcs := []string{
			`name == "` + many + `"`,
			`name == '` + many + `'`,
			"name == `" + many + "`",
			`name == "\"` + many + `" /* ` + many + ` */ // ` + many,
		}
		for _, src := range srcs {
			if _, err := Filter(src, testResolver, SQLite, 0); err != nil {
				t.Errorf("%s: %v", src, err)
			}
		}
	})
	t.Run("5000-char source", func(t *testing.T) {
		_, err := Filter(`name == "`+strings.Repeat("x", 4990)+`"`, testResolver, SQLite, 0)
		wantInvalid(t, err, "expr.too_long", "5000", "4096")
	})
	t.Run("too many nodes", func(t *testing.T) {
		list := strings.TrimSuffix(strings.Repeat("1,", 1100), ",")
		_, err := Filter("amount in ["+list+"]", testResolver, SQLite, 0)
		wantInvalid(t, err, "expr.too_complex", "1000")
		_, err = Filter(strings.Repeat("!", 2000)+"active", testResolver, SQLite, 0)
		wantInvalid(t, err, "expr.too_complex")
		_, err = Filter(strings.TrimSuffix(strings.Repeat("active&&", 510), "&&"), testResolver, SQLite, 0)
		wantInvalid(t, err, "expr.too_complex")
	})
	t.Run("long flat chains translate without recursion", func(t *testing.T) {
		w, err := Filter(strings.TrimSuffix(strings.Repeat("active || ", 300), " || "), testResolver, Postgres, 0)
		if err != nil || strings.Count(w.SQL, "OR") != 299 {
			t.Fatalf("got %v", err)
		}
	})
}

// TestFilterInjection checks that hostile text in literals only ever
// reaches the database as a bound argument.
func TestFilterInjection(t *testing.T) {
	payloads := []string{
		`x'; DROP TABLE t;--`,
		`" OR 1=1 --`,
		`\'); DELETE FROM t; --`,
		`$1 ? ?`,
	}
	for _, p := range payloads {
		src := "name == " + strconv.Quote(p) + " || name contains " + strconv.Quote(p) + " || stage in [" + strconv.Quote(p) + "]"
		for _, d := range []Dialect{SQLite, Postgres} {
			w, err := Filter(src, testResolver, d, 0)
			if err != nil {
				t.Fatalf("%s: %v", src, err)
			}
			if strings.Contains(w.SQL, p) || strings.Contains(w.SQL, "DROP") || strings.Contains(w.SQL, "DELETE") || strings.Contains(w.SQL, "1=1") {
				t.Errorf("%s: literal leaked into SQL: %s", d, w.SQL)
			}
			if w.Args[0] != p {
				t.Errorf("%s: args %#v, want %q first", d, w.Args, p)
			}
		}
	}
	// Identifiers never reach SQL either: unknown ones are refused, known
	// ones are replaced by the resolver's Column.SQL.
	_, err := Filter(`amount; DROP TABLE t`, testResolver, SQLite, 0)
	wantInvalid(t, err, "expr.syntax")
	_, err = Filter("DROP == 1", testResolver, SQLite, 0)
	wantInvalid(t, err, "expr.unknown_field", `"DROP"`)
}

func TestFilterUnknownDialect(t *testing.T) {
	_, err := Filter("active", testResolver, Dialect("mysql"), 0)
	if err == nil || errs.CodeOf(err) != errs.Internal {
		t.Fatalf("got %v, want an internal error", err)
	}
}

// checkSQL asserts the structural invariants of a translation: balanced
// parentheses, no statement separator, and placeholders matching the
// args one to one ("?" for SQLite; $argStart+1.. in order for Postgres).
// String literals in the SQL (only ESCAPE '\') are skipped.
func checkSQL(t *testing.T, w Where, d Dialect, argStart int) {
	t.Helper()
	depth, marks, next := 0, 0, argStart+1
	for i := 0; i < len(w.SQL); i++ {
		switch c := w.SQL[i]; c {
		case '\'':
			j := strings.IndexByte(w.SQL[i+1:], '\'')
			if j < 0 {
				t.Fatalf("unterminated literal in %s", w.SQL)
			}
			i += j + 1
		case '(':
			depth++
		case ')':
			depth--
			if depth < 0 {
				t.Fatalf("unbalanced: %s", w.SQL)
			}
		case ';':
			t.Fatalf("statement separator in %s", w.SQL)
		case '?':
			marks++
		case '$':
			j := i + 1
			for j < len(w.SQL) && w.SQL[j] >= '0' && w.SQL[j] <= '9' {
				j++
			}
			n, err := strconv.Atoi(w.SQL[i+1 : j])
			if err != nil || n != next {
				t.Fatalf("placeholder %s, want $%d in %s", w.SQL[i:j], next, w.SQL)
			}
			next++
			i = j - 1
		}
	}
	if depth != 0 {
		t.Fatalf("unbalanced: %s", w.SQL)
	}
	got := marks
	if d == Postgres {
		got = next - argStart - 1
		if marks != 0 {
			t.Fatalf("? in postgres SQL %s", w.SQL)
		}
	}
	if got != len(w.Args) {
		t.Fatalf("%d placeholders, %d args: %s %#v", got, len(w.Args), w.SQL, w.Args)
	}
}

var fuzzSeeds = []string{
	`amount > 1000 && stage in ["won","lost"] && name startsWith "华"`,
	`closed_at == nil || closed_at >= "2026-01-01"`,
	`!(active) `,
	`active == true`,
	`"vip" in tags`,
	`"vip" not in labels`,
	`owner == "` + uuid1 + `"`,
	`name contains "100%"`,
	`due >= today() and closed_at < now()`,
	`amount != score || -1.5 < amount`,
	`stage not in []`,
	`data != nil && name endsWith "_\\"`,
	`name == "x'; DROP TABLE t;--"`,
	`amount; DROP TABLE`,
	`amount * 2 > 3`,
	`len(tags) > 0`,
	`a.b.c == 1`,
	`name matches "^a"`,
	`(((((active)))))`,
	`amount > 1 ? true : false`,
	`all(tags, # == "a")`,
	"name == `x` /* ( */",
}

func FuzzFilter(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	db := openSQLite(f)
	f.Fuzz(func(t *testing.T, src string) {
		for _, d := range []Dialect{SQLite, Postgres} {
			w, err := Filter(src, testResolver, d, 3)
			if err != nil {
				if errs.CodeOf(err) != errs.Invalid {
					t.Fatalf("%q: error code %s: %v", src, errs.CodeOf(err), err)
				}
				continue
			}
			if strings.TrimSpace(src) == "" {
				continue
			}
			checkSQL(t, w, d, 3)
			if d == SQLite { // the SQL must also be valid and run
				if _, err := queryIDs(db, SQLite, "t", w); err != nil {
					t.Fatalf("%q: %s: %v", src, w.SQL, err)
				}
			}
		}
	})
}

func TestFuzzSeedsInvariants(t *testing.T) {
	for _, s := range fuzzSeeds {
		for _, d := range []Dialect{SQLite, Postgres} {
			w, err := Filter(s, testResolver, d, 3)
			if err == nil {
				checkSQL(t, w, d, 3)
			}
		}
	}
}
