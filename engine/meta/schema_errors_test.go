package meta

import (
	"regexp"
	"strings"
	"testing"

	"github.com/tessera-app/tessera/engine/errs"
	"github.com/tessera-app/tessera/engine/i18n"
)

// Meta-schema violations are said in the designer's language, with the
// limit from the meta-schema, never with the validator library's English
// (issue 7 item 15).
func TestMetaSchemaProblemsSpeakBothLanguages(t *testing.T) {
	cases := []struct {
		name, schema, field, en, zh string
	}{
		{"wrong type", `{"title":5,"properties":{"a":{"x-field":{"type":"text"}}}}`, "title",
			`Schema entry "title" must be text.`, `结构中的“title”必须是文本。`},
		{"label value not text", `{"properties":{"a":{"x-field":{"type":"text","label":{"en":5}}}}}`, "a.x-field.label.en",
			`Schema entry "a.x-field.label.en" must be text.`, `结构中的“a.x-field.label.en”必须是文本。`},
		{"bad locale key", `{"properties":{"a":{"x-field":{"type":"text","label":{"english":"x"}}}}}`, "a.x-field.label",
			`Schema entry "a.x-field.label": key "english" is not allowed here (keys must match ^[a-z]{2}(-[A-Z]{2})?$).`,
			`结构中的“a.x-field.label”：不允许使用键“english”（键必须符合 ^[a-z]{2}(-[A-Z]{2})?$）。`},
		{"unknown key", `{"properties":{"a":{"x-field":{"type":"text"},"bogus":1}}}`, "a",
			`Schema entry "a" has keys that are not allowed here: "bogus".`, `结构中的“a”包含此处不允许的键："bogus"。`},
		{"bad regex", `{"properties":{"a":{"x-field":{"type":"text"},"pattern":"("}}}`, "a.pattern",
			`Schema entry "a.pattern" is not a valid regular expression.`, `结构中的“a.pattern”不是有效的正则表达式。`},
		{"negative length", `{"properties":{"a":{"x-field":{"type":"text"},"minLength":-1}}}`, "a.minLength",
			`Schema entry "a.minLength" must be at least 0.`, `结构中的“a.minLength”不能小于 0。`},
		{"missing option value", `{"properties":{"a":{"x-field":{"type":"select","options":[{"label":{"en":"x"}}]}}}}`, "a.x-field.options.0",
			`Schema entry "a.x-field.options.0" needs "value".`, `结构中的“a.x-field.options.0”缺少 "value"。`},
		{"bad format", `{"properties":{"a":{"x-field":{"type":"text"},"format":"nope"}}}`, "a.format",
			`Schema entry "a.format" must be one of "email", "uri", "date", "date-time", "uuid", "hostname", "ipv4", "ipv6", "time".`,
			`结构中的“a.format”必须是以下之一："email", "uri", "date", "date-time", "uuid", "hostname", "ipv4", "ipv6", "time"。`},
		{"empty rule", `{"properties":{"a":{"x-field":{"type":"text"}}},"x-validations":[{"rule":"","message":{"en":"x"}}]}`, "x-validations.0.rule",
			`Schema entry "x-validations.0.rule" needs at least 1 characters.`, `结构中的“x-validations.0.rule”至少需要 1 个字符。`},
		{"no properties", `{"title":"x"}`, "",
			`The schema needs "properties".`, `模块结构缺少 "properties"。`},
	}
	libraryWords := regexp.MustCompile(`missing properties|not allowed$|expected |but got|does not match|must be >=|is not valid '|value must be`)
	for _, c := range cases {
		_, err := ParseSchema([]byte(c.schema))
		e, ok := errs.As(err)
		if !ok || e.Code != errs.Unprocessable {
			t.Errorf("%s: %v, want a 422", c.name, err)
			continue
		}
		var found bool
		for _, fe := range e.Fields {
			en, zh := i18n.T(i18n.EN, fe.Msg), i18n.T(i18n.ZhCN, fe.Msg)
			if libraryWords.MatchString(en) || libraryWords.MatchString(zh) {
				t.Errorf("%s: the library's words reach the user: %q / %q", c.name, en, zh)
			}
			if fe.Field != c.field {
				continue
			}
			found = true
			if en != c.en {
				t.Errorf("%s (en): %q\n\twant %q", c.name, en, c.en)
			}
			if zh != c.zh {
				t.Errorf("%s (zh-CN): %q\n\twant %q", c.name, zh, c.zh)
			}
			if strings.ContainsAny(zh, "{}") && !strings.Contains(c.zh, "{") {
				t.Errorf("%s: placeholder left in %q", c.name, zh)
			}
		}
		if !found {
			var got []string
			for _, fe := range e.Fields {
				got = append(got, fe.Field+": "+i18n.T(i18n.EN, fe.Msg))
			}
			t.Errorf("%s: no problem on %q; got %q", c.name, c.field, got)
		}
	}
}
