package server_test

// Issue 7 item 15: messages speak the user's language, not Go's. Every
// kind of refusal a record write meets, through the HTTP API in English and
// Chinese: a field is named by its label, a select's allowed values by
// their labels, a module by its label and an action in words; never a Go
// type name, a format verb or the validator library's English.

import (
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/tessera-app/tessera/engine/access"
	"github.com/tessera-app/tessera/engine/store"
	"github.com/tessera-app/tessera/engine/store/storetest"
	"github.com/tessera-app/tessera/runtime/apitest"
)

func both(en, zh string) map[string]string { return map[string]string{"en": en, "zh-CN": zh} }

// notTheUsersLanguage finds Go's syntax and the JSON Schema library's
// English in a message.
var notTheUsersLanguage = regexp.MustCompile(`map\[|interface \{\}|%!|%v|<nil>|meta\.|&\{|` +
	`missing properties|additionalProperties|expected \w+, but got|does not match pattern|must be >=|must be <=|` +
	`value must be one of|is not valid '|length must be|json: |cannot unmarshal|Go value`)

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// courses is app "school" with a module whose fields have labels in both
// languages and every kind of rule a record write can break.
func courses(t *testing.T, e *apitest.Env) {
	t.Helper()
	e.Do(t, "admin", "POST", "/api/apps", map[string]any{"key": "school", "label": both("School", "学校")}).Want(t, 201)
	e.Do(t, "admin", "POST", "/api/apps/school/modules", map[string]any{"key": "category", "label": both("Category", "类别"), "schema": map[string]any{
		"properties": map[string]any{"name": map[string]any{"x-field": map[string]any{"type": "text", "label": both("Name", "名称")}}},
	}}).Want(t, 201)
	opt := func(v, en, zh string) map[string]any { return map[string]any{"value": v, "label": both(en, zh)} }
	e.Do(t, "admin", "POST", "/api/apps/school/modules", map[string]any{"key": "course", "label": both("Course", "课程"), "schema": map[string]any{
		"properties": map[string]any{
			"code": map[string]any{"minLength": 3, "maxLength": 8, "pattern": "^[A-Z]+[0-9]*$",
				"x-field": map[string]any{"type": "text", "unique": true, "label": both("Course code", "课程编号")}},
			"title":    map[string]any{"x-field": map[string]any{"type": "text", "label": both("Title", "标题")}},
			"seats":    map[string]any{"minimum": 1, "maximum": 100, "x-field": map[string]any{"type": "integer", "label": both("Seats", "座位数")}},
			"level":    map[string]any{"x-field": map[string]any{"type": "select", "label": both("Level", "级别"), "options": []any{opt("beg", "Beginner", "初级"), opt("adv", "Advanced", "高级")}}},
			"tags":     map[string]any{"x-field": map[string]any{"type": "multiselect", "label": both("Tags", "标签"), "options": []any{opt("hot", "Hot", "热门"), map[string]any{"value": "new"}}}},
			"category": map[string]any{"x-field": map[string]any{"type": "lookup", "module": "category", "label": both("Category", "类别")}},
			"email":    map[string]any{"x-field": map[string]any{"type": "email", "label": both("Contact email", "联系邮箱")}},
			"price":    map[string]any{"x-field": map[string]any{"type": "currency", "label": both("Price", "价格")}},
			"starts":   map[string]any{"x-field": map[string]any{"type": "date", "label": both("Starts on", "开课日期")}},
		},
		"required": []string{"title"},
	}}).Want(t, 201)
}

func TestRecordErrorsSpeakTheUsersLanguage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := apitest.New(t, s, start)
		courses(t, e)
		path := "/api/apps/school/modules/course/records"
		first := e.Do(t, "admin", "POST", path, map[string]any{"title": "Go", "code": "GO1"}).Want(t, 201)
		noID := "00000000-0000-4000-8000-000000000000"
		cases := []struct {
			name   string
			body   any
			status int
			field  string // "": the problem's detail
			code   string
			en, zh string
		}{
			{"unique", map[string]any{"title": "Go again", "code": "GO1"}, 409, "code", "unique",
				`This value of "Course code" is already taken.`, `“课程编号”的此值已被占用。`},
			{"unique detail", map[string]any{"title": "Go again", "code": "GO1"}, 409, "", "",
				`Another record already has this value of "Course code".`, `已有其他记录使用了相同的“课程编号”值。`},
			{"lookup to nothing", map[string]any{"title": "x", "category": noID}, 422, "category", "not_found",
				`"Category" points to a record that does not exist: ` + noID + `.`, `“类别”指向的记录不存在：` + noID + `。`},
			{"lookup not an id", map[string]any{"title": "x", "category": "nope"}, 422, "category", "format",
				`Category must be a UUID.`, `类别必须是UUID。`},
			{"select value", map[string]any{"title": "x", "level": "mid"}, 422, "level", "enum",
				`Level: "mid" is not an allowed value; allowed values: Beginner (beg), Advanced (adv).`,
				`级别：“mid”不是允许的值；可选值：初级 (beg), 高级 (adv)。`},
			{"multiselect value", map[string]any{"title": "x", "tags": []string{"hot", "cold"}}, 422, "tags", "enum",
				`Tags: "cold" is not an allowed value; allowed values: Hot (hot), new.`,
				`标签：“cold”不是允许的值；可选值：热门 (hot), new。`},
			{"multiselect not a list", map[string]any{"title": "x", "tags": "hot"}, 422, "tags", "type",
				`Tags must be a list.`, `标签必须是列表。`},
			{"too short", map[string]any{"title": "x", "code": "A"}, 422, "code", "minLength",
				`Course code must be at least 3 characters.`, `课程编号至少需要 3 个字符。`},
			{"too long", map[string]any{"title": "x", "code": "ABCDEFGHI"}, 422, "code", "maxLength",
				`Course code must be at most 8 characters.`, `课程编号最多 8 个字符。`},
			{"pattern", map[string]any{"title": "x", "code": "abc"}, 422, "code", "pattern",
				`Course code is not in the required format.`, `课程编号的格式不符合要求。`},
			{"maximum", map[string]any{"title": "x", "seats": 1000}, 422, "seats", "maximum",
				`Seats must be at most 100.`, `座位数不能大于 100。`},
			{"minimum", map[string]any{"title": "x", "seats": 0}, 422, "seats", "minimum",
				`Seats must be at least 1.`, `座位数不能小于 1。`},
			{"integer", map[string]any{"title": "x", "seats": 1.5}, 422, "seats", "type",
				`Seats must be a whole number.`, `座位数必须是整数。`},
			{"type", map[string]any{"title": "x", "seats": "many"}, 422, "seats", "type",
				`Seats must be a whole number.`, `座位数必须是整数。`},
			{"text type", map[string]any{"title": 5}, 422, "title", "type",
				`Title must be text.`, `标题必须是文本。`},
			{"email", map[string]any{"title": "x", "email": "nope"}, 422, "email", "format",
				`Contact email must be a valid email address.`, `联系邮箱必须是有效的邮箱地址。`},
			{"date", map[string]any{"title": "x", "starts": "2026-13-45"}, 422, "starts", "format",
				`Starts on must be a date in the form YYYY-MM-DD.`, `开课日期必须是格式为 YYYY-MM-DD 的日期。`},
			{"scale", map[string]any{"title": "x", "price": 1.234}, 422, "price", "scale",
				`Price allows at most 2 decimal places.`, `价格最多 2 位小数。`},
			{"required", map[string]any{"code": "ABC"}, 422, "title", "required",
				`Title is required.`, `标题为必填项。`},
			{"blank required", map[string]any{"title": "   "}, 422, "title", "required",
				`Title is required.`, `标题为必填项。`},
			{"unknown field", map[string]any{"title": "x", "bogus": 1}, 422, "bogus", "unknown_field",
				`"bogus" is not a field of this form.`, `“bogus”不是此表单的字段。`},
			{"body not an object", []any{1, 2}, 400, "", "",
				`The request body cannot be read: it must be a JSON object.`, `无法读取请求体：内容必须是一个 JSON 对象。`},
		}
		for _, c := range cases {
			for _, loc := range []string{"en", "zh-CN"} {
				r := e.Do(t, "admin", "POST", path, c.body, "Accept-Language", loc).Want(t, c.status)
				want := c.en
				if loc == "zh-CN" {
					want = c.zh
				}
				got := r.Str("detail")
				if c.field != "" {
					got = ""
					for _, x := range r.List("errors") {
						fe := x.(map[string]any)
						if fe["field"] == c.field {
							got, _ = fe["message"].(string)
							if fe["code"] != c.code {
								t.Errorf("%s (%s): code %v, want %s", c.name, loc, fe["code"], c.code)
							}
						}
					}
				}
				if got != want {
					t.Errorf("%s (%s): %q\n\twant %q\n\t%s", c.name, loc, got, want, r.Body)
				}
				if m := notTheUsersLanguage.FindString(string(r.Body)); m != "" {
					t.Errorf("%s (%s): %q in %s", c.name, loc, m, r.Body)
				}
				if loc == "zh-CN" && !hasHan(r.Str("detail")) {
					t.Errorf("%s: the Chinese detail has no Chinese: %s", c.name, r.Body)
				}
			}
		}
		// Nothing was written by any of them.
		if n := len(e.Do(t, "admin", "GET", path, nil).Want(t, 200).List("records")); n != 1 {
			t.Errorf("%d records, want the first one only", n)
		}

		// A system field is named in words too.
		for loc, want := range map[string]string{"en": `Created at is set by the server and cannot be changed.`, "zh-CN": `创建时间由系统设置，不能修改。`} {
			r := e.Do(t, "admin", "PATCH", path+"/"+first.Str("id"), map[string]any{"version": 1, "created_at": "2020-01-01T00:00:00Z"},
				"Accept-Language", loc).Want(t, 422)
			if got := r.Str("errors.0.message"); got != want {
				t.Errorf("system field (%s): %q, want %q", loc, got, want)
			}
		}

		// A permission refusal names the module by its label and the
		// action in words.
		e.User(t, "reader", access.NewUser{})
		e.Do(t, "admin", "POST", "/api/roles", map[string]any{"key": "reader", "label": apitest.Label("Reader"),
			"permissions": []any{map[string]any{"app": "school", "module": "course", "actions": []string{"read"}}}}).Want(t, 201)
		e.Do(t, "admin", "PATCH", "/api/users/"+e.IDs["reader"], map[string]any{"roles": []string{"reader"}}).Want(t, 200)
		for loc, want := range map[string]string{"en": `You may not create records of "Course".`, "zh-CN": `你无权新建“课程”的记录。`} {
			r := e.Do(t, "reader", "POST", path, map[string]any{"title": "x"}, "Accept-Language", loc).Want(t, 403)
			if got := r.Str("detail"); got != want {
				t.Errorf("refused create (%s): %q, want %q", loc, got, want)
			}
		}
	})
}

// A module schema that breaks the meta-schema is explained in the
// designer's language, not in the JSON Schema library's English.
func TestSchemaErrorsSpeakTheDesignersLanguage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := apitest.New(t, s, start)
		e.Do(t, "admin", "POST", "/api/apps", map[string]any{"key": "school", "label": both("School", "学校")}).Want(t, 201)
		bad := map[string]any{"properties": map[string]any{
			"title": map[string]any{"x-field": map[string]any{"type": "text", "label": map[string]any{"english": "Title"}}, "minLength": -1, "bogus": true},
		}}
		r := e.Do(t, "admin", "POST", "/api/apps/school/modules", map[string]any{"key": "course", "label": both("Course", "课程"), "schema": bad},
			"Accept-Language", "zh-CN").Want(t, 422)
		if m := notTheUsersLanguage.FindString(string(r.Body)); m != "" {
			t.Errorf("%q in %s", m, r.Body)
		}
		msgs := []string{}
		for _, x := range r.List("errors") {
			fe := x.(map[string]any)
			msg, _ := fe["message"].(string)
			msgs = append(msgs, msg)
			if !hasHan(msg) {
				t.Errorf("%v: no Chinese in %q", fe["field"], msg)
			}
		}
		joined := strings.Join(msgs, "\n")
		for _, want := range []string{`不允许使用键“english”`, `不能小于 0`, `包含此处不允许的键："bogus"`} {
			if !strings.Contains(joined, want) {
				t.Errorf("no %q among:\n%s", want, joined)
			}
		}
	})
}
